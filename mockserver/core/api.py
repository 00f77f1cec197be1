"""The emulated API, as its callers see it on every surface (REST, GraphQL over HTTP and over
WebSocket): the one admission step (authenticate, count, keep the counters, pick an injected
fault), jobs, the account, the catalogue, prices, live updates and outputs."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace
from pathlib import Path

from .accounts import Account
from .admission import Caller
from .errors import ApiError, NotFound
from .faults import Fault, RequestInfo
from .fixtures import Fixtures, VoiceFixture
from .idempotency import check_key
from .inputs import Estimate, JobRequest, find_scenario, plan_job, price_speech
from .jobs import COMPLETED, Job, Page
from .parts import Parts
from .reads import AccountRead, account_read
from .targets import ServerAddress, check_webhook_url
from .updates import PROGRESS_TICK, View
from .webhooks import Delivery

# Ledger entries an account read shows unless asked for another number.
ENTRIES = 20


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
class Admitted:
    """What the admission step decided: the caller (None: refused by a fault, or anonymous), the
    injected fault that met the request, if one did, and the error it answers with, if any (the
    transport raises it once it has noted the fault)."""

    caller: Caller | None
    fault: Fault | None = None
    refusal: ApiError | None = None


class Api:
    def __init__(self, parts: Parts) -> None:
        self._life = parts.life
        self._settings = parts.settings
        self._fixtures = parts.fixtures
        self._clocks = parts.clocks
        self._accounts = parts.accounts
        self._admission = parts.admission
        self._faults = parts.faults
        self._events = parts.events
        self._persistence = parts.persistence
        self._billing = parts.billing
        self._limiter = parts.limiter
        self._jobs = parts.jobs
        self._idempotency = parts.idempotency
        self._updates = parts.updates
        self._webhooks = parts.webhooks
        self._media = parts.media
        self._parts = parts

    # The one admission step

    @property
    def faults_need_operation(self) -> bool:
        """Whether a fault in force matches on a GraphQL operation's name (a transport must then
        read the operation before it admits the request)."""
        return bool(self._faults) and self._faults.needs_operation

    async def admit(
        self,
        request: RequestInfo,
        idempotency_key: str | None = None,
        anonymous: bool = False,
        counted: bool = True,
    ) -> Admitted:
        """The one step every request takes on every surface (REST, GraphQL over HTTP, each
        operation over WebSocket, and media for faults only): an injected fault that matches
        answers it (after its latency); else its key is authenticated and counted against the
        plan's minute, and the counters kept. With `anonymous`, a request with no key at all
        goes on without a caller (GraphQL lets it introspect); a wrong key is refused all the
        same. Without `counted` (media: output URLs need no key) nothing is authenticated."""
        fault = self._fault_for(request) if self._faults else None
        if fault is not None:
            if fault.latency:
                await asyncio.sleep(fault.latency)
            refusal = fault.error()
            if refusal is not None:
                return Admitted(None, fault, refusal)
        if not counted or (request.key is None and anonymous):
            return Admitted(None, fault)
        self._life.check_open()
        self._clocks.catch_up(request.key)
        return Admitted(self._admission.admit(request.key, idempotency_key), fault)

    def _fault_for(self, request: RequestInfo) -> Fault | None:
        fault = self._faults.take(request)
        if fault is not None:
            self._events.emit("fault", fault)
        return fault

    def authenticate(self, key: str | None) -> Account:
        """Who the key is, without counting a request (a WebSocket's `connection_init`)."""
        return self._accounts.authenticate(key)

    def rate_headers(self, account: Account) -> dict[str, str]:
        return self._admission.headers(account)

    # Jobs

    def submit(self, caller: Caller, request: JobRequest, here: Here) -> Job:
        """Start a job, or return the one an earlier request with the same key started."""
        self._life.check_open(caller)
        with self._persistence.batch():
            return self._submit(caller, request, here)

    def _submit(self, caller: Caller, request: JobRequest, here: Here) -> Job:
        account = caller.account
        key = check_key(caller.idempotency_key)
        plan = plan_job(request, self._fixtures)
        if plan.request.webhook_url is not None:
            check_webhook_url(plan.request.webhook_url, self._settings.webhook_allow, here.address)
        if key is not None:
            earlier = self._idempotency.lookup(account.key, key, plan.request)
            if earlier is not None:
                caller.replayed = True
                return earlier
        self._limiter.check_job(account, lambda: self._jobs.earliest_end(account.key))
        self._billing.check(account, plan.credit_cost)
        scenario = find_scenario(plan.request, account.key, self._fixtures)
        if scenario is not None:
            plan = replace(plan, scenario=scenario)
        job_id = self._jobs.new_id()
        self._billing.hold(account, job_id, plan.credit_cost)
        job = self._jobs.create(account.key, plan, here.base_url, job_id)
        self._limiter.count_job(account)
        if key is not None:
            self._idempotency.remember(account.key, key, plan.request, job)
        self._persistence.usage_changed(account.key, self._limiter.raw_usage(account.key))
        self._persistence.account_changed(account)
        return job

    def job(self, account: Account, job_id: str) -> Job:
        return self._jobs.get(account.key, job_id)

    def jobs(self, account: Account, *, first: int, after: str | None = None, status: str | None = None) -> Page:
        return self._jobs.page(account.key, first=first, after=after, status=status)

    def cancel(self, account: Account, job_id: str) -> Job:
        self._life.check_open()
        return self._jobs.cancel(self._jobs.get(account.key, job_id))

    def now(self, job: Job) -> float:
        """The time on the clock of the job's account (its progress is read against it)."""
        return self._clocks.now(job.account_key)

    def deliveries(self, account: Account, job_id: str) -> list[Delivery]:
        """The webhook deliveries of one of the caller's jobs."""
        return self._webhooks.for_job(self._jobs.get(account.key, job_id).id)

    # The account, the catalogue, prices

    def account(self, account: Account, entries: int = ENTRIES) -> AccountRead:
        return account_read(self._parts, account, entries)

    def catalog(self) -> Fixtures:
        """The avatars and voices (the fixtures the server runs on)."""
        return self._fixtures

    def voices(self, language: str | None) -> list[VoiceFixture]:
        return self._fixtures.voices_for(language) if language else list(self._fixtures.voices)

    def estimate(self, text: str | None, audio_url: str | None) -> Estimate:
        return price_speech(text, audio_url, self._fixtures)

    # Live updates

    def check_watch_room(self, account: Account) -> None:
        """A subscription is about to start: refused now if the account holds all it may."""
        self._updates.check_room(account.key)

    def watch(self, job: Job, view: Callable[[Job], View]) -> AsyncIterator[View]:
        """A live subscription to the job: its views as they change (see `updates`)."""
        time = self._clocks.of(job.account_key)
        return self._updates.watch(
            job, view, lambda: self._clocks.catch_up(job.account_key), None if time.virtual else PROGRESS_TICK
        )

    # Files behind URLs

    def output(self, job_id: str) -> Job:
        """A job whose output can be fetched (output URLs need no key: their ids are unguessable)."""
        self._clocks.catch_up()
        job = self._jobs.find(job_id)
        if job is None or job.status != COMPLETED:
            raise NotFound(f"no output for job {job_id!r}")
        return job

    async def video(self, job: Job) -> Path:
        """The job's video file, rendered (or a still of its size and length) if not yet."""
        return await self._media.file_for(job)

    def portrait(self, avatar_id: str) -> Path:
        avatar = self._fixtures.avatar_by_id.get(avatar_id)
        if avatar is None:
            raise NotFound(f"no avatar {avatar_id!r}")
        return self._fixtures.portrait_path(avatar)

