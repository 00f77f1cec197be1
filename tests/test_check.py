"""`doitong-mock check`: the contract run against a real mock (it must match), against a
deliberately drifted endpoint (every drift named, with both values), with a Free key (no 429 of
its own making), and its refusals (no confirmation, no endpoint, a refused key, bad options)."""

from __future__ import annotations

import functools
import http.server
import json
import os
import subprocess
import sys
import threading
import time
from email.utils import formatdate
from typing import Any

import httpx
import pytest
from graphql import build_schema

from mockserver.check import expectations
from mockserver.check.cli import main, parse_options
from mockserver.check.client import Pacer
from mockserver.check.report import Report
from mockserver.check.schema_diff import compare_schemas
from mockserver.testing.threaded_server import ThreadedServer

from helpers import REPO, free_port

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def mock(server_factory):
    """A real server; jobs take about two seconds (speed 5), videos are really rendered."""
    return server_factory("--speed", "5", "--seed", "15", "--no-access-log")


@pytest.fixture
def control(mock):
    """The test's own view of the mock: the checker itself never touches /_mock."""
    with httpx.Client(base_url=mock.base_url, timeout=10) as client:
        yield client


def new_account(control: httpx.Client, plan: str = "pro", credits: int = 10_000) -> dict[str, Any]:
    r = control.post("/_mock/accounts", json={"plan": plan, "credits": credits})
    assert r.status_code == 201, r.text
    return r.json()


def journal(control: httpx.Client, **filters: Any) -> list[dict[str, Any]]:
    return control.get("/_mock/requests", params={"limit": 1000, **filters}).json()["requests"]


def check(capsys, *argv: str) -> tuple[int, dict[str, Any]]:
    """Runs the checker in this process with --json; returns its exit status and report."""
    code = main([*argv, "--json"])
    out = capsys.readouterr().out
    return code, json.loads(out)


def rows(report: dict[str, Any], verdict: str | None = None) -> list[dict[str, str]]:
    return [r for r in report["results"] if verdict is None or r["verdict"] == verdict]


def row(report: dict[str, Any], operation: str, check_name: str) -> dict[str, str]:
    found = [r for r in report["results"] if r["operation"] == operation and r["check"] == check_name]
    assert found, f"no row {operation!r} / {check_name!r} in:\n" + "\n".join(
        f"{r['operation']} / {r['check']}" for r in report["results"])
    return found[0]


# Against the mock itself


def test_the_free_checks_find_no_drift_in_the_mock_and_spend_nothing(mock, control, capsys):
    account = new_account(control)
    code, report = check(capsys, mock.base_url, "--key", account["key"])
    assert rows(report, "drift") == [], rows(report, "drift")
    assert code == 0 and report["exitCode"] == 0 and report["matches"] is True
    assert report["counts"]["ok"] > 60 and report["spent"] == []
    checked = {r["operation"] for r in rows(report)}
    assert {"GET /v1/account (no key)", "POST /graphql account (wrong Bearer key)", "GraphQL schema",
            "POST /v1/estimate", "GET /v1/avatar/{id} (unknown id)", "POST /v1/avatar (empty text)",
            "POST /graphql generate (unknown avatarId)", "POST /graphql generateAvatar (text is a number)",
            "rate-limit headers"} <= checked
    after = control.get(f"/_mock/accounts/{account['key']}").json()
    assert after["credits"]["available"] == 10_000 and after["credits"]["charged"] == 0
    assert control.get("/v1/avatar", headers={"X-API-Key": account["key"]}).json()["data"]["totalCount"] == 0
    sent = journal(control, key=account["key"])
    assert all(entry["path"].startswith(("/v1/", "/graphql")) for entry in sent)


def test_the_table_names_operation_check_expected_and_found(mock, control, capsys):
    account = new_account(control)
    assert main([mock.base_url, "--key", account["key"]]) == 0
    out = capsys.readouterr().out
    header = out.splitlines()[0].split()
    assert header == ["operation", "check", "expected", "found"]
    assert "POST /v1/avatar (empty text)" in out and "errors[0].extensions.field" in out
    assert "The endpoint matches the mock's contract." in out


def test_spend_runs_one_job_per_shape_to_a_playable_video_a_signed_webhook_and_billed_credits(mock, control, capsys):
    account = new_account(control, credits=1000)
    hook = f"http://127.0.0.1:{free_port()}/hook"
    code, report = check(capsys, mock.base_url, "--key", account["key"], "--spend", "--yes", "--surface", "both",
                         "--webhook-url", hook, "--webhook-secret", account["webhookSecret"])
    assert rows(report, "drift") == [], rows(report, "drift")
    assert code == 0
    assert [s["surface"] for s in report["spent"]] == ["generate", "generateAvatar", "rest"]
    for shape in ("POST /graphql generate", "POST /graphql generateAvatar", "POST /v1/avatar"):
        assert row(report, f"{shape}: the completed job", "final status")["found"] == "completed"
        assert row(report, f"{shape}: credits", "credits.balance moved by creditCost (52)")["found"] == "-52"
    assert row(report, "POST /graphql avatar(id)", "progress never goes back (0 to 1)")["verdict"] == "ok"
    assert row(report, "GET /v1/avatar/{id}", "statuses seen, in order")["found"].endswith("completed")
    assert row(report, "GET url (the output video)", "a playable MP4")["found"].startswith("MP4, h264")
    assert row(report, "webhook delivery", "X-Doitong-Signature = HMAC-SHA256 of the raw body with the secret"
               )["found"] == "verifies"
    # Three jobs, each sent once with its own Idempotency-Key; the video fetched without the key.
    created = [e for e in journal(control, key=account["key"], method="POST")
               if e["status"] == 200 and (e["path"] == "/v1/avatar" or "generate" in (e["operation"] or ""))]
    assert len(created) == 3
    keys = {s["idempotencyKey"] for s in report["spent"]}
    assert len(keys) == 3
    assert control.get(f"/_mock/accounts/{account['key']}").json()["credits"]["charged"] == 3 * 52
    media = [e for e in journal(control, path="/outputs/*") if any(s["jobId"] in e["path"] for s in report["spent"])]
    assert len(media) == 3 and all(e["key"] is None for e in media)


def test_spend_against_a_no_render_mock_finds_no_drift(server_factory, capsys):
    """The fast mode people run in CI keeps the contract: the video is still at metadata's size
    and of the job's length."""
    fast = server_factory("--speed", "5", "--seed", "16", "--no-render", "--no-access-log")
    with httpx.Client(base_url=fast.base_url, timeout=10) as client:
        account = new_account(client, credits=1000)
    code, report = check(capsys, fast.base_url, "--key", account["key"], "--spend", "--yes")
    assert rows(report, "drift") == [], rows(report, "drift")
    assert code == 0
    assert row(report, "GET url (the output video)", "size = metadata.width x height")["found"] == "1280x720"


def test_a_free_key_completes_the_free_checks_without_a_429_of_its_own(mock, control, capsys):
    account = new_account(control, plan="free", credits=1000)
    started = time.monotonic()
    code, report = check(capsys, mock.base_url, "--key", account["key"])
    elapsed = time.monotonic() - started
    assert code == 0, rows(report, "drift")
    sent = journal(control, key=account["key"])
    assert [e for e in sent if e["status"] == 429] == []
    assert len(sent) <= 10  # a Free plan's minute: the checks fit it, nothing had to wait
    assert "waiting" not in capsys.readouterr().err and elapsed < 30
    assert row(report, "rate-limit headers", "X-RateLimit-Limit = the plan's requestsPerMinute")["found"] == "10"
    assert row(report, "GET /v1/account", "plan free: requestsPerMinute (the document's table)")["verdict"] == "ok"


def test_a_429_it_meets_is_checked_for_retry_after_and_waited_out(mock, control, capsys):
    account = new_account(control)
    control.post("/_mock/faults", json={"status": 429, "count": 1, "extensions": {"retryAfter": 1},
                                        "match": {"key": account["key"], "path": "/v1/catalog"}})
    code, report = check(capsys, mock.base_url, "--key", account["key"])
    assert row(report, "GET /v1/catalog (429)", "Retry-After") == {
        "operation": "GET /v1/catalog (429)", "check": "Retry-After", "expected": "seconds to wait (an integer >= 0)",
        "found": "1", "verdict": "ok"}
    assert row(report, "GET /v1/catalog (429)", "errors[0].extensions.retryAfter = Retry-After")["verdict"] == "ok"
    assert row(report, "GET /v1/catalog", "HTTP status")["found"] == "200"  # asked again after a second
    assert len(journal(control, key=account["key"], path="/v1/catalog")) == 2
    # The injected 429 comes before the plan's admission, so it carries no X-RateLimit-*: said, by name.
    drift = rows(report, "drift")
    assert drift and all(r["operation"] == "rate-limit headers" and "GET /v1/catalog" in r["found"] for r in drift)
    assert code == 1


# The rate-limit check reads the target's own time


RESET_ROW = ("rate-limit headers", "X-RateLimit-Reset in the future, within 60 s")


def test_the_rate_limit_check_holds_under_an_advanced_virtual_clock(server_factory, capsys):
    virtual = server_factory("--clock", "virtual", "--seed", "17", "--no-render", "--no-access-log")
    with httpx.Client(base_url=virtual.base_url, timeout=10) as client:
        assert client.post("/_mock/clock/advance", json={"seconds": 3 * 3600}).status_code == 200
        account = new_account(client)
    code, report = check(capsys, virtual.base_url, "--key", account["key"])
    assert row(report, *RESET_ROW)["verdict"] == "ok", row(report, *RESET_ROW)
    assert code == 0, rows(report, "drift")


@pytest.mark.parametrize("healthz", [True, False], ids=["the mock's clock", "no stated clock"])
def test_the_rate_limit_check_allows_for_a_date_that_lags(mock, control, capsys, healthz):
    server = serve(LaggingDate(mock.base_url, lag=4, healthz=healthz), date_header=False)
    try:
        account = new_account(control)
        code, report = check(capsys, f"http://127.0.0.1:{server.port}", "--key", account["key"])
    finally:
        server.stop()
    assert row(report, *RESET_ROW)["verdict"] == "ok", row(report, *RESET_ROW)
    assert code == 0, rows(report, "drift")


def test_a_reset_in_seconds_from_now_instead_of_unix_time_is_drift(mock, control, capsys):
    server = serve(LaggingDate(mock.base_url, lag=0, healthz=False, relative_reset=True), date_header=False)
    try:
        account = new_account(control)
        code, report = check(capsys, f"http://127.0.0.1:{server.port}", "--key", account["key"])
    finally:
        server.stop()
    reset = row(report, *RESET_ROW)
    assert reset["verdict"] == "drift" and "by the answer's Date" in reset["found"], reset
    assert code == 1


# Against a drifted endpoint


class Proxy:
    """A proxy in front of a real mock; `answer` may change what goes back."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.client: httpx.AsyncClient | None = None

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    self.client = httpx.AsyncClient(base_url=self.upstream, timeout=30)
                    await send({"type": "lifespan.startup.complete"})
                else:
                    await self.client.aclose()
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode(): v.decode() for k, v in scope["headers"] if k not in (b"host", b"content-length")}
        path = scope["path"]
        query = scope["query_string"].decode()
        r = await self.client.request(scope["method"], path + (f"?{query}" if query else ""),
                                      headers=headers, content=body)
        drop = {b"content-length", b"content-encoding", b"transfer-encoding", b"server", b"connection"}
        status, raw, content = self.answer(path, headers, r, [(k, v) for k, v in r.headers.raw if k.lower() not in drop])
        await self._send(send, status, raw, content)

    def answer(self, path: str, headers: dict[str, str], r: httpx.Response,
               raw: list[tuple[bytes, bytes]]) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        return r.status_code, raw, r.content

    @staticmethod
    async def _send(send, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
        headers = [*headers, (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def serve(app: Proxy, **config: Any) -> ThreadedServer:
    return ThreadedServer(app, lifespan="on", **config).start()


class Drifted(Proxy):
    """Renames a field, drops a rate-limit header, answers 200 where 401 is due, and makes a
    non-null field of the schema nullable (and, as a real API would, has a job type the mock
    lacks: not a drift)."""

    def answer(self, path, headers, r, raw):
        if path == "/v1/account" and not {"authorization", "x-api-key"} & set(headers):
            return 200, [(b"content-type", b"application/json")], b'{"data": {"account": {}}}'
        content = r.content
        if path == "/v1/estimate" and r.status_code == 200:
            data = r.json()
            data["data"]["estimate"]["cost"] = data["data"]["estimate"].pop("credits")
            content = json.dumps(data).encode()
        if path == "/graphql" and b'"__schema"' in content and b'"types"' in content:
            data = r.json()
            generation = next(t for t in data["data"]["__schema"]["types"] if t["name"] == "Generation")
            cost = next(f for f in generation["fields"] if f["name"] == "creditCost")
            cost["type"] = cost["type"]["ofType"]  # Int! -> Int
            kinds = next(t for t in data["data"]["__schema"]["types"] if t["name"] == "GenerationType")
            kinds["enumValues"].append({**kinds["enumValues"][0], "name": "IMAGE"})  # more than the mock: a note
            content = json.dumps(data).encode()
        drop = {b"x-ratelimit-remaining", b"date"}
        return r.status_code, [(k, v) for k, v in raw if k.lower() not in drop], content


class LaggingDate(Proxy):
    """Sends a `Date` some seconds behind, as a server that caches its Date does on a busy
    machine; optionally hides the mock's /healthz (as the real API has none) or sends
    X-RateLimit-Reset as seconds from now instead of a Unix time."""

    def __init__(self, upstream: str, lag: float, *, healthz: bool = True, relative_reset: bool = False) -> None:
        super().__init__(upstream)
        self.lag, self.healthz, self.relative_reset = lag, healthz, relative_reset

    def answer(self, path, headers, r, raw):
        if path == "/healthz" and not self.healthz:
            return 404, [(b"content-type", b"text/plain")], b"Not Found"
        raw = [(k, v) for k, v in raw if k.lower() != b"date"]
        raw.append((b"date", formatdate(time.time() - self.lag, usegmt=True).encode()))
        if self.relative_reset:
            raw = [(k, str(int(v) - int(time.time())).encode() if k.lower() == b"x-ratelimit-reset" else v)
                   for k, v in raw]
        return r.status_code, raw, r.content


@pytest.fixture
def drifted(mock):
    server = serve(Drifted(mock.base_url))
    yield f"http://127.0.0.1:{server.port}"
    server.stop()


def test_each_drift_is_reported_with_the_field_and_both_values(drifted, control, capsys):
    account = new_account(control)
    code, report = check(capsys, drifted, "--key", account["key"])
    assert code == 1 and report["matches"] is False
    drift = {(r["operation"], r["check"]): (r["expected"], r["found"]) for r in rows(report, "drift")}
    # a renamed field
    assert drift[("POST /v1/estimate", "field data.estimate.credits")] == (
        "integer", "missing (the answer has: cost, duration, tier)")
    # a dropped rate-limit header
    expected, found = drift[("rate-limit headers", "X-RateLimit-Remaining on every answer")]
    assert expected == "on every answer" and found.startswith("missing on ") and "(first: GET /v1/account)" in found
    # 200 where 401 is due
    assert drift[("GET /v1/account (no key)", "HTTP status")] == ("401", "200")
    assert drift[("GET /v1/account (no key)", "errors[0].extensions.code")] == ("UNAUTHENTICATED", "missing")
    # a changed nullability in the schema
    assert drift[("GraphQL schema", "nullability Generation.creditCost")] == ("Int!", "Int")
    # what only the target has is a note, not a drift
    assert [(r["check"], r["expected"], r["found"]) for r in rows(report, "note")] == [
        ("enum value GenerationType.IMAGE", "absent", "IMAGE")]
    # and nothing else: the rest of the proxied mock still matches
    assert set(drift) == {
        ("POST /v1/estimate", "field data.estimate.credits"),
        ("POST /v1/estimate", "the same estimate as GraphQL estimateCost"),  # the rename, seen from GraphQL
        ("rate-limit headers", "X-RateLimit-Remaining on every answer"),
        ("GET /v1/account (no key)", "HTTP status"),
        ("GET /v1/account (no key)", "error format {errors: [{message, extensions: {code}}]}"),
        ("GET /v1/account (no key)", "errors[0].extensions.code"),
        ("GraphQL schema", "nullability Generation.creditCost"),
    }, drift


def test_the_drift_is_in_the_table_too(drifted, control, capsys):
    account = new_account(control)
    assert main([drifted, "--key", account["key"]]) == 1
    out = capsys.readouterr().out
    assert "DRIFT  GraphQL schema" in out and "nullability Generation.creditCost" in out
    assert "(1 notes not shown: --verbose lists them)" in out and "GenerationType.IMAGE" not in out
    assert main([drifted, "--key", account["key"], "--verbose"]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert any(line.startswith("note ") and "enum value GenerationType.IMAGE" in line for line in lines)
    assert out.rstrip().endswith("DRIFT: the endpoint differs from the mock's contract (rows marked DRIFT).")


# Against something that is not the Doitong API


@pytest.fixture
def file_server(tmp_path):
    """A plain static file server (a wrong BASE_URL), as `python -m http.server` runs one."""
    (tmp_path / "index.html").write_text("<!doctype html><title>Files</title><p>nothing to see</p>")

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(tmp_path)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_file_server_is_not_the_api_exit_2_with_one_sentence_and_what_it_saw(file_server, capsys):
    code = main([file_server, "--key", "k"])
    out, err = capsys.readouterr()
    assert code == 2
    said = (out + err).strip().splitlines()
    assert len(said) == 1, said
    assert said[0].startswith(f"doitong-mock check: {file_server} does not speak the Doitong API: ")
    assert 'GET /v1/account answered 404 text/html (title "Error response")' in said[0]
    assert 'POST /graphql answered 501 text/html (title "Error response")' in said[0]
    assert "DRIFT" not in out and "accepted" not in out
    code, report = check(capsys, file_server, "--key", "k")
    assert code == 2 and report["results"] == [] and "does not speak the Doitong API" in report["stopped"]


class OtherJsonApi:
    """A JSON API that is not this one: FastAPI-style 404s and a GraphQL schema of its own."""

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return
        while (await receive()).get("more_body"):
            pass
        if scope["path"] == "/graphql":
            status, body = 200, {"data": {"__schema": {"queryType": {"fields": [{"name": "repository"}]},
                                                        "mutationType": None}}}
        else:
            status, body = 404, {"detail": "Not Found"}
        content = json.dumps(body).encode()
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(content)).encode())]})
        await send({"type": "http.response.body", "body": content})


def test_another_json_api_is_not_the_api_either(capsys):
    server = ThreadedServer(OtherJsonApi()).start()
    try:
        code, report = check(capsys, f"http://127.0.0.1:{server.port}", "--key", "k")
    finally:
        server.stop()
    assert code == 2 and report["results"] == []
    assert "GET /v1/account answered 404 application/json" in report["stopped"]
    assert "its GraphQL schema has none of the Doitong root fields (it has: repository)" in report["stopped"]


class HtmlCatalog(Proxy):
    """The mock behind a proxy whose /v1/catalog is someone else's page."""

    def answer(self, path, headers, r, raw):
        if path == "/v1/catalog":
            return 200, [(b"content-type", b"text/html")], b"<html>a catalogue of shoes</html>"
        return r.status_code, raw, r.content


def test_a_key_is_accepted_only_by_an_answer_in_the_apis_format(mock, control, capsys):
    server = serve(HtmlCatalog(mock.base_url))
    try:
        account = new_account(control)
        code, report = check(capsys, f"http://127.0.0.1:{server.port}", "--key", account["key"])
    finally:
        server.stop()
    accepted = row(report, "GET /v1/catalog", "Authorization: Bearer accepted on REST")
    assert accepted["verdict"] == "drift" and accepted["found"].startswith("answered 200 text/html")
    assert code == 1


# Refusals


def run_cli(*argv: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("DOITONG_")}
    return subprocess.run([sys.executable, "-m", "mockserver", "check", *argv], capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=120, cwd=REPO, env={**environ, **(env or {})})


def test_spend_without_yes_and_without_a_terminal_refuses_before_sending_anything(mock, control):
    account = new_account(control)
    result = run_cli(mock.base_url, "--key", account["key"], "--spend")
    assert result.returncode == 2
    assert "--yes" in result.stderr and "no terminal" in result.stderr and "Traceback" not in result.stderr
    assert journal(control, key=account["key"]) == []


def test_a_declined_confirmation_spends_nothing(mock, control, capsys, monkeypatch):
    account = new_account(control)
    options, _ = parse_options([mock.base_url, "--key", account["key"], "--spend"], interactive=True)
    from mockserver.check.cli import check as run_check

    asked: list[str] = []
    report = run_check(options, confirm=lambda prompt: asked.append(prompt) or False)
    assert asked == ["Spend these credits? [y/N] "]
    assert [r.found for r in report.results if r.operation == "spend"] == ["declined: nothing spent"]
    assert report.exit_code == 0 and report.spent == []
    assert control.get("/v1/avatar", headers={"X-API-Key": account["key"]}).json()["data"]["totalCount"] == 0


def test_an_unreachable_endpoint_exits_2_saying_why_once_without_a_table(capsys):
    url = f"http://127.0.0.1:{free_port()}"
    code, report = check(capsys, url, "--key", "k")
    assert code == 2 and "could not be reached" in report["stopped"] and report["results"] == []
    assert main([url, "--key", "k"]) == 2
    out, err = capsys.readouterr()
    said = (out + err).strip().splitlines()
    assert len(said) == 1 and said[0].startswith(f"doitong-mock check: {url} could not be reached: GET "), said
    assert "operation" not in out and "requests sent" not in out


def test_a_refused_key_exits_2_through_the_console_entry(mock):
    result = run_cli(mock.base_url, "--key", "not-a-key")
    assert result.returncode == 2
    assert "the key was refused: GET /v1/account with the key answered 401 UNAUTHENTICATED" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_key_may_come_from_the_environment(mock, control):
    account = new_account(control)
    result = run_cli(mock.base_url, "--json", env={"DOITONG_API_KEY": account["key"]})
    assert result.returncode == 0, result.stdout[-2000:]
    assert json.loads(result.stdout)["matches"] is True


@pytest.mark.parametrize(("argv", "message"), [
    ([], "BASE_URL"),
    (["ftp://mock", "--key", "k"], "must be an http:// or https:// URL"),
    (["http://mock"], "no API key: give --key KEY or set DOITONG_API_KEY"),
    (["http://mock", "--key", "k", "--surface", "soap"], "invalid choice: 'soap'"),
    (["http://mock", "--key", "k", "--webhook-url", "http://127.0.0.1:9/h"], "--webhook-url needs --spend"),
    (["http://mock", "--key", "k", "--spend", "--yes", "--webhook-url", "https://hooks.example/h"],
     "give --webhook-listen"),
    (["http://mock", "--key", "k", "--spend", "--yes", "--webhook-url", "https://hooks.example/h",
      "--webhook-listen", "eighty"], "--webhook-listen must be [HOST:]PORT"),
    (["http://mock", "--key", "k", "--max-requests", "0"], "must be at least 1"),
    (["http://mock", "--key", "k", "--job-timeout", "soon"], "not a number"),
])
def test_bad_options_exit_2_with_a_clear_message(argv, message, capsys):
    with pytest.raises(SystemExit) as info:
        parse_options(argv, environ={})
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_bad_options_through_the_console_entry_exit_2_without_a_traceback():
    result = run_cli("not a url", "--key", "k")
    assert result.returncode == 2 and "BASE_URL must be" in result.stderr and "Traceback" not in result.stderr


# The pieces


def test_the_pacer_waits_for_the_window_to_reset_by_the_servers_clock():
    now = [1_000.0]
    slept: list[float] = []
    pacer = Pacer(clock=lambda: now[0], sleep=slept.append)
    # The server's clock is 100 s ahead of ours; its window resets 20 s from its now.
    headers = {"Date": "Thu, 01 Jan 1970 00:18:20 GMT", "X-RateLimit-Limit": "10",
               "X-RateLimit-Remaining": "1", "X-RateLimit-Reset": "1120"}
    pacer.observe(httpx.Headers(headers), now[0])
    pacer.wait_turn()
    assert slept == []
    pacer.observe(httpx.Headers({**headers, "X-RateLimit-Remaining": "0"}), now[0])
    pacer.wait_turn()
    assert slept == [21.0] and pacer.min_interval() == 6.0
    # Only the IETF draft's field: read as well.
    pacer = Pacer(clock=lambda: now[0], sleep=slept.append)
    pacer.observe(httpx.Headers({"RateLimit": '"minute";r=0;t=30'}), now[0])
    pacer.wait_turn()
    assert slept[-1] == 31.0


def test_the_table_gives_long_operation_and_check_names_in_full():
    report = Report("http://mock")
    operation = "POST /graphql generateAvatar (text is a number): cancel the job it started"
    check_name = "X-RateLimit-Remaining decreases with each request of a window"
    report.add(operation, check_name, "one less each time", "always")
    table = report.render_table()
    assert operation in table and check_name in table
    assert "1 check against http://mock: 1 match" in table and "0 requests sent" in table


def test_the_schema_comparison_names_missing_changed_and_extra_parts():
    ours = expectations.schema()
    sdl = expectations.SCHEMA_PATH.read_text()
    theirs = build_schema(
        sdl.replace("  creditCost: Int!\n", "  creditCost: Int\n")
        .replace("  \"Same as url.\"\n  videoUrl: String\n", "")
        .replace("  cancelled\n}", "}")
        .replace("type CostEstimate {", "type Extra { a: Int }\n\ntype CostEstimate {")
        .replace("  catalog: Catalog!\n", "  catalog: Catalog!\n  extra: Extra\n")
    )
    found = {(d.where, d.aspect, d.expected, d.found, d.only_in_target) for d in compare_schemas(ours, theirs)}
    assert found == {
        ("Generation.creditCost", "nullability", "Int!", "Int", False),
        ("Generation.videoUrl", "field", "String", "missing", False),
        ("JobStatus.cancelled", "enum value", "cancelled", "missing", False),
        ("Query.extra", "field", "absent", "Extra", True),
        ("Extra", "type", "absent", "OBJECT", True),
    }
    assert compare_schemas(ours, build_schema(sdl)) == []


def test_the_expectations_name_what_the_mock_serves():
    schema = expectations.schema()
    for type_name in expectations.MOCK_ONLY_TYPES:
        assert schema.get_type(type_name) is not None, type_name
    for type_name, field in expectations.MOCK_ONLY_FIELDS:
        assert field in schema.get_type(type_name).fields
    fixtures = expectations.fixtures()
    assert expectations.DOC_AVATAR in fixtures.avatar_by_id and expectations.DOC_VOICE in fixtures.voice_by_id
    assert expectations.openapi_schema("/v1/estimate", "post", 200) is not None
