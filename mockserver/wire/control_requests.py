"""What the control API takes: its request bodies and query parameters, as pydantic models. The
routes validate with them and the control API's OpenAPI document describes them, so the two
cannot differ. A body's class name is its schema's name in the document (and its type's name in
the TypeScript package).

Query parameters are text: an empty one counts as not given, a list is comma-separated
(`status=queued,processing`, OpenAPI's `explode: false`), and a flag is 1 or 0 (true or false).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import orjson
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator
from typing_extensions import TypeAliasType

from ..core.control import ENTRIES, MAX_SETTLE_WAIT, SETTLE_WAIT, THROWAWAY_CREDITS, THROWAWAY_PLAN
from ..core.inputs import MAX_NAME
from ..core.jobs import JobStatus
from ..core.journal import STATUS_PATTERN, Surface
from ..core.ledger import MAX_CREDITS
from ..core.webhooks import DeliveryState
from .events import EventKind

MAX_EXTENSIONS = 4096
# Strings the control API keeps (an account's name, a fault's message) are bounded like the API's.
Short = Annotated[str, Field(max_length=MAX_NAME)]
Message = Annotated[str, Field(max_length=1000)]
Credits = Annotated[int, Field(ge=0, le=MAX_CREDITS)]
ClockKind = TypeAliasType("ClockKind", Literal["own", "server"])
# The longest a read of one delivery waits for an attempt to be recorded (`?attempts=N&wait=S`).
MAX_DELIVERY_WAIT = 60.0


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class NewAccountBody(_Body):
    """`POST /_mock/accounts`: the mock's defaults (Pro, 10,000 credits, the server's clock) where not given."""

    plan: Short = THROWAWAY_PLAN
    credits: Credits = THROWAWAY_CREDITS
    key: Annotated[str, Field(min_length=1, max_length=MAX_NAME)] | None = None
    name: Short | None = None
    webhookSecret: Annotated[str, Field(min_length=1, max_length=MAX_NAME)] | None = None
    standardWebhooks: bool = False
    """Also sign webhooks with the Standard Webhooks headers."""
    clock: ClockKind = "server"
    """`own`: a virtual clock of its own; `server`: it follows the server's."""


class AccountUpdateBody(_Body):
    credits: Credits | None = None
    """Spendable credits (what is held stays held)."""
    plan: Short | None = None
    enabled: bool | None = None


class SettleBody(_Body):
    timeout: Annotated[float, Field(ge=0, le=MAX_SETTLE_WAIT)] = SETTLE_WAIT
    """Real seconds to wait, in all, for the webhook attempts that fall due."""


class AdvanceBody(SettleBody):
    """`seconds`, or `next`: not both."""

    model_config = ConfigDict(json_schema_extra={"oneOf": [
        {"required": ["seconds"], "properties": {"seconds": {"type": "number"}, "next": {"const": False}}},
        {"required": ["next"], "properties": {"next": {"const": True}, "seconds": {"type": "null"}}},
    ]})

    seconds: Annotated[float, Field(ge=0)] | None = None
    next: bool = False
    """To the clock's next scheduled event instead."""


class ClockUpdateBody(_Body):
    speed: Short | float
    """`realtime`, `instant` or a factor (0.001 to 1,000,000)."""


class JobFailureBody(_Body):
    code: Short = "GENERATION_FAILED"
    message: Message = "The job was failed from the control API"


class JobStateBody(_Body):
    status: Literal["processing", "completed", "failed", "cancelled"]
    code: Short | None = None
    message: Message | None = None


class FaultMatch(_Body):
    """What a fault's requests must match (any request to /graphql and /v1, without it)."""

    key: Short | None = None
    surface: Literal["graphql", "rest", "media"] | None = None
    operation: Short | None = None
    """A GraphQL operation name or root field."""
    path: Short | None = None
    """A path; ending in `*` it is a prefix."""
    method: Short | None = None


class NewFaultBody(_Body):
    """`POST /_mock/faults`: a status, a latency or both."""

    # Said as one of two exclusive cases (a status; or none, and a latency) rather than as "any
    # of", which generators (openapi-typescript) turn into a type that takes either alone.
    model_config = ConfigDict(json_schema_extra={"oneOf": [
        {"required": ["status"], "properties": {"status": {"type": "integer"}}},
        {"required": ["latency"], "properties": {"latency": {"type": "number", "exclusiveMinimum": 0},
                                                 "status": {"type": "null"}}},
    ]})

    status: Annotated[int, Field(ge=400, le=599)] | None = None
    code: Short | None = None
    message: Message | None = None
    extensions: dict[str, Any] = {}
    latency: Annotated[float, Field(ge=0, le=120)] = 0.0
    """Seconds to delay each matching request."""
    count: Annotated[int, Field(ge=1)] = 1
    """How many matching requests it hits before it is used up."""
    match: FaultMatch = FaultMatch()

    @field_validator("extensions")
    @classmethod
    def _extensions(cls, value: dict[str, Any]) -> dict[str, Any]:
        if "code" in value:
            raise ValueError("give the code as 'code', not inside 'extensions'")
        try:
            size = len(orjson.dumps(value))
        except TypeError:  # orjson's limits: whole numbers within 64 bits, 254 levels of nesting
            raise ValueError("extensions must hold whole numbers within 64 bits, nested at most 254 deep") from None
        if size > MAX_EXTENSIONS:
            raise ValueError(f"extensions must take at most {MAX_EXTENSIONS} bytes as JSON")
        retry = value.get("retryAfter")
        if retry is not None and (isinstance(retry, bool) or not isinstance(retry, int) or retry < 0):
            raise ValueError("extensions.retryAfter must be a whole number of seconds")
        return value


# Query parameters


def _split(value: object) -> object:
    return [part.strip() for part in value.split(",") if part.strip()] if isinstance(value, str) else value


# A list given as comma-separated text.
Comma = BeforeValidator(_split)


class _Query(BaseModel):
    model_config = ConfigDict(extra="ignore")

    @model_validator(mode="before")
    @classmethod
    def _given(cls, data: Any) -> Any:
        """An empty parameter (`?account=`) is one not given."""
        return {k: v for k, v in data.items() if v != ""} if isinstance(data, dict) else data


Limit = Annotated[int, Field(ge=1)]
Flag = bool | None
StatusCode = Annotated[str, Field(pattern=f"^{STATUS_PATTERN.pattern}$")]


class EntriesQuery(_Query):
    entries: Annotated[int, Field(ge=0)] = 0
    """How many of each account's newest ledger entries to show."""


class AccountQuery(_Query):
    entries: Annotated[int, Field(ge=0)] = ENTRIES
    """How many of the newest ledger entries to show."""


class JobsQuery(_Query):
    account: str | None = None
    status: Annotated[list[JobStatus] | None, Comma] = None
    text: str | None = None
    """Searched in the id, account key, status, text, avatar, voice, scenario, error and URLs."""
    before: int | None = None
    """A job's `seq`: the page just older than it."""
    limit: Annotated[int, Field(ge=1, le=10_000)] = 500


class RequestsQuery(_Query):
    key: str | None = None
    method: str | None = None
    path: str | None = None
    """A path; ending in `*` it is a prefix."""
    status: Annotated[list[StatusCode] | None, Comma] = None
    """Codes and classes: `404`, `4xx,5xx`."""
    operation: str | None = None
    surface: Surface | None = None
    since: float | datetime | None = None
    """Unix seconds or an ISO 8601 time."""

    @field_validator("since")
    @classmethod
    def _since(cls, value: float | datetime | None) -> float | datetime | None:
        if isinstance(value, datetime):
            try:
                value.timestamp()
            except (ValueError, OverflowError):
                raise ValueError("since must be a time between the years 1 and 9999 in every time zone") from None
        return value
    text: str | None = None
    """Searched in paths, operations, keys and both bodies."""
    job: str | None = None
    """The request that made the job and every one that names it."""
    fault: Flag = None
    """Only the requests a fault answered (1), or only the others (0)."""
    before: int | None = None
    """A request's `id`: the page just older than it."""
    limit: Limit = 100
    brief: Flag = None
    """Leave out headers and bodies."""


class RequestQuery(_Query):
    unmasked: Flag = None
    """Headers as sent, credentials unmasked."""


class DeliveriesQuery(_Query):
    job: str | None = None
    account: str | None = None
    state: DeliveryState | None = None
    text: str | None = None
    """Searched in the id, job, account, URL and event."""
    before: str | None = None
    """A delivery's `id`: the page just older than it."""
    limit: Annotated[int, Field(ge=1, le=1_000_000)] | None = None
    """The newest this many (all of them without it)."""


class DeliveryQuery(_Query):
    attempts: Annotated[int, Field(ge=0)] | None = None
    """Answer once this many of its attempts are recorded..."""
    wait: Annotated[float, Field(ge=0, le=MAX_DELIVERY_WAIT)] = 0.0
    """...or after this many seconds, as it is then."""


class EventsQuery(_Query):
    kinds: Annotated[list[EventKind] | None, Comma] = None
    """Only these kinds (and `hello` and `lagged`, which always come)."""
