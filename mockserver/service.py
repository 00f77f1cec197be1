"""The emulated service's operations, called alike by the GraphQL resolvers, the REST routes
and the control API.

One `Service` per app holds all state (clock, scheduler, accounts, jobs, limits, webhooks), so
two apps in one process share nothing. `reset()` rebuilds that state in place from fixtures.
"""

from __future__ import annotations

import secrets
from dataclasses import replace
from typing import Any

from .accounts import Account, Accounts
from .clock import Clock, Scheduler, parse_speed
from .errors import ApiError, BadUserInput, NotFound
from .fixtures import AccountFixture, FixtureError, Fixtures, load_fixtures
from .faults import Faults
from .idempotency import IdempotencyStore, check_key
from .inputs import JobRequest, find_scenario, plan_job, price_speech
from .journal import Journal
from .media import MediaStore
from .jobs import CANCELLED, COMPLETED, FAILED, PROCESSING, STATUSES, Job, Jobs, Page
from .ratelimit import RateLimiter
from .settings import Settings
from .state import MemoryOnly, StateFile
from .updates import JobUpdates
from .webhooks import Webhooks, WebhookSettings, check_webhook_url


class FixturesInvalid(ApiError):
    status = 400
    code = "FIXTURES_INVALID"


class Service:
    def __init__(self, settings: Settings, fixtures: Fixtures) -> None:
        self.settings = settings
        self.fixtures = fixtures
        self.clock = Clock(
            virtual=settings.virtual_clock, start=settings.start_time, speed=settings.speed
        )
        self._faker: Any = None
        self.media = MediaStore(fixtures, settings.render, settings.media_dir)
        self.state: MemoryOnly = StateFile(settings.state_file) if settings.state_file is not None else MemoryOnly()
        self.restored: dict[str, int] = {}
        self._build()
        if isinstance(self.state, StateFile):
            with self.state.batch():
                self.restored = self.state.load(self)

    def _build(self) -> None:
        """Everything but the clock, fresh from the fixtures."""
        settings, fixtures = self.settings, self.fixtures
        self.scheduler = Scheduler(self.clock)
        self.accounts = Accounts(self.clock, fixtures, self.fake)
        self.jobs = Jobs(self.clock, self.scheduler, fixtures.processing, settings.seed, settings.max_finished_jobs)
        self.jobs.listeners.append(self._settle_credits)
        self.limiter = RateLimiter(self.clock, self.jobs.active)
        self.webhooks = Webhooks(
            self.clock,
            self.scheduler,
            WebhookSettings(
                max_attempts=settings.webhook_attempts,
                timeout=settings.webhook_timeout,
                first_retry=settings.webhook_first_retry,
                allow=settings.webhook_allow,
                max_kept=settings.max_deliveries,
            ),
            self.accounts.by_key.get,
            settings.seed,
        )
        self.jobs.listeners.append(self.webhooks.on_transition)
        self.jobs.listeners.append(self.media.on_transition)
        self.updates = JobUpdates()
        self.jobs.listeners.append(self.updates.on_transition)
        self.idempotency = IdempotencyStore(self.clock)
        self.journal = Journal(settings.journal_size)
        self.faults = Faults()
        if isinstance(self.state, StateFile):
            self._write_through(self.state)

    def _write_through(self, state: StateFile) -> None:
        """Every change of job, ledger and delivery goes to the state file as it happens."""

        def save_job(job: Job, old: str) -> None:
            state.save_job(job)
            account = self.accounts.by_key.get(job.account_key)
            if account is not None:
                state.save_account(account)

        self.jobs.listeners.append(save_job)
        self.jobs.forgotten.append(state.forget_job)
        self.webhooks.listeners.append(state.save_delivery)
        self.webhooks.forgotten.append(state.forget_delivery)

    def fake(self) -> Any:
        """Faker is slow to import, so it is loaded the first time fake data is needed."""
        if self._faker is None:
            from faker import Faker

            self._faker = Faker()
            if self.settings.seed is not None:
                self._faker.seed_instance(self.settings.seed)
        return self._faker

    def now(self) -> float:
        return self.clock.now()

    def sync(self) -> None:
        """Catch up on anything that fell due, so a read never shows stale state."""
        self.scheduler.run_due()

    # The emulated API

    def authenticate(self, headers: Any) -> Account:
        self.sync()
        return self.accounts.authenticate(headers)

    def admit(self, headers: Any) -> Account:
        """Authenticate and count the request against the per-minute window."""
        account = self.authenticate(headers)
        self.limiter.count_request(account)
        self.state.save_usage(account.key, self.limiter.raw_usage(account.key))
        return account

    def rate_headers(self, account: Account) -> dict[str, str]:
        return self.limiter.headers(account)

    def submit(
        self,
        account: Account,
        request: JobRequest,
        base_url: str,
        idempotency_key: str | None = None,
    ) -> tuple[Job, bool]:
        """Start a job, or return the one an earlier request with the same key started.

        Nothing here awaits: under any concurrency the checks and the hold are one step.
        Returns the job and whether it is a replay.
        """
        with self.state.batch():
            return self._submit(account, request, base_url, idempotency_key)

    def _submit(
        self, account: Account, request: JobRequest, base_url: str, idempotency_key: str | None
    ) -> tuple[Job, bool]:
        key = check_key(idempotency_key)
        plan = plan_job(request, self.fixtures)
        if plan.request.webhook_url is not None:
            check_webhook_url(plan.request.webhook_url, self.settings.webhook_allow)
        if key is not None:
            earlier = self.idempotency.lookup(account.key, key, plan.request)
            if earlier is not None and earlier in self.jobs.by_id:
                return self.jobs.by_id[earlier], True
        self.limiter.check_job(account, lambda: self.jobs.earliest_end(account.key))
        account.ledger.check(plan.credit_cost)
        plan = replace(plan, scenario=find_scenario(plan.request, account.key, self.fixtures))
        job_id = self.jobs.new_id()
        account.ledger.hold(job_id, plan.credit_cost)
        job = self.jobs.create(account.key, plan, self.settings.public_url or base_url, job_id)
        self.limiter.count_job(account)
        if key is not None:
            record = self.idempotency.remember(account.key, key, plan.request, job.id)
            self.state.save_idempotency(account.key, key, record)
        self.state.save_usage(account.key, self.limiter.raw_usage(account.key))
        self.state.save_account(account)
        return job, False

    def job(self, account: Account, job_id: str) -> Job:
        return self.jobs.get(account.key, job_id)

    def list_jobs(
        self, account: Account, *, first: int = 20, after: str | None = None, status: str | None = None
    ) -> Page:
        return self.jobs.page(account.key, first=first, after=after, status=status)

    def cancel(self, account: Account, job_id: str) -> Job:
        return self.jobs.cancel(self.jobs.get(account.key, job_id))

    def estimate(self, text: str | None, audio_url: str | None) -> dict[str, Any]:
        duration, credits, tier = price_speech(text, audio_url, self.fixtures)
        return {"duration": duration, "credits": credits, "tier": tier}

    def account_view(self, account: Account, entries: int = 20) -> dict[str, Any]:
        return {**account.to_dict(entries), "usage": self.limiter.to_dict(account)}

    def view(self, job: Job) -> dict[str, Any]:
        return job.view(self.clock.now())

    def catalog(self, base_url: str) -> dict[str, Any]:
        base = self.settings.public_url or base_url
        return {
            "avatars": [
                {
                    "id": a.id,
                    "name": a.name,
                    "description": a.description,
                    "gender": a.gender,
                    "style": a.style,
                    "portraitUrl": f"{base}/avatars/{a.id}/portrait",
                }
                for a in self.fixtures.avatars.avatars
            ],
            "voices": [
                {"id": v.id, "name": v.name, "language": v.language, "gender": v.gender}
                for v in self.fixtures.voices.voices
            ],
        }

    def _settle_credits(self, job: Job, old: str) -> None:
        account = self.accounts.by_key.get(job.account_key)
        if account is None:
            return
        if job.status == COMPLETED:
            account.ledger.charge(job.id)
        elif job.status in (FAILED, CANCELLED):
            account.ledger.release(job.id)

    # Control operations (the /_mock API and the pytest plugin's in-process handle)

    async def reset(self) -> None:
        """Back to the loaded fixtures: accounts, jobs, limits, deliveries; the clock runs on."""
        await self.webhooks.close()
        self.scheduler.close()
        self.state.clear()
        self._build()

    async def reload_fixtures(self) -> Fixtures:
        try:
            fixtures = load_fixtures(self.settings.fixtures)
        except FixtureError as exc:
            raise FixturesInvalid(
                f"{exc.file}: {exc.key or '(top level)'}: {exc.reason}", file=exc.file, key=exc.key
            ) from None
        self.fixtures = fixtures
        self.media.fixtures = fixtures
        await self.reset()
        return fixtures

    def account(self, key: str) -> Account:
        account = self.accounts.by_key.get(key)
        if account is None:
            raise NotFound(f"no account with key {key!r}")
        return account

    def create_account(
        self,
        *,
        plan: str = "pro",
        credits: int = 10_000,
        key: str | None = None,
        name: str | None = None,
        webhook_secret: str | None = None,
        standard_webhooks: bool = False,
    ) -> Account:
        """A throw-away account, so parallel tests never share credits, limits or jobs."""
        self._check_plan(plan)
        if credits < 0:
            raise BadUserInput("credits must not be negative", field="credits")
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
        account = self.accounts.from_fixture(fixture, ephemeral=True)
        self.accounts.add(account)
        self.state.save_account(account)
        return account

    def update_account(
        self,
        key: str,
        *,
        credits: int | None = None,
        plan: str | None = None,
        enabled: bool | None = None,
    ) -> Account:
        account = self.account(key)
        if credits is not None:
            if credits < 0:
                raise BadUserInput("credits must not be negative", field="credits")
            account.ledger.set_available(credits)
        if plan is not None:
            self._check_plan(plan)
            account.plan_id, account.plan = plan, self.fixtures.plans.plans[plan]
        if enabled is not None:
            account.enabled = enabled
        self.state.save_account(account)
        return account

    def _check_plan(self, plan: str) -> None:
        if plan not in self.fixtures.plans.plans:
            known = ", ".join(self.fixtures.plans.plans)
            raise BadUserInput(f"unknown plan {plan!r} (known: {known})", field="plan")

    def advance(self, seconds: float) -> int:
        if not 0 <= seconds <= 10 * 365 * 86400:
            raise BadUserInput("seconds must be between 0 and ten years", field="seconds")
        with self.state.batch():
            ran = self.scheduler.advance(seconds)
            self.state.save_clock(self.clock.state())
        return ran

    def set_speed(self, speed: str | float) -> None:
        """Applies to transitions scheduled from now on."""
        try:
            self.clock.speed = parse_speed(speed)
        except ValueError as exc:
            raise BadUserInput(str(exc), field="speed") from None
        self.state.save_clock(self.clock.state())

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
            return self.jobs.fail(job, code or "GENERATION_FAILED", message or "The job was failed from the control API")
        if status == CANCELLED:
            return self.jobs.cancel(job)
        raise BadUserInput(
            f"cannot move a job to {status!r} (use one of {', '.join(s for s in STATUSES if s != 'queued')})",
            field="status",
        )

    async def close(self) -> None:
        self.scheduler.close()
        self.media.close()
        await self.webhooks.close()
        self.state.close()
