"""The inspector: a page at /_mock/ui/ that shows what clients did to the mock and steers it, and
the server-sent event stream at /_mock/events that keeps it (and any script) up to date.

The page is static files from `inspector_page/` (plain JavaScript modules and CSS, nothing
loaded from elsewhere), served only here, always with its Content-Security-Policy (never through
the /static mount, where it would have none). It holds no data itself: everything it shows comes from the control API
and the event stream, which the admin token guards like the rest of /_mock.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from .. import __version__
from ..core.errors import BadUserInput, NotFound
from ..core.feed import Feed, Follower, Message
from ..core.runtime import Runtime
from ..wire import views
from .requests import ENDLESS_STREAM
from .routing import route

UI_DIR = Path(__file__).with_name("inspector_page")
UI_PREFIX = "/_mock/ui"
HEARTBEAT = 15.0  # seconds between comments on an idle stream, so dead connections show
RETRY_MS = 1000  # how soon an EventSource reconnects
KINDS = ("request", "journal", "job", "delivery", "ledger", "account", "clock", "fault", "reset")
MEDIA_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".txt": "text/plain; charset=utf-8",
}
# The page renders what clients sent (bodies, headers, paths): no script but its own files may run,
# and nothing may load from elsewhere. Videos may come from --public-url, which can be another host.
# Browser tests that poll with string expressions (Playwright's wait_for_function) run the page in
# a context that bypasses the policy (`bypass_csp=True`), as Playwright documents.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "media-src 'self' http: https:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)


# The event stream


def event_encoder(runtime: Runtime) -> Callable[[str, Any], dict[str, Any] | None]:
    """What each kind of event carries on the stream, as the control API shows the same things."""

    def account(subject: Any) -> dict[str, Any] | None:
        if isinstance(subject, str):
            return {"account": {"key": subject, "deleted": True}}
        try:
            return {"account": views.control_account_view(runtime.control.account(subject.key, entries=0))}
        except NotFound:
            return None  # gone since (a reset in between): the stream's `reset` says so

    def fault(subject: Any) -> dict[str, Any]:
        return {
            "fault": views.fault_view(subject) if subject is not None else None,
            "faults": [views.fault_view(f) for f in runtime.control.faults()],
        }

    def ledger(subject: Any) -> dict[str, Any]:
        key, entry = subject
        return {"account": key, "entry": views.ledger_entry_view(entry)}

    kinds: dict[str, Callable[[Any], dict[str, Any] | None]] = {
        "request": lambda subject: {"request": views.request_brief_view(subject)},
        "job": lambda subject: {"job": views.control_job_view(subject, runtime.control.now(subject))},
        "delivery": lambda subject: {"delivery": views.delivery_view(subject)},
        "ledger": ledger,
        "account": account,
        "clock": lambda _: {"clock": views.control_clock_view(runtime.control.clock())},
        "fault": fault,
        "journal": lambda subject: {"removed": subject},
        "reset": lambda subject: {"reason": subject},
    }

    def encode(kind: str, subject: Any) -> dict[str, Any] | None:
        encoder = kinds.get(kind)
        return encoder(subject) if encoder is not None else None

    return encode


def frame(seq: int, kind: str, data: str) -> bytes:
    """One server-sent event (the data is one line of JSON)."""
    return f"id: {seq}\nevent: {kind}\ndata: {data}\n\n".encode()


class EventStream(Response):
    """`text/event-stream` of the feed for one follower, until the client goes away or the
    server shuts down. Never buffered: each event is sent as it comes."""

    media_type = "text/event-stream"

    def __init__(self, feed: Feed, kinds: frozenset[str] | None, hello: dict[str, Any]) -> None:
        self.feed = feed
        self.kinds = kinds
        self.hello = hello
        self.status_code = 200
        self.background = None
        self.init_headers({"Cache-Control": "no-cache, no-store", "X-Accel-Buffering": "no"})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        follower = self.feed.follow(self.kinds)
        # The server's protocol ends the stream when it shuts down, instead of waiting for it.
        scope.setdefault("state", {})[ENDLESS_STREAM] = follower.close
        watcher = asyncio.create_task(_close_on_disconnect(receive, follower))
        try:
            await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
            hello = Message(self.feed.seq, "hello", _json(self.hello))
            await _body(send, f"retry: {RETRY_MS}\n".encode() + frame(hello.seq, hello.kind, hello.data))
            while True:
                message = await follower.get(HEARTBEAT)
                if follower.closed:
                    break
                chunk = b": keep-alive\n\n" if message is None else frame(message.seq, message.kind, message.data)
                await _body(send, chunk)
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        except OSError:
            pass  # the client went away while we wrote
        finally:
            watcher.cancel()
            follower.close()


async def _close_on_disconnect(receive: Receive, follower: Follower) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass
    follower.close()


async def _body(send: Send, chunk: bytes) -> None:
    await send({"type": "http.response.body", "body": chunk, "more_body": True})


def _json(data: dict[str, Any]) -> str:
    return json.dumps(data, separators=(",", ":"))


async def event_stream(request: Request) -> Response:
    """GET /_mock/events[?kinds=job,delivery]: what changes, as server-sent events."""
    raw = request.query_params.get("kinds")
    kinds: frozenset[str] | None = None
    if raw:
        kinds = frozenset(k.strip() for k in raw.split(",") if k.strip())
        unknown = kinds - set(KINDS)
        if unknown:
            raise BadUserInput(
                f"unknown event kinds {', '.join(sorted(unknown))} (known: {', '.join(KINDS)})", field="kinds"
            )
    runtime: Runtime = request.app.state.runtime
    feed: Feed = request.app.state.feed
    hello = {
        "version": __version__,
        "clock": views.control_clock_view(runtime.control.clock()),
        "kinds": sorted(kinds) if kinds is not None else list(KINDS),
        "adminToken": runtime.settings.admin_token is not None,
    }
    return EventStream(feed, kinds, hello)


# The page


def _ui_files() -> dict[str, Path]:
    """Every file the page is made of, by its path under /_mock/ui/ (nothing else is served)."""
    return {
        p.relative_to(UI_DIR).as_posix(): p for p in sorted(UI_DIR.rglob("*")) if p.is_file()
    }


def ui_routes() -> list[Route]:
    files = _ui_files()

    async def redirect(request: Request) -> Response:
        return RedirectResponse(UI_PREFIX + "/", status_code=307)

    async def page_file(request: Request) -> Response:
        name = request.path_params["path"] or "index.html"
        path = files.get(name)
        if path is None:
            raise NotFound(f"no file {name!r} in the inspector")
        headers = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}
        if path.suffix == ".html":
            headers["Content-Security-Policy"] = CSP
            # Its own origin only: the journal leaves out the videos the page itself plays.
            headers["Referrer-Policy"] = "same-origin"
        return FileResponse(path, media_type=MEDIA_TYPES.get(path.suffix), headers=headers)

    return [
        route(UI_PREFIX, get=redirect),
        route(UI_PREFIX + "/{path:path}", get=page_file),
    ]

