"""GraphQL subscriptions over WebSocket on /graphql, served by Ariadne in both protocols clients
speak: `graphql-transport-ws` (graphql-ws, Apollo Client 3.5+, urql) and the legacy `graphql-ws`
of subscriptions-transport-ws (older Apollo). The server answers with the protocol the client
offered; a client that offers neither is told so with close code 4406 and a reason (or, if it
offered other protocols, with a 400 before the upgrade).

The API key comes in `connection_init`'s payload (`{"Authorization": "Bearer KEY"}`,
`{"X-API-Key": "KEY"}` or `{"headers": {...}}`), in the upgrade request's headers, or as
`?apiKey=KEY`, since browsers cannot set WebSocket headers. A bad key closes the socket with
4403. Each operation then goes through the same admission step as an HTTP request (it is
counted, or refused with the error it would get over HTTP) and the same document preparation
(parse, limits, validation: GRAPHQL_PARSE_FAILED and GRAPHQL_VALIDATION_FAILED as over HTTP).
Every operation, its end and every refused connection go into the request journal
(`graphql_ws_log`).
"""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import timedelta
from typing import Any

from ariadne.asgi import GraphQL
from ariadne.asgi.handlers import GraphQLTransportWSHandler, GraphQLWSHandler
from graphql import GraphQLError, GraphQLSchema, OperationType, get_operation_ast
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from ..core.accounts import api_key
from ..core.errors import ApiError, BadUserInput, TooManySubscriptions
from ..core.faults import RequestInfo
from ..core.runtime import Runtime
from ..graphql.context import Context
from ..graphql.documents import Documents
from ..graphql.errors import format_error
from ..graphql.operations import joined, names_in, operation_names
from ..wire.envelope import JSON, envelope, item
from .graphql_ws_log import SOCKET_LOG, Journaled
from .middleware import VARY_ORIGIN
from .requests import here

TRANSPORT_WS = "graphql-transport-ws"
LEGACY_WS = "graphql-ws"
NOT_ACCEPTABLE = 4406
NOT_ACCEPTABLE_REASON = f"Subprotocol not acceptable: offer {TRANSPORT_WS} or {LEGACY_WS}"

logger = logging.getLogger("mockserver.graphql.ws")


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


# Operations one connection may run at once (each account may also hold at most
# core.updates.MAX_WATCHES_PER_ACCOUNT live subscriptions, over all its connections).
MAX_OPERATIONS_PER_SOCKET = 50


class Operations:
    """What both protocols do before Ariadne runs an operation: the one admission step every
    surface takes (`core.api.Api.admit`: an injected fault for the `graphql` surface, else the
    key the connection was opened with authenticated and counted), then the document prepared as
    HTTP prepares it. `connection_init` only authenticates: it is no operation, so it is neither
    counted nor met by a fault."""

    def __init__(self, runtime: Runtime, documents: Documents) -> None:
        self.runtime = runtime
        self.documents = documents

    def authenticate(self, websocket: WebSocket, payload: Any) -> None:
        key = _key(websocket, payload)
        api = self.runtime.api
        try:
            api.authenticate(key)
        except ApiError as error:
            websocket.scope["state"][SOCKET_LOG].refused_connection(key, error)
            raise
        websocket.scope.setdefault("state", {})["api_key"] = key

    async def admit(self, websocket: WebSocket, data: Any, operation_id: str, live: int) -> list[dict[str, Any]]:
        """Errors to answer the operation with, in the document's format; none to let it run.
        Either way the journal gets the operation. `live`: the socket's operations running now."""
        state = websocket.scope["state"]
        api = self.runtime.api
        key = state["api_key"]
        errors: list[ApiError] = []
        operation = None
        try:
            admitted = await api.admit(RequestInfo("WS", "/graphql", "graphql", key, names_in(data)))
            if admitted.refusal is not None:
                raise admitted.refusal
            state["caller"] = caller = admitted.caller
            if live >= MAX_OPERATIONS_PER_SOCKET:
                raise TooManySubscriptions(
                    f"This connection already runs {MAX_OPERATIONS_PER_SOCKET} operations: complete some, "
                    "or open another connection",
                    limit=MAX_OPERATIONS_PER_SOCKET,
                )
            query = data.get("query") if isinstance(data, dict) else None
            if not isinstance(query, str) or not query.strip():
                raise BadUserInput("'query' must be a non-empty string", field="query")
        except ApiError as error:
            errors.append(error)
        else:
            prepared = self.documents.prepare(query)
            errors.extend(prepared.errors)
            name = data.get("operationName")
            found = get_operation_ast(prepared.document, name if isinstance(name, str) else None) if (
                prepared.document is not None) else None
            operation = joined(operation_names(found)) if found is not None else None
            if found is not None and found.operation == OperationType.SUBSCRIPTION and not errors and caller:
                try:
                    api.check_watch_room(caller.account)
                except ApiError as error:
                    errors.append(error)
        state[SOCKET_LOG].subscribed(operation_id, data, key, operation, errors)
        return [item(error) for error in errors]


class _SocketGone(BaseException):
    """Raised out of an observer's send once its client has gone. Ariadne's observers catch
    `Exception` around their sends, log it at ERROR and send again; this passes through them."""


def _gone(websocket: WebSocket) -> bool:
    return WebSocketState.DISCONNECTED in (websocket.client_state, websocket.application_state)


class _ObservedSocket:
    """The WebSocket as a subscription's observer sees it: a send after the client went away
    (it closed, its connection dropped, or the server is shutting down) ends the observer."""

    def __init__(self, websocket: WebSocket) -> None:
        self._websocket = websocket

    def __getattr__(self, name: str) -> Any:
        return getattr(self._websocket, name)

    async def send_json(self, data: Any, mode: str = "text") -> None:
        if _gone(self._websocket):
            raise _SocketGone
        try:
            await self._websocket.send_json(data, mode)
        except (WebSocketDisconnect, OSError, RuntimeError) as exc:
            if isinstance(exc, RuntimeError) and not _gone(self._websocket):
                raise
            raise _SocketGone from exc


class QuietObservers:
    """What both protocols' handlers share: a subscription whose client has gone ends quietly,
    where Ariadne would log an ERROR with a traceback for each (hundreds when a socket with
    hundreds of subscriptions closes, or at shutdown)."""

    async def observe_async_results(self, websocket: WebSocket, *args: Any) -> None:
        try:
            await super().observe_async_results(_ObservedSocket(websocket), *args)  # type: ignore[misc]
        except _SocketGone:
            pass


class TransportWSHandler(QuietObservers, GraphQLTransportWSHandler):
    def __init__(self, operations: Operations, init_timeout: float) -> None:
        super().__init__(connection_init_wait_timeout=timedelta(seconds=init_timeout))
        self.operations = operations

    async def handle_websocket_connection_init_message(
        self, websocket: WebSocket, message: Any, client_context: Any
    ) -> None:
        if client_context.connection_init_received:
            await websocket.close(code=4429, reason="Too many initialisation requests")
            return
        client_context.connection_init_received = True
        try:
            self.operations.authenticate(websocket, message.get("payload"))
        except ApiError as error:
            await websocket.close(code=4403, reason=error.message[:120])
            return
        await websocket.send_json({"type": "connection_ack"})
        client_context.connection_acknowledged = True

    async def handle_websocket_subscribe(
        self, websocket: WebSocket, data: Any, operation_id: str, client_context: Any
    ) -> None:
        if client_context.connection_acknowledged:
            errors = await self.operations.admit(websocket, data, operation_id, len(client_context.operations))
            if errors:
                await websocket.send_json({"type": "error", "id": operation_id, "payload": errors})
                return
        await super().handle_websocket_subscribe(websocket, data, operation_id, client_context)


class LegacyWSHandler(QuietObservers, GraphQLWSHandler):
    """subscriptions-transport-ws: `connection_init`, then `start` / `data` / `complete`.

    Ariadne runs each operation's observer as a task of its own and, when the operation stops
    or the socket closes, closes the operation's generator while the observer is still inside
    it ("aclose(): asynchronous generator is already running", an ERROR per subscription at
    shutdown). Here each observer is known by its operation, and cancelled first."""

    def __init__(self, operations: Operations, init_timeout: float) -> None:
        super().__init__()
        self.operations = operations
        self.init_timeout = init_timeout

    async def handle_websocket(self, websocket: WebSocket) -> None:
        """As Ariadne's, but a socket that sends no `connection_init` in time is closed (4408),
        as the newer protocol's handler does, instead of being held open for ever."""
        unanswered = asyncio.create_task(self._close_uninitialised(websocket))
        websocket.scope.setdefault("state", {})["init_timer"] = unanswered
        try:
            await super().handle_websocket(websocket)
        finally:
            unanswered.cancel()

    async def _close_uninitialised(self, websocket: WebSocket) -> None:
        await asyncio.sleep(self.init_timeout)
        await websocket.close(code=4408, reason="Connection initialisation timeout")

    async def handle_websocket_connection_init_message(self, websocket: WebSocket, message: dict[str, Any]) -> None:
        websocket.scope["state"]["init_timer"].cancel()
        try:
            self.operations.authenticate(websocket, message.get("payload"))
        except ApiError as error:
            await websocket.send_json({"type": self.GQL_CONNECTION_ERROR, "payload": error.to_dict()})
            await websocket.close(code=4403, reason=error.message[:120])
            return
        await super().handle_websocket_connection_init_message(websocket, message)

    async def observe_async_results(self, websocket: WebSocket, *args: Any) -> None:
        observers = websocket.scope["state"].setdefault("observers", {})
        operation_id = args[1]
        observers[operation_id] = asyncio.current_task()
        try:
            await super().observe_async_results(websocket, *args)
        finally:
            if observers.get(operation_id) is asyncio.current_task():
                del observers[operation_id]

    async def stop_websocket_operation(self, websocket: WebSocket, operation: Any) -> None:
        observer = websocket.scope["state"].get("observers", {}).pop(operation.id, None)
        if observer is not None and observer is not asyncio.current_task():
            observer.cancel()
            await asyncio.wait([observer])  # (not `await observer`: that would take its CancelledError as ours)
        await super().stop_websocket_operation(websocket, operation)

    async def process_single_message(
        self, websocket: WebSocket, data: Any, operation_id: str, operations: dict[str, Any]
    ) -> None:
        errors = await self.operations.admit(websocket, data, operation_id, len(operations))
        if errors:
            await websocket.send_json({"type": self.GQL_ERROR, "id": operation_id, "payload": errors[0]})
            return
        await super().process_single_message(websocket, data, operation_id, operations)


class _ExpectedErrors(logging.Filter):
    """A client's mistake (a NOT_FOUND, a BAD_USER_INPUT, an unparsable document) is an answer to
    the client, not a fault of the mock: one INFO line instead of an ERROR with a traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        original = getattr(error, "original_error", error)
        if isinstance(error, GraphQLError) and (original is None or isinstance(original, ApiError)):
            record.levelno, record.levelname = logging.INFO, "INFO"
            record.msg, record.args, record.exc_info, record.exc_text = f"client error: {error.message}", (), None, None
        return True


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


class Subprotocols:
    """Hands the connection to the handler of the protocol the client offered first among ours."""

    def __init__(self, apps: dict[str, ASGIApp]) -> None:
        self.apps = apps

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        offered = list(scope.get("subprotocols") or [])
        chosen = next((self.apps[p] for p in offered if p in self.apps), None)
        if chosen is not None:
            await chosen(scope, receive, send)
            return
        await receive()  # websocket.connect
        refusal = BadUserInput(f"{NOT_ACCEPTABLE_REASON} (offered: {', '.join(offered) or 'none'})")
        scope["state"][SOCKET_LOG].refused_connection(None, refusal)
        if offered and "websocket.http.response" in scope.get("extensions", {}):
            # Accepting without a protocol would fail the handshake in browsers, which then say
            # nothing: a plain 400 before the upgrade says why.
            answer = envelope([refusal])
            headers = [(b"content-type", JSON.encode()), VARY_ORIGIN,
                       *((k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in answer.headers.items())]
            await send({"type": "websocket.http.response.start", "status": answer.status, "headers": headers})
            await send({"type": "websocket.http.response.body", "body": answer.encoded()})
            return
        await send({"type": "websocket.accept"})
        await send({"type": "websocket.close", "code": NOT_ACCEPTABLE, "reason": NOT_ACCEPTABLE_REASON})


def websocket_app(runtime: Runtime, schema: GraphQLSchema, documents: Documents) -> ASGIApp:
    def context(websocket: WebSocket, data: Any) -> Context:
        return Context(runtime.api, websocket.scope["state"]["caller"], here(websocket))

    def error_formatter(error: GraphQLError, debug: bool = False) -> dict[str, Any]:
        return format_error(error, debug)[1]

    operations = Operations(runtime, documents)
    timeout = runtime.settings.client_timeout
    handlers = {TRANSPORT_WS: TransportWSHandler(operations, timeout), LEGACY_WS: LegacyWSHandler(operations, timeout)}
    return Journaled(Subprotocols({
        name: RejectInvalidMessages(
            GraphQL(schema, context_value=context, websocket_handler=handler, error_formatter=error_formatter,
                    logger=logger)
        )
        for name, handler in handlers.items()
    }), runtime)
