from __future__ import annotations

import pytest

pytestmark = pytest.mark.anyio


async def test_healthz_reports_the_clock(client):
    body = (await client.get("/healthz")).json()
    assert body["status"] == "ok"
    assert body["clock"]["mode"] == "real" and body["clock"]["speed"] == "instant"


PREFLIGHT = {
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "authorization, content-type, idempotency-key",
}


async def test_browsers_on_localhost_may_call_the_mock_by_default(client):
    r = await client.options("/graphql", headers={"Origin": "http://localhost:5173", **PREFLIGHT})
    assert r.status_code == 200
    assert r.headers["access-control-allow-origin"] == "http://localhost:5173"
    assert "idempotency-key" in r.headers["access-control-allow-headers"].lower()
    r = await client.get("/v1/account", headers={"Origin": "http://127.0.0.1:3000", "X-API-Key": "test-free"})
    assert r.headers["access-control-allow-origin"] == "http://127.0.0.1:3000"
    assert "X-RateLimit-Remaining" in r.headers["access-control-expose-headers"]
    r = await client.options("/graphql", headers={"Origin": "https://evil.example", **PREFLIGHT})
    assert "access-control-allow-origin" not in r.headers


async def test_cors_origin_setting_names_the_allowed_origins():
    import httpx

    from mockserver import Settings, create_app

    app = create_app(Settings(cors_origins="https://app.example,https://staging.example"))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://m") as client:
        ok = await client.options("/v1/avatar", headers={"Origin": "https://app.example", **PREFLIGHT})
        assert ok.headers["access-control-allow-origin"] == "https://app.example"
        local = await client.options("/v1/avatar", headers={"Origin": "http://localhost:3000", **PREFLIGHT})
        assert "access-control-allow-origin" not in local.headers


async def test_the_demo_page_and_the_offline_explorer_are_served(client):
    page = await client.get("/")
    assert page.status_code == 200 and "generateAvatar" in (await client.get("/static/demo.js")).text
    explorer = await client.get("/graphql", headers={"Accept": "text/html"})
    assert explorer.headers["content-type"].startswith("text/html")
    for asset in ("/static/graphiql/graphiql.min.js", "/static/graphiql/graphiql.min.css", "/static/explorer.js", "/favicon.ico"):
        assert asset in explorer.text
        assert (await client.get(asset)).status_code == 200
    assert "/static/gql-client.js" in (await client.get("/static/explorer.js")).text
    import re

    for html in (explorer.text, page.text):  # everything from the mock itself: no CDN
        assets = re.findall(r'(?:src|href)="([^"]+)"', html)
        assert assets and all(a.startswith(("/static/", "/favicon.ico", "/graphql", "/openapi.json", "/_mock/ui/")) for a in assets), assets


async def test_the_icon_is_served_and_not_journalled(client):
    r = await client.get("/favicon.ico")
    assert r.status_code == 200 and r.headers["content-type"] == "image/x-icon" and r.content[:4] == b"\0\0\1\0"
    assert "max-age" in r.headers["cache-control"]
    journal = (await client.get("/_mock/requests", params={"path": "/favicon.ico"})).json()
    assert journal["requests"] == []


@pytest.mark.parametrize("allowed", ["", "https://app.example", "*"], ids=["localhost", "named", "any"])
async def test_every_answer_varies_on_origin_with_an_origin_or_without(allowed):
    """CORS headers depend on the Origin, so a cache must not hand an answer made for an <img>
    (no Origin) to a fetch() (with one): every answer says `Vary: Origin`, media and errors too."""
    import httpx

    from mockserver import Settings, create_app

    from helpers import api_key

    app = create_app(Settings(speed="instant", cors_origins=allowed))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://m") as client:
        job = (await client.post("/v1/avatar", headers=api_key(), json={
            "service": "hedra", "text": "Hi", "avatarId": "professional-1"})).json()["data"]["avatar"]
        for origin in (None, "http://localhost:5173", "https://app.example", "https://evil.example"):
            headers = {"Origin": origin} if origin else {}
            answers = {
                "portrait": await client.get("/avatars/professional-1/portrait", headers=headers),
                "portrait range": await client.get("/avatars/professional-1/portrait", headers={**headers, "Range": "bytes=0-9"}),
                "portrait HEAD": await client.head("/avatars/professional-1/portrait", headers=headers),
                "video": await client.get(f"/outputs/{job['id']}.mp4", headers=headers),
                "REST": await client.get(f"/v1/avatar/{job['id']}", headers={**headers, **api_key()}),
                "GraphQL": await client.post("/graphql", json={"query": "{ account { name } }"}, headers={**headers, **api_key()}),
                "401": await client.get("/v1/account", headers=headers),
                "404": await client.get("/avatars/nobody/portrait", headers=headers),
                "page": await client.get("/", headers=headers),
                "static": await client.get("/static/demo.js", headers=headers),
            }
            for what, r in answers.items():
                assert r.status_code < 500, (what, r.status_code)
                vary = {v.strip().lower() for v in r.headers.get("vary", "").split(",")}
                assert "origin" in vary, (what, origin, r.headers)
