"""The runtime's events as a stream for any number of followers, none of whom can slow the
emulator down (the `/_mock/events` stream and the inspector page read it).

Each event is encoded once, when it happens, and offered to every follower that wants its
kind. A follower has a bounded queue: one that does not keep up (a stalled browser tab, a
script that stopped reading) has its backlog dropped and is told so with one `lagged` message
carrying how many events it missed, after which it should read the state afresh. Offering
never waits and never grows without bound, whatever the followers do.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ConfigDict, with_config
from typing_extensions import TypedDict

from .events import Events

QUEUE_SIZE = 1000
LAGGED = "lagged"

Encoder = Callable[[str, Any], Mapping[str, object] | None]


@with_config(ConfigDict(extra="forbid"))
class Lagged(TypedDict):
    """This follower fell behind: read the state afresh."""

    dropped: int
    """How many events it missed."""


@dataclass(frozen=True, slots=True)
class Message:
    seq: int
    kind: str
    data: str  # JSON


class Follower:
    """One reader of the feed. `get()` waits for the next message; the queue is bounded."""

    def __init__(self, feed: Feed, kinds: frozenset[str] | None, size: int) -> None:
        self._feed = feed
        self.kinds = kinds
        self.size = size
        self.dropped = 0  # events dropped since the reader last heard about it
        self.dropped_total = 0
        self.closed = False
        self._queue: deque[Message] = deque()
        self._wake = asyncio.Event()
        self._loop = asyncio.get_running_loop()
        self._thread = threading.get_ident()

    def wants(self, kind: str) -> bool:
        return self.kinds is None or kind in self.kinds

    def __len__(self) -> int:
        return len(self._queue)

    def offer(self, message: Message) -> None:
        """Queue a message; never waits. A full queue is dropped whole and counted."""
        if threading.get_ident() != self._thread:
            self._loop.call_soon_threadsafe(self.offer, message)
            return
        if self.closed:
            return
        if len(self._queue) >= self.size:
            self.dropped += len(self._queue)
            self.dropped_total += len(self._queue)
            self._queue.clear()
        self._queue.append(message)
        self._wake.set()

    async def get(self, timeout: float | None = None) -> Message | None:
        """The next message: a `lagged` one first if events were dropped. None when `timeout`
        passes with nothing to read, or once the follower is closed."""
        while not self._queue and not self.dropped and not self.closed:
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), timeout)
            except TimeoutError:
                return None
        if self.closed:
            return None
        if self.dropped:
            dropped, self.dropped = self.dropped, 0
            return Message(self._feed.seq, LAGGED, json.dumps(Lagged(dropped=dropped)))
        return self._queue.popleft()

    def close(self) -> None:
        """Stop following: `get()` returns None from now on, and the feed forgets this follower."""
        if threading.get_ident() != self._thread:
            self._loop.call_soon_threadsafe(self.close)
            return
        if not self.closed:
            self.closed = True
            self._queue.clear()
            self._wake.set()
            self._feed._remove(self)


class Feed:
    """Subscribes to `events` only while someone follows, so it costs nothing otherwise."""

    def __init__(self, events: Events, encode: Encoder, size: int = QUEUE_SIZE) -> None:
        self._events = events
        self._encode = encode
        self._size = size
        self._followers: list[Follower] = []
        self._stop: Callable[[], None] | None = None
        self._seq = itertools.count(1)
        self.seq = 0

    def follow(self, kinds: Iterable[str] | None = None, size: int | None = None) -> Follower:
        """A new follower (call on the event loop); `kinds` limits what it is offered."""
        follower = Follower(self, frozenset(kinds) if kinds is not None else None, size or self._size)
        self._followers.append(follower)
        if self._stop is None:
            self._stop = self._events.subscribe(self._on_event)
        return follower

    def __len__(self) -> int:
        return len(self._followers)

    def _on_event(self, kind: str, subject: Any) -> None:
        wanting = [f for f in self._followers if f.wants(kind)]
        if not wanting:
            return
        data = self._encode(kind, subject)
        if data is None:
            return
        self.seq = next(self._seq)
        message = Message(self.seq, kind, json.dumps(data, separators=(",", ":")))
        for follower in wanting:
            follower.offer(message)

    def _remove(self, follower: Follower) -> None:
        if follower in self._followers:
            self._followers.remove(follower)
        if not self._followers and self._stop is not None:
            self._stop()
            self._stop = None

    def close(self) -> None:
        """End every follower (the server is shutting down)."""
        for follower in list(self._followers):
            follower.close()
