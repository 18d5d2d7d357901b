"""Reports never fail on real data: a zero median (a reply outside business hours takes 0 s of business
time) renders ``0s``, a missing one ``—``; a weekly summary whose build fails says why in the log and in
``/sla admin alerts`` and stops retrying; the CSV names what it counts; windows include today."""

from __future__ import annotations

import csv
import io
import logging
from datetime import UTC, datetime, timedelta

import pytest

from bot.reports.delivery import MAX_ATTEMPTS, WEEKLY_KIND, WeeklySummaryJob
from bot.reports.table import format_report_table
from bot.services.reports import ReportService
from sla.compliance import compliance_table
from sla.periods import Period, in_zone, last_days, parse_period
from tests.bot.conftest import MONDAY_9_BERLIN, TEAM, World

SATURDAY_10_BERLIN = MONDAY_9_BERLIN - timedelta(days=2) + timedelta(hours=1)
WEEK = Period(MONDAY_9_BERLIN - timedelta(days=7), MONDAY_9_BERLIN + timedelta(days=7), "two weeks")


def test_a_reply_outside_business_hours_reports_a_zero_median(world: World) -> None:
    world.clock.set(SATURDAY_10_BERLIN)
    ref = world.open("P2")  # office hours only: Saturday counts no business time
    world.clock.advance(timedelta(hours=1))
    world.tickets.record(team_id=TEAM, ref=ref, kind="agent_message", actor="U0AGENT001")
    world.clock.set(MONDAY_9_BERLIN + timedelta(days=1))
    report = ReportService(uow=world.uow, book=world.book, clock=world.clock).build(team_id=TEAM, period=WEEK)
    line = next(x for x in report.lines if x.metric == "first_response")
    assert (line.met, line.median_to_meet, line.p90_to_meet) == (1, timedelta(0), timedelta(0))
    table = report.text().split("Compliance table:")[1]
    assert (
        "acme    P2    first resp.        1       1    1         0  100.0      0s   0s       0    new"
        in table
    )
    [row] = [r for r in csv.DictReader(io.StringIO(report.csv())) if r["metric"] == "first_response"]
    assert (row["tickets"], row["cycles"], row["median_to_meet_seconds"]) == ("1", "1", "0")


def test_missing_and_sub_second_medians_render() -> None:
    class Row:
        ticket_id, client, priority, metric, cycle, target_seconds = "T-1", "acme", "P1", "resolution", 1, 60
        started_at = datetime(2026, 3, 2, tzinfo=UTC)
        stopped_at, business_elapsed_seconds, state, breached_at, paused_seconds = (
            None,
            70,
            "breached",
            None,
            0,
        )

    Row.breached_at = Row.started_at + timedelta(minutes=1)
    [line] = compliance_table([Row()])
    assert line.median_to_meet is None
    assert "—" in format_report_table([line])[2]


def test_a_failing_weekly_summary_says_why_and_stops_retrying(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    class Broken(ReportService):
        calls = 0

        def build(self, **kw: object):  # type: ignore[no-untyped-def, override]
            Broken.calls += 1
            raise RuntimeError("the disk is full")

    with world.uow.begin() as tx:
        tx.workspaces.upsert(team_id=TEAM, name="Acme support", installed_at=MONDAY_9_BERLIN)
    service = Broken(uow=world.uow, book=world.book, clock=world.clock)
    job = WeeklySummaryJob(
        uow=world.uow,
        service=service,
        clock=world.clock,
        clients=lambda _t: None,
        channel="C0MANAGERS",
        tz="UTC",
    )
    world.clock.set(MONDAY_9_BERLIN + timedelta(hours=2))  # Monday 10:00 UTC: last week's summary is due
    with caplog.at_level(logging.ERROR, logger="bot.reports.delivery"):
        for _ in range(MAX_ATTEMPTS + 5):
            assert job.run_once() == []
            world.clock.advance(timedelta(minutes=1))
    assert Broken.calls == MAX_ATTEMPTS
    assert sum("the disk is full" in r.getMessage() for r in caplog.records) == MAX_ATTEMPTS
    assert "not retried" in caplog.records[-1].getMessage()
    with world.uow.begin(read_only=True) as tx:
        [run] = tx.report_runs.failures(team_id=TEAM)
    assert (run.kind, run.attempts, run.failed_at is not None) == (WEEKLY_KIND, MAX_ATTEMPTS, True)
    assert run.last_error == "RuntimeError: the disk is full"


def test_last_30_days_include_today() -> None:
    now = datetime(2026, 3, 31, 21, 30, tzinfo=UTC)  # 23:30 on 31 March in Berlin
    period = last_days(30, now=now, tz="Europe/Berlin")
    assert period.contains(now) and period.contains(now + timedelta(minutes=29))
    assert period.first_day.isoformat() == "2026-03-02" and period.last_day.isoformat() == "2026-03-31"
    assert parse_period("last-30-days", now=now, tz="Europe/Berlin") == period
    assert parse_period("30d", now=now, tz="Europe/Berlin") == period


def test_the_same_month_on_each_clients_calendar() -> None:
    now = datetime(2026, 4, 15, tzinfo=UTC)
    march = parse_period("2026-03", now=now, tz="UTC")
    berlin, new_york = in_zone(march, "Europe/Berlin", now=now), in_zone(march, "America/New_York", now=now)
    assert berlin.start == datetime(2026, 2, 28, 23, tzinfo=UTC) and berlin.end == datetime(
        2026, 3, 31, 22, tzinfo=UTC
    )
    assert new_york.start == datetime(2026, 3, 1, 5, tzinfo=UTC) and new_york.end == datetime(
        2026, 4, 1, 4, tzinfo=UTC
    )
