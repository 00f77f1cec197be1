"""Job updates for live subscribers: a job hook that wakes whoever watches that job."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

from .jobs import FINAL, Job

PROGRESS_TICK = 0.5


class JobUpdates:
    def __init__(self) -> None:
        self._watchers: dict[str, set[asyncio.Event]] = {}
        self._closed = False

    def on_transition(self, job: Job, old: str) -> None:
        for event in self._watchers.get(job.id, ()):
            event.set()

    def close(self) -> None:
        """End every watch: their subscriptions complete (the state they watched is gone)."""
        self._closed = True
        for events in self._watchers.values():
            for event in events:
                event.set()

    async def watch(
        self, job: Job, view: Callable[[Job], dict[str, Any]], catch_up: Callable[[], None]
    ) -> AsyncIterator[dict[str, Any]]:
        """The job now, then on every change of status or progress, ending with its final state
        (or as soon as the updates are closed)."""
        event = asyncio.Event()
        self._watchers.setdefault(job.id, set()).add(event)
        try:
            last = view(job)
            yield last
            while last["status"] not in FINAL and not self._closed:
                try:
                    await asyncio.wait_for(event.wait(), PROGRESS_TICK)
                except TimeoutError:
                    pass
                event.clear()
                if self._closed:
                    return
                catch_up()
                current = view(job)
                if (current["status"], current["progress"]) != (last["status"], last["progress"]):
                    last = current
                    yield current
        finally:
            watchers = self._watchers.get(job.id)
            if watchers is not None:
                watchers.discard(event)
                if not watchers:
                    del self._watchers[job.id]
