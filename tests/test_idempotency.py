"""Idempotency-Key on job creation."""

from __future__ import annotations

import pytest

from mockserver import Settings, create_app

from helpers import advance, api_key, bearer

pytestmark = pytest.mark.anyio

BODY = {"service": "hedra", "text": "hi", "avatarId": "casual-1"}


@pytest.fixture
def app(limits_fixtures):
    return create_app(Settings(clock="virtual", start_time=0, fixtures=limits_fixtures, seed=4))


def keyed(key: str, account: str = "once") -> dict[str, str]:
    return {**api_key(account), "Idempotency-Key": key}


async def test_a_retry_returns_the_original_job_and_charges_nothing(client):
    first = await client.post("/v1/avatar", json=BODY, headers=keyed("k1"))
    second = await client.post("/v1/avatar", json=BODY, headers=keyed("k1"))
    assert first.json()["data"]["avatar"]["id"] == second.json()["data"]["avatar"]["id"]
    assert "Idempotent-Replayed" not in first.headers
    assert second.headers["Idempotent-Replayed"] == "true"
    account = (await client.get("/v1/account", headers=api_key("once"))).json()["data"]["account"]
    assert account["credits"]["held"] == 52 and account["usage"]["jobsToday"] == 1


async def test_the_same_key_with_another_body_is_a_409(client):
    first = await client.post("/v1/avatar", json=BODY, headers=keyed("k2"))
    r = await client.post("/v1/avatar", json={**BODY, "text": "something else"}, headers=keyed("k2"))
    assert r.status_code == 409
    error = r.json()["errors"][0]
    assert error["extensions"]["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert error["extensions"]["jobId"] == first.json()["data"]["avatar"]["id"]


async def test_keys_belong_to_one_account_and_expire_after_a_day(app, client):
    a = (await client.post("/v1/avatar", json=BODY, headers=keyed("k3"))).json()["data"]["avatar"]["id"]
    b = (await client.post("/v1/avatar", json=BODY, headers=keyed("k3", "rich"))).json()["data"]["avatar"]["id"]
    assert a != b
    await advance(client, 24 * 3600 + 1)
    c = (await client.post("/v1/avatar", json=BODY, headers=keyed("k3"))).json()["data"]["avatar"]["id"]
    assert c != a


async def test_graphql_mutations_honour_the_key(client):
    query = "mutation($i: AvatarGenerationInput!) { generateAvatar(input: $i) { id } }"
    payload = {"query": query, "variables": {"i": BODY}}
    headers = {**bearer("once"), "Idempotency-Key": "g1"}
    one = (await client.post("/graphql", json=payload, headers=headers)).json()["data"]["generateAvatar"]["id"]
    r = await client.post("/graphql", json=payload, headers=headers)
    assert r.json()["data"]["generateAvatar"]["id"] == one and r.headers["Idempotent-Replayed"] == "true"


async def test_a_rejected_request_is_not_remembered(client):
    r = await client.post("/v1/avatar", json={**BODY, "avatarId": "ghost"}, headers=keyed("k4"))
    assert r.status_code == 400
    assert (await client.post("/v1/avatar", json=BODY, headers=keyed("k4"))).status_code == 200


async def test_an_unprintable_key_is_a_400(client):
    r = await client.post("/v1/avatar", json=BODY, headers=keyed("x" * 300))
    assert r.status_code == 400 and r.json()["errors"][0]["extensions"]["field"] == "Idempotency-Key"
