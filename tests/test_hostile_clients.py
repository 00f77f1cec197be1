"""What a client with a valid key but bad intent, or a careless one, could do to the mock and to
other tenants: each scenario here was reproduced against the mock before it was fixed."""

from __future__ import annotations

import json
import socket
import threading
import time

import httpx
import pytest

from mockserver.core import grammar

from helpers import api_key, bearer

BODY = {"service": "hedra", "text": "Hello, welcome to our platform!", "avatarId": "professional-1"}


def submit(client: httpx.Client, key: str, **extra: object) -> httpx.Response:
    return client.post("/v1/avatar", json={**BODY, **extra}, headers=api_key(key))


# 1. A webhook can reset the whole mock.

@pytest.fixture(scope="module")
def server(server_factory):
    return server_factory("--speed", "instant", "--no-render", "--no-access-log")


@pytest.mark.integration
@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "LocalHost", "0.0.0.0", "[::1]", "[0:0::1]",
                                  "[::ffff:127.0.0.1]", "HOSTNAME", "0", "127.1", "2130706433", "LOCALHOST."])
def test_a_webhook_to_the_mock_itself_is_refused_at_submission(server, host):
    port = server.base_url.rsplit(":", 1)[1]
    host = host.replace("HOSTNAME", socket.gethostname())
    with httpx.Client(base_url=server.base_url) as client:
        for path in ("/_mock/reset", "/v1/avatar", "/"):
            url = f"http://{host}:{port}{path}"
            # What a C library reads as an address but is not written as one is no host at all here.
            reason = "itself" if grammar.matches(grammar.URL, url) else f"host, {host!r}"
            r = submit(client, "test-pro", webhookUrl=url)
            assert r.status_code == 400, (host, path, r.text)
            error = r.json()["errors"][0]
            assert error["extensions"]["field"] == "webhookUrl" and reason in error["message"], error


@pytest.mark.integration
@pytest.mark.parametrize("url", [
    "http://receiver.example/_mock/reset",
    "http://receiver.example/_mock",
    "http://receiver.example//_mock/fixtures/reload",
    "http://receiver.example/x/../_mock/reset",
    "http://receiver.example/%5Fmock/reset",
])
def test_a_webhook_to_any_control_api_path_is_refused(server, url):
    with httpx.Client(base_url=server.base_url) as client:
        r = submit(client, "test-pro", webhookUrl=url)
    assert r.status_code == 400 and "/_mock" in r.json()["errors"][0]["message"]


@pytest.mark.integration
def test_a_receiver_on_another_loopback_port_still_gets_its_webhook(server, receiver):
    with httpx.Client(base_url=server.base_url) as client:
        assert submit(client, "test-pro", webhookUrl=receiver.url).status_code == 200
    assert receiver.wait(timeout=10).json["status"] == "completed"


@pytest.mark.integration
def test_the_control_api_refuses_requests_that_carry_the_mocks_webhook_headers(server):
    with httpx.Client(base_url=server.base_url) as client:
        before = submit(client, "test-pro").json()["data"]["avatar"]["id"]
        r = client.post("/_mock/reset", headers={"X-Doitong-Delivery": "dlv_x", "X-Doitong-Signature": "sha256=00"})
        assert r.status_code == 403 and r.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        assert client.get(f"/v1/avatar/{before}", headers=api_key("test-pro")).status_code == 200


# 2. Slow receivers starve everyone's webhooks.

class DrippingReceivers:
    """Receivers that answer a status line, then one byte a second, forever."""

    def __init__(self, count: int) -> None:
        self.sockets = []
        for _ in range(count):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            s.listen(16)
            self.sockets.append(s)
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self._serve, args=(s,), daemon=True) for s in self.sockets]
        for t in self.threads:
            t.start()

    @property
    def urls(self) -> list[str]:
        return [f"http://127.0.0.1:{s.getsockname()[1]}/hook" for s in self.sockets]

    def _serve(self, listener: socket.socket) -> None:
        listener.settimeout(0.2)
        while not self.stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return  # closed
            threading.Thread(target=self._drip, args=(conn,), daemon=True).start()

    def _drip(self, conn: socket.socket) -> None:
        with conn:
            try:
                conn.recv(65536)
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")
                while not self.stop.is_set():
                    conn.sendall(b".")
                    time.sleep(1)
            except OSError:
                pass

    def close(self) -> None:
        self.stop.set()
        for s in self.sockets:
            s.close()


@pytest.mark.integration
@pytest.mark.parametrize("healthy_key,dripping", [("test-pro", 26), ("test-enterprise", 12)])
def test_dripping_receivers_do_not_starve_a_healthy_one(server_factory, receiver, healthy_key, dripping):
    """Attempts to receivers that drip a byte a second (130 from one tenant: more than the 96 fast
    slots), and a healthy receiver: of another tenant, it gets every delivery at once; of the
    same tenant, too, as long as that tenant's new dripping receivers are fewer than its 32 slots
    (each costs one deadline to find out)."""
    server = server_factory("--speed", "instant", "--no-render", "--no-access-log", "--webhook-timeout", "8",
                            "--webhook-attempts", "1")
    drips = DrippingReceivers(dripping)
    try:
        with httpx.Client(base_url=server.base_url, timeout=60) as client:
            for url in drips.urls:
                for copy in range(130 // dripping):
                    spelled = url.replace("127.0.0.1", ["127.0.0.1", "LOCALHOST", "localhost"][copy % 3])
                    assert submit(client, "test-enterprise", webhookUrl=spelled).status_code == 200
            for i in range(10):
                assert submit(client, healthy_key, text=f"healthy {i}", webhookUrl=receiver.url).status_code == 200
            receiver.wait(timeout=30, count=10)
            # Waiting behind the drips would have taken their 8 s deadline: when the healthy
            # receiver has all ten, no dripping attempt has ended yet.
            dripping = client.get("/_mock/deliveries", params={"account": "test-enterprise"}).json()["deliveries"]
            assert not [a for d in dripping if "/hook" in d["url"] for a in d["attempts"]]
            first = next(d for d in dripping if "/hook" in d["url"])
            client.get(f"/_mock/deliveries/{first['id']}", params={"attempts": 1, "wait": 30})  # one deadline
            dripping = client.get("/_mock/deliveries", params={"account": "test-enterprise"}).json()["deliveries"]
            attempts = [a for d in dripping if "/hook" in d["url"] for a in d["attempts"]]
        assert attempts and all("timed out after 8 s" in a["error"] and a["latencyMs"] < 9000 for a in attempts), [a for a in attempts if "timed out" not in (a["error"] or "")][:3]
    finally:
        drips.close()


# 3. One string breaks an account's job list.

@pytest.mark.anyio
@pytest.mark.parametrize("text", ["\ud800 hello", "hello \udfff", "nul \x00 inside", "bell \x07"])
async def test_bad_unicode_in_graphql_variables_is_a_400_and_nothing_is_stored(client, text):
    query = "mutation G($input: AvatarGenerationInput!) { generateAvatar(input: $input) { id } }"
    body = json.dumps({"query": query, "variables": {"input": {**BODY, "text": text}}})  # escapes surrogates
    r = await client.post("/graphql", content=body, headers={**bearer("test-pro"), "Content-Type": "application/json"})
    assert r.status_code == 400, r.text
    assert r.json()["errors"][0]["extensions"]["field"] == "input.text"
    listed = await client.get("/v1/avatar", headers=api_key("test-pro"))
    assert listed.status_code == 200 and listed.json()["data"]["totalCount"] == 0


@pytest.mark.anyio
@pytest.mark.parametrize("escape", ["\\ud800", "\\u0000", "\\u001b"])
async def test_bad_unicode_in_a_graphql_literal_is_a_400(client, escape):
    query = 'mutation { generateAvatar(input: {service: "hedra", avatarId: "professional-1", text: "xESC"}) { id } }'.replace("ESC", escape)
    r = await client.post("/graphql", json={"query": query}, headers=bearer("test-pro"))
    assert r.status_code == 400, r.text
    extensions = r.json()["errors"][0]["extensions"]
    # graphql-core's parser refuses a surrogate escape itself; the rest reaches the input rules.
    assert extensions.get("field") == "text" or extensions["code"] == "GRAPHQL_PARSE_FAILED", extensions
    assert (await client.get("/v1/avatar", headers=api_key("test-pro"))).json()["data"]["totalCount"] == 0


@pytest.mark.anyio
@pytest.mark.parametrize("field,value", [("text", "\ud800"), ("text", "a\x00b"), ("voice", "en-US-neural\x00"), ("webhookUrl", "http://x.test/\ud800")])
async def test_bad_unicode_in_a_rest_body_is_a_400_naming_the_field(client, field, value):
    body = json.dumps({**BODY, field: value})  # json.dumps escapes the surrogate as \\ud800
    r = await client.post("/v1/avatar", content=body, headers={**api_key("test-pro"), "Content-Type": "application/json"})
    assert r.status_code == 400 and r.json()["errors"][0]["extensions"]["field"] == field


@pytest.mark.anyio
async def test_bad_unicode_in_the_control_api_is_a_400(client):
    r = await client.post("/_mock/accounts", content=json.dumps({"name": "bad \ud800"}), headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and r.json()["errors"][0]["extensions"]["field"] == "name"


@pytest.mark.anyio
async def test_an_error_that_echoes_bad_input_is_still_valid_json(client):
    r = await client.post("/graphql", json={"query": '{ avatar(id: "\\ud800") { id } }'}, headers=bearer("test-pro"))
    assert r.status_code == 400 and r.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"


@pytest.mark.anyio
@pytest.mark.parametrize("duration", ["nan", "-5", "inf", "0", "abc", ""])
async def test_a_bad_duration_hint_on_audio_is_a_400(client, duration):
    r = await client.post("/v1/avatar", json={"service": "hedra", "avatarId": "professional-1",
                                              "audioUrl": f"https://cdn.example/a.mp3?duration={duration}"}, headers=api_key("test-pro"))
    assert r.status_code == 400 and r.json()["errors"][0]["extensions"]["field"] == "audioUrl"
    r = await client.post("/v1/estimate", json={"audioUrl": f"https://cdn.example/a.mp3?duration={duration}"}, headers=api_key("test-pro"))
    assert r.status_code == 400 and r.json()["errors"][0]["extensions"]["field"] == "audioUrl"


@pytest.mark.anyio
async def test_deliveries_dropped_from_the_log_are_not_retried_unseen(receiver):
    from mockserver import Settings, create_app

    app = create_app(Settings(clock="virtual", seed=3, render=False, max_deliveries=1, webhook_attempts=6))
    receiver.respond_with(then=500)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://mock.test") as client:
        for i in range(3):
            r = await client.post("/v1/avatar", json={**BODY, "text": f"job {i}", "webhookUrl": receiver.url}, headers=api_key("test-pro"))
            assert r.status_code == 200
        for _ in range(12):  # through every retry of a six-attempt schedule
            await client.post("/_mock/clock/advance", json={"seconds": 3600})
            await app.state.runtime.control.settle()
        [kept] = (await client.get("/_mock/deliveries")).json()["deliveries"]
    attempts_by_delivery: dict[str, int] = {}
    for got in receiver.deliveries:
        delivery_id = got.headers["x-doitong-delivery"]
        attempts_by_delivery[delivery_id] = attempts_by_delivery.get(delivery_id, 0) + 1
    assert attempts_by_delivery.pop(kept["id"]) == 6
    assert all(count <= 1 for count in attempts_by_delivery.values()), attempts_by_delivery
    await app.state.runtime.close()


# 4. Idempotency-Key can bill twice. 5. One busy tenant erases the others.

def capped_app(**overrides: object):
    from mockserver import Settings, create_app

    return create_app(Settings(**{"clock": "virtual", "seed": 4, "render": False, "max_finished_jobs": 2, **overrides}))


async def finish_everything(client: httpx.AsyncClient) -> None:
    assert (await client.post("/_mock/clock/advance", json={"seconds": 3600})).status_code == 200


@pytest.mark.anyio
async def test_a_retry_after_the_job_was_dropped_replays_it_and_charges_nothing():
    app = capped_app()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://mock.test") as client:
        keyed = {**api_key("test-pro"), "Idempotency-Key": "order-1"}
        first = (await client.post("/v1/avatar", json=BODY, headers=keyed)).json()["data"]["avatar"]
        await finish_everything(client)
        for i in range(3):
            await client.post("/v1/avatar", json={**BODY, "text": f"other {i}"}, headers=api_key("test-pro"))
            await finish_everything(client)
        assert (await client.get(f"/v1/avatar/{first['id']}", headers=api_key("test-pro"))).status_code == 410
        before = (await client.get("/v1/account", headers=api_key("test-pro"))).json()["data"]["account"]
        retry = await client.post("/v1/avatar", json=BODY, headers=keyed)
        assert retry.status_code == 200 and retry.headers["idempotent-replayed"] == "true"
        assert retry.json()["data"]["avatar"]["id"] == first["id"]
        gql = await client.post("/graphql", json={
            "query": "mutation G($input: AvatarGenerationInput!) { generateAvatar(input: $input) { id status } }",
            "variables": {"input": BODY}}, headers={**bearer("test-pro"), "Idempotency-Key": "order-1"})
        assert gql.json()["data"]["generateAvatar"] == {"id": first["id"], "status": "completed"}
        after = (await client.get("/v1/account", headers=api_key("test-pro"))).json()["data"]["account"]
        assert after["credits"]["charged"] == before["credits"]["charged"]
        assert after["credits"]["held"] == before["credits"]["held"] == 0
        assert after["usage"]["jobsToday"] == before["usage"]["jobsToday"] == 4
    await app.state.runtime.close()


@pytest.mark.anyio
async def test_one_busy_tenant_never_pushes_out_another_tenants_jobs():
    app = capped_app(max_finished_jobs=3)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://mock.test") as client:
        quiet = [(await client.post("/v1/avatar", json=BODY, headers=api_key("test-starter"))).json()["data"]["avatar"]["id"] for _ in range(2)]
        await finish_everything(client)
        busy = []
        for i in range(12):
            r = await client.post("/v1/avatar", json={**BODY, "text": f"busy {i}"}, headers=api_key("test-enterprise"))
            busy.append(r.json()["data"]["avatar"]["id"])
            await finish_everything(client)
        for job_id in quiet:
            assert (await client.get(f"/v1/avatar/{job_id}", headers=api_key("test-starter"))).json()["data"]["avatar"]["status"] == "completed"
        listed = (await client.get("/v1/avatar", headers=api_key("test-enterprise"))).json()["data"]
        assert [a["id"] for a in listed["avatars"]] == busy[::-1][:3] and listed["totalCount"] == 3
        gone = await client.get(f"/v1/avatar/{busy[0]}", headers=api_key("test-enterprise"))
        assert gone.status_code == 410
        error = gone.json()["errors"][0]
        assert error["extensions"] == {"code": "JOB_DROPPED", "maxFinishedJobs": 3} and "--max-finished-jobs" in error["message"]
        assert (await client.get(f"/v1/avatar/{busy[0]}", headers=api_key("test-pro"))).status_code == 404
    await app.state.runtime.close()


# 7. A partly rejected mutation hides a job it created.

@pytest.mark.anyio
async def test_a_partly_rejected_mutation_answers_with_the_job_it_created(client):
    query = """mutation Two($input: AvatarGenerationInput!) {
      a: generateAvatar(input: $input) { id creditCost }
      b: generateAvatar(input: $input) { id creditCost }
    }"""
    r = await client.post("/graphql", json={"query": query, "variables": {"input": BODY}}, headers=bearer("test-free"))
    body = r.json()
    assert r.status_code == 200, body  # data carries a job: the client must see it, not only the 429
    assert body["data"]["b"] is None and body["data"]["a"]["id"]
    [error] = body["errors"]
    assert error["path"] == ["b"] and error["extensions"]["code"] == "CONCURRENCY_LIMIT_EXCEEDED"
    account = (await client.get("/v1/account", headers=api_key("test-free"))).json()["data"]["account"]
    assert account["credits"]["held"] + account["credits"]["charged"] == body["data"]["a"]["creditCost"]
    listed = (await client.get("/v1/avatar", headers=api_key("test-free"))).json()["data"]["avatars"]
    assert [j["id"] for j in listed] == [body["data"]["a"]["id"]]


@pytest.mark.anyio
async def test_a_mutation_whose_every_field_is_refused_keeps_the_errors_status(client):
    query = 'mutation { a: generateAvatar(input: {service: "hedra", text: "hi", avatarId: "nope"}) { id } }'
    r = await client.post("/graphql", json={"query": query}, headers=bearer("test-pro"))
    assert r.status_code == 400 and "data" not in r.json()  # the document's error format


# 8. Unauthenticated GraphQL can bloat the server.

def resident_mb(pid: int, field: str = "VmHWM") -> int:
    for line in open(f"/proc/{pid}/status"):
        if line.startswith(field):
            return int(line.split()[1]) // 1024
    raise AssertionError(f"no {field} for {pid}")


@pytest.mark.anyio
async def test_without_a_key_only_a_small_introspection_document_is_ever_read(client):
    big = "{ __schema { queryType { name } } " + "#" * 9000 + "\n}"
    assert (await client.post("/graphql", json={"query": big})).status_code == 401
    invalid = await client.post("/graphql", json={"query": "{ account { nope } }"})
    assert invalid.status_code == 401, "not validated for a caller without a key"
    fine = await client.post("/graphql", json={"query": "{ __schema { queryType { name } } }"})
    assert fine.status_code == 200


@pytest.mark.anyio
async def test_one_name_selected_many_times_is_refused_before_validation(client):
    fields = " ".join(["a: __typename", "a: __schema { queryType { name } }"] * 6)
    r = await client.post("/graphql", json={"query": "{ " + fields + " }"}, headers=bearer("test-pro"))
    assert r.status_code == 400 and "'a' 12 times in one selection set" in r.json()["errors"][0]["message"]
    via_fragments = "{ ...F ...G } fragment F on Query { " + "a: __typename " * 6 + "} fragment G on Query { " + "a: __typename " * 6 + "}"
    r = await client.post("/graphql", json={"query": via_fragments}, headers=bearer("test-pro"))
    assert r.status_code == 400 and "12 times" in r.json()["errors"][0]["message"]


@pytest.mark.integration
def test_streams_of_unique_documents_leave_memory_bounded_and_health_answering(server):
    stop = threading.Event()
    health: list[int] = []

    def probe() -> None:
        with httpx.Client(base_url=server.base_url) as c:
            while not stop.is_set():
                health.append(c.get("/healthz").status_code)
                time.sleep(0.05)

    def stream(tid: int, key: str | None) -> None:
        headers = bearer(key) if key else {}
        with httpx.Client(base_url=server.base_url, timeout=60) as c:
            for i in range(150):
                conflicting = " ".join(f"a: __typename a: x{tid}{i}{j}: __schema {{ queryType {{ name }} }}" for j in range(40))
                assert c.post("/graphql", json={"query": "{ " + conflicting + " }"}, headers=headers).status_code in (400, 401)
                valid = " ".join(f"f{tid}_{i}_{j}: account {{ id plan {{ id name }} credits {{ available held }} }}" for j in range(60))
                r = c.post("/graphql", json={"query": "{ " + valid + " }"}, headers=headers)
                assert r.status_code == (200 if key else 401)

    threads = [threading.Thread(target=probe)] + [
        threading.Thread(target=stream, args=(n, key)) for n, key in enumerate([None, "test-enterprise", "test-enterprise"])
    ]
    for t in threads:
        t.start()
    for t in threads[1:]:
        t.join()
    stop.set()
    threads[0].join()
    assert health and set(health) == {200}
    assert resident_mb(server.process.pid) < 150


# 9. Bodies buffered past the limit.

def upload(base_url: str, path: str, megabytes: int) -> str:
    """A chunked upload of `megabytes` MiB, sent as fast as the server takes it; returns the
    status line the server answered with (it may answer and close before the end)."""
    host, port = base_url.removeprefix("http://").split(":")
    chunk = b"x" * (1 << 20)
    with socket.create_connection((host, int(port)), timeout=30) as s:
        s.sendall(f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
                  f"X-API-Key: test-enterprise\r\nTransfer-Encoding: chunked\r\n\r\n".encode())
        try:
            for _ in range(megabytes):
                s.sendall(b"%x\r\n" % len(chunk) + chunk + b"\r\n")
            s.sendall(b"0\r\n\r\n")
        except OSError:
            pass  # answered and closed early: the rest was never read
        try:
            return s.recv(200).split(b"\r\n")[0].decode()
        except OSError:
            return ""


@pytest.mark.integration
def test_no_body_is_held_in_memory_past_the_limit_faults_on_or_off(server_factory):
    server = server_factory("--no-render", "--no-access-log")
    with httpx.Client(base_url=server.base_url) as client:
        for fault in ({"status": 503, "match": {"key": "nobody", "operation": "generate"}},
                      {"status": 503, "match": {"key": "nobody"}}):
            assert client.post("/_mock/faults", json=fault).status_code == 201
    for path in ("/graphql", "/v1/avatar"):
        status = upload(server.base_url, path, 300)
        assert status in ("", "HTTP/1.1 413 Request Entity Too Large", "HTTP/1.1 413 Content Too Large"), status
    assert resident_mb(server.process.pid) < 150


# From the independent review: a request in flight while the mock is reset.

@pytest.mark.integration
@pytest.mark.parametrize("surface", ["rest", "graphql"])
def test_a_submission_in_flight_during_a_reset_is_refused_and_leaves_no_trace(server_factory, tmp_path, surface):
    state = tmp_path / "state.sqlite"
    args = ("--speed", "instant", "--no-render", "--no-access-log", "--state-file", str(state))
    server = server_factory(*args)
    host, port = server.base_url.removeprefix("http://").split(":")
    if surface == "rest":
        path, body, auth = "/v1/avatar", json.dumps(BODY).encode(), "X-API-Key: YOUR_API_KEY"
    else:
        query = "mutation G($input: AvatarGenerationInput!) { generateAvatar(input: $input) { id } }"
        path, body, auth = "/graphql", json.dumps({"query": query, "variables": {"input": BODY}}).encode(), "Authorization: Bearer YOUR_API_KEY"
    with socket.create_connection((host, int(port)), timeout=10) as s:
        s.sendall(f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n{auth}\r\n"
                  f"Content-Length: {len(body)}\r\n\r\n".encode())
        # Admitted by the gate (its request counted), now waiting for its body.
        deadline = time.monotonic() + 30
        while httpx.get(f"{server.base_url}/_mock/accounts/YOUR_API_KEY").json()["usage"]["requestsThisMinute"] == 0:
            assert time.monotonic() < deadline, "the request was never admitted"
        assert httpx.post(f"{server.base_url}/_mock/reset").status_code == 200
        s.sendall(body)
        answer = b""
        while b"\r\n\r\n" not in answer or len(answer.split(b"\r\n\r\n", 1)[1]) < int(
            answer.lower().split(b"content-length: ", 1)[1].split(b"\r\n", 1)[0]
        ):
            answer += s.recv(4096)
    assert answer.startswith(b"HTTP/1.1 503 "), answer[:200]
    assert b"SERVICE_UNAVAILABLE" in answer and b"reset" in answer
    with httpx.Client(base_url=server.base_url, headers=api_key("YOUR_API_KEY")) as client:
        assert client.get("/v1/avatar").json()["data"]["totalCount"] == 0
        credits = client.get("/v1/account").json()["data"]["account"]["credits"]
        assert (credits["available"], credits["held"], credits["charged"]) == (10000, 0, 0)
    server.stop()
    restarted = server_factory(*args)
    with httpx.Client(base_url=restarted.base_url, headers=api_key("YOUR_API_KEY")) as client:
        assert client.get("/v1/avatar").json()["data"]["totalCount"] == 0
        assert client.get("/v1/account").json()["data"]["account"]["credits"]["charged"] == 0


@pytest.mark.integration
def test_a_page_on_another_site_cannot_change_the_mock_through_the_control_api(server):
    with httpx.Client(base_url=server.base_url) as client:
        job = submit(client, "test-pro").json()["data"]["avatar"]["id"]
        for path in ("/_mock/reset", "/_mock/accounts", f"/_mock/jobs/{job}/complete"):
            r = client.post(path, content=b"", headers={"Origin": "https://evil.example", "Content-Type": "text/plain"})
            assert r.status_code == 403 and r.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN", path
        assert client.get(f"/v1/avatar/{job}", headers=api_key("test-pro")).status_code == 200
        assert client.get("/_mock/clock", headers={"Origin": "https://evil.example"}).status_code == 200  # reads: CORS hides them
        assert client.post("/_mock/clock/advance", json={"seconds": 0}, headers={"Origin": "http://localhost:5173"}).status_code == 200
        assert client.post("/_mock/clock/advance", json={"seconds": 0}).status_code == 200  # curl, scripts: no Origin


@pytest.mark.integration
def test_a_rebound_host_name_gets_nothing_from_a_server_on_loopback(server):
    port = server.base_url.rsplit(":", 1)[1]
    with httpx.Client(base_url=server.base_url) as client:
        r = client.get("/_mock/accounts", headers={"Host": f"attacker.example:{port}"})
        assert r.status_code == 403 and "not a name of this server" in r.json()["errors"][0]["message"]
        assert client.get("/v1/account", headers={"Host": f"attacker.example:{port}", **api_key("test-pro")}).status_code == 403
        for name in ("localhost", "127.0.0.1", "[::1]", socket.gethostname()):
            assert client.get("/_mock/clock", headers={"Host": f"{name}:{port}"}).status_code == 200, name


def outside_address() -> str:
    """An address of this machine other than loopback: where a published container port lands."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # no packet is sent: this only picks the outgoing address
            address = probe.getsockname()[0]
        except OSError:
            address = "127.0.0.1"
    if address.startswith("127."):
        pytest.skip("this machine has no address but loopback to listen on")
    return address


def upgrade_answer(address: str, port: int, host: str) -> bytes:
    """The first line of the answer to a WebSocket upgrade that says `Host: host`."""
    head = (f"GET /graphql HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
            "Sec-WebSocket-Protocol: graphql-transport-ws\r\n\r\n")
    with socket.create_connection((address, port), timeout=10) as sock:
        sock.sendall(head.encode())
        return sock.recv(4096).split(b"\r\n", 1)[0]


@pytest.mark.integration
def test_a_rebound_name_gets_nothing_from_a_server_listening_on_every_address(server_factory):
    """The compose set-up: the mock listens on 0.0.0.0 and is reached through an address that is
    not loopback, with no admin token. A page on attacker.example rebound to that address reads
    the mock as same-origin, and must not get the keys and secrets in /_mock/accounts."""
    address = outside_address()
    server = server_factory("--host", "0.0.0.0", "--no-render", "--no-access-log")
    port = int(server.base_url.rsplit(":", 1)[1])
    with httpx.Client(base_url=f"http://{address}:{port}") as client:
        for path, headers in (("/_mock/accounts", {}), ("/v1/account", api_key("test-pro")), ("/_mock/ui/", {})):
            r = client.get(path, headers={"Host": f"attacker.example:{port}", **headers})
            assert r.status_code == 403, (path, r.text[:200])
            assert r.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN" and "whsec_" not in r.text
            assert "--allow-host" in r.json()["errors"][0]["message"]
        assert upgrade_answer(address, port, f"attacker.example:{port}").startswith(b"HTTP/1.1 403 ")
        for name in ("mock", "localhost", "app.localhost", address, "[::1]", socket.gethostname().upper()):
            assert client.get("/_mock/clock", headers={"Host": f"{name}:{port}"}).status_code == 200, name
        assert client.get("/_mock/clock", headers={"Host": "mock"}).status_code == 200  # no port: 80 behind a proxy
    assert upgrade_answer(address, port, f"mock:{port}").startswith(b"HTTP/1.1 101 ")


@pytest.mark.integration
def test_the_rebinding_guard_holds_with_an_admin_token_too(server_factory):
    """The token keeps /_mock to its holders; /v1 takes only an API key, and the bundled ones are public."""
    address = outside_address()
    server = server_factory("--host", "0.0.0.0", "--admin-token", "t0ken", "--no-render", "--no-access-log")
    port = int(server.base_url.rsplit(":", 1)[1])
    with httpx.Client(base_url=f"http://{address}:{port}") as client:
        r = client.post("/v1/avatar", json={"service": "hedra", "text": "Spend it", "avatarId": "professional-1"},
                        headers={"Host": f"attacker.example:{port}", **api_key("YOUR_API_KEY")})
        assert r.status_code == 403
        assert client.get("/v1/avatar", headers=api_key("YOUR_API_KEY")).json()["data"]["totalCount"] == 0


@pytest.mark.integration
def test_allow_host_names_the_other_names_a_proxy_or_cluster_calls_the_mock_by(server_factory):
    address = outside_address()
    server = server_factory("--host", "0.0.0.0", "--no-render", "--no-access-log",
                            env={"DOITONG_MOCK_ALLOW_HOST": "mock.ci.internal, *.svc.cluster.local"})
    port = int(server.base_url.rsplit(":", 1)[1])
    with httpx.Client(base_url=f"http://{address}:{port}") as client:
        for name in ("mock.ci.internal", "MOCK.CI.INTERNAL.", "doitong-mock.testing.svc.cluster.local"):
            assert client.get("/_mock/clock", headers={"Host": f"{name}:{port}"}).status_code == 200, name
        for name in ("attacker.example", "mock.ci.internal.attacker.example", "svc.cluster.local.attacker.example"):
            assert client.get("/_mock/clock", headers={"Host": f"{name}:{port}"}).status_code == 403, name


@pytest.mark.integration
def test_a_second_host_header_does_not_get_a_rebound_name_past_the_guard(server):
    """The guard reads the first Host, as the app does when it builds links (h11 refuses two)."""
    host, port = server.base_url.removeprefix("http://").rsplit(":", 1)
    head = f"GET /_mock/accounts HTTP/1.1\r\nHost: attacker.example:{port}\r\nHost: localhost:{port}\r\nConnection: close\r\n\r\n"
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(head.encode())
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    assert answer.split(b" ", 2)[1] in (b"400", b"403"), answer[:300]


@pytest.mark.anyio
@pytest.mark.parametrize("extensions", [{"retryAfter": "soon"}, {"retryAfter": -1}, {"code": "X"}])
async def test_a_fault_that_could_not_be_answered_is_refused_when_it_is_made(client, extensions):
    r = await client.post("/_mock/faults", json={"status": 429, "extensions": extensions})
    assert r.status_code == 400 and r.json()["errors"][0]["extensions"]["field"] == "extensions"
    assert (await client.get("/v1/account", headers=api_key("test-pro"))).status_code == 200


@pytest.mark.anyio
async def test_a_fault_whose_extensions_name_a_reserved_word_still_answers_in_the_error_format(client):
    assert (await client.post("/_mock/faults", json={"status": 503, "extensions": {"status": 1, "headers": 2}})).status_code == 201
    r = await client.get("/v1/account", headers=api_key("test-pro"))
    assert r.status_code == 503 and r.json()["errors"][0]["extensions"] == {"code": "SERVICE_UNAVAILABLE", "status": 1, "headers": 2}


@pytest.mark.anyio
@pytest.mark.parametrize("change", [{"speed": 1e-11}, {"speed": "1e9"}])
async def test_a_speed_that_would_overflow_timestamps_is_refused(client, change):
    r = await client.patch("/_mock/clock", json=change)
    assert r.status_code == 400 and r.json()["errors"][0]["extensions"]["field"] == "speed"


@pytest.mark.anyio
async def test_the_clock_cannot_be_pushed_past_printable_times(client):
    for _ in range(3):
        r = await client.post("/_mock/clock/advance", json={"seconds": 10 * 365 * 86400})
    while r.status_code == 200:
        r = await client.post("/_mock/clock/advance", json={"seconds": 10 * 365 * 86400})
    assert r.status_code == 400 and "year 3000" in r.json()["errors"][0]["message"]
    assert (await client.get("/_mock/clock")).status_code == 200


def test_throw_away_accounts_are_capped():
    from mockserver import Settings, create_app
    from mockserver.core.control import MAX_THROWAWAY_ACCOUNTS
    from mockserver.core.errors import TooManyAccounts

    control = create_app(Settings(render=False)).state.runtime.control
    for _ in range(MAX_THROWAWAY_ACCOUNTS):
        control.create_account()
    with pytest.raises(TooManyAccounts):
        control.create_account()


@pytest.mark.integration
def test_a_stalled_graphql_body_is_cut_off_while_an_operation_fault_is_set(server_factory):
    server = server_factory("--no-render", "--client-timeout", "1")
    assert httpx.post(f"{server.base_url}/_mock/faults", json={"status": 503, "match": {"operation": "Nope"}}).status_code == 201
    host, port = server.base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as s:
        s.sendall(b"POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 50\r\n\r\n{")
        answer = s.recv(4096)
    assert answer.startswith(b"HTTP/1.1 408 ")  # not the socket's 10 s timeout


@pytest.mark.integration
def test_a_webhook_to_a_link_local_address_is_refused_unless_allowed(server):
    with httpx.Client(base_url=server.base_url) as client:
        r = submit(client, "test-pro", webhookUrl="http://169.254.169.254/latest/meta-data")
    assert r.status_code == 400 and "link-local" in r.json()["errors"][0]["message"]
