"""ASGI middleware around the whole app: CORS for browsers, and the request journal."""

from __future__ import annotations

import functools
import time
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..core.accounts import api_key
from ..core.errors import Forbidden
from ..core.journal import MAX_BODY, RawHeaders, content_type, is_textual
from ..core.runtime import Runtime
from ..core.targets import is_local_host, is_loopback_ip
from ..settings import Settings
from .errors import error_response

UNRECORDED = ("/_mock", "/healthz", "/readyz", "/static", "/favicon.ico")
LOCALHOST_ORIGINS = r"https?://(localhost|127\.0\.0\.1|\[::1\])(:\d+)?"
EXPOSED_HEADERS = [
    "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "RateLimit", "RateLimit-Policy",
    "Retry-After", "Idempotent-Replayed", "Content-Range", "Accept-Ranges",
]


def surface_of(path: str) -> str:
    if path == "/graphql":
        return "graphql"
    if path == "/v1" or path.startswith("/v1/"):
        return "rest"
    if path.startswith(("/outputs/", "/avatars/")):
        return "media"
    return "other"


class FrontDoor:
    """The one middleware every request passes: it records requests to the API and media in the
    journal, says `Vary: Origin` on every answer, and hands requests that carry an Origin to the
    CORS middleware (scripts, curl and SDKs skip that work).

    `Vary: Origin` because an answer's CORS headers depend on the Origin: without it, a portrait or
    video that an `<img>` or `<video>` loaded (no Origin, so no CORS headers) would be served from
    the browser's cache to a later `fetch()` of the same URL, which then fails CORS.
    """

    def __init__(self, app: ASGIApp, runtime: Runtime) -> None:
        self.app = app
        self.runtime = runtime
        self.cors = cors_middleware(app, runtime.settings)
        self.names = runtime.address.hosts

    def _foreign_host(self, scope: Scope) -> str | None:
        """On a loopback socket, a Host that is not a name of this server: a page that rebound its
        own domain to 127.0.0.1 (DNS rebinding) reading the control API as same-origin."""
        server = scope.get("server")
        if not server or not is_loopback_ip(str(server[0])):
            return None
        host = Headers(scope=scope).get("host")
        if host is None:
            return None
        name = urlsplit(f"//{host}").hostname or ""
        if is_local_host(name, self.names):
            return None
        return host

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        host = self._foreign_host(scope)
        if host is not None:
            await _refuse_host(scope, receive, send, host)
            return
        if scope["type"] == "websocket":
            await self.app(scope, receive, send)
            return
        inner = self.cors if any(name == b"origin" for name, _ in scope["headers"]) else self.app
        if scope["path"].startswith(UNRECORDED):
            await inner(scope, receive, functools.partial(_vary_on_origin, send=send))
            return
        started = time.perf_counter()
        at = self.runtime.clock.now()
        state = scope.setdefault("state", {})
        body = bytearray()
        status = 500
        response_headers: RawHeaders = ()
        response_body = bytearray()
        response_size = 0

        async def receiving() -> Message:
            message = await receive()
            if message["type"] == "http.request" and len(body) <= MAX_BODY:
                body.extend(message.get("body", b"")[: MAX_BODY + 1 - len(body)])
            return message

        async def sending(message: Message) -> None:
            nonlocal status, response_headers, response_size
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = response_headers = (*message.get("headers", ()), VARY_ORIGIN)
            elif message["type"] == "http.response.body":
                chunk = message.get("body", b"")
                response_size += len(chunk)
                if len(response_body) <= MAX_BODY:
                    response_body.extend(chunk[: MAX_BODY + 1 - len(response_body)])
            await send(message)

        try:
            await inner(scope, receiving, sending)
        finally:
            self.runtime.emulator.journal.record(
                at=at,
                method=scope["method"],
                path=scope["path"],
                query=scope.get("query_string", b"").decode("latin-1"),
                surface=surface_of(scope["path"]),
                operation=state.get("graphql_operation"),
                key=api_key(Headers(scope=scope)),
                status=status,
                latency_ms=(time.perf_counter() - started) * 1000,
                raw_body=bytes(body),
                fault=state.get("fault"),
                raw_headers=tuple(scope["headers"]),
                raw_response_headers=response_headers,
                raw_response_body=bytes(response_body) if is_textual(content_type(response_headers)) else b"",
                response_size=response_size,
            )


VARY_ORIGIN = (b"vary", b"Origin")


async def _refuse_host(scope: Scope, receive: Receive, send: Send, host: str) -> None:
    error = Forbidden(f"Host {host!r} is not a name of this server: it only answers to the names it listens on "
                      "(localhost, 127.0.0.1, --host, --public-url's host)")
    if scope["type"] == "websocket":
        await send({"type": "websocket.close", "code": 1008, "reason": error.message[:120]})
        return
    await error_response(error)(scope, receive, send)


async def _vary_on_origin(message: Message, send: Send) -> None:
    if message["type"] == "http.response.start":
        message["headers"] = (*message.get("headers", ()), VARY_ORIGIN)
    await send(message)


def cors_middleware(app: ASGIApp, settings: Settings) -> CORSMiddleware:
    """Browsers on localhost may call the mock by default; --cors-origin names others ('*': any)."""
    origins = list(settings.cors_origins)
    return CORSMiddleware(
        app,
        allow_origins=origins,
        allow_origin_regex=None if origins else LOCALHOST_ORIGINS,
        allow_methods=["GET", "POST", "PATCH", "DELETE", "OPTIONS", "HEAD"],
        allow_headers=["*"],
        expose_headers=EXPOSED_HEADERS,
        max_age=600,
    )
