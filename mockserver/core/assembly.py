"""The composition root: an `Emulator` built from settings and fixtures, its parts wired in
one place (who tells whom of a change, in what order), and the state a store read back put into
it. The rules themselves live in the modules named for them (`billing`, `persistence`, `limits`,
`webhooks`, ...): this file only assembles."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from .accounts import Accounts
from .admission import Admission
from .billing import Billing
from .clock import Clock, Scheduler
from .clocks import Clocks
from .emulator import Emulator
from .events import Events
from .faults import Faults
from .fixtures import Fixtures
from .idempotency import IdempotencyStore
from .jobs import JobHooks, Jobs
from .journal import Journal
from .media import MediaStore
from .parts import Parts
from .persistence import Persistence
from .ratelimits import RateLimiter
from .targets import configured_address
from .updates import JobUpdates
from .webhooks import Webhooks, WebhookSettings

if TYPE_CHECKING:
    from ..settings import Settings
    from .store import Snapshot, Store


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
    settings: Settings,
    fixtures: Fixtures,
    clock: Clock,
    store: Store,
    events: Events | None = None,
    snapshot: Snapshot | None = None,
) -> tuple[Emulator, dict[str, int]]:
    """A generation, and how much of `snapshot` (what a store read back) went into it. `events` is
    the runtime's bus, which outlives this generation; without one it gets its own."""
    events = events if events is not None else Events()
    clocks = Clocks(Scheduler(clock))
    fake = LazyFaker(settings.seed)
    accounts = Accounts(clocks, fixtures, fake, on_ledger=events.ledger_entry)
    persistence = Persistence(store, accounts.by_key.get)
    billing = Billing(accounts.by_key.get)
    updates = JobUpdates()
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
        on_change=(persistence.delivery_changed, events.delivery_changed),
        on_forget=persistence.delivery_dropped,
        server=configured_address(settings),
    )
    jobs = Jobs(
        clocks,
        fixtures.processing,
        settings.seed,
        settings.max_finished_jobs,
        hooks=JobHooks(
            settle=billing.on_transition,
            persist=persistence.job_moved,
            notify=(webhooks.on_transition, media.on_transition, updates.on_transition, events.job_changed),
        ),
        forget=persistence.job_dropped,
    )
    limiter = RateLimiter(clocks, jobs.active)
    parts = Parts(
        settings=settings,
        fixtures=fixtures,
        clock=clock,
        clocks=clocks,
        persistence=persistence,
        accounts=accounts,
        billing=billing,
        limiter=limiter,
        admission=Admission(accounts, limiter, persistence),
        jobs=jobs,
        webhooks=webhooks,
        media=media,
        updates=updates,
        idempotency=IdempotencyStore(
            clocks,
            on_keep=persistence.key_kept,
            on_forget=persistence.key_dropped,
            max_per_account=settings.max_idempotency_keys,
        ),
        journal=Journal(settings.journal_size, on_record=events.request_recorded),
        faults=Faults(),
        fake=fake,
        events=events,
    )
    restored = _restore(parts, snapshot) if snapshot is not None else {"accounts": 0, "jobs": 0, "deliveries": 0}
    persistence.generation_started(parts.life.generation)
    return Emulator(parts), restored


def _restore(parts: Parts, snapshot: Snapshot) -> dict[str, int]:
    """Put what a store read back into a freshly built generation; returns how much there was."""
    if snapshot.clock is not None:
        parts.clock.restore(snapshot.clock)
    accounts = sum(parts.accounts.restore(saved.record, saved.entries) for saved in snapshot.accounts)
    for key, usage in snapshot.usage.items():
        parts.limiter.restore(key, usage)
    for job in snapshot.jobs:
        parts.jobs.restore(job)
    for account_key, key, record in sorted(snapshot.idempotency, key=lambda item: item[2].at):
        # The job as it is now if it is still kept, else as the key's record saved it.
        job = parts.jobs.find(record.job.id) or record.job
        parts.idempotency.restore(account_key, key, replace(record, job=job))
    for delivery in snapshot.deliveries:
        parts.webhooks.restore(delivery)
    if snapshot.generation is not None:
        parts.life.generation = snapshot.generation
    return {"accounts": accounts, "jobs": len(snapshot.jobs), "deliveries": len(snapshot.deliveries)}
