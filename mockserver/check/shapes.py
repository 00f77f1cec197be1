"""Does a JSON answer have the shape the contract gives it? Against a GraphQL output type of the
mock's SDL (for GraphQL data, and for REST objects that are the same dicts), or against a JSON
schema of the mock's OpenAPI document. Each difference names the exact path and both sides."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLScalarType,
)

from .expectations import MOCK_ONLY_FIELDS, MOCK_ONLY_TYPES

Selection = dict[str, "Selection | None"]
"""The fields a GraphQL query asks for: name to sub-selection (None for a leaf)."""


@dataclass(frozen=True, slots=True)
class Mismatch:
    path: str
    expected: str
    found: str


def kind(value: Any) -> str:
    """A JSON value's type, as a difference shows it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"boolean {str(value).lower()}"
    if isinstance(value, int):
        return f"integer {value}"
    if isinstance(value, float):
        return f"number {value:g}"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f'string "{shown}"'
    if isinstance(value, list):
        return f"array of {len(value)}"
    return "object"


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _missing(value: dict[str, Any]) -> str:
    return f"missing (the answer has: {', '.join(sorted(value)) or 'nothing'})"


def _is_datetime(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


_SCALARS = {
    "ID": lambda v: isinstance(v, str) or (isinstance(v, int) and not isinstance(v, bool)),
    "String": lambda v: isinstance(v, str),
    "Int": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "Float": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "Boolean": lambda v: isinstance(v, bool),
    "DateTime": _is_datetime,
}


def object_fields(type_: GraphQLObjectType) -> list[str]:
    """The fields of an object type the target is expected to have (the mock-only ones left out)."""
    return [name for name in type_.fields if (type_.name, name) not in MOCK_ONLY_FIELDS]


def full_selection(type_: GraphQLOutputType, depth: int = 4) -> Selection | None:
    """Every field of a type, nested (mock-only fields and types left out)."""
    named = _named(type_)
    if not isinstance(named, GraphQLObjectType):
        return None
    selection: Selection = {}
    for name in object_fields(named):
        field_type = _named(named.fields[name].type)
        if field_type.name in MOCK_ONLY_TYPES:
            continue
        if isinstance(field_type, GraphQLObjectType):
            if depth > 0:
                selection[name] = full_selection(field_type, depth - 1)
        else:
            selection[name] = None
    return selection


def selection_text(selection: Selection) -> str:
    parts = []
    for name, sub in selection.items():
        parts.append(name if sub is None else f"{name} {selection_text(sub)}")
    return "{ " + " ".join(parts) + " }"


def _named(type_: Any) -> Any:
    while isinstance(type_, (GraphQLNonNull, GraphQLList)):
        type_ = type_.of_type
    return type_


def check_graphql(
    value: Any, type_: GraphQLOutputType, path: str, selection: Selection | None = None
) -> list[Mismatch]:
    """`value` against `type_`: every field of `selection` (all of the type's when None) must be
    there with its type and nullability."""
    if isinstance(type_, GraphQLNonNull):
        if value is None:
            return [Mismatch(path, str(type_), "null")]
        return check_graphql(value, type_.of_type, path, selection)
    if value is None:
        return []
    if isinstance(type_, GraphQLList):
        if not isinstance(value, list):
            return [Mismatch(path, str(type_), kind(value))]
        out: list[Mismatch] = []
        for i, item in enumerate(value):
            out += check_graphql(item, type_.of_type, f"{path}[{i}]", selection)
        return out
    if isinstance(type_, GraphQLEnumType):
        if value not in type_.values:
            return [Mismatch(path, f"{type_.name} ({' | '.join(type_.values)})", kind(value))]
        return []
    if isinstance(type_, GraphQLScalarType):
        test = _SCALARS.get(type_.name)
        if test is not None and not test(value):
            return [Mismatch(path, type_.name, kind(value))]
        return []
    if isinstance(type_, GraphQLObjectType):
        if not isinstance(value, dict):
            return [Mismatch(path, type_.name, kind(value))]
        if selection is None:
            selection = full_selection(type_) or {}
        out = []
        for name, sub in selection.items():
            field = type_.fields.get(name)
            if field is None:
                continue
            if name not in value:
                out.append(Mismatch(_join(path, name), str(field.type), _missing(value)))
                continue
            out += check_graphql(value[name], field.type, _join(path, name), sub)
        return out
    return []


_JSON_TYPES = {
    "null": lambda v: v is None,
    "boolean": lambda v: isinstance(v, bool),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "string": lambda v: isinstance(v, str),
    "array": lambda v: isinstance(v, list),
    "object": lambda v: isinstance(v, dict),
}


def check_json_schema(value: Any, schema: dict[str, Any], path: str, root: dict[str, Any]) -> list[Mismatch]:
    """`value` against the subset of JSON Schema the mock's OpenAPI document uses."""
    if "$ref" in schema:
        target: Any = root
        for part in schema["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        return check_json_schema(value, target, path, root)
    if "anyOf" in schema:
        branches = [check_json_schema(value, branch, path, root) for branch in schema["anyOf"]]
        return [] if any(not b for b in branches) else min(branches, key=len)
    types = schema.get("type")
    if types is not None:
        names = [types] if isinstance(types, str) else list(types)
        if not any(_JSON_TYPES[name](value) for name in names):
            return [Mismatch(path, " or ".join(names), kind(value))]
    if "enum" in schema and value not in schema["enum"]:
        return [Mismatch(path, " | ".join(str(v) for v in schema["enum"]), kind(value))]
    out: list[Mismatch] = []
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            out.append(Mismatch(path, f">= {schema['minimum']}", kind(value)))
        if "maximum" in schema and value > schema["maximum"]:
            out.append(Mismatch(path, f"<= {schema['maximum']}", kind(value)))
    if schema.get("format") == "date-time" and isinstance(value, str) and not _is_datetime(value):
        out.append(Mismatch(path, "an RFC 3339 date-time", kind(value)))
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        for name in schema.get("required", []):
            if name not in value:
                expected = properties.get(name, {}).get("type", "present")
                out.append(Mismatch(_join(path, name), _type_text(expected), _missing(value)))
        for name, sub in properties.items():
            if name in value:
                out += check_json_schema(value[name], sub, _join(path, name), root)
    if isinstance(value, list):
        if "minItems" in schema and len(value) < schema["minItems"]:
            out.append(Mismatch(path, f"at least {schema['minItems']} items", kind(value)))
        if "items" in schema:
            for i, item in enumerate(value):
                out += check_json_schema(item, schema["items"], f"{path}[{i}]", root)
    return out


def _type_text(types: Any) -> str:
    return types if isinstance(types, str) else " or ".join(types)
