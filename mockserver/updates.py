"""Job updates for live subscribers: a job listener that wakes whoever watches that job."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

from .jobs import FINAL, Job

PROGRESS_TICK = 0.5


class JobUpdates:
    def __init__(self) -> None:
        self._watchers: dict[str, set[asyncio.Event]] = {}

    def on_transition(self, job: Job, old: str) -> None:
        for event in self._watchers.get(job.id, ()):
            event.set()

    async def watch(
        self, job: Job, view: Callable[[Job], dict[str, Any]], sync: Callable[[], None]
    ) -> AsyncIterator[dict[str, Any]]:
        """The job now, then on every change of status or progress, ending with its final state."""
        event = asyncio.Event()
        self._watchers.setdefault(job.id, set()).add(event)
        try:
            last = view(job)
            yield last
            while last["status"] not in FINAL:
                try:
                    await asyncio.wait_for(event.wait(), PROGRESS_TICK)
                except TimeoutError:
                    pass
                event.clear()
                sync()
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
