"""Live job updates over graphql-transport-ws, with a real WebSocket client and server."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from helpers import api_key

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

SUBSCRIPTION = "subscription Watch($id: ID!) { generationUpdated(id: $id) { id status progress url } }"


@pytest.fixture(scope="module")
def server(server_factory, tmp_path_factory):
    fixtures = tmp_path_factory.mktemp("subs")
    (fixtures / "processing.yaml").write_text("queue_seconds: 2\nbase_seconds: 8\nseconds_per_speech_second: 0\njitter: 0\n")
    return server_factory("--speed", "4", "--fixtures", str(fixtures), "--no-access-log", "--no-render")


def ws_url(server) -> str:
    return server.base_url.replace("http://", "ws://") + "/graphql"


async def start(server, key="YOUR_API_KEY") -> str:
    async with httpx.AsyncClient(base_url=server.base_url) as http:
        r = await http.post("/v1/avatar", json={"service": "hedra", "text": "hi", "avatarId": "casual-1"}, headers=api_key(key))
        return r.json()["data"]["avatar"]["id"]


async def test_a_subscriber_sees_status_and_progress_until_completed(server):
    job_id = await start(server)
    async with connect(ws_url(server), subprotocols=["graphql-transport-ws"]) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {"Authorization": "Bearer YOUR_API_KEY"}}))
        assert json.loads(await ws.recv()) == {"type": "connection_ack"}
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIPTION, "variables": {"id": job_id}}}))
        updates = []
        while True:
            message = json.loads(await ws.recv())
            if message["type"] == "complete":
                break
            assert message["type"] == "next" and message["id"] == "1", message
            updates.append(message["payload"]["data"]["generationUpdated"])
    statuses = [u["status"] for u in updates]
    assert statuses[0] == "queued" and statuses[-1] == "completed"
    assert "processing" in statuses
    progress = [u["progress"] for u in updates]
    assert progress == sorted(progress)
    assert any(0 < p < 1 for p in progress)
    assert updates[-1]["url"].endswith(f"/outputs/{job_id}.mp4")


async def test_the_key_can_come_as_a_query_parameter_for_browsers(server):
    job_id = await start(server, "test-pro")
    async with connect(ws_url(server) + "?apiKey=test-pro", subprotocols=["graphql-transport-ws"]) as ws:
        await ws.send(json.dumps({"type": "connection_init"}))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        await ws.send(json.dumps({"id": "a", "type": "subscribe", "payload": {"query": SUBSCRIPTION, "variables": {"id": job_id}}}))
        first = json.loads(await ws.recv())
        assert first["payload"]["data"]["generationUpdated"]["id"] == job_id


async def test_a_bad_key_closes_with_4403(server):
    async with connect(ws_url(server), subprotocols=["graphql-transport-ws"]) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {"Authorization": "Bearer nope"}}))
        with pytest.raises(ConnectionClosed) as info:
            await ws.recv()
    assert info.value.rcvd.code == 4403


async def test_another_accounts_job_is_not_found(server):
    job_id = await start(server, "test-pro")
    async with connect(ws_url(server), subprotocols=["graphql-transport-ws"]) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {"X-API-Key": "YOUR_API_KEY"}}))
        await ws.recv()
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIPTION, "variables": {"id": job_id}}}))
        message = json.loads(await ws.recv())
    assert message["type"] == "next"
    assert message["payload"]["errors"][0]["extensions"]["code"] == "NOT_FOUND"


@pytest.mark.parametrize("frame", ["not json", "[1, 2]", '{"no": "type"}', b"\xff\xfe"])
async def test_a_frame_that_is_not_a_protocol_message_closes_with_4400(server, frame):
    async with connect(ws_url(server), subprotocols=["graphql-transport-ws"]) as ws:
        await ws.send(frame)
        with pytest.raises(ConnectionClosed) as info:
            await ws.recv()
    assert info.value.rcvd.code == 4400
    assert "Traceback" not in server.log()


async def test_a_not_found_subscription_is_not_logged_as_a_server_error(server):
    async with connect(ws_url(server), subprotocols=["graphql-transport-ws"]) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {"X-API-Key": "YOUR_API_KEY"}}))
        await ws.recv()
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIPTION, "variables": {"id": "nope"}}}))
        assert json.loads(await ws.recv())["payload"]["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    log = server.log()
    assert "Traceback" not in log
    assert not [line for line in log.splitlines() if " ERROR " in line and "nope" in line]


async def subscribe(ws, job_id: str, key: str = "YOUR_API_KEY", op: str = "1") -> None:
    await ws.send(json.dumps({"type": "connection_init", "payload": {"X-API-Key": key}}))
    assert json.loads(await ws.recv())["type"] == "connection_ack"
    await ws.send(json.dumps({"id": op, "type": "subscribe", "payload": {"query": SUBSCRIPTION, "variables": {"id": job_id}}}))


async def test_an_open_subscription_completes_when_the_mock_is_reset(server):
    async with httpx.AsyncClient(base_url=server.base_url) as http:
        r = await http.post("/v1/avatar", json={"service": "hedra", "text": "[slow] hi", "avatarId": "casual-1"}, headers=api_key("test-starter"))
        job_id = r.json()["data"]["avatar"]["id"]
        async with connect(ws_url(server), subprotocols=["graphql-transport-ws"]) as ws:
            await subscribe(ws, job_id, "test-starter")
            first = json.loads(await ws.recv())
            assert first["payload"]["data"]["generationUpdated"]["status"] in ("queued", "processing")
            assert (await http.post("/_mock/reset")).status_code == 200
            while True:
                message = json.loads(await asyncio.wait_for(ws.recv(), timeout=3))
                if message["type"] == "complete":
                    break
                assert message["type"] == "next", message
            assert message == {"type": "complete", "id": "1"}
            await ws.send(json.dumps({"id": "2", "type": "subscribe", "payload": {"query": SUBSCRIPTION, "variables": {"id": job_id}}}))
            gone = json.loads(await asyncio.wait_for(ws.recv(), timeout=3))
            assert gone["payload"]["errors"][0]["extensions"]["code"] == "NOT_FOUND"


async def test_each_subscribe_is_counted_like_a_request_and_refused_past_the_limit(server):
    async with httpx.AsyncClient(base_url=server.base_url) as http:
        key = (await http.post("/_mock/accounts", json={"plan": "free"})).json()["key"]
        r = await http.post("/v1/avatar", json={"service": "hedra", "text": "hi", "avatarId": "casual-1"}, headers=api_key(key))
        job_id = r.json()["data"]["avatar"]["id"]
        async with connect(ws_url(server), subprotocols=["graphql-transport-ws"]) as ws:
            await subscribe(ws, job_id, key, op="0")
            await ws.recv()
            for op in range(1, 9):
                await ws.send(json.dumps({"id": str(op), "type": "subscribe", "payload": {"query": SUBSCRIPTION, "variables": {"id": job_id}}}))
            usage = (await http.get(f"/_mock/accounts/{key}")).json()["usage"]
            assert usage["requestsThisMinute"] == 10  # one submission, nine subscriptions
            await ws.send(json.dumps({"id": "late", "type": "subscribe", "payload": {"query": SUBSCRIPTION, "variables": {"id": job_id}}}))
            while True:
                message = json.loads(await asyncio.wait_for(ws.recv(), timeout=5))
                if message.get("id") == "late":
                    break
        assert message["type"] == "error"
        assert message["payload"][0]["extensions"]["code"] == "RATE_LIMITED"


async def test_parse_and_validation_errors_have_the_http_surfaces_codes(server):
    async with connect(ws_url(server), subprotocols=["graphql-transport-ws"]) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {"X-API-Key": "test-pro"}}))
        await ws.recv()
        for op, query, code in (("1", "subscription {", "GRAPHQL_PARSE_FAILED"),
                                ("2", "subscription { generationUpdated(id: \"x\") { nope } }", "GRAPHQL_VALIDATION_FAILED")):
            await ws.send(json.dumps({"id": op, "type": "subscribe", "payload": {"query": query}}))
            message = json.loads(await ws.recv())
            assert (message["type"], message["id"]) == ("error", op)
            assert message["payload"][0]["extensions"]["code"] == code and message["payload"][0]["locations"]


async def test_a_client_that_offers_no_protocol_is_told_which_to_offer(server):
    async with connect(ws_url(server)) as ws:
        with pytest.raises(ConnectionClosed) as info:
            await ws.recv()
    assert info.value.rcvd.code == 4406
    assert "graphql-transport-ws or graphql-ws" in info.value.rcvd.reason


async def test_a_client_that_offers_only_other_protocols_gets_a_400_before_the_upgrade(server):
    from websockets.exceptions import InvalidStatus

    with pytest.raises(InvalidStatus) as info:
        async with connect(ws_url(server), subprotocols=["mqtt"]):
            pass
    response = info.value.response
    assert response.status_code == 400 and response.headers["Vary"] == "Origin"
    [error] = json.loads(response.body)["errors"]  # the errors envelope every answer has
    assert error["extensions"]["code"] == "BAD_USER_INPUT" and "graphql-transport-ws or graphql-ws" in error["message"]


async def test_the_legacy_graphql_ws_protocol_streams_a_job_to_completion(server):
    job_id = await start(server)
    async with connect(ws_url(server), subprotocols=["graphql-ws", "graphql-transport-ws"]) as ws:
        assert ws.subprotocol == "graphql-ws"  # the first of ours in the order the client offered them
    async with connect(ws_url(server), subprotocols=["graphql-ws"]) as ws:
        assert ws.subprotocol == "graphql-ws"
        await ws.send(json.dumps({"type": "connection_init", "payload": {"Authorization": "Bearer YOUR_API_KEY"}}))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        await ws.send(json.dumps({"id": "1", "type": "start", "payload": {"query": SUBSCRIPTION, "variables": {"id": job_id}}}))
        statuses = []
        while True:
            message = json.loads(await asyncio.wait_for(ws.recv(), timeout=10))
            if message["type"] == "ka":
                continue
            if message["type"] == "complete":
                break
            assert message["type"] == "data" and message["id"] == "1", message
            statuses.append(message["payload"]["data"]["generationUpdated"]["status"])
    assert statuses[-1] == "completed"


async def test_the_legacy_protocol_refuses_a_bad_key_and_answers_errors_in_its_own_messages(server):
    async with connect(ws_url(server), subprotocols=["graphql-ws"]) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {"Authorization": "Bearer nope"}}))
        refused = json.loads(await ws.recv())
        assert refused["type"] == "connection_error" and refused["payload"]["extensions"]["code"] == "UNAUTHENTICATED"
        with pytest.raises(ConnectionClosed) as info:
            await ws.recv()
        assert info.value.rcvd.code == 4403
    async with connect(ws_url(server), subprotocols=["graphql-ws"]) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {"X-API-Key": "test-pro"}}))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        await ws.send(json.dumps({"id": "7", "type": "start", "payload": {"query": "subscription {"}}))
        while (message := json.loads(await ws.recv()))["type"] == "ka":
            pass
        assert message["type"] == "error" and message["payload"]["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"


@pytest.mark.parametrize("protocol", ["graphql-transport-ws", "graphql-ws"])
async def test_a_socket_that_never_initialises_is_closed(server_factory, protocol):
    server = server_factory("--no-render", "--client-timeout", "1")
    async with connect(ws_url(server), subprotocols=[protocol]) as ws:
        with pytest.raises(ConnectionClosed) as info:
            await asyncio.wait_for(ws.recv(), timeout=5)
    assert info.value.rcvd.code == 4408
