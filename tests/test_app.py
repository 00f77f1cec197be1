from __future__ import annotations

import pytest

pytestmark = pytest.mark.anyio


async def test_healthz_reports_the_clock(client):
    body = (await client.get("/healthz")).json()
    assert body["status"] == "ok"
    assert body["clock"]["mode"] == "real" and body["clock"]["speed"] == "instant"
