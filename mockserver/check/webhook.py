"""A small webhook endpoint of the standard library's, for `--webhook-url`: it records what
arrives and answers 200. The checker is a client and starts no server framework."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

MAX_BODY = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Arrival:
    method: str
    path: str
    headers: dict[str, str]
    """Names in lower case."""
    body: bytes
    at: float


class Listener:
    def __init__(self, host: str, port: int) -> None:
        self.arrivals: list[Arrival] = []
        self._arrived = threading.Condition()
        listener = self

        class Handler(BaseHTTPRequestHandler):
            def _record(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(min(length, MAX_BODY)) if length > 0 else b""
                arrival = Arrival(self.command, self.path, {k.lower(): v for k, v in self.headers.items()},
                                  body, time.time())
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()
                with listener._arrived:
                    listener.arrivals.append(arrival)
                    listener._arrived.notify_all()

            do_POST = do_PUT = do_GET = _record

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer((host, port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, name="check-webhooks", daemon=True)

    def __enter__(self) -> Listener:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def wait_for(self, predicate: Any, timeout: float) -> Arrival | None:
        """The first arrival `predicate` accepts, waiting up to `timeout` seconds for it."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while True:
                for arrival in self.arrivals:
                    if predicate(arrival):
                        return arrival
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self._arrived.wait(left)
