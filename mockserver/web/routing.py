"""Routes that own every method of their path, so a 405's Allow header names all of them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

Endpoint = Callable[[Request], Awaitable[Response]]


def route(path: str, middleware: Sequence[Middleware] | None = None, **handlers: Endpoint) -> Route:
    """One route for `path` with a handler per method (`get=..., post=...`; HEAD follows GET).

    Starlette answers any other method with a 405 naming them all; `web.errors` puts it into
    the document's error format.
    """
    by_method = {method.upper(): handler for method, handler in handlers.items()}
    if "GET" in by_method:
        by_method.setdefault("HEAD", by_method["GET"])

    async def endpoint(request: Request) -> Response:
        return await by_method[request.method](request)

    endpoint.__name__ = path
    return Route(path, endpoint, methods=sorted(by_method), middleware=middleware)
