"""Helpers the tests share: real server processes, request snippets and small builders."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

DOC_KEY = "YOUR_API_KEY"
REPO = Path(__file__).resolve().parent.parent
# axe-core, vendored (tests/vendor/axe-core/README.md says which release): the browser tests load
# it into pages as a test harness would.
AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class LiveServer:
    """A real `python -m mockserver` process on a real port."""

    base_url: str
    process: subprocess.Popen
    log_path: Path

    @property
    def graphql_url(self) -> str:
        return f"{self.base_url}/graphql"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_server(tmp_dir: Path, *args: str, env: dict[str, str] | None = None, port: int | None = None) -> LiveServer:
    """A server on a free port, or on `port` (to start one again where another stopped)."""
    port = port or free_port()
    log_path = tmp_dir / f"server-{port}.log"
    log_file = log_path.open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "mockserver", "--port", str(port), *args],
        stdout=log_file,
        stderr=subprocess.STDOUT,
        env={**os.environ, **(env or {})},
        cwd=tmp_dir,
    )
    server = LiveServer(f"http://127.0.0.1:{port}", process, log_path)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"mock server exited with {process.returncode}:\n{server.log()}")
        try:
            with urllib.request.urlopen(f"{server.base_url}/healthz", timeout=0.5) as response:
                if response.status == 200:
                    return server
        except OSError:
            time.sleep(0.05)
    server.stop()
    raise RuntimeError(f"mock server did not become healthy:\n{server.log()}")


GENERATE = (
    "mutation Generate($input: GenerateInput!) { generate(input: $input) "
    "{ id status type provider url metadata creditCost createdAt } }"
)


def generate_vars(text: str = "Hello, welcome to our platform!", **options) -> dict:
    return {
        "input": {
            "type": "AVATAR",
            "provider": "hedra",
            "input": {"text": text, "avatarId": "professional-1"},
            "options": {"voice": "en-US-neural", **options},
        }
    }


def bearer(key: str = DOC_KEY) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def api_key(key: str = DOC_KEY) -> dict[str, str]:
    return {"X-API-Key": key}


def words(n: int) -> str:
    """Text of exactly n short words (150 words a minute: 2.5 words a second)."""
    return " ".join(["talk"] * n)


LIMITS_ACCOUNTS = """
accounts:
  - {key: rich, plan: unlimited, credits: 1000, webhook_secret: s1}
  - {key: three-at-once, plan: three, credits: 1000000, webhook_secret: s2}
  - {key: ten-a-minute, plan: ten, credits: 1000000, webhook_secret: s3}
  - {key: five-a-day, plan: five, credits: 1000000, webhook_secret: s4}
  - {key: once, plan: unlimited, credits: 1000000, webhook_secret: s5}
  - {key: free, plan: free, credits: 1000, webhook_secret: s6}
  - {key: YOUR_API_KEY, plan: pro, credits: 10000, webhook_secret: s7}
  - {key: test-broke, plan: free, credits: 50, webhook_secret: s8}
"""

LIMITS_PLANS = """
plans:
  unlimited: {name: Unlimited}
  three: {name: Three, concurrent_jobs: 3}
  ten: {name: Ten, requests_per_minute: 10}
  five: {name: Five, daily_jobs: 5}
  free: {name: Free, requests_per_minute: 10, concurrent_jobs: 1, daily_jobs: 100}
  pro: {name: Pro, requests_per_minute: 60, concurrent_jobs: 10, daily_jobs: 10000}
"""


def axe_violations(page) -> list[dict]:
    """What axe-core finds on the page as it is now (the page must have loaded AXE)."""
    return page.evaluate("""async () => {
        const result = await axe.run(document, {resultTypes: ['violations']});
        return result.violations.map((v) => ({id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' '))}));
    }""")


def serious(violations: list[dict]) -> list[dict]:
    return [v for v in violations if v["impact"] in ("serious", "critical")]


def contrast(foreground: str, background: str) -> float:
    """WCAG contrast of two CSS colours as getComputedStyle gives them (`rgb(r, g, b)`)."""

    def luminance(colour: str) -> float:
        channels = [int(float(c)) / 255 for c in colour[colour.index("(") + 1:colour.index(")")].split(",")[:3]]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    high, low = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (high + 0.05) / (low + 0.05)


async def advance(client, seconds: float, key: str | None = None) -> dict:
    """Move the server's clock (or the account `key`'s own) through the control API, as users do."""
    path = f"/_mock/accounts/{key}/clock/advance" if key else "/_mock/clock/advance"
    r = await client.post(path, json={"seconds": seconds})
    assert r.status_code == 200, r.text
    return r.json()


def seconds_between(earlier: str, later: str) -> float:
    """Seconds from one of the API's RFC 3339 times to another."""
    parse = datetime.fromisoformat
    return (parse(later.replace("Z", "+00:00")) - parse(earlier.replace("Z", "+00:00"))).total_seconds()


@dataclass
class Exited:
    """How a command that was expected to stop on its own ended."""

    returncode: int
    output: str
    peak_rss_mb: float


# Starts the command given after the cap and the report file, with its address space capped, and
# writes the command's own peak resident size to the report. A child's peak counts the memory of
# the process it was forked from, so the command is started from this small process, not from the
# test's (a pytest worker that has run a browser test is itself past 200 MB).
_LAUNCHER = """
import os, resource, sys
cap, report, *argv = sys.argv[1:]
resource.setrlimit(resource.RLIMIT_AS, (int(cap), int(cap)))
pid = os.posix_spawn(argv[0], argv, os.environ)
_, status, usage = os.wait4(pid, 0)
with open(report, "w") as f:
    f.write(str(usage.ru_maxrss))
sys.exit(os.waitstatus_to_exitcode(status) & 0xFF)
"""


def run_to_exit(args: list[str], cwd: Path, timeout: float = 60, memory_cap_mb: int = 1024) -> Exited:
    """Run `python -m mockserver ARGS` until it exits; its peak resident size is its own, and its
    address space is capped, so a run-away on old code fails the test instead of the machine."""
    stamp = time.monotonic_ns()
    out, report = cwd / f"exited-{stamp}.log", cwd / f"exited-{stamp}.rss"
    command = [sys.executable, "-c", _LAUNCHER, str(memory_cap_mb * 1024 * 1024), str(report),
               sys.executable, "-m", "mockserver", *args]
    with out.open("w") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=cwd, start_new_session=True)
    try:
        returncode = process.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        raise AssertionError(f"still running after {timeout} s:\n{out.read_text(errors='replace')[-2000:]}") from None
    return Exited(returncode, out.read_text(errors="replace"), int(report.read_text()) / 1024)
