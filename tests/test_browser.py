"""The demo page and the explorer in headless Chromium, with everything off-machine blocked."""

from __future__ import annotations

import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest

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


@pytest.fixture
def page(tmp_path):
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
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
        browser.close()


def test_demo_page_submits_shows_progress_live_and_plays_the_video(server, page, tmp_path):
    page.goto(server.base_url + "/")
    page.wait_for_function("document.querySelectorAll('#avatar option').length > 0")
    page.select_option("#avatar", "casual-1")
    page.fill("#text", "Hello from a browser with no internet at all.")
    page.evaluate("""() => {
        window.seen = [];
        new MutationObserver(() => window.seen.push(document.getElementById('status').textContent))
            .observe(document.getElementById('status'), {childList: true, characterData: true, subtree: true});
    }""")
    page.click("#generate")
    page.wait_for_function("document.getElementById('status').textContent === 'completed'", timeout=30_000)
    seen = page.evaluate("window.seen")
    assert "processing" in seen and seen[-1] == "completed"
    page.wait_for_function(
        "(() => { const v = document.getElementById('player'); return v.readyState >= 2 && !v.paused && v.currentTime > 0.3; })()",
        timeout=30_000,
    )
    duration = page.evaluate("document.getElementById('player').duration")
    assert duration == pytest.approx(3.4, abs=0.5)  # the job's speech: 9 words
    page.screenshot(path=str(tmp_path / "demo.png"))
    assert page.outside == []  # type: ignore[attr-defined]


def test_the_explorer_loads_the_schema_offline(server, page):
    with page.expect_response(lambda r: r.url.endswith("/graphql") and r.request.method == "POST") as info:
        page.goto(server.base_url + "/graphql")
    assert info.value.status == 200 and "__schema" in info.value.text()
    page.wait_for_selector(".graphiql-container", timeout=15_000)
    page.wait_for_selector("text=generationUpdated", state="attached", timeout=15_000)
    assert page.outside == []  # type: ignore[attr-defined]
