"""GraphQL over HTTP's media types: a client that prefers `application/graphql-response+json`
(Apollo Client 4 and urql list it first) gets every answer in it, errors included, so that it
reads a 402 or a 429 as a GraphQL error with its `extensions` rather than a transport failure.
Every other client gets the document's `application/json`, with the same bodies and statuses."""

from __future__ import annotations

from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..core.errors import ApiError

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"


def prefers_graphql_response(accept: str | None) -> bool:
    """The highest q wins; between equals, the one listed first (RFC 9110's tie is the client's order)."""
    if not accept:
        return False
    best: tuple[float, int, str] | None = None
    for position, item in enumerate(accept.split(",")):
        media, *params = (part.strip() for part in item.split(";"))
        if media.lower() not in (GRAPHQL_RESPONSE, JSON, "application/*", "*/*"):
            continue
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        candidate = (q, -position, media.lower())
        if q > 0 and (best is None or candidate[:2] > best[:2]):
            best = candidate
    return best is not None and best[2] == GRAPHQL_RESPONSE


class GraphQLMediaType:
    """Route middleware of `/graphql`: the answer's Content-Type as the client asked for it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not prefers_graphql_response(Headers(scope=scope).get("accept")):
            await self.app(scope, receive, send)
            return

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if headers.get("content-type", "").startswith(JSON):
                    headers["content-type"] = GRAPHQL_RESPONSE
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except (ApiError, HTTPException) as exc:
            # Refused further in (no key, rate limited) and answered outside: in this type too.
            exc.headers = {**(exc.headers or {}), "Content-Type": GRAPHQL_RESPONSE}
            raise
