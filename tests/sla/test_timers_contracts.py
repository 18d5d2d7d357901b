"""The timers with real contract versions from the contract file (sla.contracts), not fakes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from sla.alert_points import alert_points, next_alert_at
from sla.contracts import load_contracts_text
from sla.metrics import EventKind, Metric, TimerState
from sla.timer_values import EventError, TicketEvent
from sla.timers import TicketClock, evaluate, explain
from tests.support.contract_file import contract_file

CONTRACTS = contract_file(
    agents="{users: [U0AGENT001], usergroup: S0AGENTS01}",
    calendars="""
        berlin-office: {timezone: Europe/Berlin, hours: {mon: ["09:00-17:00"], tue: ["09:00-17:00"], wed: ["09:00-17:00"], thu: ["09:00-17:00"], fri: ["09:00-17:00"]}, holidays: {country: DE, subdivision: BE}}
        always: {timezone: UTC, hours: 24x7}
    """,
    clients="acme: {name: Acme Corp, channels: [C0SUPPORT1], contract: gold}",
    gold="""
        services:
          - {name: Platform support, description: Slack and e-mail support for the Acme platform}
        calendar: berlin-office
        statuses: [waiting_on_vendor]
        pause_on: [waiting_on_client, waiting_on_vendor]
        warn_at: ["50%", "75%", "90%", "15m"]
        alerts:
          channel: C0ALERTS01
          escalate_to: S0LEADS001
          escalation:
            - {after: 30m, notify: [U0MANAGER1]}
        default_priority: P3
        targets:
          P1: {first_response: 15m, resolution: 4h, calendar: always}
          P2: {first_response: 1h, next_response: 2h, resolution: 1d}
          P3: {first_response: 4h, resolution: 3d}
    """,
)


@pytest.fixture(scope="module")
def version():  # type: ignore[no-untyped-def]
    book = load_contracts_text(CONTRACTS)
    return book.version_for("acme", datetime(2026, 3, 2, tzinfo=UTC))


def berlin(day: int, hour: int, minute: int = 0) -> datetime:
    """Wall-clock Berlin time in March 2026 (CET, UTC+1) as UTC."""
    return datetime(2026, 3, day, hour - 1, minute, tzinfo=UTC)


def ev(when: datetime, kind: str, **kw: str) -> TicketEvent:
    return TicketEvent("T9", when, EventKind(kind), **kw)


def test_real_version_drives_the_clock(version) -> None:  # type: ignore[no-untyped-def]
    assert version.effective == date(2026, 1, 1)
    events = [
        ev(berlin(6, 16), "opened"),  # Friday 16:00, default P3 on office hours
        ev(berlin(6, 16, 30), "status", status="waiting_on_vendor"),
        ev(berlin(9, 10), "status", status="open"),  # Monday 10:00
    ]
    timers = {t.metric: t for t in evaluate(events, version, berlin(9, 11))}
    fr = timers[Metric.FIRST_RESPONSE]
    assert fr.priority == "P3" and fr.calendar_name == "berlin-office"
    assert fr.business_elapsed == timedelta(hours=1, minutes=30)
    assert fr.state is TimerState.RUNNING
    assert fr.due_at == berlin(9, 13, 30)  # 2h30m left from Monday 11:00
    keys = [p.key for p in alert_points(fr, version)]
    assert keys == [
        "first_response:1:50%",
        "first_response:1:75%",
        "first_response:1:90%",
        "first_response:1:15m-before",
        "first_response:1:breach",
        "first_response:1:escalation-1",
    ]
    points = {p.threshold: p.at for p in alert_points(fr, version)}
    assert points["50%"] == berlin(9, 11, 30)  # 2h: 30m on Friday + 1h30m on Monday
    assert points["escalation-1"] == berlin(9, 14)
    assert next_alert_at(fr, version, berlin(9, 11)) == berlin(9, 11, 30)
    assert next_alert_at(fr, version, berlin(9, 11, 30)) == points["75%"] == berlin(9, 12, 30)


def test_real_version_rejects_unknown_status_and_priority(version) -> None:  # type: ignore[no-untyped-def]
    clock = TicketClock(version)
    clock.apply(ev(berlin(2, 10), "opened", priority="P1"))
    with pytest.raises(EventError, match="unknown priority 'P5'"):
        clock.apply(ev(berlin(2, 11), "priority", priority="P5"))
    with pytest.raises(EventError, match="unknown status 'waiting_on_vendr'"):
        clock.apply(ev(berlin(2, 11), "status", status="waiting_on_vendr"))
    with pytest.raises(EventError, match="send a 'resolved' event"):
        clock.apply(ev(berlin(2, 11), "status", status="resolved"))
    clock.apply(ev(berlin(2, 11), "status", status="on_hold"))  # known, does not pause here
    assert {t.state for t in clock.timers(berlin(2, 11))} == {TimerState.BREACHED, TimerState.RUNNING}


def test_real_version_retargets_from_24x7_to_office_hours(version) -> None:  # type: ignore[no-untyped-def]
    events = [
        ev(berlin(6, 20), "opened", priority="P1"),  # Friday 20:00, 24x7 resolution 4h
        ev(berlin(6, 21), "priority", priority="P3"),  # 1h counted, then office hours (3d = 72h)
    ]
    res = {t.metric: t for t in evaluate(events, version, berlin(9, 12))}[Metric.RESOLUTION]
    assert res.calendar_name == "berlin-office" and res.target == timedelta(days=3)
    assert res.business_elapsed == timedelta(hours=1 + 3)  # Monday 09:00-12:00
    story = explain(events, version, berlin(9, 12))
    assert any(e.effect == "retargeted" and "4h -> 3d" in e.detail for e in story)
