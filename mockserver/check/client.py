"""The checker's only way out: an HTTP client bound to one base URL, polite by construction.

- It sends nothing but to `BASE_URL` (paths are joined to it) and, through `fetch_media`, to the
  output URL the API returned, without the key. Redirects are never followed.
- Before every request made with the key it waits, when the last answer said the plan's window
  is used up (`X-RateLimit-Remaining: 0`), until that window resets (`X-RateLimit-Reset`, read
  against the server's own `Date`), so it never sends more than the plan allows per minute.
- A hard cap bounds the requests of a whole run.
- Only requests that cannot start a job are retried, once, after a 429's `Retry-After`.
"""

from __future__ import annotations

import json as jsonlib
import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from .. import __version__
from ..core.errors import RETRY_AFTER
from ..core.ratelimits import LIMIT_HEADER, RATELIMIT_FIELD, REMAINING_HEADER, RESET_HEADER

USER_AGENT = f"doitong-mock-check/{__version__}"
MAX_WAIT = 120.0
"""Longest the checker waits for a window to reset or a Retry-After (a longer one is a finding)."""
MARGIN = 1.0
MAX_MEDIA_BYTES = 200 * 1024 * 1024


class Unreachable(Exception):
    """BASE_URL did not answer (connection refused, DNS, TLS, timeout)."""


class RequestCapReached(Exception):
    """The run used up `--max-requests`."""


@dataclass
class Exchange:
    """One request and its answer, as the checks and the rate-limit pass read them."""

    label: str
    method: str
    path: str
    status: int
    headers: httpx.Headers
    body: bytes
    keyed: bool
    """Sent with the key under test (so the answer should carry the rate-limit headers)."""
    received_at: float
    server_time: float | None
    sent_at: float
    """When the request went out, by our clock: the target answered between this and received_at."""
    retried: bool = False

    @property
    def json(self) -> Any:
        try:
            return jsonlib.loads(self.body)
        except ValueError:
            return None

    @property
    def content_type(self) -> str:
        kind: str = self.headers.get("content-type", "")
        return kind.split(";")[0].strip().lower()

    def describe(self) -> str:
        return f"{self.method} {self.path}"


@dataclass
class Pacer:
    """Keeps a key within its plan's per-minute window, from what the answers say about it."""

    clock: Callable[[], float] = time.time
    sleep: Callable[[float], None] = time.sleep
    notify: Callable[[str], None] = lambda message: None
    limit: int | None = None
    remaining: int | None = None
    reset: float | None = None
    skew: float = 0.0
    """Server clock minus ours, from the answers' `Date` (which is rounded down: erring late)."""
    waited: list[float] = field(default_factory=list)

    def server_now(self) -> float:
        return self.clock() + self.skew

    def observe(self, headers: httpx.Headers, received_at: float) -> float | None:
        """Learn the window from an answer to a keyed request; returns the server's time, if sent."""
        server_time = _date(headers)
        if server_time is not None:
            self.skew = server_time - received_at
        limit, remaining, reset = (integer(headers.get(h)) for h in (LIMIT_HEADER, REMAINING_HEADER, RESET_HEADER))
        if remaining is None or reset is None:
            remaining, seconds = _ietf(headers.get(RATELIMIT_FIELD))
            reset = None if seconds is None else int((server_time or received_at) + seconds)
        if limit is not None:
            self.limit = limit
        if remaining is not None and reset is not None:
            self.remaining, self.reset = remaining, float(reset)
        return server_time

    def wait_turn(self) -> None:
        """Called before each keyed request: waits out a used-up window."""
        if self.remaining is None or self.reset is None or self.remaining > 0:
            return
        wait = self.reset - self.server_now() + MARGIN
        if wait > 0:
            self.pause(wait, f"the plan's {self.limit or ''} requests a minute are used up".replace("  ", " "))
        self.remaining = None  # a new window: the next answer says how much of it is left

    def pause(self, seconds: float, why: str) -> None:
        seconds = min(max(seconds, 0.0), MAX_WAIT)
        self.notify(f"waiting {seconds:.0f} s: {why}")
        self.waited.append(seconds)
        self.sleep(seconds)

    def min_interval(self) -> float:
        """The shortest gap between polls that spreads them over the plan's minute."""
        return 60.0 / self.limit if self.limit else 0.0


class Client:
    def __init__(
        self,
        base_url: str,
        key: str,
        *,
        max_requests: int,
        timeout: float,
        pacer: Pacer | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.key = key
        self.max_requests = max_requests
        self.pacer = pacer or Pacer()
        self.sent = 0
        self.exchanges: list[Exchange] = []
        options: dict[str, Any] = {"timeout": timeout, "follow_redirects": False,
                                   "headers": {"User-Agent": USER_AGENT}}
        if transport is not None:
            options["transport"] = transport
        self._http = httpx.Client(base_url=self.base_url, **options)
        self._media = httpx.Client(**options)

    def close(self) -> None:
        self._http.close()
        self._media.close()

    def _count(self) -> None:
        if self.sent >= self.max_requests:
            raise RequestCapReached(f"the run's cap of {self.max_requests} requests (--max-requests) was reached")
        self.sent += 1

    def auth_headers(self, auth: str | None, key: str | None = None) -> dict[str, str]:
        key = self.key if key is None else key
        if auth == "bearer":
            return {"Authorization": f"Bearer {key}"}
        if auth == "api-key":
            return {"X-API-Key": key}
        return {}

    def request(
        self,
        label: str,
        method: str,
        path: str,
        *,
        auth: str | None = "api-key",
        key: str | None = None,
        json: Any = None,
        headers: dict[str, str] | None = None,
        retry_on_429: bool = False,
    ) -> Exchange:
        """One request to BASE_URL + path. `key` replaces the key under test (a deliberately bad
        one); `retry_on_429` only for requests that cannot start a job."""
        keyed = auth is not None and key is None
        exchange = self._send(label, method, path, auth, key, json, headers, keyed)
        if exchange.status == 429 and retry_on_429:
            wait = integer(exchange.headers.get(RETRY_AFTER))
            self.pacer.pause(wait if wait is not None else 60.0, f"{exchange.describe()} answered 429")
            exchange = self._send(label, method, path, auth, key, json, headers, keyed)
            exchange.retried = True
        return exchange

    def _send(
        self, label: str, method: str, path: str, auth: str | None, key: str | None,
        json: Any, headers: dict[str, str] | None, keyed: bool,
    ) -> Exchange:
        if keyed:
            self.pacer.wait_turn()
        self._count()
        all_headers = {**self.auth_headers(auth, key), **(headers or {})}
        sent = self.pacer.clock()
        try:
            response = self._http.request(method, path, json=json, headers=all_headers)
        except httpx.TransportError as exc:
            raise Unreachable(f"{method} {self.base_url}{path}: {type(exc).__name__}: {exc or 'no answer'}") from None
        received = self.pacer.clock()
        server_time = self.pacer.observe(response.headers, received) if keyed else _date(response.headers)
        exchange = Exchange(label, method, path, response.status_code, response.headers, response.content,
                            keyed, received, server_time, sent)
        self.exchanges.append(exchange)
        return exchange

    def graphql(self, label: str, query: str, variables: dict[str, Any] | None = None, *,
                auth: str | None = "bearer", key: str | None = None, headers: dict[str, str] | None = None,
                retry_on_429: bool = False) -> Exchange:
        body: dict[str, Any] = {"query": query}
        if variables is not None:
            body["variables"] = variables
        return self.request(label, "POST", "/graphql", auth=auth, key=key, json=body, headers=headers,
                            retry_on_429=retry_on_429)

    def fetch_media(self, url: str) -> tuple[httpx.Response, bytes]:
        """GET the output URL the API returned: no key, no redirects, at most MAX_MEDIA_BYTES."""
        self._count()
        try:
            with self._media.stream("GET", url) as response:
                chunks, size = [], 0
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > MAX_MEDIA_BYTES:
                        break
                    chunks.append(chunk)
                return response, b"".join(chunks)
        except httpx.TransportError as exc:
            raise Unreachable(f"GET {url}: {type(exc).__name__}: {exc or 'no answer'}") from None


def integer(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        number = float(value.strip())
    except ValueError:
        return None
    return int(number) if math.isfinite(number) and number == int(number) else None


def _date(headers: httpx.Headers) -> float | None:
    value = headers.get("date")
    if not value:
        return None
    try:
        return parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError):
        return None


_IETF = re.compile(r'"minute";r=(\d+)(?:;t=(\d+))?')


def _ietf(value: str | None) -> tuple[int | None, int | None]:
    """The per-minute quota of `RateLimit: "minute";r=9;t=60` (the IETF draft), as (remaining,
    seconds to reset), for a server that sends only the draft's fields."""
    if not value:
        return None, None
    match = _IETF.search(value)
    if match is None:
        return None, None
    return int(match.group(1)), (int(match.group(2)) if match.group(2) else None)
