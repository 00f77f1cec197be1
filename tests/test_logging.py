"""Log levels that mean something: a client's mistake is at most a WARNING of one line; ERROR and
tracebacks are kept for faults of the mock itself."""

from __future__ import annotations

import asyncio
import json
import socket

import httpx
import pytest
from websockets.asyncio.client import connect

from helpers import api_key, bearer

pytestmark = pytest.mark.integration


async def websocket_mistakes(url: str) -> None:
    for frames in (["not json"], [json.dumps({"type": "connection_init", "payload": {"X-API-Key": "nope"}})],
                   [json.dumps({"type": "connection_init", "payload": {"X-API-Key": "test-pro"}}),
                    json.dumps({"id": "1", "type": "subscribe", "payload": {"query": "subscription {"}}),
                    json.dumps({"id": "2", "type": "subscribe", "payload": {"query": "subscription { generationUpdated(id: \"nope\") { id } }"}})]):
        async with connect(url, subprotocols=["graphql-transport-ws"]) as ws:
            for frame in frames:
                await ws.send(frame)
            try:
                for _ in range(3):
                    await asyncio.wait_for(ws.recv(), timeout=1)
            except Exception:
                pass


def test_client_mistakes_on_every_surface_are_never_logged_as_server_errors(server_factory):
    server = server_factory("--no-render")
    with httpx.Client(base_url=server.base_url) as client:
        client.post("/v1/avatar", content=b"{", headers={**api_key("test-pro"), "Content-Type": "application/json"})
        client.post("/v1/avatar", json={"service": "nope"}, headers=api_key("test-pro"))
        client.get("/v1/avatar/nope", headers=api_key("test-pro"))
        client.get("/v1/account", headers=api_key("wrong"))
        client.post("/graphql", json={"query": "{ account { nope } }"}, headers=bearer("test-pro"))
        client.post("/graphql", json={"query": "{"}, headers=bearer("test-pro"))
        client.post("/graphql", json={"query": '{ avatar(id: "nope") { id } }'}, headers=bearer("test-pro"))
        client.get("/outputs/nope.mp4")
        client.get("/avatars/professional-1/portrait", headers={"Range": "bytes=999999999-"})
        client.post("/_mock/faults", json={"status": 99})
        client.put("/v1/avatar", headers=api_key("test-pro"))
    with socket.create_connection(("127.0.0.1", int(server.base_url.rsplit(":", 1)[1]))) as raw:
        raw.sendall(b"GARBAGE / HTTP/9\r\n\r\n")
        raw.recv(1000)
    asyncio.run(websocket_mistakes(server.base_url.replace("http://", "ws://") + "/graphql"))
    log = server.log()
    assert "Traceback" not in log, log[-3000:]
    assert not [line for line in log.splitlines() if " ERROR " in line], log[-3000:]


WATCH = "subscription Watch($id: ID!) { generationUpdated(id: $id) { id status progress } }"
START = {"graphql-transport-ws": "subscribe", "graphql-ws": "start"}
UPDATE = {"graphql-transport-ws": "next", "graphql-ws": "data"}


def errors_in(log: str) -> list[str]:
    return [line for line in log.splitlines() if " ERROR " in line or line.startswith(("ERROR", "Traceback"))]


@pytest.fixture
def slow_jobs(server_factory, tmp_path):
    """Jobs that process for 100 s on the real clock, so every watcher gets an update each tick."""
    (tmp_path / "processing.yaml").write_text("queue_seconds: 0\nbase_seconds: 100\nseconds_per_speech_second: 0\njitter: 0\n")
    return server_factory("--fixtures", str(tmp_path), "--no-render", "--no-access-log")


async def watchers(server, protocol: str, count: int):
    """A socket of a throw-away account with `count` subscriptions to its own job, each updated once."""
    async with httpx.AsyncClient(base_url=server.base_url) as http:
        key = (await http.post("/_mock/accounts", json={"plan": "enterprise", "credits": 1000})).json()["key"]
        r = await http.post("/v1/avatar", json={"service": "hedra", "text": "Hello there", "avatarId": "casual-1"},
                            headers=api_key(key))
        job = r.json()["data"]["avatar"]["id"]
    ws = await connect(server.base_url.replace("http://", "ws://") + "/graphql", subprotocols=[protocol], max_queue=None)
    await ws.send(json.dumps({"type": "connection_init", "payload": {"X-API-Key": key}}))
    assert json.loads(await ws.recv())["type"] == "connection_ack"
    for i in range(count):
        await ws.send(json.dumps({"id": str(i), "type": START[protocol], "payload": {"query": WATCH, "variables": {"id": job}}}))
    updated: set[str] = set()
    while len(updated) < count:
        message = json.loads(await ws.recv())
        assert message["type"] == UPDATE[protocol], message
        assert message["payload"]["data"]["generationUpdated"]["status"] == "processing"
        updated.add(message["id"])
    return ws


async def ticks(ws, protocol: str, n: int) -> None:
    """Wait until the socket's subscriptions were updated `n` more times: the server's watchers ticked."""
    seen = 0
    while seen < n:
        if json.loads(await ws.recv())["type"] == UPDATE[protocol]:
            seen += 1


@pytest.mark.parametrize("protocol", ["graphql-transport-ws", "graphql-ws"])
@pytest.mark.parametrize("how", ["close", "drop"])
def test_closing_a_socket_with_open_subscriptions_logs_no_error(slow_jobs, protocol, how):
    """A client (a test's browser, a CI job's worker) goes away while 200 of its subscriptions
    are being updated: a clean close frame, or a dropped connection."""
    async def scenario():
        witness = await watchers(slow_jobs, "graphql-transport-ws", 1)
        sockets = [await watchers(slow_jobs, protocol, 50) for _ in range(4)]
        for ws in sockets:
            if how == "close":
                await ws.close()
            else:
                ws.transport.abort()
        await ticks(witness, "graphql-transport-ws", 3)  # each closed socket's watchers ticked since
        await witness.close()

    asyncio.run(scenario())
    assert errors_in(slow_jobs.log()) == [], slow_jobs.log()[-3000:]


def test_shutting_down_with_a_thousand_open_subscriptions_logs_no_error(slow_jobs):
    async def scenario():
        sockets = [await watchers(slow_jobs, protocol, 50) for _ in range(10) for protocol in START]
        await ticks(sockets[-1], "graphql-ws", 1)
        slow_jobs.process.terminate()  # SIGTERM, as CI stops a service container
        await asyncio.to_thread(slow_jobs.process.wait, 120)
        for ws in sockets:
            ws.transport.abort()

    asyncio.run(scenario())
    log = slow_jobs.log()
    assert errors_in(log) == [], log[-3000:]
    assert "Finished server process" in log  # it shut down cleanly, not killed
