"""A clock per account: a throw-away account made with `"clock": "own"` lives in its own time."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
from websockets.asyncio.client import connect

from mockserver import Settings, create_app

from helpers import advance, api_key, bearer

pytestmark = pytest.mark.anyio

START = 1_704_067_200  # 2024-01-01T00:00:00Z
BODY = {"service": "hedra", "text": "Hello, welcome to our platform!", "avatarId": "professional-1"}


@pytest.fixture
def app(limits_fixtures):
    return create_app(Settings(clock="virtual", start_time=START, fixtures=limits_fixtures, seed=4, render=False))


async def own_account(client, plan: str = "pro", **extra) -> str:
    r = await client.post("/_mock/accounts", json={"plan": plan, "credits": 100_000, "clock": "own", **extra})
    assert r.status_code == 201, r.text
    assert r.json()["clock"]["own"] is True
    return r.json()["key"]


async def submit(client, key: str, **extra) -> dict:
    r = await client.post("/v1/avatar", json={**BODY, **extra}, headers=api_key(key))
    assert r.status_code == 200, r.text
    return r.json()["data"]["avatar"]


async def job(client, key: str, job_id: str) -> dict:
    return (await client.get(f"/v1/avatar/{job_id}", headers=api_key(key))).json()["data"]["avatar"]


async def test_an_own_clock_starts_at_the_servers_time_and_moves_only_for_its_account(app, client):
    key = await own_account(client)
    other = await own_account(client)
    clock = (await client.get(f"/_mock/accounts/{key}/clock")).json()
    assert clock["now"] == START and clock["mode"] == "virtual" and clock["own"] is True
    mine, theirs, shared = await submit(client, key), await submit(client, other), await submit(client, "YOUR_API_KEY")
    moved = await advance(client, 3600, key=key)
    assert moved["now"] == START + 3600 and moved["ran"] == 1 and moved["nextDueAt"] is None
    assert (await job(client, key, mine["id"]))["status"] == "completed"
    assert (await job(client, key, mine["id"]))["completedAt"] == "2024-01-01T00:10:00Z"  # at its own time
    assert (await job(client, other, theirs["id"]))["status"] == "processing"
    assert (await job(client, "YOUR_API_KEY", shared["id"]))["status"] == "processing"
    assert (await client.get("/_mock/clock")).json()["now"] == START
    await advance(client, 3600)  # the server's clock moves no one's own clock
    assert (await job(client, "YOUR_API_KEY", shared["id"]))["status"] == "completed"
    assert (await job(client, other, theirs["id"]))["status"] == "processing"
    assert (await client.get(f"/_mock/accounts/{other}/clock")).json()["now"] == START


async def test_an_accounts_rate_limit_window_and_headers_follow_its_clock(app, client):
    key = await own_account(client, plan="ten")
    await advance(client, 1000, key=key)
    for _ in range(10):
        r = await client.get("/v1/account", headers=api_key(key))
        assert r.status_code == 200
    assert r.headers["X-RateLimit-Reset"] == str(START + 1000 + 60)
    assert r.headers["RateLimit"] == '"minute";r=0;t=60'
    r = await client.get("/v1/account", headers=api_key(key))
    assert r.status_code == 429 and r.headers["Retry-After"] == "60"
    await advance(client, 600)  # the server's clock: not this account's window
    assert (await client.get("/v1/account", headers=api_key(key))).status_code == 429
    await advance(client, 60, key=key)
    r = await client.get("/v1/account", headers=api_key(key))
    assert r.status_code == 200 and r.headers["X-RateLimit-Remaining"] == "9"
    usage = r.json()["data"]["account"]["usage"]
    assert usage["minuteResetsAt"] == "2024-01-01T00:18:40Z"


async def test_an_accounts_daily_count_idempotency_keys_and_ledger_follow_its_clock(app, client):
    key = await own_account(client, plan="five")
    first = (await client.post("/v1/avatar", json=BODY, headers={**api_key(key), "Idempotency-Key": "k"})).json()
    for _ in range(4):
        await submit(client, key)
    r = await client.post("/v1/avatar", json=BODY, headers=api_key(key))
    assert r.status_code == 429 and r.json()["errors"][0]["extensions"]["code"] == "DAILY_LIMIT_EXCEEDED"
    await advance(client, 2 * 86400)  # the server's day changes, this account's does not
    assert (await client.post("/v1/avatar", json=BODY, headers=api_key(key))).status_code == 429
    await advance(client, 86400, key=key)
    replay = await client.post("/v1/avatar", json=BODY, headers={**api_key(key), "Idempotency-Key": "k"})
    assert replay.json()["data"]["avatar"]["id"] != first["data"]["avatar"]["id"]  # the key's 24 h are over
    entries = (await client.get(f"/_mock/accounts/{key}")).json()["credits"]["entries"]
    assert entries[0]["at"] == "2024-01-02T00:00:00Z" and entries[-1]["at"] == "2024-01-01T00:00:00Z"


async def test_next_runs_the_accounts_next_event_and_speed_is_its_own(app, client):
    key = await own_account(client)
    created = await submit(client, key)
    moved = (await client.post(f"/_mock/accounts/{key}/clock/advance", json={"next": True})).json()
    assert moved["ran"] == 1 and (await job(client, key, created["id"]))["status"] == "completed"
    r = await client.patch(f"/_mock/accounts/{key}/clock", json={"speed": "instant"})
    assert r.status_code == 200 and r.json()["speed"] == "instant"
    assert (await client.get("/_mock/clock")).json()["speed"] == "realtime"
    instant = await submit(client, key)
    assert (await job(client, key, instant["id"]))["status"] == "completed"
    slow = await submit(client, "YOUR_API_KEY")
    assert (await job(client, "YOUR_API_KEY", slow["id"]))["status"] == "processing"


@pytest.mark.parametrize(
    ("path", "body", "status", "code"),
    [
        ("/_mock/accounts/nobody/clock/advance", {"seconds": 1}, 404, "NOT_FOUND"),
        ("/_mock/accounts/nobody/clock", None, 404, "NOT_FOUND"),
        ("/_mock/accounts/{key}/clock/advance", {"seconds": -1}, 400, "BAD_USER_INPUT"),
        ("/_mock/accounts/{key}/clock/advance", {"seconds": "ten"}, 400, "BAD_USER_INPUT"),
        ("/_mock/accounts/{key}/clock/advance", {"seconds": 40_000_000_000}, 400, "BAD_USER_INPUT"),
        ("/_mock/accounts/{key}/clock/advance", {"seconds": 1, "next": True}, 400, "BAD_USER_INPUT"),
        ("/_mock/accounts/{key}/clock/advance", {"minutes": 1}, 400, "BAD_USER_INPUT"),
        ("/_mock/accounts/YOUR_API_KEY/clock/advance", {"seconds": 1}, 409, "CONFLICT"),
    ],
)
async def test_bad_clock_requests_are_4xx_in_the_apis_format(app, client, path, body, status, code):
    key = await own_account(client)
    url = path.format(key=key)
    r = await (client.get(url) if body is None else client.post(url, json=body))
    assert r.status_code == status, r.text
    assert r.json()["errors"][0]["extensions"]["code"] == code
    assert (await client.get(f"/_mock/accounts/{key}/clock")).json()["now"] == START  # nothing moved


async def test_past_the_year_3000_or_a_bad_speed_is_refused(app, client):
    key = await own_account(client)
    await advance(client, 9 * 365 * 86400, key=key)
    for _ in range(100):
        r = await client.post(f"/_mock/accounts/{key}/clock/advance", json={"seconds": 10 * 365 * 86400})
        if r.status_code != 200:
            break
    assert r.status_code == 400 and "3000" in r.json()["errors"][0]["message"]
    r = await client.patch(f"/_mock/accounts/{key}/clock", json={"speed": "warp"})
    assert r.status_code == 400 and r.json()["errors"][0]["extensions"]["field"] == "speed"
    r = await client.patch("/_mock/accounts/YOUR_API_KEY/clock", json={"speed": 2})
    assert r.status_code == 409


async def test_concurrent_advances_of_one_clock_add_up_and_other_clocks_stay(app, client):
    keys = [await own_account(client) for _ in range(3)]
    jobs = {key: await submit(client, key) for key in keys}
    await asyncio.gather(*(advance(client, 30, key=keys[0]) for _ in range(20)), advance(client, 7, key=keys[1]))
    clocks = [(await client.get(f"/_mock/accounts/{key}/clock")).json()["now"] for key in keys]
    assert clocks == [START + 600, START + 7, START]
    assert (await job(client, keys[0], jobs[keys[0]]["id"]))["status"] == "completed"
    assert (await job(client, keys[2], jobs[keys[2]]["id"]))["status"] == "processing"


async def test_graphql_answers_on_the_accounts_clock(app, client):
    key = await own_account(client)
    await advance(client, 86400, key=key)
    query = "mutation($i: AvatarGenerationInput!) { generateAvatar(input: $i) { id createdAt status } }"
    r = await client.post("/graphql", json={"query": query, "variables": {"i": BODY}}, headers=bearer(key))
    made = r.json()["data"]["generateAvatar"]
    assert made["createdAt"] == "2024-01-02T00:00:00Z"
    await advance(client, 600, key=key)
    r = await client.post("/graphql", json={"query": f'{{ generation(id: "{made["id"]}") {{ status completedAt }} }}'},
                          headers=bearer(key))
    assert r.json()["data"]["generation"]["status"] == "completed"


async def test_advancing_an_accounts_clock_is_an_account_event_not_a_clock_event(app, client):
    """The inspector's top bar shows the server's clock: an account's own clock moves its row."""
    key = await own_account(client)
    follower = app.state.feed.follow(kinds=["clock", "account"])
    await advance(client, 30, key=key)
    await advance(client, 1)
    seen = []
    while (message := await follower.get(0)) is not None:
        seen.append((message.kind, json.loads(message.data)))
    follower.close()
    [(kind, data), (server_kind, server)] = seen
    assert kind == "account" and data["account"]["key"] == key
    assert data["account"]["clock"] == {**data["account"]["clock"], "own": True, "now": START + 30}
    assert server_kind == "clock" and server["clock"]["now"] == START + 1 and server["clock"]["own"] is False


async def test_reset_takes_own_clocks_with_their_accounts(app, client):
    key = await own_account(client)
    await advance(client, 100, key=key)
    await client.post("/_mock/reset")
    assert (await client.get(f"/_mock/accounts/{key}/clock")).status_code == 404
    assert (await client.get("/_mock/clock")).json()["now"] == START


async def test_a_subscription_over_websocket_follows_the_accounts_clock(server_factory):
    server = server_factory("--clock", "virtual", "--no-render", "--no-access-log")
    async with httpx.AsyncClient(base_url=server.base_url) as http:
        key = await own_account(http)
        made = await submit(http, key)
        ws_url = server.base_url.replace("http://", "ws://") + "/graphql"
        async with connect(ws_url, subprotocols=["graphql-transport-ws"]) as ws:
            await ws.send(json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {key}"}}))
            assert json.loads(await ws.recv())["type"] == "connection_ack"
            query = "subscription($id: ID!) { generationUpdated(id: $id) { status progress } }"
            await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": query, "variables": {"id": made["id"]}}}))
            first = json.loads(await ws.recv())["payload"]["data"]["generationUpdated"]
            assert first == {"status": "processing", "progress": 0.0}
            await advance(http, 3600, key=key)
            seen = []
            while (message := json.loads(await ws.recv()))["type"] == "next":
                seen.append(message["payload"]["data"]["generationUpdated"]["status"])
            assert message["type"] == "complete" and seen[-1] == "completed"
