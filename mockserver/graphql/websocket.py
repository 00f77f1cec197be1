"""GraphQL subscriptions over WebSocket (graphql-transport-ws) on /graphql, served by Ariadne.

The API key comes in `connection_init`'s payload (`{"Authorization": "Bearer KEY"}`,
`{"X-API-Key": "KEY"}` or `{"headers": {...}}`), in the upgrade request's headers, or as
`?apiKey=KEY`, since browsers cannot set WebSocket headers. A bad key closes the socket with
4403, as the protocol says.
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

from ..errors import ApiError
from ..service import Service
from .endpoint import Context, format_error


def _credentials(websocket: WebSocket, payload: Any) -> dict[str, str]:
    found: dict[str, str] = {k.lower(): v for k, v in websocket.headers.items()}
    if "apiKey" in websocket.query_params:
        found["x-api-key"] = websocket.query_params["apiKey"]
    if isinstance(payload, dict):
        nested = payload.get("headers")
        for source in (nested if isinstance(nested, dict) else {}, payload):
            for name, value in source.items():
                if isinstance(value, str):
                    found[name.lower().replace("apikey", "x-api-key")] = value
    return found


class TransportWSHandler(GraphQLTransportWSHandler):
    def __init__(self, service: Service) -> None:
        super().__init__()
        self.service = service

    async def handle_websocket_connection_init_message(
        self, websocket: WebSocket, message: Any, client_context: Any
    ) -> None:
        if client_context.connection_init_received:
            await websocket.close(code=4429, reason="Too many initialisation requests")
            return
        client_context.connection_init_received = True
        try:
            account = self.service.authenticate(_credentials(websocket, message.get("payload")))
        except ApiError as error:
            await websocket.close(code=4403, reason=error.message[:120])
            return
        websocket.scope.setdefault("state", {})["account"] = account
        await websocket.send_json({"type": "connection_ack"})
        client_context.connection_acknowledged = True


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


def websocket_app(service: Service, schema: GraphQLSchema) -> ASGIApp:
    def context(websocket: WebSocket, data: Any) -> Context:
        base_url = f"{'https' if websocket.url.scheme == 'wss' else 'http'}://{websocket.url.netloc}"
        return Context(service, websocket.scope["state"]["account"], websocket, base_url)  # type: ignore[arg-type]

    def error_formatter(error: GraphQLError, debug: bool = False) -> dict:
        return format_error(error, debug)[1]

    return RejectInvalidMessages(
        GraphQL(
            schema,
            context_value=context,
            websocket_handler=TransportWSHandler(service),
            error_formatter=error_formatter,
            logger=logger,
        )
    )
