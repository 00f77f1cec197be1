"""Limits on GraphQL documents, checked once per distinct query text (the result is cached)."""

from __future__ import annotations

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)

MAX_QUERY_BYTES = 100_000
MAX_DEPTH = 12
# Introspection types are cyclic, but the standard query explorers send (graphql-js's, with its
# nine nested `ofType`) is 15 levels deep; below `__schema`/`__type` this limit applies instead.
MAX_INTROSPECTION_DEPTH = 20
MAX_FIELDS = 500


def check_limits(
    document: DocumentNode,
    max_depth: int = MAX_DEPTH,
    max_fields: int = MAX_FIELDS,
    max_introspection_depth: int = MAX_INTROSPECTION_DEPTH,
) -> list[GraphQLError]:
    """Depth and size of every operation, with fragments expanded (cycles are left to validation)."""
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    errors: list[GraphQLError] = []
    for definition in document.definitions:
        if not isinstance(definition, OperationDefinitionNode):
            continue
        count = 0
        too_deep: int | None = None
        Frame = tuple[SelectionSetNode, int, frozenset[str], bool]
        stack: list[Frame] = [(definition.selection_set, 1, frozenset(), False)]
        while stack and too_deep is None:
            selection_set, depth, seen, introspecting = stack.pop()
            limit = max_introspection_depth if introspecting else max_depth
            for selection in selection_set.selections:
                if isinstance(selection, FieldNode):
                    count += 1
                    inside = introspecting or selection.name.value in ("__schema", "__type")
                    if depth > (max_introspection_depth if inside else limit):
                        too_deep = max_introspection_depth if inside else limit
                        break
                    if selection.selection_set is not None:
                        stack.append((selection.selection_set, depth + 1, seen, inside))
                elif isinstance(selection, InlineFragmentNode):
                    stack.append((selection.selection_set, depth, seen, introspecting))
                elif isinstance(selection, FragmentSpreadNode):
                    name = selection.name.value
                    fragment = fragments.get(name)
                    if fragment is not None and name not in seen:
                        stack.append((fragment.selection_set, depth, seen | {name}, introspecting))
            if count > max_fields:
                errors.append(GraphQLError(f"the operation selects more than {max_fields} fields", definition))
                break
        if too_deep is not None:
            errors.append(GraphQLError(f"the operation is nested more than {too_deep} levels deep", definition))
    return errors
