"""doitong-mock benchmarks: every figure of the benchmark issue, printed beside its target.

    python benchmarks/run.py            # about four minutes
    python benchmarks/run.py --quick    # shorter load runs, for a first look

Throughput and latency come from wrk (Debian's `wrk` package) in its own process, at 32
connections, against the mock and, in the same run, against the ceiling (a bare Starlette JSON
route served the same way, benchmarks/ceiling.py) and WireMock's standalone jar from the npm
registry's `wiremock` package (skipped with a note where java or npm is missing). Everything
runs on this machine: the figures are for comparing, not absolute.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
CACHE = HERE / ".cache"
PYTHON = sys.executable
KEY = "test-enterprise"  # no per-minute, concurrency or daily limit
SECRET = "whsec_test_enterprise"
WIREMOCK_VERSION = "3.13.2"
CONNECTIONS = 32
TEXT = "Hello, welcome to our platform!"
REST_BODY = {"service": "hedra", "text": TEXT, "avatarId": "professional-1", "voice": "en-US-neural"}
GENERATE = {
    "query": "mutation Generate($input: GenerateInput!) { generate(input: $input) "
    "{ id status type provider url metadata creditCost createdAt } }",
    "variables": {
        "input": {
            "type": "AVATAR",
            "provider": "hedra",
            "input": {"text": TEXT, "avatarId": "professional-1"},
            "options": {"voice": "en-US-neural"},
        }
    },
}
POLL_QUERY = "query Avatar($id: ID!) { avatar(id: $id) { id status url progress creditCost createdAt completedAt metadata } }"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


STARTED: list[Server] = []  # stopped at the end whatever happens, so no server outlives a failed run


@dataclass
class Server:
    name: str
    process: subprocess.Popen
    base_url: str
    startup: float

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start(name: str, command: list[str], port: int, probe: str = "/healthz", timeout: float = 60) -> Server:
    """Start a server and time it from process start to the first 200 on `probe`."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=REPO)
    url = f"http://127.0.0.1:{port}"
    while time.perf_counter() - started < timeout:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with {process.returncode}: {' '.join(command)}")
        try:
            with urllib.request.urlopen(url + probe, timeout=1) as r:
                if r.status == 200:
                    server = Server(name, process, url, time.perf_counter() - started)
                    STARTED.append(server)
                    return server
        except OSError:
            time.sleep(0.002)
    process.kill()
    raise RuntimeError(f"{name} did not answer on {probe} within {timeout} s")


Request = tuple[str, str, dict | None, dict[str, str] | None]
H11 = ("--http", "h11", "--loop", "asyncio")  # the serving of the round before httptools and uvloop


def mock_command(port: int, *extra: str) -> list[str]:
    return [PYTHON, "-m", "mockserver", "--port", str(port), "--no-render", "--no-access-log", "--log-level", "warning", *extra]


def ceiling_command(port: int) -> list[str]:
    return [PYTHON, str(HERE / "ceiling.py"), str(port)]


def ceiling_job() -> dict:
    sys.path.insert(0, str(HERE))
    from ceiling import JOB

    return JOB


def wiremock_jar() -> Path | None:
    if not (shutil.which("java") and shutil.which("npm")):
        return None
    jar = CACHE / "package" / "build" / f"wiremock-standalone-{WIREMOCK_VERSION}.jar"
    if not jar.exists():
        CACHE.mkdir(exist_ok=True)
        packed = subprocess.run(["npm", "pack", f"wiremock@{WIREMOCK_VERSION}"], cwd=CACHE, capture_output=True, text=True)
        if packed.returncode != 0:
            return None
        subprocess.run(["tar", "xzf", f"wiremock-{WIREMOCK_VERSION}.tgz"], cwd=CACHE, check=True)
    return jar if jar.exists() else None


def wiremock_command(jar: Path, port: int, root: Path) -> list[str]:
    mappings = root / "mappings"
    mappings.mkdir(parents=True, exist_ok=True)
    body = {"data": {"avatar": ceiling_job()}}
    stubs = {
        "mappings": [
            {"request": {"method": "POST", "url": "/v1/avatar"}, "response": {"status": 200, "jsonBody": body}},
            {"request": {"method": "GET", "urlPattern": "/v1/avatar/.*"}, "response": {"status": 200, "jsonBody": body}},
            {"request": {"method": "GET", "url": "/healthz"}, "response": {"status": 200, "jsonBody": {"status": "ok"}}},
        ]
    }
    (mappings / "stubs.json").write_text(json.dumps(stubs))
    return ["java", "-jar", str(jar), "--port", str(port), "--root-dir", str(root), "--disable-banner", "--no-request-journal"]


# Load

@dataclass
class Load:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(url: str, method: str = "GET", body: dict | None = None, headers: dict[str, str] | None = None,
        seconds: float = 8, warmup: float = 2) -> Load:
    lines = [f'wrk.method = "{method}"']
    if body is not None:
        lines.append(f"wrk.body = [==[{json.dumps(body)}]==]")
        lines.append('wrk.headers["Content-Type"] = "application/json"')
    for name, value in (headers or {}).items():
        lines.append(f'wrk.headers["{name}"] = "{value}"')
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write("\n".join(lines) + "\n")
    base = ["wrk", "-t1", f"-c{CONNECTIONS}", "-s", script.name, "--latency"]
    if warmup:
        subprocess.run([*base, f"-d{warmup:g}s", url], capture_output=True, check=True)
    out = subprocess.run([*base, f"-d{seconds:g}s", url], capture_output=True, text=True, check=True).stdout
    os.unlink(script.name)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"\s50%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"\s99%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    failed = int(errors.group(1)) if errors else 0
    if socket_errors:
        failed += sum(int(n) for n in socket_errors.groups())
    return Load(rps, p50, p99, total, failed)


def post_json(url: str, body: dict, headers: dict[str, str]) -> dict:
    request = urllib.request.Request(url, json.dumps(body).encode(), {"Content-Type": "application/json", **headers})
    with urllib.request.urlopen(request, timeout=10) as r:
        return json.loads(r.read())


# Report

rows: list[tuple[str, str, str, str]] = []


def report(name: str, value: str, target: str = "", verdict: bool | None = None) -> None:
    mark = "" if verdict is None else ("ok" if verdict else "MISSED")
    rows.append((name, value, target, mark))
    print(f"  {name:<52} {value:>22}  {target:<18} {mark}", flush=True)


def section(title: str) -> None:
    print(f"\n{title}", flush=True)


# The figures

def startup_times(jar: Path | None, runs: int) -> None:
    section(f"Start-up: process start to the first 200 on /healthz (median of {runs}, the two taken in turn)")
    commands = {"doitong-mock": mock_command, "bare Starlette": ceiling_command}
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, command in commands.items():
            port = free_port()
            server = start(name, command(port), port)
            times[name].append(server.startup)
            server.stop()
    medians = {name: statistics.median(found) for name, found in times.items()}
    if jar is not None:
        port = free_port()
        with tempfile.TemporaryDirectory() as root:
            server = start("WireMock", wiremock_command(jar, port, Path(root)), port)
            medians["WireMock"] = server.startup
            server.stop()
    ratio = medians["doitong-mock"] / medians["bare Starlette"]
    report("doitong-mock", f"{medians['doitong-mock']:.3f} s", "< 0.3 s", medians["doitong-mock"] < 0.3)
    report("bare Starlette (same uvicorn)", f"{medians['bare Starlette']:.3f} s")
    report("ratio doitong-mock / bare Starlette", f"{ratio:.2f}x", "< 1.5x", ratio < 1.5)
    if "WireMock" in medians:
        report("WireMock standalone (one run)", f"{medians['WireMock']:.3f} s")

    code = textwrap.dedent("""
        import statistics, time
        t = time.perf_counter()
        from mockserver import Settings, create_app
        imported = time.perf_counter() - t
        t = time.perf_counter(); create_app(Settings()); first = time.perf_counter() - t
        times = []
        for _ in range(20):
            t = time.perf_counter(); create_app(Settings()); times.append(time.perf_counter() - t)
        print(imported, first, statistics.median(times))
    """)
    imported, first, again = map(float, subprocess.run([PYTHON, "-c", code], capture_output=True, text=True, check=True, cwd=REPO).stdout.split())
    report("create_app in-process, first call", f"{first * 1000:.1f} ms", "< 100 ms", first < 0.1)
    report("create_app in-process, later calls (median)", f"{again * 1000:.1f} ms", "< 100 ms", again < 0.1)
    report("import mockserver", f"{imported * 1000:.0f} ms")


@dataclass
class LoadedMock:
    """The mock the throughput runs used, kept running for the memory figures."""

    server: Server
    idle_rss_mb: float
    requests_served: int


def throughput(jar: Path | None, seconds: float, rounds: int) -> LoadedMock:
    section(f"Throughput at {CONNECTIONS} connections (wrk; {rounds} rounds of {seconds:g} s, ceiling, mock and the mock "
            "served with h11 in turn; medians; ratio = mock / ceiling)")
    port = free_port()
    ceiling = start("ceiling", ceiling_command(port), port)
    port = free_port()
    mock = start("doitong-mock", mock_command(port, "--speed", "instant"), port)
    idle_rss = rss_mb(mock.process.pid)
    port = free_port()
    h11 = start("doitong-mock on h11", mock_command(port, "--speed", "instant", *H11), port)
    rest = {"X-API-Key": KEY}
    gql = {"Authorization": f"Bearer {KEY}"}

    def new_job(server: Server) -> str:
        """Polled right after it is made: finished jobs beyond the cap are dropped, oldest first."""
        return post_json(f"{server.base_url}/v1/avatar", REST_BODY, rest)["data"]["avatar"]["id"]

    def rest_poll(server: Server) -> Request:
        return (f"{server.base_url}/v1/avatar/{new_job(server)}", "GET", None, rest)

    def gql_poll(server: Server) -> Request:
        return (f"{server.base_url}/graphql", "POST", {"query": POLL_QUERY, "variables": {"id": new_job(server)}}, gql)

    ceiling_post = (f"{ceiling.base_url}/v1/avatar", "POST", REST_BODY, None)
    ceiling_get = (f"{ceiling.base_url}/v1/avatar/abc123xyz", "GET", None, None)
    cases: list[tuple[str, Callable[[Server], Request], Request, float, float | None]] = [
        ("REST POST /v1/avatar", lambda s: (f"{s.base_url}/v1/avatar", "POST", REST_BODY, rest), ceiling_post, 0.45, 10),
        ("REST GET /v1/avatar/{id}", rest_poll, ceiling_get, 0.6, 10),
        ("GraphQL generate", lambda s: (f"{s.base_url}/graphql", "POST", GENERATE, gql), ceiling_post, 0.3, None),
        ("GraphQL avatar(id)", gql_poll, ceiling_post, 0.35, None),
    ]
    served = 0
    ceilings: dict[str, list[Load]] = {"POST": [], "GET": []}
    for name, request_to, (c_url, c_method, c_body, _), goal, p99_goal in cases:
        ours, theirs = request_to(mock), request_to(h11)
        mocks: list[Load] = []
        olds: list[Load] = []
        ratios: list[float] = []
        for _ in range(rounds):
            c = wrk(c_url, c_method, c_body, seconds=seconds, warmup=1)
            m = wrk(*ours, seconds=seconds, warmup=1)
            o = wrk(*theirs, seconds=seconds, warmup=1)
            ceilings[c_method].append(c)
            mocks.append(m)
            olds.append(o)
            ratios.append(m.requests_per_second / c.requests_per_second)
            served += m.requests + int(m.requests_per_second)
        load = sorted(mocks, key=lambda l: l.requests_per_second)[len(mocks) // 2]
        old = sorted(olds, key=lambda l: l.requests_per_second)[len(olds) // 2]
        ratio = statistics.median(ratios)
        errors = sum(m.errors for m in mocks)
        spread = f"{min(ratios):.2f}-{max(ratios):.2f}"
        report(name + (f", {errors} non-2xx" if errors else ""), f"{load.requests_per_second:,.0f} req/s",
               f"ratio {ratio:.2f} ({spread}) >= {goal}", ratio >= goal and not errors)
        p99 = statistics.median(m.p99_ms for m in mocks)
        p50 = statistics.median(m.p50_ms for m in mocks)
        if p99_goal is not None:
            report(f"  {name} latency", f"p50 {p50:.1f} / p99 {p99:.1f} ms", f"p99 < {p99_goal:g} ms", p99 < p99_goal)
        else:
            report(f"  {name} latency", f"p50 {p50:.1f} / p99 {p99:.1f} ms")
        speedup = load.requests_per_second / old.requests_per_second
        old_errors = sum(o.errors for o in olds)
        label = f"  {name} served with h11 (the old default)" + (f", {old_errors} non-2xx" if old_errors else "")
        if name.startswith("REST POST"):
            report(label, f"{old.requests_per_second:,.0f} req/s", f"{speedup:.2f}x faster >= 2x", speedup >= 2 and not old_errors)
        else:
            report(label, f"{old.requests_per_second:,.0f} req/s", f"{speedup:.2f}x faster")
    h11.stop()
    for method, loads in ceilings.items():
        rps = statistics.median(l.requests_per_second for l in loads)
        p99 = statistics.median(l.p99_ms for l in loads)
        report(f"ceiling {method} (bare Starlette, median of {len(loads)})", f"{rps:,.0f} req/s", f"p99 {p99:.1f} ms")
    ceiling_rss = rss_mb(ceiling.process.pid)
    ceiling.stop()

    if jar is not None:
        port = free_port()
        with tempfile.TemporaryDirectory() as root:
            wiremock = start("WireMock", wiremock_command(jar, port, Path(root)), port)
            wrk(f"{wiremock.base_url}/v1/avatar", "POST", REST_BODY, seconds=5, warmup=10)  # the JIT warms up
            wm_submit = wrk(f"{wiremock.base_url}/v1/avatar", "POST", REST_BODY, seconds=seconds)
            wm_poll = wrk(f"{wiremock.base_url}/v1/avatar/abc123xyz", seconds=seconds)
            wiremock_rss = rss_mb(wiremock.process.pid)
            wiremock.stop()
        report("WireMock static stub, POST /v1/avatar", f"{wm_submit.requests_per_second:,.0f} req/s",
               f"p50 {wm_submit.p50_ms:.1f} / p99 {wm_submit.p99_ms:.1f} ms")
        report("WireMock static stub, GET /v1/avatar/{id}", f"{wm_poll.requests_per_second:,.0f} req/s",
               f"p50 {wm_poll.p50_ms:.1f} / p99 {wm_poll.p99_ms:.1f} ms")
        report("WireMock resident size after its runs", f"{wiremock_rss:.0f} MB")
    else:
        report("WireMock", "skipped: needs java and npm")
    report("bare Starlette resident size after its runs", f"{ceiling_rss:.0f} MB")
    return LoadedMock(mock, idle_rss, served)


def memory(loaded: LoadedMock, seconds: float) -> None:
    section("Memory (resident size of the server process)")
    mock, idle_rss, served = loaded.server, loaded.idle_rss_mb, loaded.requests_served
    report("doitong-mock idle, just started", f"{idle_rss:.0f} MB", "< 60 MB", idle_rss < 60)
    rest = {"X-API-Key": KEY}
    while served < 100_000:
        load = wrk(f"{mock.base_url}/v1/avatar", "POST", REST_BODY, rest, seconds=seconds, warmup=0)
        served += load.requests
    health = json.loads(urllib.request.urlopen(f"{mock.base_url}/_mock/health", timeout=10).read())
    rss = rss_mb(mock.process.pid)
    report(f"after {served:,} requests ({health['jobs']:,} jobs kept)", f"{rss:.0f} MB", "< 150 MB", rss < 150)
    mock.stop()


TIMERS_CHILD = """
import asyncio, json, resource, statistics, sys, time
from pathlib import Path
from mockserver import Settings, create_app
from mockserver.core.api import Here
from mockserver.core.faults import RequestInfo
from mockserver.core.inputs import from_flat
from mockserver.core.jobs import COMPLETED, PROCESSING

fixtures = Path(sys.argv[1])
(fixtures / "processing.yaml").write_text("queue_seconds: 6\\nbase_seconds: 4\\nseconds_per_speech_second: 0\\njitter: 0.5\\n")
app = create_app(Settings(speed=1, render=False, fixtures=fixtures, seed=1))
runtime = app.state.runtime
api = runtime.api
lateness = []

def listener(kind, job):
    if kind != "job":
        return
    due = job.started_at if job.status == PROCESSING else job.ends_at if job.status == COMPLETED else None
    if due is not None:
        lateness.append(api.now(job) - due)

runtime.events.subscribe(listener)
request = from_flat({"service": "hedra", "text": "Hello, welcome to our platform!", "avatarId": "professional-1"})

async def main():
    admitted = await api.admit(RequestInfo("POST", "/v1/avatar", "rest", "test-enterprise", frozenset()))
    caller = admitted.caller
    here = Here("http://bench", runtime.address)
    t0 = time.monotonic()
    for _ in range(10_000):
        api.submit(caller, request, here)
    submitted = time.monotonic() - t0
    runtime.start()
    cpu0, idle0 = time.process_time(), time.monotonic()
    await asyncio.sleep(max(5.5 - (time.monotonic() - t0), 0.5))
    idle_cpu, idle_wall = time.process_time() - cpu0, time.monotonic() - idle0
    while len(lateness) < 20_000 and time.monotonic() - t0 < 30:
        await asyncio.sleep(0.2)
    late = sorted(lateness)
    print(json.dumps({
        "submitted_s": submitted, "transitions": len(late), "idle_cpu": idle_cpu, "idle_wall": idle_wall,
        "p50_ms": late[len(late) // 2] * 1000, "p99_ms": late[int(len(late) * 0.99)] * 1000, "max_ms": late[-1] * 1000,
        "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }))

asyncio.run(main())
"""


def timers() -> None:
    section("10,000 jobs in flight on the real clock (queued 6 s, then 2-6 s processing: 20,000 transitions)")
    with tempfile.TemporaryDirectory() as fixtures:
        out = subprocess.run([PYTHON, "-c", TIMERS_CHILD, fixtures], capture_output=True, text=True, check=True, cwd=REPO).stdout
    r = json.loads(out)
    report("10,000 submissions through Api.submit", f"{r['submitted_s']:.2f} s", "last round 0.25 s")
    report(f"transitions seen: {r['transitions']:,}, lateness p50 / p99",
           f"{r['p50_ms']:.1f} / {r['p99_ms']:.1f} ms")
    report("latest transition after its due time", f"{r['max_ms']:.1f} ms", "< 100 ms (last 5)", r["max_ms"] < 100 and r["transitions"] == 20_000)
    busy = r["idle_cpu"] / r["idle_wall"] * 100
    report(f"CPU while waiting {r['idle_wall']:.1f} s for the first due timer", f"{busy:.2f} % of a core", "idle (< 1 %)", busy < 1)
    report("peak resident size with 10,000 jobs", f"{r['rss_mb']:.0f} MB")


RENDER_CHILD = """
import json, sys, tempfile, time
from pathlib import Path
import av
from mockserver import Settings, create_app
import asyncio
from mockserver.core.api import Here
from mockserver.core.faults import RequestInfo
from mockserver.core.inputs import from_flat

text = " ".join(["talk"] * 25)  # 150 words a minute: ten seconds of speech
request = from_flat({"service": "hedra", "text": text, "avatarId": "professional-1", "resolution": "720p"})
import numpy  # imported before timing: the server imports it once, with its first render

async def main(media: Path) -> tuple[Path, float]:
    app = create_app(Settings(speed="instant", seed=1, media_dir=media))
    api = app.state.runtime.api
    caller = (await api.admit(RequestInfo("POST", "/v1/avatar", "rest", "test-enterprise", frozenset()))).caller
    job = api.output(api.submit(caller, request, Here("http://bench", app.state.runtime.address)).id)
    started = time.perf_counter()
    out = await api.video(job)  # the job's own render, queued as it completed
    return out, time.perf_counter() - started

with tempfile.TemporaryDirectory() as d:
    out, took = asyncio.run(main(Path(d)))
    with av.open(str(out)) as f:
        video = f.streams.video[0]
        print(json.dumps({"seconds": took, "duration": float(f.duration / 1e6), "width": video.width,
                          "height": video.height, "codecs": [s.codec_context.name for s in f.streams],
                          "bytes": out.stat().st_size}))
"""


def media() -> None:
    section("Media: one job's video rendered (ten seconds of speech at 720p, H.264 and AAC)")
    r = json.loads(subprocess.run([PYTHON, "-c", RENDER_CHILD], capture_output=True, text=True, check=True, cwd=REPO).stdout)
    report(f"{r['duration']:.1f} s, {r['width']}x{r['height']}, {'+'.join(r['codecs'])}, {r['bytes'] // 1024} KiB",
           f"{r['seconds']:.2f} s", "< 3 s (last 1.13)", r["seconds"] < 3)


def webhooks() -> None:
    section("Webhooks: 1,000 deliveries to a local receiver")
    sys.path.insert(0, str(REPO))
    from mockserver import WebhookReceiver

    port = free_port()
    mock = start("doitong-mock", mock_command(port, "--clock", "virtual"), port)
    with WebhookReceiver(secret=SECRET) as receiver:
        async def submit_all() -> None:
            import httpx

            limits = httpx.Limits(max_connections=CONNECTIONS)
            async with httpx.AsyncClient(base_url=mock.base_url, headers={"X-API-Key": KEY}, limits=limits) as client:
                semaphore = asyncio.Semaphore(CONNECTIONS)

                async def one() -> None:
                    async with semaphore:
                        r = await client.post("/v1/avatar", json={**REST_BODY, "webhookUrl": receiver.url})
                        r.raise_for_status()

                await asyncio.gather(*(one() for _ in range(1000)))

        asyncio.run(submit_all())
        started = time.perf_counter()
        post_json(f"{mock.base_url}/_mock/clock/advance", {"seconds": 3600}, {})
        receiver.wait(timeout=60, count=1000)
        drained = time.perf_counter() - started
        verified = sum(1 for d in receiver.deliveries if d.verified)
    mock.stop()
    report("1,000 jobs completed at once: all delivered in", f"{drained:.2f} s", "< 5 s (last 3.07)", drained < 5)
    report("deliveries whose signature verified", f"{verified:,} of {len(receiver.deliveries):,}", "all", verified == len(receiver.deliveries) == 1000)


IMPORT_CHILD = """
import sys, time
t = time.perf_counter()
import pytest
if sys.argv[1] == "plugin":
    import mockserver.testing.pytest_plugin
print(time.perf_counter() - t)
"""


def plugin_import(runs: int) -> None:
    """What installing the package adds to every pytest run of the environment: pytest imports
    the plugin through its entry point whether or not a test uses the fixtures."""
    section(f"pytest plugin: import cost in a fresh interpreter (median of {runs})")
    times: dict[str, list[float]] = {"pytest": [], "plugin": []}
    for _ in range(runs):
        for what in times:  # interleaved, so drift on the machine falls on both
            out = subprocess.run([PYTHON, "-c", IMPORT_CHILD, what], capture_output=True, text=True, check=True, cwd=REPO)
            times[what].append(float(out.stdout))
    pytest_alone = statistics.median(times["pytest"])
    added = statistics.median(times["plugin"]) - pytest_alone
    report("import pytest", f"{pytest_alone * 1000:.0f} ms")
    report("added by the doitong-mock plugin", f"{added * 1000:.0f} ms", "<= half of pytest's",
           added <= pytest_alone / 2)


def user_suite(tests: int, rounds: int) -> None:
    section(f"A user's test suite: {tests} tests with the pytest plugin beside the same against pytest-httpserver stubs (best of {rounds})")
    from user_suite import measure

    measure(tests, rounds, report)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="2 rounds of 3 s load runs and 3 start-ups instead of 3 of 5 s and 11")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install wrk")
    seconds = 3 if args.quick else 5
    print(f"doitong-mock benchmarks on {platform.node()}: {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"{time.strftime('%Y-%m-%d %H:%M')}", flush=True)
    jar = wiremock_jar()
    try:
        startup_times(jar, 3 if args.quick else 11)
        plugin_import(5 if args.quick else 15)
        user_suite(50 if args.quick else 150, 1 if args.quick else 3)
        memory(throughput(jar, seconds, 2 if args.quick else 3), seconds)
        timers()
        webhooks()
        media()
    finally:
        for server in STARTED:
            server.stop()
    missed = [name.strip() for name, _, _, mark in rows if mark == "MISSED"]
    print(f"\n{len(missed)} target(s) missed" + (": " + "; ".join(missed) if missed else ""))


if __name__ == "__main__":
    main()
