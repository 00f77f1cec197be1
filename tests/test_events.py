"""The events feed: one message for each kind of change, across resets, and a slow follower
never slowing the emulator down."""

from __future__ import annotations

import json
import threading

import httpx
import pytest

from mockserver import Settings, create_app
from mockserver.core.events import Events
from mockserver.core.feed import LAGGED, Feed

from helpers import api_key, bearer

pytestmark = pytest.mark.anyio

BODY = {"service": "hedra", "text": "Hello, welcome to our platform!", "avatarId": "professional-1"}


@pytest.fixture
def app():
    return create_app(Settings(clock="virtual", seed=2))


@pytest.fixture
async def client(app):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://mock.test") as c:
        yield c


async def drain(follower, timeout=0.05) -> list[tuple[str, dict]]:
    """Every message queued now, as (kind, data)."""
    out = []
    while (message := await follower.get(timeout)) is not None:
        out.append((message.kind, json.loads(message.data)))
    return out


def kinds(messages) -> list[str]:
    return [kind for kind, _ in messages]


def of(messages, kind) -> list[dict]:
    return [data for k, data in messages if k == kind]


async def test_a_request_is_a_request_event_in_the_journals_brief_shape(app, client):
    follower = app.state.feed.follow()
    await client.get("/v1/account", headers=api_key())
    [request] = of(await drain(follower), "request")
    entry = request["request"]
    assert (entry["method"], entry["path"], entry["surface"], entry["key"], entry["status"]) == (
        "GET", "/v1/account", "rest", "YOUR_API_KEY", 200)
    assert "body" not in entry and entry["id"] >= 1 and entry["latencyMs"] >= 0


async def test_a_graphql_request_names_its_operation_and_a_fault_names_itself(app, client):
    follower = app.state.feed.follow(kinds=["request", "fault"])
    fault = (await client.post("/_mock/faults", json={"status": 503, "count": 1})).json()
    query = "query Who { account { id } }"
    r = await client.post("/graphql", json={"query": query, "operationName": "Who"}, headers=bearer())
    assert r.status_code == 503
    messages = await drain(follower)
    assert kinds(messages) == ["fault", "fault", "request"]  # added, used up, the request it answered
    added, used = of(messages, "fault")
    assert added["fault"]["id"] == fault["id"] and [f["id"] for f in added["faults"]] == [fault["id"]]
    assert used["fault"]["remaining"] == 0 and used["faults"] == []
    [request] = of(messages, "request")
    assert request["request"]["fault"] == fault["id"] and request["request"]["status"] == 503


async def test_job_transitions_ledger_entries_and_clock_moves(app, client):
    follower = app.state.feed.follow()
    r = await client.post("/v1/avatar", json=BODY, headers=api_key())
    job_id = r.json()["data"]["avatar"]["id"]
    await client.post("/_mock/clock/advance", json={"seconds": 600})
    messages = await drain(follower)
    statuses = [d["job"]["status"] for d in of(messages, "job")]
    assert statuses == ["queued", "processing", "completed"]
    assert {d["job"]["id"] for d in of(messages, "job")} == {job_id}
    assert of(messages, "job")[0]["job"]["accountKey"] == "YOUR_API_KEY"
    ledger = [(d["account"], d["entry"]["kind"], d["entry"]["jobId"]) for d in of(messages, "ledger")]
    assert ledger == [("YOUR_API_KEY", "hold", job_id), ("YOUR_API_KEY", "charge", job_id)]
    [clock] = of(messages, "clock")
    assert clock["clock"]["mode"] == "virtual" and "nextDueAt" in clock["clock"]
    # The order things happened in: held before the job exists, charged before it is announced.
    order = kinds(messages)
    assert order.index("ledger") < order.index("job") and order[-1] == "clock"


async def test_moving_a_job_from_the_control_api_is_a_job_event(app, client):
    r = await client.post("/v1/avatar", json=BODY, headers=api_key())
    job_id = r.json()["data"]["avatar"]["id"]
    follower = app.state.feed.follow(kinds=["job"])
    await client.post(f"/_mock/jobs/{job_id}/fail", json={"code": "FACE_NOT_DETECTED", "message": "no face"})
    [(kind, data)] = await drain(follower)
    assert kind == "job" and data["job"]["status"] == "failed" and data["job"]["error"]["code"] == "FACE_NOT_DETECTED"


async def test_a_delivery_is_an_event_when_it_starts_and_after_each_attempt(app, client, receiver):
    receiver.respond_with(500, then=200)
    follower = app.state.feed.follow(kinds=["delivery"])
    await client.post("/v1/avatar", json={**BODY, "webhookUrl": receiver.url}, headers=api_key())
    await client.post("/_mock/clock/advance", json={"seconds": 600})  # the job completes; the retry 10 s later
    messages = await drain(follower)
    states = [(d["delivery"]["state"], len(d["delivery"]["attempts"])) for _, d in messages]
    assert states == [("pending", 0), ("pending", 1), ("delivered", 2)]
    attempt = messages[-1][1]["delivery"]["attempts"][0]
    assert attempt["statusCode"] == 500 and attempt["headers"]["X-Doitong-Attempt"] == "1"
    delivery_id = messages[-1][1]["delivery"]["id"]
    await client.post(f"/_mock/deliveries/{delivery_id}/resend")
    [(_, resent)] = await drain(follower)
    assert resent["delivery"]["state"] == "delivered" and resent["delivery"]["attempts"][-1]["manual"] is True


async def test_accounts_created_and_changed_and_the_journal_cleared(app, client):
    follower = app.state.feed.follow(kinds=["account", "ledger", "journal"])
    made = (await client.post("/_mock/accounts", json={"plan": "free", "credits": 5})).json()
    await client.patch(f"/_mock/accounts/{made['key']}", json={"credits": 50, "plan": "starter"})
    await client.delete("/_mock/requests")
    messages = await drain(follower)
    assert kinds(messages) == ["account", "ledger", "account", "journal"]
    assert messages[0][1]["account"]["key"] == made["key"] and messages[0][1]["account"]["credits"]["available"] == 5
    assert messages[1][1]["entry"]["kind"] == "adjust" and messages[1][1]["entry"]["amount"] == 45
    assert messages[2][1]["account"]["plan"]["id"] == "starter"
    assert "removed" in messages[3][1]


async def test_speed_changes_are_clock_events(app, client):
    follower = app.state.feed.follow(kinds=["clock"])
    await client.patch("/_mock/clock", json={"speed": "instant"})
    [(_, data)] = await drain(follower)
    assert data["clock"]["speed"] == "instant"


async def test_reset_and_reload_are_events_and_the_feed_follows_the_new_emulator(app, client):
    follower = app.state.feed.follow(kinds=["reset", "request"])
    await client.post("/_mock/reset")
    await client.post("/_mock/fixtures/reload")
    await client.get("/v1/account", headers=api_key())
    messages = await drain(follower)
    assert kinds(messages) == ["reset", "reset", "request"]
    assert [d["reason"] for d in of(messages, "reset")] == ["reset", "reload"]
    assert of(messages, "request")[0]["request"]["id"] == 1  # the new emulator's journal


async def test_a_follower_that_never_reads_costs_the_emulator_nothing_and_learns_what_it_missed():
    events = Events()
    feed = Feed(events, lambda kind, subject: {"n": subject}, size=100)
    stalled = feed.follow()
    reader = feed.follow()
    for n in range(20_000):
        events.emit("job", n)
        if n % 100 == 99:
            assert len(await drain(reader, 0)) == 100  # a reader that keeps up misses nothing
            assert len(stalled) <= 100  # bounded at every step, however far behind
    first = await stalled.get(0)
    assert first.kind == LAGGED and json.loads(first.data)["dropped"] == 19_900
    rest = await drain(stalled, 0)
    assert [d["n"] for _, d in rest] == list(range(19_900, 20_000))
    assert stalled.dropped_total == 19_900


async def test_the_feed_listens_only_while_someone_follows():
    events = Events()
    encoded = []
    feed = Feed(events, lambda kind, subject: encoded.append(kind) or {"k": kind})
    events.emit("job", 1)
    follower = feed.follow(kinds=["clock"])
    events.emit("job", 2)  # nobody wants jobs: not even encoded
    events.emit("clock", 3)
    assert encoded == ["clock"]
    follower.close()
    assert len(feed) == 0 and events._listeners == []
    assert await follower.get(0) is None


async def test_an_event_from_another_thread_reaches_the_follower_on_its_loop():
    events = Events()
    feed = Feed(events, lambda kind, subject: {"n": subject})
    follower = feed.follow()
    thread = threading.Thread(target=events.emit, args=("job", 7))
    thread.start()
    thread.join()
    message = await follower.get(2)
    assert message is not None and json.loads(message.data) == {"n": 7}
