"""Hostile input: the REST surface fuzzed from its served OpenAPI document, GraphQL from its schema,
and raw bodies of every shape. Whatever arrives, the answer is a 4xx (or a 2xx) in the document's
error format, never a 500.

The number of examples is bounded so CI stays fast; set DOITONG_FUZZ_EXAMPLES to fuzz harder.
Hypothesis runs derandomized, so a CI failure reproduces exactly.
"""

from __future__ import annotations

import json
import os
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.config import SchemathesisConfig

from mockserver import Settings, create_app
from mockserver.core.errors import ApiError

EXAMPLES = int(os.environ.get("DOITONG_FUZZ_EXAMPLES", "40"))
KEY = "test-enterprise"  # no per-minute, concurrency or daily limit: every case reaches the handlers
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


def _status_by_code() -> dict[str, int]:
    found: dict[str, int] = {}
    pending: list[type[ApiError]] = [ApiError]
    while pending:
        cls = pending.pop()
        found.setdefault(cls.code, cls.status)
        pending.extend(cls.__subclasses__())
    return found


STATUS_BY_CODE = _status_by_code()


def assert_documented_error(status: int, body: Any) -> None:
    """The document's error format, with a code whose HTTP status is the one sent."""
    assert status < 500, f"a {status} answer: {body}"
    assert isinstance(body, dict) and isinstance(body.get("errors"), list) and body["errors"], body
    statuses = set()
    for error in body["errors"]:
        assert isinstance(error.get("message"), str) and error["message"], error
        assert "Traceback" not in error["message"]
        code = error["extensions"]["code"]
        assert code in STATUS_BY_CODE, f"undocumented code {code}"
        statuses.add(STATUS_BY_CODE[code])
    assert status in statuses, f"HTTP {status} for codes {[e['extensions']['code'] for e in body['errors']]}"


app = create_app(Settings(speed="instant", seed=3, render=False, journal_size=100))
config = SchemathesisConfig.from_dict(
    {"checks": {"negative_data_rejection": {"expected-statuses": ["400", "401", "404", "405", "413", "422"]}}}
)
rest = schemathesis.openapi.from_asgi("/openapi.json", app, config=config)
graphql = schemathesis.graphql.from_asgi("/graphql", app)


@schemathesis.check
def error_format(ctx: Any, response: Any, case: Any) -> bool:
    if response.status_code >= 400:
        assert_documented_error(response.status_code, response.json())
    return True


@rest.parametrize()
@FUZZ
def test_rest_surface_from_its_openapi_document(case):
    # The full default check set, positive_data_acceptance included: no 5xx, documented status
    # codes, headers and bodies that match the schema, bad data refused, and every request the
    # document allows accepted (the document states every rule the server applies).
    case.call_and_validate(headers={"X-API-Key": KEY}, additional_checks=[error_format])


class RestStatefully(rest.as_state_machine()):  # type: ignore[misc]
    """Sequences the links of the document allow: a submitted job polled, cancelled, deleted."""

    def get_call_kwargs(self, case: Any) -> dict[str, Any]:
        return {"headers": {"X-API-Key": KEY}}

    def validate_response(self, response: Any, case: Any, additional_checks: Any = None, **kwargs: Any) -> None:
        case.validate_response(response, additional_checks=[error_format], transport_kwargs=kwargs)


TestRestStatefully = RestStatefully.TestCase
TestRestStatefully.settings = settings(FUZZ, max_examples=max(EXAMPLES // 4, 10), stateful_step_count=6)


@graphql.parametrize()
@FUZZ
def test_graphql_surface_from_its_schema(case):
    # Schemathesis counts every GraphQL `errors` entry as a failure; for this API a NOT_FOUND or
    # a BAD_USER_INPUT is a correct answer, so the response is judged by the error format instead.
    response = case.call(headers={"Authorization": f"Bearer {KEY}"})
    body = response.json()
    if body.get("errors"):
        assert_documented_error(response.status_code, body)
    else:
        assert response.status_code == 200 and isinstance(body.get("data"), dict), body


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=12,
)
REST_FIELDS = ["service", "text", "avatarId", "voice", "webhookUrl", "imageUrl", "audioUrl", "language", "version", "aspectRatio", "resolution"]
rest_bodies = st.dictionaries(st.sampled_from(REST_FIELDS), json_values, max_size=6)
graphql_bodies = st.fixed_dictionaries(
    {"query": st.text(max_size=80) | st.sampled_from(["{ account { name } }", "mutation { generate }", "{ avatar(id: 1) { id } }"])},
    optional={"variables": json_values, "operationName": json_values},
)


@pytest.fixture(scope="module")
def client(server_factory):
    """Raw bodies go over real HTTP to a real server, as a hostile client would send them."""
    server = server_factory("--speed", "instant", "--seed", "4", "--no-render", "--no-access-log")
    with httpx.Client(base_url=server.base_url, timeout=10) as c:
        yield c


@FUZZ
@given(body=st.binary(max_size=200) | json_values.map(lambda v: json.dumps(v).encode()) | rest_bodies.map(lambda v: json.dumps(v).encode()))
def test_any_body_to_rest_gets_a_job_or_a_documented_error(client, body):
    r = client.post("/v1/avatar", content=body, headers={"X-API-Key": KEY, "Content-Type": "application/json"})
    if r.status_code != 200:
        assert_documented_error(r.status_code, r.json())
    else:
        assert r.json()["data"]["avatar"]["status"] in ("queued", "processing", "completed")


@FUZZ
@given(body=st.binary(max_size=200) | json_values.map(lambda v: json.dumps(v).encode()) | graphql_bodies.map(lambda v: json.dumps(v).encode()))
def test_any_body_to_graphql_gets_data_or_a_documented_error(client, body):
    r = client.post("/graphql", content=body, headers={"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"})
    payload = r.json()
    if payload.get("errors"):
        assert_documented_error(r.status_code, payload)
    else:
        assert r.status_code == 200 and "data" in payload


@FUZZ
@given(
    prefix=st.sampled_from(["/v1/", "/_mock/", "/_mock/accounts/", "/_mock/jobs/", "/static/", "/outputs/", "/avatars/", "/"]),
    body=st.sampled_from([b'{"service": "hedra"}', b"[]", b"{", b'{"seconds": -1}', b'{"credits": "many"}', b"\xff"]),
    method=st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE"]),
    path=st.text(st.characters(min_codepoint=33, max_codepoint=0x2FF, blacklist_categories=("Cc", "Cs"), blacklist_characters="?#%"), max_size=30),
    content_type=st.sampled_from(["application/json", "text/plain", "application/x-www-form-urlencoded", ""]),
)
def test_any_method_path_and_content_type_gets_a_documented_error(client, prefix, body, method, path, content_type):
    headers = {"X-API-Key": KEY}
    if content_type:
        headers["Content-Type"] = content_type
    r = client.request(method, prefix + path, content=body, headers=headers)
    if r.status_code >= 400:
        assert_documented_error(r.status_code, r.json())
