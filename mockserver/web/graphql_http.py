"""`/graphql` over HTTP: prepares the document (`documents.py`), executes it, and answers in the
document's error format with the HTTP status of the first error.

The admission gate in front of it has already authenticated and counted the request (a
document that fails to parse or validate included) and adds the rate-limit headers to the
answer. A request with no key at all gets here without a caller: it may only introspect.
"""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path
from typing import Any

from graphql import GraphQLSchema, OperationType, execute_sync, get_operation_ast
from starlette.requests import Request
from starlette.responses import FileResponse, Response

from ..core.accounts import missing_key
from ..core.admission import Caller
from ..core.errors import BadUserInput
from ..core.runtime import Runtime
from ..core.text import check_strings, check_text
from ..graphql.context import Context
from ..graphql.documents import Documents, is_introspection_only
from ..graphql.errors import format_error
from ..graphql.execution import AcyclicExecutor
from ..graphql.operations import joined, operation_names
from ..wire.envelope import envelope
from .errors import written
from .jsonbody import read_json
from .requests import api_of, here
from .responses import JSONResponse

EXPLORER = Path(__file__).resolve().parent / "static" / "explorer.html"


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
        if caller is None and not self.documents.anonymous_may_run(query):
            raise missing_key()  # refused before any validation
        prepared = self.documents.prepare(query)
        if prepared.document is None:
            return written(envelope(prepared.errors))
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
            raise missing_key()
        context = Context(api_of(request), caller, here(request), partial(setattr, request.state, "job_id"))
        result = execute_sync(
            self.schema,
            prepared.document,
            context_value=context,
            variable_values=variables,
            operation_name=operation_name,
            executor_class=AcyclicExecutor,
        )
        if not result.errors:
            return JSONResponse({"data": result.data})
        formatted = [format_error(error) for error in result.errors]
        return written(envelope([e for e, _ in formatted], [item for _, item in formatted], result.data))

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
