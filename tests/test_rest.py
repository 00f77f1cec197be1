"""The REST surface, in process."""

from __future__ import annotations

import pytest

from helpers import api_key, bearer

pytestmark = pytest.mark.anyio

BODY = {"service": "hedra", "text": "Hello, welcome to our platform!", "avatarId": "professional-1", "voice": "en-US-neural"}


async def test_post_answers_the_documents_envelope(client):
    r = await client.post("/v1/avatar", json={**BODY, "webhookUrl": "https://your-webhook.com/callback"}, headers=api_key())
    assert r.status_code == 200
    job = r.json()["data"]["avatar"]
    assert job["status"] == "processing" and job["url"] is None
    assert job["webhookUrl"] == "https://your-webhook.com/callback"
    assert job["createdAt"].endswith("Z")


async def test_get_polls_a_job_to_completed_with_a_served_file(client):
    job_id = (await client.post("/v1/avatar", json=BODY, headers=api_key())).json()["data"]["avatar"]["id"]
    job = (await client.get(f"/v1/avatar/{job_id}", headers=api_key())).json()["data"]["avatar"]
    assert job["status"] == "completed"
    assert job["url"] == f"http://mock.test/outputs/{job_id}.mp4"
    video = await client.get(job["url"])
    assert video.status_code == 200 and video.content[4:8] == b"ftyp"


async def test_bearer_header_works_on_rest_too(client):
    r = await client.get("/v1/account", headers=bearer("test-starter"))
    assert r.json()["data"]["account"]["plan"]["name"] == "Starter"


async def test_list_pages_and_filters(client):
    ids = [(await client.post("/v1/avatar", json={**BODY, "text": f"number {i}"}, headers=api_key())).json()["data"]["avatar"]["id"] for i in range(3)]
    page = (await client.get("/v1/avatar", params={"limit": 2}, headers=api_key())).json()["data"]
    assert [a["id"] for a in page["avatars"]] == ids[::-1][:2]
    assert page["pageInfo"]["hasNextPage"] and page["totalCount"] == 3
    rest = (await client.get("/v1/avatar", params={"limit": 2, "cursor": page["pageInfo"]["endCursor"]}, headers=api_key())).json()["data"]
    assert [a["id"] for a in rest["avatars"]] == [ids[0]] and not rest["pageInfo"]["hasNextPage"]
    r = await client.get("/v1/avatar", params={"status": "exploded"}, headers=api_key())
    assert r.status_code == 400 and r.json()["errors"][0]["extensions"]["field"] == "status"
    r = await client.get("/v1/avatar", params={"cursor": "garbage!"}, headers=api_key())
    assert r.status_code == 400
    r = await client.get("/v1/avatar", params={"limit": "ten"}, headers=api_key())
    assert r.status_code == 400 and r.json()["errors"][0]["extensions"]["field"] == "limit"


async def test_cancel_by_post_and_delete(app, client):
    await client.patch("/_mock/clock", json={"speed": "realtime"})
    first = (await client.post("/v1/avatar", json=BODY, headers=api_key())).json()["data"]["avatar"]["id"]
    second = (await client.post("/v1/avatar", json=BODY, headers=api_key())).json()["data"]["avatar"]["id"]
    r = await client.post(f"/v1/avatar/{first}/cancel", headers=api_key())
    assert r.json()["data"]["avatar"]["status"] == "cancelled"
    r = await client.delete(f"/v1/avatar/{second}", headers=api_key())
    assert r.json()["data"]["avatar"]["status"] == "cancelled"
    credits = (await client.get("/v1/account", headers=api_key())).json()["data"]["account"]["credits"]
    assert credits["available"] == 10000 and credits["held"] == 0
    assert [e["kind"] for e in credits["entries"]][:4] == ["release", "release", "hold", "hold"]


async def test_cancelling_a_finished_job_is_a_409(client):
    job_id = (await client.post("/v1/avatar", json=BODY, headers=api_key())).json()["data"]["avatar"]["id"]
    await client.get(f"/v1/avatar/{job_id}", headers=api_key())
    r = await client.post(f"/v1/avatar/{job_id}/cancel", headers=api_key())
    assert r.status_code == 409
    assert r.json()["errors"][0]["extensions"]["code"] == "JOB_ALREADY_FINISHED"


async def test_catalog_and_estimate(client):
    catalog = (await client.get("/v1/catalog", headers=api_key())).json()["data"]
    assert len(catalog["avatars"]) >= 5 and len({v["language"] for v in catalog["voices"]}) >= 5
    portrait = await client.get(catalog["avatars"][0]["portraitUrl"])
    assert portrait.headers["content-type"] == "image/png" and portrait.content[:4] == b"\x89PNG"
    r = await client.post("/v1/estimate", json={"text": " ".join(["word"] * 75)}, headers=api_key())
    assert r.json()["data"]["estimate"] == {"duration": 30.0, "credits": 100, "tier": "short"}


@pytest.mark.parametrize(
    ("body", "field", "fragment"),
    [
        ({**BODY, "colour": "red"}, "colour", "unknown field 'colour'"),
        ({k: v for k, v in BODY.items() if k != "service"}, "service", "missing required field 'service'"),
        ({**BODY, "text": 42}, "text", "valid string"),
        ({**BODY, "avatarId": None, "text": "hi"}, "avatarId", "avatarId is required"),
        ({**BODY, "service": "synthesia"}, "service", "unknown service 'synthesia'"),
        ({**BODY, "avatarId": "ghost"}, "avatarId", "unknown avatarId"),
        ({**BODY, "voice": "nope"}, "voice", "unknown voice"),
        ({**BODY, "text": ""}, "text", "must not be empty"),
        ({**BODY, "text": "word " * 400}, "text", "too long"),
        ({**BODY, "text": "x" * 5000}, "text", "too long"),
        ({**BODY, "aspectRatio": "4:3"}, "aspectRatio", "unknown aspectRatio"),
        ({**BODY, "webhookUrl": "not a url"}, "webhookUrl", "http or https"),
        ({**BODY, "webhookUrl": "http:///path"}, "webhookUrl", "no host"),
        ({**BODY, "imageUrl": "https://img.test/me.png"}, "avatarId", "not both"),
        ({**BODY, "audioUrl": "https://a.test/s.mp3"}, "text", "not both"),
    ],
)
async def test_bad_body_is_a_400_naming_the_field(client, body, field, fragment):
    r = await client.post("/v1/avatar", json=body, headers=api_key())
    assert r.status_code == 400, r.text
    error = r.json()["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["field"] == field
    assert fragment in error["message"]


@pytest.mark.parametrize(
    ("content", "content_type", "status", "fragment"),
    [
        (b"{oops", "application/json", 400, "malformed JSON"),
        (b'{"service": "hedra"}', "text/plain", 400, "Content-Type must be application/json"),
        (b'{"service": "hedra"}', None, 400, "none was sent"),
        (b"[1, 2]", "application/json", 400, "JSON object"),
        (b"\xff\xfe", "application/json", 400, "UTF-8"),
        (b"[" * 100000, "application/json", 400, "malformed JSON"),
        (b'{"text": "' + b"a" * (1024 * 1024) + b'"}', "application/json", 413, "larger than"),
    ],
)
async def test_malformed_bodies_are_4xx_not_500(client, content, content_type, status, fragment):
    headers = api_key()
    if content_type:
        headers["content-type"] = content_type
    r = await client.post("/v1/avatar", content=content, headers=headers)
    assert r.status_code == status, r.text
    assert fragment in r.json()["errors"][0]["message"]


async def test_audio_url_and_image_url_jobs(client):
    r = await client.post("/v1/avatar", json={"service": "hedra", "audioUrl": "https://a.test/speech.mp3?duration=45", "imageUrl": "https://img.test/me.png"}, headers=api_key())
    job = r.json()["data"]["avatar"]
    assert job["duration"] == 45.0 and job["voice"] is None and job["avatarId"] is None
    assert 200 < job["creditCost"] < 500


@pytest.mark.parametrize(
    ("headers", "status", "code"),
    [
        ({}, 401, "UNAUTHENTICATED"),
        ({"X-API-Key": "wrong"}, 401, "UNAUTHENTICATED"),
        ({"Authorization": "Basic Zm9vOmJhcg=="}, 401, "UNAUTHENTICATED"),
        ({"Authorization": "Bearer "}, 401, "UNAUTHENTICATED"),
        ({"X-API-Key": "test-disabled"}, 403, "FORBIDDEN"),
    ],
)
async def test_authentication_errors(client, headers, status, code):
    r = await client.get("/v1/account", headers=headers)
    assert r.status_code == status
    assert r.json()["errors"][0]["extensions"]["code"] == code


async def test_unknown_job_route_and_method_are_errors_in_the_document_format(client):
    for r, status in [
        (await client.get("/v1/avatar/unknown", headers=api_key()), 404),
        (await client.get("/v1/nothing-here", headers=api_key()), 404),
        (await client.put("/v1/avatar", headers=api_key()), 405),
        (await client.get("/outputs/unknown.mp4"), 404),
        (await client.get("/avatars/ghost/portrait"), 404),
    ]:
        assert r.status_code == status
        assert set(r.json()["errors"][0]) == {"message", "extensions"}


async def test_insufficient_credits_matches_the_documents_example(client):
    body = {**BODY, "text": " ".join(["word"] * 75)}
    r = await client.post("/v1/avatar", json=body, headers=api_key("test-broke"))
    assert r.status_code == 402
    assert r.json() == {
        "errors": [
            {
                "message": "Insufficient credits for this operation",
                "extensions": {"code": "INSUFFICIENT_CREDITS", "creditsRequired": 100, "creditsAvailable": 50},
            }
        ]
    }
