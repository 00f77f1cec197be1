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
MAX_FIELDS = 500


def check_limits(document: DocumentNode, max_depth: int = MAX_DEPTH, max_fields: int = MAX_FIELDS) -> list[GraphQLError]:
    """Depth and size of every operation, with fragments expanded (cycles are left to validation)."""
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    errors: list[GraphQLError] = []
    for definition in document.definitions:
        if not isinstance(definition, OperationDefinitionNode):
            continue
        count = 0
        deepest = 0
        stack: list[tuple[SelectionSetNode, int, frozenset[str]]] = [(definition.selection_set, 1, frozenset())]
        while stack:
            selection_set, depth, seen = stack.pop()
            for selection in selection_set.selections:
                if isinstance(selection, FieldNode):
                    count += 1
                    deepest = max(deepest, depth)
                    if selection.selection_set is not None:
                        stack.append((selection.selection_set, depth + 1, seen))
                elif isinstance(selection, InlineFragmentNode):
                    stack.append((selection.selection_set, depth, seen))
                elif isinstance(selection, FragmentSpreadNode):
                    name = selection.name.value
                    fragment = fragments.get(name)
                    if fragment is not None and name not in seen:
                        stack.append((fragment.selection_set, depth, seen | {name}))
            if count > max_fields:
                errors.append(GraphQLError(f"the operation selects more than {max_fields} fields", definition))
                break
            if deepest > max_depth:
                errors.append(GraphQLError(f"the operation is nested more than {max_depth} levels deep", definition))
                break
    return errors
