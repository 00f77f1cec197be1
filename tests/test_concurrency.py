"""Limits and the ledger under real concurrency: many requests at once at a real uvicorn server."""

from __future__ import annotations

import asyncio
from collections import Counter

import httpx
import pytest

from helpers import api_key

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

BODY = {"service": "hedra", "text": "hi", "avatarId": "casual-1"}  # 1 s of speech: 52 credits
COST = 52


@pytest.fixture(scope="module")
def server(server_factory, limits_fixtures):
    return server_factory("--fixtures", str(limits_fixtures), "--seed", "11", "--no-access-log")


async def burst(server, n: int, method: str, path: str, headers: dict, json: dict | None = None) -> list[httpx.Response]:
    limits = httpx.Limits(max_connections=n, max_keepalive_connections=n)
    async with httpx.AsyncClient(base_url=server.base_url, limits=limits, timeout=30) as client:
        return await asyncio.gather(*(client.request(method, path, headers=headers, json=json) for _ in range(n)))


async def account(server, key: str) -> dict:
    async with httpx.AsyncClient(base_url=server.base_url) as client:
        return (await client.get("/v1/account", params={"entries": 1000}, headers=api_key(key))).json()["data"]["account"]


async def test_credits_admit_exactly_what_the_balance_covers(server):
    responses = await burst(server, 60, "POST", "/v1/avatar", api_key("rich"), BODY)
    statuses = Counter(r.status_code for r in responses)
    assert statuses == {200: 1000 // COST, 402: 60 - 1000 // COST}
    for r in responses:
        if r.status_code == 402:
            assert r.json()["errors"][0]["extensions"]["code"] == "INSUFFICIENT_CREDITS"
            assert r.json()["errors"][0]["extensions"]["creditsRequired"] == COST
    credits = (await account(server, "rich"))["credits"]
    assert credits["held"] == (1000 // COST) * COST
    assert credits["held"] + credits["charged"] + credits["available"] == 1000
    assert credits["available"] == 1000 % COST
    assert min(e["availableAfter"] for e in credits["entries"]) >= 0
    assert sum(1 for e in credits["entries"] if e["kind"] == "hold") == 1000 // COST


async def test_concurrency_limit_admits_exactly_the_limit(server):
    responses = await burst(server, 25, "POST", "/v1/avatar", api_key("three-at-once"), BODY)
    assert Counter(r.status_code for r in responses) == {200: 3, 429: 22}
    codes = {r.json()["errors"][0]["extensions"]["code"] for r in responses if r.status_code == 429}
    assert codes == {"CONCURRENCY_LIMIT_EXCEEDED"}
    assert all(r.headers["Retry-After"].isdigit() for r in responses if r.status_code == 429)
    data = await account(server, "three-at-once")
    assert data["usage"]["activeJobs"] == 3 and data["credits"]["held"] == 3 * COST


async def test_per_minute_limit_admits_exactly_the_limit(server):
    responses = await burst(server, 40, "GET", "/v1/catalog", api_key("ten-a-minute"))
    assert Counter(r.status_code for r in responses) == {200: 10, 429: 30}
    remaining = sorted(int(r.headers["X-RateLimit-Remaining"]) for r in responses if r.status_code == 200)
    assert remaining == list(range(10))
    limited = [r for r in responses if r.status_code == 429]
    assert all(r.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED" for r in limited)
    assert all(r.json()["errors"][0]["extensions"]["limit"] == 10 for r in limited)


async def test_daily_limit_admits_exactly_the_limit(server):
    responses = await burst(server, 15, "POST", "/v1/avatar", api_key("five-a-day"), BODY)
    assert Counter(r.status_code for r in responses) == {200: 5, 429: 10}
    assert {r.json()["errors"][0]["extensions"]["code"] for r in responses if r.status_code == 429} == {"DAILY_LIMIT_EXCEEDED"}
    assert (await account(server, "five-a-day"))["usage"]["jobsToday"] == 5


async def test_twenty_concurrent_retries_with_one_key_make_one_job_and_one_hold(server):
    headers = {**api_key("once"), "Idempotency-Key": "burst-1"}
    responses = await burst(server, 20, "POST", "/v1/avatar", headers, BODY)
    assert {r.status_code for r in responses} == {200}
    assert len({r.json()["data"]["avatar"]["id"] for r in responses}) == 1
    assert sum(1 for r in responses if r.headers.get("Idempotent-Replayed") == "true") == 19
    data = await account(server, "once")
    assert data["usage"]["jobsToday"] == 1
    assert [e["kind"] for e in data["credits"]["entries"]].count("hold") == 1
