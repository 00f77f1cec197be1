"""The demo page and the explorer in headless Chromium, with everything off-machine blocked."""

from __future__ import annotations

import json
import os
import shutil
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from helpers import AXE, api_key, axe_violations, contrast, serious

playwright = pytest.importorskip("playwright.sync_api")

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed"),
]
ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-sync",
    "--disable-background-networking", "--disable-component-update",
    "--autoplay-policy=no-user-gesture-required",
]


@pytest.fixture(scope="module")
def server(server_factory, tmp_path_factory):
    fixtures = tmp_path_factory.mktemp("browser")
    (fixtures / "processing.yaml").write_text("queue_seconds: 1\nbase_seconds: 3\nseconds_per_speech_second: 0\njitter: 0\n")
    return server_factory("--speed", "1", "--fixtures", str(fixtures), "--media-dir", str(fixtures / "media"))


@pytest.fixture(scope="module")
def chromium():
    """One Chromium for the module (launching costs seconds)."""
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def browser(chromium):
    """The module's Chromium, with every context a test opened closed after it, even one whose
    test failed."""
    yield chromium
    for context in chromium.contexts:
        context.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    page = context.new_page()
    page.outside = []  # type: ignore[attr-defined]

    def guard(route):
        if urlsplit(route.request.url).hostname in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            page.outside.append(route.request.url)  # type: ignore[attr-defined]
            route.abort()

    page.route("**/*", guard)
    yield page
    context.close()


@pytest.fixture
def shots(tmp_path) -> Path:
    """Where screenshots go: $DOITONG_MOCK_SCREENSHOTS to look at them afterwards, else tmp_path."""
    directory = Path(os.environ.get("DOITONG_MOCK_SCREENSHOTS") or tmp_path)
    directory.mkdir(parents=True, exist_ok=True)
    return directory



# ---- the demo page ------------------------------------------------------------------------

def open_demo(page, server) -> None:
    page.goto(server.base_url + "/")
    page.wait_for_function("document.querySelectorAll('#avatars .portrait').length > 0 && document.querySelectorAll('#voice option').length > 0")


def job_card(page, index: int = 0):
    """The index-th job of the page's list, newest first."""
    return page.locator("#jobs .job").nth(index)


def wait_status(page, status: str, index: int = 0, timeout: float = 30_000) -> None:
    page.wait_for_function(
        "([i, s]) => { const j = document.querySelectorAll('#jobs .job')[i]; return j && j.dataset.status === s; }",
        arg=[index, status], timeout=timeout)


def submit(page, text: str, key: str | None = None) -> None:
    if key is not None:
        page.fill("#key", key)
    page.fill("#text", text)
    page.click("#generate")


def colour(locator, prop: str = "background-color") -> str:
    return locator.evaluate(f"el => getComputedStyle(el).getPropertyValue('{prop}')")


def test_demo_page_submits_shows_progress_live_and_plays_the_video(server, page, shots):
    open_demo(page, server)
    assert page.locator(".portrait[aria-pressed='true']").get_attribute("data-id") == "professional-1"
    page.screenshot(path=str(shots / "demo-1-open.png"), full_page=True)
    page.click(".portrait[data-id='casual-1']")  # the picked portrait is the one highlighted, and the one sent
    assert page.input_value("#avatar") == "casual-1"
    assert page.eval_on_selector_all(".portrait[aria-pressed='true']", "els => els.map(e => e.dataset.id)") == ["casual-1"]
    assert colour(page.locator(".portrait[data-id='casual-1']"), "border-top-color") == "rgb(29, 78, 216)"
    assert colour(page.locator(".portrait[data-id='casual-2']"), "border-top-color") != "rgb(29, 78, 216)"
    page.select_option("#avatar", "teacher-1")  # and the other way round
    assert page.eval_on_selector_all(".portrait[aria-pressed='true']", "els => els.map(e => e.dataset.id)") == ["teacher-1"]
    page.click(".portrait[data-id='casual-1']")
    page.screenshot(path=str(shots / "demo-2-picked.png"), full_page=True)
    page.evaluate("""() => {
        window.seen = [];
        new MutationObserver(() => { const j = document.querySelector('#jobs .job'); if (j) window.seen.push(j.dataset.status); })
            .observe(document.getElementById('jobs'), {attributes: true, subtree: true, attributeFilter: ['data-status']});
    }""")
    submit(page, "Hello from a browser with no internet at all.")
    wait_status(page, "processing")
    assert page.is_enabled("#generate")  # the form is free while the job runs
    page.screenshot(path=str(shots / "demo-3-processing.png"), full_page=True)
    wait_status(page, "completed")
    seen = page.evaluate("window.seen")
    assert "processing" in seen and seen[-1] == "completed"
    card = job_card(page)
    assert "charged" in card.locator(".cost").inner_text()
    assert card.locator(".cancel").is_hidden() and card.locator(".play").is_visible()
    assert card.locator(".thumb").get_attribute("src").endswith("/avatars/casual-1/portrait")
    page.wait_for_function(
        "(() => { const v = document.getElementById('player'); return v.readyState >= 2 && !v.paused && v.currentTime > 0.3; })()",
        timeout=30_000,
    )
    job_id = card.locator(".job-id").inner_text()
    job = httpx.get(f"{server.base_url}/v1/avatar/{job_id}", headers=api_key()).json()["data"]["avatar"]
    assert job["metadata"]["duration"] == pytest.approx(3.4, abs=0.5)  # the job's speech: 9 words
    duration = page.evaluate("document.getElementById('player').duration")
    assert duration == pytest.approx(job["metadata"]["duration"], abs=0.001)  # what was billed, to the millisecond
    page.screenshot(path=str(shots / "demo-4-completed.png"), full_page=True)
    assert icon_of(page) == "image/x-icon"
    assert page.outside == []  # type: ignore[attr-defined]


def test_demo_page_shows_errors_apart_from_jobs_cancels_and_shows_failures(server, page, shots):
    open_demo(page, server)
    submit(page, "This one is [slow]: two minutes, unless cancelled.")
    wait_status(page, "processing")
    slow = job_card(page)
    slow_id = slow.locator(".job-id").inner_text()

    submit(page, "Hello", key="not-a-key")  # a bad key: shown by the form, not on the job
    page.wait_for_selector("#form-error:not([hidden])")
    assert "UNAUTHENTICATED" in page.inner_text("#form-error") and "API key" in page.inner_text("#form-error")
    assert page.locator("#jobs .job").count() == 1 and slow.locator(".job-error").is_hidden()
    page.screenshot(path=str(shots / "demo-5-bad-key.png"), full_page=True)

    submit(page, "", key="YOUR_API_KEY")  # empty text, likewise
    page.wait_for_function("document.getElementById('form-error-text').textContent.includes('BAD_USER_INPUT (text)')")
    assert page.locator("#jobs .job").count() == 1 and slow.locator(".job-error").is_hidden()
    page.screenshot(path=str(shots / "demo-6-empty-text.png"), full_page=True)

    submit(page, "And this one will [fail] at the end.")  # a good submission clears the form's error
    page.wait_for_selector("#form-error", state="hidden")
    page.wait_for_function("document.querySelectorAll('#jobs .job').length === 2")
    page.screenshot(path=str(shots / "demo-7-two-jobs.png"), full_page=True)

    slow = page.locator(f"#jobs .job[data-id='{slow_id}']")
    slow.locator(".cancel").click()
    page.wait_for_selector(f"#jobs .job[data-id='{slow_id}'][data-status='cancelled']")
    assert "released" in slow.locator(".cost").inner_text() and slow.locator(".cancel").is_hidden()
    assert colour(slow.locator(".bar span")) == "rgb(107, 114, 128)"  # grey, not the running blue
    wait_status(page, "failed", index=0)
    failed = job_card(page, 0)
    assert "GENERATION_FAILED" in failed.locator(".job-error").inner_text()
    assert "released, not charged" in failed.locator(".cost").inner_text()
    assert colour(failed.locator(".bar span")) == "rgb(185, 28, 28)"  # red
    assert colour(failed.locator(".status"), "color") == "rgb(185, 28, 28)"
    assert httpx.get(f"{server.base_url}/v1/avatar/{slow_id}", headers=api_key()).json()["data"]["avatar"]["status"] == "cancelled"
    page.screenshot(path=str(shots / "demo-8-cancelled-and-failed.png"), full_page=True)

    page.reload()  # the jobs submitted from the page are listed again, as they are now
    page.wait_for_selector(f"#jobs .job[data-id='{slow_id}'][data-status='cancelled']")
    assert page.locator("#jobs .job[data-status='failed']").count() >= 1
    assert page.outside == []  # type: ignore[attr-defined]


def test_demo_page_says_when_the_server_is_down(server_factory, tmp_path, page, shots):
    fixtures = tmp_path / "fixtures"
    fixtures.mkdir()
    (fixtures / "processing.yaml").write_text("queue_seconds: 0\nbase_seconds: 60\nseconds_per_speech_second: 0\njitter: 0\n")
    mock = server_factory("--fixtures", str(fixtures), "--no-render")
    open_demo(page, mock)
    submit(page, "Watch me while the server goes away.")
    wait_status(page, "processing")
    mock.stop()
    job = job_card(page)
    job.locator(".reconnect").wait_for(state="visible", timeout=10_000)  # the job says its updates stopped
    assert job.locator(".status").text_content() == "processing, not live"
    assert "connection" in job.locator(".job-error").inner_text()
    submit(page, "Submitted while the server is down.")
    page.wait_for_selector("#form-error:not([hidden])")
    assert "Cannot reach" in page.inner_text("#form-error") and "running" in page.inner_text("#form-error")
    assert page.locator("#jobs .job").count() == 1 and page.is_enabled("#generate")
    page.screenshot(path=str(shots / "demo-9-server-down.png"), full_page=True)


def test_demo_page_fits_a_phone(server, page, shots):
    page.set_viewport_size({"width": 390, "height": 844})
    open_demo(page, server)
    assert page.get_attribute("meta[name=viewport]", "content") == "width=device-width, initial-scale=1"
    submit(page, "A job on a phone, with a rather long text that has to wrap inside the card without pushing it sideways.")
    wait_status(page, "processing")
    page.wait_for_timeout(300)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.locator("#jobs .job").bounding_box()["width"] <= 390
    page.screenshot(path=str(shots / "demo-10-phone.png"), full_page=True)
    wait_status(page, "completed")
    page.wait_for_function("document.getElementById('player').readyState >= 1")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.locator("#player").bounding_box()["width"] <= 390
    page.screenshot(path=str(shots / "demo-11-phone-completed.png"), full_page=True)



def demo(browser, server, scheme: str = "light", width: int = 1100, context=None):
    """The demo page in a context of its own (or `context`), with axe-core loaded, everything
    off-machine blocked, and a key of its own (no plan limits, so the tests never share a rate
    limit or a slot for jobs in flight)."""
    context = context or browser.new_context(viewport={"width": width, "height": 900}, color_scheme=scheme)
    context.add_init_script(path=str(AXE))
    page = context.new_page()
    page.route("**/*", lambda route: route.continue_() if urlsplit(route.request.url).hostname in ("127.0.0.1", "localhost")
               else route.abort())
    open_demo(page, server)
    key = httpx.post(f"{server.base_url}/_mock/accounts", json={"plan": "enterprise", "credits": 100_000}).json()["key"]
    page.fill("#key", key)
    return page


def test_demo_progress_bars_have_an_accessible_name(server, browser):
    page = demo(browser, server)
    submit(page, "A job to watch [slow]")
    wait_status(page, "processing")
    bar = job_card(page).locator("[role=progressbar]")
    job_id = job_card(page).locator(".job-id").inner_text()
    assert bar.get_attribute("aria-label") == f"Progress of job {job_id}"
    assert not [v for v in axe_violations(page) if v["id"] == "aria-progressbar-name"]
    job_card(page).locator(".cancel").click()
    wait_status(page, "cancelled")


def test_demo_cancelled_badge_keeps_4_5_to_1_in_light_and_dark(server, browser):
    for scheme in ("light", "dark"):
        page = demo(browser, server, scheme)
        submit(page, f"Cancel me in {scheme} [slow]")
        wait_status(page, "processing")
        job_card(page).locator(".cancel").click()
        wait_status(page, "cancelled")
        badge = job_card(page).locator(".status")
        ratio = contrast(colour(badge, "color"), colour(badge))
        assert ratio >= 4.5, (scheme, ratio)
        assert not [v for v in axe_violations(page) if v["id"] == "color-contrast"], scheme
        page.context.close()


def test_demo_is_axe_clean_in_every_state_light_and_dark(server, browser, shots):
    """Processing, completed (playing), failed, cancelled, and an error under the form; at 1100
    and 390 px; light and dark."""
    for scheme in ("light", "dark"):
        for width in (1100, 390):
            page = demo(browser, server, scheme, width)
            submit(page, "Completed soon.")
            submit(page, "This one will [fail].")
            submit(page, "Cancelled [slow]")
            wait_status(page, "processing", index=0)
            found = [{**v, "where": "processing"} for v in serious(axe_violations(page))]
            job_card(page, 0).locator(".cancel").click()
            wait_status(page, "cancelled", index=0)
            wait_status(page, "failed", index=1)
            wait_status(page, "completed", index=2)
            submit(page, "")  # an error under the form
            page.wait_for_selector("#form-error:not([hidden])")
            found += [{**v, "where": "finished"} for v in serious(axe_violations(page))]
            page.screenshot(path=str(shots / f"demo-{scheme}-{width}.png"), full_page=True)
            assert found == [], (scheme, width, found)
            if scheme == "dark":
                assert colour(page.locator("body")) == "rgb(17, 22, 33)"
            page.context.close()


def test_demo_says_how_many_credits_a_job_needs_and_the_account_has(server, browser):
    account = httpx.post(f"{server.base_url}/_mock/accounts", json={"plan": "pro", "credits": 10}).json()
    text = "Hello, this needs more than ten credits."
    refused = httpx.post(f"{server.base_url}/v1/avatar", headers=api_key(account["key"]),
                         json={"service": "hedra", "text": text, "avatarId": "professional-1"})
    needed = refused.json()["errors"][0]["extensions"]["creditsRequired"]
    page = demo(browser, server)
    submit(page, text, key=account["key"])
    page.wait_for_selector("#form-error:not([hidden])")
    said = page.inner_text("#form-error-text")
    assert "INSUFFICIENT_CREDITS" in said and f"needs {needed} credits" in said and "has 10 credits available" in said, said


def test_demo_jobs_link_to_the_inspector(server, browser):
    page = demo(browser, server)
    submit(page, "Take me to the inspector.")
    wait_status(page, "completed")
    job_id = job_card(page).locator(".job-id").inner_text()
    link = job_card(page).locator("a.inspect")
    assert link.get_attribute("href") == f"/_mock/ui/#jobs/{job_id}"
    link.click()
    page.wait_for_selector("body[data-live=live][data-loaded=true]")
    playwright.expect(page.locator("#job-detail")).to_contain_text(f"Job {job_id}")
    playwright.expect(page.locator("#job-detail")).to_contain_text("Take me to the inspector.")


def test_a_restored_job_never_shows_another_jobs_data_after_a_reset_with_seed(server_factory, browser, tmp_path):
    """A job the page stored before a reset is never looked up in the mock's new state and shown
    as another job (with --seed, ids once repeated after a reset; they no longer come from the
    seed, and the page keeps each job with the generation of the mock that made it)."""
    fixtures = tmp_path / "fixtures"
    fixtures.mkdir()
    (fixtures / "processing.yaml").write_text("queue_seconds: 0\nbase_seconds: 600\nseconds_per_speech_second: 0\njitter: 0\n")
    mock = server_factory("--seed", "21", "--fixtures", str(fixtures), "--no-render", "--no-access-log")
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    page = demo(browser, mock, context=context)
    submit(page, "The page's own job, about cats.", key="test-enterprise")  # a key the reset keeps
    wait_status(page, "processing")
    mine = job_card(page).locator(".job-id").inner_text()
    httpx.post(f"{mock.base_url}/_mock/reset").raise_for_status()
    theirs = httpx.post(f"{mock.base_url}/v1/avatar", headers=api_key("test-enterprise"),
                        json={"service": "hedra", "text": "Someone else's job [fail]", "avatarId": "casual-2"}).json()["data"]["avatar"]
    assert theirs["id"] != mine  # ids never come from the seed
    httpx.post(f"{mock.base_url}/_mock/jobs/{theirs['id']}/fail", json={"code": "FACE_NOT_DETECTED", "message": "not mine"})
    page.reload()
    open_demo(page, mock)
    page.wait_for_selector("body[data-restored=true]")
    assert page.locator("#jobs .job").count() == 0
    assert "FACE_NOT_DETECTED" not in page.inner_text("#jobs")
    submit(page, "A new one after the reset.")  # and a job of this state is kept and restored
    wait_status(page, "processing")
    page.reload()
    open_demo(page, mock)
    page.wait_for_selector("#jobs .job[data-status=processing]")
    assert page.locator("#jobs .job").count() == 1


def editor_text(page, where: str) -> str:
    return page.evaluate(f"document.querySelector('{where} .CodeMirror').CodeMirror.getValue()")


def answer(page, predicate: str = "true", timeout: float = 15_000) -> dict:
    """The JSON in GraphiQL's result pane, once `predicate` (JS over `r`) holds for it."""
    page.wait_for_function(f"""() => {{
        const cm = document.querySelector('.result-window .CodeMirror');
        let r; try {{ r = JSON.parse(cm.CodeMirror.getValue()); }} catch (e) {{ return false; }}
        return {predicate};
    }}""", timeout=timeout)
    return json.loads(editor_text(page, ".result-window"))


EXPECTED_TABS = {  # tab: what its answer must hold
    "Generate": lambda d: d["generate"]["status"] in ("queued", "processing") and d["generate"]["creditCost"] > 0,
    "GenerateAvatar": lambda d: d["generateAvatar"]["status"] in ("queued", "processing"),
    "Watch": lambda d: d["generationUpdated"]["status"] == "completed" and d["generationUpdated"]["url"],
    "Job": lambda d: d["avatar"]["status"] == "completed" and d["avatar"]["metadata"]["duration"] > 0,
    "Jobs": lambda d: d["generations"]["totalCount"] >= 2,
    "Account": lambda d: d["account"]["plan"]["name"] == "Pro",
    "Catalog": lambda d: any(a["id"] == "professional-1" for a in d["catalog"]["avatars"]),
    "Estimate": lambda d: d["estimateCost"]["credits"] > 0,
}


def test_every_prefilled_tab_of_the_explorer_runs_as_it_opens(server, page, shots):
    """Each tab is run as it is, by pressing Run: its operation name is sent, its variables are
    filled (the Watch and Job tabs follow the job that the GenerateAvatar tab has just made)."""
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(server.base_url + "/graphql")
    page.wait_for_selector(".graphiql-tab", timeout=15_000)
    tabs = page.eval_on_selector_all(".graphiql-tab-button", "els => els.map(e => e.textContent)")
    assert tabs == list(EXPECTED_TABS)
    assert json.loads(editor_text(page, ".graphiql-editor-tool"))["input"]["input"]["avatarId"] == "professional-1"
    page.screenshot(path=str(shots / "explorer-open.png"))
    made = []
    for title, check in EXPECTED_TABS.items():
        page.click(f".graphiql-tab-button:text-is('{title}')")
        page.wait_for_function(f"document.querySelector('.graphiql-tab-active .graphiql-tab-button').textContent === '{title}'")
        if title in ("Watch", "Job"):  # filled with the newest job's id
            page.wait_for_function(f"document.querySelector('.graphiql-editor-tool .CodeMirror').CodeMirror.getValue().includes('{made[-1]}')")
        page.click(".graphiql-execute-button")
        timeout = 30_000 if title == "Watch" else 15_000
        result = answer(page, "r.data || r.errors", timeout)
        assert "errors" not in result, (title, result)
        if title == "Watch":
            result = answer(page, "r.data && r.data.generationUpdated.status === 'completed'", timeout)
        assert check(result["data"]), (title, result)
        page.screenshot(path=str(shots / f"explorer-{title}.png"))
        if title.startswith("Generate"):
            made.append(result["data"][title[0].lower() + title[1:]]["id"])
    sent = httpx.get(f"{server.base_url}/_mock/requests", params={"path": "/graphql", "method": "POST", "key": "YOUR_API_KEY", "limit": 1000}).json()
    operations = [e["operation"].split(",")[0] for e in sent["requests"] if e["operation"]]
    for title in EXPECTED_TABS:
        if title != "Watch":  # over the WebSocket
            assert title in operations, (title, operations)
    # GraphiQL stores its tabs half a second after a change (later on a busy machine): wait for them.
    page.wait_for_function("() => { const s = localStorage.getItem('graphiql:tabState'); "
                           f"return s !== null && JSON.parse(s).activeTabIndex === {len(tabs) - 1}; }}")
    page.reload()
    page.wait_for_selector(".graphiql-tab", timeout=15_000)
    assert page.eval_on_selector_all(".graphiql-tab-button", "els => els.map(e => e.textContent)") == tabs  # no copies
    assert page.outside == []  # type: ignore[attr-defined]


def test_the_explorer_loads_the_schema_offline(server, page):
    with page.expect_response(lambda r: r.url.endswith("/graphql") and "IntrospectionQuery" in (r.request.post_data or "")) as info:
        page.goto(server.base_url + "/graphql")
    assert info.value.status == 200 and "__schema" in info.value.text()
    page.wait_for_selector(".graphiql-container", timeout=15_000)
    page.click(".graphiql-tab-button:text-is('Watch')")
    page.wait_for_selector("text=generationUpdated", state="attached", timeout=15_000)
    assert icon_of(page) == "image/x-icon"
    assert page.outside == []  # type: ignore[attr-defined]


def icon_of(page) -> str:
    """The content type of the page's icon (fetched outside the page: Playwright's routing
    makes Chromium fail a page's own fetch() of its icon)."""
    href = page.evaluate("(document.querySelector('link[rel~=\"icon\"]') || {}).href || location.origin + '/favicon.ico'")
    r = page.request.get(href)
    return r.headers["content-type"] if r.ok else str(r.status)


class OtherOrigin:
    """A page served from a second local origin (another port, host `localhost`): what a
    frontend in development looks like to the mock. Its HTML is set by the test."""

    def __init__(self) -> None:
        self.html = ""
        other = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = other.html.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://localhost:{self.httpd.server_address[1]}/"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def other_origin():
    origin = OtherOrigin()
    yield origin
    origin.close()


def test_media_loaded_by_img_and_video_can_then_be_fetched_from_another_origin(server, other_origin, browser, tmp_path):
    """An <img>/<video> request has no Origin, so its answer has no CORS headers; the browser
    caches it. A later fetch() of the same URL from a page must not be served that cached answer
    (it would fail CORS): every answer says `Vary: Origin`. No request interception here, since
    Playwright's routing turns Chromium's HTTP cache off."""
    job = httpx.post(f"{server.base_url}/v1/avatar", headers=api_key(),
                     json={"service": "hedra", "text": "Cached media, fetched later.", "avatarId": "casual-2"}).json()["data"]["avatar"]
    httpx.post(f"{server.base_url}/_mock/jobs/{job['id']}/complete").raise_for_status()
    job = httpx.get(f"{server.base_url}/v1/avatar/{job['id']}", headers=api_key()).json()["data"]["avatar"]
    portrait = f"{server.base_url}/avatars/casual-2/portrait"
    other_origin.html = f"""<!doctype html><title>another origin</title>
        <img id="portrait" src="{portrait}" width="96" height="96">
        <video id="video" src="{job["url"]}" muted preload="auto" width="160"></video>"""
    context = browser.new_context()  # a cache of its own
    page = context.new_page()
    page.goto(other_origin.url)
    page.wait_for_function("document.getElementById('portrait').complete && document.getElementById('portrait').naturalWidth > 0")
    page.wait_for_function("document.getElementById('video').readyState >= 2", timeout=30_000)
    page.screenshot(path=str(tmp_path / "other-origin.png"))
    fetched = page.evaluate("""async (urls) => {
        const out = {};
        for (const url of urls) {
            try {
                const r = await fetch(url);
                out[url] = {ok: r.ok, size: (await r.arrayBuffer()).byteLength};
            } catch (e) { out[url] = {error: String(e)}; }
        }
        return out;
    }""", [portrait, job["url"]])
    context.close()
    sizes = {portrait: len(httpx.get(portrait).content), job["url"]: len(httpx.get(job["url"]).content)}
    for url, result in fetched.items():
        assert result == {"ok": True, "size": sizes[url]}, (url, result)  # a CORS failure is a TypeError
