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
