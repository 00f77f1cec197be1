"""Starlette's handlers write out the error envelope (`wire.envelope`): routes and the request
gates only raise an `ApiError`; Starlette's own 404s and 405s and any unexpected exception are
answered in the same format."""

from __future__ import annotations

import logging

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from ..core.errors import ApiError, InternalServerError, MethodNotAllowed, NotFound
from ..wire.envelope import JSON, SERVER_ERROR_MESSAGE, Envelope, envelope

logger = logging.getLogger("mockserver")


def written(answer: Envelope, media_type: str = JSON) -> Response:
    """An envelope as a Starlette response."""
    return Response(answer.encoded(), status_code=answer.status, headers=answer.headers, media_type=media_type)


def error_response(error: ApiError) -> Response:
    return written(envelope([error]))


async def api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(exc)


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    headers = dict(exc.headers or {})
    error: ApiError
    if exc.status_code == 404:
        error = NotFound(f"no route for {request.method} {request.url.path}", headers=headers)
    elif exc.status_code == 405:
        error = MethodNotAllowed(f"method {request.method} is not allowed on {request.url.path}", headers=headers)
    else:
        error = ApiError(str(exc.detail), status=exc.status_code, headers=headers)
    return error_response(error)


async def server_error(request: Request, exc: Exception) -> Response:
    logger.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(InternalServerError(SERVER_ERROR_MESSAGE))
