"""Example tests of business calendars: config, holidays, closing time, DST, midnight, errors."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import yaml

from sla.calendar import BusinessCalendar, CalendarConfigError
from tests.support.shared_data import SHARED, shared

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
UK_JSON = SHARED / "data" / "calendars" / "uk-bank-holidays_2012-2019_govuk.json"


def office(**holidays: object) -> BusinessCalendar:
    config: dict[str, object] = {"timezone": "Europe/Berlin", "hours": {"mon-fri": "09:00-17:00"}}
    if holidays:
        config["holidays"] = holidays
    return BusinessCalendar.from_config(config, name="office")


def berlin(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN)


# ----------------------------------------------------------------------------- config


def test_canonical_config_from_yaml_with_unquoted_dates() -> None:
    text = """
    timezone: Europe/Berlin
    hours:
      mon: ["09:00-12:00", "13:00-17:30"]
      tue: ["09:00-17:30"]
      fri: ["22:00-24:00"]
      sat: ["00:00-06:00"]
    holidays:
      country: DE
      subdivision: BY
      dates: [2026-12-24]
      special: {2026-12-31: ["09:00-13:00"]}
    """
    cal = BusinessCalendar.from_config(yaml.safe_load(text), name="munich")
    assert cal.name == "munich"
    assert cal.timezone == BERLIN
    assert not cal.is_24x7
    assert cal.describe() == [
        "Mon 09:00–12:00, 13:00–17:30 (Europe/Berlin)",
        "Tue 09:00–17:30",
        "Fri 22:00–24:00",
        "Sat 00:00–06:00",
        "Closed on public holidays of DE-BY, and 2026-12-24",
        "2026-12-31: 09:00–13:00",
    ]
    assert cal.is_open(berlin(2026, 12, 31, 12, 59))  # Thursday, special hours
    assert not cal.is_open(berlin(2026, 12, 31, 13, 0))
    assert cal.is_open(berlin(2026, 12, 29, 10, 0))  # Tuesday
    assert not cal.is_open(berlin(2026, 1, 6, 10, 0))  # Tuesday, Epiphany in Bavaria
    assert not cal.is_open(berlin(2026, 12, 21, 12, 30))  # Monday lunch break
    assert cal.is_open(berlin(2026, 12, 21, 13, 0))
    friday_night = berlin(2026, 12, 18, 23, 0)
    assert cal.next_close(friday_night) == berlin(2026, 12, 19, 6, 0)


def test_sugar_ranges_single_strings_full_names_and_quoted_dates_equal_canonical() -> None:
    sugar = BusinessCalendar.from_config(
        {
            "timezone": "Europe/Berlin",
            "hours": {"Monday-FRI": "09:00-17:00", "Saturday": "10:00 – 12:00"},
            "holidays": {"dates": "2026-12-24"},
        }
    )
    canonical = BusinessCalendar.from_config(
        {
            "timezone": "Europe/Berlin",
            "hours": {d: ["09:00-17:00"] for d in ("mon", "tue", "wed", "thu", "fri")}
            | {"sat": ["10:00-12:00"]},
            "holidays": {"dates": [date(2026, 12, 24)]},
        }
    )
    assert sugar == canonical
    assert hash(sugar) == hash(canonical)
    assert sugar.describe()[:2] == ["Mon–Fri 09:00–17:00 (Europe/Berlin)", "Sat 10:00–12:00"]


def test_wrapping_day_range_and_overlapping_windows_are_merged() -> None:
    cal = BusinessCalendar.from_config(
        {"timezone": "UTC", "hours": {"fri-mon": ["09:00-13:00", "12:00-17:00", "17:00-18:00"]}}
    )
    assert cal.describe() == ["Mon 09:00–18:00 (UTC)", "Fri–Sun 09:00–18:00"]
    assert cal.open_per_week() == timedelta(hours=36)
    assert cal.open_seconds_per_week() == 36 * 3600


def test_24x7_forms() -> None:
    for hours in ("24x7", "24/7", "24X7"):
        cal = BusinessCalendar.from_config({"timezone": "UTC", "hours": hours})
        assert cal.is_24x7
        assert cal == BusinessCalendar.always()
    assert BusinessCalendar.always().describe() == ["Around the clock, every day (UTC)"]
    assert BusinessCalendar.always("Asia/Kolkata").timezone == ZoneInfo("Asia/Kolkata")


def test_calendars_with_different_rules_differ() -> None:
    assert office() != office(country="DE")
    assert office(country="DE", subdivision="BE") != office(country="DE", subdivision="BY")
    assert office() != BusinessCalendar.always("Europe/Berlin")


# ----------------------------------------------------------------------------- config errors


@pytest.mark.parametrize(
    ("config", "path", "words"),
    [
        ({"timezone": "Europe/Berln", "hours": "24x7"}, ("timezone",), ["Europe/Berlin"]),
        ({"timezone": "europe/berlin", "hours": "24x7"}, ("timezone",), ["Europe/Berlin"]),
        ({"hours": "24x7"}, ("timezone",), ["timezone"]),
        ({"timezone": "UTC"}, ("hours",), ["24x7"]),
        (
            {"timezone": "UTC", "hours": {"mon": ["09:00-12:00", "25:00-26:00"]}},
            ("hours", "mon", 1),
            ["HH:MM", "24:00"],
        ),
        ({"timezone": "UTC", "hours": {"mon": "09:60-12:00"}}, ("hours", "mon"), ["HH:MM"]),
        (
            {"timezone": "UTC", "hours": {"mon": ["22:00-06:00"]}},
            ("hours", "mon", 0),
            ["overnight", "two windows"],
        ),
        ({"timezone": "UTC", "hours": {"mon": ["09:00-09:00"]}}, ("hours", "mon", 0), ["end"]),
        ({"timezone": "UTC", "hours": {"mon": [540]}}, ("hours", "mon", 0), ["quote"]),
        ({"timezone": "UTC", "hours": {"wendesday": "09:00-17:00"}}, ("hours", "wendesday"), ["'wednesday'"]),
        (
            {"timezone": "UTC", "hours": {"mon-fri": "09:00-17:00", "fri": "09:00-15:00"}},
            ("hours", "fri"),
            ["twice"],
        ),
        (
            {"timezone": "UTC", "hours": "24x7", "holidays": {"country": "XX"}},
            ("holidays", "country"),
            ["XX"],
        ),
        (
            {"timezone": "UTC", "hours": "24x7", "holidays": {"country": "DE", "subdivision": "QQ"}},
            ("holidays", "subdivision"),
            ["BY", "BE"],
        ),
        (
            {"timezone": "UTC", "hours": "24x7", "holidays": {"subdivision": "BY"}},
            ("holidays", "subdivision"),
            ["country"],
        ),
        (
            {"timezone": "UTC", "hours": "24x7", "holidays": {"dates": ["2026-13-01"]}},
            ("holidays", "dates", 0),
            ["YYYY-MM-DD"],
        ),
        (
            {"timezone": "UTC", "hours": "24x7", "holidays": {"special": {"2026-12-31": "13:00-09:00"}}},
            ("holidays", "special", "2026-12-31"),
            ["two windows"],
        ),
        (
            {"timezone": "UTC", "hours": "24x7", "holidays": {"countri": "DE"}},
            ("holidays", "countri"),
            ["'country'"],
        ),
        ({"timezone": "UTC", "hour": "24x7"}, ("hour",), ["'hours'"]),
    ],
)
def test_config_errors_name_path_and_hint(
    config: dict[str, object], path: tuple[object, ...], words: list[str]
) -> None:
    with pytest.raises(CalendarConfigError) as info:
        BusinessCalendar.from_config(config)
    err = info.value
    assert isinstance(err, ValueError)
    assert err.path == path
    assert err.hint
    for word in words:
        assert word in str(err)
    assert str(err) == f"{err.problem} — {err.hint}"


def test_lowercase_country_and_subdivision_are_accepted() -> None:
    assert office(country="de", subdivision="by") == office(country="DE", subdivision="BY")


# ----------------------------------------------------------------------------- add / elapsed


def test_target_ending_exactly_at_closing_time_is_due_at_closing_time() -> None:
    cal = office()
    start = berlin(2026, 3, 2, 9, 0)  # Monday
    assert cal.add(start, timedelta(hours=8)) == berlin(2026, 3, 2, 17, 0)
    assert cal.add(start, timedelta(hours=8, seconds=1)) == berlin(2026, 3, 3, 9, 0, 1)
    friday = berlin(2026, 3, 6, 16, 0)
    assert cal.add(friday, timedelta(hours=1)) == berlin(2026, 3, 6, 17, 0)
    assert cal.add(friday, timedelta(minutes=61)) == berlin(2026, 3, 9, 9, 1)


def test_results_are_utc_and_inputs_may_be_in_any_zone() -> None:
    cal = office()
    start_ny = datetime(2026, 3, 2, 3, 0, tzinfo=NEW_YORK)  # 09:00 Berlin
    due = cal.add(start_ny, timedelta(hours=2))
    assert due.tzinfo is UTC
    assert due == berlin(2026, 3, 2, 11, 0)
    assert cal.next_open(berlin(2026, 3, 2, 8, 0)).tzinfo is UTC


def test_zero_negative_and_naive() -> None:
    cal = office()
    sunday = berlin(2026, 3, 1, 12, 0)
    assert cal.add(sunday, timedelta(0)) == sunday
    with pytest.raises(ValueError, match="negative"):
        cal.add(sunday, timedelta(seconds=-1))
    naive = datetime(2026, 3, 1, 12, 0)
    for call in (
        lambda: cal.add(naive, timedelta(hours=1)),
        lambda: cal.elapsed(naive, sunday),
        lambda: cal.elapsed(sunday, naive),
        lambda: cal.is_open(naive),
        lambda: cal.next_open(naive),
        lambda: cal.next_close(naive),
        lambda: BusinessCalendar.always().add(naive, timedelta(hours=1)),
    ):
        with pytest.raises(ValueError, match="naive"):
            call()


def test_microseconds_are_kept_exactly() -> None:
    cal = office()
    start = berlin(2026, 3, 2, 16, 59, 59, 999_999)
    assert cal.add(start, timedelta(microseconds=1)) == berlin(2026, 3, 2, 17, 0)
    assert cal.add(start, timedelta(microseconds=2)) == berlin(2026, 3, 3, 9, 0, 0, 1)
    assert cal.elapsed(start, berlin(2026, 3, 3, 9, 0, 0, 1)) == timedelta(microseconds=2)


def test_elapsed_counts_open_time_in_half_open_interval() -> None:
    cal = office()
    assert cal.elapsed(berlin(2026, 3, 6, 16, 0), berlin(2026, 3, 9, 10, 0)) == timedelta(hours=2)
    assert cal.elapsed(berlin(2026, 3, 9, 10, 0), berlin(2026, 3, 6, 16, 0)) == timedelta(0)
    assert cal.elapsed(berlin(2026, 3, 7, 10, 0), berlin(2026, 3, 8, 10, 0)) == timedelta(0)
    # a month: 22 working days in March 2026
    assert cal.elapsed(berlin(2026, 3, 1, 0, 0), berlin(2026, 4, 1, 0, 0)) == timedelta(hours=22 * 8)


def test_open_close_queries() -> None:
    cal = office()
    assert cal.is_open(berlin(2026, 3, 2, 9, 0))
    assert not cal.is_open(berlin(2026, 3, 2, 17, 0))
    assert cal.next_open(berlin(2026, 3, 2, 10, 0)) == berlin(2026, 3, 2, 10, 0)
    assert cal.next_open(berlin(2026, 3, 6, 17, 0)) == berlin(2026, 3, 9, 9, 0)
    assert cal.next_close(berlin(2026, 3, 2, 10, 0)) == berlin(2026, 3, 2, 17, 0)
    assert cal.next_close(berlin(2026, 3, 2, 18, 0)) == berlin(2026, 3, 2, 18, 0)


# ----------------------------------------------------------------------------- holidays


def test_german_holidays_differ_between_berlin_and_bavaria() -> None:
    be, by = office(country="DE", subdivision="BE"), office(country="DE", subdivision="BY")
    epiphany = berlin(2026, 1, 6, 10, 0)  # Tuesday; a holiday in Bavaria only
    assert be.is_open(epiphany)
    assert not by.is_open(epiphany)
    assert not be.is_open(berlin(2027, 3, 8, 10, 0))  # Monday 8 March 2027, Women's Day: Berlin only
    assert by.is_open(berlin(2027, 3, 8, 10, 0))
    for cal in (be, by):
        assert not cal.is_open(berlin(2026, 12, 25, 10, 0))
        assert not cal.is_open(berlin(2027, 5, 6, 10, 0))  # Ascension Day, Thursday
    # due on Monday 5 January 16:00 + 2h: Bavaria skips Tuesday
    start = berlin(2026, 1, 5, 16, 0)
    assert be.add(start, timedelta(hours=2)) == berlin(2026, 1, 6, 10, 0)
    assert by.add(start, timedelta(hours=2)) == berlin(2026, 1, 7, 10, 0)


def test_special_hours_replace_public_holiday_and_weekday() -> None:
    cal = office(country="DE", subdivision="BE", special={"2026-12-25": ["10:00-12:00"], "2026-12-28": []})
    assert cal.is_open(berlin(2026, 12, 25, 11, 0))
    assert not cal.is_open(berlin(2026, 12, 25, 9, 30))
    assert not cal.is_open(berlin(2026, 12, 28, 10, 0))
    assert cal.describe()[-2:] == ["2026-12-25: 10:00–12:00", "2026-12-28: closed"]
    assert cal.windows_on(date(2026, 12, 25)) == ((36000, 43200),)
    assert cal.windows_on(date(2026, 12, 26)) == ()


def test_uk_bank_holidays_from_govuk_match_holidays_package() -> None:
    data = json.loads(shared(UK_JSON).read_text(encoding="utf-8"))
    divisions = {"england-and-wales": "ENG", "scotland": "SCT", "northern-ireland": "NIR"}
    for division, subdivision in divisions.items():
        cal = BusinessCalendar.from_config(
            {
                "timezone": "Europe/London",
                "hours": "24x7",
                "holidays": {"country": "GB", "subdivision": subdivision},
            }
        )
        assert not cal.is_24x7
        listed = [date.fromisoformat(e["date"]) for e in data[division]["events"]]
        assert len(listed) > 50
        london = ZoneInfo("Europe/London")
        for day in listed:
            noon = datetime(day.year, day.month, day.day, 12, tzinfo=london)
            assert not cal.is_open(noon), f"{division} {day} should be closed"
            assert cal.windows_on(day) == ()
        # and a weekday after a holiday that gov.uk does not list is open (24x7 hours);
        # weekends are skipped: `holidays` also names e.g. a Saturday Christmas whose
        # substitute Monday is the day gov.uk lists
        listed_set = set(listed)
        for day in listed:
            nxt = day + timedelta(days=1)
            if nxt not in listed_set and nxt.year <= 2019 and nxt.weekday() < 5:
                assert cal.is_open(datetime(nxt.year, nxt.month, nxt.day, 12, tzinfo=london)), (
                    f"{division} {nxt}"
                )


# ----------------------------------------------------------------------------- DST and midnight


def test_24x7_is_continuous_across_midnight() -> None:
    cal = BusinessCalendar.always("Europe/Berlin")
    start = berlin(2026, 3, 6, 23, 30)
    assert cal.add(start, timedelta(hours=1)) == berlin(2026, 3, 7, 0, 30)
    assert cal.next_close(start) == datetime.max.replace(tzinfo=UTC)
    # 24x7 written as per-day windows, with a holiday elsewhere: still no minute closed at midnight
    every_day = BusinessCalendar.from_config(
        {
            "timezone": "Europe/Berlin",
            "hours": {"mon-sun": "00:00-24:00"},
            "holidays": {"dates": ["2030-01-01"]},
        }
    )
    assert not every_day.is_24x7
    assert every_day.is_open(berlin(2026, 3, 7, 0, 0))
    assert every_day.elapsed(start, berlin(2026, 3, 7, 0, 30)) == timedelta(hours=1)
    assert every_day.add(start, timedelta(hours=1)) == berlin(2026, 3, 7, 0, 30)
    assert every_day.next_close(start) == berlin(2030, 1, 1, 0, 0)


def test_overnight_shift_is_one_stretch() -> None:
    cal = BusinessCalendar.from_config(
        {"timezone": "America/New_York", "hours": {"fri": "22:00-24:00", "sat": "00:00-06:00"}}
    )
    fri = datetime(2026, 3, 13, 23, 0, tzinfo=NEW_YORK)
    assert cal.next_close(fri) == datetime(2026, 3, 14, 6, 0, tzinfo=NEW_YORK)
    assert cal.add(fri, timedelta(hours=2)) == datetime(2026, 3, 14, 1, 0, tzinfo=NEW_YORK)
    assert cal.is_open(datetime(2026, 3, 14, 0, 0, tzinfo=NEW_YORK))


def test_fall_back_day_repeated_hour_is_open_twice() -> None:
    cal = BusinessCalendar.from_config({"timezone": "Europe/Berlin", "hours": {"sun": "01:00-04:00"}})
    # 2026-10-25: clocks go from 03:00 CEST back to 02:00 CET; the window lasts four hours
    day_start = datetime(2026, 10, 25, 0, 0, tzinfo=BERLIN)
    assert cal.elapsed(day_start, day_start + timedelta(days=1)) == timedelta(hours=4)
    assert cal.add(day_start, timedelta(hours=4)) == datetime(2026, 10, 25, 3, 0, tzinfo=UTC)
    second_two = datetime(2026, 10, 25, 2, 30, tzinfo=BERLIN, fold=1)
    assert cal.is_open(second_two)


def test_spring_forward_day_skipped_hour_shortens_window() -> None:
    cal = BusinessCalendar.from_config({"timezone": "Europe/Berlin", "hours": {"sun": ["01:00-04:00"]}})
    day_start = datetime(2026, 3, 29, 0, 0, tzinfo=BERLIN)
    assert cal.elapsed(day_start, day_start + timedelta(days=1)) == timedelta(hours=2)
    # a non-existent local time is not an error
    assert cal.is_open(datetime(2026, 3, 29, 2, 30, tzinfo=BERLIN))


def test_window_inside_skipped_hour_is_empty_and_does_not_raise() -> None:
    cal = BusinessCalendar.from_config(
        {"timezone": "Europe/Berlin", "hours": {"sun": "02:00-03:00", "mon": "09:00-10:00"}}
    )
    sunday = datetime(2026, 3, 29, 0, 0, tzinfo=BERLIN)
    assert cal.elapsed(sunday, sunday + timedelta(days=1)) == timedelta(0)
    assert cal.add(sunday, timedelta(minutes=1)) == datetime(2026, 3, 30, 9, 1, tzinfo=BERLIN)


# ----------------------------------------------------------------------------- range and no open time


def test_no_open_time_raises_instead_of_looping() -> None:
    never = BusinessCalendar.from_config({"timezone": "UTC", "hours": {}}, name="never")
    t = datetime(2026, 1, 1, tzinfo=UTC)
    with pytest.raises(ValueError, match="never"):
        never.add(t, timedelta(minutes=1))
    with pytest.raises(ValueError, match="no open time"):
        never.next_open(t)
    assert never.elapsed(t, t + timedelta(days=400)) == timedelta(0)
    assert never.next_close(t) == t
    only_once = BusinessCalendar.from_config(
        {"timezone": "UTC", "hours": {}, "holidays": {"special": {"2026-06-01": "09:00-10:00"}}}
    )
    assert only_once.add(t, timedelta(hours=1)) == datetime(2026, 6, 1, 10, tzinfo=UTC)
    with pytest.raises(ValueError):
        only_once.add(t, timedelta(hours=2))


def test_long_spans_and_both_directions() -> None:
    cal = office(country="DE")
    late = berlin(2031, 6, 3, 10, 0)  # (2 June 2031 is Whit Monday)
    early = berlin(1999, 6, 1, 10, 0)
    assert cal.is_open(late)
    assert cal.is_open(early)  # extends backwards
    total = cal.elapsed(early, late)
    assert cal.add(early, total) == late
    far = cal.add(early, timedelta(days=3650))  # 3650 * 24 business hours ≈ 46 years of 8h days
    assert cal.elapsed(early, far) == timedelta(days=3650)
