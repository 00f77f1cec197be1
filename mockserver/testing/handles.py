"""Handles on a mock for one test: its own throw-away account and the control API as methods.

The account has a clock of its own unless told otherwise, so `advance()` moves only this test's
world: tests that share one mock (xdist workers, a docker-compose service) never see each
other's time. `advance()` and `next()` return once everything that fell due has run, webhook
attempts and their recorded outcomes included.

`DoitongMock` talks to a running server over HTTP; `AsyncDoitongMock` drives an app in this
process through httpx's ASGI transport, with the same methods as coroutines.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import httpx

if TYPE_CHECKING:
    from .receiver import ReceivedDelivery

T = TypeVar("T")
ClockKind = Literal["own", "server"]


def _given(**values: Any) -> dict[str, Any]:
    """The values given, so the mock's own defaults stand for the rest."""
    return {name: value for name, value in values.items() if value is not None}


class _Control:
    """The control API as methods. `_call` sends one request; `_then` maps its result."""

    api_key: str
    account: Mapping[str, Any]
    clock_kind: ClockKind

    def _call(
        self, method: str, path: str, json: Any = None, params: dict[str, Any] | None = None,
        timeout: float | None = None,
    ) -> Any:
        raise NotImplementedError

    def _then(self, result: Any, fn: Callable[[Any], T]) -> T:
        return fn(result)

    @property
    def webhook_secret(self) -> str:
        secret: str = self.account["webhookSecret"]
        return secret

    @property
    def headers(self) -> dict[str, str]:
        """GraphQL-style auth for this test's account."""
        return {"Authorization": f"Bearer {self.api_key}"}

    @property
    def rest_headers(self) -> dict[str, str]:
        return {"X-API-Key": self.api_key}

    @property
    def _clock_path(self) -> str:
        """This test's clock: the account's own, or the server's it follows."""
        if self.clock_kind == "own":
            return f"/_mock/accounts/{self.api_key}/clock"
        return "/_mock/clock"

    def clock(self) -> Any:
        """The clock this test's account follows (`own` says whether it is its own)."""
        return self._call("GET", f"/_mock/accounts/{self.api_key}/clock")

    def advance(self, seconds: float, timeout: float | None = None) -> Any:
        """Move this test's clock; every transition, window reset and webhook retry that falls
        due runs in order, each at its own time, and has run (attempts recorded) on return.
        `timeout`: real seconds to wait for webhook attempts in all (the mock's default: 60)."""
        return self._clock_call("advance", {"seconds": seconds}, timeout)

    def next(self, timeout: float | None = None) -> Any:
        """Move this test's clock to its next scheduled event (a job transition, a webhook
        retry, whatever its jitter) and run it."""
        return self._clock_call("advance", {"next": True}, timeout)

    def settle(self, timeout: float | None = None) -> Any:
        """Wait until nothing of this test's clock is due and no webhook attempt is in flight
        (for a real clock, or a job an instant speed finished without an advance)."""
        return self._clock_call("settle", {}, timeout, path=f"/_mock/accounts/{self.api_key}/clock")

    def _clock_call(self, action: str, body: dict[str, Any], timeout: float | None, path: str | None = None) -> Any:
        """The answer comes once the attempts have been waited for: the HTTP call waits longer."""
        waits = _given(timeout=timeout)
        return self._call("POST", f"{path or self._clock_path}/{action}", {**body, **waits},
                          timeout=(timeout if timeout is not None else 60.0) + 30)

    def set_speed(self, speed: str | float) -> Any:
        """The speed of this test's clock, for what is scheduled from now on."""
        return self._call("PATCH", self._clock_path, {"speed": speed})

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
        """Journal entries of this test's key (filters: method, path, status, operation, surface, since, limit;
        a list, such as `status=[503, "4xx"]`, goes as the comma-separated values the control API takes)."""
        given = {k: ",".join(map(str, v)) if isinstance(v, list | tuple) else v
                 for k, v in filters.items() if v is not None}
        params = {"key": self.api_key, "limit": 1000, **given}
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

    def new_account(self, plan: str | None = None, credits: int | None = None, **extra: Any) -> Any:
        """Another throw-away account (its `key`, `webhookSecret`, ...); the mock's defaults
        (Pro, 10,000 credits) where not given."""
        return self._call("POST", "/_mock/accounts", _given(plan=plan, credits=credits, **extra))

    def _recreate_body(self) -> dict[str, Any]:
        return {
            "key": self.api_key,
            "plan": self.account["plan"]["id"],
            "credits": self.account["credits"]["available"],
            "webhookSecret": self.webhook_secret,
            "standardWebhooks": self.account["standardWebhooks"],
            "clock": self.clock_kind,
        }


class DoitongMock(_Control):
    """Handle on a real mock server for one test, talking to it over HTTP (through `http`, a
    client the handles of a session share, if given)."""

    def __init__(
        self,
        base_url: str,
        admin_token: str | None = None,
        plan: str | None = None,
        credits: int | None = None,
        *,
        clock: ClockKind = "own",
        http: httpx.Client | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.graphql_url = f"{self.base_url}/graphql"
        self.clock_kind = clock
        self._headers = {"X-Admin-Token": admin_token} if admin_token else {}
        self._owns_http = http is None
        self.http = http if http is not None else httpx.Client(timeout=30)
        self.account = self._call("POST", "/_mock/accounts", _given(plan=plan, credits=credits, clock=clock))
        self.api_key = self.account["key"]

    def _call(
        self, method: str, path: str, json: Any = None, params: dict[str, Any] | None = None,
        timeout: float | None = None,
    ) -> Any:
        response = self.http.request(
            method, self.base_url + path, json=json, params=params, headers=self._headers,
            timeout=timeout if timeout is not None else httpx.USE_CLIENT_DEFAULT,
        )
        if response.status_code >= 400:
            raise AssertionError(f"doitong-mock control {method} {path}: {response.status_code} {response.text}")
        return response.json()

    def confirm(self, delivery: ReceivedDelivery, timeout: float) -> None:
        """Wait until the mock has recorded the outcome of the attempt `delivery` is (a
        `WebhookReceiver`'s `confirm`), so the delivery log read next shows it."""
        delivery_id = delivery.headers.get("x-doitong-delivery")
        attempt = delivery.headers.get("x-doitong-attempt", "")
        if not delivery_id or not attempt.isdigit():
            return  # not one of the mock's deliveries
        response = self.http.get(
            f"{self.base_url}/_mock/deliveries/{delivery_id}",
            params={"attempts": attempt, "wait": round(timeout, 3)},
            headers=self._headers,
            timeout=timeout + 30,
        )
        if response.status_code == 404:
            return  # not this mock's, or no longer in its log
        recorded = response.json().get("attempts", []) if response.status_code == 200 else []
        if len(recorded) < int(attempt):
            raise TimeoutError(f"the mock did not record attempt {attempt} of {delivery_id} in time: {response.text}")

    def reset(self) -> Any:
        """Everything back to the fixtures; this test's account is made again, as it was at the start."""
        body = self._recreate_body()
        result = self._call("POST", "/_mock/reset")
        self.account = self._call("POST", "/_mock/accounts", body)
        return result

    def close(self) -> None:
        """The test is over: its account goes (its jobs, deliveries and clock with it), so a
        shared mock does not fill up with the accounts of tests long finished."""
        try:
            self.http.delete(f"{self.base_url}/_mock/accounts/{self.api_key}", headers=self._headers)
        except httpx.HTTPError:
            pass  # the mock is gone already: nothing of this test is left in it
        finally:
            if self._owns_http:
                self.http.close()


class AsyncDoitongMock(_Control):
    """Handle on an in-process app: `transport` for httpx, control methods to await."""

    base_url = "http://doitong-mock"

    def __init__(
        self, app: Any, plan: str | None = None, credits: int | None = None, *, clock: ClockKind = "own"
    ) -> None:
        from ..wire.views import control_account_view

        self.app = app
        self.runtime = app.state.runtime
        self.graphql_url = f"{self.base_url}/graphql"
        self.transport = httpx.ASGITransport(app=app)
        self.clock_kind = clock
        control = self.runtime.control
        read = control.create_account(**_given(plan=plan, credits=credits), own_clock=clock == "own")
        self.api_key = read.key
        self.account = control_account_view(read)

    def client(self, **kwargs: Any) -> httpx.AsyncClient:
        """An httpx client wired to the in-process app."""
        return httpx.AsyncClient(transport=self.transport, base_url=self.base_url, **kwargs)

    async def _call(
        self, method: str, path: str, json: Any = None, params: dict[str, Any] | None = None,
        timeout: float | None = None,
    ) -> Any:
        async with self.client(timeout=timeout if timeout is not None else 30) as http:
            response = await http.request(method, path, json=json, params=params)
        if response.status_code >= 400:
            raise AssertionError(f"doitong-mock control {method} {path}: {response.status_code} {response.text}")
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

    def close(self) -> None:
        """Stop the in-process mock: timers, renders, subscriptions and webhook deliveries."""
        asyncio.run(self.runtime.close())
