"""GraphQL's HTTP endpoint and WebSocket app, built off the start-up path.

Importing graphql-core and Ariadne and building the schema take over 100 ms, most of a start-up:
the server listens first and builds them in a thread as it starts, and a GraphQL request that
arrives before they are ready waits for them (an app run in process, with no lifespan, builds
them on its first GraphQL request).
"""

from __future__ import annotations

import asyncio
import threading
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from ..core.runtime import Runtime

if TYPE_CHECKING:
    from .graphql_http import GraphQLEndpoint


class GraphQLSide:
    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime
        self._lock = threading.Lock()
        self._built: tuple[GraphQLEndpoint, ASGIApp] | None = None
        self.websocket: ASGIApp = _WebSocketApp(self)

    def build(self) -> tuple[GraphQLEndpoint, ASGIApp]:
        with self._lock:
            if self._built is None:
                from ..graphql.documents import Documents
                from ..graphql.schema import build_schema
                from .graphql_http import GraphQLEndpoint
                from .graphql_ws import websocket_app

                schema = build_schema()
                documents = Documents(schema)
                self._built = (GraphQLEndpoint(self._runtime, schema, documents),
                               websocket_app(self._runtime, schema, documents))
            return self._built

    def start_building(self) -> None:
        """At start-up: build in a thread while the server starts listening."""
        threading.Thread(target=self.build, name="graphql-build", daemon=True).start()

    async def ready(self) -> tuple[GraphQLEndpoint, ASGIApp]:
        built = self._built
        return built if built is not None else await asyncio.to_thread(self.build)

    async def handle(self, request: Request) -> Response:
        endpoint, _ = await self.ready()
        return await endpoint.handle(request)


class _WebSocketApp:
    """An ASGI app (a plain method would be taken by Starlette for a `WebSocket` session function)."""

    def __init__(self, side: GraphQLSide) -> None:
        self._side = side

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        _, app = await self._side.ready()
        await app(scope, receive, send)
