"""GraphQL subscriptions over WebSocket (graphql-transport-ws) on /graphql, served by Ariadne.

The API key comes in `connection_init`'s payload (`{"Authorization": "Bearer KEY"}`,
`{"X-API-Key": "KEY"}` or `{"headers": {...}}`), in the upgrade request's headers, or as
`?apiKey=KEY`, since browsers cannot set WebSocket headers. A bad key closes the socket with
4403, as the protocol says. Each `subscribe` then goes through the same admission step as an
HTTP request: it is counted, and refused with the error it would get over HTTP.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from ariadne.asgi import GraphQL
from ariadne.asgi.handlers import GraphQLTransportWSHandler
from graphql import GraphQLError, GraphQLSchema
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette.websockets import WebSocket

from ..core.accounts import api_key
from ..core.errors import ApiError
from ..core.runtime import Runtime
from .endpoint import Context, format_error


def _key(websocket: WebSocket, payload: Any) -> str | None:
    found: dict[str, str] = {k.lower(): v for k, v in websocket.headers.items()}
    if "apiKey" in websocket.query_params:
        found["x-api-key"] = websocket.query_params["apiKey"]
    if isinstance(payload, dict):
        nested = payload.get("headers")
        for source in (nested if isinstance(nested, dict) else {}, payload):
            for name, value in source.items():
                if isinstance(value, str):
                    found[name.lower().replace("apikey", "x-api-key")] = value
    return api_key(found)


class TransportWSHandler(GraphQLTransportWSHandler):
    def __init__(self, runtime: Runtime) -> None:
        super().__init__()
        self.runtime = runtime

    async def handle_websocket_connection_init_message(
        self, websocket: WebSocket, message: Any, client_context: Any
    ) -> None:
        if client_context.connection_init_received:
            await websocket.close(code=4429, reason="Too many initialisation requests")
            return
        client_context.connection_init_received = True
        key = _key(websocket, message.get("payload"))
        try:
            self.runtime.emulator.accounts.authenticate(key)
        except ApiError as error:
            await websocket.close(code=4403, reason=error.message[:120])
            return
        websocket.scope.setdefault("state", {})["api_key"] = key
        await websocket.send_json({"type": "connection_ack"})
        client_context.connection_acknowledged = True

    async def handle_websocket_subscribe(
        self, websocket: WebSocket, data: Any, operation_id: str, client_context: Any
    ) -> None:
        if client_context.connection_acknowledged:
            state = websocket.scope["state"]
            try:
                state["caller"] = self.runtime.emulator.admit(state["api_key"])
            except ApiError as error:
                await websocket.send_json({"type": "error", "id": operation_id, "payload": [error.to_dict()]})
                return
        await super().handle_websocket_subscribe(websocket, data, operation_id, client_context)


class _ExpectedErrors(logging.Filter):
    """A NOT_FOUND or BAD_USER_INPUT in a subscription is an answer to the client, not a server fault."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        return not isinstance(getattr(error, "original_error", error), ApiError)


logger = logging.getLogger("mockserver.graphql.ws")
logger.addFilter(_ExpectedErrors())


def _is_protocol_message(message: Message) -> bool:
    text = message.get("text")
    if text is None:
        text = (message.get("bytes") or b"").decode("utf-8", "replace")
    try:
        data = json.loads(text)
    except ValueError:
        return False
    return isinstance(data, dict) and isinstance(data.get("type"), str)


class RejectInvalidMessages:
    """A frame that is not a JSON object with a `type` closes the socket with 4400, as the
    protocol says, instead of failing inside Ariadne's message loop."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def checked() -> Message:
            message = await receive()
            if message["type"] == "websocket.receive" and not _is_protocol_message(message):
                await send({"type": "websocket.close", "code": 4400, "reason": "Invalid message received"})
                return {"type": "websocket.disconnect", "code": 4400}
            return message

        await self.app(scope, checked, send)


def websocket_app(runtime: Runtime, schema: GraphQLSchema) -> ASGIApp:
    def context(websocket: WebSocket, data: Any) -> Context:
        return Context(runtime.emulator, websocket.scope["state"]["caller"], websocket)

    def error_formatter(error: GraphQLError, debug: bool = False) -> dict[str, Any]:
        return format_error(error, debug)[1]

    return RejectInvalidMessages(
        GraphQL(
            schema,
            context_value=context,
            websocket_handler=TransportWSHandler(runtime),
            error_formatter=error_formatter,
            logger=logger,
        )
    )
