"""The REST surface under /v1: the document's `POST /v1/avatar` and its REST-habit siblings."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .accounts import Account
from .errors import ApiError, BadUserInput, error_response
from .inputs import from_flat
from .jobs import encode_cursor
from .jsonbody import parse_body, read_json
from .routing import Methods
from .service import Service

Handler = Callable[[Request, Service, Account], Awaitable[dict[str, Any]]]

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


def _base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def api(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """Authenticate, run the handler, and answer `{"data": ...}` or the error format."""

    async def endpoint(request: Request) -> Response:
        service: Service = request.app.state.service
        account = None
        response: Response
        try:
            account = service.admit(request.headers)
            response = JSONResponse({"data": await handler(request, service, account)})
        except ApiError as error:
            response = error_response(error)
        if account is not None:
            response.headers.update(service.rate_headers(account))
        if getattr(request.state, "replayed", False):
            response.headers["Idempotent-Replayed"] = "true"
        return response

    return endpoint


async def create_avatar(request: Request, service: Service, account: Account) -> dict:
    body = parse_body(AvatarBody, await read_json(request))
    job, request.state.replayed = service.submit(
        account,
        from_flat(body.model_dump()),
        _base_url(request),
        request.headers.get("idempotency-key"),
    )
    return {"avatar": service.view(job)}


async def get_avatar(request: Request, service: Service, account: Account) -> dict:
    return {"avatar": service.view(service.job(account, request.path_params["job_id"]))}


async def cancel_avatar(request: Request, service: Service, account: Account) -> dict:
    return {"avatar": service.view(service.cancel(account, request.path_params["job_id"]))}


def _int_param(request: Request, name: str, default: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise BadUserInput(f"query parameter {name!r} must be an integer", field=name) from None


async def list_avatars(request: Request, service: Service, account: Account) -> dict:
    page = service.list_jobs(
        account,
        first=_int_param(request, "limit", 20),
        after=request.query_params.get("cursor") or None,
        status=request.query_params.get("status"),
    )
    return {
        "avatars": [service.view(job) for job in page.jobs],
        "pageInfo": {"hasNextPage": page.has_next, "endCursor": page.end_cursor},
        "totalCount": page.total,
        "cursors": [encode_cursor(job.seq) for job in page.jobs],
    }


async def get_account(request: Request, service: Service, account: Account) -> dict:
    return {"account": service.account_view(account, entries=_int_param(request, "entries", 20))}


async def get_catalog(request: Request, service: Service, account: Account) -> dict:
    return service.catalog(_base_url(request))


async def estimate(request: Request, service: Service, account: Account) -> dict:
    body = parse_body(EstimateBody, await read_json(request))
    return {"estimate": service.estimate(body.text, body.audioUrl)}


routes = [
    Route("/avatar", Methods(post=api(create_avatar), get=api(list_avatars))),
    Route("/avatar/{job_id}", Methods(get=api(get_avatar), delete=api(cancel_avatar))),
    Route("/avatar/{job_id}/cancel", api(cancel_avatar), methods=["POST"]),
    Route("/account", api(get_account), methods=["GET"]),
    Route("/catalog", api(get_catalog), methods=["GET"]),
    Route("/estimate", api(estimate), methods=["POST"]),
]
