"""GraphQL documents prepared once per distinct text (parsed, checked against the limits,
validated) for both the HTTP endpoint and the WebSocket surface, so a document fails in the same
way, with the same code, whichever way it came."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    parse,
    validate,
)

from ..core.errors import ApiError, GraphQLParseFailed, GraphQLValidationFailed
from .limits import MAX_QUERY_BYTES, check_limits
from .operations import MAX_TOKENS

# A parsed document costs about a hundred times its text in memory (tokens, nodes, locations):
# the cache holds at most 256 documents and 256,000 characters of them (some 30 MB at worst).
CACHE_SIZE = 256
CACHE_CHARS = 256_000
MAX_CACHED_QUERY = 16_000
MAX_ANONYMOUS_QUERY = 8_000  # explorers' full introspection query is under 3,000 characters


@dataclass(frozen=True, slots=True)
class Prepared:
    document: DocumentNode | None
    errors: tuple[ApiError, ...]


def locations_of(error: GraphQLError) -> list[dict[str, int]] | None:
    if not error.locations:
        return None
    return [{"line": loc.line, "column": loc.column} for loc in error.locations]


def _unlink_tokens(document: DocumentNode) -> None:
    """A parsed document's tokens form a doubly linked list: a cycle that only the garbage
    collector's rare full collections would free once the document has lived in the cache.
    Unlinked, the document is freed as soon as the cache lets go of it."""
    token = document.loc.start_token if document.loc is not None else None
    while token is not None:
        following = token.next
        token.prev = token.next = None
        token = following


def is_introspection_only(operation: OperationDefinitionNode) -> bool:
    for selection in operation.selection_set.selections:
        if not isinstance(selection, FieldNode) or not selection.name.value.startswith("__"):
            return False
    return True


class Documents:
    def __init__(self, schema: GraphQLSchema) -> None:
        self.schema = schema
        self._cache: OrderedDict[str, Prepared] = OrderedDict()
        self._cached_chars = 0

    def prepare(self, query: str) -> Prepared:
        """Parse and validate once per distinct query text: clients resend the same few."""
        prepared = self._cache.get(query)
        if prepared is not None:
            self._cache.move_to_end(query)
            return prepared
        if len(query) > MAX_QUERY_BYTES:
            return Prepared(None, (GraphQLValidationFailed(f"the query is longer than {MAX_QUERY_BYTES} characters"),))
        try:
            document = parse(query, max_tokens=MAX_TOKENS)
        except GraphQLError as error:
            prepared = Prepared(None, (GraphQLParseFailed(error.message, locations=locations_of(error)),))
        else:
            errors = check_limits(document) or validate(self.schema, document)
            prepared = Prepared(
                None if errors else document,
                tuple(GraphQLValidationFailed(e.message, locations=locations_of(e)) for e in errors),
            )
        if len(query) <= MAX_CACHED_QUERY:
            self._cache[query] = prepared
            self._cached_chars += len(query)
            while len(self._cache) > CACHE_SIZE or self._cached_chars > CACHE_CHARS:
                evicted, old = self._cache.popitem(last=False)
                self._cached_chars -= len(evicted)
                if old.document is not None:
                    _unlink_tokens(old.document)
        return prepared

    def anonymous_may_run(self, query: str) -> bool:
        """Without a key only introspection runs: a small document, parsed (not validated) to see
        that every operation in it only introspects. Anything else is refused unread."""
        if query in self._cache:
            return True  # prepared before: what it costs is paid; the operation is checked below
        if len(query) > MAX_ANONYMOUS_QUERY:
            return False
        try:
            document = parse(query, max_tokens=MAX_TOKENS)
        except GraphQLError:
            return True  # answered as a parse error, at no further cost
        operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        return all(is_introspection_only(o) for o in operations)
