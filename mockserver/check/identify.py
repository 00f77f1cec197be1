"""Is BASE_URL the Doitong API at all? Decided before anything is compared, so a wrong base URL
(a file server, another service) is one sentence and exit 2, not a table of drift.

An endpoint speaks the API when its REST account read answers in the API's format (the `data`
envelope, or the error format), or else when its GraphQL schema has a root field of ours (or
refuses introspection in the API's error format).
"""

from __future__ import annotations

from . import expectations as expect
from .client import Exchange
from .formats import describe, in_api_format, is_error_format
from .run import Run, dig

ROOT_FIELDS_QUERY = ("query DoitongCheckRoots "
                     "{ __schema { queryType { fields { name } } mutationType { fields { name } } } }")


class NotTheApi(Exception):
    """BASE_URL answers, but not as the Doitong API does."""


def require_the_api(run: Run, account: Exchange) -> None:
    """`account` is the keyed `GET /v1/account`; raises NotTheApi with what was seen."""
    if in_api_format(account):
        return
    seen = f"GET /v1/account answered {describe(account)}"
    graphql = run.client.graphql("POST /graphql root fields", ROOT_FIELDS_QUERY, auth=None)
    verdict = _graphql_verdict(graphql)
    if verdict is None:
        return
    raise NotTheApi(f"{run.options.base_url} does not speak the Doitong API: {seen}, and {verdict}.")


def _graphql_verdict(exchange: Exchange) -> str | None:
    """None when the GraphQL answer is the API's, else what it was."""
    if is_error_format(exchange.json) and exchange.status in (401, 403):
        return None  # introspection refused without a key, as the API refuses
    roots = [dig(exchange.json, f"data.__schema.{kind}.fields") for kind in ("queryType", "mutationType")]
    names = {f.get("name") for fields in roots if isinstance(fields, list) for f in fields if isinstance(f, dict)}
    if not names:
        return f"POST /graphql answered {describe(exchange)}"
    ours = set()
    for root in (expect.schema().query_type, expect.schema().mutation_type):
        ours |= set(root.fields) if root is not None else set()
    if names & ours:
        return None
    theirs = ", ".join(sorted(str(n) for n in names)[:8])
    return f"its GraphQL schema has none of the Doitong root fields (it has: {theirs})"
