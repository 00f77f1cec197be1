"""Plan limits and rate-limit headers, in process on a virtual clock."""

from __future__ import annotations

import httpx
import pytest

from mockserver import Settings, create_app

from helpers import advance, api_key, bearer

pytestmark = pytest.mark.anyio

START = 1704067200  # 2024-01-01T00:00:00Z
BODY = {"service": "hedra", "text": "hi", "avatarId": "casual-1"}


@pytest.fixture
def app(limits_fixtures):
    return create_app(Settings(clock="virtual", start_time=START, fixtures=limits_fixtures, seed=1))


async def test_remaining_counts_down_and_resets_when_the_window_passes(app, client):
    seen = []
    for _ in range(3):
        r = await client.get("/v1/account", headers=api_key("ten-a-minute"))
        seen.append((r.headers["X-RateLimit-Limit"], r.headers["X-RateLimit-Remaining"], r.headers["X-RateLimit-Reset"]))
        await advance(client, 10)
    assert seen == [("10", "9", str(START + 60)), ("10", "8", str(START + 60)), ("10", "7", str(START + 60))]
    await advance(client, 30)  # 60 s after the first request
    r = await client.get("/v1/account", headers=api_key("ten-a-minute"))
    assert (r.headers["X-RateLimit-Remaining"], r.headers["X-RateLimit-Reset"]) == ("9", str(START + 120))


async def test_the_eleventh_request_in_a_minute_is_a_429_with_retry_after(app, client):
    for _ in range(10):
        assert (await client.get("/v1/account", headers=api_key("ten-a-minute"))).status_code == 200
        await advance(client, 1)
    r = await client.post("/graphql", json={"query": "{ account { name } }"}, headers=bearer("ten-a-minute"))
    assert r.status_code == 429
    error = r.json()["errors"][0]
    assert error["extensions"] == {"code": "RATE_LIMITED", "limit": 10, "retryAfter": 50}
    assert r.headers["Retry-After"] == "50"
    assert r.headers["X-RateLimit-Remaining"] == "0"
    assert r.headers["X-RateLimit-Reset"] == str(START + 60)
    await advance(client, 50)
    assert (await client.get("/v1/account", headers=api_key("ten-a-minute"))).status_code == 200


async def test_errors_carry_the_headers_too_on_both_surfaces(app, client):
    r = await client.post("/v1/avatar", json={"service": "nope"}, headers=api_key("free"))
    assert r.status_code == 400 and r.headers["X-RateLimit-Remaining"] == "9"
    r = await client.post("/graphql", json={"query": '{ avatar(id: "x") { id } }'}, headers=bearer("free"))
    assert r.status_code == 404 and r.headers["X-RateLimit-Remaining"] == "8"


async def test_ietf_fields_list_every_quota_and_the_tightest_one(app, client):
    r = await client.get("/v1/account", headers=api_key("free"))
    assert r.headers["RateLimit-Policy"] == '"minute";q=10;w=60, "concurrent";q=1, "daily";q=100;w=86400'
    assert r.headers["RateLimit"] == '"minute";r=9;t=60'
    await client.post("/v1/avatar", json=BODY, headers=api_key("free"))
    r = await client.get("/v1/account", headers=api_key("free"))
    assert r.headers["RateLimit"] == '"concurrent";r=0'


async def test_unlimited_plans_send_no_rate_limit_headers(app, client):
    r = await client.get("/v1/account", headers=api_key("rich"))
    assert "X-RateLimit-Limit" not in r.headers and "RateLimit" not in r.headers


async def test_unauthenticated_answers_carry_no_rate_limit_headers(client):
    r = await client.get("/v1/account", headers=api_key("nobody"))
    assert r.status_code == 401 and "X-RateLimit-Limit" not in r.headers


async def test_concurrency_limit_frees_up_when_a_job_finishes(app, client):
    for _ in range(3):
        assert (await client.post("/v1/avatar", json=BODY, headers=api_key("three-at-once"))).status_code == 200
    r = await client.post("/v1/avatar", json=BODY, headers=api_key("three-at-once"))
    assert r.status_code == 429
    assert r.json()["errors"][0]["extensions"] == {"code": "CONCURRENCY_LIMIT_EXCEEDED", "limit": 3, "retryAfter": 600}
    assert r.headers["Retry-After"] == "600"
    await advance(client, 600)
    assert (await client.post("/v1/avatar", json=BODY, headers=api_key("three-at-once"))).status_code == 200


async def test_daily_limit_resets_at_utc_midnight_and_rejections_cost_no_quota(app, client):
    for _ in range(5):
        assert (await client.post("/v1/avatar", json=BODY, headers=api_key("five-a-day"))).status_code == 200
    r = await client.post("/v1/avatar", json=BODY, headers=api_key("five-a-day"))
    assert r.status_code == 429
    assert r.json()["errors"][0]["extensions"] == {"code": "DAILY_LIMIT_EXCEEDED", "limit": 5, "retryAfter": 86400}
    usage = (await client.get("/v1/account", headers=api_key("five-a-day"))).json()["data"]["account"]["usage"]
    assert usage["jobsToday"] == 5 and usage["dayResetsAt"] == "2024-01-02T00:00:00Z"
    await advance(client, 86400)
    assert (await client.post("/v1/avatar", json=BODY, headers=api_key("five-a-day"))).status_code == 200


async def test_a_402_or_400_costs_no_daily_quota_and_holds_nothing(client):
    long_text = " ".join(["word"] * 75)
    r = await client.post("/v1/avatar", json={**BODY, "text": long_text}, headers=api_key("test-broke"))
    assert r.status_code == 402
    r = await client.post("/v1/avatar", json={**BODY, "avatarId": "ghost"}, headers=api_key("test-broke"))
    assert r.status_code == 400
    account = (await client.get("/v1/account", headers=api_key("test-broke"))).json()["data"]["account"]
    assert account["usage"]["jobsToday"] == 0 and account["usage"]["activeJobs"] == 0
    assert account["credits"]["held"] == 0 and account["credits"]["available"] == 50
    assert [e["kind"] for e in account["credits"]["entries"]] == ["initial"]


async def test_the_documents_error_example_on_graphql(client):
    query = "mutation($i: AvatarGenerationInput!) { generateAvatar(input: $i) { id } }"
    variables = {"i": {"service": "hedra", "text": " ".join(["word"] * 75), "avatarId": "professional-1"}}
    r = await client.post("/graphql", json={"query": query, "variables": variables}, headers=bearer("test-broke"))
    assert r.status_code == 402
    assert r.json()["errors"][0]["message"] == "Insufficient credits for this operation"
    assert r.json()["errors"][0]["extensions"] == {"code": "INSUFFICIENT_CREDITS", "creditsRequired": 100, "creditsAvailable": 50}
    assert r.json().get("data") is None


async def test_two_apps_keep_separate_counters(limits_fixtures):
    apps = [create_app(Settings(clock="virtual", start_time=START, fixtures=limits_fixtures)) for _ in range(2)]
    remaining = []
    for app in apps:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://m") as c:
            for _ in range(3):
                r = await c.get("/v1/account", headers=api_key("ten-a-minute"))
            remaining.append(r.headers["X-RateLimit-Remaining"])
    assert remaining == ["7", "7"]
