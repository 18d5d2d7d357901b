"""Quiet hours (sla.quiet_hours): which alerts wait, and until when, on a manual instant."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from sla.contracts import ContractFileError, load_contracts_text
from sla.contracts.checks import alert_lines
from sla.quiet_hours import QuietHours, parse_span
from tests.support.contract_file import contract_file

BERLIN = ZoneInfo("Europe/Berlin")
NIGHT = QuietHours(time(22), time(7), BERLIN, frozenset({"P1"}), "22:00-07:00")


def test_a_p3_warning_at_three_in_the_morning_waits_until_seven() -> None:
    at = datetime(2026, 3, 3, 2, 0, tzinfo=UTC)  # 03:00 in Berlin (CET)
    assert NIGHT.held_until("warning", "P3", at) == datetime(2026, 3, 3, 6, 0, tzinfo=UTC)
    assert NIGHT.held_until("breach", "P3", at) == datetime(2026, 3, 3, 6, 0, tzinfo=UTC)


def test_paging_alerts_go_out_at_night() -> None:
    at = datetime(2026, 3, 3, 2, 0, tzinfo=UTC)
    assert NIGHT.held_until("breach", "P1", at) is None
    assert NIGHT.held_until("escalation", "P3", at) is None
    assert NIGHT.held_until("warning", "P1", at) == datetime(
        2026, 3, 3, 6, 0, tzinfo=UTC
    )  # warnings never page


def test_outside_quiet_hours_nothing_waits_and_the_edges() -> None:
    assert NIGHT.held_until("warning", "P3", datetime(2026, 3, 3, 12, 0, tzinfo=UTC)) is None
    assert NIGHT.release_at(datetime(2026, 3, 3, 6, 0, tzinfo=UTC)) is None  # 07:00 sharp: over
    start = datetime(2026, 3, 2, 21, 0, tzinfo=UTC)  # 22:00 sharp: quiet until 07:00 next day
    assert NIGHT.release_at(start) == datetime(2026, 3, 3, 6, 0, tzinfo=UTC)


def test_the_night_the_clocks_change_ends_at_seven_local() -> None:
    at = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)  # 01:30 CET, the night Berlin moves to CEST
    assert NIGHT.release_at(at) == datetime(2026, 3, 29, 5, 0, tzinfo=UTC)  # 07:00 CEST


def test_a_span_within_one_day_and_bad_spans() -> None:
    lunch = QuietHours(*parse_span("12:00-13:00"), ZoneInfo("UTC"), frozenset())
    assert lunch.release_at(datetime(2026, 3, 3, 12, 30, tzinfo=UTC)) == datetime(
        2026, 3, 3, 13, 0, tzinfo=UTC
    )
    assert lunch.release_at(datetime(2026, 3, 3, 23, 0, tzinfo=UTC)) is None
    assert parse_span("22:00-24:00") == (time(22), time(0))
    for bad in ("22-07", "25:00-07:00", "07:00-07:00", ""):
        with pytest.raises(ValueError):
            parse_span(bad)


FILE = contract_file(
    gold="""
        calendar: 24x7
        alerts:
          channel: C0ALERTS01
          quiet_hours: QUIET
        targets: {P1: {first_response: 1h}, P3: {first_response: 8h}}
    """
)


def test_the_contract_files_quiet_hours() -> None:
    book = load_contracts_text(FILE.replace("QUIET", '{hours: "22:00-07:00", timezone: Europe/Berlin}'))
    quiet = book.contracts["gold"].versions[0].alerts.quiet_hours
    assert quiet is not None and quiet.page == frozenset({"P1"})  # the most urgent priority pages
    assert (quiet.start, quiet.end, quiet.timezone.key) == (time(22), time(7), "Europe/Berlin")
    assert "quiet hours 22:00-07:00 Europe/Berlin (breaches that page: P1)" in alert_lines(book)[0]
    utc = load_contracts_text(FILE.replace("QUIET", '{hours: "23:00-06:00", page: [P1, P3]}'))
    assert utc.contracts["gold"].versions[0].alerts.quiet_hours.timezone.key == "UTC"  # the calendar's
    for bad, said in (
        ('{hours: "22-07"}', "22:00-07:00"),
        ('{hours: "22:00-07:00", page: [P9]}', "unknown priority 'P9'"),
        ('{hours: "22:00-07:00", timezone: Mars/Olympus}', "time zone"),
    ):
        with pytest.raises(ContractFileError) as caught:
            load_contracts_text(FILE.replace("QUIET", bad))
        assert any(said in str(e) and "quiet_hours" in str(e) for e in caught.value.errors), (
            caught.value.errors
        )
