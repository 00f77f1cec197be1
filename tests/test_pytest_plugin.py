"""The pytest plugin, tested with pytester: real sample test files run by pytest."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

SAMPLE = '''
import httpx

BODY = {"service": "hedra", "text": "Hello, welcome to our platform!", "avatarId": "professional-1"}


def test_job_webhook_and_journal(doitong_mock, webhook_receiver):
    r = httpx.post(f"{doitong_mock.base_url}/v1/avatar", json={**BODY, "webhookUrl": webhook_receiver.url},
                   headers=doitong_mock.rest_headers)
    job = r.json()["data"]["avatar"]
    assert job["status"] == "processing"
    doitong_mock.advance(600)
    delivery = webhook_receiver.wait(timeout=5)
    assert delivery.verified is True
    assert delivery.json["id"] == job["id"] and delivery.json["status"] == "completed"
    [entry] = doitong_mock.requests(method="POST", path="/v1/avatar")
    assert '"webhookUrl"' in entry["body"]
    [logged] = doitong_mock.deliveries(job["id"])
    assert logged["state"] == "delivered"
'''


def test_a_sample_test_using_the_fixtures_passes(pytester):
    pytester.makepyfile(test_sample=SAMPLE)
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


def test_a_false_assertion_fails(pytester):
    pytester.makepyfile(test_false='''
import httpx

def test_wrong_status(doitong_mock):
    r = httpx.post(f"{doitong_mock.base_url}/v1/avatar",
                   json={"service": "hedra", "text": "hi", "avatarId": "casual-1"},
                   headers=doitong_mock.rest_headers)
    assert r.json()["data"]["avatar"]["status"] == "completed"
''')
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*assert 'processing' == 'completed'*"])


def test_every_control_method_of_the_handle(pytester):
    pytester.makepyfile(test_controls='''
import httpx
import pytest

BODY = {"service": "hedra", "text": "hi", "avatarId": "casual-1"}


def submit(mock, **extra):
    r = httpx.post(f"{mock.base_url}/v1/avatar", json={**BODY, **extra}, headers=mock.rest_headers)
    return r


def test_controls(doitong_mock):
    m = doitong_mock
    assert m.account_info()["plan"]["id"] == "pro"
    m.set_credits(10)
    assert submit(m).status_code == 402
    m.set_credits(1000)
    m.set_plan("free")
    assert m.account_info()["plan"]["id"] == "free"
    a = submit(m).json()["data"]["avatar"]["id"]
    assert submit(m).status_code == 429  # one job at once on Free
    assert m.complete(a)["status"] == "completed"
    b = submit(m).json()["data"]["avatar"]["id"]
    assert m.fail(b, "NSFW", "flagged")["error"]["code"] == "NSFW"
    c = submit(m).json()["data"]["avatar"]["id"]
    assert m.set_state(c, "cancelled")["status"] == "cancelled"
    assert m.job(c)["status"] == "cancelled"
    before = m.clock()["now"]
    m.advance(30)
    assert m.clock()["now"] == pytest.approx(before + 30)
    assert m.set_speed("instant")["speed"] == "instant"
    m.set_speed("realtime")
    m.inject_fault(status=503, count=2)
    codes = [httpx.get(f"{m.base_url}/v1/account", headers=m.rest_headers).status_code for _ in range(3)]
    assert codes == [503, 503, 200]
    m.inject_fault(status=500, count=5)
    m.clear_faults()
    assert httpx.get(f"{m.base_url}/v1/account", headers=m.rest_headers).status_code == 200
    assert [e["status"] for e in m.requests(path="/v1/account")] == [503, 503, 200, 200]
    assert [e["status"] for e in m.requests(path="/v1/account", status=[503, "4xx"])] == [503, 503]
    other = m.new_account(plan="starter", credits=5)
    assert other["plan"]["id"] == "starter" and other["key"] != m.api_key
    m.reset()
    info = m.account_info()
    assert (info["credits"]["available"], info["plan"]["id"]) == (10000, "pro")
    assert m.requests() == []
'''
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


def test_in_process_asgi_mode(pytester):
    pytester.makepyfile(test_asgi='''
import pytest

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend():
    return "asyncio"


async def test_asgi(doitong_mock_asgi, webhook_receiver):
    import asyncio
    m = doitong_mock_asgi
    async with m.client() as http:
        r = await http.post("/v1/avatar", headers=m.rest_headers,
                            json={"service": "hedra", "text": "hi", "avatarId": "casual-1", "webhookUrl": webhook_receiver.url})
        job_id = r.json()["data"]["avatar"]["id"]
        await m.advance(600)
        r = await http.get(f"/v1/avatar/{job_id}", headers=m.rest_headers)
        assert r.json()["data"]["avatar"]["status"] == "completed"
    delivery = await asyncio.to_thread(webhook_receiver.wait, 5)
    assert delivery.verified is True
    assert [e["path"] for e in await m.requests()] == ["/v1/avatar", "/v1/avatar/" + job_id]
'''
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


def test_pointing_at_an_already_running_mock(pytester, live_server):
    pytester.makepyfile(test_remote='''
import httpx

def test_remote(doitong_mock):
    assert doitong_mock.base_url == "BASE_URL"
    assert httpx.get(f"{doitong_mock.base_url}/v1/account", headers=doitong_mock.rest_headers).status_code == 200
'''.replace("BASE_URL", live_server.base_url))
    result = pytester.runpytest("-p", "no:cacheprovider", f"--doitong-mock-url={live_server.base_url}")
    result.assert_outcomes(passed=1)
    pytester.makeini(f"[pytest]\ndoitong_mock_url = {live_server.base_url}\n")
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


@pytest.mark.integration
def test_xdist_workers_never_see_each_others_jobs_or_credits(pytester, live_server):
    tests = "\n".join(
        f'''
def test_worker_{i}(doitong_mock):
    for _ in range({i + 1}):
        r = httpx.post(f"{{doitong_mock.base_url}}/v1/avatar", headers=doitong_mock.rest_headers,
                       json={{"service": "hedra", "text": "hi", "avatarId": "casual-1"}})
        assert r.status_code == 200
    page = httpx.get(f"{{doitong_mock.base_url}}/v1/avatar", headers=doitong_mock.rest_headers).json()["data"]
    assert page["totalCount"] == {i + 1}
    credits = doitong_mock.account_info()["credits"]
    assert credits["held"] + credits["charged"] == {i + 1} * 52
    assert credits["available"] == 10000 - {i + 1} * 52
'''
        for i in range(6)
    )
    pytester.makepyfile(test_parallel="import httpx\n" + tests)
    for extra in ([], [f"--doitong-mock-url={live_server.base_url}"]):
        result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-n", "2", *extra)
        result.assert_outcomes(passed=6)


def test_the_readme_shows_the_sample_that_runs_here():
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    assert SAMPLE.strip() in readme


def test_a_tests_advance_moves_only_its_own_world(pytester):
    """Test 1 moves its clock a day on; test 2, after it on the same mock, still starts now."""
    pytester.makepyfile(test_clocks='''
import time

import httpx

BODY = {"service": "hedra", "text": "hi", "avatarId": "casual-1"}


def created_at(mock):
    r = httpx.post(f"{mock.base_url}/v1/avatar", json=BODY, headers=mock.rest_headers)
    return r.json()["data"]["avatar"]["createdAt"]


def test_1_a_day_passes(doitong_mock):
    before = httpx.get(f"{doitong_mock.base_url}/_mock/clock").json()["now"]
    doitong_mock.advance(86400)
    assert doitong_mock.clock()["own"] is True
    assert doitong_mock.clock()["now"] >= before + 86400
    assert httpx.get(f"{doitong_mock.base_url}/_mock/clock").json()["now"] == before  # the server's did not move


def test_2_starts_now(doitong_mock):
    assert created_at(doitong_mock).startswith(time.strftime("%Y-%m-%d", time.gmtime()))
    assert abs(doitong_mock.clock()["now"] - time.time()) < 3600
''')
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)


def test_next_runs_the_next_event_whatever_its_jitter(pytester):
    pytester.makepyfile(test_next='''
import httpx


def test_retry_without_padding(doitong_mock, webhook_receiver):
    webhook_receiver.respond_with(500, then=200)
    r = httpx.post(f"{doitong_mock.base_url}/v1/avatar", headers=doitong_mock.rest_headers,
                   json={"service": "hedra", "text": "hi", "avatarId": "casual-1", "webhookUrl": webhook_receiver.url})
    job_id = r.json()["data"]["avatar"]["id"]
    doitong_mock.next()  # the job completes; attempt 1 gets a 500
    [log] = doitong_mock.deliveries(job_id)
    assert (log["state"], len(log["attempts"])) == ("pending", 1)
    doitong_mock.next()  # the retry, 9 to 11 s later
    [log] = doitong_mock.deliveries(job_id)
    assert (log["state"], len(log["attempts"])) == ("delivered", 2)
    assert [d.status for d in (webhook_receiver.wait(), webhook_receiver.wait())] == [500, 200]
''')
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


def test_wait_returns_once_the_mock_has_recorded_the_attempt(pytester):
    """No advance to settle anything: the job completes at once (instant speed, real clock) and the
    delivery goes out from the background; what wait() returns is already in the log."""
    pytester.makepyfile(test_recorded='''
import httpx
import pytest


@pytest.mark.parametrize("n", range(15))
def test_delivered_when_wait_returns(doitong_mock, webhook_receiver, n):
    webhook_receiver.hang(0.05, count=1)
    r = httpx.post(f"{doitong_mock.base_url}/v1/avatar", headers=doitong_mock.rest_headers,
                   json={"service": "hedra", "text": "hi", "avatarId": "casual-1", "webhookUrl": webhook_receiver.url})
    job_id = r.json()["data"]["avatar"]["id"]
    webhook_receiver.wait(timeout=10)
    [logged] = doitong_mock.deliveries(job_id)
    assert logged["state"] == "delivered"
''')
    result = pytester.runpytest(
        "-p", "no:cacheprovider", "--doitong-mock-clock=real", "--doitong-mock-speed=instant"
    )
    result.assert_outcomes(passed=15)


def test_each_test_has_its_own_receiver_on_one_server(pytester):
    pytester.makepyfile(test_receivers='''
import httpx

seen = {}


def test_a(webhook_receiver):
    seen["a"] = webhook_receiver.url
    assert httpx.post(webhook_receiver.url, content=b"{}").status_code == 200
    assert len(webhook_receiver.deliveries) == 1


def test_b(webhook_receiver):
    a = seen["a"]
    assert webhook_receiver.url != a and webhook_receiver.port == int(a.split(":")[2].split("/")[0])
    assert webhook_receiver.deliveries == []
    assert httpx.post(a, content=b"{}").status_code == 410  # test a is over: nothing is kept for it
    assert webhook_receiver.deliveries == []
''')
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)
