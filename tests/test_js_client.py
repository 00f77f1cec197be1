"""The TypeScript package `doitong-mock` (clients/js) as its users get it: its wire types generated
from the control API's own document (the committed document must be what the server serves, and
the committed types what the generator makes of it), built from its sources
with the npm registry's TypeScript (the build the repository ships must be exactly that), its own
tests run by Node's test runner against a real server, `tsc --strict` over a typed usage with
calls that must not compile, installed from the repository path as the README says, its browser
build run in Chromium, and the Playwright and Vitest examples run as written. Everything npm,
tsc and the runners write goes to a temporary copy of the layout, never into the work tree."""

from __future__ import annotations

import difflib
import functools
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from mockserver import Settings, create_app
from mockserver.core.signing import sign
from mockserver.web import control_document

from helpers import REPO, LiveServer

pytestmark = pytest.mark.integration

JS = REPO / "clients" / "js"
EXAMPLES = REPO / "examples"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
BIN = str(Path(sys.executable).parent)  # where `doitong-mock` is installed, for start()
# npm's messages when the registry cannot be reached: then the tests skip, saying so.
UNREACHABLE = re.compile(r"ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH|network", re.I)
BODY = {"service": "hedra", "text": "Hello from a page.", "avatarId": "professional-1"}


def run(args: list[str], cwd: Path, timeout: float = 600, **env: str) -> subprocess.CompletedProcess[str]:
    """A command with this process's environment, `env` over it, without DOITONG_MOCK_URL (each
    test says which mock it means)."""
    environ = {k: v for k, v in os.environ.items() if k != "DOITONG_MOCK_URL"}
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=timeout, env={**environ, **env})


def npm_install(args: list[str], cwd: Path, **env: str) -> None:
    done = run(["npm", *args, "--no-audit", "--no-fund"], cwd, **env)
    if done.returncode != 0 and UNREACHABLE.search(done.stderr):
        pytest.skip(f"the npm registry cannot be reached: {done.stderr.strip()[-300:]}")
    assert done.returncode == 0, done.stdout + done.stderr


def path_with_mock() -> str:
    return f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"


@pytest.fixture(scope="module")
def node() -> None:
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("node and npm are needed to build the TypeScript package and run its tests")
    version = run(["node", "--version"], REPO).stdout.strip()
    if int(version.lstrip("v").split(".")[0]) < 18:
        pytest.skip(f"the package needs Node 18 or later; this is {version}")


@pytest.fixture(scope="module")
def installed(node, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The repository's clients/js and examples/ copied side by side into a temporary folder
    (the examples depend on `file:../../clients/js`), the package's dev dependencies installed."""
    root = tmp_path_factory.mktemp("js")
    skip = shutil.ignore_patterns("node_modules", "lib", "test-results", "playwright-report")
    shutil.copytree(JS, root / "clients" / "js", ignore=skip)
    for example in ("playwright", "vitest"):
        shutil.copytree(EXAMPLES / example, root / "examples" / example, ignore=skip)
    npm_install(["ci"], root / "clients" / "js")  # typescript, @types/node, openapi-typescript, as the lock file pins them
    return root


@pytest.fixture(scope="module")
def build(installed) -> subprocess.CompletedProcess[str]:
    """`npm run build`: tsc under the package's tsconfig (strict) over src/, generated types included."""
    return run(["npm", "run", "build"], installed / "clients" / "js")


@pytest.fixture(scope="module")
def tree(installed, build) -> Path:
    """The copy, with the package built there afresh."""
    assert build.returncode == 0, UNTYPED + build.stdout + build.stderr
    return installed


@pytest.fixture(scope="module")
def server(server_factory) -> LiveServer:
    return server_factory("--no-render", "--no-access-log")


def files(directory: Path) -> dict[str, bytes]:
    return {p.relative_to(directory).as_posix(): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


DOCUMENT = JS / "openapi" / "control.json"
GENERATED = JS / "src" / "generated" / "control.ts"
REWRITE_DOCUMENT = "python -m mockserver.web.control_document clients/js/openapi/control.json"
REGENERATE = "`npm run generate` then `npm run build` in clients/js"
UNTYPED = (
    "the package does not type-check (tsc --strict, its tsconfig) against its generated wire types "
    f"(src/generated/control.ts): fix the package or the server's declarations, whichever is wrong; after a "
    f"server change, `{REWRITE_DOCUMENT}` and {REGENERATE}\n"
)


def differences(committed: str, fresh: str, name: str) -> str:
    lines = difflib.unified_diff(committed.splitlines(), fresh.splitlines(), f"{name} (committed)", f"{name} (fresh)", lineterm="")
    return "\n".join(list(lines)[:60])


@pytest.mark.anyio
async def test_the_committed_control_api_document_is_what_the_server_serves():
    settings = Settings()  # as `doitong-mock` starts without options, at its own address
    transport = httpx.ASGITransport(app=create_app(settings))
    async with httpx.AsyncClient(transport=transport, base_url=f"http://{settings.host}:{settings.port}") as client:
        served = (await client.get("/_mock/openapi.json")).json()
    committed = DOCUMENT.read_text(encoding="utf-8")
    fresh = control_document.text(served)
    if committed != fresh:
        pytest.fail(f"clients/js/openapi/control.json is not what the server serves: run `{REWRITE_DOCUMENT}`, then "
                    f"{REGENERATE}, and commit what changed\n" + differences(committed, fresh, "control.json"))


def test_the_committed_wire_types_are_what_the_generator_makes_of_the_document(installed, tmp_path):
    """`npm run generate`, as package.json says it, over the committed document, in a place of
    its own (the package's copy stays as the other tests build it)."""
    package = installed / "clients" / "js"
    for name in ("package.json", "openapi"):
        (shutil.copytree if (package / name).is_dir() else shutil.copy)(package / name, tmp_path / name)
    (tmp_path / "node_modules").symlink_to(package / "node_modules")
    (tmp_path / "src" / "generated").mkdir(parents=True)
    generated = run(["npm", "run", "generate"], tmp_path, timeout=120)
    assert generated.returncode == 0, generated.stdout + generated.stderr
    fresh = (tmp_path / "src" / "generated" / "control.ts").read_text(encoding="utf-8")
    committed = GENERATED.read_text(encoding="utf-8")
    if committed != fresh:
        pytest.fail(f"clients/js/src/generated/control.ts is not what openapi-typescript makes of openapi/control.json: "
                    f"run {REGENERATE}, and commit what changed\n" + differences(committed, fresh, "control.ts"))


def test_the_package_type_checks_strictly_against_its_generated_types(installed, build):
    config = json.loads((installed / "clients" / "js" / "tsconfig.json").read_text())
    assert config["compilerOptions"]["strict"] is True and config["include"] == ["src"]
    assert build.returncode == 0, UNTYPED + build.stdout + build.stderr


def test_the_shipped_build_is_what_its_sources_compile_to(tree):
    fresh, shipped = files(tree / "clients" / "js" / "lib"), files(JS / "lib")
    hint = "run `npm run build` in clients/js and commit lib/"
    assert sorted(shipped) == sorted(fresh), hint
    assert [name for name in fresh if fresh[name] != shipped[name]] == [], hint


def test_the_package_passes_its_own_tests_against_a_real_server(tree, server):
    package = tree / "clients" / "js"
    tests = sorted(p.relative_to(package).as_posix() for p in (package / "test").glob("*.test.mjs"))
    ran = run(["node", "--test", "--test-reporter=tap", *tests], package, timeout=900,
              DOITONG_MOCK_URL=server.base_url, DOITONG_MOCK_PYTHON=sys.executable, PATH=path_with_mock())
    summary = {k: int(v) for k, v in re.findall(r"^# (tests|pass|fail|skipped|cancelled|todo) (\d+)$", ran.stdout, re.M)}
    assert ran.returncode == 0 and summary.get("fail") == 0, ran.stdout[-8000:] + ran.stderr[-2000:]
    assert summary["tests"] >= 30 and summary["pass"] == summary["tests"], summary


def test_tsc_strict_takes_the_typed_usage_and_refuses_each_call_that_must_not_compile(tree):
    package = tree / "clients" / "js"
    tsc = str(package / "node_modules" / ".bin" / "tsc")
    for config in ("test/tsconfig.json", "test/browser/tsconfig.json"):  # a Node project; a page's, without Node's types
        checked = run([tsc, "-p", config], package)
        assert checked.returncode == 0, checked.stdout + checked.stderr
    # Without their @ts-expect-error, exactly the lines under them fail: each is refused for itself.
    usage = (package / "test" / "usage.ts").read_text().splitlines()
    marked = [n + 2 for n, line in enumerate(usage) if line.strip().startswith("// @ts-expect-error")]
    unmarked = (line.replace("// @ts-expect-error", "// (unmarked)") for line in usage)
    (package / "test" / "usage_unmarked.ts").write_text("\n".join(unmarked))
    config = json.loads((package / "test" / "tsconfig.json").read_text())
    (package / "test" / "tsconfig.unmarked.json").write_text(json.dumps({**config, "files": ["usage_unmarked.ts"]}))
    refused = run([tsc, "-p", "test/tsconfig.unmarked.json"], package)
    failing = sorted({int(n) for n in re.findall(r"usage_unmarked\.ts\((\d+),\d+\): error TS", refused.stdout)})
    assert len(marked) >= 4 and failing == marked, refused.stdout


@pytest.mark.parametrize("links", ["false", "true"], ids=["symlinked", "copied"])
def test_npm_installs_the_package_from_the_repository_path(node, server, tmp_path, links):
    (tmp_path / "package.json").write_text('{"name": "an-app", "private": true, "type": "module"}')
    npm_install(["install", f"--install-links={links}", str(JS)], tmp_path)
    (tmp_path / "use.mjs").write_text(
        "import { connect, start, verifySignature } from 'doitong-mock';\n"
        "const mock = connect(process.argv[2]);\n"
        "const account = await mock.newAccount();\n"
        "const clock = await account.clock();\n"
        "console.log(JSON.stringify({ key: account.key, own: clock.own, start: typeof start,\n"
        "  verified: verifySignature('s', 'b', 'sha256=' + '0'.repeat(64)) }));\n"
        "await mock.close();\n"
    )
    used = run(["node", "use.mjs", server.base_url], tmp_path, timeout=60)
    assert used.returncode == 0, used.stderr
    answer = json.loads(used.stdout)
    assert answer["own"] is True and answer["start"] == "function" and answer["verified"] is False
    assert answer["key"].startswith("mock_")


def test_the_browser_build_runs_in_chromium_on_a_page_of_another_origin(tree, server, tmp_path):
    """A frontend's dev server (a real one, on another origin) serves the package's browser build;
    the page steers the real mock across origins, its event stream included."""
    playwright = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed")
    site = tmp_path / "app"
    shutil.copytree(tree / "clients" / "js" / "lib", site / "lib")
    (site / "index.html").write_text("<!doctype html><title>an app</title>")
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(site))
    with ThreadingHTTPServer(("127.0.0.1", 0), handler) as dev_server, playwright.sync_playwright() as p:
        threading.Thread(target=dev_server.serve_forever, daemon=True).start()
        app = f"http://localhost:{dev_server.server_address[1]}"
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{app}/")
        result = page.evaluate("""async ([mockUrl, body]) => {
            const { connect, sign, verifySignature } = await import('/lib/browser.js');
            const mock = connect(mockUrl);
            const account = await mock.newAccount();
            const statuses = [];
            let id = null;
            for await (const event of mock.events({ kinds: ['job'] })) {
                if (event.kind === 'hello') {
                    const r = await fetch(`${mockUrl}/v1/avatar`, { method: 'POST', body: JSON.stringify(body),
                        headers: { 'Content-Type': 'application/json', ...account.restHeaders } });
                    id = (await r.json()).data.avatar.id;
                    void account.advance(600);
                } else if (event.data.job.id === id) {
                    statuses.push(event.data.job.status);
                    if (event.data.job.status === 'completed') break;
                }
            }
            const error = await mock.job('no-such-job').catch((e) => ({ name: e.name, code: e.code, status: e.status }));
            const signature = sign(account.webhookSecret, 'a body');
            const verified = verifySignature(account.webhookSecret, 'a body', new Headers({ 'X-Doitong-Signature': signature }));
            await mock.close();
            return { origin: location.origin, secret: account.webhookSecret, statuses, error, signature, verified };
        }""", [server.base_url, BODY])
        browser.close()
        dev_server.shutdown()
    assert errors == []
    assert result["origin"] == app
    assert result["statuses"] == ["queued", "processing", "completed"]
    assert result["error"] == {"name": "ControlApiError", "code": "NOT_FOUND", "status": 404}
    assert result["signature"] == sign(result["secret"], b"a body") and result["verified"] is True


def test_the_playwright_example_plays_the_video_in_chromium(tree):
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed")
    example = tree / "examples" / "playwright"
    npm_install(["install"], example, PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD="1")
    checked = run([str(example / "node_modules" / ".bin" / "tsc"), "-p", "."], example)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    # Its global setup starts the mock itself with start(), as it does for a user.
    ran = run([str(example / "node_modules" / ".bin" / "playwright"), "test", "--reporter=line"], example,
              CHROMIUM_PATH=CHROMIUM, PATH=path_with_mock())
    assert ran.returncode == 0 and "1 passed" in ran.stdout, ran.stdout[-6000:] + ran.stderr[-2000:]


def test_the_vitest_example_passes(tree):
    example = tree / "examples" / "vitest"
    npm_install(["install"], example)
    checked = run([str(example / "node_modules" / ".bin" / "tsc"), "-p", "."], example)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    ran = run([str(example / "node_modules" / ".bin" / "vitest"), "run"], example, PATH=path_with_mock(), NO_COLOR="1")
    assert ran.returncode == 0 and re.search(r"Tests\s+3 passed", ran.stdout), ran.stdout[-6000:] + ran.stderr[-2000:]


def test_the_readme_shows_the_examples_the_suite_runs():
    readme = (REPO / "README.md").read_text()
    section = readme.split("## Frontend tests (JavaScript and TypeScript)", 1)[1].split("\n## ", 1)[0]
    shown = re.findall(r"```ts\n// (examples/\S+)\n(.*?)```", section, flags=re.S)
    assert {name for name, _ in shown} >= {
        "examples/playwright/global-setup.ts", "examples/playwright/fixtures.ts", "examples/playwright/tests/demo.spec.ts",
        "examples/vitest/global-setup.ts", "examples/vitest/test/avatars.test.ts",
    }
    for name, code in shown:
        assert code == (REPO / name).read_text(), f"the README's {name} is not the file the suite runs"
    assert "npm install --save-dev /path/to/doitong-mock/clients/js" in section
