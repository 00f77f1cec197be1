"""The one interface the core writes its state through (a `Store`: `store.NullStore`, or
`store.SqliteStore` for --state-file; the composition root picks), and what is read back at
start-up. The core knows this protocol only, never a store.

Every method is called on the event loop thread, between awaits, as the state changes: a
store never sees half of a change. `batch()` groups the writes of one operation.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Protocol

from .accounts import Account, AccountRecord
from .clock import ClockState
from .idempotency import Record
from .jobs import Job
from .ledger import LedgerEntry
from .ratelimits import Usage
from .webhooks import Delivery


@dataclass
class SavedAccount:
    record: AccountRecord
    entries: list[LedgerEntry]


@dataclass
class Snapshot:
    """Everything a store had, in the order it is put back."""

    clock: ClockState | None = None
    accounts: list[SavedAccount] = field(default_factory=list)
    usage: dict[str, Usage] = field(default_factory=dict)
    idempotency: list[tuple[str, str, Record]] = field(default_factory=list)
    jobs: list[Job] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)
    generation: str | None = None


class Store(Protocol):
    def batch(self) -> AbstractContextManager[None]: ...
    def save_job(self, job: Job) -> None: ...
    def forget_job(self, job: Job) -> None: ...
    def save_account(self, account: Account) -> None: ...
    def forget_account(self, account_key: str) -> None: ...
    def save_usage(self, account_key: str, usage: Usage | None) -> None: ...
    def save_delivery(self, delivery: Delivery) -> None: ...
    def forget_delivery(self, delivery: Delivery) -> None: ...
    def save_idempotency(self, account_key: str, key: str, record: Record) -> None: ...
    def forget_idempotency(self, account_key: str, key: str) -> None: ...
    def save_generation(self, generation: str) -> None: ...
    def save_clock(self, state: ClockState) -> None: ...
    def load(self) -> Snapshot: ...
    def clear(self) -> None: ...
    def close(self) -> None: ...
