"""`/graphql`: parses (with a cache keyed by query text), authenticates, executes, and answers
in the document's error format with the HTTP status of the first error."""

from __future__ import annotations

import json
import logging
import re
from collections import OrderedDict
from pathlib import Path
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    execute,
    get_operation_ast,
    parse,
    validate,
)
from graphql.language import FieldNode
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response

from ..accounts import Account, extract_key
from ..errors import (
    ApiError,
    BadUserInput,
    GraphQLParseFailed,
    GraphQLValidationFailed,
    InternalServerError,
    error_response,
)
from ..inputs import JobRequest
from ..jobs import Job
from ..jsonbody import read_json
from ..service import Service
from .limits import MAX_QUERY_BYTES, check_limits

logger = logging.getLogger("mockserver.graphql")

CACHE_SIZE = 256
MAX_TOKENS = 20_000
EXPLORER = Path(__file__).resolve().parent.parent / "static" / "explorer.html"


@dataclass
class Context:
    """What resolvers see as `info.context`."""

    service: Service
    account: Account
    request: Request
    base_url: str
    replayed: bool = False

    def submit(self, job_request: JobRequest) -> Job:
        job, replayed = self.service.submit(
            self.account, job_request, self.base_url, self.request.headers.get("idempotency-key")
        )
        self.replayed = self.replayed or replayed
        return job


@dataclass(frozen=True, slots=True)
class Prepared:
    document: DocumentNode | None
    errors: tuple[ApiError, ...]


def _locations(error: GraphQLError) -> list[dict[str, int]] | None:
    if not error.locations:
        return None
    return [{"line": loc.line, "column": loc.column} for loc in error.locations]


_AT_PATH = re.compile(r"at \.([\w.\[\]]+)")  # graphql-core 3.3: "at .input.text"
_AT_QUOTED = re.compile(r"at '[^.']*\.?([^']*)'")  # graphql-core 3.2: "at 'input.input.text'"
_NAMED_FIELD = re.compile(r"field '(\w+)'")
MAX_MESSAGE = 500


def _coercion_field(message: str) -> str | None:
    """The input field a variable-coercion message is about, for `extensions.field`."""
    match = _AT_PATH.search(message) or _AT_QUOTED.search(message)
    path = match.group(1) if match else ""
    named = _NAMED_FIELD.search(message)
    if named:
        path = f"{path}.{named.group(1)}" if path else named.group(1)
    return path or None


def _short(message: str) -> str:
    return message if len(message) <= MAX_MESSAGE else message[: MAX_MESSAGE - 3] + "..."


def _operation_names(operation: OperationDefinitionNode) -> str:
    """For the journal: the operation's name and root fields, e.g. 'Generate,generate'."""
    names = {operation.name.value} if operation.name is not None else set()
    names.update(s.name.value for s in operation.selection_set.selections if isinstance(s, FieldNode))
    return ",".join(sorted(names))


def _is_introspection_only(operation: OperationDefinitionNode) -> bool:
    for selection in operation.selection_set.selections:
        if not isinstance(selection, FieldNode) or not selection.name.value.startswith("__"):
            return False
    return True


class GraphQLEndpoint:
    def __init__(self, service: Service, schema: GraphQLSchema) -> None:
        self.service = service
        self.schema = schema
        self._cache: OrderedDict[str, Prepared] = OrderedDict()

    def prepare(self, query: str) -> Prepared:
        """Parse and validate once per distinct query text: clients resend the same few."""
        prepared = self._cache.get(query)
        if prepared is not None:
            self._cache.move_to_end(query)
            return prepared
        if len(query) > MAX_QUERY_BYTES:
            return Prepared(None, (GraphQLValidationFailed(f"the query is longer than {MAX_QUERY_BYTES} characters"),))
        try:
            document = parse(query, max_tokens=MAX_TOKENS)
        except GraphQLError as error:
            prepared = Prepared(None, (GraphQLParseFailed(error.message, locations=_locations(error)),))
        else:
            errors = check_limits(document) or validate(self.schema, document)
            prepared = Prepared(
                None if errors else document,
                tuple(GraphQLValidationFailed(e.message, locations=_locations(e)) for e in errors),
            )
        self._cache[query] = prepared
        if len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)
        return prepared

    async def handle(self, request: Request) -> Response:
        if request.method == "GET":
            if "query" not in request.query_params:
                return FileResponse(EXPLORER, media_type="text/html")
            data: Any = dict(request.query_params)
        else:
            try:
                data = await read_json(request)
            except ApiError as error:
                return error_response(error)
        try:
            return self.run(request, data)
        except ApiError as error:
            return error_response(error)

    def run(self, request: Request, data: Any) -> Response:
        query, variables, operation_name = self._unpack(data, get=request.method == "GET")
        prepared = self.prepare(query)
        if prepared.document is None:
            return JSONResponse({"errors": [e.to_dict() for e in prepared.errors]}, status_code=400)
        document = prepared.document
        operation = get_operation_ast(document, operation_name)
        if operation is None:
            if operation_name:
                raise BadUserInput(f"unknown operation {operation_name!r}", field="operationName")
            raise BadUserInput("the document has several operations: give operationName", field="operationName")
        if operation.operation == OperationType.SUBSCRIPTION:
            raise BadUserInput("subscriptions are served over WebSocket, not HTTP POST")
        if request.method == "GET" and operation.operation != OperationType.QUERY:
            raise BadUserInput("only queries may be sent with GET; use POST for mutations")

        request.state.graphql_operation = _operation_names(operation)
        service = self.service
        if extract_key(request.headers) is None and _is_introspection_only(operation):
            account = None
        else:
            account = service.admit(request.headers)
        base_url = str(request.base_url).rstrip("/")
        context = Context(service, account, request, base_url)  # type: ignore[arg-type]
        result = execute(
            self.schema,
            document,
            context_value=context,
            variable_values=variables,
            operation_name=operation_name,
        )
        response: Response
        if not result.errors:
            response = JSONResponse({"data": result.data})
        else:
            status, headers, errors = self._format_errors(result.errors)
            body: dict[str, Any] = {"errors": errors}
            if result.data is not None:
                body["data"] = result.data
            response = JSONResponse(body, status_code=status, headers=headers)
        if account is not None:
            response.headers.update(service.rate_headers(account))
        if context.replayed:
            response.headers["Idempotent-Replayed"] = "true"
        return response

    @staticmethod
    def _unpack(data: Any, get: bool) -> tuple[str, dict | None, str | None]:
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
        api_error = InternalServerError("Internal server error, please retry")
    item = api_error.to_dict()
    locations = _locations(error)
    if locations:
        item["locations"] = locations
    if error.path:
        item["path"] = list(error.path)
    return api_error, item

