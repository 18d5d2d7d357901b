"""Attainment objectives, error budgets and burn-rate alerts, on hand-computed outcome lists."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from sla.contracts import load_contracts_text
from sla.objectives import (
    Objective,
    attainment,
    burn_rate_alerts,
    outcomes_from_rows,
    scaled_rules,
)
from sla.periods import parse_period
from tests.support.contract_file import contract_file

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
NOV = parse_period("2026-11", now=datetime(2026, 12, 2, tzinfo=UTC), tz="UTC")  # 30 days: factor 1
W47 = parse_period("2026-W47", now=NOW, tz="UTC")
P1_FR = Objective("first_response", "P1", 0.95, "month")


def t(hour: int, minute: int = 0, day: int = 20) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


def test_attainment_and_error_budget() -> None:
    outcomes = [(t(9, i), True) for i in range(18)] + [(t(10), False), (t(11), False)]
    outcomes.append((datetime(2026, 10, 31, 23, tzinfo=UTC), False))  # October: ignored
    a = attainment(P1_FR, outcomes, NOV)
    assert (a.total, a.met, a.misses) == (20, 18, 2)
    assert a.ratio == pytest.approx(0.9)
    assert a.error_budget == 1.0  # 5 % of 20, exactly
    assert (a.budget_used, a.budget_remaining) == (2, -1.0)
    assert a.budget_used_ratio == 2.0
    assert a.objective_met is False


def test_budget_of_the_expected_volume() -> None:
    outcomes = [(t(9), True), (t(10), False)]
    a = attainment(P1_FR, outcomes, NOV, expected_total=100)
    assert (a.error_budget, a.budget_used, a.budget_remaining) == (5.0, 1, 4.0)


def test_exactly_on_target_is_met_and_no_outcome_is_unknown() -> None:
    outcomes = [(t(9, i), True) for i in range(19)] + [(t(10), False)]
    assert attainment(P1_FR, outcomes, NOV).objective_met is True  # 19/20 = 95 %
    empty = attainment(P1_FR, [], NOV)
    assert (empty.ratio, empty.objective_met, empty.error_budget) == (None, None, 0.0)


# 8 met between 06:30 and 10:00, then three misses in the last hour before 12:00
BURNING = [(t(6, 30), True), *[(t(7 + i // 2, 30 * (i % 2)), True) for i in range(6)], (t(10), True)] + [
    (t(11, 10), False),
    (t(11, 30), False),
    (t(11, 58), False),
]


def test_the_fast_burn_pages_and_the_slow_rule_files_a_ticket() -> None:
    assert sum(1 for _, met in BURNING if met) == 8
    alerts = burn_rate_alerts(P1_FR, BURNING, NOV, NOW)
    # 1h: 3 misses / 3 = 100 % → 1 / 0.05 = 20×; 5m: the 11:58 miss → 20×  → page (≥ 14.4)
    # 6h: 3 / 11 → 5.45× < 6 → silent;  3d and 6h: 5.45× ≥ 1 → ticket
    assert [(a.severity, a.threshold) for a in alerts] == [("page", 14.4), ("ticket", 1.0)]
    page, ticket = alerts
    assert (page.long_window, page.short_window) == (timedelta(hours=1), timedelta(minutes=5))
    assert page.burn_long == pytest.approx(20.0) and page.burn_short == pytest.approx(20.0)
    assert ticket.burn_long == pytest.approx(3 / 11 / 0.05)
    assert (ticket.decided_long, ticket.decided_short) == (11, 11)
    assert page.message == (
        "Objective at risk: 95 % of P1 first responses met per month — burn rate 20.0× over the last 1h "
        "(3 decided) and 20.0× over 5m (alert at 14.4×); at this pace the month's error budget lasts 1d 12h"
    )


def test_one_miss_fewer_in_the_hour_stays_below_14_4() -> None:
    calmer = [(at, True) if at == t(11, 30) else (at, met) for at, met in BURNING]
    alerts = burn_rate_alerts(P1_FR, calmer, NOV, NOW)
    # 1h: 2/3 → 13.3× < 14.4; 3d: 2/11 → 3.6× → only the ticket rule
    assert [a.severity for a in alerts] == ["ticket"]


def test_too_few_outcomes_never_alert() -> None:
    assert burn_rate_alerts(P1_FR, [(t(11, 30), False), (t(11, 58), False)], NOV, NOW) == []


def test_the_short_window_needs_a_recent_outcome() -> None:
    old = [(t(11, 10), False), (t(11, 20), False), (t(11, 30), False)]
    alerts = burn_rate_alerts(P1_FR, old, NOV, NOW)
    # 5m and 30m short windows hold nothing (11:30 is not inside (11:30, 12:00]); 6h does
    assert [a.severity for a in alerts] == ["ticket"]


def test_windows_scale_with_the_objective_window() -> None:
    week_rules = scaled_rules(W47)
    assert [(r.long_window, r.short_window) for r in week_rules] == [
        (timedelta(minutes=14), timedelta(seconds=70)),
        (timedelta(hours=1, minutes=24), timedelta(minutes=7)),
        (timedelta(hours=16, minutes=48), timedelta(hours=1, minutes=24)),
    ]
    october = parse_period("2026-10", now=NOW, tz="UTC")
    assert scaled_rules(october)[0].long_window == timedelta(minutes=62)
    misses = [(t(11, 40), False), (t(11, 45), False), (NOW - timedelta(seconds=30), False)]
    weekly = Objective("first_response", "P1", 0.95, "week")
    monthly_fired = [a.threshold for a in burn_rate_alerts(P1_FR, misses, NOV, NOW)]
    assert monthly_fired == [14.4, 6.0, 1.0]
    # a week's 14.4× rule looks back 14 minutes: one outcome there, too few; its 6× rule
    # (1h24m long, 7m short) holds all three misses → 20× and still pages
    weekly_fired = [a.threshold for a in burn_rate_alerts(weekly, misses, W47, NOW)]
    assert weekly_fired == [6.0, 1.0]


def test_a_100_percent_objective_has_no_budget() -> None:
    strict = Objective("resolution", None, 1.0)
    alerts = burn_rate_alerts(strict, [(t(11, 10), True), (t(11, 30), True), (t(11, 58), False)], NOV, NOW)
    assert alerts[0].burn_long == float("inf")
    assert "allows no miss" in alerts[0].message


def test_objective_from_the_contract_file() -> None:
    book = load_contracts_text(
        contract_file(
            calendars="always: {timezone: UTC, hours: 24x7}",
            clients="acme: {name: Acme, channels: [C0SUPPORT1], contract: gold}",
            gold="""
                calendar: always
                targets: {P1: {first_response: 15m}}
                objectives:
                  - {metric: first_response, priority: P1, target: 95}
                  - {metric: resolution, target: 99.5, window: quarter}
            """,
        )
    )
    v = book.version_for("acme", NOW)
    first, second = (Objective.from_contract(o) for o in v.objectives)
    assert first == Objective("first_response", "P1", 0.95, "month")
    assert second == Objective("resolution", None, 0.995, "quarter")
    assert second.describe() == "99.5 % of resolutions met per quarter"


def test_target_must_be_a_ratio() -> None:
    with pytest.raises(ValueError, match="ratio"):
        Objective("first_response", "P1", 95)


@dataclass
class Row:
    priority: str
    metric: str
    state: str
    stopped_at: datetime | None
    breached_at: datetime | None


def test_outcomes_from_rows() -> None:
    rows = [
        Row("P1", "first_response", "met", t(9), None),
        Row("P1", "first_response", "breached", None, t(10)),  # still running, already late
        Row("P1", "first_response", "breached", t(12), t(11)),  # decided when it breached
        Row("P1", "first_response", "running", None, None),
        Row("P1", "first_response", "cancelled", t(8), None),
        Row("P2", "first_response", "met", t(9), None),
        Row("P1", "resolution", "met", t(9), None),
    ]
    assert outcomes_from_rows(P1_FR, rows) == [(t(9), True), (t(10), False), (t(11), False)]
