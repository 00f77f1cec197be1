"""The wire shapes as TypedDicts: what each view in `views` builds (mypy --strict holds every view to
exactly its shape) and what the control API's OpenAPI document describes (pydantic derives the
schemas from these classes), so the document, and the TypeScript types generated from it, say
what the server sends.

A class's name is its schema's name in the document and its type's name in TypeScript; its
docstring and its fields' docstrings are their descriptions. No shape takes keys it does not
declare (`additionalProperties: false`).
"""

from __future__ import annotations

from typing import Any, Literal, NotRequired

from pydantic import ConfigDict, with_config
from typing_extensions import TypedDict

from ..core.jobs import JobStatus
from ..core.journal import Surface
from ..core.ledger import LedgerKind
from ..core.runtime import ResetReason
from ..core.webhooks import DeliveryState

# A header's name and value, in the order received or sent.
Header = tuple[str, str]


@with_config(ConfigDict(extra="forbid"))
class Shape(TypedDict):
    """What every wire shape is: a JSON object with exactly the keys its class declares."""


# Errors: every surface's, in the document's format (`envelope` makes them)


@with_config(ConfigDict(extra="allow"))
class ErrorExtensions(TypedDict):
    """`code` says what went wrong; some errors add more (`limit`, `retryAfter`, ...)."""

    code: str
    field: NotRequired[str]
    """The field, parameter or header that is wrong."""


class ApiError(Shape):
    """One error of the API's format."""

    message: str
    extensions: ErrorExtensions


class ErrorEnvelope(Shape):
    """Every error answer: `{"errors": [...]}` with the HTTP status of the first one's code."""

    errors: list[ApiError]


# The API's objects, as REST, GraphQL and the control API send them


class Plan(Shape):
    """A plan and its limits (null: unlimited)."""

    id: str
    name: str
    requestsPerMinute: int | None
    concurrentJobs: int | None
    dailyJobs: int | None


class LedgerEntry(Shape):
    """One movement of an account's credits, and the balance it left."""

    at: str
    kind: LedgerKind
    amount: int
    jobId: str | None
    balanceAfter: int
    availableAfter: int
    heldAfter: int


class Credits(Shape):
    balance: int
    available: int
    held: int
    charged: int
    entries: list[LedgerEntry]
    """The newest entries, as many as asked for (`?entries=`)."""


class Usage(Shape):
    requestsThisMinute: int
    minuteResetsAt: str
    jobsToday: int
    dayResetsAt: str
    activeJobs: int


class Account(Shape):
    """An account as its owner sees it."""

    id: str
    name: str
    email: str
    plan: Plan
    credits: Credits
    enabled: bool
    usage: Usage


class JobMetadata(Shape):
    duration: float
    width: int
    height: int


class JobError(Shape):
    code: str
    message: str


class Job(Shape):
    """A job as its owner sees it on REST and GraphQL."""

    id: str
    status: JobStatus
    type: str
    provider: str
    service: str
    url: str | None
    """The output MP4, once completed."""
    videoUrl: str | None
    metadata: JobMetadata
    creditCost: int
    createdAt: str
    startedAt: str | None
    completedAt: str | None
    progress: float
    duration: float
    webhookUrl: str | None
    error: JobError | None
    text: str | None
    avatarId: str | None
    imageUrl: str | None
    audioUrl: str | None
    voice: str | None
    language: str | None
    version: str | None
    aspectRatio: str | None
    resolution: str | None


class PageInfo(Shape):
    hasNextPage: bool
    endCursor: str | None


class CatalogAvatar(Shape):
    id: str
    name: str
    description: str
    gender: str
    style: str
    portraitUrl: str


class CatalogVoice(Shape):
    id: str
    name: str
    language: str
    gender: str


class Catalog(Shape):
    avatars: list[CatalogAvatar]
    voices: list[CatalogVoice]


class Estimate(Shape):
    duration: float
    credits: int
    tier: str


# Clocks


class PlainClock(Shape):
    """A clock as `GET /healthz` shows it."""

    now: float
    """Unix seconds on this clock."""
    iso: str
    mode: Literal["real", "virtual"]
    speed: str
    """`realtime`, `instant` or a factor such as `"10"`."""


class Clock(PlainClock):
    """A clock (the server's, or an account's own) and its next scheduled event."""

    own: bool
    """Whether this is an account's clock of its own (false: the server's)."""
    nextDueAt: str | None
    """When the clock's next job transition or webhook retry is due, if any."""
    nextDueIn: float | None


class ClockMoved(Clock):
    """The answer of an advance or a settle: the clock, then what ran and what is still going on."""

    ran: int
    """Timers (job transitions, window resets, webhook retries) that ran."""
    inFlight: int
    """Webhook attempts still in flight after the wait (they go on in the background)."""


# The control API's views


class AccountInfo(Account):
    """An account as the control API shows it: as its owner sees it, plus what tests need."""

    key: str
    webhookSecret: str
    standardWebhooks: bool
    ephemeral: bool
    """Made through the control API (a fixture account is not)."""
    clock: Clock
    """The clock the account follows."""


class ControlJob(Job):
    """A job as the control API lists it: any account's, with its planned times."""

    accountKey: str
    seq: int
    startsAt: str | None
    endsAt: str | None
    tier: str
    scenario: str | None


class TimelineStep(Shape):
    status: JobStatus
    at: str | None
    planned: bool
    """Still to come: it moves if the clock's speed changes or someone steps in."""


class Attempt(Shape):
    number: int
    at: str
    url: str
    statusCode: int | None
    error: str | None
    latencyMs: float
    manual: bool
    """A re-send from the control API."""
    headers: dict[str, str]
    """The headers this attempt was sent with (its signatures among them)."""


class WebhookPayload(Shape):
    """The payload of a webhook: the job as the document describes it, `error` when it failed."""

    id: str
    status: JobStatus
    url: str | None
    service: str
    createdAt: str
    completedAt: str | None
    metadata: JobMetadata
    error: NotRequired[JobError | None]


class Delivery(Shape):
    id: str
    jobId: str
    accountKey: str
    url: str
    event: str
    state: DeliveryState
    createdAt: str
    nextAttemptAt: str | None
    attempts: list[Attempt]
    payload: WebhookPayload
    body: str
    """The exact text POSTed: what the signatures are over."""


class JobDetail(ControlJob):
    """One job with its timeline, its credits' ledger entries and its webhook deliveries."""

    timeline: list[TimelineStep]
    ledger: list[LedgerEntry]
    deliveries: list[Delivery]


class FaultTarget(Shape):
    """What a fault's requests must match (null: anything)."""

    key: str | None
    surface: str | None
    operation: str | None
    path: str | None
    method: str | None


class Fault(Shape):
    id: str
    remaining: int
    hits: int
    status: int | None
    code: str | None
    message: str | None
    extensions: dict[str, Any]
    latency: float
    match: FaultTarget


class RequestBrief(Shape):
    """A journal entry without headers and bodies."""

    id: int
    at: str
    method: str
    path: str
    query: str
    surface: Surface
    operation: str | None
    """GraphQL: the operation name and root fields, e.g. `Generate,generate`."""
    key: str | None
    status: int
    latencyMs: float
    fault: str | None
    """The fault that answered it, if any."""
    jobId: str | None
    """The job it made, if any."""
    replayOf: int | None


class RecordedResponse(Shape):
    status: int
    headers: list[Header]
    body: str | None
    bodySize: int
    bodyTruncated: bool


class RecordedRequest(RequestBrief):
    """A journal entry: what was received (credentials masked) and what was answered."""

    body: str | None
    bodySize: int
    bodyTruncated: bool
    headers: list[Header]
    response: RecordedResponse


# The control API's answers


class RouteIndex(Shape):
    routes: list[str]
    """`METHOD /path` of every route under /_mock."""


class Health(Shape):
    status: Literal["ok"]
    ready: bool
    clock: PlainClock
    fixtures: str
    jobs: int
    jobsInFlight: int
    deliveries: int
    deliveriesFailed: int
    journal: int
    faults: int
    accounts: int
    generation: str
    """Changes at each reset, and at each start without `--state-file`."""
    eventStreams: int


class ResetResult(Shape):
    reset: Literal[True]
    fixtures: str


class ReloadResult(Shape):
    reloaded: Literal[True]
    fixtures: str


class AccountList(Shape):
    accounts: list[AccountInfo]
    plans: list[Plan]


class AccountDeleted(Shape):
    deleted: str


class JobList(Shape):
    """Newest first; pass `next` as `before` for the page just older."""

    jobs: list[ControlJob]
    total: int
    next: int | None


class JobDeliveries(Shape):
    deliveries: list[Delivery]


class FaultList(Shape):
    faults: list[Fault]


class Removed(Shape):
    removed: int


class RequestList(Shape):
    """Oldest first; pass `next` as `before` for the page just older. With `brief=1`, entries
    without headers and bodies."""

    requests: list[RecordedRequest | RequestBrief]
    total: int
    next: int | None


class DeliveryList(Shape):
    """Oldest first; pass `next` as `before` for the page just older."""

    deliveries: list[Delivery]
    total: int
    next: str | None


# The event stream (`GET /_mock/events`): what each kind of event carries


class DeletedAccount(Shape):
    key: str
    deleted: Literal[True]


class RequestEvent(Shape):
    request: RequestBrief


class JournalEvent(Shape):
    removed: int


class JobEvent(Shape):
    job: ControlJob


class DeliveryEvent(Shape):
    delivery: Delivery


class LedgerEvent(Shape):
    account: str
    entry: LedgerEntry


class AccountEvent(Shape):
    account: AccountInfo | DeletedAccount


class ClockEvent(Shape):
    clock: Clock


class FaultEvent(Shape):
    fault: Fault | None
    """The fault that changed (null: all of them went)."""
    faults: list[Fault]
    """Every fault in force."""


class ResetEvent(Shape):
    reason: ResetReason
