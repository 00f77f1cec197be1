"""The names a GraphQL request goes by: its operation name and root fields, e.g. `Generate,generate`.

The journal records them and faults match on them.
"""

from __future__ import annotations

import json
from typing import Any

from graphql import GraphQLError, OperationDefinitionNode, parse
from graphql.language import FieldNode

MAX_TOKENS = 20_000


def operation_names(operation: OperationDefinitionNode) -> frozenset[str]:
    names = {operation.name.value} if operation.name is not None else set()
    names.update(s.name.value for s in operation.selection_set.selections if isinstance(s, FieldNode))
    return frozenset(names)


def joined(names: frozenset[str]) -> str | None:
    return ",".join(sorted(names)) or None


def names_in_body(body: bytes) -> frozenset[str]:
    """Every operation's names in a request body, best effort (an unparsable body has none)."""
    try:
        data = json.loads(body)
    except ValueError:
        return frozenset()
    return names_in(data)


def names_in(data: Any) -> frozenset[str]:
    """Every operation's names in a request's payload (`query`, `operationName`), best effort."""
    try:
        names = {data["operationName"]} if isinstance(data.get("operationName"), str) else set()
        document = parse(data["query"], max_tokens=MAX_TOKENS)
    except (ValueError, TypeError, KeyError, AttributeError, GraphQLError, RecursionError):
        return frozenset()
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            names.update(operation_names(definition))
    return frozenset(names)
