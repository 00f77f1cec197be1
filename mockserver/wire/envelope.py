"""The one place an error becomes an answer: its HTTP status, its headers and its body in the
document's format, `{"errors": [{"message", "extensions": {"code", ...}}]}`.

Every transport only writes out what `envelope` gives: Starlette's handlers (REST, control API,
media), GraphQL over HTTP, the WebSocket refusal before the upgrade, the raw protocol's 400, 408
and 431, and the Host guard. A WebSocket frame carries the same items (`item`), with the
protocol's own framing around them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from ..core.errors import ApiError

SERVER_ERROR_MESSAGE = "Internal server error, please retry"
JSON = "application/json"


@dataclass(frozen=True, slots=True)
class Envelope:
    status: int
    headers: dict[str, str]
    body: dict[str, Any]

    def encoded(self) -> bytes:
        try:
            return orjson.dumps(self.body)
        except (TypeError, orjson.JSONEncodeError):  # a string that is not valid Unicode: escaped
            return json.dumps(self.body, separators=(",", ":")).encode()


def item(error: ApiError) -> dict[str, Any]:
    """One error in the document's format."""
    return error.to_dict()


def envelope(
    errors: Sequence[ApiError], items: Sequence[dict[str, Any]] | None = None, data: dict[str, Any] | None = None
) -> Envelope:
    """The answer to `errors`: the status and headers of the first (Retry-After, for one), and
    the errors as `items` say them (GraphQL adds `locations` and `path`) or as they are. With
    `data` that holds something (part of a GraphQL operation happened), it is a 200 that carries
    it: a client retrying the "failure" would do that part again."""
    first = errors[0]
    body: dict[str, Any] = {"errors": list(items) if items is not None else [item(e) for e in errors]}
    if data is not None and any(value is not None for value in data.values()):
        body["data"] = data
        return Envelope(200, {}, body)
    return Envelope(first.status, dict(first.headers), body)
