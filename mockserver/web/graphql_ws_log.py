"""GraphQL over WebSocket in the request journal, so a subscription a client opened shows up like
an HTTP request does (surface `websocket`, path `/graphql`):

- `SUBSCRIBE`: an operation the client started (`subscribe`, or the legacy `start`), with its
  query, variables and operation name as the body; status 200 when it runs, else the status of
  the error it was refused with (the error is the response body);
- `COMPLETE`: that operation's end, whoever ended it: the server (the job reached its final
  state), the client (`complete` or `stop`) or the connection closing. Its latency is how long
  the operation ran, its response body `{"endedBy", "messages", "last"}`: who ended it, how many
  results were sent and the last message's payload; its status that of the last error, if the
  operation ended with one, else 200;
- `CONNECT`: a connection refused (a bad key, or no protocol the server speaks).

The entries keep the upgrade request's headers (credentials masked when read) and its query
string with an `apiKey` masked.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from typing import Any, Final

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..core.errors import ApiError, status_of
from ..core.journal import MAX_BODY, mask
from ..core.runtime import Runtime

SURFACE: Final = "websocket"
PATH = "/graphql"
SOCKET_LOG = "socket_log"  # the connection's SocketLog, in its scope's state
# Messages that end an operation, by whom they come from.
CLIENT_ENDS = frozenset(("complete", "stop"))
SERVER_ENDS = frozenset(("complete",))
RESULTS = frozenset(("next", "data"))
_API_KEY = re.compile(r"(?i)(^|&)(apikey=)([^&]*)")


@dataclass
class _Running:
    started: float
    body: bytes
    body_size: int
    operation: str | None
    key: str | None
    messages: int = 0
    last: Any = None
    status: int = 200


def _encoded(data: Any) -> tuple[bytes, int]:
    """A message as the journal keeps a body: its first MAX_BODY + 1 bytes, and its size."""
    raw = json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()
    return raw[: MAX_BODY + 1], len(raw)


def _status(payload: Any) -> int | None:
    """The status of the first error in a message's payload (a list of errors, or a result's)."""
    errors = payload.get("errors") if isinstance(payload, dict) else payload
    if isinstance(payload, dict) and "message" in payload and errors is None:
        errors = [payload]  # the legacy protocol's `error` carries one error
    if not isinstance(errors, list) or not errors or not isinstance(errors[0], dict):
        return None
    code = (errors[0].get("extensions") or {}).get("code")
    return status_of(code) if isinstance(code, str) else 400


class SocketLog:
    """One connection's operations, as journal entries."""

    def __init__(self, runtime: Runtime, scope: Scope) -> None:
        self.runtime = runtime
        self.scope = scope
        self.running: dict[str, _Running] = {}
        self.query = _API_KEY.sub(lambda m: m.group(1) + m.group(2) + mask(m.group(3)),
                                  scope.get("query_string", b"").decode("latin-1"))

    def _record(self, method: str, *, at: float, key: str | None, status: int, latency_ms: float,
                body: bytes = b"", body_size: int = 0, operation: str | None = None,
                response: Any = None) -> None:
        raw_response, response_size = _encoded(response) if response is not None else (b"", 0)
        self.runtime.observe.record(
            at=at, method=method, path=PATH, query=self.query, surface=SURFACE, operation=operation, key=key,
            status=status, latency_ms=latency_ms, raw_body=body, fault=None,
            raw_headers=tuple(self.scope.get("headers", ())),
            raw_response_headers=((b"content-type", b"application/json"),) if response is not None else (),
            raw_response_body=raw_response, response_size=response_size, body_size=body_size,
        )

    def refused_connection(self, key: str | None, error: ApiError) -> None:
        self._record("CONNECT", at=self.runtime.observe.now(key), key=key, status=error.status, latency_ms=0.0,
                     response={"errors": [error.to_dict()]})

    def subscribed(self, operation_id: str, data: Any, key: str | None, operation: str | None,
                   errors: list[ApiError]) -> None:
        """An operation the client started: running (no errors), or refused with `errors`."""
        body, size = _encoded(data)
        at = self.runtime.observe.now(key)  # on the account's own clock, if it has one
        if errors:
            self._record("SUBSCRIBE", at=at, key=key, status=errors[0].status, latency_ms=0.0, body=body,
                         body_size=size, operation=operation, response={"errors": [e.to_dict() for e in errors]})
            return
        self._record("SUBSCRIBE", at=at, key=key, status=200, latency_ms=0.0, body=body, body_size=size,
                     operation=operation)
        self.running[operation_id] = _Running(time.perf_counter(), body, size, operation, key)

    def received(self, message: Message) -> None:
        if self.running:
            data = _message(message)
            if data is not None and data.get("type") in CLIENT_ENDS:
                self._end(str(data.get("id")), "client")

    def sent(self, message: Message) -> None:
        if not self.running:
            return
        data = _message(message)
        if data is None:
            return
        running = self.running.get(str(data.get("id")))
        if running is None:
            return
        kind = data.get("type")
        payload = data.get("payload")
        if kind in RESULTS or kind == "error":
            running.messages += kind in RESULTS
            running.last = payload
            running.status = _status(payload) or running.status
        if kind == "error" or kind in SERVER_ENDS:
            self._end(str(data.get("id")), "server")

    def closed(self) -> None:
        for operation_id in list(self.running):
            self._end(operation_id, "disconnect")

    def _end(self, operation_id: str, by: str) -> None:
        running = self.running.pop(operation_id, None)
        if running is None:
            return
        self._record("COMPLETE", at=self.runtime.observe.now(running.key), key=running.key, status=running.status,
                     latency_ms=(time.perf_counter() - running.started) * 1000, body=running.body,
                     body_size=running.body_size, operation=running.operation,
                     response={"endedBy": by, "messages": running.messages, "last": running.last})


def _message(message: Message) -> dict[str, Any] | None:
    text = message.get("text")
    if text is None:
        text = (message.get("bytes") or b"").decode("utf-8", "replace")
    if '"id"' not in text:
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


class Journaled:
    """ASGI wrapper of the WebSocket app: gives each connection its SocketLog (in the scope's
    state, for the handlers) and shows it every message both ways."""

    def __init__(self, app: ASGIApp, runtime: Runtime) -> None:
        self.app = app
        self.runtime = runtime

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        log = SocketLog(self.runtime, scope)
        scope.setdefault("state", {})[SOCKET_LOG] = log

        async def receiving() -> Message:
            message = await receive()
            if message["type"] == "websocket.receive":
                log.received(message)
            return message

        async def sending(message: Message) -> None:
            if message["type"] == "websocket.send":
                log.sent(message)
            await send(message)

        try:
            await self.app(scope, receiving, sending)
        finally:
            log.closed()
