"""The shipped examples/events.csv replayed through examples/contracts.yaml (the quick start)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from sla.compliance import compliance_table, format_table
from sla.contracts import load_contracts
from sla.replay import ReplayResult, read_events_csv, replay

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def result() -> ReplayResult:
    book = load_contracts(ROOT / "examples" / "contracts.yaml")
    with (ROOT / "examples" / "events.csv").open(newline="", encoding="utf-8") as f:
        events, errors = read_events_csv(f)
    assert errors == []
    return replay(book, events)


def timer(result: ReplayResult, ticket: str, metric: str, cycle: int = 1):  # noqa: ANN201
    [row] = [r for r in result.rows if (r.ticket_id, r.metric, r.cycle) == (ticket, metric, cycle)]
    return row


def test_the_example_file_is_clean(result: ReplayResult) -> None:
    assert result.errors == []
    assert (result.tickets, result.events, len(result.rows)) == (14, 62, 33)
    assert result.as_of == datetime(2026, 4, 9, 14, 0, tzinfo=UTC)


def test_stories_of_the_example(result: ReplayResult) -> None:
    # P1 runs 24x7, so a Saturday-night reply after 25 minutes breaches the 15m target
    a102 = timer(result, "A-102", "first_response")
    assert (a102.state, a102.business_elapsed_seconds) == ("breached", 25 * 60)
    # P3 -> P2 after 30 minutes keeps the 30 minutes: due 1h after opening, 15:00 Berlin
    a104 = timer(result, "A-104", "first_response")
    assert (a104.priority, a104.target_seconds, a104.state) == ("P2", 3600, "breached")
    assert a104.breached_at == datetime(2026, 3, 4, 14, 0, tzinfo=UTC)
    # opened Thursday 16:30 before Easter (Good Friday and Easter Monday are Berlin
    # holidays), answered Tuesday 09:20: 50 business minutes, met
    a105 = timer(result, "A-105", "first_response")
    assert (a105.state, a105.business_elapsed_seconds) == ("met", 50 * 60)
    # ... and still open at as_of, after two days waiting on the client
    a105r = timer(result, "A-105", "resolution")
    assert a105r.state == "running" and a105r.paused_seconds == 51 * 3600
    # reopened, second resolution cycle kept apart from the first
    assert timer(result, "A-106", "resolution", 2).business_elapsed_seconds == 14 * 3600
    # a client message answered after 4 business hours breaches next_response (2h)
    assert timer(result, "A-107", "next_response").state == "breached"
    # G-202: New York hours across a weekend and the DST switch (8 March 2026): 1h50m Friday
    # + 1h30m Monday = 3h20m against 2h, breached Monday 08:10 EDT
    g202 = timer(result, "G-202", "first_response")
    assert g202.business_elapsed_seconds == 200 * 60
    assert g202.breached_at == datetime(2026, 3, 9, 12, 10, tzinfo=UTC)
    # G-203: opened during New York's lunch break; only 13:00-13:20 counts
    assert timer(result, "G-203", "first_response").business_elapsed_seconds == 20 * 60
    # I-301: on hold pauses Initech's clocks (bronze pauses on_hold)
    assert timer(result, "I-301", "resolution").paused_seconds == 21 * 3600 + 30 * 60


def test_compliance_table_of_the_example(result: ReplayResult) -> None:
    lines = {line.key: line for line in compliance_table(result.rows)}
    fr = lines[("acme", "P2", "first_response")]
    assert (fr.tickets, fr.met, fr.breached, fr.compliance_percent) == (5, 4, 1, 80.0)
    nr = lines[("acme", "P2", "next_response")]
    assert (nr.met, nr.breached) == (2, 1)
    undecided = lines[("initech", "P3", "first_response")]
    assert (undecided.open, undecided.compliance_percent) == (1, None)
    by_metric = {line.key: line for line in compliance_table(result.rows, group_by=("metric",))}
    assert by_metric[("first_response",)].compliance_percent == pytest.approx(100 * 9 / 13)
    text = format_table(compliance_table(result.rows))
    assert text.splitlines()[0].startswith("client   priority  metric")
    assert len(text.splitlines()) == 2 + len(lines)
