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
from collections.abc import Mapping
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.types import Receive, Scope, Send

from .. import __version__
from ..core.errors import NotFound
from ..core.feed import Feed, Follower, Message
from ..core.runtime import Runtime
from ..wire import events
from ..wire.control_openapi import EVENT_STREAM, Raw
from ..wire.control_requests import EventsQuery
from .operations import Op
from .requests import ENDLESS_STREAM

UI_DIR = Path(__file__).with_name("inspector_page")
UI_PREFIX = "/_mock/ui"
HEARTBEAT = 15.0  # seconds between comments on an idle stream, so dead connections show
RETRY_MS = 1000  # how soon an EventSource reconnects
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


def frame(seq: int, kind: str, data: str) -> bytes:
    """One server-sent event (the data is one line of JSON)."""
    return f"id: {seq}\nevent: {kind}\ndata: {data}\n\n".encode()


class EventStream(Response):
    """`text/event-stream` of the feed for one follower, until the client goes away or the
    server shuts down. Never buffered: each event is sent as it comes."""

    media_type = "text/event-stream"

    def __init__(self, feed: Feed, kinds: frozenset[str] | None, hello: Mapping[str, object]) -> None:
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


def _json(data: Mapping[str, object]) -> str:
    return json.dumps(data, separators=(",", ":"))


async def event_stream(request: Request, query: EventsQuery) -> Response:
    """What changes in the mock, as server-sent events (each `data` one line of JSON)

    `hello` comes first on every connection, `lagged` when this client fell behind; `kinds`
    narrows the rest.
    """
    kinds = frozenset(query.kinds) if query.kinds else None
    runtime: Runtime = request.app.state.runtime
    feed: Feed = request.app.state.feed
    return EventStream(feed, kinds, events.hello(runtime, __version__, kinds))


# The page


def _ui_files() -> dict[str, Path]:
    """Every file the page is made of, by its path under /_mock/ui/ (nothing else is served)."""
    return {
        p.relative_to(UI_DIR).as_posix(): p for p in sorted(UI_DIR.rglob("*")) if p.is_file()
    }


def table() -> list[tuple[str, bool, dict[str, Op]]]:
    """The event stream, which needs the admin token like all of /_mock, and the page's files,
    which do not (everything the page reads does)."""
    files = _ui_files()

    async def inspector_page(request: Request) -> Response:
        """The inspector page (at /_mock/ui/)"""
        return RedirectResponse(UI_PREFIX + "/", status_code=307)

    async def inspector_file(request: Request, path: str) -> Response:
        """A file of the inspector page (its files need no token; everything it reads does)"""
        found = files.get(path or "index.html")
        if found is None:
            raise NotFound(f"no file {path!r} in the inspector")
        headers = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}
        if found.suffix == ".html":
            headers["Content-Security-Policy"] = CSP
            # Its own origin only: the journal leaves out the videos the page itself plays.
            headers["Referrer-Policy"] = "same-origin"
        return FileResponse(found, media_type=MEDIA_TYPES.get(found.suffix), headers=headers)

    media = tuple(sorted({m.split(";")[0] for m in MEDIA_TYPES.values()}))
    return [
        ("/events", True, {"get": Op(event_stream, raw=Raw(200, (EVENT_STREAM,), "Events until the client leaves"))}),
        ("/ui", False, {"get": Op(inspector_page, raw=Raw(307, (), "To /_mock/ui/"))}),
        ("/ui/{path:path}", False, {"get": Op(inspector_file, errors=(NotFound,), raw=Raw(200, media, "The file"))}),
    ]
