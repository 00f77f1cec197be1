"""Every shared resource has a share per tenant: what one account (or a careless CI system that
makes one per test) does never costs another its keys, its log, its accounts or its numbers."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys

import httpx
import pytest

from mockserver import Settings, create_app

from helpers import api_key, bearer

pytestmark = pytest.mark.anyio

BODY = {"service": "hedra", "text": "Hi there", "avatarId": "professional-1"}


def make_app(**overrides):
    return create_app(Settings(**{"clock": "virtual", "start_time": 1_704_067_200, "render": False, **overrides}))


async def test_an_old_idempotency_key_replays_for_its_24_hours_however_many_keys_follow():
    """The attacker's retry loop: 1 key, then more new keys than the account may hold, then the
    first again two minutes later. Never a second job or a second charge."""
    app = make_app(max_idempotency_keys=20)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://mock") as client:
        key = (await client.post("/_mock/accounts", json={"plan": "enterprise", "credits": 100_000})).json()["key"]
        first = await client.post("/v1/avatar", json=BODY, headers={**api_key(key), "Idempotency-Key": "first"})
        codes = [
            (await client.post("/v1/avatar", json=BODY, headers={**api_key(key), "Idempotency-Key": f"k{i}"})).status_code
            for i in range(25)
        ]
        assert codes == [200] * 19 + [429] * 6
        refused = await client.post("/v1/avatar", json=BODY, headers={**api_key(key), "Idempotency-Key": "k99"})
        error = refused.json()["errors"][0]
        assert error["extensions"] == {"code": "TOO_MANY_IDEMPOTENCY_KEYS", "limit": 20, "retryAfter": 86400}
        assert refused.headers["Retry-After"] == "86400"
        await client.post("/_mock/clock/advance", json={"seconds": 120})
        again = await client.post("/v1/avatar", json=BODY, headers={**api_key(key), "Idempotency-Key": "first"})
        assert again.json()["data"]["avatar"]["id"] == first.json()["data"]["avatar"]["id"]
        assert again.headers["Idempotent-Replayed"] == "true"
        assert (await client.get("/v1/avatar", headers=api_key(key))).json()["data"]["totalCount"] == 20
        assert (await client.post("/v1/avatar", json=BODY, headers=api_key(key))).status_code == 200  # no key: fine
        await client.post("/_mock/clock/advance", json={"seconds": 86400})
        later = await client.post("/v1/avatar", json=BODY, headers={**api_key(key), "Idempotency-Key": "k99"})
        assert later.status_code == 200  # the old keys expired: room again
        other = (await client.post("/_mock/accounts", json={})).json()["key"]
        r = await client.post("/v1/avatar", json=BODY, headers={**api_key(other), "Idempotency-Key": "k0"})
        assert r.status_code == 200  # one account's keys never count against another's


async def test_a_throw_away_account_can_be_deleted_with_everything_of_it(receiver):
    app = make_app()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://mock") as client:
        key = (await client.post("/_mock/accounts", json={"clock": "own"})).json()["key"]
        job = (await client.post("/v1/avatar", json={**BODY, "webhookUrl": receiver.url}, headers=api_key(key))).json()["data"]["avatar"]
        r = await client.delete(f"/_mock/accounts/{key}")
        assert r.status_code == 200 and r.json() == {"deleted": key}
        assert (await client.get(f"/_mock/accounts/{key}")).status_code == 404
        assert (await client.get(f"/_mock/jobs/{job['id']}")).status_code == 404
        assert (await client.get("/v1/account", headers=api_key(key))).status_code == 401
        assert (await client.get(f"/_mock/accounts/{key}/clock")).status_code == 404
        assert (await client.get("/_mock/jobs")).json()["jobs"] == []
        assert (await client.post("/_mock/clock/advance", json={"seconds": 3600})).status_code == 200
        assert receiver.deliveries == []  # its job never finished, so nothing was posted
        again = await client.delete(f"/_mock/accounts/{key}")
        assert again.status_code == 404 and again.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"
        fixture = await client.delete("/_mock/accounts/YOUR_API_KEY")
        assert fixture.status_code == 409 and "fixtures" in fixture.json()["errors"][0]["message"]


async def test_the_accounts_cap_says_how_to_recover():
    from mockserver.core import control as emulator_module

    app = make_app()
    cap = emulator_module.MAX_THROWAWAY_ACCOUNTS
    emulator_module.MAX_THROWAWAY_ACCOUNTS = 3
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://mock") as client:
            keys = [(await client.post("/_mock/accounts", json={})).json()["key"] for _ in range(3)]
            full = await client.post("/_mock/accounts", json={})
            assert full.status_code == 409 and "DELETE /_mock/accounts/" in full.json()["errors"][0]["message"]
            await client.delete(f"/_mock/accounts/{keys[0]}")
            assert (await client.post("/_mock/accounts", json={})).status_code == 201
    finally:
        emulator_module.MAX_THROWAWAY_ACCOUNTS = cap


def test_the_pytest_plugin_deletes_its_accounts_so_a_shared_mock_never_fills_up(tmp_path, live_server):
    (tmp_path / "test_many.py").write_text('''
import pytest


@pytest.mark.parametrize("n", range(30))
def test_one(doitong_mock, n):
    assert doitong_mock.account_info()["ephemeral"] is True
''')
    before = len(httpx.get(f"{live_server.base_url}/_mock/accounts").json()["accounts"])
    # Its own pytest process (not pytester's in-process run, whose undone imports leave httpx
    # mapping another httpcore's exceptions for the tests that follow).
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_many.py",
                          f"--doitong-mock-url={live_server.base_url}"], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0 and "30 passed" in run.stdout, run.stdout[-2000:]
    assert len(httpx.get(f"{live_server.base_url}/_mock/accounts").json()["accounts"]) == before


@pytest.mark.parametrize("credits", [2**31, 10**30])
async def test_credits_past_what_graphql_can_say_are_refused_everywhere(client, tmp_path, credits):
    r = await client.post("/_mock/accounts", json={"credits": credits})
    assert r.status_code == 400 and r.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    r = await client.patch("/_mock/accounts/YOUR_API_KEY", json={"credits": credits})
    assert r.status_code == 400
    (tmp_path / "accounts.yaml").write_text(f"accounts:\n  - {{key: big, plan: pro, credits: {credits}, webhook_secret: s}}\n")
    from mockserver.core.fixtures import FixtureError, load_fixtures

    with pytest.raises(FixtureError) as info:
        load_fixtures(tmp_path)
    assert info.value.key is not None and "credits" in info.value.key


async def test_the_most_credits_an_account_may_hold_read_back_on_graphql():
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=make_app()), base_url="http://mock")
    await client.post("/v1/avatar", json=BODY, headers=api_key())  # 52 held for a job in flight
    r = await client.patch("/_mock/accounts/YOUR_API_KEY", json={"credits": 2**31 - 1})
    assert r.status_code == 400  # available plus held would pass the limit
    held = r.json()
    assert "held" in held["errors"][0]["message"]
    r = await client.patch("/_mock/accounts/YOUR_API_KEY", json={"credits": 2**31 - 1 - 52})
    assert r.status_code == 200
    r = await client.post("/graphql", json={"query": "{ account { credits { balance available held } } }"}, headers=bearer())
    assert r.status_code == 200 and r.json()["data"]["account"]["credits"]["balance"] == 2**31 - 1
    await client.aclose()


async def test_one_tenants_flood_of_requests_never_pushes_another_tenants_out_of_the_journal():
    app = make_app(journal_size=10)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://mock") as client:
        quiet, busy = [(await client.post("/_mock/accounts", json={})).json()["key"] for _ in range(2)]
        await client.get("/v1/account", headers=api_key(quiet))
        for _ in range(30):
            await client.get("/v1/catalog", headers=api_key(busy))
        mine = (await client.get("/_mock/requests", params={"key": quiet})).json()["requests"]
        assert [e["path"] for e in mine] == ["/v1/account"]
        theirs = (await client.get("/_mock/requests", params={"key": busy})).json()["requests"]
        assert len(theirs) == 9 and theirs[-1]["id"] == 31  # the busy one keeps its newest
        everything = (await client.get("/_mock/requests")).json()["requests"]
        assert [e["id"] for e in everything] == [1, *range(23, 32)]  # oldest first, ten in all
        assert (await client.get(f"/_mock/requests/{mine[0]['id']}")).status_code == 200
        assert (await client.get("/_mock/requests/5")).status_code == 404


SUBSCRIPTION = "subscription($id: ID!) { generationUpdated(id: $id) { status progress } }"


async def open_socket(server, key: str):
    from websockets.asyncio.client import connect

    ws = await connect(server.base_url.replace("http://", "ws://") + "/graphql", subprotocols=["graphql-transport-ws"])
    await ws.send(json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {key}"}}))
    assert json.loads(await ws.recv())["type"] == "connection_ack"
    return ws


async def subscribe(ws, operation_id: str, job_id: str) -> dict:
    """The first message the subscription gets: its first `next`, or its `error`."""
    await ws.send(json.dumps({"id": operation_id, "type": "subscribe",
                              "payload": {"query": SUBSCRIPTION, "variables": {"id": job_id}}}))
    return json.loads(await ws.recv())


def server_cpu_seconds(server) -> float:
    fields = open(f"/proc/{server.process.pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@pytest.mark.integration
async def test_live_subscriptions_are_capped_per_connection_and_per_key_and_idle_ones_cost_nothing(server_factory):
    """A client with a valid key opens subscription after subscription on jobs that a virtual
    clock keeps in flight: past 50 on one connection, or 100 for the key, each is refused in the
    protocol's error format; the ones that live wait without costing the server anything."""
    server = server_factory("--clock", "virtual", "--no-render", "--no-access-log")
    async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as http:
        key = (await http.post("/_mock/accounts", json={"plan": "enterprise", "credits": 1_000_000})).json()["key"]
        jobs = [(await http.post("/v1/avatar", json=BODY, headers=api_key(key))).json()["data"]["avatar"]["id"]
                for _ in range(3)]
        sockets = [await open_socket(server, key) for _ in range(3)]
        try:
            for n in range(50):
                assert (await subscribe(sockets[0], f"a{n}", jobs[n % 3]))["type"] == "next"
            refused = await subscribe(sockets[0], "a50", jobs[0])
            assert refused["type"] == "error" and refused["payload"][0]["extensions"]["code"] == "TOO_MANY_SUBSCRIPTIONS"
            for n in range(50):
                assert (await subscribe(sockets[1], f"b{n}", jobs[n % 3]))["type"] == "next"
            refused = await subscribe(sockets[2], "c0", jobs[0])  # the key's 101st, on a fresh connection
            assert refused["type"] == "error" and refused["payload"][0]["extensions"]["code"] == "TOO_MANY_SUBSCRIPTIONS"
            await sockets[0].send(json.dumps({"id": "a0", "type": "complete"}))
            assert (await subscribe(sockets[0], "a51", jobs[0]))["type"] == "next"  # room again, in order

        finally:
            for ws in sockets:
                await ws.close()
        # 1,000 subscriptions (ten keys, twenty connections) wait on a clock that stands still:
        # looking at each job twice a second takes the server's CPU; waiting for a change takes none.
        idle = []
        for _ in range(10):
            other = (await http.post("/_mock/accounts", json={"plan": "enterprise"})).json()["key"]
            job = (await http.post("/v1/avatar", json=BODY, headers=api_key(other))).json()["data"]["avatar"]["id"]
            for half in range(2):
                ws = await open_socket(server, other)
                idle.append(ws)
                for n in range(50):
                    assert (await subscribe(ws, f"{half}-{n}", job))["type"] == "next"
        try:
            before = server_cpu_seconds(server)
            await asyncio.sleep(3)
            used = server_cpu_seconds(server) - before
            assert used < 0.15, f"{used:.2f} s of CPU for 1,000 idle subscriptions"
        finally:
            for ws in idle:
                await ws.close()
        other = (await http.post("/_mock/accounts", json={})).json()["key"]
        job = (await http.post("/v1/avatar", json=BODY, headers=api_key(other))).json()["data"]["avatar"]["id"]
        ws = await open_socket(server, other)
        assert (await subscribe(ws, "1", job))["type"] == "next"  # another key is not held to the first's cap
        await ws.close()


@pytest.mark.integration
def test_one_tenants_long_videos_never_hold_another_tenants_short_one_behind_them(server_factory, tmp_path):
    """Tenant A completes four 30-second videos at once; tenant B then fetches its 1-second one.
    B's render goes next after the one of A's in progress when B's request is queued (renders
    hold the interpreter, so that may be A's second): B has its video before A has all four,
    where a first-come queue would make all of A's first."""
    media = tmp_path / "media"
    server = server_factory("--clock", "virtual", "--media-dir", str(media), "--no-access-log")
    with httpx.Client(base_url=server.base_url, timeout=120) as http:
        busy, quiet = [http.post("/_mock/accounts", json={"clock": "own"}).json()["key"] for _ in range(2)]
        for n in range(4):
            long_text = " ".join(f"word{n}x{i}" for i in range(75))  # 30 s of speech
            assert http.post("/v1/avatar", json={**BODY, "text": long_text}, headers=api_key(busy)).status_code == 200
        short = http.post("/v1/avatar", json={**BODY, "text": "Hi."}, headers=api_key(quiet)).json()["data"]["avatar"]
        http.post(f"/_mock/accounts/{busy}/clock/advance", json={"seconds": 600})  # four renders queued at once
        http.post(f"/_mock/accounts/{quiet}/clock/advance", json={"seconds": 600})
        video = http.get(f"/outputs/{short['id']}.mp4")
        assert video.status_code == 200 and video.headers["content-type"] == "video/mp4"
        made = sorted(media.glob("*.mp4"), key=lambda p: p.stat().st_mtime)
        assert len(made) < 5, [(p.name[:12], p.stat().st_size) for p in made]
