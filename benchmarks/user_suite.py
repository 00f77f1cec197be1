"""What a user's test suite pays for the mock: N tests of submit -> advance -> poll (-> signed
webhook) with the pytest plugin, beside the same tests written against static stubs
(pytest-httpserver), run one after the other in this run.

    python benchmarks/user_suite.py [--tests 150] [--rounds 3]

The stub tests do what such a test must do by hand: answer the submission and the poll with
canned JSON and, for the webhook, sign a payload and POST it to a local receiver, which checks
the signature. The plugin tests get all of that from the mock. Figures: each suite's wall time
(best of `--rounds`, interleaved), the ratio, and what the first test's set-up costs (starting
the session's mock and receiver server).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PYTHON = sys.executable

PLUGIN_TESTS = '''
import httpx
import pytest

BODY = {"service": "hedra", "text": "Hello, welcome to our platform!", "avatarId": "professional-1"}


@pytest.mark.parametrize("n", range(N))
def test_job(FIXTURES):
    extra = {"webhookUrl": webhook_receiver.url} if WEBHOOKS else {}
    r = httpx.post(f"{doitong_mock.base_url}/v1/avatar", json={**BODY, **extra}, headers=doitong_mock.rest_headers)
    job_id = r.json()["data"]["avatar"]["id"]
    doitong_mock.advance(600)
    polled = httpx.get(f"{doitong_mock.base_url}/v1/avatar/{job_id}", headers=doitong_mock.rest_headers)
    assert polled.json()["data"]["avatar"]["status"] == "completed"
    if WEBHOOKS:
        delivery = webhook_receiver.wait(timeout=10)
        assert delivery.verified is True and delivery.json["id"] == job_id
'''

STUB_TESTS = '''
import hashlib
import hmac
import json

import httpx
import pytest
from werkzeug import Response

SECRET = "whsec_stub"
BODY = {"service": "hedra", "text": "Hello, welcome to our platform!", "avatarId": "professional-1"}
JOB = {"id": "abc123xyz", "status": "processing", "url": None, "creditCost": 52,
       "metadata": {"duration": 1.6, "width": 1280, "height": 720}}


def sign(body: bytes) -> str:
    return "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()


@pytest.mark.parametrize("n", range(N))
def test_job(httpserver, n):
    httpserver.expect_request("/v1/avatar", method="POST").respond_with_json({"data": {"avatar": JOB}})
    done = {**JOB, "status": "completed", "url": httpserver.url_for("/outputs/abc123xyz.mp4")}
    httpserver.expect_request("/v1/avatar/abc123xyz").respond_with_json({"data": {"avatar": done}})
    received = []

    def receive(request):
        ok = hmac.compare_digest(request.headers["X-Doitong-Signature"], sign(request.get_data()))
        received.append((ok, json.loads(request.get_data())))
        return Response("{}", status=200 if ok else 401)

    httpserver.expect_request("/webhook", method="POST").respond_with_handler(receive)
    r = httpx.post(httpserver.url_for("/v1/avatar"), json=BODY, headers={"X-API-Key": "k"})
    job_id = r.json()["data"]["avatar"]["id"]
    polled = httpx.get(httpserver.url_for(f"/v1/avatar/{job_id}"), headers={"X-API-Key": "k"})
    assert polled.json()["data"]["avatar"]["status"] == "completed"
    if WEBHOOKS:
        payload = json.dumps({"id": job_id, "status": "completed"}).encode()
        answer = httpx.post(httpserver.url_for("/webhook"), content=payload,
                            headers={"Content-Type": "application/json", "X-Doitong-Signature": sign(payload)})
        assert answer.status_code == 200 and received == [(True, {"id": job_id, "status": "completed"})]
'''


def write_suite(root: Path, kind: str, tests: int, webhooks: bool) -> Path:
    folder = root / f"{kind}-{'webhooks' if webhooks else 'plain'}"
    folder.mkdir()
    source = PLUGIN_TESTS if kind == "plugin" else STUB_TESTS
    fixtures = "doitong_mock, webhook_receiver, n" if webhooks else "doitong_mock, n"
    source = source.replace("FIXTURES", fixtures).replace("WEBHOOKS", str(webhooks))
    (folder / "test_suite.py").write_text(source.replace("range(N)", f"range({tests})"))
    (folder / "pytest.ini").write_text("[pytest]\naddopts = -p no:cacheprovider\n")
    return folder


def run(folder: Path) -> tuple[float, float]:
    """Wall time of the suite, and the first test's set-up time (from --durations)."""
    started = time.perf_counter()
    out = subprocess.run(
        [PYTHON, "-m", "pytest", "-q", "--durations=0", "--durations-min=0", str(folder)],
        cwd=folder, capture_output=True, text=True,
    )
    wall = time.perf_counter() - started
    if out.returncode != 0:
        raise SystemExit(f"the {folder.name} suite failed:\n{out.stdout[-3000:]}\n{out.stderr[-2000:]}")
    setups = [float(m.group(1)) for m in re.finditer(r"^([\d.]+)s setup\s+\S+\[0\]$", out.stdout, re.M)]
    return wall, setups[0] if setups else float("nan")


def measure(tests: int, rounds: int, report) -> None:  # type: ignore[no-untyped-def]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for webhooks, target in ((True, 1.5), (False, 1.3)):
            plugin, stub = write_suite(root, "plugin", tests, webhooks), write_suite(root, "stub", tests, webhooks)
            walls: dict[str, list[float]] = {"plugin": [], "stub": []}
            first_setup = float("nan")
            for _ in range(rounds):  # interleaved, so drift on the machine falls on both
                wall, setup = run(plugin)
                walls["plugin"].append(wall)
                first_setup = setup if first_setup != first_setup else min(first_setup, setup)
                walls["stub"].append(run(stub)[0])
            best = {kind: min(times) for kind, times in walls.items()}
            ratio = best["plugin"] / best["stub"]
            what = "with a signed webhook" if webhooks else "without webhooks"
            report(f"{tests} tests {what}: plugin", f"{best['plugin']:.2f} s")
            report(f"{tests} tests {what}: pytest-httpserver stubs", f"{best['stub']:.2f} s")
            report(f"{tests} tests {what}: ratio", f"{ratio:.2f}x", f"<= {target}x", ratio <= target)
            report(f"first test's set-up, {what} (the session's mock{' and receiver' if webhooks else ''})",
                   f"{first_setup * 1000:.0f} ms")


def _print(name: str, value: str, target: str = "", verdict: bool | None = None) -> None:
    mark = "" if verdict is None else ("met" if verdict else "MISSED")
    print(f"  {name:<72} {value:>10}  {target:<10} {mark}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tests", type=int, default=150)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    try:
        import pytest_httpserver  # noqa: F401
    except ImportError:
        raise SystemExit("pytest-httpserver is needed: pip install -e '.[bench]'") from None
    print(f"A user's suite: {args.tests} tests, best of {args.rounds}", flush=True)
    measure(args.tests, args.rounds, _print)


if __name__ == "__main__":
    main()
