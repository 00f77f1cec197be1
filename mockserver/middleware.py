"""ASGI middleware in front of the API surfaces: injects faults and writes the request journal."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from graphql import GraphQLError, OperationDefinitionNode, parse
from graphql.language import FieldNode
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .accounts import extract_key
from .errors import error_response
from .faults import RequestInfo
from .journal import MAX_BODY, body_text
from .service import Service

UNRECORDED = ("/_mock", "/healthz", "/readyz")


def surface_of(path: str) -> str:
    if path == "/graphql":
        return "graphql"
    if path == "/v1" or path.startswith("/v1/"):
        return "rest"
    if path.startswith(("/outputs/", "/avatars/")):
        return "media"
    return "other"


def graphql_operations(body: bytes) -> frozenset[str]:
    """The operation name and root field names of a GraphQL request body, best effort."""
    try:
        data = json.loads(body)
        names = {data["operationName"]} if isinstance(data.get("operationName"), str) else set()
        document = parse(data["query"])
    except (ValueError, TypeError, KeyError, AttributeError, GraphQLError, RecursionError):
        return frozenset()
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            if definition.name is not None:
                names.add(definition.name.value)
            names.update(
                s.name.value for s in definition.selection_set.selections if isinstance(s, FieldNode)
            )
    return frozenset(names)


class JournalMiddleware:
    def __init__(self, app: ASGIApp, service: Service) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(UNRECORDED):
            await self.app(scope, receive, send)
            return
        service = self.service
        started = time.perf_counter()
        at = service.clock.now()
        state: dict[str, Any] = scope.setdefault("state", {})
        path = scope["path"]
        surface = surface_of(path)
        key = extract_key(Headers(scope=scope))
        body = bytearray()
        status = 500
        fault = None
        operations: frozenset[str] = frozenset()

        if service.faults:
            receive = await self._buffer(receive, body)
            if surface == "graphql" and service.faults.needs_operation:
                operations = graphql_operations(bytes(body))
            fault = service.faults.take(RequestInfo(scope["method"], path, surface, key, operations))
        else:
            inner = receive

            async def receive() -> Message:
                message = await inner()
                if message["type"] == "http.request" and len(body) <= MAX_BODY:
                    body.extend(message.get("body", b"")[: MAX_BODY + 1 - len(body)])
                return message

        async def send_recording(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            if fault is not None and fault.latency:
                await asyncio.sleep(fault.latency)
            error = fault.error() if fault is not None else None
            if error is not None:
                await error_response(error)(scope, receive, send_recording)
            else:
                await self.app(scope, receive, send_recording)
        finally:
            operation = state.get("graphql_operation") or (",".join(sorted(operations)) or None)
            service.journal.record(
                at=at,
                method=scope["method"],
                path=path,
                query=scope.get("query_string", b"").decode("latin-1"),
                surface=surface,
                operation=operation,
                key=key,
                status=status,
                latency_ms=(time.perf_counter() - started) * 1000,
                body=body_text(bytes(body)),
                fault=fault.id if fault is not None else None,
            )

    @staticmethod
    async def _buffer(receive: Receive, body: bytearray) -> Receive:
        """Read the whole body now (faults may need it to match) and replay it to the app."""
        messages: list[Message] = []
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            if len(body) <= MAX_BODY * 64:
                body.extend(message.get("body", b""))
            if not message.get("more_body"):
                break

        async def replay() -> Message:
            if messages:
                return messages.pop(0)
            return await receive()

        return replay
