"""pytest plugin (registered through the `pytest11` entry point): a running mock for your tests.

Fixtures:
- `doitong_mock`: a real server (started once per session in a background thread, or the one
  `--doitong-mock-url` points at) and a handle with this test's own throw-away account.
- `doitong_mock_asgi`: the app in process, for tests that use httpx's ASGI transport; the same
  handle, with awaitable control methods.
- `webhook_receiver`: a real local HTTP endpoint that records deliveries and checks signatures.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from .background import BackgroundServer
from .receiver import WebhookReceiver

T = TypeVar("T")


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
        group.addoption(f"--doitong-mock-{name}", dest=f"doitong_mock_{name.replace('-', '_')}", default=None, help=text)
        parser.addini(f"doitong_mock_{name.replace('-', '_')}", text, default=None)


def _option(config: pytest.Config, name: str, default: str | None = None) -> str | None:
    value = config.getoption(f"doitong_mock_{name}", default=None)
    if value is None:
        value = config.getini(f"doitong_mock_{name}")
    return value or default


class _Control:
    """The control API as methods. `_call` sends one request; `_then` maps its result."""

    api_key: str
    account: dict[str, Any]

    def _call(self, method: str, path: str, json: Any = None, params: dict | None = None) -> Any:
        raise NotImplementedError

    def _then(self, result: Any, fn: Callable[[Any], T]) -> T:
        return fn(result)

    @property
    def webhook_secret(self) -> str:
        return self.account["webhookSecret"]

    @property
    def headers(self) -> dict[str, str]:
        """GraphQL-style auth for this test's account."""
        return {"Authorization": f"Bearer {self.api_key}"}

    @property
    def rest_headers(self) -> dict[str, str]:
        return {"X-API-Key": self.api_key}

    def clock(self) -> Any:
        return self._call("GET", "/_mock/clock")

    def advance(self, seconds: float) -> Any:
        """Move the clock; every transition, window reset and webhook retry due runs in order."""
        return self._call("POST", "/_mock/clock/advance", {"seconds": seconds})

    def set_speed(self, speed: str | float) -> Any:
        return self._call("PATCH", "/_mock/clock", {"speed": speed})

    def job(self, job_id: str) -> Any:
        return self._call("GET", f"/_mock/jobs/{job_id}")

    def complete(self, job_id: str) -> Any:
        return self._call("POST", f"/_mock/jobs/{job_id}/complete")

    def fail(self, job_id: str, code: str = "GENERATION_FAILED", message: str = "Failed by the test") -> Any:
        return self._call("POST", f"/_mock/jobs/{job_id}/fail", {"code": code, "message": message})

    def set_state(self, job_id: str, status: str) -> Any:
        return self._call("POST", f"/_mock/jobs/{job_id}/state", {"status": status})

    def inject_fault(
        self,
        status: int | None = None,
        count: int = 1,
        *,
        code: str | None = None,
        message: str | None = None,
        latency: float = 0.0,
        extensions: dict[str, Any] | None = None,
        surface: str | None = None,
        operation: str | None = None,
        path: str | None = None,
        method: str | None = None,
        any_key: bool = False,
    ) -> Any:
        """The next `count` matching requests of this test's key (or any key) fail or slow down."""
        match = {"surface": surface, "operation": operation, "path": path, "method": method}
        if not any_key:
            match["key"] = self.api_key
        body = {
            "status": status,
            "count": count,
            "code": code,
            "message": message,
            "latency": latency,
            "extensions": extensions or {},
            "match": {k: v for k, v in match.items() if v is not None},
        }
        return self._call("POST", "/_mock/faults", {k: v for k, v in body.items() if v is not None})

    def clear_faults(self) -> Any:
        return self._call("DELETE", "/_mock/faults")

    def requests(self, **filters: Any) -> Any:
        """Journal entries of this test's key (filters: method, path, status, operation, surface, since, limit)."""
        params = {"key": self.api_key, "limit": 1000, **{k: v for k, v in filters.items() if v is not None}}
        return self._then(self._call("GET", "/_mock/requests", params=params), lambda r: r["requests"])

    def deliveries(self, job_id: str | None = None) -> Any:
        params = {"job": job_id} if job_id else {"account": self.api_key}
        return self._then(self._call("GET", "/_mock/deliveries", params=params), lambda r: r["deliveries"])

    def resend(self, delivery_id: str) -> Any:
        return self._call("POST", f"/_mock/deliveries/{delivery_id}/resend")

    def set_credits(self, credits: int) -> Any:
        return self._call("PATCH", f"/_mock/accounts/{self.api_key}", {"credits": credits})

    def set_plan(self, plan: str) -> Any:
        return self._call("PATCH", f"/_mock/accounts/{self.api_key}", {"plan": plan})

    def account_info(self) -> Any:
        return self._call("GET", f"/_mock/accounts/{self.api_key}")

    def new_account(self, plan: str = "pro", credits: int = 10_000, **extra: Any) -> Any:
        """Another throw-away account (its `key`, `webhookSecret`, ...)."""
        return self._call("POST", "/_mock/accounts", {"plan": plan, "credits": credits, **extra})

    def _recreate_body(self) -> dict[str, Any]:
        return {
            "key": self.api_key,
            "plan": self.account["plan"]["id"],
            "credits": self.account["credits"]["available"],
            "webhookSecret": self.webhook_secret,
            "standardWebhooks": self.account["standardWebhooks"],
        }


class DoitongMock(_Control):
    """Handle on a real mock server for one test, talking to it over HTTP."""

    def __init__(self, base_url: str, admin_token: str | None = None, plan: str = "pro", credits: int = 10_000) -> None:
        self.base_url = base_url.rstrip("/")
        self.graphql_url = f"{self.base_url}/graphql"
        headers = {"X-Admin-Token": admin_token} if admin_token else {}
        self.http = httpx.Client(base_url=self.base_url, headers=headers, timeout=30)
        self.account = self._call("POST", "/_mock/accounts", {"plan": plan, "credits": credits})
        self.api_key = self.account["key"]

    def _call(self, method: str, path: str, json: Any = None, params: dict | None = None) -> Any:
        response = self.http.request(method, path, json=json, params=params)
        if response.status_code >= 400:
            raise AssertionError(f"doitong-mock control {method} {path} answered {response.status_code}: {response.text}")
        return response.json()

    def reset(self) -> Any:
        """Everything back to the fixtures; this test's account is made again, as it was at the start."""
        body = self._recreate_body()
        result = self._call("POST", "/_mock/reset")
        self.account = self._call("POST", "/_mock/accounts", body)
        return result

    def close(self) -> None:
        self.http.close()


class AsyncDoitongMock(_Control):
    """Handle on an in-process app: `transport` for httpx, control methods to await."""

    base_url = "http://doitong-mock"

    def __init__(self, app: Any, plan: str = "pro", credits: int = 10_000) -> None:
        self.app = app
        self.service = app.state.service
        self.graphql_url = f"{self.base_url}/graphql"
        self.transport = httpx.ASGITransport(app=app)
        account = self.service.create_account(plan=plan, credits=credits)
        self.api_key = account.key
        self.account = {
            **self.service.account_view(account),
            "key": account.key,
            "webhookSecret": account.webhook_secret,
            "standardWebhooks": account.standard_webhooks,
        }

    def client(self, **kwargs: Any) -> httpx.AsyncClient:
        """An httpx client wired to the in-process app."""
        return httpx.AsyncClient(transport=self.transport, base_url=self.base_url, **kwargs)

    async def _call(self, method: str, path: str, json: Any = None, params: dict | None = None) -> Any:
        async with self.client() as http:
            response = await http.request(method, path, json=json, params=params)
        if response.status_code >= 400:
            raise AssertionError(f"doitong-mock control {method} {path} answered {response.status_code}: {response.text}")
        return response.json()

    def _then(self, result: Awaitable[Any], fn: Callable[[Any], T]) -> Awaitable[T]:  # type: ignore[override]
        async def mapped() -> T:
            return fn(await result)

        return mapped()

    async def reset(self) -> Any:
        body = self._recreate_body()
        result = await self._call("POST", "/_mock/reset")
        self.account = await self._call("POST", "/_mock/accounts", body)
        return result


class _SessionServer:
    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.url = _option(config, "url")
        self.admin_token = _option(config, "admin_token")
        self._server: BackgroundServer | None = None

    def base_url(self) -> str:
        if self.url is not None:
            return self.url.rstrip("/")
        if self._server is None:
            from .app import create_app
            from .protocol import uvicorn_options
            from .settings import Settings

            fixtures = _option(self.config, "fixtures")
            settings = Settings(
                virtual_clock=_option(self.config, "clock", "virtual") == "virtual",
                speed=_option(self.config, "speed", "realtime"),
                fixtures=Path(fixtures) if fixtures else None,
            )
            options = {**uvicorn_options(settings.client_timeout), "timeout_graceful_shutdown": 1}
            self._server = BackgroundServer(create_app(settings), **options).start()
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
    handle = DoitongMock(doitong_mock_server.base_url(), doitong_mock_server.admin_token)
    yield handle
    handle.close()


@pytest.fixture
def doitong_mock_asgi(pytestconfig: pytest.Config) -> AsyncDoitongMock:
    from .app import create_app
    from .settings import Settings

    fixtures = _option(pytestconfig, "fixtures")
    settings = Settings(
        virtual_clock=_option(pytestconfig, "clock", "virtual") == "virtual",
        speed=_option(pytestconfig, "speed", "realtime"),
        fixtures=Path(fixtures) if fixtures else None,
    )
    return AsyncDoitongMock(create_app(settings))


@pytest.fixture
def webhook_receiver(request: pytest.FixtureRequest) -> Iterator[WebhookReceiver]:
    """Verifies signatures with the secret of this test's doitong_mock account, if there is one."""
    secret = None
    for name in ("doitong_mock", "doitong_mock_asgi"):
        if name in request.fixturenames:
            secret = request.getfixturevalue(name).webhook_secret
            break
    with WebhookReceiver(secret=secret) as receiver:
        yield receiver
