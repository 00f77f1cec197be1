"""How uvicorn serves the mock: its HTTP/1.1 protocols (httptools where it is installed, else h11)
with the guards a server exposed to any client needs, the same on both.

- A request whose head cannot be parsed gets the document's error format (431 when the head is
  larger than `MAX_HEAD_BYTES`, 400 otherwise), not uvicorn's plain-text 400.
- A client that opens a connection and sends its request head slowly is answered 408 and
  disconnected after `--client-timeout` seconds; one that sends nothing at all is disconnected.
  No client holds a connection forever.
- At shutdown, a response that streams until its client leaves (the event stream) is told to
  end, and cut off half a second later if its client stopped reading.
- An answer given before the request's body was read (a 413, a 408 in the body) is the last on
  its connection, and the rest of the body is never parsed as a request head. The connection is
  half-closed rather than closed (`LingeringTransport`): closing a socket with unread data makes
  the kernel send a reset, which can destroy the answer before the client has read it.

uvicorn's `send_400_response`, h11's `trailing_data` and the httptools protocol's parser callbacks
are not public API; tests pin each (tests/test_dependencies.py).
"""

from __future__ import annotations

import asyncio
import gc
import importlib.util
from http import HTTPStatus
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from ..core.errors import ApiError, BadUserInput, HeadersTooLarge, RequestTimeout
from ..settings import Settings
from ..wire.envelope import JSON, envelope
from .requests import ENDLESS_STREAM

MAX_HEAD_BYTES = 32 * 1024
LINGER_SECONDS = 2.0
LINGER_BYTES = 16 * 1024 * 1024


class LingeringTransport:
    """The connection's transport, except that closing it while the client is still sending a
    body the server will not read half-closes it instead: the answer goes out with a FIN after
    it, and what the client goes on sending is read and dropped (`Guards._drop`). It closes for
    good when the client does, after LINGER_SECONDS, or after LINGER_BYTES."""

    def __init__(self, transport: asyncio.Transport, protocol: Guards) -> None:
        self._transport = transport
        self._protocol = protocol

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)

    def is_closing(self) -> bool:
        return self._protocol.lingering or self._transport.is_closing()

    def close(self) -> None:
        protocol = self._protocol
        owner: object = self._transport.get_protocol()  # after an upgrade, the WebSocket protocol
        if (protocol.lingering or self._transport.is_closing() or not self._transport.can_write_eof()
                or owner is not protocol or not protocol.body_unread()):
            self._transport.close()
            return
        protocol.lingering = True
        self._transport.write_eof()
        self._transport.resume_reading()
        protocol.loop.call_later(LINGER_SECONDS, self._transport.close)


class Guards:
    """What both protocols add; each says how its parser tells where a request head stands."""

    client_timeout: float  # set by `uvicorn_options` on a subclass per server
    transport: asyncio.Transport
    loop: asyncio.AbstractEventLoop
    cycle: Any

    _head_timer: asyncio.TimerHandle | None = None
    _socket: asyncio.Transport  # the connection's own transport, under `LingeringTransport`
    lingering = False
    _dropped = 0

    def _awaiting_head(self) -> bool:
        raise NotImplementedError

    def body_unread(self) -> bool:
        """A request's body is still coming and no one will read it now."""
        raise NotImplementedError

    def _drop(self, data: bytes) -> None:
        """What a client sends after the connection's last answer: read, counted, dropped."""
        self._dropped += len(data)
        if self._dropped > LINGER_BYTES:
            self._socket.close()

    def _head_bytes(self) -> int:
        """Bytes of a request head received so far (0: none yet)."""
        raise NotImplementedError

    def _arm_head_timer(self) -> None:
        self._cancel_head_timer()
        self._head_timer = self.loop.call_later(self.client_timeout, self._head_timed_out)

    def _cancel_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self.transport.is_closing() or not self._awaiting_head():
            return
        if not self._head_bytes():
            # Nothing sent at all (a keep-alive connection is closed sooner by uvicorn itself).
            self.transport.close()
            return
        self._send_error(RequestTimeout(f"the request head did not arrive within {self.client_timeout:g} s"))

    def _parse_error(self) -> ApiError:
        if self._head_bytes() > MAX_HEAD_BYTES:
            return _headers_too_large()
        return BadUserInput("malformed HTTP request: the request line or a header could not be parsed")

    def _send_error(self, error: ApiError) -> None:
        """Write the error as a whole response on the raw connection, then close it."""
        self._cancel_head_timer()
        answer = envelope([error])
        body = answer.encoded()
        headers = {name: value for name, value in answer.headers.items() if name.lower() != "connection"}
        extra = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        head = (
            f"HTTP/1.1 {answer.status} {HTTPStatus(answer.status).phrase}\r\n"
            f"content-type: {JSON}\r\ncontent-length: {len(body)}\r\n{extra}connection: close\r\n\r\n"
        ).encode()
        self.transport.write(head + body)
        self.transport.close()

    def _end_endless_stream(self) -> None:
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

    # Overrides of the protocol's own methods (Guards comes first in both classes' bases).

    def connection_made(self, transport: asyncio.Transport) -> None:
        self._socket = transport
        super().connection_made(LingeringTransport(transport, self))  # type: ignore[misc]

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_head_timer()
        super().connection_lost(exc)  # type: ignore[misc]

    def send_400_response(self, msg: str) -> None:
        self._send_error(self._parse_error())

    def shutdown(self) -> None:
        super().shutdown()  # type: ignore[misc]
        self._end_endless_stream()


def _headers_too_large() -> HeadersTooLarge:
    return HeadersTooLarge(f"request headers are larger than {MAX_HEAD_BYTES} bytes")


def _head_too_large(pending: bytes | bytearray, data: bytes) -> bool:
    """Past the limit without the blank line that ends a head (a complete but huge head too)."""
    if len(pending) + len(data) <= MAX_HEAD_BYTES:
        return False
    buffered = bytes(pending) + data
    return buffered.find(b"\r\n\r\n", 0, MAX_HEAD_BYTES + 4) == -1


class MockH11Protocol(Guards, H11Protocol):
    def _awaiting_head(self) -> bool:
        return self.conn.their_state is h11.IDLE and self.conn.our_state is h11.IDLE

    def _head_bytes(self) -> int:
        return len(self.conn.trailing_data[0])

    def body_unread(self) -> bool:
        return self.conn.their_state is h11.SEND_BODY

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_head_timer()

    def data_received(self, data: bytes) -> None:
        if self.lingering:
            self._drop(data)
            return
        if self.conn.their_state is h11.IDLE and _head_too_large(self.conn.trailing_data[0], data):
            self._send_error(_headers_too_large())
            return
        super().data_received(data)
        if self.conn.their_state is not h11.IDLE:
            self._cancel_head_timer()
        elif self._head_timer is None:
            self._arm_head_timer()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm_head_timer()



def _httptools_protocol() -> type:
    """The httptools protocol with the same guards; built only where httptools is installed."""
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    class MockHttpToolsProtocol(Guards, HttpToolsProtocol):
        # While a head arrives (or none has begun since the last answer), its bytes are kept, at
        # most MAX_HEAD_BYTES and a little: httptools only reports a head once it is complete.
        # While a body arrives, no head does, even once the request has been answered.
        _in_head = False
        _in_body = False
        _head: bytearray

        def _awaiting_head(self) -> bool:
            if self._in_head:
                return True
            return not self._in_body and (self.cycle is None or self.cycle.response_complete)

        def _head_bytes(self) -> int:
            return len(self._head)

        def body_unread(self) -> bool:
            return self._in_body

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            self._head = bytearray()
            super().connection_made(transport)
            self._arm_head_timer()

        def data_received(self, data: bytes) -> None:
            if self.lingering:
                self._drop(data)
                return
            if self._awaiting_head():
                if _head_too_large(self._head, data):
                    self._send_error(_headers_too_large())
                    return
                self._head.extend(data[: MAX_HEAD_BYTES + 4])
            super().data_received(data)

        def on_message_begin(self) -> None:
            self._in_head = True
            super().on_message_begin()

        def on_headers_complete(self) -> None:
            self._in_head = False
            self._in_body = True
            self._head.clear()
            self._cancel_head_timer()
            super().on_headers_complete()

        def on_message_complete(self) -> None:
            self._in_body = False
            super().on_message_complete()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if not self.transport.is_closing() and self._awaiting_head():
                self._arm_head_timer()


    return MockHttpToolsProtocol


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


def installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def http_implementation(settings: Settings) -> str:
    if settings.http == "auto":
        return "httptools" if installed("httptools") else "h11"
    return settings.http


def loop_implementation(settings: Settings) -> str:
    if settings.loop == "auto":
        return "uvloop" if installed("uvloop") else "asyncio"
    return settings.loop


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """How every mock server is served: the CLI and the pytest plugin's background server."""
    base = _httptools_protocol() if http_implementation(settings) == "httptools" else MockH11Protocol
    protocol = type(base.__name__, (base,), {"client_timeout": settings.client_timeout})
    return {
        "http": protocol,
        "loop": loop_implementation(settings),
        "h11_max_incomplete_event_size": MAX_HEAD_BYTES,
        "timeout_keep_alive": 5,
        "timeout_graceful_shutdown": 3,
    }
