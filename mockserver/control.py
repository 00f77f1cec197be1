"""The control API under /_mock: what tests and frontend work use to steer and inspect the mock.

JSON in and out, errors in the same format as the API. When the server has an admin token,
every route here needs it (`X-Admin-Token: <token>` or `Authorization: Bearer <token>`).
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .accounts import Account
from .errors import ApiError, BadUserInput, NotFound, Unauthenticated, error_response
from .fixtures import summary
from .jobs import ACTIVE
from .jsonbody import parse_body, read_json
from .routing import Methods
from .service import Service

Handler = Callable[[Request, Service], Awaitable[Any]]

PREFIX = "/_mock"


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class NewAccount(_Body):
    plan: str = "pro"
    credits: Annotated[int, Field(ge=0)] = 10_000
    key: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    name: str | None = None
    webhookSecret: Annotated[str, Field(min_length=1)] | None = None
    standardWebhooks: bool = False


class AccountUpdate(_Body):
    credits: Annotated[int, Field(ge=0)] | None = None
    plan: str | None = None
    enabled: bool | None = None


class Advance(_Body):
    seconds: Annotated[float, Field(ge=0)]


class ClockUpdate(_Body):
    speed: str | float


class JobFailure(_Body):
    code: str = "GENERATION_FAILED"
    message: str = "The job was failed from the control API"


class JobState(_Body):
    status: Literal["processing", "completed", "failed", "cancelled"]
    code: str | None = None
    message: str | None = None


class FaultMatch(_Body):
    key: str | None = None
    surface: Literal["graphql", "rest", "media"] | None = None
    operation: str | None = None
    path: str | None = None
    method: str | None = None


class NewFault(_Body):
    status: Annotated[int, Field(ge=400, le=599)] | None = None
    code: str | None = None
    message: str | None = None
    extensions: dict[str, Any] = {}
    latency: Annotated[float, Field(ge=0, le=120)] = 0.0
    count: Annotated[int, Field(ge=1)] = 1
    match: FaultMatch = FaultMatch()


def _authorized(request: Request, token: str | None) -> bool:
    if token is None:
        return True
    given = request.headers.get("x-admin-token")
    if given is None:
        scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
        given = credentials.strip() if scheme.lower() == "bearer" else None
    return given is not None and hmac.compare_digest(given.encode(), token.encode())


def control(handler: Handler, status: int = 200) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        service: Service = request.app.state.service
        try:
            if not _authorized(request, service.settings.admin_token):
                raise Unauthenticated("The control API needs the admin token: send 'X-Admin-Token: <token>'")
            service.sync()
            return JSONResponse(await handler(request, service), status_code=status)
        except ApiError as error:
            return error_response(error)

    return endpoint


async def _body(request: Request, model: type[_Body]) -> Any:
    data = await read_json(request, allow_empty=True)
    return model() if data is None else parse_body(model, data)


def account_dict(service: Service, account: Account) -> dict[str, Any]:
    return {
        **service.account_view(account, entries=50),
        "key": account.key,
        "webhookSecret": account.webhook_secret,
        "standardWebhooks": account.standard_webhooks,
        "ephemeral": account.ephemeral,
    }


async def index(request: Request, service: Service) -> dict:
    return {
        "routes": sorted(
            f"{method} {r.path}" for r in routes for method in r.endpoint.handlers if method != "HEAD"
        )
    }


async def health(request: Request, service: Service) -> dict:
    jobs = service.jobs
    return {
        "status": "ok",
        "ready": True,
        "clock": service.clock.describe(),
        "fixtures": summary(service.fixtures),
        "jobs": len(jobs.by_id),
        "jobsInFlight": sum(1 for j in jobs.by_id.values() if j.status in ACTIVE),
        "deliveries": len(service.webhooks.deliveries),
        "journal": len(service.journal),
        "faults": len(service.faults.list()),
    }


async def reset(request: Request, service: Service) -> dict:
    await service.reset()
    return {"reset": True, "fixtures": summary(service.fixtures)}


async def reload_fixtures(request: Request, service: Service) -> dict:
    fixtures = await service.reload_fixtures()
    return {"reloaded": True, "fixtures": summary(fixtures)}


async def create_account(request: Request, service: Service) -> dict:
    body = await _body(request, NewAccount)
    account = service.create_account(
        plan=body.plan,
        credits=body.credits,
        key=body.key,
        name=body.name,
        webhook_secret=body.webhookSecret,
        standard_webhooks=body.standardWebhooks,
    )
    return account_dict(service, account)


async def get_account(request: Request, service: Service) -> dict:
    return account_dict(service, service.account(request.path_params["key"]))


async def update_account(request: Request, service: Service) -> dict:
    body = await _body(request, AccountUpdate)
    account = service.update_account(
        request.path_params["key"], credits=body.credits, plan=body.plan, enabled=body.enabled
    )
    return account_dict(service, account)


async def get_clock(request: Request, service: Service) -> dict:
    return service.clock.describe()


async def advance_clock(request: Request, service: Service) -> dict:
    body = await _body(request, Advance)
    ran = service.advance(body.seconds)
    return {**service.clock.describe(), "ran": ran}


async def update_clock(request: Request, service: Service) -> dict:
    body = await _body(request, ClockUpdate)
    service.set_speed(body.speed)
    return service.clock.describe()


async def get_job(request: Request, service: Service) -> dict:
    job = service.any_job(request.path_params["job_id"])
    return {**service.view(job), "accountKey": job.account_key}


async def complete_job(request: Request, service: Service) -> dict:
    return service.view(service.move_job(request.path_params["job_id"], "completed"))


async def fail_job(request: Request, service: Service) -> dict:
    body = await _body(request, JobFailure)
    job = service.move_job(request.path_params["job_id"], "failed", body.code, body.message)
    return service.view(job)


async def set_job_state(request: Request, service: Service) -> dict:
    body = await _body(request, JobState)
    job = service.move_job(request.path_params["job_id"], body.status, body.code, body.message)
    return service.view(job)


async def add_fault(request: Request, service: Service) -> dict:
    body = await _body(request, NewFault)
    if body.status is None and not body.latency:
        raise BadUserInput("a fault needs a status, a latency or both", field="status")
    fault = service.faults.add(
        remaining=body.count,
        status=body.status,
        code=body.code,
        message=body.message,
        extensions=body.extensions,
        latency=body.latency,
        **body.match.model_dump(),
    )
    return fault.to_dict()


async def list_faults(request: Request, service: Service) -> dict:
    return {"faults": [f.to_dict() for f in service.faults.list()]}


async def clear_faults(request: Request, service: Service) -> dict:
    return {"removed": service.faults.clear()}


async def remove_fault(request: Request, service: Service) -> dict:
    if not service.faults.remove(request.path_params["fault_id"]):
        raise NotFound(f"no fault {request.path_params['fault_id']!r}")
    return {"removed": 1}


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


def _int(value: str | None, name: str) -> int | None:
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        raise BadUserInput(f"{name} must be an integer", field=name) from None


async def list_requests(request: Request, service: Service) -> dict:
    q = request.query_params
    entries = service.journal.find(
        key=q.get("key"),
        method=q.get("method"),
        path=q.get("path"),
        status=_int(q.get("status"), "status"),
        operation=q.get("operation"),
        surface=q.get("surface"),
        since=_since(q.get("since")),
        limit=_int(q.get("limit"), "limit") or 100,
    )
    return {"requests": [e.to_dict() for e in entries]}


async def clear_requests(request: Request, service: Service) -> dict:
    return {"removed": service.journal.clear()}


async def list_deliveries(request: Request, service: Service) -> dict:
    job_id = request.query_params.get("job")
    account = request.query_params.get("account")
    if job_id:
        deliveries = service.webhooks.for_job(job_id)
    elif account:
        deliveries = service.webhooks.for_account(account)
    else:
        deliveries = list(service.webhooks.deliveries.values())
    return {"deliveries": [d.to_dict() for d in deliveries]}


async def job_deliveries(request: Request, service: Service) -> dict:
    job_id = request.path_params["job_id"]
    return {"deliveries": [d.to_dict() for d in service.webhooks.for_job(job_id)]}


async def get_delivery(request: Request, service: Service) -> dict:
    return service.webhooks.get(request.path_params["delivery_id"]).to_dict()


async def resend_delivery(request: Request, service: Service) -> dict:
    delivery = await service.webhooks.resend(request.path_params["delivery_id"])
    return delivery.to_dict()


routes = [
    Route(PREFIX + "", Methods(get=control(index))),
    Route(PREFIX + "/health", Methods(get=control(health))),
    Route(PREFIX + "/reset", Methods(post=control(reset))),
    Route(PREFIX + "/fixtures/reload", Methods(post=control(reload_fixtures))),
    Route(PREFIX + "/accounts", Methods(post=control(create_account, 201))),
    Route(PREFIX + "/accounts/{key}", Methods(get=control(get_account), patch=control(update_account))),
    Route(PREFIX + "/clock", Methods(get=control(get_clock), patch=control(update_clock))),
    Route(PREFIX + "/clock/advance", Methods(post=control(advance_clock))),
    Route(PREFIX + "/jobs/{job_id}", Methods(get=control(get_job))),
    Route(PREFIX + "/jobs/{job_id}/complete", Methods(post=control(complete_job))),
    Route(PREFIX + "/jobs/{job_id}/fail", Methods(post=control(fail_job))),
    Route(PREFIX + "/jobs/{job_id}/state", Methods(post=control(set_job_state))),
    Route(PREFIX + "/jobs/{job_id}/deliveries", Methods(get=control(job_deliveries))),
    Route(PREFIX + "/faults", Methods(post=control(add_fault, 201), get=control(list_faults), delete=control(clear_faults))),
    Route(PREFIX + "/faults/{fault_id}", Methods(delete=control(remove_fault))),
    Route(PREFIX + "/requests", Methods(get=control(list_requests), delete=control(clear_requests))),
    Route(PREFIX + "/deliveries", Methods(get=control(list_deliveries))),
    Route(PREFIX + "/deliveries/{delivery_id}", Methods(get=control(get_delivery))),
    Route(PREFIX + "/deliveries/{delivery_id}/resend", Methods(post=control(resend_delivery))),
]
