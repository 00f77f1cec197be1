"""The target's GraphQL schema (from introspection) against the SDL the mock serves: types and
fields that are missing or changed, changed nullability, arguments and enum values. What only the
target has is reported apart: a real API serves far more than the avatar service."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputField,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    build_client_schema,
    get_introspection_query,
    is_specified_scalar_type,
)

from .expectations import MOCK_ONLY_FIELDS, MOCK_ONLY_TYPES

INTROSPECTION_QUERY = get_introspection_query(descriptions=False)


@dataclass(frozen=True, slots=True)
class Difference:
    where: str
    """`Type`, `Type.field` or `Type.field(arg)`."""
    aspect: str
    """What differs: type, kind, field, nullability, argument, enum value, input field."""
    expected: str
    found: str
    only_in_target: bool = False


def client_schema(introspection: dict[str, Any]) -> GraphQLSchema:
    """A schema from an introspection result's `data`; ValueError/TypeError/KeyError if malformed."""
    return build_client_schema(introspection)  # type: ignore[arg-type]


def _kind(t: GraphQLNamedType) -> str:
    for cls, name in ((GraphQLObjectType, "OBJECT"), (GraphQLInputObjectType, "INPUT_OBJECT"),
                      (GraphQLEnumType, "ENUM"), (GraphQLInterfaceType, "INTERFACE"), (GraphQLUnionType, "UNION")):
        if isinstance(t, cls):
            return name
    return "SCALAR"


def _bare(type_text: str) -> str:
    return type_text.replace("!", "")


def _type_difference(where: str, ours: Any, theirs: Any, renames: dict[str, str]) -> Difference | None:
    expected, found = str(ours), str(theirs)
    for ours_name, their_root in renames.items():
        expected = expected.replace(ours_name, their_root)
    if expected == found:
        return None
    aspect = "nullability" if _bare(expected) == _bare(found) else "type"
    return Difference(where, aspect, str(ours), found)


def _required(field: GraphQLInputField | Any) -> bool:
    return isinstance(field.type, GraphQLNonNull) and getattr(field, "default_value", None) is None


def _roots(schema: GraphQLSchema) -> dict[str, GraphQLObjectType | None]:
    return {"query": schema.query_type, "mutation": schema.mutation_type, "subscription": schema.subscription_type}


def compare_schemas(ours: GraphQLSchema, theirs: GraphQLSchema) -> list[Difference]:
    diffs: list[Difference] = []
    our_roots, their_roots = _roots(ours), _roots(theirs)
    renames: dict[str, str] = {}
    for operation, root in our_roots.items():
        if root is None:
            continue
        their_root = their_roots[operation]
        if their_root is None:
            diffs.append(Difference(f"schema.{operation}", "root type", root.name, "missing"))
        elif their_root.name != root.name:
            renames[root.name] = their_root.name
    for name, ours_type in sorted(ours.type_map.items()):
        if name.startswith("__") or is_specified_scalar_type(ours_type) or name in MOCK_ONLY_TYPES:
            continue
        their_name = renames.get(name, name)
        theirs_type = theirs.type_map.get(their_name)
        if theirs_type is None:
            root_of = next((op for op, r in our_roots.items() if r is not None and r.name == name), None)
            if root_of is None or their_roots[root_of] is not None:  # a missing root is reported above
                diffs.append(Difference(name, "type", f"{_kind(ours_type)} {name}", "missing"))
            continue
        if _kind(ours_type) != _kind(theirs_type):
            diffs.append(Difference(name, "kind", _kind(ours_type), _kind(theirs_type)))
            continue
        if isinstance(ours_type, (GraphQLObjectType, GraphQLInterfaceType)):
            assert isinstance(theirs_type, (GraphQLObjectType, GraphQLInterfaceType))
            diffs += _compare_fields(name, ours_type.fields, theirs_type.fields, renames)
        elif isinstance(ours_type, GraphQLInputObjectType):
            assert isinstance(theirs_type, GraphQLInputObjectType)
            diffs += _compare_input_fields(name, ours_type.fields, theirs_type.fields, renames)
        elif isinstance(ours_type, GraphQLEnumType):
            assert isinstance(theirs_type, GraphQLEnumType)
            for value in ours_type.values:
                if value not in theirs_type.values:
                    diffs.append(Difference(f"{name}.{value}", "enum value", value, "missing"))
            for value in theirs_type.values:
                if value not in ours_type.values:
                    diffs.append(Difference(f"{name}.{value}", "enum value", "absent", value, only_in_target=True))
    known = {renames.get(n, n) for n in ours.type_map}
    for name in sorted(theirs.type_map):
        if name not in known and not name.startswith("__") and not is_specified_scalar_type(theirs.type_map[name]):
            diffs.append(Difference(name, "type", "absent", _kind(theirs.type_map[name]), only_in_target=True))
    return diffs


def _compare_fields(
    type_name: str, ours: dict[str, GraphQLField], theirs: dict[str, GraphQLField], renames: dict[str, str]
) -> list[Difference]:
    diffs: list[Difference] = []
    for name, field in ours.items():
        if (type_name, name) in MOCK_ONLY_FIELDS:
            continue
        where = f"{type_name}.{name}"
        other = theirs.get(name)
        if other is None:
            diffs.append(Difference(where, "field", str(field.type), "missing"))
            continue
        diff = _type_difference(where, field.type, other.type, renames)
        if diff is not None:
            diffs.append(diff)
        for arg_name, arg in field.args.items():
            their_arg = other.args.get(arg_name)
            arg_where = f"{where}({arg_name})"
            if their_arg is None:
                diffs.append(Difference(arg_where, "argument", str(arg.type), "missing"))
                continue
            diff = _type_difference(arg_where, arg.type, their_arg.type, renames)
            if diff is not None:
                diffs.append(diff)
        for arg_name, their_arg in other.args.items():
            if arg_name not in field.args:
                required = _required(their_arg)
                diffs.append(Difference(f"{where}({arg_name})", "argument", "absent",
                                        f"{their_arg.type}{' (required)' if required else ''}",
                                        only_in_target=not required))
    for name, other in theirs.items():
        if name not in ours:
            diffs.append(Difference(f"{type_name}.{name}", "field", "absent", str(other.type), only_in_target=True))
    return diffs


def _compare_input_fields(
    type_name: str, ours: dict[str, GraphQLInputField], theirs: dict[str, GraphQLInputField], renames: dict[str, str]
) -> list[Difference]:
    diffs: list[Difference] = []
    for name, field in ours.items():
        where = f"{type_name}.{name}"
        other = theirs.get(name)
        if other is None:
            diffs.append(Difference(where, "input field", str(field.type), "missing"))
            continue
        diff = _type_difference(where, field.type, other.type, renames)
        if diff is not None:
            diffs.append(diff)
    for name, other in theirs.items():
        if name not in ours:
            required = _required(other)
            # A new required input field breaks every client written against the mock.
            diffs.append(Difference(f"{type_name}.{name}", "input field", "absent",
                                    f"{other.type}{' (required)' if required else ''}", only_in_target=not required))
    return diffs
