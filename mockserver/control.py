"""The control API under /_mock: what tests and frontend work use to steer and inspect the mock."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .errors import ApiError, error_response
from .service import Service

Handler = Callable[[Request, Service], Awaitable[Any]]

PREFIX = "/_mock"


def control(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        service: Service = request.app.state.service
        try:
            service.sync()
            return JSONResponse(await handler(request, service))
        except ApiError as error:
            return error_response(error)

    return endpoint


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
    Route(f"{PREFIX}/deliveries", control(list_deliveries), methods=["GET"]),
    Route(f"{PREFIX}/deliveries/{{delivery_id}}", control(get_delivery), methods=["GET"]),
    Route(f"{PREFIX}/deliveries/{{delivery_id}}/resend", control(resend_delivery), methods=["POST"]),
    Route(f"{PREFIX}/jobs/{{job_id}}/deliveries", control(job_deliveries), methods=["GET"]),
]
