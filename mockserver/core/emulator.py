"""The emulated service's operations, called alike by the REST routes, the GraphQL resolvers,
the control API and the pytest plugin's in-process handle.

An `Emulator` holds one generation of state (accounts, jobs, limits, deliveries, journal,
faults) built from fixtures by `assembly.build_emulator`; a reset builds a new one rather than
patching this one. Nothing here awaits between a check and the change it allows, so under any
concurrency credits, counters and jobs stay consistent.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from .accounts import Account, Accounts
from .admission import Admission, Caller
from .clock import LATEST, Clock, Scheduler, parse_speed
from .clocks import Clocks
from .errors import BadUserInput, Conflict, NotFound, ServiceUnavailable, TooManyAccounts
from .events import Events
from .faults import Fault, Faults, RequestInfo
from .fixtures import AccountFixture, Fixtures
from .idempotency import IdempotencyStore, check_key
from .inputs import Estimate, JobRequest, find_scenario, plan_job, price_speech
from .jobs import ACTIVE, CANCELLED, COMPLETED, FAILED, PROCESSING, STATUSES, Job, Jobs, Page
from .journal import Journal, JournalPage, RecordedRequest
from .ledger import MAX_CREDITS
from .limits import RateLimiter
from .media import MediaStore
from .targets import ServerAddress, check_webhook_url
from .updates import PROGRESS_TICK, JobUpdates
from .webhooks import FAILED_DELIVERY, Delivery, Webhooks

if TYPE_CHECKING:
    from ..settings import Settings
    from ..store.base import Store

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


def _deadline(wait: float) -> float:
    """The event loop's time `wait` real seconds from now."""
    if not 0 <= wait <= MAX_SETTLE_WAIT:
        raise BadUserInput(f"timeout must be between 0 and {MAX_SETTLE_WAIT:g} seconds", field="timeout")
    return asyncio.get_running_loop().time() + wait


@dataclass(frozen=True, slots=True)
class Here:
    """Where a request reached the mock: the base of the URLs it answers with, and (worked out
    only for a job with a webhook) the address the webhook must not point back at: the names and
    ports the server knows it by, and the address and port this connection came in on."""

    base_url: str
    known: ServerAddress
    server: tuple[str, int] | None = None

    @property
    def address(self) -> ServerAddress:
        if self.server is None:
            return self.known
        host, port = self.server
        return ServerAddress(self.known.hosts | {host.lower()}, self.known.ports | {port})


@dataclass(frozen=True, slots=True)
class Counts:
    jobs: int
    jobs_in_flight: int
    deliveries: int
    deliveries_failed: int
    journal: int
    faults: int


@dataclass
class Emulator:
    settings: Settings
    fixtures: Fixtures
    clock: Clock
    clocks: Clocks
    store: Store
    accounts: Accounts
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
    closed: bool = False
    # Which state this is: a new one at every reset and every start without a state file, so a
    # client that stored job ids (the demo page) knows when ids that repeat (--seed) are new jobs.
    generation: str = field(default_factory=lambda: secrets.token_hex(8))

    def catch_up(self, account_key: str | None = None) -> None:
        """Run the timers that fell due (the server's, and the account's own clock's), so a read
        never shows stale state."""
        self.clocks.server.run_due()
        if account_key is not None and self.clocks.has_own(account_key):
            self.clocks.of(account_key).run_due()

    def start(self) -> None:
        """Arm the schedulers on the running event loop (timers set before it had one included)."""
        self.clocks.wake()

    def now(self, account_key: str | None = None) -> float:
        """The time on the account's clock (its own, or the server's), or the server's."""
        return self.clocks.now(account_key)

    # The emulated API

    def admit(self, key: str | None, idempotency_key: str | None = None) -> Caller:
        self.check_open()
        self.catch_up(key)
        return self.admission.admit(key, idempotency_key)

    def submit(self, caller: Caller, request: JobRequest, here: Here) -> Job:
        """Start a job, or return the one an earlier request with the same key started."""
        self.check_open(caller)
        with self.store.batch():
            return self._submit(caller, request, here)

    def _submit(self, caller: Caller, request: JobRequest, here: Here) -> Job:
        account = caller.account
        key = check_key(caller.idempotency_key)
        plan = plan_job(request, self.fixtures)
        if plan.request.webhook_url is not None:
            check_webhook_url(plan.request.webhook_url, self.settings.webhook_allow, here.address)
        if key is not None:
            earlier = self.idempotency.lookup(account.key, key, plan.request)
            if earlier is not None:
                caller.replayed = True
                return earlier
        self.limiter.check_job(account, lambda: self.jobs.earliest_end(account.key))
        account.ledger.check(plan.credit_cost)
        scenario = find_scenario(plan.request, account.key, self.fixtures)
        if scenario is not None:
            plan = replace(plan, scenario=scenario)
        job_id = self.jobs.new_id()
        account.ledger.hold(job_id, plan.credit_cost)
        job = self.jobs.create(account.key, plan, here.base_url, job_id)
        self.limiter.count_job(account)
        if key is not None:
            record = self.idempotency.remember(account.key, key, plan.request, job)
            self.store.save_idempotency(account.key, key, record)
        self.store.save_usage(account.key, self.limiter.raw_usage(account.key))
        self.store.save_account(account)
        return job

    def job(self, account: Account, job_id: str) -> Job:
        return self.jobs.get(account.key, job_id)

    def list_jobs(
        self, account: Account, *, first: int = 20, after: str | None = None, status: str | None = None
    ) -> Page:
        return self.jobs.page(account.key, first=first, after=after, status=status)

    def cancel(self, account: Account, job_id: str) -> Job:
        self.check_open()
        return self.jobs.cancel(self.jobs.get(account.key, job_id))

    def estimate(self, text: str | None, audio_url: str | None) -> Estimate:
        return price_speech(text, audio_url, self.fixtures)

    def rate_headers(self, account: Account) -> dict[str, str]:
        return self.admission.headers(account)

    # Control operations

    def account(self, key: str) -> Account:
        account = self.accounts.by_key.get(key)
        if account is None:
            raise NotFound(f"no account with key {key!r}")
        return account

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
    ) -> Account:
        """A throw-away account, so parallel tests never share credits, limits or jobs; with
        `own_clock`, nor time."""
        self._check_plan(plan)
        if credits < 0:
            raise BadUserInput("credits must not be negative", field="credits")
        if sum(1 for a in self.accounts.by_key.values() if a.ephemeral) >= MAX_THROWAWAY_ACCOUNTS:
            raise TooManyAccounts(
                f"this mock already holds {MAX_THROWAWAY_ACCOUNTS} throw-away accounts: delete those you no "
                "longer need (DELETE /_mock/accounts/{key}; the pytest plugin deletes its own), or reset the mock"
            )
        key = key or "mock_" + secrets.token_hex(12)
        if key in self.accounts.by_key:
            raise BadUserInput(f"an account with key {key!r} already exists", field="key")
        fixture = AccountFixture(
            key=key,
            name=name,
            plan=plan,
            credits=credits,
            webhook_secret=webhook_secret or "whsec_" + secrets.token_urlsafe(24),
            standard_webhooks=standard_webhooks,
        )
        account = self.accounts.from_fixture(fixture, ephemeral=True, own_clock=own_clock)
        self.accounts.add(account)
        self.store.save_account(account)
        self.events.emit("account", account)
        return account

    def update_account(
        self, key: str, *, credits: int | None = None, plan: str | None = None, enabled: bool | None = None
    ) -> Account:
        account = self.account(key)
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
            account.plan_id, account.plan = plan, self.fixtures.plans.plans[plan]
        if enabled is not None:
            account.enabled = enabled
        self.store.save_account(account)
        self.events.emit("account", account)
        return account

    def delete_account(self, key: str) -> None:
        """A throw-away account goes, with everything of it: jobs (stopped), deliveries (no more
        retries), keys, counters, its clock. Its requests stay in the journal (they happened)."""
        account = self.account(key)
        if not account.ephemeral:
            raise Conflict(
                f"{key!r} is an account of the fixtures: disable it (PATCH enabled=false), "
                "or reload the fixtures without it"
            )
        with self.store.batch():
            self.webhooks.forget_account(key)
            self.jobs.forget_account(key)
            self.idempotency.forget_account(key)
            self.limiter.forget(key)
            self.accounts.remove(key)
            self.store.forget_account(key)
        self.events.emit("account", key)

    def all_accounts(self) -> list[Account]:
        return list(self.accounts.by_key.values())

    def _check_plan(self, plan: str) -> None:
        if plan not in self.fixtures.plans.plans:
            known = ", ".join(self.fixtures.plans.plans)
            raise BadUserInput(f"unknown plan {plan!r} (known: {known})", field="plan")

    def time_of(self, account_key: str | None = None) -> Scheduler:
        """The clock an account follows (its own, or the server's), or the server's (None)."""
        if account_key is not None:
            self.account(account_key)
        return self.clocks.of(account_key)

    def _time(self, account_key: str | None) -> Scheduler:
        """The clock to move: the server's (None), or the account's own. An account that follows
        the server's clock cannot move it alone."""
        time = self.time_of(account_key)
        if account_key is not None and time is self.clocks.server:
            raise Conflict(
                f"account {account_key!r} follows the server's clock: move that one (/_mock/clock), "
                'or make the account with "clock": "own"'
            )
        return time

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

    def next_due(self, account_key: str | None = None) -> float | None:
        """When the next scheduled event (a job transition, a webhook retry) is due."""
        return self.time_of(account_key).next_due()

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
        return await self.time_of(account_key).settle(_deadline(wait))

    def set_speed(self, speed: str | float, account_key: str | None = None) -> None:
        """Applies to transitions scheduled from now on (on that clock only)."""
        time = self._time(account_key)
        try:
            time.clock.speed = parse_speed(speed)
        except ValueError as exc:
            raise BadUserInput(str(exc), field="speed") from None
        self._clock_moved(account_key)

    def check_watch_room(self, account: Account) -> None:
        """A subscription is about to start: refused now if the account holds all it may."""
        self.updates.check_room(account.key)

    def watch(self, job: Job, view: Callable[[Job], dict[str, Any]]) -> AsyncIterator[dict[str, Any]]:
        """A live subscription to the job: its views as they change (see `updates`)."""
        time = self.clocks.of(job.account_key)
        return self.updates.watch(
            job, view, lambda: self.catch_up(job.account_key), None if time.clock.virtual else PROGRESS_TICK
        )

    def _clock_moved(self, account_key: str | None) -> None:
        """Keep and announce a clock that moved or changed speed (unless a reset replaced this
        generation while it moved: then nothing of it may reach the store)."""
        self.check_open()
        self.updates.wake_all()
        if account_key is None:
            self.store.save_clock(self.clock.state())
            self.events.emit("clock", self.clock)
        else:
            account = self.account(account_key)
            self.store.save_account(account)
            self.events.emit("account", account)

    def completed_job(self, job_id: str) -> Job:
        """A job whose output can be fetched (output URLs need no key: their ids are unguessable)."""
        self.catch_up()
        job = self.jobs.by_id.get(job_id)
        if job is None or job.status != COMPLETED:
            raise NotFound(f"no output for job {job_id!r}")
        return job

    def any_job(self, job_id: str) -> Job:
        job = self.jobs.by_id.get(job_id)
        if job is None:
            raise NotFound(f"no job with id {job_id!r}")
        return job

    def move_job(self, job_id: str, status: str, code: str | None = None, message: str | None = None) -> Job:
        """Put a job into a state now: processing, completed, failed or cancelled."""
        job = self.any_job(job_id)
        if status == PROCESSING:
            return self.jobs.start(job)
        if status == COMPLETED:
            return self.jobs.complete(job)
        if status == FAILED:
            message = message or "The job was failed from the control API"
            return self.jobs.fail(job, code or "GENERATION_FAILED", message)
        if status == CANCELLED:
            return self.jobs.cancel(job)
        raise BadUserInput(
            f"cannot move a job to {status!r} (use one of {', '.join(s for s in STATUSES if s != 'queued')})",
            field="status",
        )

    def counts(self) -> Counts:
        jobs = self.jobs.by_id.values()
        return Counts(
            jobs=len(jobs),
            jobs_in_flight=sum(1 for j in jobs if j.status in ACTIVE),
            deliveries=len(self.webhooks.deliveries),
            deliveries_failed=sum(1 for d in self.webhooks.deliveries.values() if d.state == FAILED_DELIVERY),
            journal=len(self.journal),
            faults=len(self.faults.list()),
        )

    # Webhook deliveries

    def deliveries(self, *, job_id: str | None = None, account_key: str | None = None) -> list[Delivery]:
        if job_id:
            return self.webhooks.for_job(job_id)
        if account_key:
            return self.webhooks.for_account(account_key)
        return self.webhooks.all()

    def delivery(self, delivery_id: str) -> Delivery:
        return self.webhooks.get(delivery_id)

    async def wait_for_delivery(self, delivery_id: str, attempts: int, timeout: float) -> Delivery:
        """The delivery once `attempts` of its attempts are recorded, or as it is after `timeout`."""
        return await self.webhooks.wait_for(delivery_id, attempts, timeout)

    async def resend(self, delivery_id: str) -> Delivery:
        return await self.webhooks.resend(delivery_id)

    # Faults and the request journal

    def add_fault(self, **fields: Any) -> Fault:
        fault = self.faults.add(**fields)
        self.events.emit("fault", fault)
        return fault

    def take_fault(self, info: RequestInfo) -> Fault | None:
        fault = self.faults.take(info) if self.faults else None
        if fault is not None:
            self.events.emit("fault", fault)
        return fault

    def remove_fault(self, fault_id: str) -> None:
        if not self.faults.remove(fault_id):
            raise NotFound(f"no fault {fault_id!r}")
        self.events.emit("fault", None)

    def clear_faults(self) -> int:
        removed = self.faults.clear()
        self.events.emit("fault", None)
        return removed

    def requests(self, **filters: Any) -> JournalPage:
        return self.journal.find(**filters)

    def recorded(self, entry_id: int) -> RecordedRequest:
        entry = self.journal.get(entry_id)
        if entry is None:
            raise NotFound(f"no request {entry_id} in the journal")
        return entry

    def clear_requests(self) -> int:
        removed = self.journal.clear()
        self.events.emit("journal", removed)
        return removed

    def check_open(self, caller: Caller | None = None) -> None:
        """Refuse a change to a generation a reset has replaced (a request that was in flight
        when the mock was reset), or by a caller another generation admitted: the change would
        land in state no one reads any more, or in this one with the other's ledger."""
        stale = caller is not None and self.accounts.by_key.get(caller.account.key) is not caller.account
        if self.closed or stale:
            raise ServiceUnavailable("the mock was reset while this request was in flight: send it again")

    async def retire(self) -> None:
        """A reset replaced this generation: everything it runs stops for good (timers,
        deliveries, renders, subscriptions) and it refuses changes."""
        self.closed = True
        self.updates.close()
        self.clocks.close()
        self.media.close()
        await self.webhooks.close(final=True)

    async def stop(self) -> None:
        """The server stops (its lifespan ends): what runs in the background stops, the state
        stays, and the next start (an app reused by another test client) takes it up again."""
        self.clocks.pause()
        self.media.close()
        await self.webhooks.close(final=False)
