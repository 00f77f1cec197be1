"""`Idempotency-Key` on job creation: a retry returns the original job and charges nothing.

A record keeps the job itself, not only its id, so a retry is answered with that job for the
key's whole lifetime, even after the finished-job cap has dropped it from the job list.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from .clock import Clock
from .errors import BadUserInput, IdempotencyKeyReused
from .inputs import JobRequest
from .jobs import Job

TTL = 24 * 3600.0
MAX_KEY_LENGTH = 255
MAX_KEYS_PER_ACCOUNT = 10_000


@dataclass(frozen=True, slots=True)
class Record:
    fingerprint: JobRequest
    job: Job
    at: float


def check_key(key: str | None) -> str | None:
    if key is None:
        return None
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise BadUserInput(
            f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} printable characters",
            field="Idempotency-Key",
        )
    return key


class IdempotencyStore:
    """Per account, so that one tenant's keys never push out another's."""

    def __init__(self, clock: Clock, ttl: float = TTL, max_per_account: int = MAX_KEYS_PER_ACCOUNT) -> None:
        self.clock = clock
        self.ttl = ttl
        self.max_per_account = max_per_account
        self._records: dict[str, OrderedDict[str, Record]] = {}

    def _prune(self, records: OrderedDict[str, Record]) -> None:
        horizon = self.clock.now() - self.ttl
        while records:
            first = next(iter(records.values()))
            if first.at > horizon:
                break
            records.popitem(last=False)

    def lookup(self, account_key: str, key: str, fingerprint: JobRequest) -> Job | None:
        """The job an earlier request with this key made, or None; 409 if the body differs."""
        records = self._records.get(account_key)
        if records is None:
            return None
        self._prune(records)
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
        record = records[key] = Record(fingerprint, job, self.clock.now())
        while len(records) > self.max_per_account:
            records.popitem(last=False)
        return record

    def restore(self, account_key: str, key: str, record: Record) -> None:
        self._records.setdefault(account_key, OrderedDict())[key] = record
