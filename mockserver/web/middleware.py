"""ASGI middleware around the whole app: CORS for browsers, and the request journal."""

from __future__ import annotations

import functools
import time

from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..core.accounts import api_key
from ..core.journal import MAX_BODY, body_text, masked
from ..core.runtime import Runtime
from ..settings import Settings

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


class JournalMiddleware:
    """Records every request to the API and media: what the mock received and what it answered
    (headers with credentials masked, bodies up to MAX_BODY, a video's or image's size only)."""

    def __init__(self, app: ASGIApp, runtime: Runtime) -> None:
        self.app = app
        self.runtime = runtime

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(UNRECORDED):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        at = self.runtime.clock.now()
        state = scope.setdefault("state", {})
        body = bytearray()
        status = 500
        response_headers: list[tuple[bytes, bytes]] = []
        response_body = bytearray()
        response_size = 0
        textual = True

        async def receiving() -> Message:
            message = await receive()
            if message["type"] == "http.request" and len(body) <= MAX_BODY:
                body.extend(message.get("body", b"")[: MAX_BODY + 1 - len(body)])
            return message

        async def sending(message: Message) -> None:
            nonlocal status, response_headers, response_size, textual
            if message["type"] == "http.response.start":
                status = message["status"]
                response_headers = list(message.get("headers", ()))
                textual = _textual(response_headers)
            elif message["type"] == "http.response.body":
                chunk = message.get("body", b"")
                response_size += len(chunk)
                if textual and len(response_body) <= MAX_BODY:
                    response_body.extend(chunk[: MAX_BODY + 1 - len(response_body)])
            await send(message)

        try:
            await self.app(scope, receiving, sending)
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
                body=body_text(bytes(body)),
                fault=state.get("fault"),
                headers=masked(scope["headers"]),
                response_headers=masked(response_headers),
                response_body=(
                    body_text(bytes(response_body)) if textual
                    else f"[{response_size} bytes of {_content_type(response_headers)}]"
                ),
            )


TEXT_TYPES = ("text/", "application/json", "application/graphql-response+json", "application/problem+json",
              "application/javascript", "application/xml")


def _content_type(headers: list[tuple[bytes, bytes]]) -> str:
    for name, value in headers:
        if name.lower() == b"content-type":
            return value.decode("latin-1").split(";")[0].strip().lower()
    return ""


def _textual(headers: list[tuple[bytes, bytes]]) -> bool:
    """Bodies the journal keeps as text (up to MAX_BODY); others it only counts (videos, images)."""
    kind = _content_type(headers)
    return not kind or kind.startswith(TEXT_TYPES) or kind.endswith("+json")


class BrowserCORSMiddleware(CORSMiddleware):
    """CORS headers only for requests that carry an Origin (scripts, curl and SDKs skip the header
    work), and `Vary: Origin` on every answer, with an Origin or without.

    The headers of an answer depend on the Origin, so caches must key on it: without `Vary`, a
    portrait or video that an `<img>` or `<video>` loaded (no Origin, so no CORS headers) would be
    served from the browser's cache to a later `fetch()` of the same URL, which then fails CORS.
    Starlette's middleware adds `Vary: Origin` itself when the request has an Origin.
    """

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not any(name == b"origin" for name, _ in scope["headers"]):
            await self.app(scope, receive, functools.partial(vary_on_origin, send=send))
            return
        await super().__call__(scope, receive, send)


async def vary_on_origin(message: Message, send: Send) -> None:
    if message["type"] == "http.response.start":
        MutableHeaders(scope=message).add_vary_header("Origin")
    await send(message)


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
