"""The REST surface under /v1: the document's `POST /v1/avatar` and its REST-habit siblings.

The admission gate in front of these routes has already authenticated and counted the request
and adds the rate-limit headers to whatever they answer; a route only does its own work.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ..core.api import ENTRIES
from ..core.inputs import from_flat
from ..core.jobs import PAGE_SIZE
from ..wire import views
from ..wire.bodies import AvatarBody, EstimateBody
from .jsonbody import parse_body, read_json
from .requests import api_of, base_url, caller_of, here, int_param
from .responses import JSONResponse
from .routing import route


def data(payload: Mapping[str, Any]) -> Response:
    return JSONResponse({"data": payload})


async def create_avatar(request: Request) -> Response:
    api = api_of(request)
    body = await read_json(request)
    parse_body(AvatarBody, body)  # strict: the JSON object that passed is exactly what it holds
    job = api.submit(caller_of(request), from_flat(body), here(request))
    request.state.job_id = job.id  # the journal links the request to the job it made
    return data({"avatar": views.job_view(job, api.now(job))})


async def get_avatar(request: Request) -> Response:
    api = api_of(request)
    job = api.job(caller_of(request).account, request.path_params["job_id"])
    return data({"avatar": views.job_view(job, api.now(job))})


async def cancel_avatar(request: Request) -> Response:
    api = api_of(request)
    job = api.cancel(caller_of(request).account, request.path_params["job_id"])
    return data({"avatar": views.job_view(job, api.now(job))})


async def list_avatars(request: Request) -> Response:
    api = api_of(request)
    page = api.jobs(
        caller_of(request).account,
        first=int_param(request, "limit", PAGE_SIZE),
        after=request.query_params.get("cursor") or None,
        status=request.query_params.get("status"),
    )
    return data({
        "avatars": [views.job_view(job, api.now(job)) for job in page.jobs],
        "pageInfo": views.page_info(page),
        "totalCount": page.total,
        "cursors": views.cursors(page),
    })


async def get_account(request: Request) -> Response:
    read = api_of(request).account(caller_of(request).account, int_param(request, "entries", ENTRIES))
    return data({"account": views.account_view(read)})


async def get_catalog(request: Request) -> Response:
    return data(views.catalog_view(api_of(request).catalog(), base_url(request)))


async def estimate(request: Request) -> Response:
    body = parse_body(EstimateBody, await read_json(request))
    price = api_of(request).estimate(body.text, body.audioUrl)
    return data({"estimate": views.estimate_view(price)})


routes = [
    route("/avatar", post=create_avatar, get=list_avatars),
    route("/avatar/{job_id}", get=get_avatar, delete=cancel_avatar),
    route("/avatar/{job_id}/cancel", post=cancel_avatar),
    route("/account", get=get_account),
    route("/catalog", get=get_catalog),
    route("/estimate", post=estimate),
]
