"""Accounts as the server holds them at run time: fixture data plus a live ledger."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .clock import Clock, ClockState
from .clocks import Clocks
from .errors import Forbidden, Unauthenticated
from .fixtures import AccountFixture, Fixtures, PlanFixture
from .ledger import Ledger, LedgerEntry, LedgerState

logger = logging.getLogger("mockserver.accounts")


@dataclass(eq=False)
class Account:
    key: str
    name: str
    email: str
    plan_id: str
    plan: PlanFixture
    webhook_secret: str
    enabled: bool
    standard_webhooks: bool
    ledger: Ledger
    ephemeral: bool = False
    # A virtual clock of its own (a throw-away account made with `clock: own`), or None: the
    # account follows the server's clock.
    clock: Clock | None = None

    @property
    def id(self) -> str:
        return "acct_" + self.key.lower().replace(" ", "_")[:40]

    def record(self) -> AccountRecord:
        return AccountRecord(
            key=self.key, name=self.name, email=self.email, plan=self.plan_id,
            webhook_secret=self.webhook_secret, enabled=self.enabled,
            standard_webhooks=self.standard_webhooks, ephemeral=self.ephemeral, ledger=self.ledger.state(),
            clock=self.clock.state() if self.clock is not None else None,
        )


@dataclass(frozen=True, slots=True)
class AccountRecord:
    """An account as the state file keeps it (its ledger entries are kept apart, appended)."""

    key: str
    name: str
    email: str
    plan: str
    webhook_secret: str
    enabled: bool
    standard_webhooks: bool
    ephemeral: bool
    ledger: LedgerState
    clock: ClockState | None = None


def bearer_token(authorization: str | None) -> str | None:
    """The credentials of `Authorization: Bearer <token>`, or None."""
    if not authorization:
        return None
    scheme, _, credentials = authorization.strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    return credentials.strip() or None


def api_key(headers: Mapping[str, str]) -> str | None:
    """`X-API-Key: k` or `Authorization: Bearer k`, on either surface (lower-case names)."""
    key = headers.get("x-api-key")
    if key:
        return key.strip() or None
    return bearer_token(headers.get("authorization"))


def missing_key() -> Unauthenticated:
    """A request without any key, where one is needed."""
    return Unauthenticated("Missing API key: send 'Authorization: Bearer <key>' or 'X-API-Key: <key>'")


class Accounts:
    def __init__(
        self,
        clocks: Clocks,
        fixtures: Fixtures,
        fake: Callable[[], Any],
        on_ledger: Callable[[str, LedgerEntry], None] | None = None,
    ) -> None:
        self._clocks = clocks
        self._fixtures = fixtures
        self._fake = fake
        self._on_ledger = on_ledger
        self.by_key: dict[str, Account] = {}
        for item in fixtures.accounts:
            self.add(self.from_fixture(item))

    def from_fixture(
        self, item: AccountFixture, ephemeral: bool = False, own_clock: bool = False, clock: ClockState | None = None
    ) -> Account:
        """The account, with a clock of its own when asked (at the server's time, or as saved)."""
        own = self._clocks.add_own(item.key, clock).clock if own_clock or clock is not None else None
        ledger = Ledger(functools.partial(self._clocks.now, item.key), item.credits)
        if self._on_ledger is not None:
            ledger.on_entry = functools.partial(self._on_ledger, item.key)
        return Account(
            key=item.key,
            name=item.name or self._fake().name(),
            email=item.email or self._fake().email(),
            plan_id=item.plan,
            plan=self._fixtures.plans[item.plan],
            webhook_secret=item.webhook_secret,
            enabled=item.enabled,
            standard_webhooks=item.standard_webhooks,
            ledger=ledger,
            ephemeral=ephemeral,
            clock=own,
        )

    def add(self, account: Account) -> None:
        self.by_key[account.key] = account

    def remove(self, key: str) -> None:
        """The account and its clock, if it has its own, go."""
        self.by_key.pop(key, None)
        self._clocks.drop(key)

    def restore(self, record: AccountRecord, entries: list[LedgerEntry]) -> bool:
        """Take back an account from the state file; False if its plan no longer exists."""
        plan = self._fixtures.plans.get(record.plan)
        if plan is None:
            logger.warning("state file: account %s has plan %r, which the fixtures no longer have; skipped",
                           record.key, record.plan)
            return False
        account = self.by_key.get(record.key)
        if account is None:
            fixture = AccountFixture(
                key=record.key, name=record.name, email=record.email, plan=record.plan, credits=0,
                webhook_secret=record.webhook_secret, enabled=record.enabled,
                standard_webhooks=record.standard_webhooks,
            )
            account = self.from_fixture(fixture, ephemeral=record.ephemeral, clock=record.clock)
            self.add(account)
        account.plan_id, account.plan, account.enabled = record.plan, plan, record.enabled
        account.ledger.restore(record.ledger, entries)
        return True

    def authenticate(self, key: str | None) -> Account:
        if key is None:
            raise missing_key()
        account = self.by_key.get(key)
        if account is None:
            raise Unauthenticated("Invalid API key")
        if not account.enabled:
            raise Forbidden("This account is disabled")
        return account
