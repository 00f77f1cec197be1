"""The control API under /_mock: what tests and frontend work use to steer and inspect the mock.

JSON in and out, errors in the same format as the API. When the server has an admin token,
every route here needs it (`X-Admin-Token: <token>` or `Authorization: Bearer <token>`), but
the API's own document (`GET /_mock/openapi.json`) and the inspector's files: they hold nothing
of the state, and generators and viewers fetch them without headers.

Each handler declares what it takes and answers (see `operations`); the table at the end makes
the routes and the OpenAPI document from the same declarations.
"""

from __future__ import annotations

import asyncio
import functools
import hmac
from datetime import datetime
from typing import Any

from starlette.datastructures import Headers
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from ..core.accounts import bearer_token
from ..core.errors import (
    BadUserInput,
    Conflict,
    FixturesInvalid,
    Forbidden,
    JobAlreadyFinished,
    NotFound,
    TooManyAccounts,
    Unauthenticated,
)
from ..core.fixtures import summary
from ..core.journal import RecordedRequest
from ..core.runtime import Runtime
from ..core.targets import CONTROL_PREFIX
from ..wire import shapes, views
from ..wire.control_openapi import Operation, control_openapi
from ..wire.control_requests import (
    AccountQuery,
    AccountUpdateBody,
    AdvanceBody,
    ClockUpdateBody,
    DeliveriesQuery,
    DeliveryQuery,
    EntriesQuery,
    JobFailureBody,
    JobsQuery,
    JobStateBody,
    NewAccountBody,
    NewFaultBody,
    RequestQuery,
    RequestsQuery,
    SettleBody,
)
from . import inspector
from .middleware import cors_middleware
from .operations import Op, endpoint, operation
from .replay import replay
from .requests import base_url, control_of, observe_of, runtime_of
from .routing import route

PREFIX = CONTROL_PREFIX
# Headers every webhook delivery of the mock carries: a request with them is the mock posting to
# itself (through a name or a proxy the submission check could not know), never a user.
WEBHOOK_HEADERS = ("x-doitong-delivery", "x-doitong-signature")
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


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


# The mock as a whole


async def index(request: Request) -> shapes.RouteIndex:
    """Every route under /_mock"""
    mine = [r for r in request.app.routes if isinstance(r, Route) and r.path.startswith(PREFIX)]
    return {"routes": sorted(f"{m} {r.path}" for r in mine for m in r.methods or () if m != "HEAD")}


async def openapi_document(request: Request) -> dict[str, Any]:
    """This document: every route under /_mock, its parameters, body, answer and errors

    It needs no admin token: it describes the routes, not what the mock holds. Whether the other
    routes need one on this server, its `security` says.
    """
    token = runtime_of(request).settings.admin_token is not None
    # Built once (a few hundred milliseconds of pydantic), off the event loop: other requests go on.
    return await asyncio.to_thread(control_openapi, operations(), base_url(request), token)


async def health(request: Request) -> shapes.Health:
    """Health, readiness and counters"""
    control = runtime_of(request).control
    counts = control.counts()
    return {
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
    }


async def reset(request: Request) -> shapes.ResetResult:
    """Back to the loaded fixtures: accounts, jobs, ledgers, limits, deliveries, journal, faults (the clock runs on)"""
    emulator = await runtime_of(request).reset()
    return {"reset": True, "fixtures": summary(emulator.fixtures)}


async def reload_fixtures(request: Request) -> shapes.ReloadResult:
    """Read the fixture files again, then reset; a bad file changes nothing"""
    emulator = await runtime_of(request).reload_fixtures()
    return {"reloaded": True, "fixtures": summary(emulator.fixtures)}


# Accounts


async def create_account(request: Request, body: NewAccountBody) -> shapes.AccountInfo:
    """A throw-away account, with its key, webhook secret and clock"""
    read = control_of(request).create_account(
        plan=body.plan,
        credits=body.credits,
        key=body.key,
        name=body.name,
        webhook_secret=body.webhookSecret,
        standard_webhooks=body.standardWebhooks,
        own_clock=body.clock == "own",
    )
    return views.control_account_view(read)


async def list_accounts(request: Request, query: EntriesQuery) -> shapes.AccountList:
    """Every account, and every plan with its limits"""
    control = control_of(request)
    return {
        "accounts": [views.control_account_view(read) for read in control.accounts(query.entries)],
        "plans": [views.plan_view(plan_id, plan) for plan_id, plan in control.plans().items()],
    }


async def get_account(request: Request, key: str, query: AccountQuery) -> shapes.AccountInfo:
    """An account, with its key, secret, credits, ledger and usage (reading it opens no rate-limit window)"""
    return views.control_account_view(control_of(request).account(key, query.entries))


async def update_account(request: Request, key: str, body: AccountUpdateBody) -> shapes.AccountInfo:
    """Set spendable credits, change plan, disable"""
    read = control_of(request).update_account(key, credits=body.credits, plan=body.plan, enabled=body.enabled)
    return views.control_account_view(read)


async def delete_account(request: Request, key: str) -> shapes.AccountDeleted:
    """Delete a throw-away account and everything of it

    Its jobs stop, its deliveries are retried no more, its keys, counters and clock go (its
    requests stay in the journal); a fixture account is a 409 (disable it instead).
    """
    control_of(request).delete_account(key)
    return {"deleted": key}


# Clocks: the server's (`/clock...`), and an account's own (`/accounts/{key}/clock...`)


async def get_clock(request: Request) -> shapes.Clock:
    """The server's clock and its next scheduled job transition or webhook retry"""
    return views.control_clock_view(control_of(request).clock(None))


async def get_account_clock(request: Request, key: str) -> shapes.Clock:
    """The clock the account follows (its own, or the server's)"""
    return views.control_clock_view(control_of(request).clock(key))


async def _advance(request: Request, body: AdvanceBody, owner: str | None) -> shapes.ClockMoved:
    control = control_of(request)
    if body.next == (body.seconds is not None):
        raise BadUserInput('send either {"seconds": N} or {"next": true}', field="seconds")
    if body.next:
        ran = await control.advance_to_next(owner, body.timeout)
    else:
        ran = await control.advance(body.seconds or 0.0, owner, body.timeout)
    return views.clock_moved_view(control.clock(owner), ran)


async def advance_clock(request: Request, body: AdvanceBody) -> shapes.ClockMoved:
    """Move the server's clock, by that much or to its next scheduled event

    Every job transition, limit window and webhook retry that falls due runs, in order, at its
    own time; the answer comes once they have, webhook attempts included (waiting for those
    `timeout` real seconds at most in all).
    """
    return await _advance(request, body, None)


async def advance_account_clock(request: Request, key: str, body: AdvanceBody) -> shapes.ClockMoved:
    """Move an account's own clock, by that much or to its next scheduled event"""
    return await _advance(request, body, key)


async def _settle(request: Request, body: SettleBody, owner: str | None) -> shapes.ClockMoved:
    control = control_of(request)
    ran = await control.settle(owner, body.timeout)
    return views.clock_moved_view(control.clock(owner), ran)


async def settle_clock(request: Request, body: SettleBody) -> shapes.ClockMoved:
    """Wait until nothing is due at the server clock's time and no webhook attempt it started is in flight"""
    return await _settle(request, body, None)


async def settle_account_clock(request: Request, key: str, body: SettleBody) -> shapes.ClockMoved:
    """Wait until nothing is due at the time of the clock the account follows and no webhook
    attempt it started is in flight"""
    return await _settle(request, body, key)


async def update_clock(request: Request, body: ClockUpdateBody) -> shapes.Clock:
    """The server clock's speed, for what is scheduled from now on"""
    return views.control_clock_view(control_of(request).set_speed(body.speed, None))


async def update_account_clock(request: Request, key: str, body: ClockUpdateBody) -> shapes.Clock:
    """An account's own clock's speed, for what is scheduled on it from now on"""
    return views.control_clock_view(control_of(request).set_speed(body.speed, key))


# Jobs


def _moved(
    request: Request, job_id: str, status: str, code: str | None = None, message: str | None = None
) -> shapes.Job:
    control = control_of(request)
    job = control.move_job(job_id, status, code, message)
    return views.job_view(job, control.now(job))


async def list_jobs(request: Request, query: JobsQuery) -> shapes.JobList:
    """Every account's jobs (or those the filters pick), newest first"""
    control = control_of(request)
    found = control.jobs(
        account_key=query.account,
        statuses=frozenset(query.status) if query.status else None,
        text=query.text,
        before=query.before,
        limit=query.limit,
    )
    return {"jobs": [views.control_job_view(j, control.now(j)) for j in found.jobs], "total": found.total,
            "next": found.next}


async def get_job(request: Request, job_id: str) -> shapes.JobDetail:
    """Any account's job, with its timeline, the ledger entries of its credits and its webhook deliveries"""
    return views.control_job_detail_view(control_of(request).job(job_id))


async def complete_job(request: Request, job_id: str) -> shapes.Job:
    """Complete it now"""
    return _moved(request, job_id, "completed")


async def fail_job(request: Request, job_id: str, body: JobFailureBody) -> shapes.Job:
    """Fail it now with that error"""
    return _moved(request, job_id, "failed", body.code, body.message)


async def set_job_state(request: Request, job_id: str, body: JobStateBody) -> shapes.Job:
    """Move it now"""
    return _moved(request, job_id, body.status, body.code, body.message)


async def job_deliveries(request: Request, job_id: str) -> shapes.JobDeliveries:
    """One job's webhook deliveries"""
    return {"deliveries": [views.delivery_view(d) for d in observe_of(request).job_deliveries(job_id)]}


# Faults


async def add_fault(request: Request, body: NewFaultBody) -> shapes.Fault:
    """Inject a fault: the next `count` matching API requests fail, slow down, or both"""
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
    return views.fault_view(fault)


async def list_faults(request: Request) -> shapes.FaultList:
    """The faults in force"""
    return {"faults": [views.fault_view(f) for f in control_of(request).faults()]}


async def clear_faults(request: Request) -> shapes.Removed:
    """Remove every fault"""
    return {"removed": control_of(request).clear_faults()}


async def remove_fault(request: Request, fault_id: str) -> shapes.Removed:
    """Remove one fault"""
    control_of(request).remove_fault(fault_id)
    return {"removed": 1}


# The request journal


async def list_requests(request: Request, query: RequestsQuery) -> shapes.RequestList:
    """The request journal, oldest first: the newest `limit` entries that match"""
    since = query.since.timestamp() if isinstance(query.since, datetime) else query.since
    found = observe_of(request).requests(
        key=query.key,
        method=query.method,
        path=query.path,
        status=query.status,
        operation=query.operation,
        surface=query.surface,
        since=since,
        text=query.text,
        job=query.job,
        fault=query.fault,
        before=query.before,
        limit=query.limit,
    )
    entries: list[shapes.RecordedRequest | shapes.RequestBrief] = [
        views.request_brief_view(e) if query.brief else views.request_view(e) for e in found.entries
    ]
    return {"requests": entries, "total": found.total, "next": found.next}


def _entry(request: Request, request_id: int) -> RecordedRequest:
    return observe_of(request).request(request_id)


async def get_request(request: Request, request_id: int, query: RequestQuery) -> shapes.RecordedRequest:
    """One journal entry, with its headers (credentials masked, or as sent with `unmasked=1`), body and response"""
    return views.request_view(_entry(request, request_id), unmasked=bool(query.unmasked))


async def replay_request(request: Request, request_id: int) -> shapes.RecordedRequest:
    """Send the request again, exactly as it came, through the whole mock; answers the new journal entry"""
    return views.request_view(await replay(request, _entry(request, request_id)))


async def clear_requests(request: Request) -> shapes.Removed:
    """Clear the journal"""
    return {"removed": observe_of(request).clear_requests()}


# Webhook deliveries


async def list_deliveries(request: Request, query: DeliveriesQuery) -> shapes.DeliveryList:
    """The webhook delivery log, oldest first: all of it, or the newest `limit` that match"""
    found = observe_of(request).deliveries(
        job_id=query.job,
        account_key=query.account,
        state=query.state,
        text=query.text,
        before=query.before,
        limit=query.limit,
    )
    return {"deliveries": [views.delivery_view(d) for d in found.deliveries], "total": found.total,
            "next": found.next}


async def get_delivery(request: Request, delivery_id: str, query: DeliveryQuery) -> shapes.Delivery:
    """One delivery; with `attempts=N`, once N of its attempts are recorded (or after `wait` seconds, as it is then)

    A receiver that got attempt N reads its outcome this way.
    """
    observe = observe_of(request)
    if query.attempts is None:
        return views.delivery_view(observe.delivery(delivery_id))
    return views.delivery_view(await observe.wait_for_delivery(delivery_id, query.attempts, query.wait))


async def resend_delivery(request: Request, delivery_id: str) -> shapes.Delivery:
    """Send it once more now and answer with the outcome recorded"""
    return views.delivery_view(await control_of(request).resend(delivery_id))


# The routes: path (under /_mock), whether it needs the admin token, and a handler per method.
Table = list[tuple[str, bool, dict[str, Op]]]
NO_ACCOUNT = (NotFound,)
OWN_CLOCK = (NotFound, Conflict)  # 409: the account follows the server's clock


def table() -> Table:
    return [
        ("", True, {"get": Op(index)}),
        ("/openapi.json", False, {"get": Op(openapi_document)}),
        ("/health", True, {"get": Op(health)}),
        ("/reset", True, {"post": Op(reset)}),
        ("/fixtures/reload", True, {"post": Op(reload_fixtures, errors=(FixturesInvalid,))}),
        ("/accounts", True, {"post": Op(create_account, 201, errors=(TooManyAccounts,)), "get": Op(list_accounts)}),
        ("/accounts/{key}", True, {
            "get": Op(get_account, errors=NO_ACCOUNT),
            "patch": Op(update_account, errors=NO_ACCOUNT),
            "delete": Op(delete_account, errors=(NotFound, Conflict)),
        }),
        ("/accounts/{key}/clock", True, {
            "get": Op(get_account_clock, errors=NO_ACCOUNT), "patch": Op(update_account_clock, errors=OWN_CLOCK),
        }),
        ("/accounts/{key}/clock/advance", True, {"post": Op(advance_account_clock, errors=OWN_CLOCK)}),
        ("/accounts/{key}/clock/settle", True, {"post": Op(settle_account_clock, errors=NO_ACCOUNT)}),
        ("/clock", True, {"get": Op(get_clock), "patch": Op(update_clock)}),
        ("/clock/advance", True, {"post": Op(advance_clock)}),
        ("/clock/settle", True, {"post": Op(settle_clock)}),
        ("/jobs", True, {"get": Op(list_jobs)}),
        ("/jobs/{job_id}", True, {"get": Op(get_job, errors=(NotFound,))}),
        ("/jobs/{job_id}/complete", True, {"post": Op(complete_job, errors=(NotFound, JobAlreadyFinished))}),
        ("/jobs/{job_id}/fail", True, {"post": Op(fail_job, errors=(NotFound, JobAlreadyFinished))}),
        ("/jobs/{job_id}/state", True, {"post": Op(set_job_state, errors=(NotFound, JobAlreadyFinished, Conflict))}),
        ("/jobs/{job_id}/deliveries", True, {"get": Op(job_deliveries)}),
        ("/faults", True, {"post": Op(add_fault, 201), "get": Op(list_faults), "delete": Op(clear_faults)}),
        ("/faults/{fault_id}", True, {"delete": Op(remove_fault, errors=(NotFound,))}),
        ("/requests", True, {"get": Op(list_requests), "delete": Op(clear_requests)}),
        ("/requests/{request_id}", True, {"get": Op(get_request, errors=(NotFound,))}),
        ("/requests/{request_id}/replay", True, {"post": Op(replay_request, 201, errors=(NotFound, Conflict))}),
        ("/deliveries", True, {"get": Op(list_deliveries)}),
        ("/deliveries/{delivery_id}", True, {"get": Op(get_delivery, errors=(NotFound,))}),
        ("/deliveries/{delivery_id}/resend", True, {"post": Op(resend_delivery, errors=(NotFound,))}),
        *inspector.table(),
    ]


@functools.cache
def operations() -> tuple[Operation, ...]:
    """Every operation of the table, as the document states it (worked out once: it is code)."""
    return tuple(operation(method.upper(), PREFIX + path, op, admin)
                 for path, admin, ops in table() for method, op in ops.items())


def routes(runtime: Runtime) -> list[Route]:
    guarded = [Middleware(AdminOnly, runtime=runtime)]
    return [
        route(PREFIX + path, middleware=guarded if admin else None,
              **{method: endpoint(op) for method, op in ops.items()})
        for path, admin, ops in table()
    ]
