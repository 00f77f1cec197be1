"""`create_app(settings)`: one independent mock server as a Starlette app.

The app holds a `Runtime` (the emulator now serving) and nothing else: two apps in one process
share nothing. Routes are tried in order, the API surfaces first.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles

from ..core.errors import ApiError
from ..core.feed import Feed
from ..core.fixtures import Fixtures, load_fixtures
from ..core.runtime import Runtime
from ..settings import Settings
from ..store import open_store
from ..wire import events, views
from ..wire.openapi import WebhookTargets, openapi
from . import control, media, rest
from .errors import api_error, http_error, server_error
from .gate import Gate
from .graphql_media_type import GraphQLMediaType
from .graphql_side import GraphQLSide
from .middleware import FrontDoor
from .requests import base_url, control_of, here, runtime_of
from .responses import JSONResponse

STATIC = Path(__file__).with_name("static")


async def demo(request: Request) -> Response:
    return FileResponse(STATIC / "index.html", media_type="text/html")


async def favicon(request: Request) -> Response:
    """The pages' icon, at the path browsers ask for whatever the page says."""
    return FileResponse(STATIC / "favicon.ico", media_type="image/x-icon", headers={"Cache-Control": "max-age=86400"})


async def healthz(request: Request) -> Response:
    control = control_of(request)
    return JSONResponse({"status": "ok", "clock": views.clock_view(control.clock()), "generation": control.generation})


async def openapi_json(request: Request) -> Response:
    runtime = runtime_of(request)
    targets = WebhookTargets(here(request).address, runtime.settings.webhook_allow)
    return JSONResponse(openapi(runtime.fixtures, base_url(request), targets))


def create_app(settings: Settings | None = None, fixtures: Fixtures | None = None) -> Starlette:
    settings = settings or Settings()
    runtime = Runtime(settings, fixtures or load_fixtures(settings.fixtures), open_store(settings))
    graphql = GraphQLSide(runtime)
    feed = Feed(runtime.events, events.Encoder(runtime))

    def gates(surface: str, admit: bool = True, anonymous: bool = False) -> list[Middleware]:
        return [Middleware(Gate, runtime=runtime, surface=surface, admit=admit, anonymous=anonymous)]

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        runtime.start()
        graphql.start_building()
        yield
        feed.close()
        await runtime.close()

    app = Starlette(
        routes=[
            Mount("/v1", routes=rest.routes, middleware=gates("rest")),
            Route(
                "/graphql",
                graphql.handle,
                methods=["GET", "POST"],
                middleware=[Middleware(GraphQLMediaType), *gates("graphql", anonymous=True)],
            ),
            WebSocketRoute("/graphql", graphql.websocket),
            Route("/", demo, methods=["GET"]),
            Route("/favicon.ico", favicon, methods=["GET"]),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", healthz, methods=["GET"]),
            Route("/openapi.json", openapi_json, methods=["GET"]),
            *media.routes(gates("media", admit=False)),
            *control.routes(runtime),
            Mount("/static", StaticFiles(directory=STATIC), name="static"),
        ],
        middleware=[Middleware(FrontDoor, runtime=runtime)],
        exception_handlers={ApiError: api_error, HTTPException: http_error, Exception: server_error},
        lifespan=lifespan,
    )
    app.state.runtime = runtime
    app.state.base_urls = {}
    app.state.heres = {}
    app.state.feed = feed
    return app
