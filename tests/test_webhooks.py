"""Webhook deliveries to a real HTTP receiver."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import socket
import time

import httpx
import pytest
from standardwebhooks.webhooks import Webhook

from mockserver import Settings, create_app, sign, verify_signature
from mockserver.web.views import delivery_view

from helpers import api_key, bearer

pytestmark = pytest.mark.anyio

BODY = {"service": "hedra", "text": "Hello, welcome to our platform!", "avatarId": "professional-1"}
SECRET = "whsec_your_api_key"


def make_app(**overrides):
    return create_app(Settings(**{"speed": "instant", "seed": 5, **overrides}))


async def submit(client, url, key="YOUR_API_KEY", **extra) -> str:
    r = await client.post("/v1/avatar", json={**BODY, "webhookUrl": url, **extra}, headers=api_key(key))
    assert r.status_code == 200, r.text
    return r.json()["data"]["avatar"]["id"]


async def wait_for(receiver, count=None, timeout=5.0):
    return await asyncio.to_thread(receiver.wait, timeout, count)


async def settled(app, job_id, state, timeout=10.0) -> dict:
    """Wait until the job's delivery reaches a state; return its log entry."""
    for _ in range(int(timeout / 0.02)):
        deliveries = app.state.runtime.emulator.webhooks.for_job(job_id)
        if deliveries and deliveries[0].state == state:
            await app.state.runtime.emulator.webhooks.drain()
            return delivery_view(deliveries[0])
        await asyncio.sleep(0.02)
    raise AssertionError(f"delivery of {job_id} never became {state}: {[delivery_view(d) for d in app.state.runtime.emulator.webhooks.for_job(job_id)]}")


async def test_completion_posts_the_documents_payload_signed_over_the_raw_bytes(client, receiver):
    job_id = await submit(client, receiver.url)
    got = await wait_for(receiver)
    expected = "sha256=" + hmac.new(SECRET.encode(), got.body, hashlib.sha256).hexdigest()
    assert got.headers["x-doitong-signature"] == expected
    assert got.headers["content-type"] == "application/json"
    assert got.headers["user-agent"].startswith("doitong-mock/")
    assert got.headers["x-doitong-event"] == "avatar.completed"
    assert got.headers["x-doitong-delivery"].startswith("dlv_")
    assert got.headers["x-doitong-timestamp"].isdigit()
    assert "webhook-signature" not in got.headers
    payload = json.loads(got.body)
    assert list(payload) == ["id", "status", "url", "service", "createdAt", "completedAt", "metadata"]
    assert payload["id"] == job_id and payload["status"] == "completed" and payload["service"] == "hedra"
    assert payload["url"] == f"http://mock.test/outputs/{job_id}.mp4"
    assert payload["metadata"] == {"duration": 2.3, "width": 1280, "height": 720}


async def test_failed_and_cancelled_jobs_are_delivered_too(app, client, receiver):
    service = app.state.runtime.emulator
    service.clock.speed = 1.0
    failing = await submit(client, receiver.url)
    service.jobs.fail(service.jobs.by_id[failing], "RENDER_FAILED", "no face found")
    got = await wait_for(receiver)
    assert got.headers["x-doitong-event"] == "avatar.failed"
    assert got.json["error"] == {"code": "RENDER_FAILED", "message": "no face found"}
    cancelled = await submit(client, receiver.url)
    await client.delete(f"/v1/avatar/{cancelled}", headers=api_key())
    got = await wait_for(receiver)
    assert (got.json["id"], got.json["status"], got.json["url"]) == (cancelled, "cancelled", None)


async def test_two_500s_then_a_200_make_exactly_three_attempts(app, client, receiver):
    receiver.respond_with(500, 500, then=200)
    job_id = await submit(client, receiver.url)
    log = await settled(app, job_id, "delivered")
    assert [(a["number"], a["statusCode"]) for a in log["attempts"]] == [(1, 500), (2, 500), (3, 200)]
    await asyncio.sleep(0.2)
    assert len(receiver.deliveries) == 3
    assert len({d.headers["x-doitong-delivery"] for d in receiver.deliveries}) == 1
    assert [d.headers["x-doitong-attempt"] for d in receiver.deliveries] == ["1", "2", "3"]
    assert all(a["latencyMs"] >= 0 for a in log["attempts"])


async def test_a_receiver_that_is_down_exhausts_the_attempts_and_a_resend_succeeds_later(receiver):
    app = make_app(webhook_attempts=4)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://mock.test") as client:
        url = receiver.url
        receiver.stop()
        # The port stays ours while the receiver is down: bound but not listening, it refuses
        # connections, and no server another test starts meanwhile can take it.
        with socket.socket() as held:
            held.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            held.bind(("127.0.0.1", receiver.port))
            job_id = await submit(client, url)
            log = await settled(app, job_id, "failed")
        assert len(log["attempts"]) == 4
        assert all(a["statusCode"] is None and a["error"] for a in log["attempts"])
        receiver.start()
        r = await client.post(f"/_mock/deliveries/{log['id']}/resend")
        assert r.json()["state"] == "delivered"
        assert r.json()["attempts"][-1] == {**r.json()["attempts"][-1], "number": 5, "statusCode": 200, "manual": True}
        assert len(receiver.deliveries) == 1


async def test_a_hanging_receiver_times_out_and_the_retry_follows(receiver):
    app = make_app(webhook_timeout=0.3)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://mock.test") as client:
        receiver.hang(2.0, count=1)
        job_id = await submit(client, receiver.url)
        log = await settled(app, job_id, "delivered")
        first, second = log["attempts"]
        assert first["statusCode"] is None and "timed out after 0.3 s" in first["error"]
        assert second["statusCode"] == 200


async def test_retries_wait_for_the_virtual_clock(receiver):
    app = make_app(speed="realtime", clock="virtual", start_time=1704067200)
    service = app.state.runtime.emulator
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://mock.test") as client:
        receiver.respond_with(503, then=200)
        job_id = await submit(client, receiver.url)
        service.scheduler.advance(3600)
        await wait_for(receiver, count=1)
        await service.webhooks.drain()
        delivery = service.webhooks.for_job(job_id)[0]
        assert delivery.state == "pending" and len(delivery.attempts) == 1
        wait = delivery.next_attempt_at - service.clock.now()
        assert 9.0 <= wait <= 11.0  # 10 s with 10 % jitter
        service.scheduler.advance(wait - 0.5)
        await asyncio.sleep(0.2)
        assert len(receiver.deliveries) == 1
        service.scheduler.advance(0.5)
        await wait_for(receiver, count=2)
        await service.webhooks.drain()
        assert delivery.state == "delivered"


async def test_standard_webhooks_headers_verify_with_the_specs_library(client, receiver):
    await submit(client, receiver.url, key="test-standard")
    got = await wait_for(receiver)
    assert got.headers["webhook-id"] == got.headers["x-doitong-delivery"]
    payload = Webhook("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").verify(got.body, got.headers)
    assert payload["status"] == "completed"
    assert verify_signature("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", got.body, got.signature)


async def test_the_log_is_readable_per_job_per_account_and_on_the_graphql_job(app, client, receiver):
    job_id = await submit(client, receiver.url)
    await settled(app, job_id, "delivered")
    per_job = (await client.get(f"/_mock/jobs/{job_id}/deliveries")).json()["deliveries"]
    per_account = (await client.get("/_mock/deliveries", params={"account": "YOUR_API_KEY"})).json()["deliveries"]
    assert [d["id"] for d in per_job] == [d["id"] for d in per_account]
    assert per_job[0]["attempts"][0]["url"] == receiver.url
    assert per_job[0]["payload"]["id"] == job_id
    r = await client.post("/graphql", json={"query": f'{{ avatar(id: "{job_id}") {{ deliveries {{ id state event attempts {{ number statusCode latencyMs }} }} }} }}'}, headers=bearer())
    [delivery] = r.json()["data"]["avatar"]["deliveries"]
    assert delivery["state"] == "delivered" and delivery["event"] == "avatar.completed"
    assert delivery["attempts"][0]["statusCode"] == 200
    assert (await client.get("/_mock/deliveries/dlv_nope")).status_code == 404


async def test_webhook_allow_limits_where_the_mock_posts(receiver):
    app = make_app(webhook_allow="*.internal.test,localhost")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://mock.test") as client:
        r = await client.post("/v1/avatar", json={**BODY, "webhookUrl": receiver.url}, headers=api_key())
        assert r.status_code == 400
        error = r.json()["errors"][0]
        assert error["extensions"]["field"] == "webhookUrl" and "127.0.0.1" in error["message"]
        ok = await client.post("/v1/avatar", json={**BODY, "webhookUrl": f"http://localhost:{receiver.port}/webhook"}, headers=api_key())
        assert ok.status_code == 200
        await wait_for(receiver)


def test_verify_signature_is_strict():
    body = b'{"id":"abc123xyz"}'
    header = sign("s3cret", body)
    assert verify_signature("s3cret", body, header)
    assert verify_signature("s3cret", body, header.upper().replace("SHA256=", "sha256="))
    assert not verify_signature("s3cret", body + b" ", header)
    assert not verify_signature("other", body, header)
    assert not verify_signature("s3cret", body, None)
    assert not verify_signature("s3cret", body, "sha256=")


@pytest.mark.integration
def test_submissions_stay_fast_while_deliveries_hang(server_factory, receiver):
    server = server_factory("--speed", "instant", "--webhook-timeout", "30", "--no-access-log")
    receiver.hang(3.0)
    with httpx.Client(base_url=server.base_url) as client:
        for i in range(10):
            r = client.post("/v1/avatar", json={**BODY, "text": f"hook {i}", "webhookUrl": receiver.url}, headers=api_key("test-enterprise"))
            assert r.status_code == 200
        r = client.get("/v1/avatar", params={"limit": 10}, headers=api_key("test-enterprise"))
        assert {a["status"] for a in r.json()["data"]["avatars"]} == {"completed"}
        assert receiver.in_flight >= 1 and receiver.deliveries == []  # every delivery still hanging
    receiver.wait(timeout=15, count=10)


def test_the_readmes_node_verifier_accepts_a_real_delivery_and_rejects_a_forgery(tmp_path, receiver):
    import shutil
    import subprocess
    from pathlib import Path

    if shutil.which("node") is None:
        pytest.skip("node is not installed")
    repo = Path(__file__).resolve().parent.parent
    verifier = (repo / "examples" / "verify_webhook.mjs").read_text()
    assert verifier.strip() in (repo / "README.md").read_text()

    async def deliver() -> None:
        app = make_app()
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://mock.test") as client:
            await submit(client, receiver.url)
            await wait_for(receiver)

    asyncio.run(deliver())
    got = receiver.deliveries[0]
    (tmp_path / "body.bin").write_bytes(got.body)
    (tmp_path / "forged.bin").write_bytes(got.body.replace(b"completed", b"failed"))
    script = tmp_path / "check.mjs"
    script.write_text(
        f"import {{ readFileSync }} from 'node:fs';\n"
        f"import {{ verifySignature }} from {json.dumps(str(repo / 'examples' / 'verify_webhook.mjs'))};\n"
        f"for (const f of ['body.bin', 'forged.bin']) console.log(verifySignature({json.dumps(SECRET)}, readFileSync(f), {json.dumps(got.signature)}));\n"
    )
    out = subprocess.run(["node", str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=30, check=True).stdout
    assert out.split() == ["true", "false"]


async def test_standard_webhooks_verify_after_the_virtual_clock_moved_an_hour(receiver):
    app = make_app(speed="realtime", clock="virtual")
    emulator = app.state.runtime.emulator
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://mock.test") as client:
        job_id = await submit(client, receiver.url, key="test-standard")
        await client.post("/_mock/clock/advance", json={"seconds": 3600})
        got = await wait_for(receiver)
        await emulator.webhooks.drain()
    payload = Webhook("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").verify(got.body, got.headers)  # refuses a time 5 min off
    assert payload["id"] == job_id
    assert abs(int(got.headers["webhook-timestamp"]) - time.time()) < 60
    assert got.headers["x-doitong-timestamp"] == got.headers["webhook-timestamp"]
    assert payload["completedAt"] > payload["createdAt"]  # the payload's times stay on the mock's clock
    await app.state.runtime.close()
