"""`/graphql` over HTTP: prepares the document (`documents.py`), executes it, and answers in the
document's error format with the HTTP status of the first error.

The admission gate in front of it has already authenticated and counted the request (a
document that fails to parse or validate included) and adds the rate-limit headers to the
answer. A request with no key at all gets here without a caller: it may only introspect.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from graphql import (
    GraphQLError,
    GraphQLSchema,
    OperationType,
    execute_sync,
    get_operation_ast,
)
from starlette.requests import HTTPConnection, Request
from starlette.responses import FileResponse, Response

from ..core.accounts import Account
from ..core.admission import Caller
from ..core.emulator import Emulator
from ..core.errors import (
    ApiError,
    BadUserInput,
    InternalServerError,
    Unauthenticated,
)
from ..core.inputs import JobRequest
from ..core.jobs import Job
from ..core.runtime import Runtime
from ..core.text import check_strings, check_text
from ..web.errors import SERVER_ERROR_MESSAGE
from ..web.jsonbody import read_json
from ..web.requests import base_url, emulator_of, here
from ..web.responses import JSONResponse
from .documents import Documents, is_introspection_only, locations_of
from .execution import AcyclicExecutor
from .operations import joined, operation_names

logger = logging.getLogger("mockserver.graphql")

EXPLORER = Path(__file__).resolve().parent.parent / "web" / "static" / "explorer.html"


@dataclass
class Context:
    """What resolvers see as `info.context`: the emulator now serving and the admitted caller."""

    emulator: Emulator
    caller: Caller | None
    connection: HTTPConnection

    @property
    def account(self) -> Account:
        if self.caller is None:  # only introspection runs without a caller, and it resolves nothing of ours
            raise Unauthenticated("Missing API key: send 'Authorization: Bearer <key>' or 'X-API-Key: <key>'")
        return self.caller.account

    @property
    def base_url(self) -> str:
        return base_url(self.connection)

    def submit(self, job_request: JobRequest) -> Job:
        if self.caller is None:
            raise Unauthenticated("Missing API key: send 'Authorization: Bearer <key>' or 'X-API-Key: <key>'")
        job = self.emulator.submit(self.caller, job_request, here(self.connection))
        self.connection.state.job_id = job.id  # the journal links the request to the job it made
        return job


_AT_PATH = re.compile(r"at \.([\w.\[\]]+)")  # "at .input.text"
_NAMED_FIELD = re.compile(r"field '(\w+)'")
MAX_MESSAGE = 500


def _coercion_field(message: str) -> str | None:
    """The input field a variable-coercion message is about, for `extensions.field`."""
    match = _AT_PATH.search(message)
    path = match.group(1) if match else ""
    named = _NAMED_FIELD.search(message)
    if named:
        path = f"{path}.{named.group(1)}" if path else named.group(1)
    return path or None


def _short(message: str) -> str:
    return message if len(message) <= MAX_MESSAGE else message[: MAX_MESSAGE - 3] + "..."


class GraphQLEndpoint:
    def __init__(self, runtime: Runtime, schema: GraphQLSchema, documents: Documents) -> None:
        self.runtime = runtime
        self.schema = schema
        self.documents = documents

    async def handle(self, request: Request) -> Response:
        caller: Caller | None = request.state.caller
        if request.method == "GET":
            if "query" not in request.query_params:
                request.state.own_page = True  # GraphiQL's page: not API traffic
                return FileResponse(EXPLORER, media_type="text/html")
            data: Any = dict(request.query_params)
        else:
            data = await read_json(request)
        query, variables, operation_name = self._unpack(data, get=request.method == "GET")
        emulator = emulator_of(request)
        if caller is None and not self.documents.anonymous_may_run(query):
            emulator.admit(None)  # no key: refused as UNAUTHENTICATED, before any validation
        prepared = self.documents.prepare(query)
        if prepared.document is None:
            return JSONResponse({"errors": [e.to_dict() for e in prepared.errors]}, status_code=400)
        operation = get_operation_ast(prepared.document, operation_name)
        if operation is None:
            if operation_name:
                raise BadUserInput(f"unknown operation {operation_name!r}", field="operationName")
            raise BadUserInput("the document has several operations: give operationName", field="operationName")
        request.state.graphql_operation = joined(operation_names(operation))
        if operation.operation == OperationType.SUBSCRIPTION:
            raise BadUserInput("subscriptions are served over WebSocket, not HTTP POST")
        if request.method == "GET" and operation.operation != OperationType.QUERY:
            raise BadUserInput("only queries may be sent with GET; use POST for mutations")
        if caller is None and not is_introspection_only(operation):
            emulator.admit(None)  # no key: refused as UNAUTHENTICATED
        result = execute_sync(
            self.schema,
            prepared.document,
            context_value=Context(emulator, caller, request),
            variable_values=variables,
            operation_name=operation_name,
            executor_class=AcyclicExecutor,
        )
        if not result.errors:
            return JSONResponse({"data": result.data})
        status, headers, errors = self._format_errors(result.errors)
        body: dict[str, Any] = {"errors": errors}
        if result.data is not None and any(value is not None for value in result.data.values()):
            # Part of the operation happened (a job was made): the answer is a success that
            # carries it, or a client retrying the "failure" would make that job again. When
            # nothing happened, the answer is the document's error format, errors alone.
            body["data"] = result.data
            status, headers = 200, {}
        return JSONResponse(body, status_code=status, headers=headers)

    @staticmethod
    def _unpack(data: Any, get: bool) -> tuple[str, dict[str, Any] | None, str | None]:
        if isinstance(data, list):
            raise BadUserInput("batched operations are not supported: send one JSON object")
        if not isinstance(data, dict):
            raise BadUserInput("request body must be a JSON object with a 'query' string")
        query = data.get("query")
        if not isinstance(query, str) or not query.strip():
            raise BadUserInput("'query' must be a non-empty string", field="query")
        variables = data.get("variables")
        if get and isinstance(variables, str):
            try:
                variables = json.loads(variables)
            except ValueError:
                raise BadUserInput("'variables' is not valid JSON", field="variables") from None
        if variables is not None and not isinstance(variables, dict):
            raise BadUserInput("'variables' must be a JSON object", field="variables")
        operation_name = data.get("operationName")
        if operation_name is not None and not isinstance(operation_name, str):
            raise BadUserInput("'operationName' must be a string", field="operationName")
        unknown = set(data) - {"query", "variables", "operationName", "extensions"}
        if unknown:
            raise BadUserInput(f"unknown key {sorted(unknown)[0]!r} in the request body")
        check_text(query, "query")
        check_text(operation_name, "operationName")
        check_strings(variables)
        return query, variables, operation_name

    def _format_errors(
        self, errors: list[GraphQLError]
    ) -> tuple[int, dict[str, str], list[dict[str, Any]]]:
        """Errors in the document's format; status and headers (Retry-After) of the first."""
        formatted = [format_error(error) for error in errors]
        first = formatted[0][0]
        return first.status, first.headers, [item for _, item in formatted]


def format_error(error: GraphQLError, debug: bool = False) -> tuple[ApiError, dict[str, Any]]:
    """A GraphQL error as the API error it stands for, and in the document's format."""
    original = error.original_error
    if isinstance(original, ApiError):
        api_error = original
    elif error.path is None:
        api_error = BadUserInput(_short(error.message), field=_coercion_field(error.message))
    else:
        logger.error("resolver failed", exc_info=original)
        api_error = InternalServerError(SERVER_ERROR_MESSAGE)
    item = api_error.to_dict()
    locations = locations_of(error)
    if locations:
        item["locations"] = locations
    if error.path:
        item["path"] = list(error.path)
    return api_error, item

