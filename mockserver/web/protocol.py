"""uvicorn's HTTP/1.1 protocol (h11) with two guards a server exposed to any client needs.

- A request whose head uvicorn cannot parse gets the document's error format (431 when the
  headers are larger than `MAX_HEAD_BYTES`, 400 otherwise), not uvicorn's plain-text 400.
- A client that opens a connection and sends its request head slowly is answered 408 and
  disconnected after `--client-timeout` seconds; one that sends nothing at all is disconnected.
  No client holds a connection forever.

h11's `trailing_data` and uvicorn's `send_400_response` are not public API; tests pin both
(tests/test_dependencies.py).
"""

from __future__ import annotations

import asyncio
import gc
import json
from http import HTTPStatus
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from ..core.errors import ApiError, BadUserInput, HeadersTooLarge, RequestTimeout, error_body
from ..settings import Settings
from .requests import ENDLESS_STREAM

MAX_HEAD_BYTES = 32 * 1024


def _headers_too_large_error() -> HeadersTooLarge:
    return HeadersTooLarge(f"request headers are larger than {MAX_HEAD_BYTES} bytes")


class MockH11Protocol(H11Protocol):
    client_timeout: float  # set by `uvicorn_options` on a subclass per server

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_head_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self.conn.their_state is h11.IDLE and self._head_too_large(data):
            self._send_error(_headers_too_large_error())
            return
        super().data_received(data)
        if self.conn.their_state is not h11.IDLE:
            self._cancel_head_timer()
        elif self._head_timer is None:
            self._arm_head_timer()

    def _head_too_large(self, data: bytes) -> bool:
        """h11 only limits a head still incomplete; this also catches one complete but too large."""
        pending = self.conn.trailing_data[0]
        if len(pending) + len(data) <= MAX_HEAD_BYTES:
            return False
        buffered = pending + data
        return buffered.find(b"\r\n\r\n", 0, MAX_HEAD_BYTES + 4) == -1

    def shutdown(self) -> None:
        """At server shutdown a response that streams until the client leaves (the event stream)
        is told to end, and ends cleanly; one that cannot (its client stopped reading) has its
        connection closed half a second later. The client reconnects to the next server, and
        this one need not wait out its graceful-shutdown timeout."""
        super().shutdown()
        cycle = self.cycle
        if cycle is None or cycle.response_complete:
            return
        end = cycle.scope.get("state", {}).get(ENDLESS_STREAM)
        if end is None:
            return
        end()
        self.loop.call_later(0.5, self._close_unfinished, cycle)

    def _close_unfinished(self, cycle: Any) -> None:
        if not cycle.response_complete and not self.transport.is_closing():
            self.transport.close()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm_head_timer()

    def _arm_head_timer(self) -> None:
        self._cancel_head_timer()
        self._head_timer = self.loop.call_later(self.client_timeout, self._head_timed_out)

    def _cancel_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self.transport.is_closing() or self.conn.their_state is not h11.IDLE:
            return
        if self.conn.our_state is not h11.IDLE:
            return
        if not self.conn.trailing_data[0]:
            # Nothing sent at all (a keep-alive connection is closed sooner by uvicorn itself).
            self.transport.close()
            return
        self._send_error(RequestTimeout(f"the request head did not arrive within {self.client_timeout:g} s"))

    def send_400_response(self, msg: str) -> None:
        buffered = len(self.conn.trailing_data[0])
        if buffered > MAX_HEAD_BYTES:
            error: ApiError = _headers_too_large_error()
        else:
            error = BadUserInput("malformed HTTP request: the request line or a header could not be parsed")
        self._send_error(error)

    def _send_error(self, error: ApiError) -> None:
        """Write the error as a whole response on the raw connection, then close it."""
        self._cancel_head_timer()
        body = json.dumps(error_body(error), separators=(",", ":")).encode()
        head = (
            f"HTTP/1.1 {error.status} {HTTPStatus(error.status).phrase}\r\n"
            f"content-type: application/json\r\ncontent-length: {len(body)}\r\nconnection: close\r\n\r\n"
        ).encode()
        self.transport.write(head + body)
        self.transport.close()


def tune_gc() -> None:
    """Fewer, cheaper garbage collections for a long-running server.

    What is alive at start-up (modules, schema, fixtures) is frozen out of every collection, and
    young collections are rarer. Full collections, which walk every job in memory, stay frequent
    enough that cyclic garbage cannot pile up: with (7000, 20, 100) a stream of unique GraphQL
    documents took the server from 50 to 240 MB; with (7000, 10, 10) it stays under 100 MB.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(7_000, 10, 10)


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """How every mock server is served: the CLI and the pytest plugin's background server."""
    protocol = type("MockH11Protocol", (MockH11Protocol,), {"client_timeout": settings.client_timeout})
    return {
        "http": protocol,
        "h11_max_incomplete_event_size": MAX_HEAD_BYTES,
        "timeout_keep_alive": 5,
        "timeout_graceful_shutdown": 3,
    }
