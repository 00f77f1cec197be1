"""A source of time, and a scheduler that runs callbacks when that time comes.

Everything time-dependent (job transitions, rate-limit windows, webhook retries) reads the time
of a `Scheduler` (its clock) and schedules through `Scheduler.call_at()`, so switching to a
virtual clock or advancing time moves all of it together. The server has one; an account with
a clock of its own has another (`clocks.Clocks` knows which is whose).
"""

from __future__ import annotations

import asyncio
import functools
import heapq
import itertools
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, overload

from ..speed import INSTANT

logger = logging.getLogger("mockserver.clock")

# The latest time the clock may be advanced to (the year 3000): timestamps stay printable.
LATEST = 32_503_680_000.0

@overload
def isoformat(ts: float) -> str: ...
@overload
def isoformat(ts: float | None) -> str | None: ...
def isoformat(ts: float | None) -> str | None:
    """RFC 3339 in UTC with a trailing Z, as in the document's examples."""
    return None if ts is None else _isoformat(ts)


@functools.lru_cache(maxsize=8192)
def _isoformat(ts: float) -> str:
    dt = datetime.fromtimestamp(ts, tz=UTC)
    return dt.isoformat(timespec="milliseconds" if dt.microsecond else "seconds")[:-6] + "Z"


class Clock:
    """Real wall time (optionally shifted by `advance`) or a virtual time that only moves by hand.

    `speed` scales simulated durations (processing, retry back-off): a job that takes 60 s
    at realtime takes 6 s at speed 10 and no time at all when instant.
    """

    def __init__(
        self, *, virtual: bool = False, start: float | None = None, speed: float = 1.0
    ) -> None:
        self.virtual = virtual
        self.speed = speed
        self._offset = 0.0
        self._virtual_now = start if start is not None else time.time()
        if not virtual and start is not None:
            self._offset = start - time.time()

    def now(self) -> float:
        if self.virtual:
            return self._virtual_now
        return time.time() + self._offset

    def scaled(self, seconds: float) -> float:
        """Clock seconds that a simulated duration takes at the current speed."""
        if self.speed == INSTANT:
            return 0.0
        return seconds / self.speed

    def shift(self, seconds: float) -> None:
        if self.virtual:
            self._virtual_now += seconds
        else:
            self._offset += seconds

    def state(self) -> ClockState:
        """What the state file keeps, so a restart goes on from the same time."""
        return ClockState(self.virtual, self._offset, self._virtual_now, self.speed)

    def restore(self, state: ClockState) -> None:
        if state.virtual != self.virtual:
            logger.warning("state file: the clock was %s, now %s; its time is not restored",
                           _mode(state.virtual), _mode(self.virtual))
            return
        if self.virtual:
            self._virtual_now = state.virtual_now
        else:
            self._offset = state.offset
        self.speed = state.speed

    @property
    def mode(self) -> str:
        return _mode(self.virtual)


def _mode(virtual: bool) -> str:
    return "virtual" if virtual else "real"


@dataclass(frozen=True, slots=True)
class ClockState:
    virtual: bool
    offset: float
    virtual_now: float
    speed: float


class Timer:
    """A scheduled callback; cancel() makes the scheduler skip it."""

    __slots__ = ("callback", "cancelled", "due", "seq")

    def __init__(self, due: float, seq: int, callback: Callable[[float], None]) -> None:
        self.due = due
        self.seq = seq
        self.callback = callback
        self.cancelled = False

    def __lt__(self, other: Timer) -> bool:
        return (self.due, self.seq) < (other.due, other.seq)

    def cancel(self) -> None:
        self.cancelled = True


class Scheduler:
    """A heap of timers behind a single asyncio timer armed for the earliest one.

    Thousands of pending timers cost nothing until one is due. Callbacks get their due time,
    so chains of transitions carry exact timestamps even when a virtual clock jumps over them.
    `run_due()` is also called from request paths, so state is right even if no loop timer
    could be armed (for example a TestClient whose event loop has gone).

    What a timer starts and does not finish at once (a webhook attempt) is `track`ed: `settle()`
    and `advance()` wait for it, so when they return every outcome that fell due is recorded
    and whatever it scheduled (a retry) has run too if it fell due.
    """

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._heap: list[Timer] = []
        self._seq = itertools.count()
        self._handle: asyncio.TimerHandle | None = None
        self._handle_due = math.inf
        self._running = False
        self._closed = False
        self._work: set[asyncio.Future[Any]] = set()
        self._lock: tuple[asyncio.AbstractEventLoop, asyncio.Lock] | None = None

    def now(self) -> float:
        return self.clock.now()

    def scaled(self, seconds: float) -> float:
        return self.clock.scaled(seconds)

    @property
    def virtual(self) -> bool:
        return self.clock.virtual

    @property
    def speed(self) -> float:
        return self.clock.speed

    @speed.setter
    def speed(self, speed: float) -> None:
        """For what is scheduled from now on."""
        self.clock.speed = speed

    def state(self) -> ClockState:
        return self.clock.state()

    def call_at(self, due: float, callback: Callable[[float], None]) -> Timer:
        timer = Timer(due, next(self._seq), callback)
        if self._closed:
            timer.cancel()  # a closed scheduler runs nothing more
            return timer
        heapq.heappush(self._heap, timer)
        if due < self._handle_due:
            self._arm()
        return timer

    def track(self, work: asyncio.Future[Any]) -> None:
        """Work a timer started and that ends later (a webhook attempt): settling waits for it."""
        self._work.add(work)
        work.add_done_callback(self._work.discard)

    @property
    def in_flight(self) -> int:
        """How much tracked work has not ended yet."""
        return len(self._work)

    def next_due(self) -> float | None:
        """When the earliest timer still to run is due, or None when nothing is scheduled."""
        while self._heap and self._heap[0].cancelled:
            heapq.heappop(self._heap)
        return self._heap[0].due if self._heap else None

    def run_due(self) -> int:
        """Run every timer due by now, in due order; returns how many ran."""
        if self._running or not self._heap or self._heap[0].due > self.clock.now():
            return 0
        ran = 0
        self._running = True
        try:
            while self._heap and self._heap[0].due <= self.clock.now():
                timer = heapq.heappop(self._heap)
                if timer.cancelled:
                    continue
                try:
                    timer.callback(timer.due)
                except Exception:
                    logger.exception("scheduled callback failed")
                ran += 1
        finally:
            self._running = False
        self._arm()
        return ran

    async def settle(self, deadline: float = math.inf) -> int:
        """Run what is due and wait for the work it starts, until nothing is due at the current
        time and nothing is in flight, or the event loop's time reaches `deadline` (then what is
        in flight goes on in the background); returns how many timers ran."""
        ran = 0
        loop = asyncio.get_running_loop()
        while True:
            ran += self.run_due()
            # Work started on another event loop (a test client's, gone since) cannot be awaited here.
            pending = {work for work in self._work if work.get_loop() is loop}
            if pending and loop.time() < deadline:
                await asyncio.wait(pending, timeout=None if deadline == math.inf else deadline - loop.time())
                continue
            due = self.next_due()
            if due is None or due > self.clock.now():
                return ran

    async def advance(self, seconds: float, deadline: float = math.inf) -> int:
        """Move the clock forward, running what falls due at each timer's own time, in order, and
        settling after each (so a retry that an attempt schedules runs at its own time too);
        past `deadline` (the event loop's time) it stops waiting for work in flight."""
        if seconds < 0:
            raise ValueError("the clock cannot go backwards")
        async with self._exclusive():
            ran = await self.settle(deadline)
            left = seconds
            while (due := self.next_due()) is not None and due - self.clock.now() <= left:
                step = max(due - self.clock.now(), 0.0)
                self.clock.shift(step)
                left -= step
                ran += await self.settle(deadline)
            self.clock.shift(left)
            ran += await self.settle(deadline)
        self.pause()  # the loop timer's delay was worked out on the old time
        self._arm()
        return ran

    def _exclusive(self) -> asyncio.Lock:
        """One advance at a time per clock (on the running event loop): two at once would
        interleave their steps."""
        loop = asyncio.get_running_loop()
        if self._lock is None or self._lock[0] is not loop:
            self._lock = (loop, asyncio.Lock())
        return self._lock[1]

    def wake(self) -> None:
        """Run what is due and arm the loop timer: at start-up, when timers were set with no loop
        or on a loop that has ended since (a timer armed there would never fire)."""
        self.pause()
        self.run_due()
        self._arm()

    def _arm(self) -> None:
        while self._heap and self._heap[0].cancelled:
            heapq.heappop(self._heap)
        if self._handle is not None and self._heap and self._heap[0].due == self._handle_due:
            return  # already set for the earliest timer
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
            self._handle_due = math.inf
        if not self._heap:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        due = self._heap[0].due
        delay = due - self.clock.now()
        if self.clock.virtual and delay > 0:
            return
        self._handle = loop.call_later(max(delay, 0.0), self._fire)
        self._handle_due = due

    def _fire(self) -> None:
        self._handle = None
        self._handle_due = math.inf
        if self.run_due() == 0:
            self._arm()

    def close(self) -> None:
        """Cancel every timer: nothing scheduled here runs any more, now or later."""
        self._closed = True
        for timer in self._heap:
            timer.cancel()
        self._heap.clear()
        self.pause()

    def pause(self) -> None:
        """Stop the loop timer (its event loop is ending); timers stay, and run when `wake()`
        or a read catches up."""
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        self._handle_due = math.inf
