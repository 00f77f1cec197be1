"""ASGI middleware around the whole app: CORS for browsers, and the request journal."""

from __future__ import annotations

import functools
import time
from urllib.parse import urlsplit

from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..core.accounts import api_key
from ..core.errors import Forbidden
from ..core.journal import MAX_BODY, RawHeaders, Surface, content_type, is_textual
from ..core.runtime import Runtime
from ..settings import Settings
from .errors import error_response
from .hosts import HostNames, over_network
from .requests import first_headers

WANTED = frozenset({b"host", b"origin", b"x-api-key", b"authorization", b"referer"})
UNRECORDED = ("/_mock", "/healthz", "/readyz", "/static", "/favicon.ico")
# The mock's own pages, not API traffic: the demo page and the OpenAPI document (GraphiQL's page,
# answered at /graphql, says so itself: OWN_PAGE in its request's state).
OWN_PAGES = frozenset(("/", "/openapi.json"))
OWN_PAGE = "own_page"
# The paths of the pages that load media themselves (portraits, videos): the demo page, GraphiQL
# and the inspector. Media they load (Referer: one of them, on this host) is not API traffic either.
MEDIA_PAGES = frozenset(("/", "/graphql"))
INSPECTOR_PAGES = "/_mock/ui/"
# Set in a request's state by the front door: the journal entry it recorded (a replay reads it).
RECORDED = "recorded"
REPLAY_OF = "replay_of"
LOCALHOST_ORIGINS = r"https?://(localhost|127\.0\.0\.1|\[::1\])(:\d+)?"
EXPOSED_HEADERS = [
    "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "RateLimit", "RateLimit-Policy",
    "Retry-After", "Idempotent-Replayed", "Content-Range", "Accept-Ranges",
]


def surface_of(path: str) -> Surface:
    if path == "/graphql":
        return "graphql"
    if path == "/v1" or path.startswith("/v1/"):
        return "rest"
    if path.startswith(("/outputs/", "/avatars/")):
        return "media"
    return "other"


class FrontDoor:
    """The one middleware every request passes: it refuses a `Host` that is not a name of this
    server (DNS rebinding, see `hosts`), records requests to the API and media in the journal,
    says `Vary: Origin` on every answer, and hands requests that carry an Origin to the CORS
    middleware (scripts, curl and SDKs skip that work).

    `Vary: Origin` because an answer's CORS headers depend on the Origin: without it, a portrait or
    video that an `<img>` or `<video>` loaded (no Origin, so no CORS headers) would be served from
    the browser's cache to a later `fetch()` of the same URL, which then fails CORS.
    """

    def __init__(self, app: ASGIApp, runtime: Runtime) -> None:
        self.app = app
        self.runtime = runtime
        self.cors = cors_middleware(app, runtime.settings)
        self.hosts = HostNames(runtime.address.hosts, runtime.settings.allowed_hosts)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = first_headers(scope, WANTED)  # the first of each, as everything after reads them
        host = headers.get("host")
        if host is not None and over_network(scope.get("server")) and self.hosts.foreign(host):
            await _refuse_host(scope, receive, send, host)
            return
        if scope["type"] == "websocket":
            await self.app(scope, receive, send)
            return
        inner = self.cors if "origin" in headers else self.app
        path = scope["path"]
        if path.startswith(UNRECORDED) or path in OWN_PAGES or _loaded_by_own_page(path, headers):
            await inner(scope, receive, functools.partial(_vary_on_origin, send=send))
            return
        started = time.perf_counter()
        key = api_key(headers)
        at = self.runtime.observe.now(key)  # on the account's own clock, if it has one
        state = scope.setdefault("state", {})
        body = Capture()
        status = 500
        response_headers: RawHeaders = ()
        response_body = Capture()

        async def receiving() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                body.add(message.get("body", b""))
            return message

        async def sending(message: Message) -> None:
            nonlocal status, response_headers
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = response_headers = (*message.get("headers", ()), VARY_ORIGIN)
            elif message["type"] == "http.response.body":
                response_body.add(message.get("body", b""))
            await send(message)

        try:
            await inner(scope, receiving, sending)
        finally:
            if not state.get(OWN_PAGE):
                state[RECORDED] = self.runtime.observe.record(
                    at=at,
                    method=scope["method"],
                    path=scope["path"],
                    query=scope.get("query_string", b"").decode("latin-1"),
                    surface=surface_of(scope["path"]),
                    operation=state.get("graphql_operation"),
                    key=key,
                    status=status,
                    latency_ms=(time.perf_counter() - started) * 1000,
                    raw_body=body.kept(),
                    fault=state.get("fault"),
                    raw_headers=tuple(scope["headers"]),
                    raw_response_headers=response_headers,
                    raw_response_body=response_body.kept() if is_textual(content_type(response_headers)) else b"",
                    response_size=response_body.size,
                    body_size=body.size,
                    job_id=state.get("job_id"),
                    replay_of=state.get(REPLAY_OF),
                )


VARY_ORIGIN = (b"vary", b"Origin")


def _loaded_by_own_page(path: str, headers: dict[str, str]) -> bool:
    """A portrait or video that one of the mock's own pages (on this same host) loaded."""
    referer = headers.get("referer")
    if referer is None or not path.startswith(("/outputs/", "/avatars/")):
        return False
    parts = urlsplit(referer)
    page = parts.path or "/"
    return parts.netloc == headers.get("host") and (page in MEDIA_PAGES or page.startswith(INSPECTOR_PAGES))


class Capture:
    """The first MAX_BODY + 1 bytes of a body (one more than the journal keeps, so it can say the
    body was cut) and its whole size. Bodies mostly come in one chunk, kept without a copy."""

    __slots__ = ("chunks", "held", "size")

    def __init__(self) -> None:
        self.chunks: list[bytes] = []
        self.held = 0
        self.size = 0

    def add(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.held <= MAX_BODY and chunk:
            part = chunk[: MAX_BODY + 1 - self.held]
            self.chunks.append(part)
            self.held += len(part)

    def kept(self) -> bytes:
        return self.chunks[0] if len(self.chunks) == 1 else b"".join(self.chunks)


async def _refuse_host(scope: Scope, receive: Receive, send: Send, host: str) -> None:
    """A page that rebound its own name to this server's address (DNS rebinding) gets nothing."""
    error = Forbidden(f"Host {host[:200]!r} is not a name of this server: it answers to localhost, IP addresses, "
                      "its machine's name, --host, --public-url's host and 'mock'; to allow another name, "
                      "start it with --allow-host NAME")
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
