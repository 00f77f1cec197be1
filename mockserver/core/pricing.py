"""Speech duration estimated from text, and the document's price table applied to it."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from .fixtures import PricingFile

# Average characters per word, so that text without spaces (or one huge "word") is not free.
CHARS_PER_WORD = 5.5


def speech_seconds(text: str, pricing: PricingFile) -> float:
    words = len(text.split())
    by_words = words / pricing.words_per_minute * 60.0
    by_chars = len(text.strip()) / (pricing.words_per_minute * CHARS_PER_WORD) * 60.0
    return round(max(pricing.min_duration_seconds, by_words, by_chars), 1)


def cost_for(duration: float, pricing: PricingFile) -> tuple[int, str] | None:
    """Credits and tier name for a duration, or None when it is beyond the last tier."""
    lower = 0.0
    for tier in pricing.tiers:
        if duration <= tier.up_to_seconds:
            share = (duration - lower) / (tier.up_to_seconds - lower)
            credits = tier.min_credits + (tier.max_credits - tier.min_credits) * max(share, 0.0)
            return math.ceil(round(credits, 6)), tier.name
        lower = tier.up_to_seconds
    return None


@dataclass(frozen=True, slots=True)
class SpeechLimits:
    """The longest text the price table bills: at most this many words and characters (leading
    and trailing whitespace aside), as `speech_seconds` counts them."""

    words: int
    chars: int


def speech_limits(pricing: PricingFile) -> SpeechLimits:
    limit = pricing.max_duration_seconds
    wpm = pricing.words_per_minute
    return SpeechLimits(
        words=_most(lambda n: n / wpm * 60.0, limit),
        chars=_most(lambda n: n / (wpm * CHARS_PER_WORD) * 60.0, limit),
    )


def _most(seconds: Callable[[int], float], limit: float) -> int:
    """The largest count whose seconds, rounded as `speech_seconds` rounds, stay within `limit`."""
    n = max(int(limit / seconds(1)) - 2, 0)
    while round(seconds(n + 1), 1) <= limit:
        n += 1
    return n
