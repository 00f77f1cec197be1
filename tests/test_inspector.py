"""The inspector's server side: the page's files, the control reads it uses, the event stream over
real HTTP (admin token, slow followers, shutdown)."""

from __future__ import annotations

import asyncio
import json
import queue
import re
import signal
import socket
import threading
import time
from pathlib import Path

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from mockserver import Settings, create_app

from helpers import api_key, bearer

BODY = {"service": "hedra", "text": "Hello, welcome to our platform!", "avatarId": "professional-1"}
UI = Path(__file__).resolve().parent.parent / "mockserver" / "web" / "inspector_page"


@pytest.fixture
def app():
    return create_app(Settings(clock="virtual", seed=9))


@pytest.fixture
async def client(app):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://mock.test") as c:
        yield c


async def submit(client, key="YOUR_API_KEY", **extra) -> dict:
    r = await client.post("/v1/avatar", json={**BODY, **extra}, headers=api_key(key))
    assert r.status_code == 200, r.text
    return r.json()["data"]["avatar"]


# The page's files


@pytest.mark.anyio
async def test_the_page_is_served_from_the_package_with_a_strict_policy(client):
    r = await client.get("/_mock/ui")
    assert r.status_code == 307 and r.headers["location"] == "/_mock/ui/"
    r = await client.get("/_mock/ui/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    csp = r.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "connect-src 'self'" in csp
    assert "script-src 'self';" in csp  # no inline script, no eval
    assert (await client.get("/static/inspector/index.html")).status_code == 404  # only ever served with its policy
    assert (await client.get("/_mock/ui/app.js")).headers["content-type"].startswith("text/javascript")
    assert (await client.get("/_mock/ui/inspector.css")).headers["content-type"].startswith("text/css")
    for path in ("/_mock/ui/nope.js", "/_mock/ui/../control.py", "/_mock/ui/%2e%2e/app.py"):
        assert (await client.get(path)).status_code == 404, path
    demo = (await client.get("/")).text
    assert 'href="/_mock/ui/"' in demo


def test_the_page_loads_nothing_from_elsewhere_and_every_file_it_names_exists():
    files = {p.name: p.read_text() for p in UI.iterdir() if p.is_file()}
    assert {"index.html", "app.js", "api.js", "inspector.css"} <= set(files)
    for name, text in files.items():
        text = text.replace('xmlns="http://www.w3.org/2000/svg"', "")  # a namespace, not a load
        assert not re.search(r"https?://|(src|href)=[\"']//", text), f"{name} names another origin"
        for target in re.findall(r"from '\./([\w.-]+)'", text) + re.findall(r'(?:src|href)="([\w.-]+\.\w+)"', text):
            assert target in files, f"{name} uses {target}, which is not there"


def test_every_action_button_and_row_carries_its_test_hook():
    js = "".join(p.read_text() for p in UI.glob("*.js"))
    html = (UI / "index.html").read_text()
    for attribute in ("jobId", "requestId", "deliveryId", "accountKey", "faultId"):
        assert f"dataset: {{ {attribute}:" in js, attribute
    actions = set(re.findall(r"action: '([\w-]+)'", js)) | set(re.findall(r'data-action="([\w-]+)"', html))
    assert {"resend", "copy-curl", "complete", "fail", "cancel", "advance", "reset", "reload", "set-credits",
            "change-plan", "create-account", "add-fault", "remove-fault"} <= actions


# Control reads the page uses


@pytest.mark.anyio
async def test_all_jobs_across_accounts_newest_first_with_filters(client):
    first = await submit(client, "YOUR_API_KEY")
    second = await submit(client, "test-pro")
    r = await client.get("/_mock/jobs")
    jobs = r.json()["jobs"]
    assert [j["id"] for j in jobs[:2]] == [second["id"], first["id"]]
    assert jobs[0]["accountKey"] == "test-pro" and jobs[0]["seq"] > jobs[1]["seq"]
    assert [j["id"] for j in (await client.get("/_mock/jobs?account=YOUR_API_KEY")).json()["jobs"]] == [first["id"]]
    await client.post(f"/_mock/jobs/{first['id']}/complete")
    done = (await client.get("/_mock/jobs?status=completed")).json()["jobs"]
    assert [j["id"] for j in done] == [first["id"]]
    assert (await client.get("/_mock/jobs?status=lost")).status_code == 400
    assert (await client.get("/_mock/jobs?limit=0")).status_code == 400
    assert len((await client.get("/_mock/jobs?limit=1")).json()["jobs"]) == 1


@pytest.mark.anyio
async def test_one_job_has_its_timeline_ledger_and_deliveries(client):
    job = await submit(client, webhookUrl="http://127.0.0.1:9/hook")
    detail = (await client.get(f"/_mock/jobs/{job['id']}")).json()
    assert detail["accountKey"] == "YOUR_API_KEY" and detail["tier"] == "short"
    assert [(s["status"], s["planned"]) for s in detail["timeline"]] == [
        ("queued", False), ("processing", False), ("completed", True)]
    assert [e["kind"] for e in detail["ledger"]] == ["hold"] and detail["deliveries"] == []
    await client.post("/_mock/clock/advance", json={"seconds": 600})
    detail = (await client.get(f"/_mock/jobs/{job['id']}")).json()
    assert [(s["status"], s["planned"]) for s in detail["timeline"]][-1] == ("completed", False)
    assert detail["timeline"][-1]["at"] == detail["completedAt"]
    assert [e["kind"] for e in detail["ledger"]] == ["hold", "charge"]
    [delivery] = detail["deliveries"]
    assert delivery["event"] == "avatar.completed" and json.loads(delivery["body"])["id"] == job["id"]


@pytest.mark.anyio
async def test_a_scenario_that_fails_is_expected_to_fail_on_the_timeline(client):
    job = await submit(client, text="Say hello [fail]")
    detail = (await client.get(f"/_mock/jobs/{job['id']}")).json()
    assert detail["scenario"] and detail["timeline"][-1] == {**detail["timeline"][-1], "status": "failed", "planned": True}


@pytest.mark.anyio
async def test_accounts_list_with_plans_and_ledger_entries_on_request(client):
    data = (await client.get("/_mock/accounts")).json()
    keys = [a["key"] for a in data["accounts"]]
    assert keys[:2] == ["YOUR_API_KEY", "test-free"] and all(a["credits"]["entries"] == [] for a in data["accounts"])
    assert {p["id"] for p in data["plans"]} >= {"free", "starter", "pro", "enterprise"}
    one = (await client.get("/_mock/accounts/test-free?entries=1")).json()
    assert [e["kind"] for e in one["credits"]["entries"]] == ["initial"]


@pytest.mark.anyio
async def test_reading_an_account_opens_no_rate_limit_window(app, client):
    await client.get("/_mock/accounts/test-free")
    await client.post("/_mock/clock/advance", json={"seconds": 50})
    await client.get("/_mock/accounts")
    r = await client.get("/v1/account", headers=api_key("test-free"))
    # The window opened with this request, not with the reads 50 s earlier.
    assert int(r.headers["x-ratelimit-reset"]) >= int(app.state.runtime.clock.now()) + 59


@pytest.mark.anyio
async def test_the_clock_tells_the_next_due_event_and_advances_to_it(client):
    assert (await client.get("/_mock/clock")).json()["nextDueAt"] is None
    job = await submit(client)
    clock = (await client.get("/_mock/clock")).json()
    detail = (await client.get(f"/_mock/jobs/{job['id']}")).json()
    assert clock["nextDueAt"] == detail["endsAt"] and clock["nextDueIn"] > 0
    r = await client.post("/_mock/clock/advance", json={"next": True})
    assert r.json()["ran"] == 1 and r.json()["iso"] == detail["endsAt"]
    assert (await client.get(f"/_mock/jobs/{job['id']}")).json()["status"] == "completed"
    r = await client.post("/_mock/clock/advance", json={"next": True})
    assert r.status_code == 200 and r.json()["ran"] == 0
    for body in ({}, {"seconds": 5, "next": True}):
        assert (await client.post("/_mock/clock/advance", json=body)).status_code == 400


@pytest.mark.anyio
async def test_one_request_with_masked_credentials_and_the_response(client):
    await client.post("/v1/avatar", json=BODY, headers={**api_key("YOUR_API_KEY"), "Cookie": "session=abcdef123456"})
    [entry] = (await client.get("/_mock/requests?path=/v1/avatar")).json()["requests"]
    full = (await client.get(f"/_mock/requests/{entry['id']}")).json()
    headers = dict(full["headers"])
    assert headers["x-api-key"] == "YOUR" + "\u2022" * 8 and "abcdef" not in headers["cookie"]
    assert json.loads(full["body"])["avatarId"] == "professional-1"
    response = full["response"]
    assert response["status"] == 200 and dict(response["headers"])["x-ratelimit-limit"] == "60"
    assert json.loads(response["body"])["data"]["avatar"]["status"] in ("queued", "processing")
    assert (await client.get("/_mock/requests/999999")).status_code == 404
    assert (await client.get("/_mock/requests/abc")).status_code == 400


@pytest.mark.anyio
async def test_journal_text_search_brief_listing_and_capped_response_bodies(client):
    await submit(client, text="The cartoon giraffe says hi")
    await client.get("/v1/avatar", headers=api_key())
    found = (await client.get("/_mock/requests?text=GIRAFFE")).json()["requests"]
    assert [(e["method"], e["path"]) for e in found] == [("POST", "/v1/avatar"), ("GET", "/v1/avatar")]  # body, answer
    assert len((await client.get("/_mock/requests?text=giraffe&method=POST&brief=1")).json()["requests"]) == 1
    brief = (await client.get("/_mock/requests?brief=1")).json()["requests"][0]
    assert "body" not in brief and "headers" not in brief
    r = await client.get("/avatars/professional-1/portrait")
    assert r.status_code == 200
    portrait = (await client.get("/_mock/requests?path=/avatars/*")).json()["requests"][0]
    assert re.fullmatch(r"\[\d+ bytes of image/(png|jpeg)\]", portrait["response"]["body"])


@pytest.mark.anyio
async def test_attempts_keep_the_exact_headers_they_sent(app, client, receiver):
    await submit(client, webhookUrl=receiver.url)
    await client.post("/_mock/clock/advance", json={"seconds": 600})
    got = await asyncio.to_thread(receiver.wait, 5)
    await app.state.runtime.control.settle()
    [delivery] = (await client.get("/_mock/deliveries?limit=5")).json()["deliveries"]
    assert (await client.get("/_mock/deliveries?limit=0")).status_code == 400
    sent = delivery["attempts"][0]["headers"]
    assert sent["X-Doitong-Signature"] == got.headers["x-doitong-signature"]
    assert sent["User-Agent"] == got.headers["user-agent"]
    assert delivery["body"].encode() == got.body and delivery["accountKey"] == "YOUR_API_KEY"



# Lists: the mock's totals, server-side cursors and filters


@pytest.mark.anyio
async def test_jobs_page_through_everything_the_mock_holds_with_its_total(client):
    made = [(await submit(client, key, text=f"Job number {i} says hello"))["id"]
            for i, key in enumerate(["YOUR_API_KEY", "test-pro"] * 6)]
    first = (await client.get("/_mock/jobs?limit=5")).json()
    assert first["total"] == 12 and [j["id"] for j in first["jobs"]] == made[::-1][:5]
    seen = [j["id"] for j in first["jobs"]]
    cursor = first["next"]
    while cursor is not None:
        page = (await client.get(f"/_mock/jobs?limit=5&before={cursor}")).json()
        assert page["total"] == 12
        seen += [j["id"] for j in page["jobs"]]
        cursor = page["next"]
    assert seen == made[::-1]  # every job once, newest first
    mine = (await client.get("/_mock/jobs?account=test-pro&limit=2")).json()
    assert mine["total"] == 6 and all(j["accountKey"] == "test-pro" for j in mine["jobs"])
    # Search: by id, by text, by key, by status, any case.
    assert [j["id"] for j in (await client.get(f"/_mock/jobs?text={made[3].upper()}")).json()["jobs"]] == [made[3]]
    found = (await client.get("/_mock/jobs?text=NUMBER 1")).json()
    assert found["total"] == 3 and {j["text"] for j in found["jobs"]} == {f"Job number {n} says hello" for n in (1, 10, 11)}
    assert (await client.get("/_mock/jobs?text=test-pro")).json()["total"] == 6
    await client.post(f"/_mock/jobs/{made[0]}/complete")
    await client.post(f"/_mock/jobs/{made[1]}/state", json={"status": "cancelled"})
    assert [j["id"] for j in (await client.get("/_mock/jobs?text=cancelled")).json()["jobs"]] == [made[1]]
    finished = (await client.get("/_mock/jobs?status=completed,cancelled")).json()
    assert finished["total"] == 2 and [j["id"] for j in finished["jobs"]] == [made[1], made[0]]
    assert (await client.get("/_mock/jobs?status=queued,processing")).json()["total"] == 10
    r = await client.get("/_mock/jobs?status=queued,lost")
    assert r.status_code == 400 and "'lost'" in r.json()["errors"][0]["message"]
    assert (await client.get("/_mock/jobs?before=abc")).status_code == 400


@pytest.mark.anyio
async def test_requests_page_back_with_the_journals_total_status_classes_and_faults(client):
    for _ in range(7):
        await client.get("/v1/account", headers=api_key())
    await client.get("/v1/avatar/nope", headers=api_key())
    await client.post("/_mock/faults", json={"status": 503, "count": 1})
    await client.get("/v1/account", headers=api_key())
    page = (await client.get("/_mock/requests?limit=4&brief=1")).json()
    assert page["total"] == 9 and len(page["requests"]) == 4 and page["next"] == page["requests"][0]["id"]
    ids = [r["id"] for r in page["requests"]]
    assert ids == sorted(ids)  # oldest first, as before
    older = (await client.get(f"/_mock/requests?limit=4&brief=1&before={page['next']}")).json()
    assert [r["id"] for r in older["requests"]] == [i - 4 for i in ids] and older["total"] == 9
    last = (await client.get(f"/_mock/requests?limit=4&brief=1&before={older['next']}")).json()
    assert len(last["requests"]) == 1 and last["next"] is None

    async def statuses(query: str) -> list[int]:
        return [r["status"] for r in (await client.get(f"/_mock/requests?{query}")).json()["requests"]]

    assert await statuses("status=4xx") == [404] and await statuses("status=5xx,404") == [404, 503]
    assert await statuses("status=2xx") == [200] * 7 and await statuses("status=404") == [404]
    assert await statuses("fault=1") == [503] and await statuses("fault=0&status=5xx") == []
    [faulted] = (await client.get("/_mock/requests?fault=true")).json()["requests"]
    assert faulted["fault"].startswith("fault_")
    for bad in ("status=4x", "status=600", "fault=maybe", "before=x"):
        assert (await client.get(f"/_mock/requests?{bad}")).status_code == 400, bad


@pytest.mark.anyio
async def test_deliveries_page_and_filter_by_state_and_text(app, client):
    jobs = [await submit(client, webhookUrl=f"http://127.0.0.1:9/hook-{n}") for n in range(5)]
    await client.post("/_mock/clock/advance", json={"seconds": 600})
    await app.state.runtime.control.settle()
    everything = (await client.get("/_mock/deliveries")).json()
    assert everything["total"] == 5 and everything["next"] is None
    ids = [d["id"] for d in everything["deliveries"]]
    page = (await client.get("/_mock/deliveries?limit=2")).json()
    assert [d["id"] for d in page["deliveries"]] == ids[-2:] and page["next"] == ids[-2]
    older = (await client.get(f"/_mock/deliveries?limit=2&before={page['next']}")).json()
    assert [d["id"] for d in older["deliveries"]] == ids[1:3] and older["total"] == 5
    hook = (await client.get("/_mock/deliveries?text=HOOK-3")).json()
    assert hook["total"] == 1 and hook["deliveries"][0]["jobId"] == jobs[3]["id"]
    states = {d["state"] for d in everything["deliveries"]}
    for state in states:
        assert (await client.get(f"/_mock/deliveries?state={state}")).json()["total"] == 5
    assert (await client.get("/_mock/deliveries?state=lost")).status_code == 400
    r = await client.get("/_mock/deliveries?before=dlv_nope")
    assert r.status_code == 400 and "dlv_nope" in r.json()["errors"][0]["message"]


@pytest.mark.anyio
async def test_health_counts_what_the_mock_holds_and_the_generation_changes_at_reset(client):
    for _ in range(3):
        await submit(client)
    health = (await client.get("/_mock/health")).json()
    assert health["jobs"] == 3 and health["jobsInFlight"] == 3 and health["journal"] == 3
    assert health["deliveriesFailed"] == 0 and health["accounts"] >= 4
    generation = (await client.get("/healthz")).json()["generation"]
    assert generation == health["generation"] and len(generation) >= 8
    await client.post("/_mock/reset")
    assert (await client.get("/healthz")).json()["generation"] != generation


# Links between what belongs together


@pytest.mark.anyio
async def test_a_request_names_the_job_it_made_and_a_job_lists_its_requests(client):
    job = await submit(client)
    other = await submit(client, "test-pro")
    query = "mutation G($input: GenerateInput!) { generate(input: $input) { id } }"
    variables = {"input": {"type": "AVATAR", "provider": "hedra", "input": {"text": "Hi from GraphQL", "avatarId": "casual-1"}}}
    made = (await client.post("/graphql", json={"query": query, "variables": variables}, headers=bearer())).json()
    by_graphql = made["data"]["generate"]["id"]
    await client.get(f"/v1/avatar/{job['id']}", headers=api_key())
    read = "query Read($id: ID!) { avatar(id: $id) { status } }"
    await client.post("/graphql", json={"query": read, "variables": {"id": job["id"]}}, headers=bearer())
    brief = (await client.get("/_mock/requests?brief=1")).json()["requests"]
    assert [r["jobId"] for r in brief[:3]] == [job["id"], other["id"], by_graphql]
    assert all(r["jobId"] is None for r in brief[3:])  # reads name a job, they did not make one
    mine = (await client.get(f"/_mock/requests?job={job['id']}&brief=1")).json()
    assert mine["total"] == 3 and [r["path"] for r in mine["requests"]] == ["/v1/avatar", f"/v1/avatar/{job['id']}", "/graphql"]


# Bodies, copies and replays


@pytest.mark.anyio
async def test_a_body_over_16_kib_says_it_was_cut_and_its_whole_size(client):
    text = "word " * 8000  # 40,000 characters
    await client.post("/v1/avatar", json={**BODY, "text": text}, headers=api_key())
    [entry] = (await client.get("/_mock/requests?path=/v1/avatar")).json()["requests"]
    assert entry["bodyTruncated"] is True and entry["bodySize"] > 40_000
    assert len(entry["body"].encode()) == 16 * 1024 and "more bytes]" not in entry["body"]
    await client.get("/v1/account", headers=api_key())
    [small] = (await client.get("/_mock/requests?path=/v1/account")).json()["requests"]
    assert small["bodyTruncated"] is False and small["bodySize"] == 0
    assert small["response"]["bodyTruncated"] is False and small["response"]["bodySize"] == len(small["response"]["body"])


@pytest.mark.anyio
async def test_credentials_are_shown_as_sent_only_when_asked(client):
    await client.get("/v1/account", headers={"Authorization": "Bearer YOUR_API_KEY"})
    [entry] = (await client.get("/_mock/requests?brief=1")).json()["requests"]
    masked = dict((await client.get(f"/_mock/requests/{entry['id']}")).json()["headers"])
    shown = dict((await client.get(f"/_mock/requests/{entry['id']}?unmasked=1")).json()["headers"])
    assert "YOUR_API_KEY" not in masked["authorization"] and shown["authorization"] == "Bearer YOUR_API_KEY"


@pytest.mark.anyio
async def test_a_replay_sends_the_request_again_and_journals_the_new_one(client):
    job = await submit(client, text="Replay me, please")
    [entry] = (await client.get("/_mock/requests?path=/v1/avatar")).json()["requests"]
    r = await client.post(f"/_mock/requests/{entry['id']}/replay")
    assert r.status_code == 201, r.text
    again = r.json()
    assert again["id"] > entry["id"] and again["replayOf"] == entry["id"]
    assert (again["method"], again["path"], again["status"], again["key"]) == ("POST", "/v1/avatar", 200, "YOUR_API_KEY")
    assert again["jobId"] not in (None, job["id"])  # a second job, made by the replay
    assert (await client.get(f"/_mock/jobs/{again['jobId']}")).json()["text"] == "Replay me, please"
    assert dict(again["headers"])["x-api-key"] == dict(entry["headers"])["x-api-key"]
    journal = (await client.get("/_mock/requests?path=/v1/avatar")).json()
    assert journal["total"] == 2 and journal["requests"][-1]["id"] == again["id"]
    await client.post("/v1/avatar", json={**BODY, "text": "word " * 8000}, headers=api_key())
    long = (await client.get("/_mock/requests?path=/v1/avatar")).json()["requests"][-1]
    r = await client.post(f"/_mock/requests/{long['id']}/replay")
    assert r.status_code == 409 and "16384" in r.json()["errors"][0]["message"]
    assert (await client.post("/_mock/requests/999999/replay")).status_code == 404


@pytest.mark.anyio
async def test_the_mocks_own_pages_are_not_api_traffic(client):
    demo = "http://mock.test/"
    assert (await client.get("/")).status_code == 200
    assert (await client.get("/openapi.json")).status_code == 200
    assert (await client.get("/graphql", headers={"Accept": "text/html"})).status_code == 200  # GraphiQL
    assert (await client.get("/avatars/casual-1/portrait", headers={"Referer": demo})).status_code == 200
    assert (await client.get("/static/demo.js")).status_code == 200
    assert (await client.get("/_mock/requests")).json()["total"] == 0
    # What those pages do with the API, and portraits another page loads, are traffic.
    await client.post("/graphql", json={"query": "{ catalog { voices { id } } }"}, headers={**bearer(), "Referer": demo})
    await client.get("/avatars/casual-1/portrait", headers={"Referer": "http://localhost:5173/"})
    await client.get("/avatars/casual-1/portrait")
    assert [r["path"] for r in (await client.get("/_mock/requests")).json()["requests"]] == [
        "/graphql", "/avatars/casual-1/portrait", "/avatars/casual-1/portrait"]

# The event stream over real HTTP


class Stream:
    """Reads /_mock/events over a plain socket in a thread: (kind, data) pairs land in `events`.
    `close()` shuts the socket down, so the server sees the client leave at once."""

    def __init__(self, url: str, headers: dict | None = None) -> None:
        parts = httpx.URL(url)
        self.events: queue.Queue = queue.Queue()
        self.status: int | None = None
        self.headers: dict[str, str] = {}
        self._sock = socket.create_connection((parts.host, parts.port), timeout=30)
        target = parts.raw_path.decode()
        lines = [f"GET {target} HTTP/1.1", f"Host: {parts.host}:{parts.port}", "Accept: text/event-stream"]
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        self._sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        assert self._ready.wait(10), "no answer from the event stream"

    def _run(self):
        buffer = b""
        try:
            while b"\r\n\r\n" not in buffer:
                buffer += self._recv()
            head, buffer = buffer.split(b"\r\n\r\n", 1)
            status_line, *header_lines = head.decode("latin-1").split("\r\n")
            self.status = int(status_line.split()[1])
            self.headers = {k.lower(): v.strip() for k, v in (line.split(":", 1) for line in header_lines)}
            self._ready.set()
            text = ""
            while True:  # chunked transfer encoding: size line, data, CRLF
                while b"\r\n" not in buffer:
                    buffer += self._recv()
                size_line, buffer = buffer.split(b"\r\n", 1)
                size = int(size_line.split(b";")[0], 16)
                if size == 0:
                    return
                while len(buffer) < size + 2:
                    buffer += self._recv()
                text += buffer[:size].decode()
                buffer = buffer[size + 2:]
                while "\n\n" in text:
                    block, text = text.split("\n\n", 1)
                    fields = dict(line.split(": ", 1) for line in block.split("\n") if ": " in line)
                    if "data" in fields:
                        self.events.put((fields.get("event", "message"), json.loads(fields["data"])))
        except (OSError, ConnectionError, ValueError):
            pass
        finally:
            self._ready.set()
            self.events.put(("closed", {}))

    def _recv(self) -> bytes:
        data = self._sock.recv(65536)
        if not data:
            raise ConnectionError("closed")
        return data

    def next(self, kind: str, timeout: float = 10) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            got, data = self.events.get(timeout=max(deadline - time.monotonic(), 0.01))
            if got == kind:
                return data
            assert got != "closed", f"the stream closed while waiting for {kind}"

    def close(self) -> None:
        try:
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._sock.close()
        self._thread.join(5)


@pytest.fixture(scope="module")
def server(server_factory):
    return server_factory("--clock", "virtual", "--seed", "5", "--no-render", "--no-access-log")


@pytest.mark.integration
def test_the_stream_says_hello_then_each_change_as_it_happens(server):
    stream = Stream(server.base_url + "/_mock/events")
    try:
        assert stream.status == 200 and stream.headers["content-type"].startswith("text/event-stream")
        assert stream.headers["cache-control"].startswith("no-cache")
        hello = stream.next("hello")
        assert hello["clock"]["mode"] == "virtual" and "job" in hello["kinds"] and hello["adminToken"] is False
        r = httpx.post(server.base_url + "/v1/avatar", json=BODY, headers=api_key("test-pro"))
        job_id = r.json()["data"]["avatar"]["id"]
        assert stream.next("job")["job"]["id"] == job_id
        assert stream.next("request")["request"]["path"] == "/v1/avatar"
    finally:
        stream.close()


@pytest.mark.integration
def test_the_stream_can_be_narrowed_to_some_kinds(server):
    r = httpx.get(server.base_url + "/_mock/events?kinds=job,nonsense")
    assert r.status_code == 400 and r.json()["errors"][0]["extensions"]["field"] == "kinds"
    stream = Stream(server.base_url + "/_mock/events?kinds=clock")
    try:
        assert stream.next("hello")["kinds"] == ["clock"]
        httpx.get(server.base_url + "/v1/account", headers=bearer())
        httpx.post(server.base_url + "/_mock/clock/advance", json={"seconds": 1})
        kind, data = stream.events.get(timeout=10)
        assert kind == "clock", (kind, data)
    finally:
        stream.close()


@pytest.mark.integration
def test_a_follower_that_stops_reading_never_holds_up_the_api(server):
    """A client that opens the stream and never reads: the server's writes to it would block
    once its socket buffers are full. Every request goes on being answered (each within the
    client's timeout), the follower is dropped to a `lagged` backlog, and it is let go."""
    before = httpx.get(server.base_url + "/_mock/health").json()["eventStreams"]
    stalled = socket.socket()
    stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    stalled.connect(("127.0.0.1", int(server.base_url.rsplit(":", 1)[1])))
    stalled.sendall(b"GET /_mock/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    deadline = time.monotonic() + 30
    while httpx.get(server.base_url + "/_mock/health").json()["eventStreams"] == before:
        assert time.monotonic() < deadline, "the stream never opened"
    try:
        # Each job is four events of about a kilobyte: far more than the stalled socket takes.
        with httpx.Client(base_url=server.base_url, timeout=10) as c:
            for i in range(600):
                r = c.post("/v1/avatar", json={**BODY, "text": f"Request number {i} of the burst"},
                           headers=api_key("test-enterprise"))
                assert r.status_code == 200
        health = httpx.get(server.base_url + "/_mock/health").json()
        assert health["eventStreams"] == before + 1
    finally:
        stalled.close()
    deadline = time.monotonic() + 30
    while httpx.get(server.base_url + "/_mock/health").json()["eventStreams"] > before:
        assert time.monotonic() < deadline, "the server never let the closed stream go"


@pytest.mark.integration
def test_with_an_admin_token_nothing_of_the_control_api_answers_without_it(server_factory):
    guarded = server_factory("--admin-token", "s3cret-token", "--clock", "virtual", "--no-render")
    base = guarded.base_url
    token = {"X-Admin-Token": "s3cret-token"}
    assert httpx.get(base + "/_mock/ui/").status_code == 200  # the page itself holds no data
    for headers, params in (({}, {}), ({"X-Admin-Token": "wrong"}, {}), ({}, {"token": "s3cret-token"}),
                            ({}, {"admin_token": "s3cret-token"})):
        r = httpx.get(base + "/_mock/events", headers=headers, params=params)
        assert r.status_code == 401, (headers, params)
    routes = httpx.get(base + "/_mock", headers=token).json()["routes"]
    # What holds nothing of the state needs no token: the page's files and the API's own document.
    open_to_all = ("/_mock/ui", "/_mock/openapi.json")
    reads = [r.split(" ", 1)[1] for r in routes if r.startswith("GET ") and not r.split(" ", 1)[1].startswith(open_to_all)]
    assert "/_mock/events" in reads and "/_mock/jobs" in reads and "/_mock/accounts" in reads
    for path in reads:
        concrete = re.sub(r"\{[^}]+\}", "x", path)
        assert httpx.get(base + concrete).status_code == 401, path
    assert httpx.get(base + "/_mock/openapi.json").status_code == 200
    stream = Stream(base + "/_mock/events", headers=token)
    try:
        assert stream.status == 200 and stream.next("hello")["adminToken"] is True
    finally:
        stream.close()


@pytest.mark.integration
def test_shutdown_ends_open_streams_at_once_even_one_nobody_reads(server_factory):
    server = server_factory("--no-render", "--clock", "virtual")
    stream = Stream(server.base_url + "/_mock/events")
    stream.next("hello")
    stalled = socket.socket()
    stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    stalled.connect(("127.0.0.1", int(server.base_url.rsplit(":", 1)[1])))
    stalled.sendall(b"GET /_mock/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    with httpx.Client(base_url=server.base_url) as c:
        for i in range(300):  # enough events that the stalled stream's writes block
            c.post("/v1/avatar", json={**BODY, "text": f"Job {i}"}, headers=api_key("test-enterprise"))
    server.process.send_signal(signal.SIGTERM)
    server.process.wait(timeout=30)
    stream.next("closed", timeout=5)
    stream.close()
    stalled.close()
    # uvicorn says "Cancel N running task(s)" when its graceful-shutdown timeout had to end them.
    assert "Cancel" not in server.log() and "Traceback" not in server.log()


WATCH = "subscription Watch($id: ID!) { generationUpdated(id: $id) { id status } }"


def ws_messages(ws, until: str) -> list[dict]:
    got = []
    while True:
        message = json.loads(ws.recv(timeout=10))
        got.append(message)
        if message["type"] == until:
            return got


@pytest.mark.integration
def test_graphql_over_websocket_is_in_the_journal(server):
    http = httpx.Client(base_url=server.base_url, timeout=10)
    key = http.post("/_mock/accounts", json={}).json()["key"]
    job_id = http.post("/v1/avatar", json=BODY, headers=api_key(key)).json()["data"]["avatar"]["id"]
    url = server.base_url.replace("http://", "ws://") + f"/graphql?apiKey={key}"
    with connect(url, subprotocols=["graphql-transport-ws"]) as ws:
        ws.send(json.dumps({"type": "connection_init"}))
        assert json.loads(ws.recv(timeout=10))["type"] == "connection_ack"
        ws.send(json.dumps({"type": "subscribe", "id": "a", "payload": {
            "query": WATCH, "variables": {"id": job_id}, "operationName": "Watch"}}))
        ws_messages(ws, "next")
        ws.send(json.dumps({"type": "subscribe", "id": "b", "payload": {"query": "subscription { nothing }"}}))
        ws_messages(ws, "error")
        ws.send(json.dumps({"type": "subscribe", "id": "c", "payload": {"query": WATCH, "variables": {"id": job_id}}}))
        ws_messages(ws, "next")
        ws.send(json.dumps({"type": "complete", "id": "c"}))  # the client ends one
        http.post(f"/_mock/jobs/{job_id}/complete")  # the server ends the other
        ws_messages(ws, "complete")
    with connect(url.replace(key, "not-a-key"), subprotocols=["graphql-transport-ws"]) as ws:
        ws.send(json.dumps({"type": "connection_init"}))
        with pytest.raises(ConnectionClosed):
            ws.recv(timeout=10)
    deadline = time.monotonic() + 10
    while True:  # the last entries are written as the server sees the sockets close
        found = http.get("/_mock/requests", params={"surface": "websocket"}).json()
        if found["total"] >= 6 or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    entries = [(e["method"], e["status"], e["operation"], e["key"]) for e in found["requests"]]
    watch = "Watch,generationUpdated"
    assert entries == [
        ("SUBSCRIBE", 200, watch, key), ("SUBSCRIBE", 400, None, key), ("SUBSCRIBE", 200, watch, key),
        ("COMPLETE", 200, watch, key), ("COMPLETE", 200, watch, key), ("CONNECT", 401, None, "not-a-key"),
    ]
    first, refused, _, by_client, by_server, _ = found["requests"]
    assert json.loads(first["body"]) == {"query": WATCH, "variables": {"id": job_id}, "operationName": "Watch"}
    assert key not in first["query"] and first["path"] == "/graphql" and first["surface"] == "websocket"
    assert "GRAPHQL_VALIDATION_FAILED" in refused["response"]["body"]
    assert json.loads(by_client["response"]["body"])["endedBy"] == "client"
    ended = json.loads(by_server["response"]["body"])
    assert ended["endedBy"] == "server" and ended["last"]["data"]["generationUpdated"]["status"] == "completed"
    assert ended["messages"] >= 2
    assert [e["method"] for e in http.get("/_mock/requests", params={"job": job_id}).json()["requests"]] == [
        "POST", "SUBSCRIBE", "SUBSCRIBE", "COMPLETE", "COMPLETE"]
    assert http.post(f"/_mock/requests/{first['id']}/replay").status_code == 409
