"""One check run: its options, the client, the report, and the helpers every check uses to
compare an answer with the contract."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from graphql import GraphQLObjectType, GraphQLSchema

from ..core.errors import ApiError
from . import expectations as expect
from .client import Client, Exchange
from .formats import describe, in_api_format
from .report import DRIFT, OK, Report
from .shapes import Mismatch, Selection, check_graphql, check_json_schema, full_selection

SURFACES = ("graphql", "rest", "both")


@dataclass(frozen=True)
class Options:
    base_url: str
    key: str
    spend: bool = False
    yes: bool = False
    surface: str = "rest"
    webhook_url: str | None = None
    webhook_listen: tuple[str, int] | None = None
    webhook_secret: str | None = None
    webhook_wait: float = 60.0
    max_requests: int = 100
    job_timeout: float = 600.0
    timeout: float = 30.0


class KeyRefused(Exception):
    """The key under test was refused (401 or 403): nothing else can be checked."""


@dataclass
class State:
    """What earlier checks learnt that later ones use."""

    account: dict[str, Any] | None = None
    estimate: dict[str, Any] | None = None
    their_schema: GraphQLSchema | None = None
    plan_known: bool = False
    requests_per_minute: int | None = None


class Run:
    def __init__(
        self,
        options: Options,
        client: Client,
        report: Report,
        *,
        confirm: Callable[[str], bool] | None = None,
        say: Callable[[str], None] | None = None,
    ) -> None:
        self.options = options
        self.client = client
        self.report = report
        self.confirm = confirm or (lambda prompt: False)
        self.say = say or (lambda message: None)
        self.state = State()
        self.token = secrets.token_hex(4)

    # Comparing answers with the contract

    def add(self, operation: str, check: str, expected: Any, found: Any, verdict: str = OK) -> None:
        self.report.add(operation, check, expected, found, verdict)

    def compare(self, operation: str, check: str, expected: Any, found: Any) -> bool:
        return self.report.compare(operation, check, expected, found)

    def mismatches(self, operation: str, mismatches: list[Mismatch], what: str) -> bool:
        """One row per difference, or one row saying the shape matched; True if it did."""
        mismatches = _unique(mismatches)
        for m in mismatches:
            self.add(operation, f"field {m.path}", m.expected, m.found, DRIFT)
        if not mismatches:
            self.add(operation, "answer shape", what, "as expected")
        return not mismatches

    def accepted(self, operation: str, check: str, exchange: Exchange) -> bool:
        """A row on whether credentials were accepted: only an answer in the API's format that is
        not a refusal accepts them (a 200 HTML page accepts nothing). True if they were."""
        if exchange.status in (401, 403):
            found = f"refused ({exchange.status} {_code(exchange) or ''})".replace(" )", ")")
        elif not in_api_format(exchange):
            found = f"answered {describe(exchange)}, not in the API's format"
        else:
            found = "accepted"
        self.add(operation, check, "accepted", found, OK if found == "accepted" else DRIFT)
        return found == "accepted"

    def status(self, operation: str, exchange: Exchange, expected: int) -> bool:
        found = f"{exchange.status} {_code(exchange) or ''}".strip() if exchange.status != expected else expected
        return self.compare(operation, "HTTP status", expected, found)

    def error(self, operation: str, exchange: Exchange, error: type[ApiError],
              field: str | None = None) -> None:
        """The document's error format with the status and code of `error` (and `field`)."""
        self.status(operation, exchange, error.status)
        body = exchange.json
        errors = body.get("errors") if isinstance(body, dict) else None
        first = errors[0] if isinstance(errors, list) and errors and isinstance(errors[0], dict) else None
        extensions = first.get("extensions") if first else None
        # The format is the OpenAPI document's `Error` schema, the one the mock answers with.
        mismatches = check_json_schema(body, expect.openapi()["components"]["schemas"]["Error"], "", expect.openapi())
        if body is None:
            found = _describe_body(exchange)
        else:
            found = "; ".join(f"{m.path or 'body'}: {m.found}" for m in mismatches) or "as expected"
        self.compare(operation, "error format {errors: [{message, extensions: {code}}]}", "as expected", found)
        code = extensions.get("code") if isinstance(extensions, dict) else None
        self.compare(operation, "errors[0].extensions.code", error.code, code if code is not None else "missing")
        if field is not None:
            found_field = extensions.get("field") if isinstance(extensions, dict) else None
            self.compare(operation, "errors[0].extensions.field", field,
                         found_field if found_field is not None else "missing")

    def rest_shape(self, operation: str, exchange: Exchange, path: str, method: str,
                   objects: dict[str, str] | None = None) -> Any:
        """The answer against the OpenAPI document's schema for its status, and the objects at
        `objects` (a dotted path to a type name of the SDL) against those types; the JSON."""
        body = exchange.json
        schema = expect.openapi_schema(path, method, exchange.status)
        mismatches: list[Mismatch] = []
        if schema is not None:
            mismatches += check_json_schema(body, schema, "", expect.openapi())
        for where, type_name in (objects or {}).items():
            value = dig(body, where)
            if value is not None:
                type_ = expect.schema().get_type(type_name)
                assert isinstance(type_, GraphQLObjectType)
                mismatches += check_graphql(value, type_, where)
        self.mismatches(operation, mismatches, "as in the OpenAPI document and the schema")
        return body

    def graphql_shape(self, operation: str, data: Any, field_name: str, selection: Selection | None) -> None:
        query, mutation = expect.schema().query_type, expect.schema().mutation_type
        assert query is not None and mutation is not None
        root = query if field_name in query.fields else mutation
        field_type = root.fields[field_name].type
        self.mismatches(operation, check_graphql(dig(data, field_name), field_type, field_name, selection),
                        "as in the schema")

    def selection(self, type_name: str) -> Selection:
        """Every field of one of our types that the target's schema has too (what it lacks is
        reported by the schema comparison, and asking for it would fail the whole query)."""
        ours = expect.schema().get_type(type_name)
        assert isinstance(ours, GraphQLObjectType)
        return prune(full_selection(ours) or {}, ours, self.state.their_schema)

    def bad_key(self) -> str:
        return f"doitong-check-invalid-key-{self.token}"

    def missing_id(self) -> str:
        return f"doitong-check-no-such-job-{self.token}"


def prune(selection: Selection, ours: GraphQLObjectType, theirs: GraphQLSchema | None) -> Selection:
    if theirs is None:
        return selection
    their_type = theirs.get_type(ours.name)
    if not isinstance(their_type, GraphQLObjectType):
        return {}
    out: Selection = {}
    for name, sub in selection.items():
        if name not in their_type.fields:
            continue
        if sub is None:
            out[name] = None
            continue
        sub_type = _named(ours.fields[name].type)
        pruned = prune(sub, sub_type, theirs)
        if pruned:
            out[name] = pruned
    return out


def _named(type_: Any) -> Any:
    while hasattr(type_, "of_type"):
        type_ = type_.of_type
    return type_


def dig(value: Any, path: str) -> Any:
    for part in path.split(".") if path else []:
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _code(exchange: Exchange) -> str | None:
    body = exchange.json
    try:
        code = body["errors"][0]["extensions"]["code"]
    except (KeyError, IndexError, TypeError):
        return None
    return code if isinstance(code, str) else None


def error_code(exchange: Exchange) -> str | None:
    return _code(exchange)


def _describe_body(exchange: Exchange) -> str:
    return f"not JSON ({exchange.content_type or 'no content type'}, {len(exchange.body)} bytes)"


def _unique(mismatches: list[Mismatch]) -> list[Mismatch]:
    """One row per field: the same difference in every item of a list (or found against both the
    OpenAPI document and the schema) is reported once."""
    seen: set[str] = set()
    out = []
    for m in mismatches:
        key = _strip_indexes(m.path)
        if key not in seen:
            seen.add(key)
            out.append(m)
    return out


def _strip_indexes(path: str) -> str:
    return re.sub(r"\[\d+\]", "[]", path)
