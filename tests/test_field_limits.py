"""One table of field lengths for every surface: what REST refuses, GraphQL refuses too, and the
OpenAPI document says so."""

from __future__ import annotations

import pytest

from mockserver.core.inputs import FIELD_LIMITS

from helpers import api_key, bearer

pytestmark = pytest.mark.anyio

FLAT = {"service": "hedra", "text": "Hi there", "avatarId": "professional-1"}
LONG_URL = "http://receiver.example/" + "a" * 5000
GENERATE_AVATAR = "mutation($i: AvatarGenerationInput!) { generateAvatar(input: $i) { id } }"
GENERATE = "mutation($i: GenerateInput!) { generate(input: $i) { id } }"


def error(r) -> dict:
    assert r.status_code == 400, r.text
    return r.json()["errors"][0]


@pytest.mark.parametrize("field", ["webhookUrl", "imageUrl", "audioUrl"])
async def test_a_url_longer_than_the_table_allows_is_refused_on_both_surfaces(client, field):
    body = {**FLAT, field: LONG_URL}
    if field == "imageUrl":
        del body["avatarId"]
    if field == "audioUrl":
        del body["text"]
    rest = error(await client.post("/v1/avatar", json=body, headers=api_key()))
    graphql = error(await client.post("/graphql", json={"query": GENERATE_AVATAR, "variables": {"i": body}}, headers=bearer()))
    assert rest["extensions"]["field"] == graphql["extensions"]["field"] == field
    assert "at most 4096" in graphql["message"]
    jobs = (await client.get("/_mock/jobs")).json()["jobs"]
    assert jobs == []  # nothing of it was kept


async def test_the_generate_shape_and_the_estimate_are_held_to_the_same_lengths(client):
    shaped = {"type": "AVATAR", "provider": "hedra", "input": {"text": "Hi", "avatarId": "professional-1"},
              "options": {"webhookUrl": LONG_URL}}
    assert error(await client.post("/graphql", json={"query": GENERATE, "variables": {"i": shaped}}, headers=bearer()))["extensions"]["field"] == "webhookUrl"
    shaped = {**shaped, "options": {}, "input": {"avatarId": "professional-1", "text": "Hi " * 40_000}}
    assert error(await client.post("/graphql", json={"query": GENERATE, "variables": {"i": shaped}}, headers=bearer()))["extensions"]["field"] == "text"
    query = "query($a: String) { estimateCost(audioUrl: $a) { credits } }"
    r = await client.post("/graphql", json={"query": query, "variables": {"a": LONG_URL}}, headers=bearer())
    assert error(r)["extensions"]["field"] == "audioUrl"
    r = await client.post("/v1/estimate", json={"audioUrl": LONG_URL}, headers=api_key())
    assert error(r)["extensions"]["field"] == "audioUrl"


async def test_the_openapi_document_states_the_same_lengths(client):
    schema = (await client.get("/openapi.json")).json()["components"]["schemas"]["AvatarRequest"]["properties"]
    for field, prop in schema.items():
        lengths = [prop.get("maxLength")] + [option.get("maxLength") for option in prop.get("anyOf", [])]
        published = [length for length in lengths if length is not None]
        # text: the price table's last tier may say less than the hard limit (it does, bundled)
        assert published and max(published) <= FIELD_LIMITS[field], (field, prop)
        assert field == "text" or FIELD_LIMITS[field] in published, (field, prop)
