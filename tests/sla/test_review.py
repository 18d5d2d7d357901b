"""The SLA review: targets against actuals, breach clusters, recommendations and the revision."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import yaml

from sla.compliance import compliance_table
from sla.contracts import ContractBook, load_contracts_text
from sla.credits import credits_for_month
from sla.periods import parse_period
from sla.review import (
    breach_cluster,
    compare_compliance,
    propose_revision,
    propose_target,
    review,
    revised_targets_yaml,
    revised_version_yaml,
    round_up_target,
    yaml_diff,
)
from tests.support.contract_file import contract_file
from tests.support.timer_rows import TimerFields

CONTRACT = contract_file(
    calendars="""
        berlin: {timezone: Europe/Berlin, hours: 24x7}
        always: {timezone: UTC, hours: 24x7}
    """,
    clients="acme: {name: Acme, channels: [C0SUPPORT1], contract: gold, monthly_fee: 12000, currency: EUR}",
    gold="""
        calendar: berlin
        targets:
          P1: {first_response: 15m, resolution: 4h, calendar: always}
          P2: {first_response: 1h, resolution: 1d}
          P3: {first_response: 4h, resolution: 3d}
        objectives:
          - {metric: first_response, priority: P2, target: 90}
        credits:
          per_breach: {P2: 1}
    """,
)
BERLIN = ZoneInfo("Europe/Berlin")
Q3 = parse_period("2026-Q3", now=datetime(2026, 10, 5, tzinfo=UTC), tz=BERLIN)


@dataclass(frozen=True)
class Row(TimerFields):
    breached_at: datetime | None = None
    cycle: int = 1
    started_at: datetime = datetime(2026, 7, 1, tzinfo=UTC)
    stopped_at: datetime | None = datetime(2026, 7, 2, tzinfo=UTC)
    paused_seconds: int = 0


def berlin(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 7, day, hour, minute, tzinfo=BERLIN)


def rows() -> list[Row]:
    out: list[Row] = []
    # P2 first response (1h): 4 met, 6 breached; four breaches on Mondays 09:00–11:00 Berlin
    for i, s in enumerate([1800, 2400, 3000, 3600]):
        out.append(Row(f"A{i}", "acme", "P2", "first_response", "met", s, 3600))
    breached = [
        (4200, berlin(6, 9, 10)),
        (4800, berlin(6, 9, 40)),
        (4800, berlin(13, 10, 20)),
        (5400, berlin(13, 10, 50)),
        (6000, berlin(9, 15)),
        (7200, berlin(16, 15, 30)),
    ]
    for i, (s, at) in enumerate(breached):
        out.append(Row(f"B{i}", "acme", "P2", "first_response", "breached", s, 3600, at))
    # P3 resolution (3d): all met, far below target
    for i, h in enumerate([10, 12, 14, 14, 16, 18]):
        out.append(Row(f"C{i}", "acme", "P3", "resolution", "met", h * 3600, 3 * 86400))
    # P2 resolution (1d): met at around 20h — fine as it is
    for i in range(5):
        out.append(Row(f"D{i}", "acme", "P2", "resolution", "met", 20 * 3600 + i * 60, 86400))
    # P1 first response: only three decided
    for i in range(3):
        out.append(Row(f"E{i}", "acme", "P1", "first_response", "met", 300, 900))
    # noise that must not count
    out.append(Row("X1", "other", "P2", "first_response", "breached", 9000, 3600, berlin(7, 3)))
    out.append(Row("X2", "acme", "P2", "first_response", "cancelled", 0, 3600, None))
    return out


@pytest.fixture(scope="module")
def book() -> ContractBook:
    return load_contracts_text(CONTRACT)


def test_round_targets() -> None:
    assert round_up_target(timedelta(minutes=10)) == timedelta(minutes=15)
    assert round_up_target(timedelta(minutes=60)) == timedelta(hours=1)
    assert round_up_target(timedelta(minutes=61)) == timedelta(hours=2)
    assert round_up_target(timedelta(hours=24)) == timedelta(days=1)
    assert round_up_target(timedelta(hours=25)) == timedelta(days=2)
    assert round_up_target(timedelta(0)) == timedelta(minutes=15)
    assert propose_target(timedelta(minutes=50)) == timedelta(hours=2)  # 75m → 2h


def test_lines_per_priority_and_metric(book: ContractBook) -> None:
    v = book.version_for("acme", Q3.start)
    r = review("acme", v, rows(), None, None, Q3)
    by = {(line.priority, line.metric): line for line in r.lines}
    assert list(by) == [
        ("P1", "first_response"),
        ("P1", "resolution"),
        ("P2", "first_response"),
        ("P2", "resolution"),
        ("P3", "first_response"),
        ("P3", "resolution"),
    ]
    p2 = by[("P2", "first_response")]
    assert (p2.decided, p2.met, p2.breached, p2.met_percent) == (10, 4, 6, 40.0)
    # sorted 1800 2400 3000 3600 4200 4800 4800 5400 6000 7200: median (4200+4800)/2, p90 6000+0.1·1200
    assert (p2.median, p2.p90) == (timedelta(seconds=4500), timedelta(seconds=6120))
    assert p2.expected_percent == 90.0  # the contract's objective for P2 first response
    assert p2.verdict == "missed"
    assert p2.proposal == timedelta(hours=3)  # 1.5 × 6120 s = 2h33m → 3h
    assert p2.breach_cluster == "Mon 09–11"
    p3 = by[("P3", "resolution")]
    assert (p3.verdict, p3.median, p3.proposal) == ("too_easy", timedelta(hours=14), timedelta(days=2))
    assert by[("P2", "resolution")].verdict == "ok"
    assert by[("P1", "first_response")].verdict == "too_few"
    assert by[("P1", "resolution")].verdict == "no_tickets"


def test_recommendations_are_worded_from_the_data(book: ContractBook) -> None:
    v = book.version_for("acme", Q3.start)
    r = review("acme", v, rows(), {"csat": 72, "responses": 40, "nps": -5}, None, Q3)
    assert r.recommendations == [
        "P1 first response: only 3 decided this period — too few to judge the target",
        "P2 first response met 40 % (expected 90 %), median 1h15m against a 1h target: "
        "add staff in the hours where breaches cluster (Mon 09–11) or loosen the target to 3h",
        "P3 resolution met 100 % with median at 19 % of target: the target could be tightened to 48h",
        "CSAT is 72 % (below 80 %): go through the negative comments with the client",
        "NPS is -5: more detractors than promoters — ask them what to change",
    ]


def test_heatmap_is_in_the_client_zone(book: ContractBook) -> None:
    r = review("acme", book.version_for("acme", Q3.start), rows(), None, None, Q3)
    assert r.timezone == "Europe/Berlin"
    assert (r.heatmap[0][9], r.heatmap[0][10], r.heatmap[3][15]) == (2, 2, 2)
    assert sum(map(sum, r.heatmap)) == 6  # the other client's breach is not counted
    assert r.heatmap_lines() == ["Mon  09h ×2  10h ×2", "Thu  15h ×2"]


def test_cluster_needs_two_breaches() -> None:
    grid = [[0] * 24 for _ in range(7)]
    assert breach_cluster(grid) is None
    grid[2][14] = 1
    assert breach_cluster(grid) is None
    grid[2][15] = 1
    assert breach_cluster(grid) == "Wed 14–16"
    grid[4][23] = 3  # a denser cell wins
    assert breach_cluster(grid) == "Fri 23–24"


def test_review_text_mentions_credits_and_feedback(book: ContractBook) -> None:
    v = book.version_for("acme", Q3.start)
    sept = parse_period("2026-09", now=datetime(2026, 10, 5, tzinfo=UTC), tz=BERLIN)
    statement = credits_for_month(
        book.client("acme"),
        v,
        sept,
        [],
        [("T-9", "P2", "first_response", datetime(2026, 9, 3, tzinfo=UTC))],
        datetime(2026, 10, 5, tzinfo=UTC),
    )
    r = review("acme", v, rows(), {"csat": 91, "sentiment": 0.31}, statement, Q3)
    text = r.text()
    assert text.splitlines()[0] == "SLA review — acme, 2026-Q3 (contract gold v1)"
    assert "• P2 first response: target 1h, met 40 % (4/10), median 1h 15m, p90 1h 42m" in text
    assert "• CSAT 91 %" in text and "• Sentiment +0.31 (positive)" in text
    assert "Service credits of EUR 120.00 are owed for 2026-09" in text


def test_proposal_yaml_and_diff(book: ContractBook) -> None:
    v = book.version_for("acme", Q3.start)
    proposal = propose_revision(v, review("acme", v, rows(), None, None, Q3))
    assert proposal == {"P2": {"first_response": timedelta(hours=3)}, "P3": {"resolution": timedelta(days=2)}}
    current = revised_targets_yaml(v, {})
    new = revised_targets_yaml(v, proposal)
    assert yaml.safe_load(current)["targets"]["P1"] == {
        "first_response": "15m",
        "resolution": "4h",
        "calendar": "always",
    }
    assert yaml.safe_load(new)["targets"]["P2"] == {"first_response": "3h", "resolution": "24h"}
    assert yaml.safe_load(new)["targets"]["P3"] == {"first_response": "4h", "resolution": "48h"}
    diff = yaml_diff(current, new)
    changed = [line for line in diff.splitlines() if line[:1] in "+-" and line[:3] not in ("+++", "---")]
    assert changed == [
        "-    first_response: 1h",
        "+    first_response: 3h",
        "-    resolution: 72h",
        "+    resolution: 48h",
    ]
    assert yaml_diff(current, current) == ""


def test_revised_version_loads_back_as_a_new_version(book: ContractBook) -> None:
    v = book.version_for("acme", Q3.start)
    text = revised_version_yaml(
        v, {"P2": {"first_response": timedelta(hours=3)}}, effective=date(2026, 10, 1)
    )
    item = yaml.safe_load(text)[0]
    assert item["effective"] == date(2026, 10, 1)
    assert item["targets"]["P2"]["first_response"] == "3h"
    # append the item to gold's versions list (it is the last key of the file) and reload
    merged = CONTRACT + "".join("      " + line + "\n" for line in text.splitlines())
    book2 = load_contracts_text(merged)
    v2 = book2.version_for("acme", datetime(2026, 10, 2, tzinfo=UTC))
    assert v2.number == 2
    assert v2.target_for("P2", "first_response").duration == timedelta(hours=3)


def test_compare_compliance_words_the_dry_run() -> None:
    before = compliance_table(rows(), group_by=("priority", "metric"))
    loosened = [
        Row(r.ticket_id, r.client, r.priority, r.metric, "met", r.business_elapsed_seconds, 3 * 3600)
        if (r.priority, r.metric, r.state) == ("P2", "first_response", "breached")
        else r
        for r in rows()
    ]
    after = compliance_table(loosened, group_by=("priority", "metric"))
    lines = compare_compliance(before, after)
    p2 = [line for line in lines if line.startswith("P2 first response")]
    # before: 4 met, 6 + 1 (other client) breached → 4/11; after, every breach became met
    assert p2 == ["P2 first response: 36.4 % → 100.0 % (+63.6 pp), breaches 7 → 0"]
    assert "P3 resolution: 100.0 % → 100.0 % (+0.0 pp), breaches 0 → 0" in lines
