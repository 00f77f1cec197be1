"""The inspector in headless Chromium (Debian's), driven by Playwright: lists that follow the mock
live, steering it from the page, accessibility checked with axe-core, the admin token and a
server restart. Every request that would leave the mock's origin is blocked and recorded."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from mockserver import verify_signature

from helpers import AXE, api_key, axe_violations, contrast, free_port, serious

playwright = pytest.importorskip("playwright.sync_api")

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
AXE_SHA256 = "29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c"
pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed"),
]
ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-sync",
    "--disable-background-networking", "--disable-component-update",
]
BODY = {"service": "hedra", "text": "Hello from the inspector test", "avatarId": "professional-1"}
TABS = ("requests", "jobs", "webhooks", "accounts", "faults")


@pytest.fixture(scope="module")
def fixtures_dir(tmp_path_factory):
    fixtures = tmp_path_factory.mktemp("inspector-fixtures")
    (fixtures / "processing.yaml").write_text("queue_seconds: 2\nbase_seconds: 20\nseconds_per_speech_second: 0\njitter: 0\n")
    return fixtures


@pytest.fixture(scope="module")
def server(server_factory, fixtures_dir):
    return server_factory("--clock", "virtual", "--seed", "13", "--no-render", "--no-access-log",
                          "--webhook-attempts", "1", "--fixtures", str(fixtures_dir))


@pytest.fixture(scope="module")
def chromium():
    """One Chromium for the module (launching costs seconds)."""
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def browser(chromium):
    """The module's Chromium, with every context a test opened closed after it (a page left open
    keeps its event stream, or its reconnecting, going through the tests after it)."""
    yield chromium
    for context in chromium.contexts:
        context.close()


def open_page(browser, base_url: str, width: int = 1280, height: int = 900, wait_live: bool = True,
              enforce_csp: bool = False, hash: str = "", scheme: str = "light"):
    # Playwright's string predicates (wait_for_function) need eval, which the page's policy
    # forbids: tests run with the policy bypassed, as Playwright documents, except the one that
    # checks the page itself keeps to it.
    context = browser.new_context(viewport={"width": width, "height": height}, bypass_csp=not enforce_csp,
                                  permissions=["clipboard-read", "clipboard-write"], color_scheme=scheme)
    context.add_init_script(path=str(AXE))  # runs outside the page's CSP, like a test harness
    page = context.new_page()
    page.outside = []  # type: ignore[attr-defined]
    page.errors = []  # type: ignore[attr-defined]
    origin = urlsplit(base_url).netloc

    def guard(route):
        if urlsplit(route.request.url).netloc == origin:
            route.continue_()
        else:
            page.outside.append(route.request.url)  # type: ignore[attr-defined]
            route.abort()

    page.route("**/*", guard)
    page.on("console", lambda m: m.type == "error" and page.errors.append(m.text))  # type: ignore[attr-defined]
    page.on("pageerror", lambda e: page.errors.append(str(e)))  # type: ignore[attr-defined]
    page.goto(base_url + "/_mock/ui/" + hash)
    if wait_live:
        page.wait_for_selector("body[data-live=live][data-loaded=true]", timeout=10_000)
    return page


def submit(http: httpx.Client, key: str = "test-pro", **extra) -> str:
    r = http.post("/v1/avatar", json={**BODY, **extra}, headers=api_key(key))
    assert r.status_code == 200, r.text
    return r.json()["data"]["avatar"]["id"]


def tab(page, name: str) -> None:
    page.click(f"#tab-{name}")
    playwright.expect(page.locator(f"#panel-{name}")).to_be_visible()


def confirm(page, **fields) -> None:
    dialog = page.locator("#dialog")
    playwright.expect(dialog).to_be_visible()
    for name, value in fields.items():
        dialog.locator(f"[name={name}]").fill(str(value))
    dialog.locator("[data-action=confirm]").click()
    playwright.expect(dialog).to_be_hidden()


def check_accessibility(page, where: str, found: dict) -> None:
    for violation in axe_violations(page):
        found.setdefault(violation["impact"], []).append({**violation, "where": where})


def test_the_vendored_axe_core_is_the_one_the_readme_names():
    assert hashlib.sha256(AXE.read_bytes()).hexdigest() == AXE_SHA256
    assert AXE_SHA256 in (AXE.parent / "README.md").read_text()


def test_watch_and_steer_the_mock_from_the_page(server, browser, receiver, tmp_path):
    expect = playwright.expect
    http = httpx.Client(base_url=server.base_url, timeout=10)
    http.post("/_mock/reset")
    page = open_page(browser, server.base_url)
    # Screenshots of each panel with data, at 1280 and 390 px, for a person to look at:
    # INSPECTOR_SCREENSHOTS=/some/dir keeps them there.
    shots = Path(os.environ.get("INSPECTOR_SCREENSHOTS") or tmp_path / "screens")
    shots.mkdir(parents=True, exist_ok=True)
    a11y: dict[str, list] = {}

    # A job submitted through the API shows up without reloading, within a second.
    receiver.respond_with(500, then=200)
    page.wait_for_function("document.body.dataset.live === 'live'")
    tab(page, "jobs")
    job_id = submit(http, webhookUrl=receiver.url)
    row = page.locator(f'[data-job-id="{job_id}"]')
    row.wait_for(timeout=10_000)
    expect(row).to_contain_text("queued")
    expect(row.locator("[data-action=complete]")).to_be_visible()

    # Advancing the clock from the page moves it: queued -> processing -> completed.
    page.click('[data-action=advance][data-seconds="next"]')
    expect(row).to_contain_text("processing")
    page.click('[data-action=advance][data-seconds="60"]')
    expect(row).to_contain_text("completed")
    expect(row.locator("[data-action]")).to_have_count(0)
    row.click()
    detail = page.locator("#job-detail")
    expect(detail).to_contain_text(f"Job {job_id}")
    expect(detail.locator("ol.timeline li")).to_have_count(3)
    expect(detail.locator("video")).to_have_count(1)
    expect(detail).to_contain_text("charge")

    # The webhook: the receiver answers 500 and the only attempt allowed fails; resend from the page.
    delivery_id = http.get(f"/_mock/jobs/{job_id}/deliveries").json()["deliveries"][0]["id"]
    tab(page, "webhooks")
    delivery = page.locator(f'[data-delivery-id="{delivery_id}"]')
    expect(delivery).to_contain_text("failed")
    expect(delivery).to_contain_text("1 attempt")
    delivery.locator("[data-action=resend]").click()
    expect(delivery).to_contain_text("delivered")
    expect(delivery).to_contain_text("2 attempts")
    delivery.click()
    attempts = page.locator("#delivery-detail table.attempts tbody tr")
    expect(attempts).to_have_count(2)
    expect(attempts.nth(1)).to_contain_text("200")
    expect(attempts.nth(1)).to_contain_text("resent")
    expect(page.locator("#delivery-detail")).to_contain_text("X-Doitong-Signature")
    assert len(receiver.deliveries) == 2

    # Copied as curl, the delivery is the same signed request again.
    delivery.locator("[data-action=copy-curl]").click()
    expect(page.locator("#toasts")).to_contain_text("curl")
    command = page.evaluate("navigator.clipboard.readText()")
    assert command.startswith(f"curl -X POST '{receiver.url}'") and "X-Doitong-Signature: sha256=" in command
    if shutil.which("curl") and shutil.which("bash"):
        subprocess.run(["bash", "-c", command + " -s -o /dev/null"], check=True, timeout=10)
        replayed = receiver.wait(5, count=3)
        assert verify_signature("whsec_test_pro", replayed.body, replayed.signature)

    # A fault injected from the page answers the next request, which the journal shows.
    tab(page, "faults")
    form = page.locator("#fault-form")
    form.locator("select[name=status]").select_option("503")
    form.locator("input[name=path]").fill("/v1/*")
    form.locator("input[name=key]").fill("test-free")
    form.locator("[data-action=add-fault]").click()
    fault = page.locator("#faults-rows [data-fault-id]")
    expect(fault).to_have_count(1)
    expect(fault).to_contain_text("SERVICE_UNAVAILABLE")
    check_accessibility(page, "faults", a11y)
    page.screenshot(path=str(shots / "faults-1280.png"), full_page=True)
    assert http.get("/v1/account", headers=api_key("test-free")).status_code == 503
    expect(fault).to_have_count(0)  # used up
    tab(page, "requests")
    answered = page.locator("#requests-rows [data-request-id]", has_text="fault_")
    expect(answered).to_have_count(1)
    expect(answered).to_contain_text("503")
    answered.click()
    expect(page.locator("#request-detail")).to_contain_text("SERVICE_UNAVAILABLE")
    expect(page.locator("#request-detail")).to_contain_text("x-api-key")
    assert "test-free" not in page.locator("#request-detail table.kv").first.inner_text()  # masked
    check_accessibility(page, "requests", a11y)
    page.screenshot(path=str(shots / "requests-1280.png"), full_page=True)

    # Fail with a chosen code, cancel, complete: from the rows.
    failing, cancelling, completing = (submit(http, text=f"Job number {n}") for n in range(3))
    tab(page, "jobs")
    page.locator(f'[data-job-id="{failing}"] [data-action=fail]').click()
    confirm(page, code="FACE_NOT_DETECTED")
    expect(page.locator(f'[data-job-id="{failing}"]')).to_contain_text("failed")
    page.locator(f'[data-job-id="{cancelling}"] [data-action=cancel]').click()
    expect(page.locator(f'[data-job-id="{cancelling}"]')).to_contain_text("cancelled")
    page.locator(f'[data-job-id="{completing}"] [data-action=complete]').click()
    expect(page.locator(f'[data-job-id="{completing}"]')).to_contain_text("completed")
    assert http.get(f"/_mock/jobs/{failing}").json()["error"]["code"] == "FACE_NOT_DETECTED"
    # Keyboard: the arrow keys move the selection and the detail follows.
    rows = page.locator("#jobs-rows tr")
    rows.first.focus()
    page.keyboard.press("ArrowDown")
    second = rows.nth(1).get_attribute("data-job-id")
    expect(rows.nth(1)).to_have_attribute("aria-current", "true")
    expect(page.locator("#job-detail")).to_contain_text(f"Job {second}")
    page.keyboard.press("End")
    expect(page.locator("#job-detail")).to_contain_text(f"Job {job_id}")
    check_accessibility(page, "jobs", a11y)
    page.screenshot(path=str(shots / "jobs-1280.png"), full_page=True)
    tab(page, "webhooks")
    page.locator(f'[data-delivery-id="{delivery_id}"]').click()
    check_accessibility(page, "webhooks", a11y)
    page.screenshot(path=str(shots / "webhooks-1280.png"), full_page=True)

    # Accounts: credits held, charged and released; set credits; a throw-away account.
    tab(page, "accounts")
    pro = page.locator('[data-account-key="test-pro"]')
    pro.click()
    expect(page.locator("#account-detail")).to_contain_text("release")
    free = page.locator('[data-account-key="test-free"]')
    free.locator("[data-action=set-credits]").click()
    confirm(page, credits=777)
    expect(free).to_contain_text("777")
    page.click("[data-action=create-account]")
    confirm(page, credits=123)
    made = page.locator('#accounts-rows [data-account-key^="mock_"]')
    expect(made).to_have_count(1)
    expect(made).to_contain_text("123")
    pro.click()
    check_accessibility(page, "accounts", a11y)
    page.screenshot(path=str(shots / "accounts-1280.png"), full_page=True)

    # Usable at 390 px: nothing wider than the screen, row buttons reachable, details open over the list.
    phone = open_page(browser, server.base_url, width=390, height=844)
    for name in TABS:
        tab(phone, name)
        assert phone.evaluate("document.documentElement.scrollWidth") <= 390, name
        for button in phone.locator(f"#panel-{name} tbody [data-action]").all()[:6]:
            box = button.bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, (name, box)
        phone.screenshot(path=str(shots / f"{name}-390.png"))
        check_accessibility(phone, f"{name} at 390 px", a11y)
        rows = phone.locator(f"#panel-{name} tbody tr[data-key]")
        if name != "faults" and rows.count():
            rows.first.click(position={"x": 5, "y": 5})
            close = phone.locator(f"#panel-{name} .detail.open .close")
            expect(close).to_be_visible()
            phone.screenshot(path=str(shots / f"{name}-390-detail.png"))
            if name == "requests":
                phone.keyboard.press("Escape")
            else:
                close.click()
            expect(close).to_be_hidden()
    assert phone.outside == [] and phone.errors == []  # type: ignore[attr-defined]
    phone.context.close()

    # Reset from the page, after its confirmation: the lists empty.
    page.click("[data-action=reset]")
    check_accessibility(page, "the reset dialog", a11y)
    confirm(page)
    expect(page.locator("#toasts")).to_contain_text("reset")
    for name in ("requests", "jobs", "webhooks"):
        expect(page.locator(f"#{name}-rows tr")).to_have_count(0)
    tab(page, "accounts")
    expect(page.locator('#accounts-rows [data-account-key^="mock_"]')).to_have_count(0)
    expect(page.locator('[data-account-key="test-free"]')).to_contain_text("1,000")
    page.click("[data-action=reload]")
    confirm(page)
    expect(page.locator("#toasts")).to_contain_text("Fixtures reloaded")

    assert page.outside == [], page.outside  # type: ignore[attr-defined]
    assert page.errors == [], page.errors  # type: ignore[attr-defined]
    bad = a11y.get("serious", []) + a11y.get("critical", [])
    assert not bad, bad


def test_the_admin_token_is_asked_for_once_and_the_page_reconnects_after_a_restart(
    server_factory, browser, fixtures_dir
):
    expect = playwright.expect
    port = free_port()
    args = ("--admin-token", "tok-3141", "--clock", "virtual", "--no-render", "--no-access-log",
            "--fixtures", str(fixtures_dir))
    first = server_factory(*args, port=port)
    page = open_page(browser, first.base_url, wait_live=False)
    expect(page.locator("#dialog")).to_contain_text("Admin token")
    expect(page.locator("#live")).to_have_attribute("data-state", "locked")
    confirm(page, token="tok-3141")
    page.wait_for_selector("body[data-live=live][data-loaded=true]", timeout=10_000)
    http = httpx.Client(base_url=first.base_url, timeout=10)
    job_id = submit(http)
    tab(page, "jobs")
    expect(page.locator(f'[data-job-id="{job_id}"]')).to_be_visible()
    page.reload()  # the token is kept for this tab
    page.wait_for_selector("body[data-live=live][data-loaded=true]", timeout=10_000)
    expect(page.locator("#dialog")).to_be_hidden()

    first.stop()
    expect(page.locator("#live")).to_have_attribute("data-state", "reconnecting", timeout=10_000)
    second = server_factory(*args, port=port)
    expect(page.locator("#live")).to_have_attribute("data-state", "live", timeout=15_000)
    expect(page.locator(f'[data-job-id="{job_id}"]')).to_have_count(0)  # the new server's state
    fresh = submit(httpx.Client(base_url=second.base_url, timeout=10))
    expect(page.locator(f'[data-job-id="{fresh}"]')).to_be_visible()
    expect(page.locator("#dialog")).to_be_hidden()
    assert page.outside == []  # type: ignore[attr-defined]
    unexpected = [e for e in page.errors if "401" not in e and "ERR_CONNECTION_REFUSED" not in e  # type: ignore[attr-defined]
                  and "ERR_EMPTY_RESPONSE" not in e and "network error" not in e]
    assert unexpected == []


def test_a_graphql_request_shows_its_query_laid_out_and_its_variables(server, browser):
    http = httpx.Client(base_url=server.base_url, timeout=10)
    query = ("mutation Generate($input: GenerateInput!) { generate(input: $input) "
             "{ id status type provider url metadata creditCost } }")
    variables = {"input": {"type": "AVATAR", "provider": "hedra",
                           "input": {"text": "Hello, welcome to our platform!", "avatarId": "professional-1"},
                           "options": {"voice": "en-US-neural"}}}
    r = http.post("/graphql", json={"query": query, "variables": variables, "operationName": "Generate"},
                  headers={"Authorization": "Bearer YOUR_API_KEY"})
    assert r.status_code == 200
    [entry] = http.get("/_mock/requests?operation=Generate&limit=1").json()["requests"]
    page = open_page(browser, server.base_url)
    row = page.locator(f'[data-request-id="{entry["id"]}"]')
    playwright.expect(row).to_contain_text("Generate · generate")
    row.click()
    laid_out = page.locator("#request-detail pre.graphql")
    playwright.expect(laid_out).to_be_visible()
    assert laid_out.inner_text().splitlines() == [
        "mutation Generate($input: GenerateInput!) {",
        "  generate(input: $input) {",
        *[f"    {field}" for field in ("id", "status", "type", "provider", "url", "metadata", "creditCost")],
        "  }",
        "}",
    ]
    detail = page.locator("#request-detail")
    playwright.expect(detail).to_contain_text('"avatarId": "professional-1"')
    playwright.expect(detail).to_contain_text("Bearer YOUR")  # the key masked after four characters
    assert "YOUR_API_KEY" not in detail.locator("table.kv").first.inner_text()
    formatted = page.evaluate("""async () => {
        const { formatQuery } = await import('/_mock/ui/graphql.js');
        return [
            formatQuery('{ a(x: {b: "c { d }"}) { e ... on F { g } } }'),
            formatQuery('query Q {\\n    a\\n    b\\n}'),
        ];
    }""")
    assert formatted[0].splitlines() == ['{', '  a(x: {b: "c { d }"}) {', "    e", "    ... on F {", "      g", "    }", "  }", "}"]
    assert formatted[1] == "query Q {\n    a\n    b\n}"  # written on several lines: kept
    assert page.outside == [] and page.errors == []  # type: ignore[attr-defined]


def test_the_page_runs_under_its_own_strict_policy(browser, server):
    page = open_page(browser, server.base_url, wait_live=False, enforce_csp=True)
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    page.goto(server.base_url + "/_mock/ui/")
    page.wait_for_selector("body[data-live='live']")
    tab(page, "jobs")  # the page's own scripts run and answer clicks
    httpx.post(server.base_url + "/v1/avatar", json=BODY, headers={"X-API-Key": "YOUR_API_KEY"})
    page.wait_for_selector("#panel-jobs [data-job-id]")
    assert violations == []
    page.context.close()


def test_an_accounts_own_clock_drives_its_jobs_progress_and_is_shown(server, browser, tmp_path):
    """A job of an account with its own clock is as far as that clock says, whatever the server's."""
    expect = playwright.expect
    http = httpx.Client(base_url=server.base_url, timeout=10)
    key = http.post("/_mock/accounts", json={"clock": "own"}).json()["key"]
    page = open_page(browser, server.base_url)
    tab(page, "jobs")
    job_id = submit(http, key)
    row = page.locator(f'[data-job-id="{job_id}"]')
    expect(row).to_contain_text("queued")
    http.post(f"/_mock/accounts/{key}/clock/advance", json={"seconds": 12})  # queued 2 s, then 10 of 20 s
    expect(row).to_contain_text("processing")
    expect(row.locator("[data-pct-job]")).to_have_text("50%")
    shots = Path(os.environ.get("INSPECTOR_SCREENSHOTS") or tmp_path)
    page.screenshot(path=str(shots / "own-clock-job.png"))
    tab(page, "accounts")
    page.locator(f'[data-account-key="{key}"]').click()
    expect(page.locator("#account-detail")).to_contain_text("its own:")
    page.screenshot(path=str(shots / "own-clock-account.png"))
    assert page.errors == []  # type: ignore[attr-defined]


# Issue 22: a URL for everything, the mock's totals, copy and replay, links, WebSocket in the
# log, dark mode, and the small defects. Each test fails on the inspector before it.


def new_key(http: httpx.Client, credits: int = 100_000, plan: str = "enterprise") -> str:
    r = http.post("/_mock/accounts", json={"plan": plan, "credits": credits})
    assert r.status_code == 201, r.text
    return r.json()["key"]


def journal_entry(http: httpx.Client, **filters) -> dict:
    return http.get("/_mock/requests", params={**filters, "limit": 1}).json()["requests"][-1]


def hash_of(page) -> str:
    return page.evaluate("location.hash")


def test_every_item_has_an_address_that_opens_it_on_a_fresh_load_and_with_back(server, browser, receiver):
    expect = playwright.expect
    http = httpx.Client(base_url=server.base_url, timeout=10)
    key = new_key(http)
    job_id = submit(http, key, webhookUrl=receiver.url)
    other = submit(http, key, text="The second job")
    http.post(f"/_mock/jobs/{job_id}/complete")
    delivery_id = http.get(f"/_mock/jobs/{job_id}/deliveries").json()["deliveries"][0]["id"]
    request_id = journal_entry(http, key=key, path="/v1/avatar")["id"]
    for address, detail, says in (
        (f"#requests/{request_id}", "#request-detail", f"Request #{request_id}"),
        (f"#jobs/{job_id}", "#job-detail", f"Job {job_id}"),
        (f"#webhooks/{delivery_id}", "#delivery-detail", delivery_id),
        (f"#accounts/{key}", "#account-detail", key),
    ):
        page = open_page(browser, server.base_url, hash=address)  # a fresh load of the address
        expect(page.locator(detail)).to_contain_text(says)
        expect(page.locator(detail)).to_be_visible()
        assert hash_of(page) == address
        page.context.close()
    page = open_page(browser, server.base_url, hash="#jobs")
    page.locator(f'[data-job-id="{other}"]').click()
    expect(page.locator("#job-detail")).to_contain_text(f"Job {other}")
    assert hash_of(page) == f"#jobs/{other}"  # the address follows what is open
    page.locator(f'[data-job-id="{job_id}"]').click()
    assert hash_of(page) == f"#jobs/{job_id}"
    page.go_back()
    expect(page.locator("#job-detail")).to_contain_text(f"Job {other}")
    page.go_back()
    expect(page.locator("#job-detail .placeholder")).to_be_visible()
    page.go_forward()
    expect(page.locator("#job-detail")).to_contain_text(f"Job {other}")
    page.evaluate(f"location.hash = '#webhooks/{delivery_id}'")  # typed, or a link
    expect(page.locator("#panel-webhooks")).to_be_visible()
    expect(page.locator("#delivery-detail")).to_contain_text(delivery_id)
    page.go_back()
    expect(page.locator("#panel-jobs")).to_be_visible()
    assert page.outside == [] and page.errors == []  # type: ignore[attr-defined]


def test_tab_counts_are_the_mocks_and_the_lists_page_through_all_of_it(server_factory, browser, fixtures_dir):
    expect = playwright.expect
    mock = server_factory("--clock", "virtual", "--no-render", "--no-access-log", "--journal-size", "3000",
                          "--fixtures", str(fixtures_dir))
    http = httpx.Client(base_url=mock.base_url, timeout=30)
    made = [submit(http, "test-enterprise", text=f"Load number {i}") for i in range(230)]
    page = open_page(browser, mock.base_url, hash="#jobs")
    expect(page.locator("#count-jobs")).to_have_text("230 / 230")
    expect(page.locator("#count-requests")).to_have_text("230")
    rows = page.locator("#jobs-rows tr")
    expect(rows).to_have_count(200)
    more = page.locator("#jobs-more")
    expect(more).to_contain_text("Showing the newest 200 of 230 jobs.")
    more.locator("[data-action=load-more]").click()
    expect(rows).to_have_count(230)
    expect(page.locator(f'[data-job-id="{made[0]}"]')).to_be_visible()
    expect(more.locator("[data-action=load-more]")).to_be_hidden()
    # Live additions count too, and the oldest job, past the first page, opens from its address.
    submit(http, "test-enterprise")
    expect(page.locator("#count-jobs")).to_have_text("231 / 231")
    expect(page.locator("#count-requests")).to_have_text("231")
    fresh = open_page(browser, mock.base_url, hash=f"#jobs/{made[0]}")
    expect(fresh.locator("#job-detail")).to_contain_text("Load number 0")
    assert page.errors == [] and fresh.errors == []  # type: ignore[attr-defined]


def test_jobs_are_searched_by_id_text_key_and_status(server, browser):
    expect = playwright.expect
    http = httpx.Client(base_url=server.base_url, timeout=10)
    key = new_key(http)
    giraffe = submit(http, key, text="A giraffe says hello")
    zebra = submit(http, key, text="A zebra says hello")
    http.post(f"/_mock/jobs/{zebra}/state", json={"status": "cancelled"})
    page = open_page(browser, server.base_url, hash="#jobs")
    search = page.locator("#job-filters [name=text]")
    rows = page.locator("#jobs-rows tr")
    search.fill("GIRAFFE")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-job-id", giraffe)
    assert "text=GIRAFFE" in hash_of(page)
    search.fill(zebra)
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-job-id", zebra)
    search.fill(key)
    expect(rows).to_have_count(2)
    page.select_option("#job-filters [name=status]", "cancelled")
    expect(rows).to_have_count(1)
    expect(page.locator("#jobs-more")).to_be_hidden()
    page.reload()  # the search is in the address
    page.wait_for_selector("body[data-live=live][data-loaded=true]")
    expect(rows).to_have_count(1)
    expect(page.locator("#job-filters [name=text]")).to_have_value(key)


def test_a_request_copies_as_curl_masked_or_not_copies_its_body_and_replays(server, browser):
    expect = playwright.expect
    http = httpx.Client(base_url=server.base_url, timeout=10)
    key = new_key(http)
    submit(http, key, text="Copy me as curl")
    entry = journal_entry(http, key=key)
    page = open_page(browser, server.base_url, hash=f"#requests/{entry['id']}")
    detail = page.locator("#request-detail")
    expect(detail).to_contain_text(f"Request #{entry['id']}")
    detail.locator("[data-action=copy-curl]").click()
    expect(page.locator("#toasts")).to_contain_text("masked")
    masked = page.evaluate("navigator.clipboard.readText()")
    assert masked.startswith(f"curl -X POST '{server.base_url}/v1/avatar'") and key not in masked and "\u2022" in masked
    detail.locator("[name=reveal-key]").check()
    detail.locator("[data-action=copy-curl]").click()
    expect(page.locator("#toasts")).to_contain_text("real key")
    command = page.evaluate("navigator.clipboard.readText()")
    assert f"x-api-key: {key}" in command and "Copy me as curl" in command
    if shutil.which("curl") and shutil.which("bash"):
        ran = subprocess.run(["bash", "-c", command + " -s"], capture_output=True, text=True, timeout=10, check=True)
        assert '"status"' in ran.stdout  # the mock took it as the same request again
    detail.locator("[data-action=copy-body]").click()
    assert json.loads(page.evaluate("navigator.clipboard.readText()"))["text"] == "Copy me as curl"
    detail.locator("[data-action=replay]").click()
    expect(page.locator("#toasts")).to_contain_text(f"Replayed #{entry['id']}")
    replayed = journal_entry(http, key=key)
    assert replayed["replayOf"] == entry["id"]
    expect(detail).to_contain_text(f"Request #{replayed['id']}")
    expect(detail).to_contain_text(f"#{entry['id']}")  # replay of
    assert hash_of(page) == f"#requests/{replayed['id']}"
    expect(page.locator(f'#requests-rows [data-request-id="{replayed["id"]}"]')).to_be_visible()
    assert page.errors == []  # type: ignore[attr-defined]


def test_a_cut_body_says_so_with_its_full_size_and_cannot_be_replayed(server, browser):
    expect = playwright.expect
    http = httpx.Client(base_url=server.base_url, timeout=10)
    key = new_key(http)
    http.post("/v1/avatar", json={**BODY, "text": "word " * 6000}, headers=api_key(key))
    entry = journal_entry(http, key=key)
    page = open_page(browser, server.base_url, hash=f"#requests/{entry['id']}")
    detail = page.locator("#request-detail")
    badge = detail.locator(".badge.truncated")
    expect(badge).to_have_count(1)
    expect(badge).to_contain_text("16 KiB of 29.4 KiB")
    assert "more bytes]" not in detail.locator("pre.code").first.inner_text()
    expect(detail.locator("[data-action=replay]")).to_be_disabled()
    expect(detail.locator("[data-action=copy-curl]")).to_be_disabled()


def test_links_join_a_request_its_job_the_jobs_requests_deliveries_and_ledger_and_an_account(server, browser, receiver):
    expect = playwright.expect
    http = httpx.Client(base_url=server.base_url, timeout=10)
    key = new_key(http)
    job_id = submit(http, key, webhookUrl=receiver.url)
    http.get(f"/v1/avatar/{job_id}", headers=api_key(key))
    http.post(f"/_mock/jobs/{job_id}/complete")
    made = journal_entry(http, key=key, path="/v1/avatar")
    page = open_page(browser, server.base_url, hash=f"#requests/{made['id']}")
    page.locator("#request-detail a", has_text=job_id).click()  # request -> the job it made
    job = page.locator("#job-detail")
    expect(job).to_contain_text(f"Job {job_id}")
    assert hash_of(page) == f"#jobs/{job_id}"
    sent = job.locator("section[aria-label=Requests] li")
    expect(sent).to_have_count(2)  # the one that made it, the one that read it
    expect(sent.last).to_contain_text("made it")
    expect(job.locator("section[aria-label=Price]")).to_contain_text("charge")
    job.locator("section[aria-label='Webhook deliveries'] a").click()  # job -> delivery
    expect(page.locator("#panel-webhooks")).to_be_visible()
    page.locator("#delivery-detail a", has_text=job_id).click()  # delivery -> job
    expect(page.locator("#job-detail")).to_contain_text(f"Job {job_id}")
    page.locator("#job-detail section[aria-label=Requests] li a").first.click()  # job -> a request
    expect(page.locator("#request-detail")).to_contain_text(f"GET /v1/avatar/{job_id}")
    page.locator("#request-detail a", has_text=key).click()  # request -> account
    account = page.locator("#account-detail")
    expect(account).to_contain_text(key)
    account.locator("a", has_text="jobs").click()  # account -> its jobs
    expect(page.locator("#jobs-rows tr")).to_have_count(1)
    assert hash_of(page) == f"#jobs?account={key}"
    page.go_back()
    page.locator("#account-detail a", has_text="requests").click()  # account -> its requests
    expect(page.locator("#requests-rows tr")).to_have_count(2)
    assert page.outside == [] and page.errors == []  # type: ignore[attr-defined]


def test_graphql_over_websocket_shows_in_the_request_log_and_filters(server, browser):
    from websockets.sync.client import connect

    expect = playwright.expect
    http = httpx.Client(base_url=server.base_url, timeout=10)
    key = new_key(http)
    job_id = submit(http, key)
    page = open_page(browser, server.base_url, hash="#requests?surface=websocket")
    rows = page.locator("#requests-rows tr")
    url = server.base_url.replace("http://", "ws://") + f"/graphql?apiKey={key}"
    with connect(url, subprotocols=["graphql-transport-ws"]) as ws:
        ws.send(json.dumps({"type": "connection_init"}))
        ws.recv(timeout=10)
        ws.send(json.dumps({"type": "subscribe", "id": "1", "payload": {
            "query": "subscription Watch($id: ID!) { generationUpdated(id: $id) { id status } }",
            "variables": {"id": job_id}, "operationName": "Watch"}}))
        ws.recv(timeout=10)
        subscribed = page.locator("#requests-rows tr", has_text="SUBSCRIBE")
        expect(subscribed).to_have_count(1)  # live, while the subscription is open
        expect(subscribed).to_contain_text("Watch · generationUpdated")
        expect(subscribed).to_contain_text("WebSocket")
    expect(page.locator("#requests-rows tr", has_text="COMPLETE")).to_have_count(1)
    assert page.locator("#requests-rows tr", has_text="/v1/avatar").count() == 0  # filtered
    subscribed.click()
    detail = page.locator("#request-detail")
    expect(detail.locator("pre.graphql")).to_contain_text("generationUpdated(id: $id)")
    expect(detail).to_contain_text(job_id)
    expect(detail.locator("[data-action=replay]")).to_be_disabled()
    page.select_option("#request-filters [name=surface]", "")
    expect(page.locator("#requests-rows tr", has_text="/v1/avatar").first).to_be_visible()
    assert rows.count() >= 3


def test_the_mocks_own_pages_are_not_in_the_request_log(server_factory, browser, fixtures_dir):
    expect = playwright.expect
    mock = server_factory("--clock", "virtual", "--no-render", "--no-access-log", "--fixtures", str(fixtures_dir))
    page = open_page(browser, mock.base_url)
    demo = page.context.new_page()
    demo.goto(mock.base_url + "/")
    demo.wait_for_function("document.querySelectorAll('#avatars .portrait img').length > 0 && "
                           "[...document.querySelectorAll('#avatars .portrait img')].every((i) => i.complete)")
    demo.goto(mock.base_url + "/graphql")
    demo.wait_for_selector(".graphiql-container", timeout=15_000)
    rows = page.locator("#requests-rows tr")
    expect(rows.first).to_be_visible()
    page.wait_for_timeout(500)
    paths = [row.locator("td.what").inner_text() for row in rows.all()]
    assert paths and all(p.startswith("POST /graphql") for p in paths), paths  # the pages' API calls only
    assert not any("/avatars/" in p or p.startswith("GET /") for p in paths)


def test_dark_mode_follows_the_system_and_keeps_contrast(server, browser, receiver, tmp_path):
    expect = playwright.expect
    http = httpx.Client(base_url=server.base_url, timeout=10)
    key = new_key(http)
    job_id = submit(http, key, webhookUrl=receiver.url)
    failing = submit(http, key, text="fail me")
    http.post(f"/_mock/jobs/{job_id}/complete")
    http.post(f"/_mock/jobs/{failing}/fail", json={"code": "FACE_NOT_DETECTED", "message": "No face"})
    http.post("/_mock/faults", json={"status": 503, "count": 3, "match": {"key": "nobody"}})
    shots = Path(os.environ.get("INSPECTOR_SCREENSHOTS") or tmp_path / "screens")
    shots.mkdir(parents=True, exist_ok=True)
    found = []
    for scheme in ("dark", "light"):
        for width in (1280, 390):
            page = open_page(browser, server.base_url, width=width, scheme=scheme, hash=f"#jobs/{job_id}")
            background = page.evaluate("getComputedStyle(document.body).backgroundColor")
            assert (background == "rgb(15, 20, 32)") == (scheme == "dark"), background
            for name, address in (("jobs", f"#jobs/{job_id}"), ("requests", "#requests"), ("webhooks", "#webhooks"),
                                  ("accounts", f"#accounts/{key}"), ("faults", "#faults")):
                page.evaluate(f"location.hash = '{address}'")
                expect(page.locator(f"#panel-{name}")).to_be_visible()
                if name == "requests":
                    page.locator("#requests-rows tr").first.click()
                page.wait_for_timeout(300)
                page.screenshot(path=str(shots / f"{name}-{scheme}-{width}.png"))
                found += [{**v, "where": f"{name} {scheme} {width}"} for v in serious(axe_violations(page))]
                if width == 390 and page.locator(f"#panel-{name} .detail.open .close").count():
                    page.locator(f"#panel-{name} .detail.open .close").click()
            page.context.close()
    assert found == [], found


def test_focus_comes_back_after_a_dialog_and_the_reset_dialog_starts_on_cancel(server, browser):
    expect = playwright.expect
    http = httpx.Client(base_url=server.base_url, timeout=10)
    key = new_key(http)
    job_id = submit(http, key)
    page = open_page(browser, server.base_url, hash=f"#jobs?account={key}")
    fail = page.locator(f'[data-job-id="{job_id}"] [data-action=fail]')
    fail.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#dialog")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("#dialog")).to_be_hidden()
    expect(fail).to_be_focused()
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")  # in the code field: confirms
    expect(page.locator(f'[data-job-id="{job_id}"]')).to_contain_text("failed")
    expect(page.locator(f'[data-job-id="{job_id}"]')).to_be_focused()  # the button went with the row's state
    reset = page.locator(".topbar [data-action=reset]")
    reset.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#dialog")).to_be_visible()
    expect(page.locator("#dialog-cancel")).to_be_focused()
    page.keyboard.press("Enter")  # Enter twice does not reset the mock
    expect(page.locator("#dialog")).to_be_hidden()
    expect(reset).to_be_focused()
    assert http.get(f"/_mock/jobs/{job_id}").status_code == 200


def test_the_focus_ring_on_the_dark_top_bar_has_contrast(server, browser):
    page = open_page(browser, server.base_url)
    for _ in range(30):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.dataset.seconds === '1'"):
            break
    ring, bar = page.evaluate("""() => [getComputedStyle(document.activeElement).outlineColor,
        getComputedStyle(document.querySelector('.topbar')).backgroundColor]""")
    assert contrast(ring, bar) >= 3, (ring, bar)


def test_operation_names_wrap_between_words_not_inside_them(server, browser):
    expect = playwright.expect
    http = httpx.Client(base_url=server.base_url, timeout=10)
    key = new_key(http)
    query = ("mutation GenerateAvatarForTheLandingPage($input: AvatarGenerationInput!) "
             "{ generateAvatar(input: $input) { id } }")
    variables = {"input": {"service": "hedra", "text": "Hello", "avatarId": "professional-1"}}
    http.post("/graphql", json={"query": query, "variables": variables}, headers={"Authorization": f"Bearer {key}"})
    entry = journal_entry(http, key=key)
    page = open_page(browser, server.base_url, width=390, height=844, hash=f"#requests?key={key}")
    op = page.locator(f'[data-request-id="{entry["id"]}"] .op')
    expect(op).to_be_visible()
    broken = op.evaluate("""(el) => {
        const text = el.firstChild;
        const out = [];
        for (const match of text.data.matchAll(/\\S+/g)) {
            const range = document.createRange();
            range.setStart(text, match.index);
            range.setEnd(text, match.index + match[0].length);
            const lines = new Set([...range.getClientRects()].map((r) => Math.round(r.top)));
            if (lines.size > 1) out.push(match[0]);
        }
        return out;
    }""")
    assert broken == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_countdowns_carry_over_instead_of_reading_60(server, browser):
    page = open_page(browser, server.base_url)
    spans = page.evaluate("""async () => {
        const { span, until } = await import('/_mock/ui/dom.js');
        return [59.6, 119.7, 779.6, 3599.6, 7199.9, 86399.9, 9.96].map((s) => [s, span(s), until(s)]);
    }""")
    assert [text for _, text, _ in spans] == ["1 min", "2 min", "13 min", "1 h", "2 h", "1 d", "10 s"]
    assert all(" 60 " not in text and " 24 h" not in text for _, text, _ in spans)
    assert spans[2][2] == "in 13 min"


def test_while_reconnecting_the_bar_keeps_its_row_time_stands_still_and_actions_say_why(server_factory, browser, fixtures_dir):
    expect = playwright.expect
    port = free_port()
    args = ("--no-render", "--no-access-log", "--fixtures", str(fixtures_dir))
    first = server_factory(*args, port=port)
    http = httpx.Client(base_url=first.base_url, timeout=10)
    job_id = submit(http)
    page = open_page(browser, first.base_url, hash="#jobs")
    row = page.locator(f'[data-job-id="{job_id}"]')
    expect(row).to_contain_text("processing", timeout=10_000)
    bar_height = page.locator(".topbar").bounding_box()["height"]
    first.stop()
    expect(page.locator("#live")).to_have_attribute("data-state", "reconnecting", timeout=10_000)
    assert page.locator(".topbar").bounding_box()["height"] == bar_height
    shown = row.locator("[data-pct-job]").inner_text(), row.locator("[data-since]").inner_text(), page.inner_text("#clock-time")
    page.wait_for_timeout(2500)
    assert (row.locator("[data-pct-job]").inner_text(), row.locator("[data-since]").inner_text(),
            page.inner_text("#clock-time")) == shown
    row.locator("[data-action=complete]").click()
    expect(page.locator("#toasts")).to_contain_text("not answering")
    assert "Failed to fetch" not in page.inner_text("#toasts")
    server_factory(*args, port=port)
    expect(page.locator("#live")).to_have_attribute("data-state", "live", timeout=15_000)


def test_pause_holds_new_rows_back_and_says_how_many_wait(server, browser):
    expect = playwright.expect
    http = httpx.Client(base_url=server.base_url, timeout=10)
    key = new_key(http)
    http.get("/v1/account", headers=api_key(key))
    page = open_page(browser, server.base_url, hash=f"#requests?key={key}")
    rows = page.locator("#requests-rows tr")
    expect(rows).to_have_count(1)
    first = rows.first.get_attribute("data-request-id")
    pause = page.locator("#panel-requests [data-action=pause]")
    pause.click()
    expect(pause).to_have_attribute("aria-pressed", "true")
    before = int(page.inner_text("#count-requests").replace(",", ""))
    for _ in range(3):
        http.get("/v1/account", headers=api_key(key))
    held = page.locator("#requests-held")
    expect(held).to_contain_text("3 new requests since you paused")
    expect(page.locator("#count-requests")).to_have_text(str(before + 3))  # the mock's count goes on
    expect(rows).to_have_count(1)
    assert rows.first.get_attribute("data-request-id") == first
    held.locator("button").click()
    expect(rows).to_have_count(4)
    expect(pause).to_have_attribute("aria-pressed", "false")
    expect(held).to_be_hidden()


def test_arrow_keys_move_through_speeds_and_only_enter_applies_one(server, browser):
    expect = playwright.expect
    http = httpx.Client(base_url=server.base_url, timeout=10)
    page = open_page(browser, server.base_url)
    patches = []
    page.on("request", lambda r: patches.append(r.post_data) if r.method == "PATCH" and r.url.endswith("/_mock/clock") else None)
    speed = page.locator("#speed")
    speed.focus()
    for _ in range(3):
        page.keyboard.press("ArrowDown")
    page.wait_for_timeout(500)
    assert patches == [] and http.get("/_mock/clock").json()["speed"] == "realtime"
    chosen = speed.input_value()
    page.keyboard.press("Enter")
    expect(page.locator("#toasts")).to_contain_text(f"Speed: {chosen}")
    assert len(patches) == 1 and http.get("/_mock/clock").json()["speed"] == chosen
    speed.select_option("realtime")  # the mouse's choice applies at once
    expect(page.locator("#toasts")).to_contain_text("Speed: realtime")
    assert http.get("/_mock/clock").json()["speed"] == "realtime"


def test_webhooks_list_when_each_delivery_was_made(server, browser, receiver):
    expect = playwright.expect
    http = httpx.Client(base_url=server.base_url, timeout=10)
    key = new_key(http)
    job_id = submit(http, key, webhookUrl=receiver.url)
    http.post(f"/_mock/jobs/{job_id}/complete")
    delivery = http.get(f"/_mock/jobs/{job_id}/deliveries").json()["deliveries"][0]
    page = open_page(browser, server.base_url, hash="#webhooks")
    expect(page.locator("#panel-webhooks thead th").first).to_have_text("Time")
    cell = page.locator(f'[data-delivery-id="{delivery["id"]}"] td').first
    expect(cell).to_have_text(delivery["createdAt"][11:19])
    edge = page.locator("#webhooks-list").bounding_box()
    for button in page.locator(f'[data-delivery-id="{delivery["id"]}"] [data-action]').all():
        box = button.bounding_box()  # the new column pushes no button out of view
        assert box["x"] + box["width"] <= edge["x"] + edge["width"], (button.inner_text(), box, edge)


def test_ledger_amounts_are_signed(server, browser):
    expect = playwright.expect
    http = httpx.Client(base_url=server.base_url, timeout=10)
    key = new_key(http, credits=1000)
    job_id = submit(http, key)
    http.post(f"/_mock/jobs/{job_id}/state", json={"status": "cancelled"})
    cost = http.get(f"/_mock/jobs/{job_id}").json()["creditCost"]
    page = open_page(browser, server.base_url, hash=f"#jobs/{job_id}")
    amounts = page.locator("#job-detail table.ledger td.num")
    expect(amounts).to_have_text([f"\u2212{cost}", f"+{cost}"])  # held, released
    page.evaluate(f"location.hash = '#accounts/{key}'")
    expect(page.locator("#account-detail .ledger-table tbody td.num").first).to_have_text(f"+{cost}")
    column = [c.inner_text() for c in page.locator("#account-detail .ledger-table tbody tr td:nth-child(3)").all()]
    assert column == [f"+{cost}", f"\u2212{cost}", "+1,000"]


def test_a_new_key_can_be_copied(server, browser):
    expect = playwright.expect
    page = open_page(browser, server.base_url, hash="#accounts")
    page.click("[data-action=create-account]")
    confirm(page, credits=50)
    copy_key = page.locator("#account-detail [data-action=copy-key]")
    expect(copy_key).to_be_focused()
    copy_key.click()
    key = page.evaluate("navigator.clipboard.readText()")
    assert key.startswith("mock_")
    expect(page.locator(f'[data-account-key="{key}"]')).to_contain_text("50")


def test_reset_times_read_as_times(server, browser):
    expect = playwright.expect
    http = httpx.Client(base_url=server.base_url, timeout=10)
    key = new_key(http, plan="pro")  # a plan with a per-minute limit, so its answers say when it resets
    r = http.get("/v1/account", headers=api_key(key))
    reset = r.headers["x-ratelimit-reset"]
    entry = journal_entry(http, key=key)
    page = open_page(browser, server.base_url, hash=f"#requests/{entry['id']}")
    header = page.locator("#request-detail tr", has_text="x-ratelimit-reset")
    hhmmss = datetime.fromtimestamp(int(reset), UTC).strftime("%H:%M:%S")
    expect(header).to_contain_text(f"{reset} · {hhmmss} UTC, in ")
    page.evaluate(f"location.hash = '#accounts/{key}'")
    expect(page.locator("#account-detail .limits")).to_contain_text("resets at 00:00 UTC, in ")


def test_every_tab_is_in_view_on_a_phone(server, browser):
    page = open_page(browser, server.base_url, width=390, height=844)
    for name in TABS:
        box = page.locator(f"#tab-{name}").bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390, (name, box)
    assert page.evaluate("(() => { const t = document.getElementById('tablist'); return t.scrollWidth <= t.clientWidth; })()")
    page.click("#tab-faults")
    playwright.expect(page.locator("#panel-faults")).to_be_visible()


def test_a_video_shows_a_picture_before_play(server, browser):
    http = httpx.Client(base_url=server.base_url, timeout=10)
    job_id = submit(http, new_key(http))
    http.post(f"/_mock/jobs/{job_id}/complete")
    page = open_page(browser, server.base_url, hash=f"#jobs/{job_id}")
    video = page.locator("#job-detail video")
    playwright.expect(video).to_be_visible()
    page.wait_for_function("(() => { const v = document.querySelector('#job-detail video'); return v.readyState >= 2; })()",
                           timeout=15_000)  # its first frame, without Play
    assert video.evaluate("(v) => v.paused") is True
    poster = video.get_attribute("poster")
    assert poster and http.get(poster).headers["content-type"].startswith("image/")
