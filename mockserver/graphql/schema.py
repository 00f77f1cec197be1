"""Builds the executable schema from `schema.graphql` and the resolvers."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from ariadne import load_schema_from_path, make_executable_schema
from graphql import GraphQLSchema

from .resolvers import bindables

SCHEMA_PATH = Path(__file__).with_name("schema.graphql")


@cache
def build_schema() -> GraphQLSchema:
    """The schema holds no state (resolvers reach the emulator through the context),
    so every app in the process can share one."""
    return make_executable_schema(load_schema_from_path(str(SCHEMA_PATH)), *bindables)
