"""Plan limits per API key: requests per minute, jobs in flight, jobs per day.

Windows are read from the clock of the account (its own, or the server's), so advancing that
clock resets them. Counting and checking never await, so under any concurrency exactly the
limit is admitted.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from .accounts import Account
from .clocks import Clocks
from .errors import ConcurrencyLimitExceeded, DailyLimitExceeded, RateLimited

MINUTE = 60.0
DAY = 86400.0

# The document's headers (the per-minute window) and the IETF draft's fields, on every answer to
# an authenticated request. `doitong-mock check` expects these names.
LIMIT_HEADER = "X-RateLimit-Limit"
REMAINING_HEADER = "X-RateLimit-Remaining"
RESET_HEADER = "X-RateLimit-Reset"
POLICY_FIELD = "RateLimit-Policy"
RATELIMIT_FIELD = "RateLimit"


@dataclass(slots=True)
class Usage:
    window_start: float = -math.inf
    window_count: int = 0
    day: int = -1
    day_count: int = 0


@dataclass(frozen=True, slots=True)
class Quota:
    """One line of the IETF draft's RateLimit-Policy."""

    name: str
    limit: int
    remaining: int
    window: int | None
    reset: float | None


class RateLimiter:
    def __init__(self, clocks: Clocks, active_jobs: dict[str, int]) -> None:
        self._clocks = clocks
        self._active = active_jobs
        self._usage: dict[str, Usage] = {}

    def usage(self, account: Account) -> Usage:
        usage = self._usage.get(account.key)
        if usage is None:
            usage = self._usage[account.key] = Usage()
        now = self._clocks.now(account.key)
        if now >= usage.window_start + MINUTE:
            usage.window_start = now
            usage.window_count = 0
        day = int(now // DAY)
        if day != usage.day:
            usage.day = day
            usage.day_count = 0
        return usage

    def peek(self, account: Account) -> Usage:
        """The counters as `usage()` would give them now, without opening a window or storing
        anything: reading an account (the inspector, the control API) never moves its limits."""
        usage = self._usage.get(account.key) or Usage()
        now = self._clocks.now(account.key)
        start, count = usage.window_start, usage.window_count
        if now >= start + MINUTE:
            start, count = now, 0
        day = int(now // DAY)
        return Usage(start, count, day, usage.day_count if day == usage.day else 0)

    def raw_usage(self, account_key: str) -> Usage | None:
        """The counters as they stand, without rolling the windows (for the state file)."""
        return self._usage.get(account_key)

    def restore(self, account_key: str, usage: Usage) -> None:
        self._usage[account_key] = usage

    def forget(self, account_key: str) -> None:
        """An account was deleted: its counters go."""
        self._usage.pop(account_key, None)

    def count_request(self, account: Account) -> None:
        """Admit one request against the per-minute window, or raise RATE_LIMITED."""
        usage = self.usage(account)
        limit = account.plan.requests_per_minute
        if limit is not None and usage.window_count >= limit:
            raise RateLimited(
                f"Rate limit exceeded: {limit} requests per minute on the {account.plan.name} plan",
                limit=limit,
                retry_after=self._retry_after(account, usage.window_start + MINUTE),
                headers=self.headers(account),
            )
        usage.window_count += 1

    def check_job(self, account: Account, earliest_end: Callable[[], float | None]) -> None:
        """Raise if one more job would pass the concurrency or daily limit.

        `earliest_end` is only called when the concurrency limit is hit, for Retry-After."""
        plan = account.plan
        usage = self.usage(account)
        if plan.concurrent_jobs is not None and self._active.get(account.key, 0) >= plan.concurrent_jobs:
            end = earliest_end()
            wait = self._retry_after(account, end) if end is not None else 1
            raise ConcurrencyLimitExceeded(
                f"Concurrency limit reached: {plan.concurrent_jobs} jobs at once on the {plan.name} plan",
                limit=plan.concurrent_jobs,
                retry_after=wait,
            )
        if plan.daily_jobs is not None and usage.day_count >= plan.daily_jobs:
            raise DailyLimitExceeded(
                f"Daily limit reached: {plan.daily_jobs} jobs a day on the {plan.name} plan",
                limit=plan.daily_jobs,
                retry_after=self._retry_after(account, (usage.day + 1) * DAY),
            )

    def count_job(self, account: Account) -> None:
        self.usage(account).day_count += 1

    def _retry_after(self, account: Account, at: float) -> int:
        return max(1, math.ceil(at - self._clocks.now(account.key)))

    def quotas(self, account: Account) -> list[Quota]:
        plan = account.plan
        usage = self.usage(account)
        quotas = []
        if plan.requests_per_minute is not None:
            quotas.append(
                Quota(
                    "minute",
                    plan.requests_per_minute,
                    max(plan.requests_per_minute - usage.window_count, 0),
                    int(MINUTE),
                    usage.window_start + MINUTE,
                )
            )
        if plan.concurrent_jobs is not None:
            active = self._active.get(account.key, 0)
            quotas.append(Quota("concurrent", plan.concurrent_jobs, max(plan.concurrent_jobs - active, 0), None, None))
        if plan.daily_jobs is not None:
            remaining = max(plan.daily_jobs - usage.day_count, 0)
            quotas.append(Quota("daily", plan.daily_jobs, remaining, int(DAY), (usage.day + 1) * DAY))
        return quotas

    def headers(self, account: Account) -> dict[str, str]:
        """The document's X-RateLimit-* (per-minute window) and the IETF draft's fields."""
        quotas = self.quotas(account)
        if not quotas:
            return {}
        now = self._clocks.now(account.key)
        out: dict[str, str] = {}
        minute = next((q for q in quotas if q.name == "minute"), None)
        if minute is not None:
            out[LIMIT_HEADER] = str(minute.limit)
            out[REMAINING_HEADER] = str(minute.remaining)
            out[RESET_HEADER] = str(math.ceil(minute.reset or now))
        policies = []
        for q in quotas:
            policy = f'"{q.name}";q={q.limit}'
            if q.window is not None:
                policy += f";w={q.window}"
            policies.append(policy)
        out[POLICY_FIELD] = ", ".join(policies)
        tightest = min(quotas, key=lambda q: (q.remaining / q.limit, q.remaining))
        field = f'"{tightest.name}";r={tightest.remaining}'
        if tightest.reset is not None:
            field += f";t={max(math.ceil(tightest.reset - now), 0)}"
        out[RATELIMIT_FIELD] = field
        return out

    def active_jobs(self, account_key: str) -> int:
        return self._active.get(account_key, 0)
