"""The rate-limit headers of every answer the checks received with the key: present, numeric,
`X-RateLimit-Limit` the plan's, `X-RateLimit-Reset` in the future and within a minute (by the
target's own clock when it states one, else by its `Date`: see `target_clock`),
`X-RateLimit-Remaining` one less with each request of a window; and `Retry-After` on a 429."""

from __future__ import annotations

import itertools

from . import expectations as expect
from .client import Exchange, integer
from .report import DRIFT, OK, SKIP
from .run import Run, dig, error_code
from .target_clock import TargetClock, read_target_clock

OP = "rate-limit headers"
WINDOW = 60

Values = dict[str, list[tuple[Exchange, int | None]]]
"""Per header, each answer that carries it with its value as an integer (None: not one)."""


def check_rate_limits(run: Run) -> None:
    answers = [e for e in run.client.exchanges if e.keyed and e.status not in (401, 403)]
    if not answers:
        run.add(OP, "answers to check", "at least one", "none", SKIP)
        return
    state = run.state
    if state.plan_known and state.requests_per_minute is None:
        _absent_without_a_minute_limit(run, answers)
    else:
        values = _present_and_integer(run, answers)
        _limit_is_the_plans(run, values, state.requests_per_minute)
        _reset_within_the_minute(run, values, read_target_clock(run.client))
        _remaining_counts_down(run, values, state.requests_per_minute)
    _retry_after(run)


def _absent_without_a_minute_limit(run: Run, answers: list[Exchange]) -> None:
    for header in expect.RATE_LIMIT_HEADERS:
        carrying = [e for e in answers if header in e.headers]
        run.add(OP, f"{header} absent (the plan has no per-minute limit)", "absent",
                "absent" if not carrying else f"sent on {len(carrying)} of {len(answers)} answers "
                f"(first: {carrying[0].describe()}: {carrying[0].headers[header]})",
                OK if not carrying else DRIFT)


def _present_and_integer(run: Run, answers: list[Exchange]) -> Values:
    values: Values = {}
    for header in (*expect.RATE_LIMIT_HEADERS, *expect.IETF_FIELDS):
        missing = [e for e in answers if header not in e.headers]
        found = "on every answer" if not missing else (
            f"missing on {len(missing)} of {len(answers)} answers (first: {missing[0].describe()})")
        run.add(OP, f"{header} on every answer", "on every answer", found, OK if not missing else DRIFT)
        if header in expect.IETF_FIELDS:
            continue
        values[header] = [(e, integer(e.headers.get(header))) for e in answers if header in e.headers]
        bad = [(e, e.headers[header]) for e, v in values[header] if v is None]
        if values[header]:
            run.add(OP, f"{header} is an integer", "an integer",
                    "always" if not bad else f"{bad[0][1]!r} on {bad[0][0].describe()}", OK if not bad else DRIFT)
    return values


def _limit_is_the_plans(run: Run, values: Values, plan_limit: int | None) -> None:
    limits = sorted({v for _, v in values.get(expect.LIMIT_HEADER, []) if v is not None})
    if limits and plan_limit is not None:
        run.compare(OP, f"{expect.LIMIT_HEADER} = the plan's requestsPerMinute", plan_limit,
                    limits[0] if len(limits) == 1 else ", ".join(map(str, limits)))


def _reset_within_the_minute(run: Run, values: Values, clock: TargetClock) -> None:
    """After the target's time when it answered, and at most a minute (and the rounding up of a
    whole second) past it."""
    resets = [(e, v) for e, v in values.get(expect.RESET_HEADER, []) if v is not None]
    if not resets:
        return
    late = []
    for exchange, reset in resets:
        earliest, latest = clock.bounds(exchange)
        if not earliest < reset <= latest + WINDOW + 1:
            late.append(f"{reset} at {earliest:.0f} to {latest:.0f} ({exchange.describe()}; {clock.source})")
    run.add(OP, f"{expect.RESET_HEADER} in the future, within {WINDOW} s", "Unix time in the next minute",
            "always" if not late else late[0], OK if not late else DRIFT)


def _remaining_counts_down(run: Run, values: Values, plan_limit: int | None) -> None:
    remaining = [(e, v) for e, v in values.get(expect.REMAINING_HEADER, []) if v is not None]
    if not remaining:
        return
    resets = {id(e): v for e, v in values.get(expect.RESET_HEADER, [])}
    wrong = []
    for (before, r1), (after, r2) in itertools.pairwise(remaining):
        same_window = resets.get(id(before)) is not None and resets.get(id(before)) == resets.get(id(after))
        if same_window and not r2 < r1:
            wrong.append(f"{r1} then {r2} ({before.describe()}, then {after.describe()})")
    bounds = [f"{v} on {e.describe()}" for e, v in remaining if v < 0 or (plan_limit is not None and v >= plan_limit)]
    problems = wrong + bounds
    run.add(OP, f"{expect.REMAINING_HEADER} decreases with each request of a window",
            "one less each time (never below 0)", "always" if not problems else problems[0],
            OK if not problems else DRIFT)


def _retry_after(run: Run) -> None:
    limited = [e for e in run.client.exchanges if e.status == 429]
    if not limited:
        run.add(OP, f"{expect.RETRY_AFTER} on a 429", "seconds to wait", "no 429 happened", SKIP)
        return
    for exchange in limited:
        op = f"{exchange.describe()} (429)"
        value = exchange.headers.get(expect.RETRY_AFTER)
        seconds = integer(value)
        run.add(op, expect.RETRY_AFTER, "seconds to wait (an integer >= 0)",
                "missing" if value is None else value, OK if seconds is not None and seconds >= 0 else DRIFT)
        code = error_code(exchange)
        run.add(op, "errors[0].extensions.code", " or ".join(sorted(expect.TOO_MANY_REQUESTS_CODES)), code,
                OK if code in expect.TOO_MANY_REQUESTS_CODES else DRIFT)
        retry = dig(exchange.json, "errors")
        extension = retry[0].get("extensions", {}).get("retryAfter") if isinstance(retry, list) and retry \
            and isinstance(retry[0], dict) else None
        run.compare(op, f"errors[0].extensions.retryAfter = {expect.RETRY_AFTER}", seconds, extension)
