"""Read models: what the facades answer with when an answer is more than one record, worked out
in the core at the moment of the read (on the right clock) so the surfaces only serialise it.
Records that are whole on their own (a `Job`, a `Delivery`, a `Fault`, a `RecordedRequest`, a
`LedgerEntry`) are answered as they are."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .accounts import Account
from .clock import Scheduler
from .fixtures import PlanFixture
from .jobs import Job, JobStatus
from .ledger import LedgerEntry
from .ratelimits import DAY, MINUTE
from .webhooks import Delivery

if TYPE_CHECKING:
    from .parts import Parts


@dataclass(frozen=True, slots=True)
class ClockRead:
    """A clock as it stands: the server's, or an account's own (`own`), and how many webhook
    attempts it started are still in flight."""

    now: float
    virtual: bool
    speed: float
    own: bool
    next_due: float | None
    in_flight: int = 0


@dataclass(frozen=True, slots=True)
class CreditsRead:
    balance: int
    available: int
    held: int
    charged: int
    entries: list[LedgerEntry]  # newest first


@dataclass(frozen=True, slots=True)
class UsageRead:
    """An account's limits as they stand (reading them opens no window)."""

    requests_this_minute: int
    minute_resets_at: float
    jobs_today: int
    day_resets_at: float
    active_jobs: int


@dataclass(frozen=True, slots=True)
class AccountRead:
    key: str
    id: str
    name: str
    email: str
    plan_id: str
    plan: PlanFixture
    enabled: bool
    webhook_secret: str
    standard_webhooks: bool
    ephemeral: bool
    credits: CreditsRead
    usage: UsageRead
    clock: ClockRead


@dataclass(frozen=True, slots=True)
class Step:
    """A job's status and when it was reached, or is expected to be (`planned`)."""

    status: JobStatus
    at: float | None
    planned: bool


@dataclass(frozen=True, slots=True)
class JobDetail:
    """One job with what the control API and the inspector show of it."""

    job: Job
    now: float
    timeline: list[Step]
    ledger: list[LedgerEntry]
    deliveries: list[Delivery]


@dataclass(frozen=True, slots=True)
class Counts:
    jobs: int
    jobs_in_flight: int
    deliveries: int
    deliveries_failed: int
    journal: int
    faults: int
    accounts: int


def clock_read(time: Scheduler, own: bool) -> ClockRead:
    return ClockRead(time.now(), time.virtual, time.speed, own, time.next_due(), time.in_flight)


def account_read(parts: Parts, account: Account, entries: int) -> AccountRead:
    """The account as it stands now, with its newest `entries` ledger entries."""
    ledger = account.ledger
    limiter = parts.limiter
    usage = limiter.peek(account)
    time = parts.clocks.of(account.key)
    return AccountRead(
        key=account.key,
        id=account.id,
        name=account.name,
        email=account.email,
        plan_id=account.plan_id,
        plan=account.plan,
        enabled=account.enabled,
        webhook_secret=account.webhook_secret,
        standard_webhooks=account.standard_webhooks,
        ephemeral=account.ephemeral,
        credits=CreditsRead(ledger.balance, ledger.available, ledger.held, ledger.charged, ledger.recent(entries)),
        usage=UsageRead(
            requests_this_minute=usage.window_count,
            minute_resets_at=usage.window_start + MINUTE,
            jobs_today=usage.day_count,
            day_resets_at=(usage.day + 1) * DAY,
            active_jobs=limiter.active_jobs(account.key),
        ),
        clock=clock_read(time, time is not parts.clocks.server),
    )
