"""`Idempotency-Key` on job creation: a retry returns the original job and charges nothing.

A record keeps the job itself, not only its id, so a retry is answered with that job for the
key's whole lifetime, even after the finished-job cap has dropped it from the job list. A key is
never forgotten before its 24 hours are over: an account that holds as many live keys as it may
gets a 429 for a new one (until its oldest expires), never a second job for an old one.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from . import grammar
from .clocks import Clocks
from .errors import BadUserInput, IdempotencyKeyReused, TooManyIdempotencyKeys
from .inputs import JobRequest
from .jobs import Job

TTL = 24 * 3600.0


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
        on_keep: Callable[[str, str, Record], None],
        on_forget: Callable[[str, str], None],
        max_per_account: int,
        ttl: float = TTL,
    ) -> None:
        self._clocks = clocks
        self.ttl = ttl
        self.max_per_account = max_per_account
        self._records: dict[str, OrderedDict[str, Record]] = {}
        self._on_keep = on_keep
        self._on_forget = on_forget

    def _prune(self, account_key: str, records: OrderedDict[str, Record]) -> None:
        """Expired records go (from the store too); records are kept in the order they were made."""
        horizon = self._clocks.now(account_key) - self.ttl
        while records:
            key, first = next(iter(records.items()))
            if first.at > horizon:
                break
            records.popitem(last=False)
            self._on_forget(account_key, key)

    def lookup(self, account_key: str, key: str, fingerprint: JobRequest) -> Job | None:
        """The job an earlier request with this key made, or None when the key is new and may
        be kept; 409 if the body differs, 429 if the account holds all the keys it may."""
        records = self._records.get(account_key)
        if records is None:
            return None
        self._prune(account_key, records)
        record = records.get(key)
        if record is None:
            if len(records) >= self.max_per_account:
                oldest = next(iter(records.values()))
                wait = oldest.at + self.ttl - self._clocks.now(account_key)
                raise TooManyIdempotencyKeys(
                    f"This account holds {self.max_per_account} Idempotency-Keys from the last 24 hours: "
                    "send this request without a key, or retry once the oldest expires",
                    limit=self.max_per_account,
                    retry_after=max(1, math.ceil(wait)),
                )
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
        self._on_keep(account_key, key, record)
        self._prune(account_key, records)
        return record

    def forget_account(self, account_key: str) -> None:
        """An account was deleted: its keys go with it."""
        for key in self._records.pop(account_key, {}):
            self._on_forget(account_key, key)

    def restore(self, account_key: str, key: str, record: Record) -> None:
        """Take back a record from the state file (oldest first): expired, it goes at once."""
        records = self._records.setdefault(account_key, OrderedDict())
        records[key] = record
        self._prune(account_key, records)
