"""``sla.durations.format_duration``: the one way a duration reads for humans on every surface."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sla.durations import format_duration


@pytest.mark.parametrize(
    ("delta", "precision", "text"),
    [
        (timedelta(0), 2, "0s"),
        (timedelta(milliseconds=900), 2, "0s"),  # whole seconds, truncated
        (timedelta(seconds=45), 2, "45s"),
        (timedelta(hours=1, minutes=10, seconds=59), 2, "1h 10m"),  # truncated, not rounded
        (timedelta(days=3, hours=2, minutes=5), 2, "3d 2h"),
        (timedelta(days=1, minutes=5, seconds=7), 2, "1d 5m"),  # a zero unit between is skipped
        (timedelta(days=1, seconds=7), 2, "1d 7s"),
        (timedelta(days=2), 2, "2d"),
        (timedelta(days=1, hours=2, minutes=3, seconds=4), 1, "1d"),
        (timedelta(days=1, hours=2, minutes=3, seconds=4), 3, "1d 2h 3m"),
        (timedelta(days=1, hours=2, minutes=3, seconds=4), 4, "1d 2h 3m 4s"),
        (timedelta(days=400, hours=5), 2, "400d 5h"),
        (-timedelta(hours=1, minutes=5), 2, "1h 5m"),  # by magnitude
        (-timedelta(seconds=30), 2, "30s"),
    ],
)
def test_format_duration(delta: timedelta, precision: int, text: str) -> None:
    assert format_duration(delta, precision=precision) == text


def test_a_precision_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="precision must be at least 1"):
        format_duration(timedelta(hours=1), precision=0)
