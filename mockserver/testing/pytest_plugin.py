"""pytest plugin (registered through the `pytest11` entry point): a running mock for your tests.

Fixtures:
- `doitong_mock`: a real server (started once per session in a thread of the test process, or
  the one `--doitong-mock-url` points at) and a handle with this test's own throw-away account,
  on a clock of its own (unless `--doitong-mock-clock real`).
- `doitong_mock_asgi`: the app in process, for tests that use httpx's ASGI transport; the same
  handle, with awaitable control methods.
- `webhook_receiver`: a real local HTTP endpoint that records deliveries and checks signatures:
  a path of this test's own on one server per session.

Installed, this module is imported by every pytest run of the environment, so it imports nothing
but pytest at the top: the server, httpx and uvicorn load when a test first asks for a fixture.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    import httpx

    from ..settings import Settings
    from .handles import AsyncDoitongMock, ClockKind, DoitongMock
    from .receiver import ReceiverHub, WebhookReceiver
    from .threaded_server import ThreadedServer


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("doitong-mock")
    options = [
        ("url", "use the mock already running at this URL (e.g. the docker-compose one) instead of starting one"),
        ("admin-token", "admin token of the mock at --doitong-mock-url"),
        ("clock", "clock of the started mock: virtual (default; time moves with advance()) or real"),
        ("speed", "speed of the started mock: realtime (default), instant or a factor"),
        ("fixtures", "fixtures directory of the started mock"),
    ]
    for name, text in options:
        dest = f"doitong_mock_{name.replace('-', '_')}"
        group.addoption(f"--doitong-mock-{name}", dest=dest, default=None, help=text)
        parser.addini(dest, text, default=None)


def _option(config: pytest.Config, name: str, default: str | None = None) -> str | None:
    value = config.getoption(f"doitong_mock_{name}", default=None)
    if value is None:
        value = config.getini(f"doitong_mock_{name}")
    return value or default


def _clock_kind(config: pytest.Config) -> ClockKind:
    """A test's own virtual clock, unless the tests asked for real time (the server's clock)."""
    return "server" if _option(config, "clock", "virtual") == "real" else "own"


def _settings(config: pytest.Config) -> Settings:
    from ..settings import Settings

    return Settings(
        clock=_option(config, "clock", "virtual"),
        speed=_option(config, "speed", "realtime"),
        fixtures=_option(config, "fixtures"),
    )


class _SessionServer:
    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.url = _option(config, "url")
        self.admin_token = _option(config, "admin_token")
        self.clock: ClockKind = _clock_kind(config)
        self._server: ThreadedServer | None = None
        self._http: httpx.Client | None = None

    def http(self) -> httpx.Client:
        """One client for every test's handle: making one costs more than most tests."""
        if self._http is None:
            import httpx

            self._http = httpx.Client(timeout=30)
        return self._http

    def base_url(self) -> str:
        if self.url is not None:
            return self.url.rstrip("/")
        if self._server is None:
            from ..web.app import create_app
            from ..web.protocol import uvicorn_options
            from .threaded_server import ThreadedServer

            settings = _settings(self.config)
            options = {**uvicorn_options(settings), "timeout_graceful_shutdown": 1}
            self._server = ThreadedServer(create_app(settings), **options).start()
        return f"http://127.0.0.1:{self._server.port}"

    def stop(self) -> None:
        if self._http is not None:
            self._http.close()
        if self._server is not None:
            self._server.stop()


@pytest.fixture(scope="session")
def doitong_mock_server(pytestconfig: pytest.Config) -> Iterator[_SessionServer]:
    """One mock per session (per xdist worker); tests are isolated by throw-away accounts."""
    server = _SessionServer(pytestconfig)
    yield server
    server.stop()


@pytest.fixture
def doitong_mock(doitong_mock_server: _SessionServer) -> Iterator[DoitongMock]:
    from .handles import DoitongMock

    server = doitong_mock_server
    handle = DoitongMock(server.base_url(), server.admin_token, clock=server.clock, http=server.http())
    yield handle
    handle.close()


@pytest.fixture
def doitong_mock_asgi(pytestconfig: pytest.Config) -> Iterator[AsyncDoitongMock]:
    from ..web.app import create_app
    from .handles import AsyncDoitongMock

    handle = AsyncDoitongMock(create_app(_settings(pytestconfig)), clock=_clock_kind(pytestconfig))
    yield handle
    handle.close()


@pytest.fixture(scope="session")
def doitong_mock_receivers() -> Iterator[ReceiverHub]:
    """One server for every test's webhook receiver (per session, per xdist worker)."""
    from .receiver import ReceiverHub

    hub = ReceiverHub().start()
    yield hub
    hub.stop()


@pytest.fixture
def webhook_receiver(
    request: pytest.FixtureRequest, doitong_mock_receivers: ReceiverHub
) -> Iterator[WebhookReceiver]:
    """This test's own receiver. With `doitong_mock`, it verifies signatures with this test's
    account secret, and `wait()` returns once the mock has recorded the attempt it returns."""
    secret = confirm = None
    if "doitong_mock" in request.fixturenames:
        handle = request.getfixturevalue("doitong_mock")
        secret, confirm = handle.webhook_secret, handle.confirm
    elif "doitong_mock_asgi" in request.fixturenames:
        # In process, advance() and settle() return with every attempt recorded; wait() blocks
        # the event loop the app runs on, so it could not wait for the mock anyway.
        secret = request.getfixturevalue("doitong_mock_asgi").webhook_secret
    receiver = doitong_mock_receivers.open(secret=secret, confirm=confirm)
    yield receiver
    doitong_mock_receivers.close(receiver)
