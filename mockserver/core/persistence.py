"""Persistence: the one place that decides what of a change is kept, and keeps it before the
answer that reports it is sent. The parts of the core announce their changes (job transitions,
deliveries, accounts, counters, keys, clocks); this subscriber writes them through the `Store`
the composition root chose (nowhere, or the --state-file)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager

from .accounts import Account
from .clock import ClockState
from .idempotency import Record
from .jobs import Job
from .ratelimits import Usage
from .store import Store
from .webhooks import Delivery


class Persistence:
    def __init__(self, store: Store, account_for: Callable[[str], Account | None]) -> None:
        self._store = store
        self._account_for = account_for

    def batch(self) -> AbstractContextManager[None]:
        """The writes of one operation, as one transaction."""
        return self._store.batch()

    def job_moved(self, job: Job, old: str) -> None:
        """Job hook, after billing: the job and its account's balances, before anyone is told."""
        with self._store.batch():
            self._store.save_job(job)
            account = self._account_for(job.account_key)
            if account is not None:
                self._store.save_account(account)

    def job_dropped(self, job: Job) -> None:
        self._store.forget_job(job)

    def delivery_changed(self, delivery: Delivery) -> None:
        self._store.save_delivery(delivery)

    def delivery_dropped(self, delivery: Delivery) -> None:
        self._store.forget_delivery(delivery)

    def account_changed(self, account: Account) -> None:
        self._store.save_account(account)

    def account_deleted(self, account_key: str) -> None:
        self._store.forget_account(account_key)

    def usage_changed(self, account_key: str, usage: Usage | None) -> None:
        self._store.save_usage(account_key, usage)

    def key_kept(self, account_key: str, key: str, record: Record) -> None:
        self._store.save_idempotency(account_key, key, record)

    def key_dropped(self, account_key: str, key: str) -> None:
        self._store.forget_idempotency(account_key, key)

    def clock_moved(self, state: ClockState) -> None:
        self._store.save_clock(state)

    def generation_started(self, generation: str) -> None:
        self._store.save_generation(generation)
