"""pytest plugin (registered through the `pytest11` entry point): a running mock for your tests.

Fixtures:
- `doitong_mock`: a real server (started once per session in a thread of the test process, or
  the one `--doitong-mock-url` points at) and a handle with this test's own throw-away account.
- `doitong_mock_asgi`: the app in process, for tests that use httpx's ASGI transport; the same
  handle, with awaitable control methods.
- `webhook_receiver`: a real local HTTP endpoint that records deliveries and checks signatures.

Installed, this module is imported by every pytest run of the environment, so it imports nothing
but pytest at the top: the server, httpx and uvicorn load when a test first asks for a fixture.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from ..settings import Settings
    from .handles import AsyncDoitongMock, DoitongMock
    from .receiver import WebhookReceiver
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
        self._server: ThreadedServer | None = None

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

    handle = DoitongMock(doitong_mock_server.base_url(), doitong_mock_server.admin_token)
    yield handle
    handle.close()


@pytest.fixture
def doitong_mock_asgi(pytestconfig: pytest.Config) -> Iterator[AsyncDoitongMock]:
    from ..web.app import create_app
    from .handles import AsyncDoitongMock

    handle = AsyncDoitongMock(create_app(_settings(pytestconfig)))
    yield handle
    handle.close()


@pytest.fixture
def webhook_receiver(request: pytest.FixtureRequest) -> Iterator[WebhookReceiver]:
    """Verifies signatures with the secret of this test's doitong_mock account, if there is one."""
    from .receiver import WebhookReceiver

    secret = None
    for name in ("doitong_mock", "doitong_mock_asgi"):
        if name in request.fixturenames:
            secret = request.getfixturevalue(name).webhook_secret
            break
    with WebhookReceiver(secret=secret) as receiver:
        yield receiver
