"""The inspector in headless Chromium (Debian's), driven by Playwright: lists that follow the mock
live, steering it from the page, accessibility checked with axe-core, the admin token and a
server restart. Every request that would leave the mock's origin is blocked and recorded."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from mockserver import verify_signature

from helpers import api_key, free_port

playwright = pytest.importorskip("playwright.sync_api")

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
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


@pytest.fixture
def browser():
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


def open_page(browser, base_url: str, width: int = 1280, height: int = 900, wait_live: bool = True,
              enforce_csp: bool = False):
    # Playwright's string predicates (wait_for_function) need eval, which the page's policy
    # forbids: tests run with the policy bypassed, as Playwright documents, except the one that
    # checks the page itself keeps to it.
    context = browser.new_context(viewport={"width": width, "height": height}, bypass_csp=not enforce_csp,
                                  permissions=["clipboard-read", "clipboard-write"])
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
    page.goto(base_url + "/_mock/ui/")
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


def axe_violations(page) -> list[dict]:
    return page.evaluate("""async () => {
        const result = await axe.run(document, {resultTypes: ['violations']});
        return result.violations.map((v) => ({id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' '))}));
    }""")


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
    serious = a11y.get("serious", []) + a11y.get("critical", [])
    assert not serious, serious


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
