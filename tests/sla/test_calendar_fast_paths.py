"""The calendar's fast paths give what its reference paths give.

- Open time widened to more years (only the missing years built, then joined) equals one build of
  the whole range: the same intervals, prefix sums and exact bounds, in every zone of the
  property tests, whatever order the years were asked for in.
- A country's public holidays read from its own ``holidays`` module equal
  ``holidays.country_holidays`` for that country, subdivision and year.
"""

from __future__ import annotations

from datetime import UTC, datetime

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sla.calendar import BusinessCalendar
from sla.calendar_rules import _country_entity, _country_holidays, _country_module
from tests.sla.test_calendar_properties import COMMON, Case, cases


def _as_built(calendar: BusinessCalendar) -> tuple[object, ...]:
    ot = calendar._open
    assert ot is not None
    return (ot.year_lo, ot.year_hi, ot.safe_lo, ot.safe_hi, ot.starts, ot.ends, ot.cum)


@settings(COMMON, max_examples=30)
@given(case=cases(), years=st.lists(st.integers(2016, 2036), min_size=1, max_size=4))
def test_open_time_widened_by_parts_equals_one_build(case: Case, years: list[int]) -> None:
    calendar = case.calendar
    for year in years:  # each query that reaches a new year widens the open time
        calendar.is_open(datetime(year, 6, 1, tzinfo=UTC))
    widened = _as_built(calendar)
    whole = calendar._build(widened[0], widened[1])  # type: ignore[arg-type]
    assert widened == (
        whole.year_lo,
        whole.year_hi,
        whole.safe_lo,
        whole.safe_hi,
        whole.starts,
        whole.ends,
        whole.cum,
    )


def test_widening_keeps_every_answer() -> None:
    """Due times and elapsed spans across years joined at different times are those of a fresh calendar."""
    config = {
        "timezone": "Europe/Stockholm",
        "hours": {"mon-fri": "08:00-18:00"},
        "holidays": {"country": "SE"},
    }
    grown = BusinessCalendar.from_config(config)
    for year in (2011, 2009, 2016, 2030):
        grown.is_open(datetime(year, 3, 1, tzinfo=UTC))
    fresh = BusinessCalendar.from_config(config)
    fresh._extend(2008, 2032)
    starts = [datetime(2009 + k % 21, 1 + k % 12, 1 + k % 28, k % 24, tzinfo=UTC) for k in range(200)]
    for start in starts:
        assert grown.elapsed(datetime(2009, 1, 2, tzinfo=UTC), start) == fresh.elapsed(
            datetime(2009, 1, 2, tzinfo=UTC), start
        )
        due = fresh.add(start, fresh.elapsed(start, datetime(2031, 1, 1, tzinfo=UTC)) / 3)
        assert grown.add(start, fresh.elapsed(start, datetime(2031, 1, 1, tzinfo=UTC)) / 3) == due


@settings(deadline=None, max_examples=40)
@given(
    place=st.sampled_from(
        [
            ("SE", None),
            ("DE", "BY"),
            ("DE", None),
            ("US", "CA"),
            ("GB", "SCT"),
            ("FR", None),
            ("GU", None),
            ("IN", None),
        ]
    ),
    year=st.integers(2001, 2035),
)
def test_a_country_module_read_alone_gives_the_library_holidays(
    place: tuple[str, str | None], year: int
) -> None:
    country, subdivision = place
    alone = getattr(_country_module(_module_of(country)), country)
    expected = frozenset(holidays.country_holidays(country, subdiv=subdivision, years=year))
    assert frozenset(alone(years=year, subdiv=subdivision)) == expected
    assert _country_holidays(country, subdivision, year) == expected


def _module_of(country: str) -> str:
    from holidays.registry import COUNTRIES

    return next(module for module, names in COUNTRIES.items() if country in names[1:])


def test_an_unknown_country_code_falls_back_to_the_library() -> None:
    assert _country_entity("XX-not-a-country") is None
    with pytest.raises(NotImplementedError):
        _country_holidays("XX-not-a-country", None, 2026)
