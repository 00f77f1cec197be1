"""The composition root: an `Emulator` built from settings and fixtures, its parts wired in
one place, and the state a store read back put into it."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from .accounts import Accounts
from .admission import Admission
from .clock import Clock, Scheduler
from .clocks import Clocks
from .emulator import Emulator
from .events import Events
from .faults import Faults
from .fixtures import Fixtures
from .idempotency import IdempotencyStore
from .jobs import CANCELLED, COMPLETED, FAILED, Job, JobHooks, Jobs
from .journal import Journal
from .limits import RateLimiter
from .media import MediaStore
from .targets import configured_address
from .updates import JobUpdates
from .webhooks import Delivery, Webhooks, WebhookSettings

if TYPE_CHECKING:
    from ..settings import Settings
    from ..store.base import Snapshot, Store


class LazyFaker:
    """Faker takes about 100 ms to import: it is loaded the first time fake data is needed."""

    def __init__(self, seed: int | None) -> None:
        self._seed = seed
        self._faker: Any = None

    def __call__(self) -> Any:
        if self._faker is None:
            from faker import Faker

            self._faker = Faker()
            if self._seed is not None:
                self._faker.seed_instance(self._seed)
        return self._faker


def build_emulator(
    settings: Settings, fixtures: Fixtures, clock: Clock, store: Store, events: Events | None = None
) -> Emulator:
    """`events` is the runtime's bus, which outlives this emulator; without one it gets its own."""
    events = events if events is not None else Events()
    clocks = Clocks(Scheduler(clock))
    fake = LazyFaker(settings.seed)
    accounts = Accounts(clocks, fixtures, fake, on_ledger=events.ledger_entry)
    updates = JobUpdates()

    def delivery_changed(delivery: Delivery) -> None:
        store.save_delivery(delivery)
        events.emit("delivery", delivery)

    media = MediaStore(fixtures, settings.render, settings.media_dir)
    webhooks = Webhooks(
        clocks,
        WebhookSettings(
            max_attempts=settings.webhook_attempts,
            timeout=settings.webhook_timeout,
            first_retry=settings.webhook_first_retry,
            allow=settings.webhook_allow,
            max_kept=settings.max_deliveries,
        ),
        accounts.by_key.get,
        settings.seed,
        on_change=delivery_changed,
        on_forget=store.forget_delivery,
        server=configured_address(settings),
    )

    def settle(job: Job, old: str) -> None:
        account = accounts.by_key.get(job.account_key)
        if account is None:
            return
        if job.status == COMPLETED:
            account.ledger.charge(job.id)
        elif job.status in (FAILED, CANCELLED):
            account.ledger.release(job.id)

    def persist(job: Job, old: str) -> None:
        with store.batch():
            store.save_job(job)
            account = accounts.by_key.get(job.account_key)
            if account is not None:
                store.save_account(account)

    jobs = Jobs(
        clocks,
        fixtures.processing,
        settings.seed,
        settings.max_finished_jobs,
        hooks=JobHooks(
            settle=settle,
            persist=persist,
            notify=(webhooks.on_transition, media.on_transition, updates.on_transition, events.job_changed),
        ),
        forget=store.forget_job,
    )
    limiter = RateLimiter(clocks, jobs.active)
    return Emulator(
        settings=settings,
        fixtures=fixtures,
        clock=clock,
        clocks=clocks,
        store=store,
        accounts=accounts,
        limiter=limiter,
        admission=Admission(accounts, limiter, store),
        jobs=jobs,
        webhooks=webhooks,
        media=media,
        updates=updates,
        idempotency=IdempotencyStore(
            clocks, on_forget=store.forget_idempotency, max_per_account=settings.max_idempotency_keys
        ),
        journal=Journal(settings.journal_size, on_record=lambda entry: events.emit("request", entry)),
        faults=Faults(),
        fake=fake,
        events=events,
    )


def restore(emulator: Emulator, snapshot: Snapshot) -> dict[str, int]:
    """Put what a store read back into a freshly built emulator; returns how much there was."""
    if snapshot.clock is not None:
        emulator.clock.restore(snapshot.clock)
    accounts = sum(emulator.accounts.restore(saved.record, saved.entries) for saved in snapshot.accounts)
    for key, usage in snapshot.usage.items():
        emulator.limiter.restore(key, usage)
    for job in snapshot.jobs:
        emulator.jobs.restore(job)
    for account_key, key, record in sorted(snapshot.idempotency, key=lambda item: item[2].at):
        # The job as it is now if it is still kept, else as the key's record saved it.
        job = emulator.jobs.by_id.get(record.job.id, record.job)
        emulator.idempotency.restore(account_key, key, replace(record, job=job))
    for delivery in snapshot.deliveries:
        emulator.webhooks.restore(delivery)
    if snapshot.generation is not None:
        emulator.generation = snapshot.generation
    emulator.store.save_generation(emulator.generation)
    return {"accounts": accounts, "jobs": len(snapshot.jobs), "deliveries": len(snapshot.deliveries)}
