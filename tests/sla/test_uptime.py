"""Uptime: downtime is the union of incidents, maintenance is left out of the measurement."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sla.contracts import load_contracts_text
from sla.periods import Period, parse_period
from sla.uptime import (
    Incident,
    MaintenanceWindow,
    merge_intervals,
    subtract_intervals,
    target_for_service,
    uptime,
    uptime_for_version,
)
from tests.support.contract_file import contract_file

NOV = parse_period("2026-11", now=datetime(2026, 12, 5, tzinfo=UTC), tz="UTC")
AFTER = datetime(2026, 12, 5, tzinfo=UTC)
MONTH_S = 30 * 86400  # 2,592,000 s


def at(day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, second, tzinfo=UTC)


def test_no_incident_is_full_uptime() -> None:
    f = uptime("api", [], [], NOV, AFTER, target_percent=99.9)
    assert (f.total_seconds, f.downtime_seconds, f.uptime_percent, f.met) == (MONTH_S, 0, 100.0, True)


def test_43m12s_down_in_a_30_day_month_is_exactly_99_9() -> None:
    f = uptime("api", [Incident("api", at(3, 10), at(3, 10, 43, 12))], [], NOV, AFTER, target_percent=99.9)
    assert f.downtime_seconds == 2592
    assert f.uptime_percent == pytest.approx(99.9)
    assert f.met is True


def test_overlapping_incidents_count_once_and_other_services_do_not_count() -> None:
    incidents = [
        Incident("api", at(3, 10), at(3, 11)),
        Incident("api", at(3, 10, 30), at(3, 12)),  # overlaps the first: union is 10:00–12:00
        Incident("api", at(3, 12), at(3, 12, 30)),  # touches: union 10:00–12:30
        Incident("web", at(4), at(5)),
    ]
    f = uptime("api", incidents, [], NOV, AFTER)
    assert f.downtime_seconds == 2.5 * 3600
    assert f.uptime_percent == pytest.approx((MONTH_S - 9000) / MONTH_S * 100)
    assert f.met is None and f.target_percent is None
    assert [i.service for i in f.incidents] == ["api", "api", "api"]


def test_incidents_are_clipped_to_the_period() -> None:
    incidents = [
        Incident("api", datetime(2026, 10, 31, 23, tzinfo=UTC), at(1, 1)),  # 1 h inside November
        Incident("api", at(30, 23, 30), datetime(2026, 12, 1, 2, tzinfo=UTC)),  # 30 min inside
    ]
    f = uptime("api", incidents, [], NOV, AFTER)
    assert f.downtime_seconds == 5400


def test_maintenance_is_excluded_from_the_measured_time_and_from_downtime() -> None:
    maintenance = [MaintenanceWindow(at(10, 2), at(10, 4), ("api",), "DB upgrade")]
    incidents = [
        Incident("api", at(10, 2, 30), at(10, 3)),  # entirely within maintenance: not downtime
        Incident("api", at(10, 3, 30), at(10, 5)),  # 04:00–05:00 is outside: 1 h down
    ]
    f = uptime("api", incidents, maintenance, NOV, AFTER, target_percent=99.9)
    assert f.excluded_maintenance_seconds == 7200
    assert f.total_seconds == MONTH_S - 7200
    assert f.downtime_seconds == 3600
    assert f.uptime_percent == pytest.approx((MONTH_S - 7200 - 3600) / (MONTH_S - 7200) * 100)
    # 3600 / 2,584,800 s = 0.139 % down: 99.861 % misses 99.9 %
    assert round(f.uptime_percent, 4) == 99.8607
    assert f.met is False


def test_exactly_on_target_is_met() -> None:
    f = uptime("api", [Incident("api", at(3), at(3, 0, 43, 12))], [], NOV, AFTER, target_percent=99.9)
    assert f.met is True


def test_maintenance_for_other_services_does_not_apply_but_empty_services_means_all() -> None:
    other = [MaintenanceWindow(at(10), at(11), ("web",))]
    everyone = [MaintenanceWindow(at(10), at(11), ())]
    incident = [Incident("api", at(10), at(11))]
    assert uptime("api", incident, other, NOV, AFTER).downtime_seconds == 86400
    assert uptime("api", incident, everyone, NOV, AFTER).downtime_seconds == 0
    assert uptime("api", incident, everyone, NOV, AFTER).uptime_percent == 100.0


def test_planned_incidents_count_as_maintenance() -> None:
    incidents = [Incident("api", at(10, 2), at(10, 4), planned=True), Incident("api", at(10, 3), at(10, 5))]
    f = uptime("api", incidents, [], NOV, AFTER)
    assert (f.excluded_maintenance_seconds, f.downtime_seconds) == (7200, 3600)


def test_ongoing_incident_ends_now_and_the_period_is_measured_up_to_now() -> None:
    now = at(2, 0)  # the month is one day old
    this_month = Period(at(1), datetime(2026, 12, 1, tzinfo=UTC), "2026-11")
    f = uptime("api", [Incident("api", at(1, 18), None, reason="db down")], [], this_month, now)
    assert f.total_seconds == 86400
    assert f.downtime_seconds == 6 * 3600
    assert f.uptime_percent == pytest.approx(75.0)


def test_period_not_started_yet_measures_nothing_and_reports_100() -> None:
    f = uptime("api", [], [], NOV, at(1) - timedelta(days=3))
    assert (f.total_seconds, f.uptime_percent) == (0, 100.0)


def test_incident_ending_before_its_start_is_refused() -> None:
    with pytest.raises(ValueError, match="ends before it starts"):
        Incident("api", at(2), at(1))


def test_interval_algebra() -> None:
    a = [(at(1, 1), at(1, 3)), (at(1, 2), at(1, 4)), (at(1, 6), at(1, 7))]
    assert merge_intervals(a) == [(at(1, 1), at(1, 4)), (at(1, 6), at(1, 7))]
    assert subtract_intervals(a, [(at(1, 2), at(1, 6, 30))]) == [
        (at(1, 1), at(1, 2)),
        (at(1, 6, 30), at(1, 7)),
    ]


CONTRACT = contract_file(
    calendars="always: {timezone: UTC, hours: 24x7}",
    clients="acme: {name: Acme, channels: [C0SUPPORT1], contract: gold, monthly_fee: 12000, currency: EUR}",
    gold="""
        calendar: always
        services:
          - {name: Platform, description: the platform, uptime_target: 99.95}
          - {name: Support desk, description: e-mail support}
          - {name: Reports, description: monthly reports}
        uptime:
          target: 99.5
          maintenance:
            - {start: "2026-11-10T02:00:00Z", end: "2026-11-10T04:00:00Z", services: [Platform]}
        targets:
          P1: {first_response: 15m}
    """,
)


def test_uptime_for_a_contract_version_uses_its_targets_and_maintenance() -> None:
    version = load_contracts_text(CONTRACT).version_for("acme", at(1))
    assert target_for_service(version, "Platform") == 99.95
    assert target_for_service(version, "Support desk") == 99.5
    figures = uptime_for_version(version, [Incident("Platform", at(10, 3), at(10, 5))], NOV, AFTER)
    assert [(f.service, f.target_percent) for f in figures] == [
        ("Platform", 99.95),
        ("Support desk", 99.5),
        ("Reports", 99.5),
    ]
    platform = figures[0]
    assert (platform.downtime_seconds, platform.excluded_maintenance_seconds) == (3600, 7200)


# ---------------------------------------------------------------------------------- properties

DAY = Period(at(1), at(2), "2026-11-01")
NOW_PROP = at(3)


@st.composite
def incidents(draw: st.DrawFn) -> Incident:
    start = draw(st.integers(-3600, 90000))
    length = draw(st.integers(0, 40000))
    ongoing = draw(st.booleans())
    begin = at(1) + timedelta(seconds=start)
    return Incident("api", begin, None if ongoing else begin + timedelta(seconds=length))


@st.composite
def windows(draw: st.DrawFn) -> MaintenanceWindow:
    start = draw(st.integers(0, 86400))
    length = draw(st.integers(1, 20000))
    begin = at(1) + timedelta(seconds=start)
    return MaintenanceWindow(begin, begin + timedelta(seconds=length), ("api",))


@settings(deadline=None, max_examples=80)
@given(st.lists(incidents(), max_size=6), st.lists(windows(), max_size=3), st.integers(0, 2 * 86400))
def test_uptime_is_a_percentage_and_downtime_fits_in_the_measured_time(
    found: list[Incident], maintenance: list[MaintenanceWindow], now_offset: int
) -> None:
    now = at(1) + timedelta(seconds=now_offset)
    f = uptime("api", found, maintenance, DAY, now)
    assert 0.0 <= f.uptime_percent <= 100.0
    assert 0 <= f.downtime_seconds <= f.total_seconds <= 86400


@settings(deadline=None, max_examples=80)
@given(st.lists(incidents(), min_size=1, max_size=6), st.lists(windows(), max_size=3))
def test_duplicated_incidents_are_never_double_counted(
    found: list[Incident], maintenance: list[MaintenanceWindow]
) -> None:
    once = uptime("api", found, maintenance, DAY, NOW_PROP)
    twice = uptime("api", found + found, maintenance, DAY, NOW_PROP)
    assert twice.downtime_seconds == once.downtime_seconds
    # the union is never more than the sum of the parts
    separate = sum(uptime("api", [i], maintenance, DAY, NOW_PROP).downtime_seconds for i in found)
    assert once.downtime_seconds <= separate


@settings(deadline=None, max_examples=80)
@given(st.lists(incidents(), max_size=6), incidents(), st.lists(windows(), max_size=3))
def test_adding_an_incident_never_increases_uptime(
    found: list[Incident], extra: Incident, maintenance: list[MaintenanceWindow]
) -> None:
    before = uptime("api", found, maintenance, DAY, NOW_PROP)
    after = uptime("api", [*found, extra], maintenance, DAY, NOW_PROP)
    assert after.uptime_percent <= before.uptime_percent
