"""How `/graphql` over HTTP runs a prepared document: graphql-core's plain executor, which leaves
nothing for the garbage collector.

graphql-core's default executor supports `@defer` and `@stream`, which the schema does not
declare, so the plain `Executor` runs every valid document the same way. Both executors keep
`async_helpers`, bound methods of the executor itself: a reference cycle that holds everything
the execution touched (about 90 objects for a poll, the request and its context included) until
the garbage collector finds it, which cost a sixth of a GraphQL request's time. Once the
operation has run (synchronously: the resolvers never await), the cycle is cut and all of it is
freed at once. `tests/test_dependencies.py` pins the attribute.
"""

from __future__ import annotations

from typing import Any

from graphql import Executor


class AcyclicExecutor(Executor[Any]):
    def execute_operation(self, serially: bool | None = None) -> Any:
        try:
            return super().execute_operation(serially)
        finally:
            self.async_helpers = None  # type: ignore[assignment]
