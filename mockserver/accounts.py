"""Accounts as the server holds them at run time: fixture data plus a live ledger."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .clock import Clock
from .credits import Ledger
from .errors import Forbidden, Unauthenticated
from .fixtures import AccountFixture, Fixtures, PlanFixture


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

    @property
    def id(self) -> str:
        return "acct_" + self.key.lower().replace(" ", "_")[:40]

    def to_dict(self, entries: int = 20) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "email": self.email,
            "plan": plan_dict(self.plan_id, self.plan),
            "credits": self.ledger.to_dict(entries),
            "enabled": self.enabled,
        }


def plan_dict(plan_id: str, plan: PlanFixture) -> dict[str, Any]:
    return {
        "id": plan_id,
        "name": plan.name,
        "requestsPerMinute": plan.requests_per_minute,
        "concurrentJobs": plan.concurrent_jobs,
        "dailyJobs": plan.daily_jobs,
    }


def extract_key(headers: Any) -> str | None:
    """`X-API-Key: k` or `Authorization: Bearer k`, on either surface."""
    key = headers.get("x-api-key")
    if key:
        return key.strip() or None
    auth = headers.get("authorization")
    if auth:
        scheme, _, credentials = auth.strip().partition(" ")
        if scheme.lower() == "bearer" and credentials.strip():
            return credentials.strip()
    return None


class Accounts:
    def __init__(self, clock: Clock, fixtures: Fixtures, fake: Any) -> None:
        self._clock = clock
        self._fixtures = fixtures
        self._fake = fake
        self.by_key: dict[str, Account] = {}
        for item in fixtures.accounts.accounts:
            self.add(self.from_fixture(item))

    def from_fixture(self, item: AccountFixture, ephemeral: bool = False) -> Account:
        return Account(
            key=item.key,
            name=item.name or self._fake().name(),
            email=item.email or self._fake().email(),
            plan_id=item.plan,
            plan=self._fixtures.plans.plans[item.plan],
            webhook_secret=item.webhook_secret,
            enabled=item.enabled,
            standard_webhooks=item.standard_webhooks,
            ledger=Ledger(self._clock, item.credits),
            ephemeral=ephemeral,
        )

    def add(self, account: Account) -> None:
        self.by_key[account.key] = account

    def authenticate(self, headers: Any) -> Account:
        key = extract_key(headers)
        if key is None:
            raise Unauthenticated(
                "Missing API key: send 'Authorization: Bearer <key>' or 'X-API-Key: <key>'"
            )
        account = self.by_key.get(key)
        if account is None:
            raise Unauthenticated("Invalid API key")
        if not account.enabled:
            raise Forbidden("This account is disabled")
        return account
