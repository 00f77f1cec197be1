"""The credit ledger: held on acceptance, charged on completion, released otherwise."""

from __future__ import annotations

import pytest

from mockserver import Settings, create_app
from mockserver.core.clock import Clock
from mockserver.core.errors import InsufficientCredits
from mockserver.core.ledger import Ledger

from helpers import advance, api_key

BODY = {"service": "hedra", "text": "hi", "avatarId": "casual-1"}


def test_ledger_moves_and_entries():
    ledger = Ledger(Clock(virtual=True, start=0).now, 100)
    ledger.hold("a", 60)
    with pytest.raises(InsufficientCredits) as info:
        ledger.hold("b", 60)
    assert info.value.extensions == {"creditsRequired": 60, "creditsAvailable": 40}
    ledger.hold("b", 40)
    ledger.charge("a")
    ledger.release("b")
    ledger.release("b")  # settling twice changes nothing
    assert (ledger.available, ledger.held, ledger.charged, ledger.balance) == (40, 0, 60, 40)
    assert [(e.kind, e.amount, e.available, e.held) for e in ledger.entries] == [
        ("initial", 100, 100, 0), ("hold", 60, 40, 60), ("hold", 40, 0, 100),
        ("charge", 60, 0, 40), ("release", 40, 40, 0),
    ]


@pytest.fixture
def app(limits_fixtures):
    return create_app(Settings(clock="virtual", start_time=0, fixtures=limits_fixtures, seed=2))




async def _credits(client, key="rich"):
    return (await client.get("/v1/account", headers=api_key(key))).json()["data"]["account"]["credits"]


@pytest.mark.anyio
async def test_failed_and_cancelled_jobs_give_credits_back_completed_keep_them(app, client):
    ids = [(await client.post("/v1/avatar", json=BODY, headers=api_key("rich"))).json()["data"]["avatar"]["id"] for _ in range(3)]
    assert (await _credits(client))["held"] == 3 * 52
    await client.post(f"/_mock/jobs/{ids[0]}/fail", json={"code": "RENDER_FAILED", "message": "the renderer fell over"})
    await client.post(f"/v1/avatar/{ids[1]}/cancel", headers=api_key("rich"))
    await advance(client, 600)
    credits = await _credits(client)
    assert (credits["available"], credits["held"], credits["charged"]) == (1000 - 52, 0, 52)
    kinds = [(e["kind"], e["jobId"]) for e in credits["entries"]]
    assert kinds[:3] == [("charge", ids[2]), ("release", ids[1]), ("release", ids[0])]
    failed = (await client.get(f"/v1/avatar/{ids[0]}", headers=api_key("rich"))).json()["data"]["avatar"]
    assert failed["status"] == "failed"
    assert failed["error"] == {"code": "RENDER_FAILED", "message": "the renderer fell over"}
    assert failed["url"] is None
