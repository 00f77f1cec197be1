"""Control: what tests, the inspector and the pytest handles steer. Clocks (the server's and
accounts' own: advance, next, settle, speed), throw-away accounts, any account's jobs (moved now,
looked at in full), injected faults, and webhook re-sends."""

from __future__ import annotations

import asyncio
import secrets
from typing import Any

from ..speed import parse_speed
from .accounts import Account
from .clock import LATEST, Scheduler
from .errors import BadUserInput, Conflict, NotFound, TooManyAccounts
from .faults import Fault
from .fixtures import AccountFixture, Fixtures, PlanFixture
from .jobs import ACTIVE, CANCELLED, COMPLETED, FAILED, FINAL, PROCESSING, QUEUED, STATUSES, Found, Job, JobStatus
from .ledger import MAX_CREDITS
from .parts import Parts
from .reads import AccountRead, ClockRead, Counts, JobDetail, Step, account_read, clock_read
from .webhooks import FAILED_DELIVERY, Delivery

MAX_ADVANCE = 10 * 365 * 86400
# How long (real seconds, in all) advancing or settling a clock waits for the webhook attempts it
# starts; what is still in flight then goes on in the background. Bounded, so that receivers that
# never answer cannot hold an advance of a clock many accounts follow for long.
SETTLE_WAIT = 60.0
MAX_SETTLE_WAIT = 600.0
MAX_THROWAWAY_ACCOUNTS = 10_000
# A throw-away account unless told otherwise (the control API, the pytest handles).
THROWAWAY_PLAN = "pro"
THROWAWAY_CREDITS = 10_000
# Ledger entries an account read shows unless asked for another number.
ENTRIES = 50


def _deadline(wait: float) -> float:
    """The event loop's time `wait` real seconds from now."""
    if not 0 <= wait <= MAX_SETTLE_WAIT:
        raise BadUserInput(f"timeout must be between 0 and {MAX_SETTLE_WAIT:g} seconds", field="timeout")
    return asyncio.get_running_loop().time() + wait


class Control:
    def __init__(self, parts: Parts) -> None:
        self._parts = parts
        self._life = parts.life
        self._fixtures = parts.fixtures
        self._clock = parts.clock
        self._clocks = parts.clocks
        self._accounts = parts.accounts
        self._persistence = parts.persistence
        self._events = parts.events
        self._jobs = parts.jobs
        self._webhooks = parts.webhooks
        self._idempotency = parts.idempotency
        self._limiter = parts.limiter
        self._updates = parts.updates
        self._faults = parts.faults
        self._journal = parts.journal

    def catch_up(self) -> None:
        """Run what fell due on the server's clock before a route reads anything."""
        self._clocks.catch_up()

    @property
    def fixtures(self) -> Fixtures:
        return self._fixtures

    @property
    def generation(self) -> str:
        return self._life.generation

    def counts(self) -> Counts:
        jobs = self._jobs.by_id.values()
        deliveries = self._webhooks.all()
        return Counts(
            jobs=len(jobs),
            jobs_in_flight=sum(1 for j in jobs if j.status in ACTIVE),
            deliveries=len(deliveries),
            deliveries_failed=sum(1 for d in deliveries if d.state == FAILED_DELIVERY),
            journal=len(self._journal),
            faults=len(self._faults.list()),
            accounts=len(self._accounts.by_key),
        )

    # Accounts

    def _account(self, key: str) -> Account:
        account = self._accounts.by_key.get(key)
        if account is None:
            raise NotFound(f"no account with key {key!r}")
        return account

    def account(self, key: str, entries: int = ENTRIES) -> AccountRead:
        return account_read(self._parts, self._account(key), entries)

    def accounts(self, entries: int = 0) -> list[AccountRead]:
        return [account_read(self._parts, a, entries) for a in self._accounts.by_key.values()]

    def plans(self) -> dict[str, PlanFixture]:
        return dict(self._fixtures.plans)

    def create_account(
        self,
        *,
        plan: str = THROWAWAY_PLAN,
        credits: int = THROWAWAY_CREDITS,
        key: str | None = None,
        name: str | None = None,
        webhook_secret: str | None = None,
        standard_webhooks: bool = False,
        own_clock: bool = False,
    ) -> AccountRead:
        """A throw-away account, so parallel tests never share credits, limits or jobs; with
        `own_clock`, nor time."""
        self._check_plan(plan)
        if not 0 <= credits <= MAX_CREDITS:
            raise BadUserInput(f"credits must be between 0 and {MAX_CREDITS:,}", field="credits")
        if sum(1 for a in self._accounts.by_key.values() if a.ephemeral) >= MAX_THROWAWAY_ACCOUNTS:
            raise TooManyAccounts(
                f"this mock already holds {MAX_THROWAWAY_ACCOUNTS} throw-away accounts: delete those you no "
                "longer need (DELETE /_mock/accounts/{key}; the pytest plugin deletes its own), or reset the mock"
            )
        key = key or "mock_" + secrets.token_hex(12)
        if key in self._accounts.by_key:
            raise BadUserInput(f"an account with key {key!r} already exists", field="key")
        fixture = AccountFixture(
            key=key,
            name=name,
            plan=plan,
            credits=credits,
            webhook_secret=webhook_secret or "whsec_" + secrets.token_urlsafe(24),
            standard_webhooks=standard_webhooks,
        )
        account = self._accounts.from_fixture(fixture, ephemeral=True, own_clock=own_clock)
        self._accounts.add(account)
        self._account_changed(account)
        return account_read(self._parts, account, ENTRIES)

    def update_account(
        self, key: str, *, credits: int | None = None, plan: str | None = None, enabled: bool | None = None
    ) -> AccountRead:
        account = self._account(key)
        if credits is not None:
            held = account.ledger.held
            if not 0 <= credits <= MAX_CREDITS - held:
                raise BadUserInput(
                    f"credits must be between 0 and {MAX_CREDITS - held:,} (at most {MAX_CREDITS:,} with the "
                    f"{held:,} held for jobs in flight)",
                    field="credits",
                )
            account.ledger.set_available(credits)
        if plan is not None:
            self._check_plan(plan)
            account.plan_id, account.plan = plan, self._fixtures.plans[plan]
        if enabled is not None:
            account.enabled = enabled
        self._account_changed(account)
        return account_read(self._parts, account, ENTRIES)

    def delete_account(self, key: str) -> None:
        """A throw-away account goes, with everything of it: jobs (stopped), deliveries (no more
        retries), keys, counters, its clock. Its requests stay in the journal (they happened)."""
        account = self._account(key)
        if not account.ephemeral:
            raise Conflict(
                f"{key!r} is an account of the fixtures: disable it (PATCH enabled=false), "
                "or reload the fixtures without it"
            )
        with self._persistence.batch():
            self._webhooks.forget_account(key)
            self._jobs.forget_account(key)
            self._idempotency.forget_account(key)
            self._limiter.forget(key)
            self._accounts.remove(key)
            self._persistence.account_deleted(key)
        self._events.emit("account", key)

    def _account_changed(self, account: Account) -> None:
        self._persistence.account_changed(account)
        self._events.emit("account", account)

    def _check_plan(self, plan: str) -> None:
        if plan not in self._fixtures.plans:
            known = ", ".join(self._fixtures.plans)
            raise BadUserInput(f"unknown plan {plan!r} (known: {known})", field="plan")

    # Clocks

    def _read_time(self, account_key: str | None) -> Scheduler:
        """The clock an account follows (its own, or the server's), or the server's (None)."""
        if account_key is not None:
            self._account(account_key)
        return self._clocks.of(account_key)

    def _time(self, account_key: str | None) -> Scheduler:
        """The clock to move: the server's (None), or the account's own. An account that follows
        the server's clock cannot move it alone."""
        time = self._read_time(account_key)
        if account_key is not None and time is self._clocks.server:
            raise Conflict(
                f"account {account_key!r} follows the server's clock: move that one (/_mock/clock), "
                'or make the account with "clock": "own"'
            )
        return time

    def clock(self, account_key: str | None = None) -> ClockRead:
        """A clock as it stands: the server's, or the one the account follows."""
        time = self._read_time(account_key)
        return clock_read(time, time is not self._clocks.server)

    async def advance(self, seconds: float, account_key: str | None = None, wait: float = SETTLE_WAIT) -> int:
        """Move a clock (the server's, or the account's own), running what falls due at its own
        time and waiting (up to `wait` real seconds in all) for the webhook attempts that starts;
        returns how many timers ran."""
        time = self._time(account_key)
        if not 0 <= seconds <= MAX_ADVANCE:
            raise BadUserInput("seconds must be between 0 and ten years", field="seconds")
        if time.now() + seconds > LATEST:
            raise BadUserInput("the clock cannot be advanced past the year 3000", field="seconds")
        ran = await time.advance(seconds, _deadline(wait))
        self._clock_moved(account_key)
        return ran

    async def advance_to_next(self, account_key: str | None = None, wait: float = SETTLE_WAIT) -> int:
        """Move the clock to the next scheduled event and run it (and whatever is due with it);
        attempts in flight end first, since the retry they may schedule can be the next event."""
        time = self._time(account_key)
        deadline = _deadline(wait)
        await time.settle(deadline)
        due = time.next_due()
        step = max(due - time.now(), 0.0) if due is not None else 0.0
        return await self.advance(step, account_key, max(deadline - asyncio.get_running_loop().time(), 0.0))

    async def settle(self, account_key: str | None = None, wait: float = SETTLE_WAIT) -> int:
        """Wait (up to `wait` real seconds) until nothing is due at the clock's current time and
        no webhook attempt it started is in flight; returns how many timers ran meanwhile."""
        return await self._read_time(account_key).settle(_deadline(wait))

    def set_speed(self, speed: str | float, account_key: str | None = None) -> ClockRead:
        """Applies to transitions scheduled from now on (on that clock only)."""
        time = self._time(account_key)
        try:
            time.speed = parse_speed(speed)
        except ValueError as exc:
            raise BadUserInput(str(exc), field="speed") from None
        self._clock_moved(account_key)
        return self.clock(account_key)

    def _clock_moved(self, account_key: str | None) -> None:
        """Keep and announce a clock that moved or changed speed (unless a reset replaced this
        generation while it moved: then nothing of it may reach the store)."""
        self._life.check_open()
        self._updates.wake_all()
        if account_key is None:
            self._persistence.clock_moved(self._clock.state())
            self._events.emit("clock", self._clock)
        else:
            self._account_changed(self._account(account_key))

    # Jobs of any account

    def jobs(
        self,
        *,
        account_key: str | None = None,
        statuses: frozenset[str] | None = None,
        text: str | None = None,
        before: int | None = None,
        limit: int = 500,
    ) -> Found:
        """Every account's jobs (or one account's) that match, newest first (see `Jobs.search`)."""
        return self._jobs.search(account_key=account_key, statuses=statuses, text=text, before=before, limit=limit)

    def _job(self, job_id: str) -> Job:
        job = self._jobs.find(job_id)
        if job is None:
            raise NotFound(f"no job with id {job_id!r}")
        return job

    def now(self, job: Job) -> float:
        """The time on the clock of the job's account."""
        return self._clocks.now(job.account_key)

    def job(self, job_id: str) -> JobDetail:
        """One job with its timeline, its credits' ledger entries and its webhook deliveries."""
        job = self._job(job_id)
        account = self._accounts.by_key.get(job.account_key)
        entries = [e for e in account.ledger.entries if e.job_id == job.id] if account is not None else []
        return JobDetail(job, self.now(job), self._timeline(job), entries, self._webhooks.for_job(job.id))

    def _timeline(self, job: Job) -> list[Step]:
        """What happened to the job and when, on its account's clock; what is still to come is
        `planned` (it moves if the clock's speed changes or someone steps in)."""
        steps = [Step(QUEUED, job.created_at, False)]
        if job.started_at is not None:
            steps.append(Step(PROCESSING, job.started_at, False))
        elif job.status == QUEUED and job.starts_at is not None:
            steps.append(Step(PROCESSING, job.starts_at, True))
        if job.status in FINAL:
            steps.append(Step(job.status, job.finished_at, False))
        elif job.ends_at is not None or job.status == QUEUED:
            scenario = job.plan.scenario
            final: JobStatus = FAILED if scenario is not None and scenario.fail is not None else COMPLETED
            if job.ends_at is not None:
                ends = job.ends_at
            else:  # still queued: it will process for its processing time, scaled when it starts
                time = self._clocks.of(job.account_key)
                ends = (job.starts_at or job.created_at) + time.scaled(job.processing_seconds)
            steps.append(Step(final, ends, True))
        return steps

    def move_job(self, job_id: str, status: str, code: str | None = None, message: str | None = None) -> Job:
        """Put a job into a state now: processing, completed, failed or cancelled."""
        job = self._job(job_id)
        if status == PROCESSING:
            return self._jobs.start(job)
        if status == COMPLETED:
            return self._jobs.complete(job)
        if status == FAILED:
            message = message or "The job was failed from the control API"
            return self._jobs.fail(job, code or "GENERATION_FAILED", message)
        if status == CANCELLED:
            return self._jobs.cancel(job)
        raise BadUserInput(
            f"cannot move a job to {status!r} (use one of {', '.join(s for s in STATUSES if s != 'queued')})",
            field="status",
        )

    # Faults

    def faults(self) -> list[Fault]:
        return self._faults.list()

    def add_fault(self, **fields: Any) -> Fault:
        fault = self._faults.add(**fields)
        self._events.emit("fault", fault)
        return fault

    def remove_fault(self, fault_id: str) -> None:
        if not self._faults.remove(fault_id):
            raise NotFound(f"no fault {fault_id!r}")
        self._events.emit("fault", None)

    def clear_faults(self) -> int:
        removed = self._faults.clear()
        self._events.emit("fault", None)
        return removed

    # Webhook deliveries

    async def resend(self, delivery_id: str) -> Delivery:
        """Send a delivery once more now, whatever its state, and wait for the answer."""
        return await self._webhooks.resend(delivery_id)
