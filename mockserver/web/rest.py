"""The REST surface under /v1: the document's `POST /v1/avatar` and its REST-habit siblings.

The admission gate in front of these routes has already authenticated and counted the request
and adds the rate-limit headers to whatever they answer; a route only does its own work.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..core.inputs import from_flat
from . import views
from .jsonbody import parse_body, read_json
from .requests import base_url, caller_of, emulator_of, here, int_param
from .routing import route

Text = Annotated[str, Field(max_length=100_000)]
Url = Annotated[str, Field(max_length=4096)]
Name = Annotated[str, Field(max_length=200)]


class AvatarBody(BaseModel):
    """`POST /v1/avatar`: the document's parameter table plus the job fields."""

    model_config = ConfigDict(extra="forbid", strict=True, title="AvatarRequest")

    service: Name = Field(description='Service identifier: "hedra"')
    text: Text | None = Field(None, description="What the avatar says (or give audioUrl)")
    avatarId: Name | None = Field(None, description="A catalogue avatar (or give imageUrl)")
    imageUrl: Url | None = Field(None, description="Your own portrait instead of avatarId")
    audioUrl: Url | None = Field(None, description="Recorded speech instead of text")
    voice: Name | None = Field(None, description="A catalogue voice, e.g. en-US-neural")
    language: Name | None = Field(None, description='e.g. "en"; must match the voice')
    version: Name | None = Field(None, description='Model version: "hedra-1.0"')
    webhookUrl: Url | None = Field(None, description="URL to receive completion notifications")
    aspectRatio: Name | None = Field(None, description='"16:9", "9:16" or "1:1"')
    resolution: Name | None = Field(None, description='"540p", "720p" or "1080p"')


class EstimateBody(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, title="EstimateRequest")

    text: Text | None = None
    audioUrl: Url | None = None


def data(payload: dict[str, Any]) -> Response:
    return JSONResponse({"data": payload})


async def create_avatar(request: Request) -> Response:
    emulator = emulator_of(request)
    body = parse_body(AvatarBody, await read_json(request))
    job = emulator.submit(caller_of(request), from_flat(body.model_dump()), here(request))
    return data({"avatar": views.job_view(job, emulator.clock.now())})


async def get_avatar(request: Request) -> Response:
    emulator = emulator_of(request)
    job = emulator.job(caller_of(request).account, request.path_params["job_id"])
    return data({"avatar": views.job_view(job, emulator.clock.now())})


async def cancel_avatar(request: Request) -> Response:
    emulator = emulator_of(request)
    job = emulator.cancel(caller_of(request).account, request.path_params["job_id"])
    return data({"avatar": views.job_view(job, emulator.clock.now())})


async def list_avatars(request: Request) -> Response:
    emulator = emulator_of(request)
    page = emulator.list_jobs(
        caller_of(request).account,
        first=int_param(request, "limit", 20),
        after=request.query_params.get("cursor") or None,
        status=request.query_params.get("status"),
    )
    now = emulator.clock.now()
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
