"""Speech duration estimated from text, and the document's price table applied to it."""

from __future__ import annotations

import math

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
