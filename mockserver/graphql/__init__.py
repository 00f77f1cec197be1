"""The GraphQL surface: an SDL schema read at start-up, thin resolvers, one HTTP endpoint."""

from .endpoint import GraphQLEndpoint
from .schema import build_schema

__all__ = ["GraphQLEndpoint", "build_schema"]
