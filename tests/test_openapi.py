"""The served OpenAPI document describes the REST routes truthfully."""

from __future__ import annotations

import jsonschema
import pytest
from starlette.routing import Mount

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
    assert [branch["oneOf"][0]["required"] for branch in request["allOf"]] == [["text"], ["avatarId"]]
    estimate = spec["components"]["schemas"]["EstimateRequest"]
    assert [b["required"] for b in estimate["oneOf"]] == [["text"], ["audioUrl"]]
    assert "413" in spec["paths"]["/v1/estimate"]["post"]["responses"]
    assert "410" in spec["paths"]["/v1/avatar/{job_id}"]["get"]["responses"]
    cursor = next(p for p in spec["paths"]["/v1/avatar"]["get"]["parameters"] if p["name"] == "cursor")
    assert cursor["schema"]["pattern"] == "^[0-9a-f]{0,16}$"
