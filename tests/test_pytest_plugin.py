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
