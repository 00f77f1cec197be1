"""Per-account credit ledger: held on acceptance, charged on completion, released otherwise.

Every method runs without awaiting, on the event loop thread, so check-and-hold is atomic
however many requests arrive at once; the balance can never go negative.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from typing_extensions import TypeAliasType

from .errors import InsufficientCredits

MAX_ENTRIES = 1000
LedgerKind = TypeAliasType("LedgerKind", Literal["initial", "grant", "adjust", "hold", "charge", "release"])
# Every credit figure is a GraphQL Int (32 bits, signed), so no balance may pass it: fixtures, the
# control API and the ledger all keep to it.
MAX_CREDITS = 2**31 - 1


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    at: float
    kind: LedgerKind
    amount: int
    job_id: str | None
    available: int
    held: int


@dataclass(frozen=True, slots=True)
class LedgerState:
    """The balances as the state file keeps them (entries are kept apart)."""

    available: int
    held: int
    charged: int
    granted: int
    holds: dict[str, int]
    count: int


class Ledger:
    def __init__(self, now: Callable[[], float], initial: int, max_entries: int = MAX_ENTRIES) -> None:
        self._now = now  # the account's clock
        self.available = 0
        self.held = 0
        self.charged = 0
        self.granted = 0
        self._holds: dict[str, int] = {}
        self.entries: deque[LedgerEntry] = deque(maxlen=max_entries)
        self.count = 0
        # Called with every entry (the events stream); set by whoever owns the ledger.
        self.on_entry: Callable[[LedgerEntry], None] | None = None
        self.grant(initial, kind="initial")

    @property
    def balance(self) -> int:
        """Credits the account still owns: spendable plus held for jobs in flight."""
        return self.available + self.held

    @property
    def holds(self) -> dict[str, int]:
        return dict(self._holds)

    def _record(self, kind: LedgerKind, amount: int, job_id: str | None) -> None:
        entry = LedgerEntry(self._now(), kind, amount, job_id, self.available, self.held)
        self.entries.append(entry)
        self.count += 1
        if self.on_entry is not None:
            self.on_entry(entry)

    def state(self) -> LedgerState:
        return LedgerState(self.available, self.held, self.charged, self.granted, dict(self._holds), self.count)

    def restore(self, state: LedgerState, entries: list[LedgerEntry]) -> None:
        """Put back a ledger saved in the state file."""
        self.available, self.held = state.available, state.held
        self.charged, self.granted = state.charged, state.granted
        self._holds = dict(state.holds)
        self.entries.clear()
        self.entries.extend(entries)
        self.count = state.count

    def grant(self, amount: int, kind: LedgerKind = "grant") -> None:
        self.available += amount
        self.granted += amount
        self._record(kind, amount, None)

    def set_available(self, amount: int) -> None:
        """Control-API adjustment: what is spendable becomes `amount`; holds stay."""
        delta = amount - self.available
        self.available = amount
        self.granted += delta
        self._record("adjust", delta, None)

    def check(self, amount: int) -> None:
        if amount > self.available:
            raise InsufficientCredits(required=amount, available=self.available)

    def hold(self, job_id: str, amount: int) -> None:
        self.check(amount)
        self.available -= amount
        self.held += amount
        self._holds[job_id] = amount
        self._record("hold", amount, job_id)

    def charge(self, job_id: str) -> None:
        amount = self._holds.pop(job_id, None)
        if amount is None:
            return
        self.held -= amount
        self.charged += amount
        self._record("charge", amount, job_id)

    def release(self, job_id: str) -> None:
        amount = self._holds.pop(job_id, None)
        if amount is None:
            return
        self.held -= amount
        self.available += amount
        self._record("release", amount, job_id)

    def recent(self, last: int) -> list[LedgerEntry]:
        """The newest `last` entries, newest first."""
        if last <= 0:
            return []
        entries = list(self.entries)[-last:]
        entries.reverse()
        return entries
