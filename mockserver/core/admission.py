"""The one step every API request takes, on every surface (REST, GraphQL over HTTP and over
WebSocket): authenticate the key, count the request against the plan's per-minute window, and
carry what the request said about idempotency.

The surfaces call it before they look at the request's content, so a request that fails to
parse or validate is counted like any other, and every answer to an admitted request can carry
the rate-limit headers of `Admission.headers`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .accounts import Account, Accounts
from .ratelimits import RateLimiter

if TYPE_CHECKING:
    from .persistence import Persistence


@dataclass(slots=True)
class Caller:
    """An admitted request: whose it is, its `Idempotency-Key`, and whether it was a replay."""

    account: Account
    idempotency_key: str | None = None
    replayed: bool = False


class Admission:
    def __init__(self, accounts: Accounts, limiter: RateLimiter, persistence: Persistence) -> None:
        self._accounts = accounts
        self._limiter = limiter
        self._persistence = persistence

    def admit(self, key: str | None, idempotency_key: str | None = None) -> Caller:
        """Authenticate and count, or raise UNAUTHENTICATED, FORBIDDEN or RATE_LIMITED."""
        account = self._accounts.authenticate(key)
        self._limiter.count_request(account)
        self._persistence.usage_changed(account.key, self._limiter.raw_usage(account.key))
        return Caller(account, idempotency_key)

    def headers(self, account: Account) -> dict[str, str]:
        """The rate-limit headers every answer to an admitted request carries."""
        return self._limiter.headers(account)
