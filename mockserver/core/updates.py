"""Job updates for live subscribers: a job hook that wakes whoever watches that job.

Each account may hold `MAX_WATCHES_PER_ACCOUNT` live watches: one tenant's thousands of
subscriptions cannot take the CPU every other tenant shares. On a real clock a watch looks at its
job's progress twice a second; on a virtual clock progress moves only when the clock does, so a
watch sleeps until a transition or an advance wakes it and costs nothing meanwhile.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping
from typing import TypeVar

from .errors import TooManySubscriptions
from .jobs import FINAL, Job

PROGRESS_TICK = 0.5
MAX_WATCHES_PER_ACCOUNT = 100
# A job's view, as the surface that watches shows it: its status and progress are compared.
View = TypeVar("View", bound=Mapping[str, object])


class JobUpdates:
    def __init__(self) -> None:
        self._watchers: dict[str, set[asyncio.Event]] = {}
        self._per_account: dict[str, int] = {}
        self._closed = False

    def on_transition(self, job: Job, old: str) -> None:
        for event in self._watchers.get(job.id, ()):
            event.set()

    def wake_all(self) -> None:
        """A clock moved: every watch looks at its job again (its progress may have moved)."""
        for events in self._watchers.values():
            for event in events:
                event.set()

    def close(self) -> None:
        """End every watch: their subscriptions complete (the state they watched is gone)."""
        self._closed = True
        self.wake_all()

    def watch(
        self,
        job: Job,
        view: Callable[[Job], View],
        catch_up: Callable[[], None],
        tick: float | None,
    ) -> AsyncIterator[View]:
        """The job now, then on every change of status or progress, ending with its final state
        (or as soon as the updates are closed). `tick`: how often to look at progress between
        wake-ups (None: only when woken, for a virtual clock). Refused at once (before anything
        is sent) when the account holds all the watches it may."""
        self.check_room(job.account_key)
        return self._follow(job, view, catch_up, tick)

    def check_room(self, account: str) -> None:
        """Raise TOO_MANY_SUBSCRIPTIONS if the account holds all the watches it may."""
        if self._per_account.get(account, 0) >= MAX_WATCHES_PER_ACCOUNT:
            raise TooManySubscriptions(
                f"This API key already has {MAX_WATCHES_PER_ACCOUNT} live subscriptions: complete some first",
                limit=MAX_WATCHES_PER_ACCOUNT,
            )

    async def _follow(
        self,
        job: Job,
        view: Callable[[Job], View],
        catch_up: Callable[[], None],
        tick: float | None,
    ) -> AsyncIterator[View]:
        account = job.account_key
        self.check_room(account)  # again: another watch may have started since
        self._per_account[account] = self._per_account.get(account, 0) + 1
        event = asyncio.Event()
        self._watchers.setdefault(job.id, set()).add(event)
        try:
            last = view(job)
            yield last
            while last["status"] not in FINAL and not self._closed:
                try:
                    await asyncio.wait_for(event.wait(), tick)
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
            self._per_account[account] -= 1
            if not self._per_account[account]:
                del self._per_account[account]
            watchers = self._watchers.get(job.id)
            if watchers is not None:
                watchers.discard(event)
                if not watchers:
                    del self._watchers[job.id]
