"""`Idempotency-Key` on job creation: a retry returns the original job and charges nothing.

A record keeps the job itself, not only its id, so a retry is answered with that job for the
key's whole lifetime, even after the finished-job cap has dropped it from the job list.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from . import grammar
from .clocks import Clocks
from .errors import BadUserInput, IdempotencyKeyReused
from .inputs import JobRequest
from .jobs import Job

TTL = 24 * 3600.0
MAX_KEYS_PER_ACCOUNT = 10_000


@dataclass(frozen=True, slots=True)
class Record:
    fingerprint: JobRequest
    job: Job
    at: float


def check_key(key: str | None) -> str | None:
    if key is None:
        return None
    if not grammar.matches(grammar.IDEMPOTENCY_KEY, key):
        raise BadUserInput(
            f"Idempotency-Key must be 1 to {grammar.MAX_IDEMPOTENCY_KEY} visible ASCII characters "
            "(spaces inside allowed)",
            field="Idempotency-Key",
        )
    return key


class IdempotencyStore:
    """Per account, so that one tenant's keys never push out another's; a key's 24 hours are
    counted on its account's clock."""

    def __init__(
        self,
        clocks: Clocks,
        on_forget: Callable[[str, str], None],
        ttl: float = TTL,
        max_per_account: int = MAX_KEYS_PER_ACCOUNT,
    ) -> None:
        self._clocks = clocks
        self.ttl = ttl
        self.max_per_account = max_per_account
        self._records: dict[str, OrderedDict[str, Record]] = {}
        self._on_forget = on_forget

    def _prune(self, account_key: str, records: OrderedDict[str, Record]) -> None:
        """Expired records, and the oldest past the cap, go (from the store too)."""
        horizon = self._clocks.now(account_key) - self.ttl
        while records:
            key, first = next(iter(records.items()))
            if first.at > horizon and len(records) <= self.max_per_account:
                break
            records.popitem(last=False)
            self._on_forget(account_key, key)

    def lookup(self, account_key: str, key: str, fingerprint: JobRequest) -> Job | None:
        """The job an earlier request with this key made, or None; 409 if the body differs."""
        records = self._records.get(account_key)
        if records is None:
            return None
        self._prune(account_key, records)
        record = records.get(key)
        if record is None:
            return None
        if record.fingerprint != fingerprint:
            raise IdempotencyKeyReused(
                f"Idempotency-Key {key!r} was already used with a different request body (job {record.job.id})",
                jobId=record.job.id,
            )
        return record.job

    def remember(self, account_key: str, key: str, fingerprint: JobRequest, job: Job) -> Record:
        records = self._records.setdefault(account_key, OrderedDict())
        record = records[key] = Record(fingerprint, job, self._clocks.now(account_key))
        self._prune(account_key, records)
        return record

    def restore(self, account_key: str, key: str, record: Record) -> None:
        """Take back a record from the state file (oldest first): expired or past the cap, it
        goes at once."""
        records = self._records.setdefault(account_key, OrderedDict())
        records[key] = record
        self._prune(account_key, records)
