"""Whose time is whose: the server's clock, and the clocks of accounts that have their own.

An account made with a clock of its own (as Stripe's test clocks are for customers) lives in a
world of its own: its jobs, limits, ledger, idempotency keys and webhook retries follow its
clock, which starts at the server's time, never moves by itself and is advanced only for it.
Everything else follows the server's clock. Callers ask `of(account_key)` and never need to
know which it is.
"""

from __future__ import annotations

from collections.abc import Iterator

from .clock import Clock, ClockState, Scheduler


class Clocks:
    def __init__(self, server: Scheduler) -> None:
        self.server = server
        self._own: dict[str, Scheduler] = {}

    def of(self, account_key: str | None) -> Scheduler:
        """The scheduler (and through it the clock) that the account's time follows."""
        if account_key is None or not self._own:
            return self.server
        return self._own.get(account_key, self.server)

    def now(self, account_key: str | None) -> float:
        return self.of(account_key).now()

    def has_own(self, account_key: str) -> bool:
        return account_key in self._own

    def add_own(self, account_key: str, state: ClockState | None = None) -> Scheduler:
        """A virtual clock for the account: at the server's time and speed, or as it was saved."""
        clock = Clock(virtual=True, start=self.server.now(), speed=self.server.clock.speed)
        if state is not None:
            clock.restore(state)
        scheduler = self._own[account_key] = Scheduler(clock)
        return scheduler

    def drop(self, account_key: str) -> None:
        """The account is gone: nothing scheduled on its clock runs any more."""
        scheduler = self._own.pop(account_key, None)
        if scheduler is not None:
            scheduler.close()

    def state(self, account_key: str) -> ClockState | None:
        """What the state file keeps of the account's own clock (None: it follows the server's)."""
        scheduler = self._own.get(account_key)
        return scheduler.clock.state() if scheduler is not None else None

    def all(self) -> Iterator[Scheduler]:
        yield self.server
        yield from self._own.values()

    def catch_up(self, account_key: str | None = None) -> None:
        """Run what fell due on the server's clock and the account's own, so a read never shows
        stale state (a loop timer may not have fired yet)."""
        self.server.run_due()
        own = self._own.get(account_key) if account_key is not None else None
        if own is not None:
            own.run_due()

    def wake(self) -> None:
        for scheduler in self.all():
            scheduler.wake()

    def pause(self) -> None:
        for scheduler in self.all():
            scheduler.pause()

    def close(self) -> None:
        for scheduler in self.all():
            scheduler.close()
