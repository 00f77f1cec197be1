"""The emulated service's operations, called alike by the GraphQL resolvers and REST routes.

One `Service` per app holds all state (clock, scheduler, accounts, jobs), so two apps in one
process share nothing.
"""

from __future__ import annotations

from typing import Any

from .accounts import Account, Accounts
from .clock import Clock, Scheduler
from .fixtures import Fixtures
from .inputs import JobRequest, plan_job, price_speech
from .jobs import CANCELLED, COMPLETED, FAILED, Job, Jobs, Page
from .settings import Settings


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

    def submit(self, account: Account, request: JobRequest, base_url: str) -> Job:
        plan = plan_job(request, self.fixtures)
        account.ledger.check(plan.credit_cost)
        job_id = self.jobs.new_id()
        account.ledger.hold(job_id, plan.credit_cost)
        return self.jobs.create(account.key, plan, self.settings.public_url or base_url, job_id)

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

    def close(self) -> None:
        self.scheduler.close()
