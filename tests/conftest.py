"""Fixtures for the whole suite; the helpers they use live in helpers.py."""

from __future__ import annotations

import subprocess
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import httpx
import pytest

from mockserver import Settings, WebhookReceiver, create_app

from helpers import LIMITS_ACCOUNTS, LIMITS_PLANS, REPO, LiveServer, start_server

WORK_TREE = pytest.StashKey[str | None]()


def _work_tree() -> str | None:
    """What `git status` says of the checkout (None outside a git checkout)."""
    try:
        result = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=all"], cwd=REPO, capture_output=True, text=True, timeout=60
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return result.stdout if result.returncode == 0 else None


def pytest_sessionstart(session: pytest.Session) -> None:
    session.config.stash[WORK_TREE] = _work_tree()


def pytest_collection_finish(session: pytest.Session) -> None:
    """xdist schedules by node id: two tests with one id would run once between them."""
    repeated = sorted(nodeid for nodeid, n in Counter(item.nodeid for item in session.items).items() if n > 1)
    if repeated:
        raise pytest.UsageError("tests share a node id, so xdist would run one of each: " + ", ".join(repeated[:5]))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Nothing a test writes may land in the work tree: the run fails if `git status` changed."""
    if hasattr(session.config, "workerinput"):
        return  # an xdist worker: the controller checks once for all
    before = session.config.stash.get(WORK_TREE, None)
    after = _work_tree()
    if before is not None and after is not None and after != before:
        changed = sorted(set(after.splitlines()) ^ set(before.splitlines()))
        session.config.get_terminal_writer().line(
            "tests changed the work tree:\n  " + "\n  ".join(changed), red=True
        )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(scope="session")
def server_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., LiveServer]]:
    started: list[LiveServer] = []

    def factory(*args: str, env: dict[str, str] | None = None, port: int | None = None) -> LiveServer:
        server = start_server(tmp_path_factory.mktemp("server"), *args, env=env, port=port)
        started.append(server)
        return server

    yield factory
    for server in started:
        server.stop()


@pytest.fixture(scope="session")
def live_server(server_factory: Callable[..., LiveServer]) -> LiveServer:
    """A real server with instant jobs, shared by the integration tests."""
    return server_factory("--speed", "instant", "--seed", "7")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def settings() -> Settings:
    return Settings(speed="instant", seed=1)


@pytest.fixture
def app(settings: Settings):
    return create_app(settings)


@pytest.fixture
async def client(app) -> AsyncIterator[httpx.AsyncClient]:
    """In-process: the app runs on the test's own event loop, timers included."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://mock.test") as c:
        yield c


@pytest.fixture(scope="session")
def limits_fixtures(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Accounts made to hit one limit each; jobs stay in flight for ten minutes."""
    d = tmp_path_factory.mktemp("limits")
    (d / "accounts.yaml").write_text(LIMITS_ACCOUNTS)
    (d / "plans.yaml").write_text(LIMITS_PLANS)
    (d / "processing.yaml").write_text("queue_seconds: 0\nbase_seconds: 600\nseconds_per_speech_second: 0\njitter: 0\n")
    return d


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as r:
        yield r
