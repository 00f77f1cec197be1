"""The emulated service's operations, called alike by the GraphQL resolvers and REST routes.

One `Service` per app holds all state (clock, scheduler, accounts, jobs), so two apps in one
process share nothing.
"""

from __future__ import annotations

from typing import Any

from .accounts import Account, Accounts
from .clock import Clock, Scheduler
from .fixtures import Fixtures
from .idempotency import IdempotencyStore, check_key
from .inputs import JobRequest, plan_job, price_speech
from .jobs import CANCELLED, COMPLETED, FAILED, Job, Jobs, Page
from .ratelimit import RateLimiter
from .settings import Settings
from .webhooks import Webhooks, WebhookSettings, check_webhook_url


class Service:
    def __init__(self, settings: Settings, fixtures: Fixtures) -> None:
        self.settings = settings
        self.fixtures = fixtures
        self.clock = Clock(
            virtual=settings.virtual_clock, start=settings.start_time, speed=settings.speed
        )
        self.scheduler = Scheduler(self.clock)
        self._faker: Any = None
        self.accounts = Accounts(self.clock, fixtures, self.fake)
        self.jobs = Jobs(self.clock, self.scheduler, fixtures.processing, settings.seed)
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
            ),
            self.accounts.by_key.get,
            settings.seed,
        )
        self.jobs.listeners.append(self.webhooks.on_transition)
        self.idempotency = IdempotencyStore(self.clock)

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

    def authenticate(self, headers: Any) -> Account:
        self.sync()
        return self.accounts.authenticate(headers)

    def admit(self, headers: Any) -> Account:
        """Authenticate and count the request against the per-minute window."""
        account = self.authenticate(headers)
        self.limiter.count_request(account)
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
        job_id = self.jobs.new_id()
        account.ledger.hold(job_id, plan.credit_cost)
        job = self.jobs.create(account.key, plan, self.settings.public_url or base_url, job_id)
        self.limiter.count_job(account)
        if key is not None:
            self.idempotency.remember(account.key, key, plan.request, job.id)
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

    async def close(self) -> None:
        self.scheduler.close()
        await self.webhooks.close()
