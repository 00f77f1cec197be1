from __future__ import annotations

import asyncio
import math

import pytest

from mockserver.core.clock import Clock, Scheduler, isoformat
from mockserver.speed import INSTANT, parse_speed


@pytest.mark.parametrize(
    ("text", "speed"),
    [("realtime", 1.0), ("instant", INSTANT), ("10", 10.0), ("2.5", 2.5), ("10x", 10.0)],
)
def test_parse_speed(text, speed):
    assert parse_speed(text) == speed


@pytest.mark.parametrize("text", ["fast", "0", "-3", "nan", ""])
def test_parse_speed_rejects_nonsense(text):
    with pytest.raises(ValueError):
        parse_speed(text)


def test_speed_scales_durations():
    assert Clock(speed=10).scaled(60) == 6
    assert Clock(speed=INSTANT).scaled(60) == 0


def test_advance_runs_timers_in_due_order_at_their_own_time():
    clock = Clock(virtual=True, start=1000.0)
    scheduler = Scheduler(clock)
    seen: list[tuple[str, float, float]] = []

    def record(name: str):
        return lambda at: seen.append((name, at, clock.now()))

    scheduler.call_at(1030, record("c"))
    scheduler.call_at(1010, record("a"))
    scheduler.call_at(1020, lambda at: (seen.append(("b", at, clock.now())), scheduler.call_at(at + 5, record("b2"))))
    late = scheduler.call_at(1100, record("late"))
    cancelled = scheduler.call_at(1015, record("cancelled"))
    cancelled.cancel()
    assert asyncio.run(scheduler.advance(40)) == 4
    assert seen == [("a", 1010, 1010), ("b", 1020, 1020), ("b2", 1025, 1025), ("c", 1030, 1030)]
    assert clock.now() == 1040
    late.cancel()
    assert asyncio.run(scheduler.advance(100)) == 0


def test_virtual_clock_stands_still():
    clock = Clock(virtual=True, start=5.0)
    assert clock.now() == 5.0
    clock.shift(2)
    assert clock.now() == 7.0


def test_the_clock_cannot_go_backwards():
    with pytest.raises(ValueError):
        asyncio.run(Scheduler(Clock(virtual=True)).advance(-1))


def test_real_mode_fires_on_the_event_loop_without_polling():
    async def main() -> list[float]:
        clock = Clock()
        scheduler = Scheduler(clock)
        fired: list[float] = []
        done = asyncio.Event()
        start = clock.now()
        for i in range(1000):
            scheduler.call_at(start + 3600 + i, fired.append)
        scheduler.call_at(start + 0.05, lambda at: (fired.append(at), done.set()))
        await asyncio.wait_for(done.wait(), 2)
        handles = [h for h in asyncio.get_running_loop()._scheduled if not h.cancelled()]
        scheduler.close()
        return fired, len(handles)

    fired, handles = asyncio.run(main())
    assert len(fired) == 1
    assert handles == 1  # one armed timer for 1000 pending ones


def test_advancing_a_real_clock_brings_the_next_timer_forward_on_the_event_loop():
    async def main() -> float:
        clock = Clock()
        scheduler = Scheduler(clock)
        done = asyncio.Event()
        scheduler.call_at(clock.now() + 60, lambda at: done.set())
        scheduler.call_at(clock.now() + 3600, lambda at: None)
        started = asyncio.get_running_loop().time()
        await scheduler.advance(59.8)
        await asyncio.wait_for(done.wait(), 5)
        scheduler.close()
        return asyncio.get_running_loop().time() - started

    assert asyncio.run(main()) < 2


def test_timers_armed_on_an_event_loop_that_ended_fire_on_the_next_one():
    """A TestClient used without `with`, then another: its loop ends without pausing the scheduler."""
    clock = Clock()
    scheduler = Scheduler(clock)
    fired: list[float] = []

    async def arm() -> None:
        scheduler.call_at(clock.now() + 0.05, fired.append)

    async def serve() -> None:
        scheduler.wake()
        for _ in range(1000):  # until the timer has fired on this loop (10 s at most)
            if fired:
                return
            await asyncio.sleep(0.01)

    asyncio.run(arm())
    asyncio.run(serve())
    scheduler.close()
    assert len(fired) == 1


def test_isoformat():
    assert isoformat(1704067200) == "2024-01-01T00:00:00Z"
    assert isoformat(1704067200.25) == "2024-01-01T00:00:00.250Z"
    assert isoformat(1704067200.0004) == "2024-01-01T00:00:00.000Z"
    assert isoformat(32503680000) == "3000-01-01T00:00:00Z"
    assert isoformat(None) is None
    assert not math.isnan(parse_speed("1"))
