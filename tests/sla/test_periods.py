"""Reporting periods: what "week", "2026-W47" or a date range mean, on the client's calendar."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sla.periods import Period, PeriodError, months_in, parse_period, previous, window_period

BERLIN = ZoneInfo("Europe/Berlin")
# Wednesday 25 November 2026, 14:30 in Berlin (13:30 UTC)
NOW = datetime(2026, 11, 25, 13, 30, tzinfo=UTC)


def berlin(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN).astimezone(UTC)


def test_week_is_the_last_complete_iso_week_in_the_zone() -> None:
    p = parse_period("week", now=NOW, tz=BERLIN)
    assert (p.start, p.end) == (berlin(2026, 11, 16), berlin(2026, 11, 23))
    assert p.start == datetime(2026, 11, 15, 23, 0, tzinfo=UTC)
    assert p.label == "2026-W47"
    assert p.complete and p.kind == "week"
    assert parse_period("last-week", now=NOW, tz=BERLIN) == p


def test_this_week_runs_from_monday_to_now() -> None:
    p = parse_period("this-week", now=NOW, tz="Europe/Berlin")
    assert (p.start, p.end) == (berlin(2026, 11, 23), NOW)
    assert not p.complete
    assert p.label == "2026-W48 (to date)"


def test_this_week_at_monday_midnight_is_empty_and_says_so() -> None:
    with pytest.raises(PeriodError, match="just begun"):
        parse_period("this-week", now=berlin(2026, 11, 23), tz=BERLIN)


def test_month_and_this_month() -> None:
    p = parse_period("month", now=NOW, tz=BERLIN)
    assert (p.start, p.end, p.label) == (berlin(2026, 10, 1), berlin(2026, 11, 1), "2026-10")
    # October in Berlin has 31 days and a DST change: 31 × 24 + 1 hours
    assert p.duration == timedelta(hours=31 * 24 + 1)
    t = parse_period("this-month", now=NOW, tz=BERLIN)
    assert (t.start, t.end) == (berlin(2026, 11, 1), NOW)


def test_month_in_january_is_last_december() -> None:
    p = parse_period("month", now=datetime(2027, 1, 10, tzinfo=UTC), tz="UTC")
    assert p.label == "2026-12"


def test_named_month_week_quarter_year_day() -> None:
    m = parse_period("2026-11", now=NOW, tz=BERLIN)
    assert (m.start, m.end) == (berlin(2026, 11, 1), berlin(2026, 12, 1))
    w = parse_period("2026-W47", now=NOW, tz=BERLIN)
    assert (w.first_day, w.last_day) == (date(2026, 11, 16), date(2026, 11, 22))
    w1 = parse_period("2026-w01", now=NOW, tz="UTC")  # ISO week 1 of 2026 starts on 29 Dec 2025
    assert w1.first_day == date(2025, 12, 29)
    q = parse_period("2026-Q4", now=NOW, tz=BERLIN)
    assert (q.first_day, q.last_day, q.label) == (date(2026, 10, 1), date(2026, 12, 31), "2026-Q4")
    y = parse_period("2026", now=NOW, tz="UTC")
    assert y.duration == timedelta(days=365)
    d = parse_period("2026-11-05", now=NOW, tz=BERLIN)
    assert (d.start, d.end) == (berlin(2026, 11, 5), berlin(2026, 11, 6))


def test_quarter_words() -> None:
    assert parse_period("quarter", now=NOW, tz=BERLIN).label == "2026-Q3"
    assert parse_period("last-quarter", now=NOW, tz=BERLIN).label == "2026-Q3"
    t = parse_period("this-quarter", now=NOW, tz=BERLIN)
    assert (t.start, t.end) == (berlin(2026, 10, 1), NOW)


def test_date_range_includes_both_dates() -> None:
    p = parse_period("2026-11-01..2026-11-30", now=NOW, tz=BERLIN)
    assert (p.start, p.end) == (berlin(2026, 11, 1), berlin(2026, 12, 1))
    assert (p.first_day, p.last_day) == (date(2026, 11, 1), date(2026, 11, 30))
    assert p.label == "2026-11-01..2026-11-30"
    assert p.kind == "range"


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("fortnight", ""),
        ("2026-13", "months are 01 to 12"),
        ("2026-Q5", "quarters are Q1 to Q4"),
        ("2026-W54", "no ISO week 54"),
        ("2026-11-30..2026-11-01", "ends before it starts"),
        ("2026-02-30", "not a real date"),
        ("2026-11-01..tomorrow", "not a date"),
        ("", "empty"),
    ],
)
def test_bad_periods_explain_what_is_accepted(text: str, why: str) -> None:
    with pytest.raises(PeriodError) as info:
        parse_period(text, now=NOW, tz=BERLIN)
    message = str(info.value)
    assert why in message
    assert "2026-W47" in message and "this-month" in message and ".." in message


def test_unknown_zone_is_a_user_error() -> None:
    with pytest.raises(PeriodError, match="IANA"):
        parse_period("week", now=NOW, tz="Mars/Olympus")


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        parse_period("week", now=datetime(2026, 11, 25), tz=BERLIN)


def test_previous_of_whole_units_is_the_previous_unit() -> None:
    nov = parse_period("2026-11", now=NOW, tz=BERLIN)
    assert previous(nov).label == "2026-10"
    assert previous(parse_period("2026-W01", now=NOW, tz=BERLIN)).label == "2025-W52"
    assert previous(parse_period("2026-Q1", now=NOW, tz=BERLIN)).label == "2025-Q4"


def test_previous_of_a_partial_unit_is_the_same_stretch_before() -> None:
    p = parse_period("this-week", now=NOW, tz=BERLIN)
    prev = previous(p)
    assert (prev.start, prev.end) == (berlin(2026, 11, 16), berlin(2026, 11, 18, 14, 30))


def test_previous_of_a_range_is_the_same_length_before() -> None:
    p = parse_period("2026-11-10..2026-11-12", now=NOW, tz="UTC")
    prev = previous(p)
    assert (prev.start, prev.end) == (
        datetime(2026, 11, 7, tzinfo=UTC),
        datetime(2026, 11, 10, tzinfo=UTC),
    )


def test_months_in_clips_to_the_period() -> None:
    p = parse_period("2026-10-15..2026-12-02", now=NOW, tz=BERLIN)
    months = months_in(p)
    assert [m.label for m in months] == ["2026-10", "2026-11", "2026-12"]
    assert (months[0].start, months[0].end) == (berlin(2026, 10, 15), berlin(2026, 11, 1))
    assert months[1] == parse_period("2026-11", now=NOW, tz=BERLIN)
    assert months[2].end == berlin(2026, 12, 3)
    assert months_in(parse_period("2026-Q4", now=NOW, tz="UTC"))[2].label == "2026-12"


def test_window_period_is_the_unit_containing_the_instant() -> None:
    assert window_period("month", at=NOW, tz=BERLIN).label == "2026-11"
    # 23:30 UTC on 31 Oct is already 1 Nov in Berlin
    assert window_period("month", at=datetime(2026, 10, 31, 23, 30, tzinfo=UTC), tz=BERLIN).label == "2026-11"


def test_describe_is_readable() -> None:
    p = parse_period("2026-W47", now=NOW, tz=BERLIN)
    assert p.describe() == "2026-W47 (Mon 16 Nov – Sun 22 Nov 2026, Europe/Berlin)"


def test_period_refuses_naive_or_backwards_bounds() -> None:
    with pytest.raises(ValueError):
        Period(datetime(2026, 1, 2), datetime(2026, 1, 3), "x")
    with pytest.raises(ValueError):
        Period(NOW, NOW, "x")


@settings(deadline=None, max_examples=60)
@given(
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2090, 1, 1), timezones=st.just(UTC)),
    st.sampled_from(["week", "month", "quarter", "year", "yesterday"]),
    st.sampled_from(["UTC", "Europe/Berlin", "America/New_York", "Pacific/Auckland"]),
)
def test_last_complete_units_end_at_or_before_now_and_tile_with_previous(
    now: datetime, word: str, tz: str
) -> None:
    p = parse_period(word, now=now, tz=tz)
    assert p.end <= now < p.end + p.duration + timedelta(days=32)
    assert previous(p).end == p.start
    assert p.start.astimezone(ZoneInfo(tz)).hour in (0, 1)  # local midnight (1 when midnight is skipped)
