"""The weekly summary's content: compliance with trends, top breaches, risk, feedback, uptime, credits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sla.compliance import compliance_table
from sla.contracts import load_contracts_text
from sla.credits import credits_for_month
from sla.periods import parse_period, previous
from sla.summary import AtRisk, Section, Summary, daily_counts, top_breaches, trend_arrow, weekly_summary
from sla.uptime import Incident, uptime
from tests.support.contract_file import contract_file
from tests.support.shared_data import ITSM_CONTRACTS, SERVICENOW, shared
from tests.support.timer_rows import TimerFields

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # Monday morning
WEEK = parse_period("week", now=NOW, tz="Europe/Berlin")  # 2026-W47


@dataclass(frozen=True)
class Row(TimerFields):
    stopped_at: datetime | None
    breached_at: datetime | None = None
    cycle: int = 1
    started_at: datetime = datetime(2026, 11, 16, 8, tzinfo=UTC)
    paused_seconds: int = 0


def d(day: int, hour: int = 12) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=UTC)


def this_week() -> list[Row]:
    return [
        Row("T-1", "acme", "P1", "first_response", "met", 600, 900, d(16)),
        Row("T-2", "acme", "P1", "first_response", "met", 300, 900, d(17)),
        Row("T-3", "acme", "P1", "first_response", "met", 900, 900, d(17)),
        Row("T-4", "acme", "P1", "first_response", "breached", 2700, 900, d(18), d(18, 11)),
        Row("T-5", "globex", "P2", "resolution", "breached", 86400 + 8100, 86400, None, d(19, 9)),
        Row("T-6", "acme", "P2", "resolution", "met", 3600, 86400, d(20)),
        Row("T-7", "acme", "P2", "resolution", "cancelled", 0, 86400, d(20)),
        Row("T-8", "acme", "P3", "resolution", "running", 100, 86400, None),
    ]


def last_week() -> list[Row]:
    return [
        Row("S-1", "acme", "P1", "first_response", "met", 600, 900, d(10)),
        Row("S-2", "acme", "P1", "first_response", "breached", 1200, 900, d(10), d(10, 9)),
        Row("S-3", "acme", "P2", "resolution", "met", 3600, 86400, d(11)),
    ]


def table(rows: list[Row]):  # noqa: ANN201
    return compliance_table(rows, group_by=("priority", "metric"))


def test_trend_arrows() -> None:
    assert trend_arrow(None) == ""
    assert trend_arrow(25.0) == "▲ +25 pp"
    assert trend_arrow(-50.0) == "▼ -50 pp"
    assert trend_arrow(0.4) == "＝"


def test_top_breaches_are_the_latest_first() -> None:
    top = top_breaches(this_week())
    assert [(b.ticket_id, b.over, b.running) for b in top] == [
        ("T-5", timedelta(seconds=8100), True),
        ("T-4", timedelta(seconds=1800), False),
    ]
    assert len(top_breaches(this_week(), limit=1)) == 1


def test_daily_counts_use_the_local_day() -> None:
    rows = [
        Row("A", "acme", "P1", "first_response", "met", 1, 900, datetime(2026, 11, 16, 23, 30, tzinfo=UTC)),
        Row(
            "B",
            "acme",
            "P1",
            "first_response",
            "breached",
            1,
            900,
            None,
            datetime(2026, 11, 16, 22, tzinfo=UTC),
        ),
        Row("C", "acme", "P2", "resolution", "running", 1, 900, None),
    ]
    # 23:30 UTC on the 16th is already the 17th in Berlin; 22:00 UTC is 23:00 on the 16th
    assert daily_counts(rows, "Europe/Berlin") == [
        (date(2026, 11, 16), "P1", 0, 1),
        (date(2026, 11, 17), "P1", 1, 0),
    ]


def test_the_whole_summary_text() -> None:
    nov = parse_period("2026-11", now=datetime(2026, 12, 2, tzinfo=UTC), tz="UTC")
    platform = uptime(
        "Platform",
        [Incident("Platform", d(3), d(3) + timedelta(minutes=90))],
        [],
        nov,
        datetime(2026, 12, 2, tzinfo=UTC),
        target_percent=99.9,
    )
    book = load_contracts_text(
        contract_file(
            calendars="always: {timezone: UTC, hours: 24x7}",
            clients="acme: {name: Acme, channels: [C0SUPPORT1], contract: gold, monthly_fee: 12000, currency: EUR}",
            gold="""
                calendar: always
                targets: {P1: {first_response: 15m}}
                credits: {uptime_tiers: [{below: 99.9, credit: 10}], per_breach: {P1: 2}, cap: 30}
            """,
        )
    )
    statement = credits_for_month(
        book.client("acme"),
        book.version_for("acme", d(1)),
        nov,
        [platform],
        [("T-4", "P1", "first_response", d(18, 11))],
        datetime(2026, 12, 2, tzinfo=UTC),
    )
    summary = weekly_summary(
        WEEK,
        table(this_week()),
        table(last_week()),
        breaches=top_breaches(this_week()),
        at_risk=[
            AtRisk("T-9", "acme", "P1", "resolution", timedelta(minutes=20)),
            AtRisk("T-8", "acme", "P3", "resolution", timedelta(hours=2)),
        ],
        feedback={"csat": 88, "responses": 17, "nps": 12, "sentiment": 0.21},
        uptime=[platform],
        credits=[statement],
        link_for=lambda t: f"https://slack.example/{t}" if t == "T-5" else None,
        now=NOW,
    )
    assert summary.text() == "\n".join(
        [
            "*SLA summary — 2026-W47 (Mon 16 Nov – Sun 22 Nov 2026, Europe/Berlin)*",
            "",
            "*Compliance*",
            "All: 67 % met (4/6), 1 open",
            "P1 first response: 75 % ▲ +25 pp · 3 met, 1 breached · median 12m 30s",
            "P2 resolution: 50 % ▼ -50 pp · 1 met, 1 breached · median 1h",
            "P3 resolution: nothing decided yet (1 open)",
            "",
            "*Top breaches*",
            "<https://slack.example/T-5|T-5> globex P2 resolution: 2h 15m late and counting",
            "T-4 acme P1 first response: 30m late",
            "",
            "*At risk now (Mon 09:00)*",
            "T-9 acme P1 resolution: 20m left",
            "T-8 acme P3 resolution: 2h left",
            "",
            "*Feedback*",
            "CSAT 88 % (17 responses)",
            "NPS +12",
            "Sentiment +0.21 (positive)",
            "",
            "*Uptime*",
            "Platform: 99.79 % (target 99.9 %) ✗ · 1h 30m down, 1 incident",
            "",
            "*Credits*",
            "acme 2026-11: EUR 1,440.00 (12 %) owed, claim by 2026-12-30",
        ]
    )
    assert summary.section("Uptime") is not None
    assert summary.text(markdown=False).splitlines()[2] == "Compliance:"


def test_a_quiet_week() -> None:
    summary = weekly_summary(WEEK, [], [], client="acme")
    assert summary.title.startswith("SLA summary — acme, 2026-W47")
    assert [s.heading for s in summary.sections] == ["Compliance", "Top breaches", "At risk now"]
    assert summary.sections[0].lines == ("No SLA timers in this period.",)
    assert summary.sections[1].lines == ("No breaches.",)


def test_chunks_stay_under_the_block_limit_and_keep_every_line() -> None:
    lines = tuple(f"T-{i:04d} acme P1 first response: {i}m late" for i in range(400))
    many = Summary("Title", [Section("Top breaches", lines)])
    chunks = many.chunks(limit=3000)
    assert len(chunks) > 1
    assert all(len(c) <= 3000 for c in chunks)
    assert "\n".join(chunks).count("late") == 400


# ------------------------------------------------------------------- on the shared ServiceNow log

CONTRACT = ITSM_CONTRACTS


def test_summary_of_a_week_of_the_servicenow_log() -> None:
    shared(SERVICENOW)
    from sla.datasets import servicenow_events
    from sla.replay import replay

    with SERVICENOW.open(encoding="utf-8") as f:
        log = servicenow_events(f)
    result = replay(load_contracts_text(CONTRACT), log.events)
    week = parse_period("2016-W09", now=datetime(2016, 6, 1, tzinfo=UTC), tz="UTC")
    in_week = [r for r in result.rows if week.contains(r.started_at)]
    before = [r for r in result.rows if previous(week).contains(r.started_at)]
    assert len(in_week) > 1000  # nearly the whole sample opened in that week
    current = table(in_week)
    summary = weekly_summary(week, current, table(before), breaches=top_breaches(in_week))
    # the summary's totals agree with the rows, counted independently
    met = sum(1 for r in in_week if r.state == "met")
    breached = sum(
        1 for r in in_week if r.state != "cancelled" and r.breached_at is not None and r.state != "met"
    )
    assert (
        summary.sections[0]
        .lines[0]
        .startswith(f"All: {100 * met / (met + breached):.0f} % met ({met}/{met + breached})")
    )
    worst = max(r.business_elapsed_seconds - r.target_seconds for r in in_week if r.breached_at is not None)
    assert top_breaches(in_week)[0].over == timedelta(seconds=worst)
    counted = daily_counts(in_week, "UTC")
    assert sum(c[2] for c in counted) == met and sum(c[3] for c in counted) == breached
    assert all(len(line) < 110 for line in summary.text().splitlines())
    assert all(len(chunk) <= 3000 for chunk in summary.chunks())
