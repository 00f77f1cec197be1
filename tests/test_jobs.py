"""Job lifecycle on a virtual clock: every transition at its time, none before."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import httpx
import pytest

from mockserver import Settings, create_app

from helpers import advance, api_key

pytestmark = pytest.mark.anyio

BODY = {"service": "hedra", "text": "Hello, welcome to our platform!", "avatarId": "professional-1"}


@pytest.fixture
def fixtures_dir(tmp_path: Path) -> Path:
    (tmp_path / "processing.yaml").write_text(
        "queue_seconds: 5\nbase_seconds: 10\nseconds_per_speech_second: 0\njitter: 0\n"
    )
    return tmp_path


@pytest.fixture
def app(fixtures_dir):
    return create_app(Settings(clock="virtual", start_time=1704067200, fixtures=fixtures_dir, seed=3))


async def get(client, job_id):
    return (await client.get(f"/v1/avatar/{job_id}", headers=api_key())).json()["data"]["avatar"]


async def test_lifecycle_follows_the_clock(app, client):
    created = (await client.post("/v1/avatar", json=BODY, headers=api_key())).json()["data"]["avatar"]
    assert created["status"] == "queued" and created["progress"] == 0
    assert created["createdAt"] == "2024-01-01T00:00:00Z"
    await advance(client, 4.9)
    assert (await get(client, created["id"]))["status"] == "queued"
    await advance(client, 0.1)
    job = await get(client, created["id"])
    assert job["status"] == "processing" and job["startedAt"] == "2024-01-01T00:00:05Z"
    progress = []
    for _ in range(4):
        await advance(client, 2)
        progress.append((await get(client, created["id"]))["progress"])
    assert progress == [0.2, 0.4, 0.6, 0.8]
    await advance(client, 2)
    job = await get(client, created["id"])
    assert job["status"] == "completed" and job["progress"] == 1.0
    assert job["completedAt"] == "2024-01-01T00:00:15Z"


async def test_a_jump_over_many_transitions_stamps_each_at_its_own_time(app, client):
    ids = []
    for _ in range(3):
        ids.append((await client.post("/v1/avatar", json=BODY, headers=api_key())).json()["data"]["avatar"]["id"])
        await advance(client, 1)
    await advance(client, 3600)
    jobs = [await get(client, i) for i in ids]
    assert [j["completedAt"] for j in jobs] == [
        "2024-01-01T00:00:15Z", "2024-01-01T00:00:16Z", "2024-01-01T00:00:17Z",
    ]


async def test_completion_charges_held_credits(app, client):
    await client.post("/v1/avatar", json=BODY, headers=api_key())
    credits = (await client.get("/v1/account", headers=api_key())).json()["data"]["account"]["credits"]
    assert (credits["available"], credits["held"], credits["charged"]) == (10000 - 54, 54, 0)
    await advance(client, 60)
    credits = (await client.get("/v1/account", headers=api_key())).json()["data"]["account"]["credits"]
    assert (credits["available"], credits["held"], credits["charged"]) == (10000 - 54, 0, 54)


async def test_a_seed_repeats_the_jobs_times_never_their_ids_and_two_apps_share_nothing(fixtures_dir):
    """With --seed a test gets the same processing times every run; the ids stay unguessable (a
    job id is all its output URL needs), so no tenant can work out another's."""

    async def jobs(app) -> list[dict]:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://m") as c:
            made = [(await c.post("/v1/avatar", json=BODY, headers=api_key())).json()["data"]["avatar"] for _ in range(3)]
            return [(await c.get(f"/_mock/jobs/{j['id']}")).json() for j in made]

    fixtures = fixtures_dir
    (fixtures / "processing.yaml").write_text("queue_seconds: 0\nbase_seconds: 10\nseconds_per_speech_second: 1\njitter: 0.5\n")
    one = await jobs(create_app(Settings(seed=42, fixtures=fixtures, clock="virtual", start_time=0)))
    two = await jobs(create_app(Settings(seed=42, fixtures=fixtures, clock="virtual", start_time=0)))
    other = await jobs(create_app(Settings(seed=43, fixtures=fixtures, clock="virtual", start_time=0)))
    assert [j["endsAt"] for j in one] == [j["endsAt"] for j in two] != [j["endsAt"] for j in other]
    assert not {j["id"] for j in one} & {j["id"] for j in two}


async def test_job_ids_are_twelve_characters_of_the_alphabet_all_of_it_in_use(client):
    made = [(await client.post("/v1/avatar", json=BODY, headers=api_key("test-enterprise"))).json()["data"]["avatar"]["id"]
            for _ in range(300)]
    assert len(set(made)) == 300
    assert all(re.fullmatch(r"[a-z0-9]{12}", job_id) for job_id in made), made[:5]
    counts = Counter("".join(made))
    assert len(counts) == 36 and max(counts.values()) < 160, counts.most_common(3)  # 100 each expected: no gross skew


async def test_only_the_newest_finished_jobs_are_kept_and_jobs_in_flight_never_go(fixtures_dir):
    app = create_app(Settings(clock="virtual", start_time=1704067200, fixtures=fixtures_dir, seed=3, max_finished_jobs=2, render=False))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://mock.test") as client:
        async def submit() -> str:
            return (await client.post("/v1/avatar", json=BODY, headers=api_key())).json()["data"]["avatar"]["id"]

        finished = [await submit() for _ in range(4)]
        await advance(client, 60)
        in_flight = await submit()
        await advance(client, 1)
        statuses = [(await client.get(f"/v1/avatar/{j}", headers=api_key())).status_code for j in finished]
        assert statuses == [410, 410, 200, 200]  # dropped by the cap, and said so
        listed = (await client.get("/v1/avatar", headers=api_key())).json()["data"]
        assert [j["id"] for j in listed["avatars"]] == [in_flight, finished[3], finished[2]]
        assert listed["totalCount"] == 3
        account = (await client.get("/v1/account", headers=api_key())).json()["data"]["account"]
        assert account["credits"]["held"] > 0  # the dropped jobs' charges stay in the ledger
