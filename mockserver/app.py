"""`create_app(settings)`: wires one independent mock server into a Starlette app."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.staticfiles import StaticFiles
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.types import Receive, Scope, Send

from . import control, media, rest
from .errors import ApiError, InternalServerError, MethodNotAllowed, NotFound, error_response
from .fixtures import Fixtures, load_fixtures
from .graphql import GraphQLEndpoint, build_schema
from .graphql.websocket import websocket_app
from .middleware import JournalMiddleware
from .openapi import openapi
from .service import Service
from .settings import Settings

logger = logging.getLogger("mockserver")

STATIC = Path(__file__).with_name("static")
LOCALHOST_ORIGINS = r"https?://(localhost|127\.0\.0\.1|\[::1\])(:\d+)?"
EXPOSED_HEADERS = [
    "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "RateLimit", "RateLimit-Policy",
    "Retry-After", "Idempotent-Replayed", "Content-Range", "Accept-Ranges",
]


class BrowserCORSMiddleware(CORSMiddleware):
    """CORS only for requests that carry an Origin: scripts, curl and SDKs skip the header work."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not any(name == b"origin" for name, _ in scope["headers"]):
            await self.app(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


def cors(settings: Settings) -> Middleware:
    """Browsers on localhost may call the mock by default; --cors-origin names others ('*': any)."""
    origins = list(settings.cors_origins)
    return Middleware(
        BrowserCORSMiddleware,
        allow_origins=origins,
        allow_origin_regex=None if origins else LOCALHOST_ORIGINS,
        allow_methods=["GET", "POST", "PATCH", "DELETE", "OPTIONS", "HEAD"],
        allow_headers=["*"],
        expose_headers=EXPOSED_HEADERS,
        max_age=600,
    )


async def demo(request: Request) -> Response:
    return FileResponse(STATIC / "index.html", media_type="text/html")


async def healthz(request: Request) -> Response:
    service: Service = request.app.state.service
    return JSONResponse({"status": "ok", "clock": service.clock.describe()})


async def openapi_json(request: Request) -> Response:
    return JSONResponse(openapi())


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    error: ApiError
    if exc.status_code == 404:
        error = NotFound(f"no route for {request.method} {request.url.path}")
    elif exc.status_code == 405:
        error = MethodNotAllowed(f"method {request.method} is not allowed on {request.url.path}")
    else:
        error = ApiError(str(exc.detail))
        error.status = exc.status_code
    return error_response(error, headers=dict(exc.headers or {}))


async def server_error(request: Request, exc: Exception) -> Response:
    logger.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(InternalServerError("Internal server error, please retry"))


def create_app(settings: Settings | None = None, fixtures: Fixtures | None = None) -> Starlette:
    settings = settings or Settings()
    fixtures = fixtures or load_fixtures(settings.fixtures)
    service = Service(settings, fixtures)
    schema = build_schema()
    graphql = GraphQLEndpoint(service, schema)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        service.scheduler.wake()
        yield
        await service.close()

    app = Starlette(
        routes=[  # the API surfaces first: routes are tried in order on every request
            Mount("/v1", routes=rest.routes),
            Route("/graphql", graphql.handle, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", websocket_app(service, schema)),
            Route("/", demo, methods=["GET"]),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", healthz, methods=["GET"]),
            Route("/openapi.json", openapi_json, methods=["GET"]),
            *media.routes,
            *control.routes,
            Mount("/static", StaticFiles(directory=STATIC), name="static"),
        ],
        middleware=[cors(settings), Middleware(JournalMiddleware, service=service)],
        exception_handlers={HTTPException: http_error, Exception: server_error},
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.service = service
    return app
