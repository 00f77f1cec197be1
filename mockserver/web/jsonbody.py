"""Reading a JSON request body with the checks both surfaces need, as 4xx API errors."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails
from starlette.requests import Request

from ..core.errors import BadUserInput, PayloadTooLarge, RequestTimeout
from ..core.text import check_strings
from .requests import first_headers

MAX_BODY = 1024 * 1024
BODY_HEADERS = frozenset({b"content-length", b"content-type"})


async def read_json(request: Request, max_bytes: int = MAX_BODY, absent: Callable[[], Any] | None = None) -> Any:
    """The parsed JSON body; with `absent`, what it makes for a request with no body at all (a
    body of JSON `null` is a body, not its absence)."""
    headers = first_headers(request.scope, BODY_HEADERS)
    length, ctype = headers.get("content-length"), headers.get("content-type")
    if length is not None and length.isdecimal() and int(length) > max_bytes:
        raise PayloadTooLarge(f"request body is larger than {max_bytes} bytes")
    body = await _read_body(request, max_bytes)
    if absent is not None and not body:
        return absent()
    media = ctype.split(";", 1)[0].strip().lower() if ctype else ""
    if media != "application/json" and not media.endswith("+json"):
        got = f"got {ctype!r}" if ctype else "none was sent"
        raise BadUserInput(f"Content-Type must be application/json ({got})", field="Content-Type")
    if not body.strip():
        raise BadUserInput("request body is empty: send a JSON object")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise BadUserInput("request body is not UTF-8") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadUserInput(
            f"malformed JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        ) from None
    except RecursionError:
        raise BadUserInput("malformed JSON: nested too deeply") from None
    except ValueError:  # Python's limit on the digits of an integer
        raise BadUserInput(f"malformed JSON: a number has more than {sys.get_int_max_str_digits()} digits") from None


async def _read_body(request: Request, max_bytes: int) -> bytes:
    """The whole body, or a 408 when the client stalls in it for longer than --client-timeout."""
    timeout = request.app.state.runtime.settings.client_timeout
    chunks: list[bytes] = []
    size = 0
    try:
        async with asyncio.timeout(timeout):
            while True:
                message = await request.receive()
                if message["type"] == "http.disconnect":
                    raise BadUserInput("the client went away before sending its whole body")
                chunk = message.get("body", b"")
                size += len(chunk)
                if size > max_bytes:
                    raise PayloadTooLarge(f"request body is larger than {max_bytes} bytes")
                chunks.append(chunk)
                if not message.get("more_body", False):
                    return chunks[0] if len(chunks) == 1 else b"".join(chunks)
    except TimeoutError:
        raise RequestTimeout(f"the request body did not arrive within {timeout:g} s") from None


def _describe(error: ErrorDetails) -> BadUserInput:
    loc = ".".join(str(p) for p in error["loc"])
    kind = error["type"]
    if kind == "extra_forbidden":
        return BadUserInput(f"unknown field {loc!r}", field=loc)
    if kind == "missing":
        return BadUserInput(f"missing required field {loc!r}", field=loc)
    if kind in ("model_type", "dict_type"):
        return BadUserInput(f"field {loc!r} must be a JSON object, not {json_kind(error['input'])}", field=loc)
    return BadUserInput(f"field {loc!r}: {error['msg']}", field=loc or None)


M = TypeVar("M", bound=BaseModel)


def json_kind(value: Any) -> str:
    """What a parsed JSON value is, as a message names it."""
    if value is None:
        return "null"
    kinds = ((bool, "a boolean"), (int | float, "a number"), (str, "a string"), (list, "an array"), (dict, "an object"))
    return next(name for kind, name in kinds if isinstance(value, kind))


def parse_body(model: type[M], data: Any) -> M:
    if not isinstance(data, dict):
        raise BadUserInput(f"request body must be a JSON object, not {json_kind(data)}")
    check_strings(data)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise _describe(exc.errors()[0]) from None
