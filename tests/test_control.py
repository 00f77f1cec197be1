"""Each control operation against a real server process."""

from __future__ import annotations

import re
import time

import httpx
import pytest

from helpers import api_key, bearer

pytestmark = pytest.mark.integration

BODY = {"service": "hedra", "text": "Hello, welcome to our platform!", "avatarId": "professional-1"}


@pytest.fixture(scope="module")
def server(server_factory):
    return server_factory("--clock", "virtual", "--seed", "3", "--no-access-log")


@pytest.fixture
def http(server):
    with httpx.Client(base_url=server.base_url, timeout=10) as client:
        yield client


@pytest.fixture
def account(http) -> dict:
    r = http.post("/_mock/accounts", json={"plan": "pro", "credits": 1000})
    assert r.status_code == 201
    return r.json()


def submit(http, key: str, **extra) -> dict:
    r = http.post("/v1/avatar", json={**BODY, **extra}, headers=api_key(key))
    assert r.status_code == 200, r.text
    return r.json()["data"]["avatar"]


def job(http, key: str, job_id: str) -> dict:
    return http.get(f"/v1/avatar/{job_id}", headers=api_key(key)).json()["data"]["avatar"]


def test_throwaway_accounts_are_isolated_and_usable(http, account):
    other = http.post("/_mock/accounts", json={"plan": "free", "credits": 7, "standardWebhooks": True}).json()
    assert account["key"] != other["key"] and account["key"].startswith("mock_")
    assert other["plan"]["name"] == "Free" and other["credits"]["available"] == 7
    assert other["webhookSecret"].startswith("whsec_") and other["standardWebhooks"] is True
    made = submit(http, account["key"])
    assert http.get(f"/v1/avatar/{made['id']}", headers=api_key(other["key"])).status_code == 404
    r = http.post("/_mock/accounts", json={"plan": "platinum"})
    assert r.status_code == 400 and r.json()["errors"][0]["extensions"]["field"] == "plan"
    r = http.post("/_mock/accounts", json={"credits": "lots"})
    assert r.status_code == 400


def test_set_credits_plan_and_enabled(http, account):
    key = account["key"]
    r = http.patch(f"/_mock/accounts/{key}", json={"credits": 10})
    assert r.json()["credits"]["available"] == 10
    r = http.post("/v1/avatar", json=BODY, headers=api_key(key))
    assert r.status_code == 402 and r.json()["errors"][0]["extensions"]["creditsAvailable"] == 10
    r = http.patch(f"/_mock/accounts/{key}", json={"plan": "free", "credits": 500})
    assert r.json()["plan"]["name"] == "Free"
    assert http.get("/v1/account", headers=api_key(key)).headers["X-RateLimit-Limit"] == "10"
    http.patch(f"/_mock/accounts/{key}", json={"enabled": False})
    assert http.get("/v1/account", headers=api_key(key)).status_code == 403
    assert http.get("/_mock/accounts/nope").status_code == 404


def test_clock_read_advance_and_speed(http, account):
    before = http.get("/_mock/clock").json()
    assert before["mode"] == "virtual" and before["speed"] == "realtime"
    made = submit(http, account["key"])
    assert made["status"] == "processing"
    r = http.post("/_mock/clock/advance", json={"seconds": 600})
    assert r.json()["now"] == pytest.approx(before["now"] + 600)
    assert r.json()["ran"] >= 1
    assert job(http, account["key"], made["id"])["status"] == "completed"
    assert http.patch("/_mock/clock", json={"speed": "instant"}).json()["speed"] == "instant"
    fast = submit(http, account["key"])
    assert job(http, account["key"], fast["id"])["status"] == "completed"
    assert http.patch("/_mock/clock", json={"speed": "realtime"}).json()["speed"] == "realtime"
    assert http.patch("/_mock/clock", json={"speed": "warp"}).status_code == 400
    assert http.post("/_mock/clock/advance", json={"seconds": -5}).status_code == 400


def test_an_empty_body_where_a_field_is_required_is_a_400_naming_it(http, account):
    """An empty body takes every default; where a field has none, the answer says which is missing."""
    made = submit(http, account["key"])
    for method, path, field in (("PATCH", "/_mock/clock", "speed"), ("POST", f"/_mock/jobs/{made['id']}/state", "status")):
        r = http.request(method, path)
        assert r.status_code == 400, (path, r.text)
        error = r.json()["errors"][0]
        assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": field}
        assert error["message"] == f"missing required field {field!r}"


def test_a_json_body_that_is_not_an_object_is_a_400_on_every_control_route_that_takes_one(http):
    """`null`, a list, a number, a string or a boolean is no body the control API takes (no body at
    all still takes every default): a 400 saying what came instead, on every route the document
    says takes a body."""
    document = http.get("/_mock/openapi.json").json()
    taking = [(method.upper(), re.sub(r"{\w+}", "1", path)) for path, item in document["paths"].items()
              for method, op in item.items() if isinstance(op, dict) and "requestBody" in op]
    assert len(taking) >= 10, taking
    json_type = {"null": "null", "[]": "an array", "[{}]": "an array", "7": "a number", "-1.5": "a number",
                 '"{}"': "a string", "true": "a boolean", "false": "a boolean"}
    for method, path in taking:
        for text, kind in json_type.items():
            r = http.request(method, path, content=text, headers={"Content-Type": "application/json"})
            assert r.status_code == 400, (method, path, text, r.status_code, r.text)
            error = r.json()["errors"][0]
            assert error["extensions"] == {"code": "BAD_USER_INPUT"}, (method, path, text)
            assert error["message"] == f"request body must be a JSON object, not {kind}", (method, path, text)
    r = http.post("/_mock/faults", json={"status": 503, "match": [None]})
    assert r.status_code == 400 and r.json()["errors"][0] == {
        "message": "field 'match' must be a JSON object, not an array", "extensions": {"code": "BAD_USER_INPUT", "field": "match"},
    }
    created = http.post("/_mock/accounts")
    assert created.status_code == 201 and created.json()["credits"]["available"] == 10_000
    assert created.json()["clock"]["own"] is False


def test_complete_fail_and_move_jobs_now(http, account):
    key = account["key"]
    a, b, c = (submit(http, key)["id"] for _ in range(3))
    assert http.post(f"/_mock/jobs/{a}/complete").json()["status"] == "completed"
    failed = http.post(f"/_mock/jobs/{b}/fail", json={"code": "NSFW", "message": "flagged"}).json()
    assert failed["status"] == "failed" and failed["error"] == {"code": "NSFW", "message": "flagged"}
    assert http.post(f"/_mock/jobs/{c}/state", json={"status": "cancelled"}).json()["status"] == "cancelled"
    r = http.post(f"/_mock/jobs/{a}/state", json={"status": "failed"})
    assert r.status_code == 409 and r.json()["errors"][0]["extensions"]["code"] == "JOB_ALREADY_FINISHED"
    assert http.post(f"/_mock/jobs/{a}/state", json={"status": "queued"}).status_code == 400
    assert http.post("/_mock/jobs/nope/complete").status_code == 404
    credits = http.get(f"/_mock/accounts/{key}").json()["credits"]
    assert (credits["charged"], credits["held"], credits["available"]) == (54, 0, 1000 - 54)


def test_queued_job_can_be_started(server_factory, tmp_path):
    (tmp_path / "processing.yaml").write_text("queue_seconds: 100\nbase_seconds: 10\nseconds_per_speech_second: 0\njitter: 0\n")
    server = server_factory("--clock", "virtual", "--fixtures", str(tmp_path), "--no-access-log")
    with httpx.Client(base_url=server.base_url) as http:
        made = submit(http, "YOUR_API_KEY")
        assert made["status"] == "queued"
        moved = http.post(f"/_mock/jobs/{made['id']}/state", json={"status": "processing"}).json()
        assert moved["status"] == "processing" and moved["startedAt"]
        http.post("/_mock/clock/advance", json={"seconds": 10})
        assert job(http, "YOUR_API_KEY", made["id"])["status"] == "completed"


def test_a_fault_affects_exactly_the_next_n_matching_requests(http, account):
    key = account["key"]
    fault = http.post("/_mock/faults", json={"status": 500, "count": 2, "match": {"key": key, "surface": "rest"}}).json()
    assert fault["code"] == "INTERNAL_SERVER_ERROR" and fault["remaining"] == 2
    other = http.get("/v1/account", headers=api_key("test-pro"))
    assert other.status_code == 200  # another key does not match
    graphql = http.post("/graphql", json={"query": "{ account { name } }"}, headers=bearer(key))
    assert graphql.status_code == 200  # another surface does not match
    statuses = [http.get("/v1/account", headers=api_key(key)).status_code for _ in range(4)]
    assert statuses == [500, 500, 200, 200]
    assert http.get("/_mock/faults").json()["faults"] == []


def test_faults_by_graphql_operation_with_latency_and_429_details(http, account):
    key = account["key"]
    http.post("/_mock/faults", json={"status": 429, "extensions": {"retryAfter": 7}, "match": {"operation": "generate", "key": key}})
    http.post("/_mock/faults", json={"latency": 0.3, "match": {"operation": "Account", "key": key}})
    query = "mutation G($input: GenerateInput!) { generate(input: $input) { id } }"
    variables = {"input": {"type": "AVATAR", "provider": "hedra", "input": {"text": "hi", "avatarId": "casual-1"}}}
    unrelated = http.post("/graphql", json={"query": "{ catalog { voices { id } } }"}, headers=bearer(key))
    assert unrelated.status_code == 200
    r = http.post("/graphql", json={"query": query, "variables": variables}, headers=bearer(key))
    assert r.status_code == 429 and r.headers["Retry-After"] == "7"
    assert r.json()["errors"][0]["extensions"] == {"code": "RATE_LIMITED", "retryAfter": 7}
    started = time.monotonic()
    slow = http.post("/graphql", json={"query": "query Account { account { name } }"}, headers=bearer(key))
    assert slow.status_code == 200 and time.monotonic() - started >= 0.3
    assert http.post("/graphql", json={"query": query, "variables": variables}, headers=bearer(key)).status_code == 200


def test_fault_management(http):
    assert http.post("/_mock/faults", json={"count": 1}).status_code == 400
    assert http.post("/_mock/faults", json={"status": 200}).status_code == 400
    one = http.post("/_mock/faults", json={"status": 503, "match": {"path": "/v1/catalog"}}).json()
    two = http.post("/_mock/faults", json={"status": 502, "match": {"path": "/v1/nothing"}}).json()
    assert http.delete(f"/_mock/faults/{one['id']}").json() == {"removed": 1}
    assert http.delete(f"/_mock/faults/{one['id']}").status_code == 404
    assert [f["id"] for f in http.get("/_mock/faults").json()["faults"]] == [two["id"]]
    assert http.delete("/_mock/faults").json() == {"removed": 1}


def test_the_journal_records_filters_and_clears(http, account):
    key = account["key"]
    submit(http, key, text="journal me")
    http.post("/graphql", json={"query": "query Me { account { name } }"}, headers=bearer(key))
    http.get("/v1/avatar/missing", headers=api_key(key))
    entries = http.get("/_mock/requests", params={"key": key}).json()["requests"]
    assert [(e["method"], e["path"], e["status"], e["surface"]) for e in entries] == [
        ("POST", "/v1/avatar", 200, "rest"), ("POST", "/graphql", 200, "graphql"), ("GET", "/v1/avatar/missing", 404, "rest"),
    ]
    assert '"text": "journal me"' in entries[0]["body"] or '"text":"journal me"' in entries[0]["body"]
    assert entries[1]["operation"] == "Me,account"
    assert [e["path"] for e in http.get("/_mock/requests", params={"key": key, "status": 404}).json()["requests"]] == ["/v1/avatar/missing"]
    assert len(http.get("/_mock/requests", params={"key": key, "operation": "account"}).json()["requests"]) == 1
    assert len(http.get("/_mock/requests", params={"key": key, "path": "/v1/*"}).json()["requests"]) == 2
    assert len(http.get("/_mock/requests", params={"key": key, "limit": 1}).json()["requests"]) == 1
    assert http.get("/_mock/requests", params={"status": "x"}).status_code == 400
    assert all(not e["path"].startswith("/_mock") for e in http.get("/_mock/requests").json()["requests"])
    assert http.delete("/_mock/requests").json()["removed"] >= 3
    assert http.get("/_mock/requests", params={"key": key}).json()["requests"] == []


def test_scenarios_from_fixtures_are_triggered_by_the_request(http, account):
    key = account["key"]
    failing = submit(http, key, text="Please [fail] this one")
    slow = submit(http, key, text="Take it [slow]")
    queued = submit(http, key, text="Wait in line [queued]")
    assert queued["status"] == "queued"
    http.post("/_mock/clock/advance", json={"seconds": 60})
    failed = job(http, key, failing["id"])
    assert failed["status"] == "failed" and failed["error"]["code"] == "GENERATION_FAILED"
    assert job(http, key, slow["id"])["status"] == "processing"
    assert job(http, key, queued["id"])["status"] == "completed"
    http.post("/_mock/clock/advance", json={"seconds": 60})
    assert job(http, key, slow["id"])["status"] == "completed"
    credits = http.get(f"/_mock/accounts/{key}").json()["credits"]
    assert credits["held"] == 0 and credits["available"] == 1000 - credits["charged"]


def test_health_and_index(http):
    health = http.get("/_mock/health").json()
    assert health["status"] == "ok" and health["ready"] is True and "scenarios" in health["fixtures"]
    assert http.get("/readyz").status_code == 200
    assert "POST /_mock/clock/advance" in http.get("/_mock").json()["routes"]


def test_reset_and_reload_go_back_to_the_fixtures(server_factory, tmp_path):
    (tmp_path / "accounts.yaml").write_text("accounts:\n  - {key: k1, plan: pro, credits: 100, webhook_secret: s}\n")
    server = server_factory("--fixtures", str(tmp_path), "--speed", "instant", "--no-access-log")
    with httpx.Client(base_url=server.base_url) as http:
        throwaway = http.post("/_mock/accounts", json={}).json()["key"]
        made = submit(http, "k1")
        assert http.get("/v1/account", headers=api_key("k1")).json()["data"]["account"]["credits"]["available"] == 100 - 54
        assert http.post("/_mock/reset").json()["reset"] is True
        assert http.get("/v1/account", headers=api_key("k1")).json()["data"]["account"]["credits"]["available"] == 100
        assert http.get(f"/v1/avatar/{made['id']}", headers=api_key("k1")).status_code == 404
        assert http.get("/v1/account", headers=api_key(throwaway)).status_code == 401
        since_reset = [(e["method"], e["path"]) for e in http.get("/_mock/requests").json()["requests"]]
        assert since_reset == [("GET", "/v1/account"), ("GET", f"/v1/avatar/{made['id']}"), ("GET", "/v1/account")]
        (tmp_path / "accounts.yaml").write_text("accounts:\n  - {key: k2, plan: free, credits: 5, webhook_secret: s}\n")
        assert http.post("/_mock/fixtures/reload").status_code == 200
        assert http.get("/v1/account", headers=api_key("k2")).status_code == 200
        assert http.get("/v1/account", headers=api_key("k1")).status_code == 401
        (tmp_path / "accounts.yaml").write_text("accounts:\n  - {key: k3, plan: gold, credits: 5, webhook_secret: s}\n")
        r = http.post("/_mock/fixtures/reload")
        assert r.status_code == 400
        error = r.json()["errors"][0]
        assert error["extensions"]["code"] == "FIXTURES_INVALID" and error["extensions"]["key"] == "accounts[0].plan"
        assert "accounts.yaml" in error["extensions"]["file"]
        assert http.get("/v1/account", headers=api_key("k2")).status_code == 200  # old state kept


def test_admin_token_guards_the_control_api(server_factory):
    server = server_factory("--admin-token", "s3cret", "--host", "127.0.0.1", "--no-access-log")
    with httpx.Client(base_url=server.base_url) as http:
        r = http.get("/_mock/clock")
        assert r.status_code == 401 and r.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        assert http.get("/_mock/clock", headers={"X-Admin-Token": "wrong"}).status_code == 401
        assert http.get("/_mock/clock", headers={"X-Admin-Token": "s3cret"}).status_code == 200
        assert http.get("/_mock/clock", headers={"Authorization": "Bearer s3cret"}).status_code == 200
        assert http.get("/v1/account", headers=api_key("test-pro")).status_code == 200


def test_listening_beyond_loopback_without_a_token_warns(server_factory):
    server = server_factory("--host", "0.0.0.0", "--no-access-log")
    assert "without --admin-token" in server.log()


def test_the_generation_changes_with_a_fresh_state_and_survives_a_restart_with_the_state_file(server_factory, tmp_path):
    """A client that stored job ids (the demo page) can tell a job it knew from a new one that
    got the same id: --seed makes ids repeat after a reset or a restart without a state file."""
    state = str(tmp_path / "state.db")
    first = server_factory("--state-file", state, "--seed", "4", "--no-access-log")
    generation = httpx.get(first.base_url + "/healthz").json()["generation"]
    port = int(first.base_url.rsplit(":", 1)[1])
    first.stop()
    again = server_factory("--state-file", state, "--seed", "4", "--no-access-log", port=port)
    assert httpx.get(again.base_url + "/healthz").json()["generation"] == generation
    httpx.post(again.base_url + "/_mock/reset")
    after_reset = httpx.get(again.base_url + "/healthz").json()["generation"]
    assert after_reset != generation
    again.stop()
    third = server_factory("--state-file", state, "--seed", "4", "--no-access-log", port=port)
    assert httpx.get(third.base_url + "/healthz").json()["generation"] == after_reset
    fresh = server_factory("--seed", "4", "--no-access-log")
    assert httpx.get(fresh.base_url + "/healthz").json()["generation"] not in (generation, after_reset)


@pytest.mark.parametrize(
    ("method", "path", "content", "params"),
    [
        ("GET", "/_mock/requests", None, "since=0001-01-01T00:00:00"),
        ("POST", "/_mock/accounts", '{"credits": ' + "1" * 5000 + "}", ""),
        ("POST", "/v1/avatar", '{"service": "hedra", "text": "Hi", "avatarId": "professional-1", "n": ' + "9" * 5000 + "}", ""),
        ("POST", "/graphql", '{"query": "{ __typename }", "variables": {"a": ' + "7" * 5000 + "}}", ""),
        ("POST", "/_mock/faults", '{"status": 500, "extensions": {"n": 18446744073709551616}}', ""),
        ("POST", "/_mock/faults", '{"status": 500, "extensions": {"n": ' + "[" * 300 + "]" * 300 + "}}", ""),
        ("GET", "/_mock/requests", None, "status=503&status=400"),
    ],
    ids=["since-year-1", "huge-int-control", "huge-int-rest", "huge-int-graphql",
         "extensions-past-64-bits", "extensions-nested-deep", "repeated-query-parameter"],
)
def test_careless_input_is_a_400_that_says_what_is_wrong_never_a_500(http, method, path, content, params):
    headers = {"Content-Type": "application/json", **api_key(), **bearer()}
    r = http.request(method, f"{path}?{params}", content=content, headers=headers)
    assert r.status_code == 400, (r.status_code, r.text[:300])
    error = r.json()["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT" and error["message"], error
