"""A clock's speed, as the command line, the control API and the answers say it: `realtime` (1),
`instant` (infinite: scheduled durations take no time) or a factor such as 10. Read by the
settings and by the core alike, so it sits below both."""

from __future__ import annotations

import math

INSTANT = math.inf
# A factor outside these makes scheduled times overflow what a timestamp can say.
MIN_SPEED = 0.001
MAX_SPEED = 1_000_000.0


def parse_speed(value: str | float) -> float:
    """`realtime` is 1, `instant` is infinite, anything else a positive factor."""
    if isinstance(value, (int, float)):
        speed = float(value)
    else:
        text = value.strip().lower()
        if text in ("realtime", "real", "1x"):
            return 1.0
        if text == "instant":
            return INSTANT
        try:
            speed = float(text.removesuffix("x"))
        except ValueError:
            raise ValueError(
                f"speed must be 'realtime', 'instant' or a positive number, not {value!r}"
            ) from None
    if not MIN_SPEED <= speed <= MAX_SPEED:
        raise ValueError(f"speed must be between {MIN_SPEED:g} and {MAX_SPEED:g} (or 'instant'), not {value!r}")
    return speed


def format_speed(speed: float) -> str:
    if speed == INSTANT:
        return "instant"
    if speed == 1.0:
        return "realtime"
    return f"{speed:g}"
