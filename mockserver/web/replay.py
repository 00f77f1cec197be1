"""POST /_mock/requests/{id}/replay: a request of the journal sent to the mock once more, exactly
as it came (method, path, query, headers with their real credentials, body), through the whole
app, so it is answered and journaled like any other request (its entry says `replayOf`).

The journal keeps the raw headers, so a replay needs nothing from the client; a body the journal
cut (over 16 KiB) or a WebSocket operation cannot be sent again as it was, and is refused.
"""

from __future__ import annotations

import asyncio
import logging

from starlette.requests import Request
from starlette.types import Message

from ..core.errors import Conflict, ServiceUnavailable
from ..core.journal import MAX_BODY, RecordedRequest
from .middleware import RECORDED, REPLAY_OF

logger = logging.getLogger("mockserver.replay")
# Headers that belong to the connection the request came on, not to the request.
CONNECTION_HEADERS = frozenset((b"content-length", b"transfer-encoding", b"connection", b"keep-alive", b"expect",
                                b"upgrade", b"te"))


async def replay(request: Request, entry: RecordedRequest) -> RecordedRequest:
    """Send `entry` again; returns the journal entry of the replay."""
    if entry.surface == "websocket":
        raise Conflict("a GraphQL operation over WebSocket cannot be replayed: open a subscription again")
    if entry.body_truncated:
        raise Conflict(
            f"the journal kept only the first {MAX_BODY} bytes of this request's {entry.body_size}-byte body: "
            "it cannot be sent again as it was"
        )
    body = entry.raw_body
    headers = [(name, value) for name, value in entry.raw_headers if name.lower() not in CONNECTION_HEADERS]
    if body or entry.method not in ("GET", "HEAD"):
        headers.append((b"content-length", str(len(body)).encode()))
    state: dict[str, object] = {REPLAY_OF: entry.id}
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": request.scope.get("http_version", "1.1"),
        "method": entry.method,
        "scheme": request.scope.get("scheme", "http"),
        "path": entry.path,
        "raw_path": entry.path.encode(),
        "query_string": entry.query.encode("latin-1"),
        "root_path": "",
        "headers": headers,
        "client": request.scope.get("client"),
        "server": request.scope.get("server"),
        "state": state,
        "extensions": {},
    }
    answered = asyncio.Event()
    read = False

    async def receive() -> Message:
        nonlocal read
        if not read:
            read = True
            return {"type": "http.request", "body": body, "more_body": False}
        await answered.wait()
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.body" and not message.get("more_body", False):
            answered.set()

    try:
        await request.app(scope, receive, send)
    except Exception:  # the app answered 500 (its journal entry shows it) and passed the error on
        logger.exception("replaying request %s failed", entry.id)
    finally:
        answered.set()
    replayed = state.get(RECORDED)
    if not isinstance(replayed, RecordedRequest):
        raise ServiceUnavailable("the replay was answered but not journaled (is --journal-size 0?)")
    return replayed
