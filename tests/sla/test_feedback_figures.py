"""sla.feedback: CSAT, NPS, response rate, sentiment split, CSAT by SLA outcome, sampling."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sla.feedback import (
    SurveyAnswer,
    csat,
    figures,
    is_negative,
    nps,
    rating_value,
    rating_words,
    sampled,
    sla_outcome,
)


def test_csat_is_good_over_good_plus_bad_and_the_average_rating_beside_it() -> None:
    answers = [
        SurveyAnswer("T-1", "acme", rating=5, breached=False),
        SurveyAnswer("T-2", "acme", rating=4, breached=False),
        SurveyAnswer("T-3", "acme", rating=2, breached=True),
        SurveyAnswer("T-4", "acme", rating=3, breached=True),
        SurveyAnswer("T-5", "acme"),  # sent, not answered
    ]
    f = figures(answers)
    assert (f.good, f.bad, f.csat) == (2, 2, 50.0)
    assert f.average_rating == pytest.approx(3.5)
    assert f.response_rate == pytest.approx(80.0)
    assert (f.csat_met, f.csat_breached, f.rated_met, f.rated_breached) == (100.0, 0.0, 2, 2)


def test_good_bad_scale_is_stored_as_5_and_1() -> None:
    assert rating_value("good", "good-bad") == 5 and rating_value("bad", "good-bad") == 1
    assert rating_words(5, "good-bad") == "good" and rating_words(1, "good-bad") == "bad"
    assert rating_value("4", "1-5") == 4 and rating_words(4, "1-5") == "4/5"
    for wrong, scale in (("good", "1-5"), ("6", "1-5"), ("0", "1-5"), ("3", "good-bad"), ("٣", "1-5")):
        with pytest.raises(ValueError):
            rating_value(wrong, scale)  # type: ignore[arg-type]


def test_sentiment_split_and_the_most_negative_comments_first() -> None:
    answers = [
        SurveyAnswer("T-1", "a", rating=5, comment="great", polarity=0.8, label="positive"),
        SurveyAnswer("T-2", "a", rating=1, comment="awful", polarity=-0.9, label="negative"),
        SurveyAnswer("T-3", "a", rating=2, comment="slow", polarity=-0.4, label="negative"),
        SurveyAnswer("T-4", "a", rating=3, comment="ok", polarity=0.0, label="neutral"),
        SurveyAnswer("T-5", "a", rating=4, comment="quick, but no update", polarity=0.1, label="mixed"),
    ]
    f = figures(answers, negative_limit=1)
    assert f.split == {"positive": 1, "neutral": 1, "mixed": 1, "negative": 2}
    assert [c.ticket_ref for c in f.most_negative] == ["T-2"]
    assert f.sentiment == pytest.approx(-0.08)  # (0.8 - 0.9 - 0.4 + 0 + 0.1) / 5


def test_nps_promoters_minus_detractors() -> None:
    assert nps([10, 9, 8, 7, 6, 0]) == pytest.approx(0.0)
    assert nps([10, 10, 3]) == pytest.approx(100 / 3)
    assert nps([]) is None and csat([]) is None
    f = figures([], [9, 10, 7, 2])
    assert (f.promoters, f.passives, f.detractors, f.nps) == (2, 1, 1, 25.0)
    assert f.response_rate is None and f.csat is None


@given(st.lists(st.integers(0, 10), min_size=1))
def test_nps_is_bounded(scores: list[int]) -> None:
    value = nps(scores)
    assert value is not None and -100.0 <= value <= 100.0


@given(st.lists(st.integers(1, 5), min_size=1))
def test_csat_is_a_share_of_the_ratings(ratings: list[int]) -> None:
    value = csat(ratings)
    assert value is not None and 0.0 <= value <= 100.0
    assert (value == 100.0) == all(r >= 4 for r in ratings)


def test_negative_feedback_is_a_low_rating_or_a_negative_comment() -> None:
    assert is_negative(2, None) and is_negative(1, "positive") and is_negative(5, "negative")
    assert not is_negative(3, None) and not is_negative(None, "neutral") and not is_negative(4, "positive")
    assert is_negative(5, "mixed") and is_negative(None, "mixed")  # praise with a complaint reaches the lead


@given(st.text(min_size=1, max_size=12), st.floats(0, 1), st.floats(0, 1))
def test_sampling_is_deterministic_and_monotone_in_the_rate(ref: str, a: float, b: float) -> None:
    low, high = sorted((a, b))
    assert sampled("T1", ref, low) == sampled("T1", ref, low)
    if sampled("T1", ref, low):
        assert sampled("T1", ref, high)


def test_sampling_rate_is_respected_over_many_tickets() -> None:
    share = sum(sampled("T1", f"T-{n}", 0.5) for n in range(2000)) / 2000
    assert 0.45 < share < 0.55
    assert all(sampled("T1", f"T-{n}", 1.0) for n in range(50))
    assert not any(sampled("T1", f"T-{n}", 0.0) for n in range(50))


@dataclass
class _Timer:
    metric: str
    state: str
    remaining: timedelta


def test_sla_outcome_reports_the_worst_breach_or_the_tightest_margin() -> None:
    breached = sla_outcome(
        [
            _Timer("first_response", "met", timedelta(minutes=5)),
            _Timer("resolution", "breached", timedelta(hours=-2)),
            _Timer("next_response", "breached", timedelta(minutes=-10)),
        ]
    )
    assert breached.breached and breached.metric == "resolution" and breached.by == timedelta(hours=2)
    assert breached.words() == "breached: resolution over by 2h"
    met = sla_outcome(
        [
            _Timer("first_response", "met", timedelta(minutes=5)),
            _Timer("resolution", "met", timedelta(hours=3)),
        ]
    )
    assert not met.breached and met.metric == "first_response" and "5m to spare" in met.words()
    assert sla_outcome([]).words() == "no SLA clocks"
