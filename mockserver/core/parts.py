"""What one generation of the emulated service is made of (`Parts`, built by the composition
root, `assembly.py`), and whether it still serves (`Lifecycle`). Shared by the facades; nothing
outside the core holds them."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .accounts import Accounts
from .admission import Admission, Caller
from .billing import Billing
from .clock import Clock
from .clocks import Clocks
from .errors import ServiceUnavailable
from .events import Events
from .faults import Faults
from .fixtures import Fixtures
from .idempotency import IdempotencyStore
from .jobs import Jobs
from .journal import Journal
from .media import MediaStore
from .persistence import Persistence
from .ratelimits import RateLimiter
from .updates import JobUpdates
from .webhooks import Webhooks

if TYPE_CHECKING:
    from ..settings import Settings


class Lifecycle:
    """Whether this generation still serves (a reset retires it), and which one it is: a new one
    at every reset and every start without a state file, so a client that stored job ids (the
    demo page) knows when the state behind them is gone."""

    def __init__(self, accounts: Accounts) -> None:
        self._accounts = accounts
        self.closed = False
        self.generation = secrets.token_hex(8)

    def check_open(self, caller: Caller | None = None) -> None:
        """Refuse a change to a generation a reset has replaced (a request that was in flight
        when the mock was reset), or by a caller another generation admitted: the change would
        land in state no one reads any more, or in this one with the other's ledger."""
        stale = caller is not None and self._accounts.by_key.get(caller.account.key) is not caller.account
        if self.closed or stale:
            raise ServiceUnavailable("the mock was reset while this request was in flight: send it again")


@dataclass(eq=False)
class Parts:
    """What one generation is made of (the composition root builds it). The facades share it;
    nothing outside the core holds one."""

    settings: Settings
    fixtures: Fixtures
    clock: Clock
    clocks: Clocks
    persistence: Persistence
    accounts: Accounts
    billing: Billing
    limiter: RateLimiter
    admission: Admission
    jobs: Jobs
    webhooks: Webhooks
    media: MediaStore
    updates: JobUpdates
    idempotency: IdempotencyStore
    journal: Journal
    faults: Faults
    fake: Callable[[], Any]
    events: Events
    life: Lifecycle = field(init=False)

    def __post_init__(self) -> None:
        self.life = Lifecycle(self.accounts)
