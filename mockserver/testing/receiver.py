"""A real local HTTP endpoint that records webhook deliveries, for tests (ours and users').

It runs uvicorn in a background thread on a free port, keeps every request's raw body and
headers, checks the signature when it knows the secret, and can be told how to answer
(a status sequence, or hanging for a while) to exercise the mock's retries.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from ..core.signing import verify_signature
from .threaded_server import ThreadedServer


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
    def __init__(self, secret: str | None = None, host: str = "127.0.0.1", path: str = "/webhook") -> None:
        self.secret = secret
        self.host = host
        self.path = path
        self.deliveries: list[ReceivedDelivery] = []
        self.in_flight = 0
        self._handed_out = 0
        self._script = _Script()
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        self._server = ThreadedServer(self, host=host, lifespan="on")
        self.port = 0

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
        wait for it, and the mock may well be faster than the test.
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
            return self.deliveries[target - 1]

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
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
        answer = [(b"content-type", b"application/json")]
        await send({"type": "http.response.start", "status": status, "headers": answer})
        await send({"type": "http.response.body", "body": b'{"received": true}'})
        with self._arrived:
            self.deliveries.append(delivery)
            self._arrived.notify_all()

    def start(self) -> WebhookReceiver:
        self._server.port = self.port
        self._server.start()
        self.port = self._server.port
        return self

    def stop(self) -> None:
        self._server.stop()

    def __enter__(self) -> WebhookReceiver:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
