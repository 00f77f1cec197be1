"""Real local HTTP endpoints that record webhook deliveries, for tests (ours and users').

A `ReceiverHub` is one uvicorn server in a background thread; each `WebhookReceiver` is a
mailbox at a path of its own on it, so a test suite starts one server and gives every test its
own receiver (a test never sees another's deliveries) at the cost of a dictionary entry. A
receiver keeps every request's raw body and headers, checks the signature when it knows the
secret, and can be told how to answer (a status sequence, or hanging for a while) to exercise
the mock's retries. Used on its own (`with WebhookReceiver() as r:`) it starts a hub of its own.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..core.signing import verify_signature
from .threaded_server import ThreadedServer

# Told a delivery that `wait` is about to return, and the seconds left: waits until the mock has
# recorded that attempt's outcome (the pytest plugin's handles do this through the control API).
Confirm = Callable[["ReceivedDelivery", float], None]


@dataclass
class ReceivedDelivery:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    status: int
    received_at: float
    verified: bool | None = None

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def signature(self) -> str | None:
        return self.headers.get("x-doitong-signature")


@dataclass
class _Script:
    statuses: deque[int] = field(default_factory=deque)
    default_status: int = 200
    hang_seconds: float = 0.0
    hang_count: int = 0


class WebhookReceiver:
    def __init__(
        self, secret: str | None = None, host: str = "127.0.0.1", path: str = "/webhook", confirm: Confirm | None = None
    ) -> None:
        self.secret = secret
        self.host = host
        self.path = path
        self.confirm = confirm
        self.deliveries: list[ReceivedDelivery] = []
        self.in_flight = 0
        self.port = 0
        self._handed_out = 0
        self._script = _Script()
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        self._own_hub: ReceiverHub | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}{self.path}"

    def respond_with(self, *statuses: int, then: int = 200) -> None:
        """Answer the next requests with these statuses, then with `then`."""
        with self._lock:
            self._script.statuses = deque(statuses)
            self._script.default_status = then

    def hang(self, seconds: float, count: int = 1_000_000) -> None:
        """Hold the next `count` requests for `seconds` before answering."""
        with self._lock:
            self._script.hang_seconds = seconds
            self._script.hang_count = count

    def clear(self) -> None:
        with self._lock:
            self.deliveries.clear()
            self._handed_out = 0
            self._script = _Script()

    def wait(self, timeout: float = 5.0, count: int | None = None) -> ReceivedDelivery:
        """The next delivery that `wait` has not returned yet, or with `count`, the count-th.

        A delivery that arrived before the call counts: tests trigger one (`advance`) and then
        wait for it, and the mock may well be faster than the test. With a `confirm` (the pytest
        plugin sets one), it returns only once the mock has recorded that attempt's outcome, so
        the delivery log read next shows it.
        """
        deadline = time.monotonic() + timeout
        with self._arrived:
            target = count if count is not None else self._handed_out + 1
            while len(self.deliveries) < target:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(
                        f"waited {timeout:g} s for webhook delivery #{target}; got {len(self.deliveries)}"
                    )
                self._arrived.wait(remaining)
            self._handed_out = max(self._handed_out, target)
            delivery = self.deliveries[target - 1]
        if self.confirm is not None:
            self.confirm(delivery, max(deadline - time.monotonic(), 0.0))
        return delivery

    async def receive(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """Take one request: read it, answer as scripted, record it."""
        body = bytearray()
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        with self._lock:
            script = self._script
            status = script.statuses.popleft() if script.statuses else script.default_status
            hang = script.hang_seconds if script.hang_count > 0 else 0.0
            if hang:
                script.hang_count -= 1
            self.in_flight += 1
        try:
            if hang:
                await asyncio.sleep(hang)
        finally:
            with self._lock:
                self.in_flight -= 1
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        delivery = ReceivedDelivery(
            method=scope["method"],
            path=scope["path"],
            headers=headers,
            body=bytes(body),
            status=status,
            received_at=time.time(),
            verified=verify_signature(self.secret, bytes(body), headers.get("x-doitong-signature"))
            if self.secret
            else None,
        )
        # Kept before it is answered: once the mock has the answer, the delivery is here.
        with self._arrived:
            self.deliveries.append(delivery)
            self._arrived.notify_all()
        await _answer(send, status, b'{"received": true}')

    def start(self) -> WebhookReceiver:
        """On its own: a hub of its own that sends every path here."""
        self._own_hub = ReceiverHub(self.host, port=self.port).start()
        self._own_hub.attach(self, catch_all=True)
        return self

    def stop(self) -> None:
        if self._own_hub is not None:
            self._own_hub.stop()
            self._own_hub = None

    def __enter__(self) -> WebhookReceiver:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class ReceiverHub:
    """One server for many receivers, each at `/webhook/<token>`: starting a receiver for a test
    costs a dictionary entry, not a server (about 170 ms each)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self.port = port
        self._receivers: dict[str, WebhookReceiver] = {}
        self._catch_all: WebhookReceiver | None = None
        self._server = ThreadedServer(self, host=host, port=port, lifespan="on")

    def start(self) -> ReceiverHub:
        self._server.start()
        self.port = self._server.port
        return self

    def stop(self) -> None:
        self._server.stop()

    def open(self, secret: str | None = None, confirm: Confirm | None = None) -> WebhookReceiver:
        """A receiver at a path of its own on this server."""
        receiver = WebhookReceiver(secret, self.host, f"/webhook/{secrets.token_hex(8)}", confirm)
        self.attach(receiver)
        return receiver

    def attach(self, receiver: WebhookReceiver, catch_all: bool = False) -> None:
        receiver.port = self.port
        if catch_all:
            self._catch_all = receiver
        else:
            self._receivers[receiver.path] = receiver

    def close(self, receiver: WebhookReceiver) -> None:
        """The receiver's test is over: what still arrives for it is answered 410 and not kept."""
        self._receivers.pop(receiver.path, None)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        receiver = self._catch_all or self._receivers.get(_mailbox(scope["path"]))
        if receiver is None:
            await _answer(send, 410, b'{"error": "no receiver at this path: its test has ended"}')
            return
        await receiver.receive(scope, receive, send)


def _mailbox(path: str) -> str:
    """`/webhook/<token>` of `/webhook/<token>/anything/else`."""
    return "/".join(path.split("/", 3)[:3])


async def _answer(send: Any, status: int, body: bytes) -> None:
    await send({"type": "http.response.start", "status": status, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": body})
