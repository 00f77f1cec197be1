from __future__ import annotations

import pytest

from mockserver.core.fixtures import load_fixtures
from mockserver.core.pricing import cost_for, speech_seconds

PRICING = load_fixtures().pricing


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
