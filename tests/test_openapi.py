"""The served OpenAPI document describes the REST routes truthfully."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import jsonschema
import jsonschema_rs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.routing import Mount

from mockserver.core import grammar
from mockserver.core.errors import BadUserInput
from mockserver.core.fixtures import load_fixtures
from mockserver.core.idempotency import check_key
from mockserver.core.inputs import FLAT_FIELDS, check_url, from_flat, plan_job, price_speech
from mockserver.core.pricing import speech_limits
from mockserver.core.targets import ServerAddress, check_webhook_url
from mockserver.core.text import check_text
from mockserver.wire.openapi import WebhookTargets, openapi

from helpers import api_key

pytestmark = pytest.mark.anyio


def _validator(spec: dict, schema: dict):
    resolver_root = {"components": spec["components"], **schema}
    return jsonschema.Draft202012Validator(resolver_root)


async def test_every_rest_route_is_documented(app, client):
    spec = (await client.get("/openapi.json")).json()
    mount = next(r for r in app.routes if isinstance(r, Mount) and r.path == "/v1")
    for route in mount.routes:
        path = "/v1" + route.path
        assert path in spec["paths"], path
        methods = route.methods or set(route.endpoint.handlers)
        for method in methods - {"HEAD"}:
            assert method.lower() in spec["paths"][path], (method, path)


async def test_real_responses_match_the_documented_schemas(client):
    spec = (await client.get("/openapi.json")).json()

    def check(path: str, method: str, status: int, body: dict) -> None:
        schema = spec["paths"][path][method]["responses"][str(status)]["content"]["application/json"]["schema"]
        _validator(spec, schema).validate(body)

    r = await client.post("/v1/avatar", json={"service": "hedra", "text": "hi", "avatarId": "casual-1"}, headers=api_key())
    check("/v1/avatar", "post", 200, r.json())
    job_id = r.json()["data"]["avatar"]["id"]
    check("/v1/avatar/{job_id}", "get", 200, (await client.get(f"/v1/avatar/{job_id}", headers=api_key())).json())
    check("/v1/avatar", "get", 200, (await client.get("/v1/avatar", headers=api_key())).json())
    check("/v1/avatar", "post", 400, (await client.post("/v1/avatar", json={}, headers=api_key())).json())
    check("/v1/avatar/{job_id}", "get", 404, (await client.get("/v1/avatar/nope", headers=api_key())).json())
    check("/v1/estimate", "post", 200, (await client.post("/v1/estimate", json={"text": "hi"}, headers=api_key())).json())
    with pytest.raises(jsonschema.ValidationError):
        check("/v1/avatar", "post", 200, {"data": {"avatar": {"id": 1}}})


async def test_a_405_names_every_method_the_path_documents(client):
    spec = (await client.get("/openapi.json")).json()
    for path, url in (("/v1/avatar", "/v1/avatar"), ("/v1/avatar/{job_id}", "/v1/avatar/abc")):
        r = await client.request("PUT", url, headers=api_key())
        assert r.status_code == 405 and r.json()["errors"][0]["extensions"]["code"] == "METHOD_NOT_ALLOWED"
        allowed = {m.strip().lower() for m in r.headers["allow"].split(",")} - {"head"}
        assert allowed == set(spec["paths"][path]) - {"parameters"}


async def test_the_document_states_the_rules_the_server_enforces(client):
    spec = (await client.get("/openapi.json")).json()
    assert spec["servers"] == [{"url": "http://mock.test"}]
    created = spec["paths"]["/v1/avatar"]["post"]["responses"]["200"]
    assert {link["operationId"] for link in created["links"].values()} == {"getAvatar", "cancelAvatar", "deleteAvatar"}
    assert all(link["parameters"] == {"job_id": "$response.body#/data/avatar/id"} for link in created["links"].values())
    request = spec["components"]["schemas"]["AvatarRequest"]
    assert request["properties"]["service"]["enum"] == ["hedra"]
    avatar_ids = next(b for b in request["properties"]["avatarId"]["anyOf"] if b["type"] == "string")["enum"]
    assert "professional-1" in avatar_ids
    assert [branch["oneOf"][0]["required"] for branch in request["allOf"][:2]] == [["text"], ["avatarId"]]
    estimate = spec["components"]["schemas"]["EstimateRequest"]
    assert [b["required"] for b in estimate["oneOf"]] == [["text"], ["audioUrl"]]
    assert "413" in spec["paths"]["/v1/estimate"]["post"]["responses"]
    assert "410" in spec["paths"]["/v1/avatar/{job_id}"]["get"]["responses"]
    cursor = next(p for p in spec["paths"]["/v1/avatar"]["get"]["parameters"] if p["name"] == "cursor")
    assert cursor["schema"]["pattern"] == "^[0-9a-f]{0,16}$"


# What the document allows, the server takes, and the other way round: each rule judged by the
# document's schema (with Python's and Rust's regex engines: jsonschema, and jsonschema_rs as
# schemathesis uses it) and by the server's own code, on values chosen to sit at every edge.

FIXTURES = load_fixtures(None)
ADDRESS = ServerAddress(frozenset({"127.0.0.1", "myhost"}), frozenset({8080, 80}))
EXACT = settings(max_examples=250, derandomize=True, database=None, deadline=None,
                 suppress_health_check=list(HealthCheck))


def _schemas(allow: tuple[str, ...] = ()) -> tuple[dict, dict]:
    document = openapi(FIXTURES, "http://mock.test", WebhookTargets(ADDRESS, allow))
    return document, document["components"]["schemas"]


@functools.lru_cache(maxsize=16)
def document_says(field: str | None, schema: str = "AvatarRequest", allow: tuple[str, ...] = ()) -> Callable[[Any], bool]:
    """Whether the served document allows a value of `field` (its string branch) or a whole
    `schema`, by both engines (jsonschema, and jsonschema_rs as schemathesis uses it), which
    must agree."""
    document, schemas = _schemas(allow)
    if field is None:
        target = schemas[schema]
    else:
        target = next(b for b in schemas[schema]["properties"][field]["anyOf"] if b.get("type") == "string")
    root = {"components": document["components"], "type": "string" if field else "object", **target}
    python, rust = jsonschema.Draft202012Validator(root), jsonschema_rs.validator_for(root)

    def says(value: Any) -> bool:
        verdict = python.is_valid(value)
        assert verdict == rust.is_valid(value), (value, verdict)
        return verdict

    return says


def _server_says(check: Callable[[], object]) -> bool:
    try:
        check()
    except BadUserInput:
        return False
    return True


HOSTS = ["localhost", "LocalHost", "a.localhost", "127.0.0.1", "127.1", "0", "0.0.0.0", "2130706433", "0x7f.1",
         "0x7f000001", "[::1]", "[0:0:0:0:0:0:0:1]", "[0::01]", "[::]", "[::ffff:127.0.0.1]", "[::ffff:7f00:1]",
         "[::FFFF:0:0]", "[::0.0.0.1]", "[fe80::1]", "[FEBF::a]", "[fe80::1%25eth0]", "169.254.169.254",
         "[::ffff:169.254.1.1]", "example.com", "hooks.internal", "x.HOOKS.internal", "myhost", "MyHost",
         "myhost.lan", "10.0.0.1", "10.0.0.12", "[2001:db8::1]", "a_b.example", "a-.example", "1.2.3", "256.1.1.1",
         "01.2.3.4", "[1.2.3.4]", "[v1.x]", "host..com", "bücher.de", "", "user@host", "host:80:90", "[::1",
         "hst", "hbst", "[1::2:3:4:5:6:7]", "[::ffff:1.2.3.4]", "a.b.c.d.e"]
PORTS = ["", ":", ":0", ":00", ":80", ":080", ":8080", ":08080", ":443", ":65535", ":65536", ":99999", ":x", ":1:2"]
PATHS = ["", "/", "/hook", "/_mock", "//_mock/x", "/%5Fmock", "/%5fm%6Fck/reset", "/_MOCK", "/_mockx", "/_mock?x",
         "/a/../_mock", "/./x", "/%2e%2e/x", "/.%2E", "/a%2Fb", "/a%2fb", "/ü", "/a b", "/a%zz", "/a\tb", "/~x",
         "/a;b=c", "/a:b@c", "/%41", "/x#/_mock", "/..x", "/x.."]
QUERIES = ["", "?", "?duration=5", "?duration=0.04", "?duration=0.05", "?duration=.05", "?duration=120",
           "?duration=120.04", "?duration=120.05", "?duration=119.999", "?duration=7.25", "?duration=0007.",
           "?a=1&duration=7.25", "?duration=1e2", "?duration=+5", "?duration=5_0", "?duration=٣", "?%64uration=abc",
           "?duration", "?duration=", "?duration=5&duration=x", "?duration=x&duration=5", "?x=1&&duration=3#f",
           "?durationx=1", "?x=duration=5", "?a=b c", "?é", "#frag", "?x#duration=abc"]
SCHEMES = ["http", "https", "HTTP", "hTtPs", "ftp", "http:", ""]

urls = st.one_of(
    st.builds(lambda *parts: "".join(parts), st.sampled_from(SCHEMES).map(lambda s: s + "://"),
              st.sampled_from(HOSTS), st.sampled_from(PORTS), st.sampled_from(PATHS), st.sampled_from(QUERIES)),
    st.from_regex(grammar.URL),
    st.text(max_size=40),
)


EDGES = [
    *(f"{scheme}://{host}{port}/hook" for scheme in ("http", "HTTPS", "ftp") for host in HOSTS for port in PORTS),
    *(f"http://example.com{path}{query}" for path in PATHS for query in QUERIES),
    *(f"https://localhost{port}{path}" for port in ("", ":8080", ":443") for path in PATHS),
]
ALLOW = ("localhost", "*.internal", "10.0.0.?", "h[a-c]st", "[fe80::1]")


@pytest.mark.parametrize("allow", [(), ALLOW], ids=["any host", "--webhook-allow"])
def test_a_webhook_url_at_every_edge_is_judged_alike_by_the_document_and_the_server(allow):
    verdicts = set()
    for url in EDGES:
        server = _server_says(lambda url=url: (check_url(url, "webhookUrl"), check_webhook_url(url, allow, ADDRESS)))
        assert document_says("webhookUrl", allow=allow)(url) == server, url
        verdicts.add(server)
    assert verdicts == {True, False}


@pytest.mark.parametrize("allow", [(), ALLOW], ids=["any host", "--webhook-allow"])
@EXACT
@given(url=urls)
def test_any_webhook_url_is_judged_alike_by_the_document_and_the_server(allow, url):
    server = _server_says(lambda: (check_url(url, "webhookUrl"), check_webhook_url(url, allow, ADDRESS)))
    assert document_says("webhookUrl", allow=allow)(url) == server, url


def test_an_audio_url_at_every_edge_is_judged_alike():
    for url in EDGES:
        server = _server_says(lambda url=url: price_speech(None, url, FIXTURES))
        assert document_says("audioUrl")(url) == document_says("audioUrl", "EstimateRequest")(url) == server, url


@EXACT
@given(url=urls)
def test_an_audio_url_and_its_duration_hint_are_judged_alike(url):
    server = _server_says(lambda: price_speech(None, url, FIXTURES))
    assert document_says("audioUrl")(url) == document_says("audioUrl", "EstimateRequest")(url) == server, url


@EXACT
@given(url=urls)
def test_an_image_url_is_judged_alike(url):
    assert document_says("imageUrl")(url) == _server_says(lambda: check_url(url, "imageUrl")), url


SPACES = [" ", "\t", "\n", "\r", "\x85", "\xa0", "\u2003", "\u3000", "\x0b", "\x1c", "\ufeff", "\u180e"]
words = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=12)
texts = st.one_of(
    st.builds(lambda n, sep, lead, trail: lead + sep.join(["ab"] * n) + trail, st.integers(0, 320),
              st.sampled_from(SPACES), st.sampled_from(["", " ", "\n\n"]), st.sampled_from(["", " ", "\t"])),
    st.builds(lambda n, c: c * n, st.integers(1640, 1660), st.sampled_from(["a", "é", "\U0001f600", "\x7f"])),
    st.builds(lambda body, pad: pad + body + pad, st.text(max_size=30).map(lambda t: t or "x"), st.sampled_from(["", "  "])),
    st.lists(st.one_of(words, st.sampled_from(SPACES)), max_size=30).map("".join),
)


@EXACT
@given(text=texts)
def test_a_text_is_judged_alike(text):
    server = _server_says(lambda: (check_text(text, "text"), price_speech(text, None, FIXTURES)))
    assert document_says("text")(text) == document_says("text", "EstimateRequest")(text) == server, text[:80]


def test_words_are_counted_as_the_server_counts_them_for_every_kind_of_space():
    """Each of Python's whitespace characters (and the look-alikes it does not count) splits
    words in the document's text pattern exactly when it does for the server."""
    candidates = [chr(c) for c in range(0x110000) if chr(c).isspace()] + ["\ufeff", "\u180e", "\u200b", "\x7f"]
    for space in candidates:
        for text in (f"ab{space}cd", f"{space}ab{space}", space * 2):
            assert document_says("text")(text) == _server_says(
                lambda text=text: (check_text(text, "text"), price_speech(text, None, FIXTURES))), repr(text)
    words = speech_limits(FIXTURES.pricing).words
    for space in candidates:
        if (space.isspace() and space.isprintable()) or space in "\t\n\r\x85":
            text = space.join(["ab"] * (words + 1))
            assert not document_says("text")(text) and not _server_says(lambda text=text: price_speech(text, None, FIXTURES))


def test_every_voice_and_language_pair_is_judged_alike():
    tags = {v.language for v in FIXTURES.voices}
    languages = {"fr-CA", "xx", "e", "en-", "en-US-x", "\u212ao", "zh-Hans", *tags, *(t.split("-")[0] for t in tags),
                 *(t.upper() for t in tags), *(t.lower() for t in tags)}
    voices = [v.id for v in FIXTURES.voices]
    for content in ({"text": "Hello there"}, {"audioUrl": "https://cdn.example/a.mp3?duration=3"}):
        for voice in [*voices, None, "absent"]:
            for language in [*sorted(languages), None, "absent"]:
                body = {"service": "hedra", "avatarId": "professional-1", **content,
                        "voice": voice, "language": language}
                body = {k: v for k, v in body.items() if v != "absent"}
                server = _server_says(lambda body=body: plan_job(from_flat({**dict.fromkeys(FLAT_FIELDS), **body}), FIXTURES))
                assert document_says(None)(body) == server, body


@EXACT
@given(key=st.one_of(st.text(max_size=260), st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=260)))
def test_an_idempotency_key_is_judged_alike(key):
    document, _ = _schemas()
    header = next(p for p in document["paths"]["/v1/avatar"]["post"]["parameters"] if p["name"] == "Idempotency-Key")
    as_received = key.strip(" \t")  # HTTP drops spaces and tabs at either end of a header value
    python, rust = jsonschema.Draft202012Validator(header["schema"]), jsonschema_rs.validator_for(header["schema"])
    assert python.is_valid(key) == rust.is_valid(key) == _server_says(lambda: check_key(as_received)), key


def test_the_document_gives_no_optional_field_a_null_default():
    _, schemas = _schemas()
    for name in ("AvatarRequest", "EstimateRequest"):
        for field, prop in schemas[name]["properties"].items():
            assert prop.get("default", "none") is not None, (name, field)
