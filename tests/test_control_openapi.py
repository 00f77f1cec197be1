"""The control API describes itself: `GET /_mock/openapi.json` names every route under /_mock
and nothing else, and what a running server answers (successes and errors alike, every route,
the event stream's events included) is what the document says; it states which routes need the
admin token on this server; and schemathesis, generating requests from it, finds nothing the
server answers otherwise."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import httpx
import jsonschema
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig
from starlette.routing import Route

from mockserver import Settings, WebhookReceiver, create_app

from helpers import api_key

BODY = {"service": "hedra", "text": "Hello, welcome to our platform!", "avatarId": "professional-1"}
METHODS = ("get", "post", "patch", "put", "delete")


def documented(document: dict) -> set[tuple[str, str]]:
    return {(method.upper(), path) for path, item in document["paths"].items() for method in item if method in METHODS}


def served(app) -> set[tuple[str, str]]:
    return {
        (method, re.sub(r"{(\w+):\w+}", r"{\1}", r.path))
        for r in app.routes if isinstance(r, Route) and r.path.startswith("/_mock")
        for method in r.methods or () if method != "HEAD"
    }


class Checked:
    """Calls to a running server, each answer checked against the document; which operation
    answered with which status is kept, to show every one was tried."""

    def __init__(self, http: httpx.Client, document: dict) -> None:
        self.http = http
        self.document = document
        self.seen: dict[tuple[str, str], set[int]] = {}

    def __call__(self, method: str, template: str, expect: int, *, path: dict | None = None, **kwargs: Any) -> Any:
        url = template.format(**(path or {}))
        r = self.http.request(method, url, **kwargs)
        assert r.status_code == expect, (method, url, r.status_code, r.text[:500])
        self.check(method, template, r)
        return r.json() if r.headers.get("content-type", "").startswith("application/json") else r

    def check(self, method: str, template: str, r: httpx.Response) -> None:
        operation = self.document["paths"][template][method.lower()]
        responses = operation["responses"]
        assert str(r.status_code) in responses, f"{method} {template} answered {r.status_code}, which it does not document"
        media = r.headers.get("content-type", "").split(";")[0]
        content = responses[str(r.status_code)].get("content", {})
        if content or r.content:
            assert media in content, (method, template, r.status_code, media, list(content))
        if media == "application/json":
            validate(self.document, content[media]["schema"], r.json())
        self.seen.setdefault((method.upper(), template), set()).add(r.status_code)


def validate(document: dict, schema: dict, instance: Any) -> None:
    validator = jsonschema.Draft202012Validator({"components": document["components"], **schema})
    errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:5])


@pytest.mark.anyio
async def test_every_route_under_mock_is_in_the_document_and_nothing_else(app, client):
    document = (await client.get("/_mock/openapi.json")).json()
    assert document["openapi"] == "3.1.0" and document["servers"] == [{"url": "http://mock.test"}]
    assert documented(document) == served(app)
    listed = {tuple(r.split(" ", 1)) for r in (await client.get("/_mock")).json()["routes"]}
    assert {(m, re.sub(r"{(\w+):\w+}", r"{\1}", p)) for m, p in listed} == documented(document)
    ids = [op["operationId"] for item in document["paths"].values() for m, op in item.items() if m in METHODS]
    assert len(ids) == len(set(ids))
    for name, schema in document["components"]["schemas"].items():
        jsonschema.Draft202012Validator.check_schema(schema)
        assert "__" not in name


@pytest.mark.anyio
async def test_the_document_says_what_each_route_takes(client):
    document = (await client.get("/_mock/openapi.json")).json()
    schemas = document["components"]["schemas"]
    jobs = document["paths"]["/_mock/jobs"]["get"]
    status = next(p for p in jobs["parameters"] if p["name"] == "status")
    assert status["schema"]["items"] == {"$ref": "#/components/schemas/JobStatus"} and status["explode"] is False
    assert status["allowEmptyValue"] is True  # `?status=`, as a blank form field sends it, is not given
    assert schemas["JobStatus"]["enum"] == ["queued", "processing", "completed", "failed", "cancelled"]
    limit = next(p for p in jobs["parameters"] if p["name"] == "limit")["schema"]
    assert (limit["minimum"], limit["maximum"], limit["default"]) == (1, 10_000, 500)
    created = document["paths"]["/_mock/accounts"]["post"]
    assert created["requestBody"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/NewAccountBody"}
    assert created["responses"]["201"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/AccountInfo"}
    assert schemas["NewAccountBody"]["additionalProperties"] is False
    assert schemas["NewAccountBody"]["properties"]["clock"]["default"] == "server"
    # A fault's body: a status, or a latency without one (two exclusive cases, so generated types are exact).
    fault = jsonschema.Draft202012Validator({"components": document["components"], "$ref": "#/components/schemas/NewFaultBody"})
    bodies = ({"status": 503}, {"latency": 1}, {"status": 503, "latency": 1}, {"status": None, "latency": 1},
              {}, {"latency": 0}, {"status": None}, {"count": 2})
    assert [fault.is_valid(b) for b in bodies] == [True] * 4 + [False] * 4
    request = document["paths"]["/_mock/requests/{request_id}"]["get"]
    assert request["parameters"][0] == {"name": "request_id", "in": "path", "required": True, "schema": {"type": "integer"}}
    # A field's description holds where a shape extends the one that declares it.
    assert schemas["ClockMoved"]["properties"]["now"]["description"] == schemas["PlainClock"]["properties"]["now"]["description"]
    # What each kind of event carries, by kind; every kind `?kinds=` takes is one.
    events = schemas["EventData"]["properties"]
    assert set(events) == {"hello", "lagged", *schemas["EventKind"]["enum"]}
    assert events["job"] == {"$ref": "#/components/schemas/JobEvent"}


@pytest.mark.parametrize("token", [None, "s3cret"], ids=["open", "with-token"])
@pytest.mark.anyio
async def test_the_document_needs_no_token_and_says_which_routes_do(token):
    app = create_app(Settings(speed="instant", admin_token=token))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://mock.test") as client:
        r = await client.get("/_mock/openapi.json")
        assert r.status_code == 200
        document = r.json()
        assert (await client.get("/_mock/health")).status_code == (401 if token else 200)
    operations = [(path, m, op) for path, item in document["paths"].items() for m, op in item.items() if m in METHODS]
    open_to_all = {path for path, _, op in operations if op.get("security") == []}
    if token is None:
        assert "security" not in document and open_to_all == set()
        assert not any("401" in op["responses"] for _, _, op in operations)
        return
    assert document["security"] == [{"adminToken": []}, {"adminBearer": []}]
    assert document["components"]["securitySchemes"]["adminToken"] == {"type": "apiKey", "in": "header", "name": "X-Admin-Token"}
    assert open_to_all == {"/_mock/openapi.json", "/_mock/ui", "/_mock/ui/{path}"}
    for path, method, op in operations:
        assert ("401" in op["responses"]) == (path not in open_to_all), (method, path)


@pytest.fixture(scope="module")
def server(server_factory):
    return server_factory("--clock", "virtual", "--no-render", "--no-access-log", "--admin-token", "t0ken")


@pytest.fixture(scope="module")
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as r:
        yield r


@pytest.mark.integration
def test_every_answer_of_a_running_server_is_what_the_document_says(server, receiver):
    """Each operation, as a test would use it and as it refuses: each answer (status, media type,
    body) is one the document states, and every operation answered with a success and an error."""
    token = {"X-Admin-Token": "t0ken"}
    with httpx.Client(base_url=server.base_url, headers=token, timeout=30) as http:
        document = http.get("/_mock/openapi.json").json()
        call = Checked(http, document)
        call("GET", "/_mock/openapi.json", 200)
        call("GET", "/_mock", 200)
        call("GET", "/_mock/health", 200)
        call("POST", "/_mock/fixtures/reload", 200)
        call("POST", "/_mock/reset", 200)

        # Accounts and their clocks
        own = call("POST", "/_mock/accounts", 201, json={"clock": "own", "credits": 1000})
        follows = call("POST", "/_mock/accounts", 201, json={})
        call("POST", "/_mock/accounts", 400, json={"plan": "platinum"})
        call("POST", "/_mock/accounts", 400, content=b"{", headers={"Content-Type": "application/json"})
        call("POST", "/_mock/accounts", 413, content=b" " * (1024 * 1024 + 1), headers={"Content-Type": "application/json"})
        call("GET", "/_mock/accounts", 200, params={"entries": 2})
        call("GET", "/_mock/accounts", 400, params={"entries": -1})
        key = {"key": own["key"]}
        call("GET", "/_mock/accounts/{key}", 200, path=key, params={"entries": 5})
        call("GET", "/_mock/accounts/{key}", 404, path={"key": "nobody"})
        call("PATCH", "/_mock/accounts/{key}", 200, path=key, json={"credits": 900})
        call("PATCH", "/_mock/accounts/{key}", 404, path={"key": "nobody"}, json={"credits": 1})
        call("GET", "/_mock/accounts/{key}/clock", 200, path=key)
        call("GET", "/_mock/accounts/{key}/clock", 404, path={"key": "nobody"})
        call("PATCH", "/_mock/accounts/{key}/clock", 200, path=key, json={"speed": "realtime"})
        call("PATCH", "/_mock/accounts/{key}/clock", 409, path={"key": follows["key"]}, json={"speed": "instant"})
        call("POST", "/_mock/accounts/{key}/clock/settle", 200, path=key, json={})
        call("POST", "/_mock/accounts/{key}/clock/settle", 200, path={"key": follows["key"]})  # the server's
        call("POST", "/_mock/accounts/{key}/clock/settle", 404, path={"key": "nobody"})
        call("POST", "/_mock/accounts/{key}/clock/advance", 400, path=key, json={"seconds": 1, "next": True})
        call("GET", "/_mock/clock", 200)
        call("PATCH", "/_mock/clock", 200, json={"speed": "realtime"})
        call("PATCH", "/_mock/clock", 400, json={"speed": "warp"})
        call("POST", "/_mock/clock/advance", 200, json={"seconds": 1})
        call("POST", "/_mock/clock/advance", 400, json={"seconds": -1})
        call("POST", "/_mock/clock/settle", 200)
        call("POST", "/_mock/clock/settle", 400, json={"timeout": 10_000})

        # A job with a webhook, moved by the account's own clock; the journal and deliveries it leaves
        made = http.post("/v1/avatar", json={**BODY, "webhookUrl": receiver.url}, headers=api_key(own["key"])).json()
        job = {"job_id": made["data"]["avatar"]["id"]}
        moved = call("POST", "/_mock/accounts/{key}/clock/advance", 200, path=key, json={"seconds": 600})
        assert moved["ran"] >= 1 and moved["inFlight"] == 0
        call("POST", "/_mock/accounts/{key}/clock/advance", 409, path={"key": follows["key"]}, json={"next": True})
        call("GET", "/_mock/jobs", 200, params={"account": own["key"], "status": "completed,failed", "limit": 5})
        call("GET", "/_mock/jobs", 400, params={"status": "lost"})
        detail = call("GET", "/_mock/jobs/{job_id}", 200, path=job)
        assert detail["status"] == "completed" and detail["deliveries"], detail
        call("GET", "/_mock/jobs/{job_id}", 404, path={"job_id": "nope"})
        call("GET", "/_mock/jobs/{job_id}/deliveries", 200, path=job)
        call("GET", "/_mock/jobs/{job_id}/deliveries", 403, path=job, headers={"X-Doitong-Delivery": "d"})
        call("POST", "/_mock/jobs/{job_id}/complete", 409, path=job)
        call("POST", "/_mock/jobs/{job_id}/fail", 409, path=job, json={})
        call("POST", "/_mock/jobs/{job_id}/state", 409, path=job, json={"status": "cancelled"})
        others = [http.post("/v1/avatar", json=BODY, headers=api_key(own["key"])).json()["data"]["avatar"]["id"]
                  for _ in range(3)]
        call("POST", "/_mock/jobs/{job_id}/complete", 200, path={"job_id": others[0]})
        call("POST", "/_mock/jobs/{job_id}/fail", 200, path={"job_id": others[1]}, json={"code": "NSFW", "message": "No."})
        call("POST", "/_mock/jobs/{job_id}/state", 200, path={"job_id": others[2]}, json={"status": "cancelled"})
        call("POST", "/_mock/jobs/{job_id}/complete", 404, path={"job_id": "nope"})

        deliveries = call("GET", "/_mock/deliveries", 200, params={"account": own["key"], "state": "delivered"})
        delivery = {"delivery_id": deliveries["deliveries"][0]["id"]}
        call("GET", "/_mock/deliveries", 400, params={"state": "lost"})
        call("GET", "/_mock/deliveries/{delivery_id}", 200, path=delivery, params={"attempts": 1, "wait": 1})
        call("GET", "/_mock/deliveries/{delivery_id}", 404, path={"delivery_id": "dlv_nope"})
        call("POST", "/_mock/deliveries/{delivery_id}/resend", 200, path=delivery)
        call("POST", "/_mock/deliveries/{delivery_id}/resend", 404, path={"delivery_id": "dlv_nope"})

        entries = call("GET", "/_mock/requests", 200, params={"key": own["key"], "limit": 10})["requests"]
        call("GET", "/_mock/requests", 200, params={"key": own["key"], "brief": 1, "since": "2000-01-01T00:00:00Z"})
        call("GET", "/_mock/requests", 400, params={"status": "4x"})
        entry = {"request_id": entries[0]["id"]}
        call("GET", "/_mock/requests/{request_id}", 200, path=entry, params={"unmasked": 1})
        call("GET", "/_mock/requests/{request_id}", 400, path={"request_id": "first"})
        call("GET", "/_mock/requests/{request_id}", 404, path={"request_id": 10**9})
        replayed = call("POST", "/_mock/requests/{request_id}/replay", 201, path=entry)
        assert replayed["replayOf"] == entry["request_id"]
        call("POST", "/_mock/requests/{request_id}/replay", 404, path={"request_id": 10**9})

        # Faults
        fault = call("POST", "/_mock/faults", 201, json={"status": 503, "count": 2, "match": {"key": own["key"]}})
        call("POST", "/_mock/faults", 400, json={"count": 2})
        call("POST", "/_mock/faults", 403, json={"status": 500}, headers={"Origin": "https://elsewhere.example"})
        call("GET", "/_mock/faults", 200)
        call("DELETE", "/_mock/faults/{fault_id}", 200, path={"fault_id": fault["id"]})
        call("DELETE", "/_mock/faults/{fault_id}", 404, path={"fault_id": fault["id"]})
        call("DELETE", "/_mock/faults", 200)
        call("DELETE", "/_mock/requests", 200)
        call("DELETE", "/_mock/accounts/{key}", 200, path={"key": follows["key"]})
        call("DELETE", "/_mock/accounts/{key}", 409, path={"key": "test-pro"})

        # The event stream: each event as `x-itemSchema` says, the hello first
        events = document["paths"]["/_mock/events"]["get"]["responses"]["200"]["content"]["text/event-stream"]
        with http.stream("GET", "/_mock/events", params={"kinds": "job,account,clock"}) as stream:
            call.check("GET", "/_mock/events", stream)
            received: list[dict] = []
            lines = stream.iter_lines()
            while not {"job", "account", "clock"} <= {e["event"] for e in received}:
                frame = dict(line.split(": ", 1) for line in iter(lambda: next(lines), "") if not line.startswith(("retry", ":")))
                received.append({"id": int(frame["id"]), "event": frame["event"], "data": json.loads(frame["data"])})
                if len(received) == 1:
                    http.post("/v1/avatar", json=BODY, headers=api_key(own["key"]))  # a job event
                    http.patch(f"/_mock/accounts/{own['key']}", json={"credits": 5})  # an account event
                    http.patch("/_mock/clock", json={"speed": "realtime"})  # a clock event
        assert received[0]["event"] == "hello"
        for event in received:
            validate(document, events["x-itemSchema"], event)
        call("GET", "/_mock/events", 400, params={"kinds": "job,nonsense"})

        # The inspector's files, which need no token
        call("GET", "/_mock/ui", 307, follow_redirects=False)
        call("GET", "/_mock/ui/{path}", 200, path={"path": "index.html"})
        call("GET", "/_mock/ui/{path}", 404, path={"path": "nope.html"})

        # The admin token, and the Host guard, on every route of the document
        for method, template in sorted(documented(document)):
            if (method, template) in {("GET", "/_mock/events")}:
                continue
            concrete = re.sub(r"{\w+}", "x", template)
            r = httpx.request(method, server.base_url + concrete, headers={"Host": "rebound.example", **token})
            assert r.status_code == 403, (method, template)
            call.check(method, template, r)
            if "401" in document["paths"][template][method.lower()]["responses"]:
                r = httpx.request(method, server.base_url + concrete)
                assert r.status_code == 401, (method, template)
                call.check(method, template, r)
        r = httpx.get(server.base_url + "/_mock/events")
        assert r.status_code == 401
        call.check("GET", "/_mock/events", r)

    succeeded = {op for op, statuses in call.seen.items() if any(s < 400 for s in statuses)}
    refused = {op for op, statuses in call.seen.items() if any(s >= 400 for s in statuses)}
    assert succeeded == documented(document), sorted(documented(document) - succeeded)
    assert refused == documented(document), sorted(documented(document) - refused)
    domain = {(op, s) for op, statuses in call.seen.items() for s in statuses if s not in (200, 201, 307, 401, 403)}
    assert len(domain) >= 30, domain


# The document, fuzzed: schemathesis generates requests from it (in process, like the REST
# surface's fuzzing) and checks each answer's status, media type, headers and body against it.
# The event stream is left out (it never ends). What the document allows may still be refused
# for the state (no such account, a job already finished), so positive data need not succeed.

fuzzed = create_app(Settings(speed="instant", seed=5, render=False, journal_size=100))
control = schemathesis.openapi.from_asgi(
    "/_mock/openapi.json", fuzzed,
    config=SchemathesisConfig.from_dict({"checks": {"positive_data_acceptance": {"enabled": False}}}),
).exclude(path="/_mock/events")


@control.parametrize()
@settings(max_examples=15, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck))
def test_the_control_api_from_its_own_document(case):
    case.call_and_validate()


@pytest.mark.anyio
async def test_a_body_is_required_exactly_where_an_empty_one_is_refused(client):
    document = (await client.get("/_mock/openapi.json")).json()
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if "requestBody" not in operation:
                continue
            r = await client.request(method.upper(), re.sub(r"{\w+}", "nobody", path))
            refused = r.status_code == 400  # else 404 for the made-up id, or done with every default
            assert refused == operation["requestBody"]["required"], (method, path, r.status_code, r.text[:200])
