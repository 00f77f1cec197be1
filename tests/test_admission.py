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


# The same admission step on every surface: REST, GraphQL over HTTP, and each operation over
# WebSocket (a real server: the WebSocket needs one).

SURFACES = ("rest", "graphql", "websocket")
ACCOUNT_QUERY = "query Account { account { name } }"


async def ask(server, surface: str, key: str) -> dict:
    """One request for the account on a surface: its status (or the WebSocket's refusal) and
    its first error's code, if any."""
    import json

    import httpx
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosedError

    if surface == "rest":
        r = httpx.get(f"{server.base_url}/v1/account", headers=api_key(key))
        return {"status": r.status_code, "code": r.json()["errors"][0]["extensions"]["code"] if r.status_code >= 400 else None}
    if surface == "graphql":
        r = httpx.post(server.graphql_url, json={"query": ACCOUNT_QUERY}, headers=bearer(key))
        return {"status": r.status_code, "code": r.json()["errors"][0]["extensions"]["code"] if "errors" in r.json() else None}
    url = server.base_url.replace("http://", "ws://") + "/graphql"
    async with connect(url, subprotocols=["graphql-transport-ws"]) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {key}"}}))
        try:
            json.loads(await ws.recv())  # connection_ack
        except ConnectionClosedError as closed:
            return {"status": closed.rcvd.code if closed.rcvd else None, "code": closed.rcvd.reason if closed.rcvd else None}
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": ACCOUNT_QUERY}}))
        message = json.loads(await ws.recv())
    if message["type"] == "error":
        return {"status": None, "code": message["payload"][0]["extensions"]["code"]}
    return {"status": 200, "code": None}


@pytest.fixture(scope="module")
def live(server_factory):
    return server_factory("--clock", "virtual", "--no-render", "--no-access-log")


@pytest.mark.integration
@pytest.mark.parametrize("surface", SURFACES)
async def test_every_surface_counts_each_request_against_the_same_minute(live, surface):
    import httpx

    key = httpx.post(f"{live.base_url}/_mock/accounts", json={"plan": "free", "clock": "own"}).json()["key"]
    for _ in range(10):  # the Free plan's minute
        assert (await ask(live, surface, key))["code"] is None
    assert (await ask(live, surface, key))["code"] == "RATE_LIMITED"
    usage = httpx.get(f"{live.base_url}/_mock/accounts/{key}").json()["usage"]
    assert usage["requestsThisMinute"] == 10


@pytest.mark.integration
@pytest.mark.parametrize("surface", SURFACES)
async def test_an_injected_fault_meets_its_operation_on_every_surface(live, surface):
    """A fault for the `Account` operation (or the account route) answers it whatever carries
    it, a subscription's operation over WebSocket included."""
    import httpx

    key = httpx.post(f"{live.base_url}/_mock/accounts", json={"clock": "own"}).json()["key"]
    match = {"key": key, "path": "/v1/account"} if surface == "rest" else {"key": key, "surface": "graphql", "operation": "Account"}
    r = httpx.post(f"{live.base_url}/_mock/faults", json={"status": 503, "count": 1, "match": match})
    assert r.status_code == 201
    assert (await ask(live, surface, key))["code"] == "SERVICE_UNAVAILABLE"
    assert (await ask(live, surface, key))["code"] is None  # used up


@pytest.mark.integration
@pytest.mark.parametrize("surface", SURFACES)
async def test_an_unknown_key_is_refused_on_every_surface(live, surface):
    answer = await ask(live, surface, "nobody")
    if surface == "websocket":
        assert answer == {"status": 4403, "code": "Invalid API key"}  # connection_init refused
    else:
        assert (answer["status"], answer["code"]) == (401, "UNAUTHENTICATED")
