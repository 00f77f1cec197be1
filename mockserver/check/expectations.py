"""What the checker expects, read from what the mock itself serves: the SDL of
`graphql/schema.graphql`, the OpenAPI document of `wire/openapi.py`, the error classes of
`core/errors.py`, the header names of `core/ratelimits.py` and `core/webhooks.py`, the job states of
`core/jobs.py`, and the bundled fixtures for the document's tables (prices, plans, the avatar and
voice its snippets use). Nothing here is written twice, so the checker and the mock cannot drift
from each other; only the list of what the mock adds for tests alone lives here.

None of it imports the server (starlette, uvicorn, ariadne): the checker is a client.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from graphql import GraphQLSchema, build_schema

import mockserver

from ..core import errors
from ..core.errors import RETRY_AFTER
from ..core.fixtures import Fixtures, load_fixtures
from ..core.inputs import JOB_TYPE
from ..core.jobs import ACTIVE, COMPLETED, FINAL, STATUSES
from ..core.ratelimits import LIMIT_HEADER, POLICY_FIELD, RATELIMIT_FIELD, REMAINING_HEADER, RESET_HEADER
from ..core.webhooks import (
    DELIVERY_HEADER,
    EVENT_HEADER,
    METADATA_FIELDS,
    PAYLOAD_FIELDS,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    event_name,
)

SCHEMA_PATH = Path(mockserver.__file__).resolve().parent / "graphql" / "schema.graphql"

MOCK_ONLY_TYPES = frozenset({"WebhookDelivery", "WebhookAttempt"})
"""Parts of the schema that are the mock's test aids (its webhook delivery log), not a claim about
the real API: not expected of the target."""
MOCK_ONLY_FIELDS = frozenset({("Generation", "deliveries")})

UNAUTHENTICATED = errors.Unauthenticated
BAD_USER_INPUT = errors.BadUserInput
NOT_FOUND = errors.NotFound
FORBIDDEN = errors.Forbidden
TOO_MANY_REQUESTS_CODES = frozenset(
    {errors.RateLimited.code, errors.ConcurrencyLimitExceeded.code, errors.DailyLimitExceeded.code}
)

RATE_LIMIT_HEADERS = (LIMIT_HEADER, REMAINING_HEADER, RESET_HEADER)
IETF_FIELDS = (POLICY_FIELD, RATELIMIT_FIELD)
WEBHOOK_HEADERS = (SIGNATURE_HEADER, DELIVERY_HEADER, TIMESTAMP_HEADER, EVENT_HEADER)

__all__ = [
    "ACTIVE", "BAD_USER_INPUT", "COMPLETED", "DELIVERY_HEADER", "DOC_AVATAR", "DOC_VOICE", "EVENT_HEADER", "FINAL",
    "FORBIDDEN", "IETF_FIELDS", "JOB_TYPE", "LIMIT_HEADER", "METADATA_FIELDS", "MOCK_ONLY_FIELDS", "MOCK_ONLY_TYPES",
    "NOT_FOUND", "PAYLOAD_FIELDS", "RATE_LIMIT_HEADERS", "REMAINING_HEADER", "RESET_HEADER", "RETRY_AFTER",
    "SHORTEST_TEXT", "SIGNATURE_HEADER", "STATUSES", "TIMESTAMP_HEADER", "TOO_MANY_REQUESTS_CODES",
    "UNAUTHENTICATED", "WEBHOOK_HEADERS", "documented_statuses", "event_name", "fixtures", "openapi",
    "openapi_schema", "plan_limits", "provider", "schema", "tier_for",
]

DOC_AVATAR = "professional-1"
DOC_VOICE = "en-US-neural"
"""The avatar and voice of the document's snippets: the contract has the mock serve them."""
SHORTEST_TEXT = "Hi."
"""The text of the cheapest job: the shortest speech the price table bills."""


@cache
def schema() -> GraphQLSchema:
    """The SDL the mock serves (`MOCK_ONLY_*` are left out where it is compared or queried)."""
    return build_schema(SCHEMA_PATH.read_text())


@cache
def openapi() -> dict[str, Any]:
    """The document the mock serves on its bundled fixtures (the base URL does not matter here)."""
    from ..core.fixtures import load_fixtures
    from ..wire.openapi import openapi as document

    return document(load_fixtures(), "")


def openapi_schema(path: str, method: str, status: int) -> dict[str, Any] | None:
    """The JSON schema of an answer the OpenAPI document describes, or None."""
    operation = openapi()["paths"].get(path, {}).get(method.lower())
    if operation is None:
        return None
    response = operation["responses"].get(str(status))
    if response is None:
        return None
    schema: dict[str, Any] = response["content"]["application/json"]["schema"]
    return schema


def documented_statuses(path: str, method: str) -> list[int]:
    operation = openapi()["paths"].get(path, {}).get(method.lower(), {})
    return sorted(int(code) for code in operation.get("responses", {}))


@cache
def fixtures() -> Fixtures:
    """The bundled fixtures: the document's price and plan tables, its avatar and voice."""
    return load_fixtures(None)


def provider() -> str:
    return fixtures().provider.name


def tier_for(duration: float) -> tuple[str, int, int] | None:
    """(name, min credits, max credits) of the price tier a speech duration falls in."""
    for tier in fixtures().pricing.tiers:
        if duration <= tier.up_to_seconds:
            return tier.name, tier.min_credits, tier.max_credits
    return None


def plan_limits(plan_id: str) -> dict[str, int | None] | None:
    """The document's limits for a plan it names (Free, Starter, Pro); None for Enterprise
    ("Custom") and plans it does not name."""
    plan = fixtures().plans.get(plan_id.lower())
    if plan is None or plan.requests_per_minute is None:
        return None
    return {
        "requestsPerMinute": plan.requests_per_minute,
        "concurrentJobs": plan.concurrent_jobs,
        "dailyJobs": plan.daily_jobs,
    }
