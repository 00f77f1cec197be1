"""What stands in front of the API and media routes, as route middleware: injected faults, then
the admission step (authenticate, count, rate-limit headers, idempotency) for the API.

Both run inside Starlette's exception handling, so they refuse a request by raising an
`ApiError`, answered like any other by `web.errors`. Every answer to an admitted request, success
or error, leaves through `Admitted`, which adds the rate-limit headers once for both surfaces.
"""

from __future__ import annotations

import asyncio

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..core.accounts import api_key
from ..core.admission import Caller
from ..core.emulator import Emulator
from ..core.errors import ApiError
from ..core.faults import RequestInfo
from ..core.runtime import Runtime
from ..graphql.operations import names_in_body
from .jsonbody import MAX_BODY


class Faulted:
    """The next N matching requests get the injected fault's error or latency."""

    def __init__(self, app: ASGIApp, runtime: Runtime, surface: str) -> None:
        self.app = app
        self.runtime = runtime
        self.surface = surface

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        faults = self.runtime.emulator.faults
        if scope["type"] != "http" or not faults:
            await self.app(scope, receive, send)
            return
        operations: frozenset[str] = frozenset()
        if self.surface == "graphql" and faults.needs_operation:
            body, receive = await _buffer(receive, MAX_BODY)
            operations = names_in_body(body)
        key = api_key(Headers(scope=scope))
        info = RequestInfo(scope["method"], scope["path"], self.surface, key, operations)
        fault = self.runtime.emulator.take_fault(info)
        if fault is None:
            await self.app(scope, receive, send)
            return
        scope.setdefault("state", {})["fault"] = fault.id
        if fault.latency:
            await asyncio.sleep(fault.latency)
        error = fault.error()
        if error is not None:
            raise error
        await self.app(scope, receive, send)


async def _buffer(receive: Receive, limit: int) -> tuple[bytes, Receive]:
    """Up to `limit` bytes of the body now (a fault may match on it), replayed to the app; the
    rest, if any, is left for the app to read (and refuse) as it comes."""
    messages: list[Message] = []
    body = bytearray()
    while len(body) <= limit:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            break
        body.extend(message.get("body", b""))
        if not message.get("more_body"):
            break

    async def replay() -> Message:
        if messages:
            return messages.pop(0)
        return await receive()

    return bytes(body), replay


class Admitted:
    """The admission step for REST and GraphQL over HTTP.

    With `anonymous`, a request without any key goes on with no caller (GraphQL lets it
    introspect); a wrong key is refused all the same.
    """

    def __init__(self, app: ASGIApp, runtime: Runtime, anonymous: bool = False) -> None:
        self.app = app
        self.runtime = runtime
        self.anonymous = anonymous

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        emulator = self.runtime.emulator
        headers = Headers(scope=scope)
        key = api_key(headers)
        state = scope.setdefault("state", {})
        if key is None and self.anonymous:
            state["caller"] = None
            await self.app(scope, receive, send)
            return
        caller = emulator.admit(key, headers.get("idempotency-key"))
        state["caller"] = caller

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                extra = _headers(emulator, caller)
                message["headers"] = [
                    *message.get("headers", ()),
                    *((name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in extra.items()),
                ]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except (ApiError, HTTPException) as exc:
            # Answered further out (a 404 or 405 of the router, say): it leaves with the headers too.
            exc.headers = {**(exc.headers or {}), **_headers(emulator, caller)}
            raise


def _headers(emulator: Emulator, caller: Caller) -> dict[str, str]:
    headers = emulator.rate_headers(caller.account)
    if caller.replayed:
        headers["Idempotent-Replayed"] = "true"
    return headers
