"""One admission step for every surface: authenticated requests are counted once and every
answer to them carries the rate-limit headers, whatever went wrong with their content."""

from __future__ import annotations

import pytest

from helpers import api_key, bearer

pytestmark = pytest.mark.anyio

RATE_HEADERS = ("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset", "ratelimit-policy", "ratelimit")

BROKEN = {
    "graphql parse error": ("POST", "/graphql", {"json": {"query": "{ account { credits "}}, "GRAPHQL_PARSE_FAILED"),
    "graphql validation error": ("POST", "/graphql", {"json": {"query": "{ account { nope } }"}}, "GRAPHQL_VALIDATION_FAILED"),
    "graphql body not json": ("POST", "/graphql", {"content": b"{", "headers": {"Content-Type": "application/json"}}, "BAD_USER_INPUT"),
    "malformed rest body": ("POST", "/v1/avatar", {"content": b"{", "headers": {"Content-Type": "application/json"}}, "BAD_USER_INPUT"),
    "unknown rest route": ("GET", "/v1/nowhere", {}, "NOT_FOUND"),
    "unknown job": ("GET", "/v1/avatar/nope", {}, "NOT_FOUND"),
}


async def remaining(client, key: str) -> int:
    account = (await client.get("/v1/account", headers=api_key(key))).json()["data"]["account"]
    return account["plan"]["requestsPerMinute"] - account["usage"]["requestsThisMinute"]


@pytest.mark.parametrize("case", list(BROKEN))
async def test_a_broken_request_is_counted_and_answered_with_the_rate_limit_headers(client, case):
    method, path, kwargs, code = BROKEN[case]
    headers = {**kwargs.pop("headers", {}), **bearer("test-free")} if "graphql" in case else {**kwargs.pop("headers", {}), **api_key("test-free")}
    before = await remaining(client, "test-free")
    r = await client.request(method, path, headers=headers, **kwargs)
    assert r.json()["errors"][0]["extensions"]["code"] == code
    assert all(h in r.headers for h in RATE_HEADERS), dict(r.headers)
    assert int(r.headers["x-ratelimit-remaining"]) == before - 1
    assert await remaining(client, "test-free") == before - 2  # this request, then the read


async def test_graphql_and_rest_failures_carry_the_same_headers(client):
    gql = await client.post("/graphql", json={"query": "{"}, headers=bearer("test-starter"))
    rest = await client.post("/v1/avatar", content=b"{", headers={**api_key("test-starter"), "Content-Type": "application/json"})
    assert gql.status_code == rest.status_code == 400
    assert {h: gql.headers[h] for h in RATE_HEADERS if h != "x-ratelimit-remaining" and h != "ratelimit"} == {
        h: rest.headers[h] for h in RATE_HEADERS if h != "x-ratelimit-remaining" and h != "ratelimit"
    }
    assert int(gql.headers["x-ratelimit-remaining"]) == int(rest.headers["x-ratelimit-remaining"]) + 1


async def test_past_the_limit_even_an_unparsable_document_gets_429_before_any_parsing(client):
    for _ in range(10):
        await client.post("/graphql", json={"query": "{"}, headers=bearer("test-free"))
    r = await client.post("/graphql", json={"query": "{"}, headers=bearer("test-free"))
    assert r.status_code == 429
    assert r.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert r.headers["x-ratelimit-remaining"] == "0" and int(r.headers["retry-after"]) > 0


async def test_introspection_without_a_key_is_answered_and_nothing_else_is(client):
    r = await client.post("/graphql", json={"query": "{ __schema { queryType { name } } }"})
    assert r.status_code == 200 and r.json()["data"]["__schema"]["queryType"]["name"] == "Query"
    assert "x-ratelimit-limit" not in r.headers
    r = await client.post("/graphql", json={"query": "{ account { id } }"})
    assert r.status_code == 401 and r.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    r = await client.post("/graphql", json={"query": "{ __schema { queryType { name } } }"}, headers=bearer("wrong"))
    assert r.status_code == 401
