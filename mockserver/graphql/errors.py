"""Where a GraphQL error becomes an error of the API: the one it stands for (a resolver's
`ApiError`), a `BAD_USER_INPUT` naming the input field (variable coercion), or a 500 for a
resolver that failed; in the document's format, with GraphQL's `locations` and `path`. Both
transports (HTTP and WebSocket) answer with what this gives."""

from __future__ import annotations

import logging
import re
from typing import Any

from graphql import GraphQLError

from ..core.errors import ApiError, BadUserInput, InternalServerError
from ..wire.envelope import SERVER_ERROR_MESSAGE
from .documents import locations_of

logger = logging.getLogger("mockserver.graphql")

_AT_PATH = re.compile(r"at \.([\w.\[\]]+)")  # "at .input.text"
_NAMED_FIELD = re.compile(r"field '(\w+)'")
MAX_MESSAGE = 500


def _coercion_field(message: str) -> str | None:
    """The input field a variable-coercion message is about, for `extensions.field`."""
    match = _AT_PATH.search(message)
    path = match.group(1) if match else ""
    named = _NAMED_FIELD.search(message)
    if named:
        path = f"{path}.{named.group(1)}" if path else named.group(1)
    return path or None


def _short(message: str) -> str:
    return message if len(message) <= MAX_MESSAGE else message[: MAX_MESSAGE - 3] + "..."


def format_error(error: GraphQLError, debug: bool = False) -> tuple[ApiError, dict[str, Any]]:
    """A GraphQL error as the API error it stands for, and in the document's format."""
    original = error.original_error
    if isinstance(original, ApiError):
        api_error = original
    elif error.path is None:
        api_error = BadUserInput(_short(error.message), field=_coercion_field(error.message))
    else:
        logger.error("resolver failed", exc_info=original)
        api_error = InternalServerError(SERVER_ERROR_MESSAGE)
    item = api_error.to_dict()
    locations = locations_of(error)
    if locations:
        item["locations"] = locations
    if error.path:
        item["path"] = list(error.path)
    return api_error, item

