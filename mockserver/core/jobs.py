"""Jobs and their lifecycle: queued -> processing -> completed | failed | cancelled.

Transitions are timers on the scheduler of the job's account (its own clock, or the server's),
never polling; `progress` is worked out from that clock when a job is read. After every
transition the `JobHooks` run, in their order.
"""

from __future__ import annotations

import os
import random
import re
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final, Literal, get_args

from typing_extensions import TypeAliasType

from .clock import Scheduler, Timer
from .clocks import Clocks
from .errors import BadUserInput, Conflict, JobAlreadyFinished, JobDropped, NotFound
from .fixtures import ProcessingFile
from .inputs import JobPlan

# A named alias: the control API's document (and the TypeScript types made from it) call it so.
JobStatus = TypeAliasType("JobStatus", Literal["queued", "processing", "completed", "failed", "cancelled"])
QUEUED: Final = "queued"
PROCESSING: Final = "processing"
COMPLETED: Final = "completed"
FAILED: Final = "failed"
CANCELLED: Final = "cancelled"
STATUSES: tuple[JobStatus, ...] = get_args(JobStatus.__value__)
ACTIVE = frozenset((QUEUED, PROCESSING))
FINAL = frozenset((COMPLETED, FAILED, CANCELLED))

ID_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
ID_LENGTH = 12
_ID_ROUNDS = 256 // len(ID_ALPHABET) * len(ID_ALPHABET)  # 252: bytes below it map evenly
_ID_TABLE = bytes(ord(ID_ALPHABET[b % len(ID_ALPHABET)]) if b < _ID_ROUNDS else 0 for b in range(256))
_ID_DROP = bytes(range(_ID_ROUNDS, 256))
MAX_DROPPED_IDS = 100_000
# A page of an account's jobs (REST `limit`, GraphQL `first`): this many unless asked, at most
# MAX_PAGE_SIZE. The GraphQL schema states the same default (a test compares them).
PAGE_SIZE = 20
MAX_PAGE_SIZE = 100

Hook = Callable[["Job", str], None]


@dataclass(frozen=True, slots=True)
class JobHooks:
    """What runs after every transition (with the job and its previous status), in this order:

    1. `settle`: the ledger charges or releases the job's credits, so that everything after it
       sees the balance the transition left;
    2. `persist`: job and account are written to the store, so nothing is announced before it is
       kept;
    3. `notify`: webhooks, media rendering and live subscribers, in the order given.
    """

    settle: Hook
    persist: Hook
    notify: tuple[Hook, ...] = ()

    def __call__(self, job: Job, old: str) -> None:
        self.settle(job, old)
        self.persist(job, old)
        for hook in self.notify:
            hook(job, old)


@dataclass(eq=False, slots=True)
class Job:
    id: str
    seq: int
    account_key: str
    plan: JobPlan
    base_url: str
    created_at: float
    processing_seconds: float
    status: JobStatus = QUEUED
    starts_at: float | None = None
    started_at: float | None = None
    ends_at: float | None = None
    finished_at: float | None = None
    stopped_progress: float = 0.0
    error: dict[str, str] | None = None
    timer: Timer | None = field(default=None, repr=False, metadata={"transient": True})
    # The surfaces' wire shape of the job once it is final (it never changes again), made once;
    # `wire.views` names its type, which the core cannot.
    frozen_view: Any = field(default=None, repr=False, metadata={"transient": True})

    @property
    def output_url(self) -> str | None:
        if self.status != COMPLETED:
            return None
        return f"{self.base_url}/outputs/{self.id}.mp4"

    @property
    def metadata(self) -> dict[str, Any]:
        plan = self.plan
        return {"duration": plan.duration, "width": plan.width, "height": plan.height}

    def progress(self, now: float) -> float:
        if self.status == COMPLETED:
            return 1.0
        if self.status in FINAL:
            return self.stopped_progress
        if self.status == QUEUED or self.started_at is None or self.ends_at is None:
            return 0.0
        span = self.ends_at - self.started_at
        if span <= 0:
            return 0.0
        return round(min(max((now - self.started_at) / span, 0.0), 0.99), 3)


# Cursors are opaque to clients; any string of this shape is one (the OpenAPI document says so).
CURSOR_PATTERN = r"^[0-9a-f]{1,16}$"


def encode_cursor(seq: int) -> str:
    return f"{seq:x}"


def decode_cursor(cursor: str) -> int:
    if re.fullmatch(CURSOR_PATTERN, cursor) is None:
        raise BadUserInput(f"invalid cursor {cursor!r}", field="after")
    return int(cursor, 16)


@dataclass(frozen=True, slots=True)
class Page:
    jobs: list[Job]
    has_next: bool
    end_cursor: str | None
    total: int


@dataclass(frozen=True, slots=True)
class Found:
    """Jobs of a control-API search, newest first; `total` counts every kept job that matches,
    and `next` is the `before` (a job's seq) that reads the page just older than this one."""

    jobs: list[Job]
    total: int
    next: int | None


def searchable(job: Job) -> str:
    """What a text search of jobs looks in: id, account, status, text, avatar, voice, scenario,
    error and webhook URL."""
    req = job.plan.request
    scenario = job.plan.scenario
    error = job.error or {}
    parts = (job.id, job.account_key, job.status, req.text or "", req.avatar_id or "", req.voice or "",
             scenario.name if scenario is not None else "", error.get("code", ""), error.get("message", ""),
             req.webhook_url or "", req.audio_url or "", req.image_url or "")
    return "\n".join(parts).lower()


class Jobs:
    def __init__(
        self,
        clocks: Clocks,
        processing: ProcessingFile,
        seed: int | None,
        max_finished: int,
        hooks: JobHooks,
        forget: Callable[[Job], None],
    ) -> None:
        self._clocks = clocks
        self.max_finished = max_finished
        self.processing = processing
        self._time_rng = random.Random(f"{seed}:times") if seed is not None else random.Random()
        self._seq = 0
        self.by_id: dict[str, Job] = {}
        self.by_account: dict[str, dict[str, Job]] = {}
        self._finished: dict[str, deque[Job]] = {}
        # Ids of jobs dropped by the cap, with their account, so that asking for one says why.
        self._dropped: OrderedDict[str, str] = OrderedDict()
        self.active: dict[str, int] = {}
        self._hooks = hooks
        self._forget = forget

    def new_id(self) -> str:
        while True:
            # From the OS, never from the seed: a job id is all an output URL needs, so with --seed
            # one tenant could work out another's. One read per id (one per character was a fifth of
            # a submission); bytes past the alphabet's last whole round are dropped, so no character
            # is likelier than another.
            drawn = os.urandom(ID_LENGTH + 4).translate(_ID_TABLE, _ID_DROP)
            job_id = drawn[:ID_LENGTH].decode()
            if len(job_id) == ID_LENGTH and job_id not in self.by_id:
                return job_id

    def _time(self, job: Job) -> Scheduler:
        return self._clocks.of(job.account_key)

    def now(self, job: Job) -> float:
        """The time on the job's account's clock."""
        return self._time(job).now()

    def create(self, account_key: str, plan: JobPlan, base_url: str, job_id: str) -> Job:
        time = self._clocks.of(account_key)
        now = time.now()
        self._seq += 1
        job = Job(
            id=job_id,
            seq=self._seq,
            account_key=account_key,
            plan=plan,
            base_url=base_url,
            created_at=now,
            processing_seconds=self._processing_seconds(plan),
        )
        scenario = plan.scenario
        queued = scenario.queue_seconds if scenario and scenario.queue_seconds is not None else None
        job.starts_at = now + time.scaled(self.processing.queue_seconds if queued is None else queued)
        self._index(job)
        self._hooks(job, "")
        self._resume(job)
        return job

    def restore(self, job: Job) -> None:
        """Take back a job from the state file: indexes, counts and its next timer."""
        self._seq = max(self._seq, job.seq)
        self._index(job)
        if job.status in FINAL:
            self._keep_finished(job)
        else:
            self._resume(job)

    def _index(self, job: Job) -> None:
        self.by_id[job.id] = job
        self.by_account.setdefault(job.account_key, {})[job.id] = job
        if job.status not in FINAL:
            self.active[job.account_key] = self.active.get(job.account_key, 0) + 1

    def _resume(self, job: Job) -> None:
        """Arm the timer of the job's next transition (at once if it is already due)."""
        time = self._time(job)
        if job.status == QUEUED:
            starts_at = job.starts_at if job.starts_at is not None else job.created_at
            if starts_at > time.now():
                job.timer = time.call_at(starts_at, lambda at: self._start(job, at))
            else:
                self._start(job, starts_at)
        elif job.status == PROCESSING and job.ends_at is not None:
            job.timer = time.call_at(job.ends_at, lambda t: self._finish(job, t))

    def _processing_seconds(self, plan: JobPlan) -> float:
        if plan.scenario is not None and plan.scenario.processing_seconds is not None:
            return plan.scenario.processing_seconds
        p = self.processing
        seconds = p.base_seconds + p.seconds_per_speech_second * plan.duration
        if p.jitter:
            seconds *= 1.0 + self._time_rng.uniform(-p.jitter, p.jitter)
        return round(seconds, 3)

    def _set(self, job: Job, status: JobStatus, at: float) -> None:
        old = job.status
        if old in FINAL:
            return
        job.status = status
        if status in FINAL:
            job.finished_at = at
            self.active[job.account_key] -= 1
            if job.timer is not None:
                job.timer.cancel()
                job.timer = None
        self._hooks(job, old)
        if status in FINAL:
            self._keep_finished(job)

    def _keep_finished(self, job: Job) -> None:
        """Each account keeps its newest `max_finished` finished jobs, so no tenant can push
        another's out; jobs in flight are always kept."""
        finished = self._finished.setdefault(job.account_key, deque())
        finished.append(job)
        while len(finished) > self.max_finished:
            self._drop(finished.popleft())

    def _drop(self, old: Job) -> None:
        if self.by_id.get(old.id) is old:
            del self.by_id[old.id]
        jobs = self.by_account.get(old.account_key)
        if jobs is not None:
            jobs.pop(old.id, None)
        self._dropped[old.id] = old.account_key
        while len(self._dropped) > MAX_DROPPED_IDS:
            self._dropped.popitem(last=False)
        self._forget(old)

    def _start(self, job: Job, at: float) -> None:
        if job.status != QUEUED:
            return
        time = self._time(job)
        job.started_at = at
        job.ends_at = at + time.scaled(job.processing_seconds)
        job.timer = time.call_at(job.ends_at, lambda t: self._finish(job, t))
        self._set(job, PROCESSING, at)

    def _finish(self, job: Job, at: float) -> None:
        job.timer = None
        failure = job.plan.scenario.fail if job.plan.scenario is not None else None
        if failure is not None:
            self.fail(job, failure.code, failure.message, at)
        else:
            self.complete(job, at)

    def start(self, job: Job) -> Job:
        """Move a queued job to processing now (control API)."""
        if job.status != QUEUED:
            raise JobAlreadyFinished(f"job {job.id} is {job.status}, not queued") if job.status in FINAL else Conflict(
                f"job {job.id} is already processing"
            )
        if job.timer is not None:
            job.timer.cancel()
        self._start(job, self.now(job))
        return job

    def complete(self, job: Job, at: float | None = None) -> Job:
        if job.status in FINAL:
            raise JobAlreadyFinished(f"job {job.id} is already {job.status}")
        now = at if at is not None else self.now(job)
        if job.started_at is None:
            job.started_at = now
        self._set(job, COMPLETED, now)
        return job

    def fail(self, job: Job, code: str, message: str, at: float | None = None) -> Job:
        if job.status in FINAL:
            raise JobAlreadyFinished(f"job {job.id} is already {job.status}")
        now = at if at is not None else self.now(job)
        job.stopped_progress = job.progress(now)
        job.error = {"code": code, "message": message}
        self._set(job, FAILED, now)
        return job

    def cancel(self, job: Job) -> Job:
        if job.status == CANCELLED:
            return job
        if job.status in FINAL:
            raise JobAlreadyFinished(f"job {job.id} is already {job.status} and cannot be cancelled")
        now = self.now(job)
        job.stopped_progress = job.progress(now)
        self._set(job, CANCELLED, now)
        return job

    def forget_account(self, account_key: str) -> list[Job]:
        """An account was deleted: its jobs stop (no transition, no hook) and go; returns them."""
        jobs = list(self.by_account.pop(account_key, {}).values())
        for job in jobs:
            if job.timer is not None:
                job.timer.cancel()
                job.timer = None
            if self.by_id.get(job.id) is job:
                del self.by_id[job.id]
            self._forget(job)
        self._finished.pop(account_key, None)
        self.active.pop(account_key, None)
        return jobs

    def find(self, job_id: str) -> Job | None:
        """Any account's job by id, if it is kept."""
        return self.by_id.get(job_id)

    def earliest_end(self, account_key: str) -> float | None:
        """When the first of an account's jobs in flight is expected to finish."""
        jobs = self.by_account.get(account_key, {}).values()
        ends = [j.ends_at for j in jobs if j.status in ACTIVE and j.ends_at is not None]
        return min(ends) if ends else None

    def get(self, account_key: str, job_id: str) -> Job:
        job = self.by_id.get(job_id)
        if job is None and self._dropped.get(job_id) == account_key:
            raise JobDropped(
                f"job {job_id!r} finished and was dropped: the mock keeps each account's "
                f"{self.max_finished} newest finished jobs (--max-finished-jobs)",
                maxFinishedJobs=self.max_finished,
            )
        if job is None or job.account_key != account_key:
            raise NotFound(f"no job with id {job_id!r}")
        return job

    def search(
        self,
        *,
        account_key: str | None = None,
        statuses: frozenset[str] | None = None,
        text: str | None = None,
        before: int | None = None,
        limit: int = 500,
    ) -> Found:
        """Every account's jobs (or one account's) that match, newest first: the newest `limit`
        of those older than the job whose seq is `before`. `text` is looked for, ignoring case,
        in what `searchable` names."""
        unknown = (statuses or frozenset()) - set(STATUSES)
        if unknown:
            raise BadUserInput(
                f"unknown status {sorted(unknown)[0]!r} (known: {', '.join(STATUSES)})", field="status"
            )
        source = self.by_id if account_key is None else self.by_account.get(account_key, {})
        needle = text.lower() if text else None
        chosen: list[Job] = []
        total = 0
        older = False
        for job in reversed(source.values()):
            if statuses is not None and job.status not in statuses:
                continue
            if needle is not None and needle not in searchable(job):
                continue
            total += 1
            if before is not None and job.seq >= before:
                continue
            if len(chosen) < limit:
                chosen.append(job)
            else:
                older = True
        return Found(chosen, total, chosen[-1].seq if older and chosen else None)

    def page(
        self, account_key: str, *, first: int, after: str | None, status: str | None
    ) -> Page:
        if not 1 <= first <= MAX_PAGE_SIZE:
            raise BadUserInput(f"first must be between 1 and {MAX_PAGE_SIZE}", field="first")
        if status is not None and status not in STATUSES:
            raise BadUserInput(
                f"unknown status {status!r} (known: {', '.join(STATUSES)})", field="status"
            )
        before_seq = decode_cursor(after) if after else None
        jobs = self.by_account.get(account_key, {}).values()
        matching = [j for j in reversed(jobs) if status is None or j.status == status]
        if before_seq is not None:
            matching = [j for j in matching if j.seq < before_seq]
        chosen = matching[:first]
        total = len(jobs) if status is None else sum(1 for j in jobs if j.status == status)
        end = encode_cursor(chosen[-1].seq) if chosen else None
        return Page(chosen, len(matching) > first, end, total)
