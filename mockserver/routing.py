"""Routes that own every method of their path, so a 405's Allow header names all of them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from .errors import MethodNotAllowed, error_response


class Methods:
    """One route per path, so a 405 names every method the path has, not one route's."""

    def __init__(self, **handlers: Callable[[Request], Awaitable[Response]]) -> None:
        self.handlers = {method.upper(): handler for method, handler in handlers.items()}
        if "GET" in self.handlers:
            self.handlers.setdefault("HEAD", self.handlers["GET"])
        self.allow = ", ".join(sorted(self.handlers))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        handler = self.handlers.get(request.method)
        if handler is None:
            error = MethodNotAllowed(f"method {request.method} is not allowed on {request.url.path}")
            response = error_response(error, headers={"Allow": self.allow})
        else:
            response = await handler(request)
        await response(scope, receive, send)
