"""Limits on GraphQL documents, checked before validation, once per distinct query text (the
result is cached): the work a document can cost the server stays small whoever sends it.

Validation compares every pair of fields that share a response name (graphql-core's
OverlappingFieldsCanBeMerged), so a few hundred aliases of one name cost seconds; no client
selects one name more than a handful of times in one selection set, so that is limited too.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

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
MAX_SAME_NAME = 10


class _TooMuch(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class _Walk:
    fragments: dict[str, FragmentDefinitionNode]
    max_depth: int
    max_fields: int
    max_introspection_depth: int
    max_same_name: int
    fields: int = 0

    def merged(self, selection_set: SelectionSetNode, seen: frozenset[str]) -> list[FieldNode]:
        """The fields one selection set stands for, fragments (inline and named) expanded."""
        fields: list[FieldNode] = []
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                self.fields += 1
                if self.fields > self.max_fields:  # counted as expanded: fragment bombs stop here
                    raise _TooMuch(f"the operation selects more than {self.max_fields} fields")
                fields.append(selection)
            elif isinstance(selection, InlineFragmentNode):
                fields.extend(self.merged(selection.selection_set, seen))
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if fragment is not None and name not in seen:  # cycles are left to validation
                    fields.extend(self.merged(fragment.selection_set, seen | {name}))
        return fields

    def visit(self, selection_set: SelectionSetNode, depth: int, introspecting: bool, seen: frozenset[str]) -> None:
        fields = self.merged(selection_set, seen)
        names = Counter((f.alias or f.name).value for f in fields)
        name, count = names.most_common(1)[0] if names else ("", 0)
        if count > self.max_same_name:
            raise _TooMuch(f"the operation selects {name!r} {count} times in one selection set "
                           f"(at most {self.max_same_name})")
        for field in fields:
            inside = introspecting or field.name.value in ("__schema", "__type")
            limit = self.max_introspection_depth if inside else self.max_depth
            if depth > limit:
                raise _TooMuch(f"the operation is nested more than {limit} levels deep")
            if field.selection_set is not None:
                self.visit(field.selection_set, depth + 1, inside, seen)


def check_limits(
    document: DocumentNode,
    max_depth: int = MAX_DEPTH,
    max_fields: int = MAX_FIELDS,
    max_introspection_depth: int = MAX_INTROSPECTION_DEPTH,
    max_same_name: int = MAX_SAME_NAME,
) -> list[GraphQLError]:
    """Depth, size and repeated names of every operation, with fragments expanded."""
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    errors: list[GraphQLError] = []
    for definition in document.definitions:
        if not isinstance(definition, OperationDefinitionNode):
            continue
        walk = _Walk(fragments, max_depth, max_fields, max_introspection_depth, max_same_name)
        try:
            walk.visit(definition.selection_set, 1, False, frozenset())
        except _TooMuch as too_much:
            errors.append(GraphQLError(too_much.message, definition))
        except RecursionError:
            errors.append(GraphQLError("the operation is nested too deeply", definition))
    return errors
