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

from helpers import advance, api_key, bearer, seconds_between

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


async def settled(client, job_id, state) -> dict:
    """The job's delivery once nothing is due on the server's clock and no attempt is in flight."""
    r = await client.post("/_mock/clock/settle")
    assert r.status_code == 200, r.text
    [log] = (await client.get(f"/_mock/jobs/{job_id}/deliveries")).json()["deliveries"]
    assert log["state"] == state, log
    return log


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
    await client.patch("/_mock/clock", json={"speed": "realtime"})
    failing = await submit(client, receiver.url)
    await client.post(f"/_mock/jobs/{failing}/fail", json={"code": "RENDER_FAILED", "message": "no face found"})
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
    log = await settled(client, job_id, "delivered")
    assert [(a["number"], a["statusCode"]) for a in log["attempts"]] == [(1, 500), (2, 500), (3, 200)]
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
            log = await settled(client, job_id, "failed")
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
        log = await settled(client, job_id, "delivered")
        first, second = log["attempts"]
        assert first["statusCode"] is None and "timed out after 0.3 s" in first["error"]
        assert second["statusCode"] == 200


async def test_a_retry_waits_for_the_virtual_clock_then_runs_at_its_own_time(receiver):
    app = make_app(speed="realtime", clock="virtual", start_time=1704067200)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://mock.test") as client:
        receiver.respond_with(503, then=200)
        job_id = await submit(client, receiver.url)
        await client.post("/_mock/clock/advance", json={"next": True})  # the job completes, attempt 1 fails
        [log] = (await client.get(f"/_mock/jobs/{job_id}/deliveries")).json()["deliveries"]
        assert log["state"] == "pending" and len(log["attempts"]) == 1
        wait = seconds_between(log["attempts"][0]["at"], log["nextAttemptAt"])
        assert 9.0 <= wait <= 11.0  # 10 s with 10 % jitter
        await advance(client, wait - 0.5)
        assert len(receiver.deliveries) == 1
        await client.post("/_mock/clock/advance", json={"next": True})
        [log] = (await client.get(f"/_mock/jobs/{job_id}/deliveries")).json()["deliveries"]
        assert log["state"] == "delivered" and len(receiver.deliveries) == 2
        assert seconds_between(log["attempts"][0]["at"], log["attempts"][1]["at"]) == pytest.approx(wait, abs=0.002)


async def test_advance_returns_with_every_attempt_that_fell_due_made_and_recorded(receiver):
    """Each retry at its own time inside the span, not one attempt now and the rest later."""
    app = make_app(speed="realtime", clock="virtual", start_time=1704067200)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://mock.test") as client:
        receiver.respond_with(500, 500, then=200)
        job_id = await submit(client, receiver.url)
        await advance(client, 600)
        [log] = (await client.get(f"/_mock/jobs/{job_id}/deliveries")).json()["deliveries"]
        assert log["state"] == "delivered"
        first, second, third = (a["at"] for a in log["attempts"])
        assert 9 <= seconds_between(first, second) <= 11 and 27 <= seconds_between(second, third) <= 33
        assert len(receiver.deliveries) == 3


async def test_advancing_while_an_attempt_is_in_flight_loses_no_retry(receiver):
    """advance(600) then advance(11) at once, while the receiver holds attempt 1 and then
    answers 500: the retry, due 10 s after attempt 1, runs within those 11 s."""
    app = make_app(speed="realtime", clock="virtual", start_time=1704067200)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://mock.test") as client:
        receiver.respond_with(500, then=200)
        receiver.hang(0.5, count=1)
        job_id = await submit(client, receiver.url)
        completes = (await client.get(f"/_mock/jobs/{job_id}")).json()["endsAt"]
        await advance(client, seconds_between("2024-01-01T00:00:00Z", completes))
        await advance(client, 11)
        [log] = (await client.get(f"/_mock/jobs/{job_id}/deliveries")).json()["deliveries"]
        assert [a["statusCode"] for a in log["attempts"]] == [500, 200]
        assert len(receiver.deliveries) == 2


async def test_a_retry_is_due_a_back_off_after_its_attempt_was_made_not_after_the_answer(receiver):
    """On a real clock time passes while the receiver takes its time: the back-off counts from
    when the attempt was sent."""
    app = make_app(speed="realtime", clock="real", webhook_timeout=5)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://mock.test") as client:
        receiver.respond_with(500, then=200)
        receiver.hang(2.5, count=1)
        job_id = await submit(client, receiver.url)
        r = await client.post(f"/_mock/jobs/{job_id}/complete")
        assert r.status_code == 200
        await client.post("/_mock/clock/settle")
        [log] = (await client.get(f"/_mock/jobs/{job_id}/deliveries")).json()["deliveries"]
        assert len(log["attempts"]) == 1 and log["state"] == "pending"
        assert 9.0 <= seconds_between(log["attempts"][0]["at"], log["nextAttemptAt"]) <= 11.0
        await app.state.runtime.close()


async def test_a_read_of_a_delivery_can_wait_for_an_attempt_to_be_recorded(receiver):
    """What a receiver that got attempt N does before the test reads the delivery log."""
    app = make_app(speed="realtime", clock="virtual")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://mock.test") as client:
        receiver.hang(0.5, count=1)
        job_id = await submit(client, receiver.url)
        await client.post(f"/_mock/jobs/{job_id}/complete")
        [log] = (await client.get(f"/_mock/jobs/{job_id}/deliveries")).json()["deliveries"]
        assert log["attempts"] == []
        r = await client.get(f"/_mock/deliveries/{log['id']}", params={"attempts": 1, "wait": 5})
        assert r.status_code == 200 and [a["statusCode"] for a in r.json()["attempts"]] == [200]
        r = await client.get(f"/_mock/deliveries/{log['id']}", params={"attempts": 2, "wait": 0.1})
        assert len(r.json()["attempts"]) == 1  # after the wait, as it is
        for bad in ({"attempts": 1, "wait": "soon"}, {"attempts": 1, "wait": 3600}, {"attempts": "x"}):
            r = await client.get(f"/_mock/deliveries/{log['id']}", params=bad)
            assert r.status_code == 400 and r.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_standard_webhooks_headers_verify_with_the_specs_library(client, receiver):
    await submit(client, receiver.url, key="test-standard")
    got = await wait_for(receiver)
    assert got.headers["webhook-id"] == got.headers["x-doitong-delivery"]
    payload = Webhook("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").verify(got.body, got.headers)
    assert payload["status"] == "completed"
    assert verify_signature("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", got.body, got.signature)


async def test_the_log_is_readable_per_job_per_account_and_on_the_graphql_job(app, client, receiver):
    job_id = await submit(client, receiver.url)
    await settled(client, job_id, "delivered")
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
    """Receivers that hold every delivery for a minute: each submission is answered at once, its
    job completed, while its webhook hangs."""
    server = server_factory("--speed", "instant", "--webhook-timeout", "60", "--no-access-log")
    receiver.hang(60.0)
    key = httpx.post(f"{server.base_url}/_mock/accounts", json={"plan": "enterprise", "credits": 100_000}).json()["key"]
    with httpx.Client(base_url=server.base_url, timeout=30) as client:
        for i in range(10):
            r = client.post("/v1/avatar", json={**BODY, "text": f"hook {i}", "webhookUrl": receiver.url}, headers=api_key(key))
            assert r.status_code == 200
        r = client.get("/v1/avatar", params={"limit": 10}, headers=api_key(key))
        assert {a["status"] for a in r.json()["data"]["avatars"]} == {"completed"}
        assert receiver.deliveries == []  # every delivery still held
        client.delete(f"/_mock/accounts/{key}")  # its attempts go with it


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
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://mock.test") as client:
        job_id = await submit(client, receiver.url, key="test-standard")
        await client.post("/_mock/clock/advance", json={"seconds": 3600})  # returns with the delivery made
        got = await wait_for(receiver)
    payload = Webhook("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").verify(got.body, got.headers)  # refuses a time 5 min off
    assert payload["id"] == job_id
    assert abs(int(got.headers["webhook-timestamp"]) - time.time()) < 60
    assert got.headers["x-doitong-timestamp"] == got.headers["webhook-timestamp"]
    assert payload["completedAt"] > payload["createdAt"]  # the payload's times stay on the mock's clock
    await app.state.runtime.close()


async def test_an_advance_waits_for_attempts_only_as_long_as_it_is_told(receiver):
    """A receiver that does not answer cannot hold an advance for long: past its timeout the
    attempt goes on in the background and the answer says so."""
    app = make_app(speed="realtime", clock="virtual", webhook_timeout=10)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://mock.test") as client:
        receiver.hang(3, count=1)
        job_id = await submit(client, receiver.url)
        r = await client.post("/_mock/clock/advance", json={"seconds": 600, "timeout": 0.2})
        assert r.status_code == 200 and r.json()["inFlight"] == 1
        [log] = (await client.get(f"/_mock/jobs/{job_id}/deliveries")).json()["deliveries"]
        assert log["attempts"] == []
        r = await client.post("/_mock/clock/settle", json={"timeout": 30})
        assert r.json()["inFlight"] == 0
        [log] = (await client.get(f"/_mock/jobs/{job_id}/deliveries")).json()["deliveries"]
        assert [a["statusCode"] for a in log["attempts"]] == [200]
        for bad in (-1, 601, "soon"):
            r = await client.post("/_mock/clock/settle", json={"timeout": bad})
            assert r.status_code == 400 and r.json()["errors"][0]["extensions"]["field"] == "timeout"
