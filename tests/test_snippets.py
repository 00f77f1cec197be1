"""The document's snippets, run unchanged but for the base URL against a real server."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from helpers import api_key, bearer, seconds_between

SNIPPETS = Path(__file__).with_name("snippets")
DOC_BASE = "https://api.doitong.com"

pytestmark = pytest.mark.integration


def snippet(name: str, base_url: str) -> str:
    return (SNIPPETS / name).read_text().replace(DOC_BASE, base_url)


def _printed_job(output: str, prefix: str) -> dict:
    """Python and Node print the job object after a label; pull out its id and status."""
    assert output.startswith(prefix), output
    return {
        "id": re.search(r"""['"]?id['"]?: ['"]([a-z0-9]+)['"]""", output).group(1),
        "status": re.search(r"""['"]?status['"]?: ['"](\w+)['"]""", output).group(1),
    }


def test_curl_snippet_starts_a_job(live_server):
    if shutil.which("curl") is None:
        pytest.skip("curl is not installed")
    out = subprocess.run(
        ["bash", "-c", snippet("curl.sh", live_server.base_url)],
        capture_output=True, text=True, timeout=30, check=True,
    ).stdout
    job = json.loads(out)["data"]["generate"]
    assert job["status"] == "processing"
    assert job["type"] == "AVATAR" and job["provider"] == "hedra"
    assert job["creditCost"] >= 50 and job["url"] is None
    assert set(job["metadata"]) == {"duration", "width", "height"}


def test_python_requests_snippet_prints_the_job(live_server):
    code = snippet("requests_snippet.py", live_server.base_url)
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=30, check=True
    ).stdout
    job = _printed_job(out, "Result: ")
    assert job["status"] == "processing"
    assert "'creditCost': 5" in out and "'type': 'AVATAR'" in out


def test_javascript_fetch_snippet_prints_the_job(live_server, tmp_path):
    if shutil.which("node") is None:
        pytest.skip("node is not installed")
    script = tmp_path / "fetch.mjs"
    script.write_text(snippet("fetch.mjs", live_server.base_url))
    out = subprocess.run(
        ["node", str(script)], capture_output=True, text=True, timeout=30, check=True
    ).stdout
    job = _printed_job(out, "Avatar Video: ")
    assert job["status"] == "processing"
    assert "videoUrl: null" in out
    polled = httpx.get(f"{live_server.base_url}/v1/avatar/{job['id']}", headers=api_key()).json()
    assert polled["data"]["avatar"]["status"] == "completed"
    assert polled["data"]["avatar"]["videoUrl"].endswith(f"/outputs/{job['id']}.mp4")


def test_documented_variables_with_language_and_version(live_server):
    query = (
        "mutation Generate($input: GenerateInput!) { generate(input: $input) "
        "{ id status type provider url metadata creditCost createdAt } }"
    )
    variables = json.loads((SNIPPETS / "variables.json").read_text())
    r = httpx.post(live_server.graphql_url, json={"query": query, "variables": variables}, headers=bearer())
    assert r.status_code == 200, r.text
    job = r.json()["data"]["generate"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z", job["createdAt"])


def _poll(base_url: str, job_id: str, timeout: float) -> tuple[dict, list[str], list[float]]:
    statuses: list[str] = []
    progress: list[float] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = httpx.get(f"{base_url}/v1/avatar/{job_id}", headers=api_key()).json()["data"]["avatar"]
        statuses.append(job["status"])
        progress.append(job["progress"])
        if job["status"] == "completed":
            return job, statuses, progress
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not complete in {timeout} s: {statuses[-5:]}")


def test_rest_job_polls_to_completed_with_instant_speed(live_server):
    r = httpx.post(
        f"{live_server.base_url}/v1/avatar",
        json={"service": "hedra", "text": "Hello, welcome to our platform!", "avatarId": "professional-1"},
        headers=api_key(),
    )
    assert r.status_code == 200
    job, _, _ = _poll(live_server.base_url, r.json()["data"]["avatar"]["id"], timeout=5)
    assert job["progress"] == 1.0 and job["completedAt"] is not None
    video = httpx.get(job["url"])
    assert video.status_code == 200 and video.headers["content-type"] == "video/mp4"
    assert video.content[4:8] == b"ftyp"


def test_job_progresses_and_completes_at_a_scaled_speed(server_factory, tmp_path):
    fixtures = tmp_path / "fx"
    fixtures.mkdir()
    (fixtures / "processing.yaml").write_text(
        "queue_seconds: 2\nbase_seconds: 8\nseconds_per_speech_second: 0\njitter: 0\n"
    )
    server = server_factory("--speed", "10", "--fixtures", str(fixtures))
    started = time.monotonic()
    r = httpx.post(
        server.graphql_url,
        json={"query": "mutation($i: AvatarGenerationInput!) { generateAvatar(input: $i) { id status } }",
              "variables": {"i": {"service": "hedra", "text": "Hi there", "avatarId": "casual-1"}}},
        headers=bearer(),
    )
    created = r.json()["data"]["generateAvatar"]
    assert created["status"] == "queued"
    job, statuses, progress = _poll(server.base_url, created["id"], timeout=60)
    elapsed = time.monotonic() - started
    # 2 s queued + 8 s processing at speed 10: 0.2 s and 0.8 s of real time, never sooner (how much
    # later the polls see it depends on how busy the machine is).
    assert elapsed >= 0.9
    assert seconds_between(job["createdAt"], job["startedAt"]) == pytest.approx(0.2, abs=0.002)
    assert seconds_between(job["startedAt"], job["completedAt"]) == pytest.approx(0.8, abs=0.002)
    order = ["queued", "processing", "completed"]
    assert [order.index(s) for s in statuses] == sorted(order.index(s) for s in statuses)
    assert progress == sorted(progress) and progress[-1] == 1.0
