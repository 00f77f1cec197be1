"""The REST surface under /v1: the document's `POST /v1/avatar` and its REST-habit siblings.

The admission gate in front of these routes has already authenticated and counted the request
and adds the rate-limit headers to whatever they answer; a route only does its own work.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ..core.inputs import from_flat
from ..wire import views
from ..wire.bodies import AvatarBody, EstimateBody
from .jsonbody import parse_body, read_json
from .requests import base_url, caller_of, emulator_of, here, int_param
from .responses import JSONResponse
from .routing import route


def data(payload: dict[str, Any]) -> Response:
    return JSONResponse({"data": payload})


async def create_avatar(request: Request) -> Response:
    emulator = emulator_of(request)
    body = await read_json(request)
    parse_body(AvatarBody, body)  # strict: the JSON object that passed is exactly what it holds
    job = emulator.submit(caller_of(request), from_flat(body), here(request))
    request.state.job_id = job.id  # the journal links the request to the job it made
    return data({"avatar": views.job_view(job, emulator.now(job.account_key))})


async def get_avatar(request: Request) -> Response:
    emulator = emulator_of(request)
    job = emulator.job(caller_of(request).account, request.path_params["job_id"])
    return data({"avatar": views.job_view(job, emulator.now(job.account_key))})


async def cancel_avatar(request: Request) -> Response:
    emulator = emulator_of(request)
    job = emulator.cancel(caller_of(request).account, request.path_params["job_id"])
    return data({"avatar": views.job_view(job, emulator.now(job.account_key))})


async def list_avatars(request: Request) -> Response:
    emulator = emulator_of(request)
    page = emulator.list_jobs(
        caller_of(request).account,
        first=int_param(request, "limit", 20),
        after=request.query_params.get("cursor") or None,
        status=request.query_params.get("status"),
    )
    now = emulator.now(caller_of(request).account.key)
    return data({
        "avatars": [views.job_view(job, now) for job in page.jobs],
        "pageInfo": views.page_info(page),
        "totalCount": page.total,
        "cursors": views.cursors(page),
    })


async def get_account(request: Request) -> Response:
    account = views.account_view(emulator_of(request), caller_of(request).account, int_param(request, "entries", 20))
    return data({"account": account})


async def get_catalog(request: Request) -> Response:
    return data(views.catalog_view(emulator_of(request).fixtures, base_url(request)))


async def estimate(request: Request) -> Response:
    body = parse_body(EstimateBody, await read_json(request))
    price = emulator_of(request).estimate(body.text, body.audioUrl)
    return data({"estimate": views.estimate_view(price)})


routes = [
    route("/avatar", post=create_avatar, get=list_avatars),
    route("/avatar/{job_id}", get=get_avatar, delete=cancel_avatar),
    route("/avatar/{job_id}/cancel", post=cancel_avatar),
    route("/account", get=get_account),
    route("/catalog", get=get_catalog),
    route("/estimate", post=estimate),
]
