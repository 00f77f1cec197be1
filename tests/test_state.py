"""`--state-file`: state written through to SQLite survives a restart, kill -9 included."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from mockserver import Settings, create_app

from helpers import start_server

pytestmark = pytest.mark.anyio

BODY = {"service": "hedra", "text": "Hello, welcome to our platform!", "avatarId": "professional-1"}
CREDITS = 1_000_000


@pytest.fixture
def fixtures_dir(tmp_path: Path) -> Path:
    d = tmp_path / "fixtures"
    d.mkdir()
    (d / "accounts.yaml").write_text(
        f"accounts:\n  - {{key: burst, plan: enterprise, credits: {CREDITS}, webhook_secret: whsec_burst}}\n"
    )
    (d / "processing.yaml").write_text("queue_seconds: 1\nbase_seconds: 2\nseconds_per_speech_second: 0\njitter: 0\n")
    return d


def all_jobs(client: httpx.Client) -> list[dict]:
    jobs: list[dict] = []
    cursor = None
    while True:
        params = {"limit": 100, **({"cursor": cursor} if cursor else {})}
        page = client.get("/v1/avatar", params=params).json()["data"]
        jobs += page["avatars"]
        if not page["pageInfo"]["hasNextPage"]:
            return jobs
        cursor = page["pageInfo"]["endCursor"]


@pytest.mark.integration
def test_sigkill_mid_burst_loses_no_acknowledged_job_and_no_credit(tmp_path, fixtures_dir):
    state = tmp_path / "state.sqlite"
    # A virtual clock: jobs stay in flight across the kill and the restart however slow the
    # machine is, until the test moves the clock.
    args = ("--fixtures", str(fixtures_dir), "--state-file", str(state), "--no-render", "--no-access-log",
            "--clock", "virtual")
    server = start_server(tmp_path, *args)
    acknowledged: dict[str, int] = {}
    lock = threading.Lock()
    stop = threading.Event()

    def submit_until_the_server_dies() -> None:
        with httpx.Client(base_url=server.base_url, headers={"X-API-Key": "burst"}, timeout=5) as client:
            while not stop.is_set():
                try:
                    r = client.post("/v1/avatar", json=BODY)
                except httpx.HTTPError:
                    return
                if r.status_code == 200:
                    job = r.json()["data"]["avatar"]
                    with lock:
                        acknowledged[job["id"]] = job["creditCost"]

    threads = [threading.Thread(target=submit_until_the_server_dies) for _ in range(8)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 120
    while len(acknowledged) < 150 and time.monotonic() < deadline:
        time.sleep(0.01)
    server.process.send_signal(signal.SIGKILL)
    server.process.wait()
    stop.set()
    for t in threads:
        t.join()
    assert len(acknowledged) >= 150, "the burst was too slow to be interrupted mid-way"

    restarted = start_server(tmp_path, *args)
    try:
        with httpx.Client(base_url=restarted.base_url, headers={"X-API-Key": "burst"}) as client:
            jobs = {j["id"]: j for j in all_jobs(client)}
            missing = set(acknowledged) - set(jobs)
            assert not missing, f"{len(missing)} acknowledged jobs were lost"
            assert all(jobs[i]["creditCost"] == cost for i, cost in acknowledged.items())
            credits = client.get("/v1/account").json()["data"]["account"]["credits"]
            assert credits["held"] + credits["charged"] == sum(j["creditCost"] for j in jobs.values())
            assert credits["available"] + credits["held"] + credits["charged"] == CREDITS
            assert any(j["status"] in ("queued", "processing") for j in jobs.values()), "nothing was in flight"

            assert client.post("/_mock/clock/advance", json={"seconds": 3}).status_code == 200  # queue 1 s + 2 s
            statuses = {j["status"] for j in all_jobs(client)}
            assert statuses == {"completed"}
            credits = client.get("/v1/account").json()["data"]["account"]["credits"]
            assert (credits["held"], credits["charged"]) == (0, sum(j["creditCost"] for j in jobs.values()))
            assert "restored" in restarted.log() or "state file" in restarted.log()
    finally:
        restarted.stop()


def make_app(state: Path, **overrides) -> object:
    return create_app(Settings(**{"clock": "virtual", "start_time": 1_704_067_200, "seed": 2, "render": False,
                                  "state_file": state, **overrides}))


async def test_everything_written_through_is_read_back(tmp_path, receiver):
    state = tmp_path / "state.sqlite"
    app = make_app(state)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://mock.test") as client:
        throwaway = (await client.post("/_mock/accounts", json={"plan": "starter", "credits": 5000})).json()
        key = {"X-API-Key": throwaway["key"]}
        first = (await client.post("/v1/avatar", json={**BODY, "webhookUrl": receiver.url}, headers={**key, "Idempotency-Key": "k1"})).json()["data"]["avatar"]
        await client.post("/_mock/clock/advance", json={"seconds": 600})
        await app.state.runtime.control.settle()
        second = (await client.post("/v1/avatar", json=BODY, headers=key)).json()["data"]["avatar"]
        before = (await client.get("/v1/account", headers=key)).json()["data"]["account"]
        deliveries = (await client.get(f"/_mock/jobs/{first['id']}/deliveries")).json()
    await app.state.runtime.close()

    app = make_app(state)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://mock.test") as client:
        after = (await client.get("/v1/account", headers=key)).json()["data"]["account"]
        assert after["credits"] == before["credits"] and after["plan"]["id"] == "starter"
        assert after["usage"]["jobsToday"] == before["usage"]["jobsToday"] == 2
        polled = (await client.get(f"/v1/avatar/{first['id']}", headers=key)).json()["data"]["avatar"]
        assert polled["status"] == "completed" and polled["creditCost"] == first["creditCost"]
        assert (await client.get(f"/v1/avatar/{second['id']}", headers=key)).json()["data"]["avatar"]["status"] == "processing"
        replay = await client.post("/v1/avatar", json={**BODY, "webhookUrl": receiver.url}, headers={**key, "Idempotency-Key": "k1"})
        assert replay.json()["data"]["avatar"]["id"] == first["id"] and replay.headers["idempotent-replayed"] == "true"
        assert (await client.get(f"/_mock/jobs/{first['id']}/deliveries")).json() == deliveries
        clock = (await client.get("/_mock/clock")).json()
        assert clock["now"] == 1_704_067_200 + 600
        await client.post("/_mock/clock/advance", json={"seconds": 600})
        done = (await client.get(f"/v1/avatar/{second['id']}", headers=key)).json()["data"]["avatar"]
        assert done["status"] == "completed"
        new = (await client.post("/v1/avatar", json=BODY, headers=key)).json()["data"]["avatar"]
        assert new["id"] not in (first["id"], second["id"])
        await client.post("/_mock/reset")
    await app.state.runtime.close()

    app = make_app(state)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://mock.test") as client:
        r = await client.get("/v1/account", headers=key)
        assert r.status_code == 401, "a reset clears the state file: the throw-away account is gone"
    await app.state.runtime.close()


def not_a_database(path: Path) -> Path:
    path.write_text("this is not a database")
    return path


def in_a_directory_that_cannot_be_made(path: Path) -> Path:
    return Path("/proc/no-such-dir/state.sqlite")


def a_fifo(path: Path) -> Path:
    os.mkfifo(path)  # SQLite would wait on it for ever
    return path


@pytest.mark.integration
@pytest.mark.parametrize(("make_bad", "reason"), [
    (not_a_database, "file is not a database"),
    (in_a_directory_that_cannot_be_made, "No such file or directory"),
    (a_fifo, "not a regular file: give the path of an SQLite file"),
])
def test_an_unusable_state_file_stops_start_up_with_the_reason(tmp_path, make_bad, reason):
    path = make_bad(tmp_path / "state.sqlite")
    r = subprocess.run([sys.executable, "-m", "mockserver", "--port", "1", "--state-file", str(path)],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 2
    assert f"cannot use the state file {path}: " in r.stderr and reason in r.stderr, r.stderr
    assert "Traceback" not in r.stderr


@pytest.mark.integration
@pytest.mark.parametrize("link", [os.symlink, os.link])
def test_a_second_server_cannot_share_a_state_file_through_a_symlink_or_a_hard_link(tmp_path, fixtures_dir, link):
    """Two servers on one database would each answer from their own memory: the same
    Idempotency-Key, sent once to each, would make two jobs and charge twice."""
    state = tmp_path / "state.sqlite"
    args = ("--fixtures", str(fixtures_dir), "--no-render", "--no-access-log", "--clock", "virtual")
    first = start_server(tmp_path, *args, "--state-file", str(state))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    alias = elsewhere / "other-name.sqlite"
    link(state, alias)
    try:
        try:
            second = start_server(elsewhere, *args, "--state-file", str(alias))
        except RuntimeError as refused:
            assert "exited with 2" in str(refused)
            assert f"state file {alias} is in use by another doitong-mock (pid {first.process.pid})" in str(refused)
            assert "Traceback" not in str(refused)
        else:
            try:
                ids = set()
                for server in (first, second):
                    r = httpx.post(f"{server.base_url}/v1/avatar", json=BODY,
                                   headers={"X-API-Key": "burst", "Idempotency-Key": "pay-once"})
                    ids.add(r.json()["data"]["avatar"]["id"])
            finally:
                second.stop()
            pytest.fail(f"a second server started on {alias}: one Idempotency-Key made {len(ids)} job(s)")
        with httpx.Client(base_url=first.base_url, headers={"X-API-Key": "burst"}) as client:
            assert client.get("/v1/avatar").json()["data"]["totalCount"] == 0
    finally:
        first.stop()


@pytest.mark.integration
def test_a_second_server_on_the_same_state_file_is_refused_until_the_first_is_gone(tmp_path, fixtures_dir):
    state = tmp_path / "state.sqlite"
    # A virtual clock: jobs stay in flight across the kill and the restart however slow the
    # machine is, until the test moves the clock.
    args = ("--fixtures", str(fixtures_dir), "--state-file", str(state), "--no-render", "--no-access-log",
            "--clock", "virtual")
    first = start_server(tmp_path, *args)
    try:
        second = subprocess.run([sys.executable, "-m", "mockserver", "--port", "0", *args],
                                capture_output=True, text=True, timeout=30, cwd=tmp_path)
        assert second.returncode == 2
        assert f"state file {state} is in use by another doitong-mock (pid {first.process.pid})" in second.stderr
        assert "Traceback" not in second.stderr
        with httpx.Client(base_url=first.base_url, headers={"X-API-Key": "burst"}) as client:
            job = client.post("/v1/avatar", json=BODY).json()["data"]["avatar"]
    finally:
        first.process.send_signal(signal.SIGKILL)
        first.process.wait()
    restarted = start_server(tmp_path, *args)  # the killed process's lock went with it
    try:
        with httpx.Client(base_url=restarted.base_url, headers={"X-API-Key": "burst"}) as client:
            assert client.get(f"/v1/avatar/{job['id']}").status_code == 200
    finally:
        restarted.stop()


async def test_expired_idempotency_keys_leave_the_state_file_too(tmp_path):
    import sqlite3

    state = tmp_path / "state.sqlite"
    app = make_app(state)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://mock.test") as client:
        for i in range(5):
            r = await client.post("/v1/avatar", json={**BODY, "text": f"keyed {i}"},
                                  headers={"X-API-Key": "test-enterprise", "Idempotency-Key": f"k{i}"})
            assert r.status_code == 200
        await client.post("/_mock/clock/advance", json={"seconds": 25 * 3600})
        r = await client.post("/v1/avatar", json=BODY, headers={"X-API-Key": "test-enterprise", "Idempotency-Key": "later"})
        assert r.status_code == 200
    await app.state.runtime.close()
    with sqlite3.connect(state) as db:
        assert [key for (key,) in db.execute("SELECT key FROM idempotency")] == ["later"]


async def test_an_accounts_own_clock_and_what_is_due_on_it_survive_a_restart(tmp_path):
    state = tmp_path / "state.sqlite"
    app = make_app(state)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://mock.test") as client:
        key = (await client.post("/_mock/accounts", json={"clock": "own"})).json()["key"]
        made = (await client.post("/v1/avatar", json=BODY, headers={"X-API-Key": key})).json()["data"]["avatar"]
        await client.post(f"/_mock/accounts/{key}/clock/advance", json={"seconds": 2})
        await client.patch(f"/_mock/accounts/{key}/clock", json={"speed": 2})
        before = (await client.get(f"/_mock/accounts/{key}/clock")).json()
    await app.state.runtime.close()

    app = make_app(state)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://mock.test") as client:
        after = (await client.get(f"/_mock/accounts/{key}/clock")).json()
        assert (after["now"], after["speed"], after["own"], after["nextDueAt"]) == (
            before["now"], "2", True, before["nextDueAt"])
        assert (await client.get("/_mock/clock")).json()["now"] == 1_704_067_200  # the server's never moved
        await client.post(f"/_mock/accounts/{key}/clock/advance", json={"next": True})
        polled = (await client.get(f"/v1/avatar/{made['id']}", headers={"X-API-Key": key})).json()["data"]["avatar"]
        assert polled["status"] == "completed" and polled["completedAt"] == before["nextDueAt"]
    await app.state.runtime.close()


async def test_a_virtual_clock_never_advanced_goes_on_from_where_it_stood_after_a_restart(tmp_path):
    state = tmp_path / "state.sqlite"
    app = make_app(state)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://mock.test") as client:
        made = (await client.post("/v1/avatar", json=BODY, headers={"X-API-Key": "YOUR_API_KEY"})).json()["data"]["avatar"]
    await app.state.runtime.close()

    app = make_app(state, start_time=1_704_067_200 + 3600)  # the process starts again an hour later
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://mock.test") as client:
        assert (await client.get("/_mock/clock")).json()["now"] == 1_704_067_200
        polled = (await client.get(f"/v1/avatar/{made['id']}", headers={"X-API-Key": "YOUR_API_KEY"})).json()
        assert polled["data"]["avatar"]["status"] == "processing"
    await app.state.runtime.close()
