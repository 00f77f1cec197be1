"""The control API under /_mock: what tests and frontend work use to steer and inspect the mock.

JSON in and out, errors in the same format as the API. When the server has an admin token,
every route here needs it (`X-Admin-Token: <token>` or `Authorization: Bearer <token>`).
"""

from __future__ import annotations

import hmac
from datetime import datetime
from typing import Annotated, Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, field_validator
from starlette.datastructures import Headers
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from ..core.accounts import bearer_token
from ..core.control import ENTRIES, MAX_SETTLE_WAIT, SETTLE_WAIT, THROWAWAY_CREDITS, THROWAWAY_PLAN
from ..core.errors import BadUserInput, Forbidden, Unauthenticated
from ..core.fixtures import summary
from ..core.inputs import MAX_NAME
from ..core.journal import STATUS_PATTERN, RecordedRequest
from ..core.ledger import MAX_CREDITS
from ..core.runtime import Runtime
from ..core.targets import CONTROL_PREFIX
from ..wire import views
from . import inspector
from .jsonbody import parse_body, read_json
from .middleware import cors_middleware
from .replay import replay
from .requests import control_of, int_param, observe_of, runtime_of
from .responses import JSONResponse
from .routing import route

PREFIX = CONTROL_PREFIX
# Headers every webhook delivery of the mock carries: a request with them is the mock posting to
# itself (through a name or a proxy the submission check could not know), never a user.
WEBHOOK_HEADERS = ("x-doitong-delivery", "x-doitong-signature")
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


MAX_EXTENSIONS = 4096
# Strings the control API keeps (an account's name, a fault's message) are bounded like the API's.
Short = Annotated[str, Field(max_length=MAX_NAME)]
Message = Annotated[str, Field(max_length=1000)]
Credits = Annotated[int, Field(ge=0, le=MAX_CREDITS)]


class NewAccount(_Body):
    plan: Short = THROWAWAY_PLAN
    credits: Credits = THROWAWAY_CREDITS
    key: Annotated[str, Field(min_length=1, max_length=MAX_NAME)] | None = None
    name: Short | None = None
    webhookSecret: Annotated[str, Field(min_length=1, max_length=MAX_NAME)] | None = None
    standardWebhooks: bool = False
    clock: Literal["own", "server"] = "server"


class AccountUpdate(_Body):
    credits: Credits | None = None
    plan: Short | None = None
    enabled: bool | None = None


class Settle(_Body):
    # Real seconds to wait, in all, for the webhook attempts that fall due.
    timeout: Annotated[float, Field(ge=0, le=MAX_SETTLE_WAIT)] = SETTLE_WAIT


class Advance(Settle):
    seconds: Annotated[float, Field(ge=0)] | None = None
    next: bool = False  # to the next scheduled event instead


class ClockUpdate(_Body):
    speed: Short | float


class JobFailure(_Body):
    code: Short = "GENERATION_FAILED"
    message: Message = "The job was failed from the control API"


class JobState(_Body):
    status: Literal["processing", "completed", "failed", "cancelled"]
    code: Short | None = None
    message: Message | None = None


class FaultMatch(_Body):
    key: Short | None = None
    surface: Literal["graphql", "rest", "media"] | None = None
    operation: Short | None = None
    path: Short | None = None
    method: Short | None = None


class NewFault(_Body):
    status: Annotated[int, Field(ge=400, le=599)] | None = None
    code: Short | None = None
    message: Message | None = None
    extensions: dict[str, Any] = {}
    latency: Annotated[float, Field(ge=0, le=120)] = 0.0
    count: Annotated[int, Field(ge=1)] = 1
    match: FaultMatch = FaultMatch()

    @field_validator("extensions")
    @classmethod
    def _extensions(cls, value: dict[str, Any]) -> dict[str, Any]:
        if "code" in value:
            raise ValueError("give the code as 'code', not inside 'extensions'")
        if len(orjson.dumps(value)) > MAX_EXTENSIONS:
            raise ValueError(f"extensions must take at most {MAX_EXTENSIONS} bytes as JSON")
        retry = value.get("retryAfter")
        if retry is not None and (isinstance(retry, bool) or not isinstance(retry, int) or retry < 0):
            raise ValueError("extensions.retryAfter must be a whole number of seconds")
        return value


class AdminOnly:
    """Route middleware of the control API: the admin token when the server has one, and the
    emulator caught up with its clock before any route reads it."""

    def __init__(self, app: ASGIApp, runtime: Runtime) -> None:
        self.app = app
        self.runtime = runtime
        self.origins = cors_middleware(app, runtime.settings)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = Headers(scope=scope)
        if any(name in headers for name in WEBHOOK_HEADERS):
            raise Forbidden("The control API does not take the mock's own webhook deliveries")
        origin = headers.get("origin")
        if origin is not None and scope["method"] not in SAFE_METHODS and not self.origins.is_allowed_origin(origin):
            # A page on another site may send a "simple" POST without asking first (CORS only
            # hides the answer): it must not reset the mock or change what it holds.
            raise Forbidden(f"The control API does not take changes from pages at {origin} (see --cors-origin)")
        token = self.runtime.settings.admin_token
        if token is not None and not _authorized(headers, token):
            raise Unauthenticated("The control API needs the admin token: send 'X-Admin-Token: <token>'")
        self.runtime.control.catch_up()
        await self.app(scope, receive, send)


def _authorized(headers: Headers, token: str) -> bool:
    given = headers.get("x-admin-token") or bearer_token(headers.get("authorization"))
    return given is not None and hmac.compare_digest(given.encode(), token.encode())


def answer(payload: Any, status: int = 200) -> Response:
    return JSONResponse(payload, status_code=status)


async def _body(request: Request, model: type[_Body]) -> Any:
    data = await read_json(request, allow_empty=True)
    return model() if data is None else parse_body(model, data)


async def index(request: Request) -> Response:
    mine = [r for r in request.app.routes if isinstance(r, Route) and r.path.startswith(PREFIX)]
    return answer({"routes": sorted(f"{m} {r.path}" for r in mine for m in r.methods or () if m != "HEAD")})


async def health(request: Request) -> Response:
    control = runtime_of(request).control
    counts = control.counts()
    return answer({
        "status": "ok",
        "ready": True,
        "clock": views.clock_view(control.clock()),
        "fixtures": summary(control.fixtures),
        "jobs": counts.jobs,
        "jobsInFlight": counts.jobs_in_flight,
        "deliveries": counts.deliveries,
        "deliveriesFailed": counts.deliveries_failed,
        "journal": counts.journal,
        "faults": counts.faults,
        "accounts": counts.accounts,
        "generation": control.generation,
        "eventStreams": len(request.app.state.feed),
    })


async def reset(request: Request) -> Response:
    emulator = await runtime_of(request).reset()
    return answer({"reset": True, "fixtures": summary(emulator.fixtures)})


async def reload_fixtures(request: Request) -> Response:
    emulator = await runtime_of(request).reload_fixtures()
    return answer({"reloaded": True, "fixtures": summary(emulator.fixtures)})


async def create_account(request: Request) -> Response:
    body = await _body(request, NewAccount)
    read = control_of(request).create_account(
        plan=body.plan,
        credits=body.credits,
        key=body.key,
        name=body.name,
        webhook_secret=body.webhookSecret,
        standard_webhooks=body.standardWebhooks,
        own_clock=body.clock == "own",
    )
    return answer(views.control_account_view(read), 201)


async def list_accounts(request: Request) -> Response:
    control = control_of(request)
    reads = control.accounts(int_param(request, "entries", 0))
    return answer({
        "accounts": [views.control_account_view(read) for read in reads],
        "plans": [views.plan_view(plan_id, plan) for plan_id, plan in control.plans().items()],
    })


async def get_account(request: Request) -> Response:
    read = control_of(request).account(request.path_params["key"], int_param(request, "entries", ENTRIES))
    return answer(views.control_account_view(read))


async def update_account(request: Request) -> Response:
    body = await _body(request, AccountUpdate)
    read = control_of(request).update_account(
        request.path_params["key"], credits=body.credits, plan=body.plan, enabled=body.enabled
    )
    return answer(views.control_account_view(read))


def _clock_owner(request: Request) -> str | None:
    """The account whose clock a route is about (/_mock/accounts/{key}/clock...), or None for
    the server's (/_mock/clock...)."""
    key: str | None = request.path_params.get("key")
    return key


async def delete_account(request: Request) -> Response:
    key = request.path_params["key"]
    control_of(request).delete_account(key)
    return answer({"deleted": key})


async def get_clock(request: Request) -> Response:
    return answer(views.control_clock_view(control_of(request).clock(_clock_owner(request))))


async def advance_clock(request: Request) -> Response:
    body = await _body(request, Advance)
    control = control_of(request)
    owner = _clock_owner(request)
    if body.next == (body.seconds is not None):
        raise BadUserInput('send either {"seconds": N} or {"next": true}', field="seconds")
    if body.next:
        ran = await control.advance_to_next(owner, body.timeout)
    else:
        ran = await control.advance(body.seconds or 0.0, owner, body.timeout)
    return answer(views.clock_moved_view(control.clock(owner), ran))


async def settle_clock(request: Request) -> Response:
    body = await _body(request, Settle)
    control = control_of(request)
    owner = _clock_owner(request)
    ran = await control.settle(owner, body.timeout)
    return answer(views.clock_moved_view(control.clock(owner), ran))


async def update_clock(request: Request) -> Response:
    body = await _body(request, ClockUpdate)
    return answer(views.control_clock_view(control_of(request).set_speed(body.speed, _clock_owner(request))))


def _job_answer(request: Request, status: str, code: str | None = None, message: str | None = None) -> Response:
    control = control_of(request)
    job = control.move_job(request.path_params["job_id"], status, code, message)
    return answer(views.job_view(job, control.now(job)))


def _limit(request: Request, default: int | None, most: int = 10_000) -> int | None:
    limit = _optional_int(request, "limit")
    if limit is None:
        return default
    if not 1 <= limit <= most:
        raise BadUserInput(f"limit must be between 1 and {most}", field="limit")
    return limit


def _listed(q: Any, name: str) -> list[str] | None:
    """A comma-separated query parameter (`status=queued,processing`), or None without one."""
    raw = q.get(name)
    return [part.strip() for part in raw.split(",") if part.strip()] if raw else None


async def list_jobs(request: Request) -> Response:
    q = request.query_params
    control = control_of(request)
    statuses = _listed(q, "status")
    found = control.jobs(
        account_key=q.get("account") or None,
        statuses=frozenset(statuses) if statuses else None,
        text=q.get("text") or None,
        before=_optional_int(request, "before"),
        limit=_limit(request, 500) or 500,
    )
    return answer({
        "jobs": [views.control_job_view(j, control.now(j)) for j in found.jobs],
        "total": found.total,
        "next": found.next,
    })


async def get_job(request: Request) -> Response:
    return answer(views.control_job_detail_view(control_of(request).job(request.path_params["job_id"])))


async def complete_job(request: Request) -> Response:
    return _job_answer(request, "completed")


async def fail_job(request: Request) -> Response:
    body = await _body(request, JobFailure)
    return _job_answer(request, "failed", body.code, body.message)


async def set_job_state(request: Request) -> Response:
    body = await _body(request, JobState)
    return _job_answer(request, body.status, body.code, body.message)


async def add_fault(request: Request) -> Response:
    body = await _body(request, NewFault)
    if body.status is None and not body.latency:
        raise BadUserInput("a fault needs a status, a latency or both", field="status")
    fault = control_of(request).add_fault(
        remaining=body.count,
        status=body.status,
        given_code=body.code,
        message=body.message,
        extensions=body.extensions,
        latency=body.latency,
        **body.match.model_dump(),
    )
    return answer(views.fault_view(fault), 201)


async def list_faults(request: Request) -> Response:
    return answer({"faults": [views.fault_view(f) for f in control_of(request).faults()]})


async def clear_faults(request: Request) -> Response:
    return answer({"removed": control_of(request).clear_faults()})


async def remove_fault(request: Request) -> Response:
    control_of(request).remove_fault(request.path_params["fault_id"])
    return answer({"removed": 1})


def _since(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise BadUserInput("since must be Unix seconds or an ISO 8601 time", field="since") from None


def _optional_int(request: Request, name: str) -> int | None:
    return int_param(request, name, 0) if name in request.query_params else None


def _statuses(q: Any) -> list[str] | None:
    wanted = _listed(q, "status")
    for status in wanted or ():
        if STATUS_PATTERN.fullmatch(status) is None:
            raise BadUserInput(
                f"status {status!r} is neither a status code nor a class such as 4xx", field="status"
            )
    return wanted


def _flag(q: Any, name: str) -> bool | None:
    raw = q.get(name)
    if raw is None or raw == "":
        return None
    if raw not in ("1", "true", "0", "false"):
        raise BadUserInput(f"{name} must be 1 or 0 (true or false)", field=name)
    return raw in ("1", "true")


async def list_requests(request: Request) -> Response:
    q = request.query_params
    found = observe_of(request).requests(
        key=q.get("key") or None,
        method=q.get("method") or None,
        path=q.get("path") or None,
        status=_statuses(q),
        operation=q.get("operation") or None,
        surface=q.get("surface") or None,
        since=_since(q.get("since")),
        text=q.get("text") or None,
        job=q.get("job") or None,
        fault=_flag(q, "fault"),
        before=_optional_int(request, "before"),
        limit=int_param(request, "limit", 100) or 100,
    )
    view = views.request_brief_view if _flag(q, "brief") else views.request_view
    return answer({"requests": [view(e) for e in found.entries], "total": found.total, "next": found.next})


def _entry(request: Request) -> RecordedRequest:
    raw = request.path_params["request_id"]
    if not raw.isdigit():
        raise BadUserInput("a request id is a number", field="id")
    return observe_of(request).request(int(raw))


async def get_request(request: Request) -> Response:
    unmasked = _flag(request.query_params, "unmasked")
    return answer(views.request_view(_entry(request), unmasked=bool(unmasked)))


async def replay_request(request: Request) -> Response:
    entry = await replay(request, _entry(request))
    return answer(views.request_view(entry), 201)


async def clear_requests(request: Request) -> Response:
    return answer({"removed": observe_of(request).clear_requests()})


async def list_deliveries(request: Request) -> Response:
    q = request.query_params
    found = observe_of(request).deliveries(
        job_id=q.get("job") or None,
        account_key=q.get("account") or None,
        state=q.get("state") or None,
        text=q.get("text") or None,
        before=q.get("before") or None,
        limit=_limit(request, None, most=1_000_000),
    )
    return answer({
        "deliveries": [views.delivery_view(d) for d in found.deliveries],
        "total": found.total,
        "next": found.next,
    })


async def job_deliveries(request: Request) -> Response:
    deliveries = observe_of(request).job_deliveries(request.path_params["job_id"])
    return answer({"deliveries": [views.delivery_view(d) for d in deliveries]})


# The longest a read of one delivery waits for an attempt to be recorded (`?attempts=N&wait=S`).
MAX_DELIVERY_WAIT = 60.0


async def get_delivery(request: Request) -> Response:
    """One delivery; with `?attempts=N&wait=S`, once N of its attempts are recorded (or after S
    seconds, as it is then): a receiver that got attempt N reads its outcome this way."""
    observe = observe_of(request)
    delivery_id = request.path_params["delivery_id"]
    attempts = _optional_int(request, "attempts")
    if attempts is None:
        return answer(views.delivery_view(observe.delivery(delivery_id)))
    wait = _float_param(request, "wait", 0.0)
    if not 0 <= wait <= MAX_DELIVERY_WAIT:
        raise BadUserInput(f"wait must be between 0 and {MAX_DELIVERY_WAIT:g} seconds", field="wait")
    delivery = await observe.wait_for_delivery(delivery_id, attempts, wait)
    return answer(views.delivery_view(delivery))


def _float_param(request: Request, name: str, default: float) -> float:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        return float(raw)
    except ValueError:
        raise BadUserInput(f"query parameter {name!r} must be a number of seconds", field=name) from None


async def resend_delivery(request: Request) -> Response:
    delivery = await control_of(request).resend(request.path_params["delivery_id"])
    return answer(views.delivery_view(delivery))


def routes(runtime: Runtime) -> list[Route]:
    guarded = [Middleware(AdminOnly, runtime=runtime)]
    table = [
        ("", {"get": index}),
        ("/health", {"get": health}),
        ("/reset", {"post": reset}),
        ("/fixtures/reload", {"post": reload_fixtures}),
        ("/accounts", {"post": create_account, "get": list_accounts}),
        ("/accounts/{key}", {"get": get_account, "patch": update_account, "delete": delete_account}),
        ("/accounts/{key}/clock", {"get": get_clock, "patch": update_clock}),
        ("/accounts/{key}/clock/advance", {"post": advance_clock}),
        ("/accounts/{key}/clock/settle", {"post": settle_clock}),
        ("/clock", {"get": get_clock, "patch": update_clock}),
        ("/clock/advance", {"post": advance_clock}),
        ("/clock/settle", {"post": settle_clock}),
        ("/jobs", {"get": list_jobs}),
        ("/jobs/{job_id}", {"get": get_job}),
        ("/jobs/{job_id}/complete", {"post": complete_job}),
        ("/jobs/{job_id}/fail", {"post": fail_job}),
        ("/jobs/{job_id}/state", {"post": set_job_state}),
        ("/jobs/{job_id}/deliveries", {"get": job_deliveries}),
        ("/faults", {"post": add_fault, "get": list_faults, "delete": clear_faults}),
        ("/faults/{fault_id}", {"delete": remove_fault}),
        ("/requests", {"get": list_requests, "delete": clear_requests}),
        ("/requests/{request_id}", {"get": get_request}),
        ("/requests/{request_id}/replay", {"post": replay_request}),
        ("/deliveries", {"get": list_deliveries}),
        ("/deliveries/{delivery_id}", {"get": get_delivery}),
        ("/deliveries/{delivery_id}/resend", {"post": resend_delivery}),
        ("/events", {"get": inspector.event_stream}),
    ]
    return [route(PREFIX + path, middleware=guarded, **handlers) for path, handlers in table]
