"""What time it was at the target when it answered, as bounds: the rate-limit check compares
`X-RateLimit-Reset` with it.

In order of trust: the target's own clock, when it states one (the mock's `GET /healthz` says
`clock.now` and whether it is real or virtual, so a virtual or advanced clock is read as it is);
else the answer's `Date`, which is whole seconds rounded down and may lag (uvicorn, for one,
refreshes the Date it sends once a second, and later on a busy machine); else our own clock.
"""

from __future__ import annotations

from dataclasses import dataclass

from .client import Client, Exchange, RequestCapReached, Unreachable
from .run import dig

DATE_LAG = 5.0
"""Seconds an answer's `Date` may lag the server's clock, rounding included."""
SLACK = 2.0
"""Seconds our clock and a target's that states none may differ by."""


@dataclass(frozen=True, slots=True)
class Stated:
    """The clock the target stated, and the span of our clock in which it said so."""

    now: float
    sent_at: float
    received_at: float
    virtual: bool


@dataclass(frozen=True, slots=True)
class TargetClock:
    stated: Stated | None

    @property
    def source(self) -> str:
        if self.stated is None:
            return "by the answer's Date (or our clock without one)"
        return f"by the target's own {'virtual' if self.stated.virtual else 'real'} clock (GET /healthz)"

    def bounds(self, answer: Exchange) -> tuple[float, float]:
        """Earliest and latest the target's time can have been when it made `answer`: it made it
        after we sent the request and before we received the answer, whatever the load."""
        stated = self.stated
        if stated is not None:
            if stated.virtual:
                return stated.now, stated.now
            return stated.now + answer.sent_at - stated.received_at, stated.now + answer.received_at - stated.sent_at
        if answer.server_time is not None:
            return answer.server_time, answer.server_time + 1 + DATE_LAG
        return answer.sent_at - SLACK, answer.received_at + SLACK


def read_target_clock(client: Client) -> TargetClock:
    """Asks `GET /healthz` (no key: nothing is counted against the plan) for the target's clock;
    a target without one (the real API) is read by its answers' Date."""
    try:
        exchange = client.request("GET /healthz", "GET", "/healthz", auth=None)
    except (RequestCapReached, Unreachable):
        return TargetClock(None)
    now, mode = dig(exchange.json, "clock.now"), dig(exchange.json, "clock.mode")
    if exchange.status != 200 or not isinstance(now, (int, float)) or mode not in ("real", "virtual"):
        return TargetClock(None)
    return TargetClock(Stated(float(now), exchange.sent_at, exchange.received_at, mode == "virtual"))
