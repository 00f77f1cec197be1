"""`Idempotency-Key` on job creation: a retry returns the original job and charges nothing."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from .clock import Clock
from .errors import BadUserInput, IdempotencyKeyReused
from .inputs import JobRequest

TTL = 24 * 3600.0
MAX_KEY_LENGTH = 255


@dataclass(frozen=True, slots=True)
class Record:
    fingerprint: JobRequest
    job_id: str
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
    def __init__(self, clock: Clock, ttl: float = TTL, max_records: int = 100_000) -> None:
        self.clock = clock
        self.ttl = ttl
        self.max_records = max_records
        self._records: OrderedDict[tuple[str, str], Record] = OrderedDict()

    def _prune(self) -> None:
        horizon = self.clock.now() - self.ttl
        while self._records:
            first = next(iter(self._records.values()))
            if first.at > horizon:
                break
            self._records.popitem(last=False)

    def lookup(self, account_key: str, key: str, fingerprint: JobRequest) -> str | None:
        """The job an earlier request with this key made, or None; 409 if the body differs."""
        self._prune()
        record = self._records.get((account_key, key))
        if record is None:
            return None
        if record.fingerprint != fingerprint:
            raise IdempotencyKeyReused(
                f"Idempotency-Key {key!r} was already used with a different request body "
                f"(job {record.job_id})",
                jobId=record.job_id,
            )
        return record.job_id

    def remember(self, account_key: str, key: str, fingerprint: JobRequest, job_id: str) -> Record:
        record = self._records[(account_key, key)] = Record(fingerprint, job_id, self.clock.now())
        while len(self._records) > self.max_records:
            self._records.popitem(last=False)
        return record

    def restore(self, account_key: str, key: str, record: Record) -> None:
        self._records[(account_key, key)] = record
