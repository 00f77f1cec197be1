"""The control API's routes from their handlers' own declarations.

A handler is `async def name(request, <path parameters>, query: <QueryModel>, body: <BodyModel>)
-> <Shape>` with a docstring: each path parameter is read into its annotated type, the query
and the body are validated with their models, and what it returns is the JSON answer. The very
same annotations are what the control API's OpenAPI document states (`operation()`), so the
document cannot say what the route does not do, and mypy holds the handler to its answer's shape.
A handler whose answer is not JSON returns a `Response` and says what it is with `raw`.
"""

from __future__ import annotations

import inspect
import re
import typing
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response

from ..core.errors import ApiError, BadUserInput
from ..core.text import check_strings
from ..wire.control_openapi import Operation, Raw
from .jsonbody import parse_body, read_json
from .responses import JSONResponse
from .routing import Endpoint

Handler = Callable[..., Awaitable[Any]]


@dataclass(frozen=True, slots=True)
class Op:
    """A handler and what its signature does not say: the status of its answer, the errors it
    may answer with besides those of its form (a body, parameters, the guards of /_mock), or,
    for an answer that is not JSON, what it is."""

    handler: Handler
    status: int = 200
    errors: tuple[type[ApiError], ...] = ()
    raw: Raw | None = None


@dataclass(frozen=True, slots=True)
class Declared:
    """What a handler's signature declares."""

    path: tuple[tuple[str, Any], ...]
    query: type[BaseModel] | None
    body: type[BaseModel] | None
    answer: Any


def declared(handler: Handler) -> Declared:
    hints = typing.get_type_hints(handler, include_extras=True)
    names = list(inspect.signature(handler).parameters)[1:]  # after the request
    return Declared(
        path=tuple((name, hints[name]) for name in names if name not in ("query", "body")),
        query=hints.get("query"),
        body=hints.get("body"),
        answer=hints["return"],
    )


def endpoint(op: Op) -> Endpoint:
    """The route's endpoint for one method: the handler, given what it declares it takes."""
    found = declared(op.handler)
    params = {name: TypeAdapter[Any](tp) for name, tp in found.path}
    query, body = found.query, found.body

    async def serve(request: Request) -> Response:
        given: dict[str, Any] = {name: _path_value(name, adapter, request.path_params[name])
                                 for name, adapter in params.items()}
        if query is not None:
            given["query"] = parse_query(query, request.query_params)
        if body is not None:
            given["body"] = parse_body(body, await read_json(request, absent=dict))
        answer = await op.handler(request, **given)
        if op.raw is not None:
            response: Response = answer
            return response
        return JSONResponse(answer, status_code=op.status)

    return serve


def _path_value(name: str, adapter: TypeAdapter[Any], raw: str) -> Any:
    try:
        return adapter.validate_python(raw)
    except ValidationError as exc:
        raise BadUserInput(f"path parameter {name!r}: {exc.errors()[0]['msg']} (got {raw!r})", field=name) from None


def parse_query(model: type[BaseModel], params: QueryParams) -> Any:
    given = [name for name, _ in params.multi_items()]
    repeated = sorted({name for name in given if given.count(name) > 1})
    if repeated:
        name = repeated[0]
        raise BadUserInput(f"query parameter {name!r} is given more than once: give its values once, "
                           f"separated by commas", field=name)
    data = dict(params)
    check_strings(data)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        name = str(error["loc"][0]) if error["loc"] else ""
        given = error.get("input")
        got = f" (got {given!r})" if isinstance(given, str) else ""
        raise BadUserInput(f"query parameter {name!r}: {error['msg']}{got}", field=name or None) from None


def operation(method: str, path: str, op: Op, admin: bool) -> Operation:
    """The operation as the control API's document states it."""
    found = declared(op.handler)
    summary, _, description = inspect.cleandoc(op.handler.__doc__ or "").partition("\n\n")
    assert summary, f"{op.handler.__name__} says what it does in a docstring: it is the document's summary"
    return Operation(
        method=method,
        path=re.sub(r"{(\w+):\w+}", r"{\1}", path),
        name=_camel(op.handler.__name__),
        summary=" ".join(summary.split()),
        description=" ".join(description.split()),
        answer=found.answer,
        status=op.status,
        body=found.body,
        query=found.query,
        path_params=found.path,
        errors=op.errors,
        admin=admin,
        raw=op.raw,
    )


def _camel(name: str) -> str:
    first, *rest = name.strip("_").split("_")
    return first + "".join(part.capitalize() for part in rest)
