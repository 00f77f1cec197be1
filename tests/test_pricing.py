from __future__ import annotations

import pytest

from mockserver.core.fixtures import load_fixtures
from mockserver.core.inputs import price_speech
from mockserver.core.pricing import SpeechLimits, cost_for, speech_limits, speech_seconds

FIXTURES = load_fixtures()
PRICING = FIXTURES.pricing


@pytest.mark.parametrize(
    ("duration", "credits", "tier"),
    [(0.5, 51, "short"), (15, 75, "short"), (30, 100, "short"), (30.1, 201, "long"), (75, 350, "long"), (120, 500, "long")],
)
def test_price_table_is_interpolated_within_each_tier(duration, credits, tier):
    assert cost_for(duration, PRICING) == (credits, tier)


def test_beyond_two_minutes_has_no_price():
    assert cost_for(120.1, PRICING) is None


def test_speech_is_estimated_from_words_and_characters():
    assert speech_seconds("Hello, welcome to our platform!", PRICING) == 2.3
    assert speech_seconds(" ".join(["word"] * 150), PRICING) == 60.0
    assert speech_seconds("hi", PRICING) == 1.0
    assert speech_seconds("x" * 1650, PRICING) == 120.0


@pytest.mark.parametrize(("hint", "seconds"), [
    ("7.25", 7.3), ("7.24", 7.2), ("7.35", 7.4), ("0.05", 0.1), ("2.5", 2.5), ("007.", 7.0), (".45", 0.5),
    ("120.04", 120.0),
])
def test_an_audio_duration_hint_is_rounded_to_tenths_halves_up_as_the_readme_says(hint, seconds):
    estimate = price_speech(None, f"https://cdn.example/a.mp3?duration={hint}", FIXTURES)
    assert estimate.duration == seconds


def test_the_text_limits_are_the_last_tiers():
    assert speech_limits(PRICING) == SpeechLimits(words=300, chars=1650)
    assert speech_seconds(" ".join(["ab"] * 300), PRICING) == 120.0 < speech_seconds(" ".join(["ab"] * 301), PRICING)
