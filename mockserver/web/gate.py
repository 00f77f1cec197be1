"""What stands in front of the API and media routes, as one route middleware: the one
admission step every surface takes (`core.api.Api.admit`: an injected fault, else authenticate
and count), then the rate-limit headers and `Idempotent-Replayed` on the answer.

It runs inside Starlette's exception handling, so it refuses a request by raising an `ApiError`,
answered like any other by `web.errors`. Every answer to an admitted request, success or error,
leaves through it, and gets the rate-limit headers once for both surfaces.
"""

from __future__ import annotations

import asyncio

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..core.accounts import api_key
from ..core.admission import Caller
from ..core.api import Api
from ..core.errors import ApiError, RequestTimeout
from ..core.faults import RequestInfo
from ..core.runtime import Runtime
from .jsonbody import MAX_BODY
from .requests import first_headers

WANTED = frozenset({b"x-api-key", b"authorization", b"idempotency-key"})


class Gate:
    """`admit`: the API (REST, GraphQL over HTTP); without it, faults only (media).

    With `anonymous`, a request without any key goes on with no caller (GraphQL lets it
    introspect); a wrong key is refused all the same.
    """

    def __init__(
        self, app: ASGIApp, runtime: Runtime, surface: str, admit: bool = True, anonymous: bool = False
    ) -> None:
        self.app = app
        self.runtime = runtime
        self.surface = surface
        self.admit = admit
        self.anonymous = anonymous

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        emulator = self.runtime.emulator
        api = emulator.api
        headers = first_headers(scope, WANTED)
        key = api_key(headers)
        operations: frozenset[str] = frozenset()
        if self.surface == "graphql" and api.faults_need_operation:
            receive, operations = await self._operations(receive)
        request = RequestInfo(scope["method"], scope["path"], self.surface, key, operations)
        state = scope.setdefault("state", {})
        state["emulator"] = emulator
        admitted = await api.admit(
            request, headers.get("idempotency-key"), anonymous=self.anonymous, counted=self.admit
        )
        if admitted.fault is not None:
            state["fault"] = admitted.fault.id
        if admitted.refusal is not None:
            raise admitted.refusal
        caller = admitted.caller
        state["caller"] = caller
        if caller is None:
            await self.app(scope, receive, send)
            return

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                extra = _headers(api, caller)
                if extra:
                    message["headers"] = [
                        *message.get("headers", ()),
                        *((name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in extra.items()),
                    ]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except (ApiError, HTTPException) as exc:
            # Answered further out (a 404 or 405 of the router, say): it leaves with the headers too.
            exc.headers = {**(exc.headers or {}), **_headers(api, caller)}
            raise

    async def _operations(self, receive: Receive) -> tuple[Receive, frozenset[str]]:
        """A fault may match on the GraphQL operation: the body is read now (replayed to the
        app), within the client timeout."""
        from ..graphql.operations import names_in_body  # graphql-core: loaded off the start-up path

        timeout = self.runtime.settings.client_timeout
        try:
            async with asyncio.timeout(timeout):
                body, receive = await _buffer(receive, MAX_BODY)
        except TimeoutError:
            raise RequestTimeout(f"the request body did not arrive within {timeout:g} s") from None
        return receive, names_in_body(body)


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


def _headers(api: Api, caller: Caller) -> dict[str, str]:
    headers = api.rate_headers(caller.account)
    if caller.replayed:
        headers["Idempotent-Replayed"] = "true"
    return headers
