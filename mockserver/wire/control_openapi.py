"""The OpenAPI 3.1 document of the control API (`GET /_mock/openapi.json`), built from the
operations the server serves: each one's path and query parameters, body model and answer type
are the very ones its handler is declared with (see `web.operations`), so the document cannot
say what the server does not do. The schemas come from pydantic (`TypeAdapter.json_schemas`)
over the wire shapes, the request models and what each kind of event carries.

It imports no web framework; the web layer hands it the operations.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from pydantic import BaseModel, ConfigDict, TypeAdapter, with_config
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaMode
from pydantic_core import CoreSchema
from typing_extensions import TypedDict, is_typeddict

from .. import __version__
from ..core import errors
from . import control_requests, events, shapes
from .field_docs import field_docs

REF = "#/components/schemas/{model}"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
EVENT_STREAM = "text/event-stream"


@dataclass(frozen=True, slots=True)
class Raw:
    """An answer that is not JSON: its status and the media types it comes in."""

    status: int
    media: tuple[str, ...] = ()
    description: str = ""


@dataclass(frozen=True, slots=True)
class Operation:
    """One method of one route under /_mock, as the server serves it."""

    method: str
    path: str  # as OpenAPI writes it: /_mock/accounts/{key}
    name: str  # the operationId
    summary: str
    description: str
    answer: Any  # the type of the JSON answer (a shape); unused with `raw`
    status: int = 200
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    path_params: tuple[tuple[str, Any], ...] = ()
    errors: tuple[type[errors.ApiError], ...] = ()
    admin: bool = True  # needs the admin token, when the server has one
    raw: Raw | None = None


class _Schemas(GenerateJsonSchema):
    """pydantic's schemas without a title on every field (a class keeps its own)."""

    def field_title_should_be_set(self, schema: CoreSchema) -> bool:
        return False


def control_openapi(operations: Sequence[Operation], base_url: str, token: bool) -> dict[str, Any]:
    """The document of these operations as served at `base_url`; `token`: the server has an
    admin token, which every operation but those open to all then needs."""
    return {**_document(tuple(operations), token), "servers": [{"url": base_url}]}


@lru_cache(maxsize=8)
def _document(operations: tuple[Operation, ...], token: bool) -> dict[str, Any]:
    schemas, components = _schemas(operations)
    paths: dict[str, dict[str, Any]] = {}
    for op in operations:
        paths.setdefault(op.path, {})[op.method.lower()] = _operation(op, schemas, components, token)
    document: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {
            "title": "doitong-mock control API",
            "version": __version__,
            "description": (
                "Steer and inspect the mock: accounts, clocks, jobs, faults, the request journal, webhook "
                "deliveries and the event stream. "
                + ("This server has an admin token: send it as X-Admin-Token (or Authorization: Bearer) to every "
                   "route but this document and the inspector's files." if token else
                   "This server has no admin token: every route is open (with --admin-token, all but this "
                   "document and the inspector's files need it).")
            ),
        },
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {
                "adminToken": {"type": "apiKey", "in": "header", "name": "X-Admin-Token"},
                "adminBearer": {"type": "http", "scheme": "bearer", "description": "The admin token"},
            },
        },
    }
    if token:
        document["security"] = [{"adminToken": []}, {"adminBearer": []}]
    return document


def _event_data() -> type:
    """What each kind of event carries, as one shape: a key per kind (see `events.event_data`)."""
    carried = events.event_data()
    shape = TypedDict("EventData", carried)  # type: ignore[misc]
    shape.__doc__ = "What each kind of event on `GET /_mock/events` carries, by kind."
    return with_config(ConfigDict(extra="forbid"))(shape)


def _schemas(operations: tuple[Operation, ...]) -> tuple[dict[tuple[str, str], Any], dict[str, Any]]:
    """Every operation's body, query, path parameter and answer schema (by the operation's name
    and which), and the components they refer to."""
    inputs: list[tuple[tuple[str, str], JsonSchemaMode, TypeAdapter[Any]]] = [
        (("", "error"), "serialization", TypeAdapter(shapes.ErrorEnvelope)),
        (("", "events"), "serialization", TypeAdapter(_event_data())),
    ]
    for op in operations:
        if op.raw is None:
            inputs.append(((op.name, "answer"), "serialization", TypeAdapter(op.answer)))
        if op.body is not None:
            inputs.append(((op.name, "body"), "validation", TypeAdapter(op.body)))
        if op.query is not None:
            inputs.append(((op.name, "query"), "validation", TypeAdapter(op.query)))
        for name, tp in op.path_params:
            inputs.append(((op.name, "path:" + name), "validation", TypeAdapter(tp)))
    found, defs = TypeAdapter.json_schemas(inputs, ref_template=REF, schema_generator=_Schemas)
    components: dict[str, Any] = defs.get("$defs", {})
    _describe_fields(components)
    queries = {op.query.__name__ for op in operations if op.query is not None}
    schemas = {key: _inline(schema, components, queries) for (key, _), schema in found.items()}
    for name in queries:
        components.pop(name, None)
    odd = [name for name in components if "__" in name]
    assert not odd, f"two classes share a name: {odd}"
    return schemas, dict(sorted(components.items()))


def _inline(schema: dict[str, Any], components: dict[str, Any], queries: set[str]) -> dict[str, Any]:
    """A query model's schema itself (it is no component: its fields become parameters)."""
    ref = schema.get("$ref", "")
    name = ref.rsplit("/", 1)[-1]
    return dict(components[name]) if name in queries else schema


def _classes() -> dict[str, type]:
    found: dict[str, type] = {}
    for module in (shapes, events, control_requests):
        for value in vars(module).values():
            if isinstance(value, type) and (is_typeddict(value) or issubclass(value, BaseModel)):
                found[value.__name__] = value
    return found


def _describe_fields(components: dict[str, Any]) -> None:
    """Each field's docstring as its description, also in the shapes that inherit the field."""
    classes = _classes()
    for name, schema in components.items():
        cls = classes.get(name)
        if cls is None:
            continue
        docs = _docs_of(cls)
        for field, prop in schema.get("properties", {}).items():
            if field in docs and "description" not in prop:
                prop["description"] = docs[field]


def _docs_of(cls: type) -> dict[str, str]:
    """Field docstrings by the name on the wire, the nearest class's first."""
    if issubclass(cls, BaseModel):
        docs: dict[str, str] = {}
        for klass in reversed(cls.__mro__):
            docs.update(field_docs(klass))
        return {(info.alias or field): docs[field] for field, info in cls.model_fields.items() if field in docs}
    inherited: dict[str, str] = {}
    for base in reversed(getattr(cls, "__orig_bases__", ())):
        if is_typeddict(base):
            inherited.update(_docs_of(base))
    return {**inherited, **field_docs(cls)}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _operation(
    op: Operation, schemas: dict[tuple[str, str], Any], components: dict[str, Any], token: bool
) -> dict[str, Any]:
    out: dict[str, Any] = {"operationId": op.name, "summary": op.summary}
    if op.description:
        out["description"] = op.description
    parameters = [_path_parameter(name, schemas[(op.name, "path:" + name)]) for name, _ in op.path_params]
    if op.query is not None:
        parameters += _query_parameters(schemas[(op.name, "query")])
    if parameters:
        out["parameters"] = parameters
    if op.body is not None:
        body = schemas[(op.name, "body")]
        model = components.get(body.get("$ref", "").rsplit("/", 1)[-1], body)
        needed = "required" in model or "oneOf" in model  # an empty body is a 400 naming what is missing
        out["requestBody"] = {
            "required": needed,
            "description": "JSON" if needed else "JSON; an empty body takes every default",
            "content": {"application/json": {"schema": body}},
        }
    responses: dict[str, Any] = {}
    if op.raw is None:
        responses[str(op.status)] = _json(schemas[(op.name, "answer")], "The answer")
    else:
        responses[str(op.raw.status)] = _raw(op.raw, schemas)
    for status, codes in sorted(_error_codes(op, token).items()):
        responses[str(status)] = _json(_error_schema(codes), ", ".join(codes))
    out["responses"] = responses
    if not op.admin and token:
        out["security"] = []
    return out


def _raw(raw: Raw, schemas: dict[tuple[str, str], Any]) -> dict[str, Any]:
    answer: dict[str, Any] = {"description": raw.description or "The answer"}
    if not raw.media:
        return answer
    content: dict[str, Any] = {}
    for media in raw.media:
        content[media] = {"schema": {"type": "string"}}
        if media == EVENT_STREAM:
            # Each server-sent event: its id, its kind (`event:`) and its data (one line of JSON),
            # as OpenAPI 3.2's itemSchema states a stream's items.
            content[media]["x-itemSchema"] = _event_items(schemas[("", "events")])
    answer["content"] = content
    return answer


def _event_items(data: dict[str, Any]) -> dict[str, Any]:
    kinds = list(TypeAdapter(_event_data()).json_schema()["properties"])
    ref = data["$ref"]
    return {"oneOf": [
        {
            "type": "object",
            "required": ["id", "event", "data"],
            "properties": {
                "id": {"type": "integer"},
                "event": {"const": kind},
                "data": {"$ref": f"{ref}/properties/{kind}"},
            },
        }
        for kind in kinds
    ]}


def _path_parameter(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": schema}


def _query_parameters(model: dict[str, Any]) -> list[dict[str, Any]]:
    """A parameter per field of a query model: never null (not given is not sent), a list
    comma-separated, an empty value taken as not given (`allowEmptyValue`: a form's blank field)."""
    required = set(model.get("required", ()))
    found = []
    for name, prop in model["properties"].items():
        schema = _not_null(prop)
        description = schema.pop("description", None)
        parameter: dict[str, Any] = {"name": name, "in": "query", "required": name in required, "schema": schema}
        if description:
            parameter["description"] = description
        if name not in required:
            parameter["allowEmptyValue"] = True
        if schema.get("type") == "array":
            parameter |= {"style": "form", "explode": False}
        found.append(parameter)
    return found


def _not_null(prop: dict[str, Any]) -> dict[str, Any]:
    schema = {k: v for k, v in prop.items() if not (k == "default" and v is None)}
    options = [branch for branch in schema.pop("anyOf", []) if branch != {"type": "null"}]
    if len(options) == 1:
        schema |= options[0]
    elif options:
        schema["anyOf"] = options
    return schema


def _error_codes(op: Operation, token: bool) -> dict[int, list[str]]:
    """The status and codes of every error the operation can answer: those its form implies
    (a body, parameters, the guards of /_mock) and those it names."""
    implied: list[type[errors.ApiError]] = [errors.Forbidden]  # the Host guard, and the admin guards
    if op.admin and token:
        implied.append(errors.Unauthenticated)
    if op.body is not None:
        implied += [errors.BadUserInput, errors.PayloadTooLarge, errors.RequestTimeout]
    if op.query is not None or any(tp is not str for _, tp in op.path_params):
        implied.append(errors.BadUserInput)
    if op.admin and op.method not in SAFE_METHODS:
        implied.append(errors.ServiceUnavailable)  # a reset while the change was in flight
    return _by_status([*implied, *op.errors])


def _by_status(found: Iterable[type[errors.ApiError]]) -> dict[int, list[str]]:
    statuses: dict[int, set[str]] = {}
    for error in found:
        statuses.setdefault(error.status, set()).add(error.code)
    return {status: sorted(codes) for status, codes in statuses.items()}


def _error_schema(codes: list[str]) -> dict[str, Any]:
    return {
        "allOf": [{"$ref": REF.format(model="ErrorEnvelope")}],
        "properties": {"errors": {"items": {"properties": {"extensions": {"properties": {"code": {"enum": codes}}}}}}},
    }
