"""Billing: what a job costs its account, and when. Credits are held when a job is accepted,
charged when it completes, and released when it fails or is cancelled; the balance never goes
negative (nothing here awaits between the check and the hold). The account's `Ledger` keeps the
books; this module decides the movements."""

from __future__ import annotations

from collections.abc import Callable

from .accounts import Account
from .jobs import CANCELLED, COMPLETED, FAILED, Job


class Billing:
    def __init__(self, account_for: Callable[[str], Account | None]) -> None:
        self._account_for = account_for

    @staticmethod
    def check(account: Account, credits: int) -> None:
        """Raise INSUFFICIENT_CREDITS unless the account can pay `credits` now."""
        account.ledger.check(credits)

    @staticmethod
    def hold(account: Account, job_id: str, credits: int) -> None:
        """A job was accepted: its price is set aside until it ends."""
        account.ledger.hold(job_id, credits)

    def on_transition(self, job: Job, old: str) -> None:
        """Job hook, first of all: a completed job is charged, a failed or cancelled one released."""
        account = self._account_for(job.account_key)
        if account is None:
            return
        if job.status == COMPLETED:
            account.ledger.charge(job.id)
        elif job.status in (FAILED, CANCELLED):
            account.ledger.release(job.id)
