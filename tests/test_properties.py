"""Property tests: the credit ledger and the rate limiter against the simplest model that states
what the document promises, driven through random sequences of operations by hypothesis."""

from __future__ import annotations

import asyncio
import math

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from mockserver import Settings
from mockserver.core.accounts import Account
from mockserver.core.admission import Caller
from mockserver.core.api import Here
from mockserver.core.clock import Clock, Scheduler
from mockserver.core.clocks import Clocks
from mockserver.core.errors import (
    ConcurrencyLimitExceeded,
    DailyLimitExceeded,
    IdempotencyKeyReused,
    InsufficientCredits,
    RateLimited,
)
from mockserver.core.faults import RequestInfo
from mockserver.core.fixtures import PlanFixture, load_fixtures
from mockserver.core.inputs import from_flat
from mockserver.core.ledger import Ledger
from mockserver.core.ratelimits import DAY, MINUTE, RateLimiter
from mockserver.core.runtime import Runtime
from mockserver.store.null import NullStore

MACHINE = settings(max_examples=150, stateful_step_count=40, deadline=None, derandomize=True, database=None,
                   suppress_health_check=list(HealthCheck))

job_ids = st.sampled_from([f"job{i}" for i in range(8)])


class LedgerMachine(RuleBasedStateMachine):
    """Model: a spendable amount, a dict of holds, a charged total; credits are never made or lost."""

    @initialize(initial=st.integers(0, 1000))
    def start(self, initial: int) -> None:
        self.ledger = Ledger(Clock(virtual=True, start=0).now, initial, max_entries=50)
        self.available = initial
        self.holds: dict[str, int] = {}
        self.charged = 0
        self.granted = initial

    @rule(job=job_ids, amount=st.integers(0, 400))
    def hold(self, job: str, amount: int) -> None:
        if job in self.holds:
            return  # a job is held once, when it is accepted
        if amount > self.available:
            with pytest.raises(InsufficientCredits) as info:
                self.ledger.hold(job, amount)
            assert info.value.extensions == {"creditsRequired": amount, "creditsAvailable": self.available}
        else:
            self.ledger.hold(job, amount)
            self.available -= amount
            self.holds[job] = amount

    @rule(job=job_ids)
    def charge(self, job: str) -> None:
        self.ledger.charge(job)
        self.charged += self.holds.pop(job, 0)

    @rule(job=job_ids)
    def release(self, job: str) -> None:
        self.ledger.release(job)
        self.available += self.holds.pop(job, 0)

    @rule(amount=st.integers(0, 500))
    def grant(self, amount: int) -> None:
        self.ledger.grant(amount)
        self.available += amount
        self.granted += amount

    @rule(amount=st.integers(0, 2000))
    def set_available(self, amount: int) -> None:
        self.ledger.set_available(amount)
        self.granted += amount - self.available
        self.available = amount

    @invariant()
    def matches_the_model(self) -> None:
        ledger = self.ledger
        assert (ledger.available, ledger.held, ledger.charged) == (self.available, sum(self.holds.values()), self.charged)
        assert ledger.available >= 0 and ledger.held >= 0
        assert ledger.available + ledger.held + ledger.charged == self.granted
        last = ledger.entries[-1]
        assert (last.available, last.held) == (ledger.available, ledger.held)
        assert len(ledger.entries) <= 50


class RateLimiterMachine(RuleBasedStateMachine):
    """Model: a fixed one-minute window opened by the first request after the last one closed,
    a count of jobs per UTC day, and a count of jobs in flight."""

    @initialize(
        per_minute=st.integers(1, 5) | st.none(),
        concurrent=st.integers(1, 3) | st.none(),
        daily=st.integers(1, 6) | st.none(),
        start=st.floats(0, DAY * 3, allow_nan=False),
    )
    def start(self, per_minute: int | None, concurrent: int | None, daily: int | None, start: float) -> None:
        self.clock = Clock(virtual=True, start=start)
        self.active: dict[str, int] = {}
        self.limiter = RateLimiter(Clocks(Scheduler(self.clock)), self.active)
        plan = PlanFixture(name="Test", requests_per_minute=per_minute, concurrent_jobs=concurrent, daily_jobs=daily)
        self.account = Account(
            key="k", name="n", email="e", plan_id="test", plan=plan, webhook_secret="s", enabled=True,
            standard_webhooks=False, ledger=Ledger(self.clock.now, 0),
        )
        self.window_start = -math.inf
        self.window_count = 0
        self.day = -1
        self.day_count = 0
        self.in_flight = 0

    def _roll(self) -> None:
        now = self.clock.now()
        if now >= self.window_start + MINUTE:
            self.window_start, self.window_count = now, 0
        if int(now // DAY) != self.day:
            self.day, self.day_count = int(now // DAY), 0

    @rule(seconds=st.sampled_from([0.5, 1, 10, 59, 59.999, 60, 61, 3600, DAY]))
    def wait(self, seconds: float) -> None:
        self.clock.shift(seconds)

    @rule()
    def request(self) -> None:
        self._roll()
        limit = self.account.plan.requests_per_minute
        if limit is not None and self.window_count >= limit:
            with pytest.raises(RateLimited) as info:
                self.limiter.count_request(self.account)
            retry = info.value.extensions["retryAfter"]
            assert retry == max(1, math.ceil(self.window_start + MINUTE - self.clock.now()))
            assert info.value.headers["X-RateLimit-Remaining"] == "0"
        else:
            self.limiter.count_request(self.account)
            self.window_count += 1

    @rule()
    def submit_job(self) -> None:
        self._roll()
        plan = self.account.plan
        if plan.concurrent_jobs is not None and self.in_flight >= plan.concurrent_jobs:
            with pytest.raises(ConcurrencyLimitExceeded):
                self.limiter.check_job(self.account, lambda: None)
        elif plan.daily_jobs is not None and self.day_count >= plan.daily_jobs:
            with pytest.raises(DailyLimitExceeded) as info:
                self.limiter.check_job(self.account, lambda: None)
            assert info.value.extensions["retryAfter"] == max(1, math.ceil((self.day + 1) * DAY - self.clock.now()))
        else:
            self.limiter.check_job(self.account, lambda: None)
            self.limiter.count_job(self.account)
            self.day_count += 1
            self.in_flight += 1
            self.active["k"] = self.in_flight

    @precondition(lambda self: self.in_flight > 0)
    @rule()
    def finish_job(self) -> None:
        self.in_flight -= 1
        self.active["k"] = self.in_flight

    @invariant()
    def headers_tell_the_model(self) -> None:
        self._roll()
        headers = self.limiter.headers(self.account)
        plan = self.account.plan
        if plan.requests_per_minute is not None:
            assert headers["X-RateLimit-Limit"] == str(plan.requests_per_minute)
            assert headers["X-RateLimit-Remaining"] == str(plan.requests_per_minute - self.window_count)
            assert headers["X-RateLimit-Reset"] == str(math.ceil(self.window_start + MINUTE))
        else:
            assert "X-RateLimit-Limit" not in headers
        quotas = [(plan.requests_per_minute, "minute"), (plan.concurrent_jobs, "concurrent"), (plan.daily_jobs, "daily")]
        named = [name for limit, name in quotas if limit is not None]
        assert [p.split(";")[0].strip('" ') for p in headers.get("RateLimit-Policy", "").split(",") if p] == [f"{n}" for n in named]
        usage = self.limiter.usage(self.account)
        assert (usage.window_count, usage.day_count, self.limiter.active_jobs(self.account.key)) == (
            self.window_count, self.day_count, self.in_flight
        )


BODIES = {"short": "Hello there", "long": " ".join(["talk"] * 60)}


class IdempotencyMachine(RuleBasedStateMachine):
    """Model: a key makes one job, whatever happens to that job later (the finished-job cap
    drops it at once here); a retry with the same body is that job, another body is a 409;
    credits are held and charged once per job ever made."""

    @initialize()
    def start(self) -> None:
        runtime = Runtime(Settings(clock="virtual", start_time=0, seed=1, render=False, max_finished_jobs=1),
                          load_fixtures(), NullStore())
        self.api, self.control = runtime.api, runtime.control
        self.initial = self.control.account("test-enterprise").credits.available
        self.here = Here("http://mock.test", runtime.address)
        self.by_key: dict[str, tuple[str, str, float]] = {}  # body, job id, when it was made
        self.now = 0.0
        self.costs: dict[str, int] = {}

    def _caller(self, key: str | None) -> Caller:
        """Admitted as a request would be (the enterprise plan has no limit to count against)."""
        request = RequestInfo("POST", "/v1/avatar", "rest", "test-enterprise", frozenset())
        caller = asyncio.run(self.api.admit(request, key)).caller
        assert caller is not None
        return caller

    @rule(key=st.sampled_from([None, "k1", "k2", "k3"]), body=st.sampled_from(sorted(BODIES)))
    def submit(self, key: str | None, body: str) -> None:
        caller = self._caller(key)
        request = from_flat({"service": "hedra", "text": BODIES[body], "avatarId": "professional-1"})
        earlier = self.by_key.get(key) if key is not None else None
        if earlier is not None and earlier[0] != body:
            with pytest.raises(IdempotencyKeyReused):
                self.api.submit(caller, request, self.here)
            return
        job = self.api.submit(caller, request, self.here)
        if earlier is not None:
            assert (job.id, caller.replayed) == (earlier[1], True)
            return
        assert not caller.replayed and job.id not in self.costs
        self.costs[job.id] = job.plan.credit_cost
        if key is not None:
            self.by_key[key] = (body, job.id, self.now)

    def _pass(self, seconds: float) -> None:
        asyncio.run(self.control.advance(seconds))
        self.now += seconds
        # A key lasts 24 hours: a retry after them makes a new job.
        self.by_key = {k: v for k, v in self.by_key.items() if v[2] > self.now - 24 * 3600}

    @rule()
    def finish_everything(self) -> None:
        self._pass(3600)

    @rule()
    def a_day_passes(self) -> None:
        self._pass(24 * 3600 + 1)

    @invariant()
    def one_job_and_one_charge_per_key(self) -> None:
        credits = self.control.account("test-enterprise").credits
        assert credits.held + credits.charged == sum(self.costs.values())
        assert credits.available == self.initial - sum(self.costs.values())


TestIdempotencyAgainstModel = IdempotencyMachine.TestCase
TestIdempotencyAgainstModel.settings = MACHINE
TestLedgerAgainstModel = LedgerMachine.TestCase
TestLedgerAgainstModel.settings = MACHINE
TestRateLimiterAgainstModel = RateLimiterMachine.TestCase
TestRateLimiterAgainstModel.settings = MACHINE
