from __future__ import annotations

import statistics
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sla.compliance import ComplianceLine, compare, compliance_table, format_table, percentile
from sla.replay import ReplayRow

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def row(
    ticket: str,
    state: str,
    elapsed: int,
    *,
    client: str = "acme",
    priority: str = "P2",
    metric: str = "first_response",
    stopped: bool = True,
    breached: bool | None = None,
    paused: int = 0,
    target: int = 3600,
    cycle: int = 1,
) -> ReplayRow:
    is_breached = state == "breached" if breached is None else breached
    return ReplayRow(
        ticket_id=ticket,
        client=client,
        priority=priority,
        metric=metric,
        cycle=cycle,
        target_seconds=target,
        started_at=T0,
        due_at=T0 + timedelta(seconds=target),
        stopped_at=T0 + timedelta(seconds=elapsed) if stopped else None,
        business_elapsed_seconds=elapsed,
        state=state,
        breached_at=T0 + timedelta(seconds=target) if is_breached else None,
        paused_seconds=paused,
    )


def hand_rows() -> list[ReplayRow]:
    return [
        row("T-1", "met", 60, paused=100),
        row("T-2", "met", 120),
        row("T-3", "met", 180, paused=300),
        row("T-4", "met", 240),
        row("T-5", "breached", 600),  # stopped late
        row("T-6", "breached", 4000, stopped=False),  # still running, already late
        row("T-7", "running", 30, stopped=False),  # not decided
        row("T-8", "cancelled", 10),  # left out
    ]


def test_hand_computed_group() -> None:
    [line] = compliance_table(hand_rows())
    assert (line.client, line.priority, line.metric) == ("acme", "P2", "first_response")
    assert (line.met, line.breached, line.open, line.cancelled) == (4, 2, 1, 1)
    assert line.tickets == 7 and line.timers == 7
    assert line.compliance_percent == pytest.approx(100 * 4 / 6)
    # time to meet over stopped timers: 60, 120, 180, 240, 600 (the running ones are excluded)
    assert line.median_to_meet == timedelta(seconds=180)
    # p90, linear: h = 4 * 0.9 = 3.6 -> 240 + 0.6 * (600 - 240) = 456
    assert line.p90_to_meet == timedelta(seconds=456)
    assert line.paused_total == timedelta(seconds=400)
    assert line.paused_median == timedelta(0)  # 0,0,0,0,100,300,0 -> median 0
    assert line.targets == (timedelta(hours=1),)


def test_even_count_median_interpolates() -> None:
    [line] = compliance_table([row("A", "met", 10), row("B", "met", 20)])
    assert line.median_to_meet == timedelta(seconds=15)
    assert line.p90_to_meet == timedelta(seconds=19)


def test_nothing_decided_has_no_percentage() -> None:
    [line] = compliance_table([row("A", "running", 10, stopped=False)])
    assert line.compliance_percent is None
    assert line.median_to_meet is None and line.p90_to_meet is None
    assert "—" in format_table([line])


def test_paused_timer_past_target_counts_as_breached() -> None:
    paused_late = row("A", "breached", 5000, stopped=False)
    [line] = compliance_table([paused_late, row("B", "paused", 10, stopped=False, breached=False)])
    assert (line.met, line.breached, line.open) == (0, 1, 1)
    assert line.compliance_percent == 0.0


def test_groups_are_sorted_naturally() -> None:
    rows = [
        row("A", "met", 1, priority="P10", metric="resolution"),
        row("B", "met", 1, priority="P2", metric="resolution"),
        row("C", "met", 1, priority="P2", metric="first_response"),
        row("D", "met", 1, client="beta", priority="P1"),
    ]
    keys = [line.key for line in compliance_table(rows)]
    assert keys == [
        ("acme", "P2", "first_response"),
        ("acme", "P2", "resolution"),
        ("acme", "P10", "resolution"),
        ("beta", "P1", "first_response"),
    ]


def test_group_by_subset_and_cycles_count_as_timers() -> None:
    rows = [
        row("A", "met", 10, metric="resolution", cycle=1),
        row("A", "breached", 9000, metric="resolution", cycle=2),
        row("B", "met", 10, priority="P3", metric="resolution"),
    ]
    [line] = compliance_table(rows, group_by=("metric",))
    assert line.key == ("resolution",)
    assert line.client is None and line.metric == "resolution"
    assert (line.tickets, line.timers, line.met, line.breached) == (2, 3, 2, 1)


def test_group_by_rejects_unknown_field() -> None:
    with pytest.raises(ValueError, match="cannot group by 'team'"):
        compliance_table([], group_by=("team",))


def test_format_table_is_aligned() -> None:
    rows = [*hand_rows(), row("Z", "met", 7200, client="globex-industries", priority="P1", target=14400)]
    text = format_table(compliance_table(rows))
    lines = text.splitlines()
    assert lines[0].split() == [
        "client",
        "priority",
        "metric",
        "tickets",
        "met",
        "%",
        "breached",
        "open",
        "median",
        "p90",
    ]
    assert set(lines[1]) <= {"-", " "}
    # right-aligned numeric columns end at the same offset on every line
    end_of_tickets = lines[0].index("tickets") + len("tickets")
    assert all(line[end_of_tickets - 1] != " " for line in lines[2:])
    assert "66.7%" in lines[2] and "3m" in lines[2] and "7m 36s" in lines[2]
    assert lines[3].startswith("globex-industries") and "100.0%" in lines[3] and "2h" in lines[3]


def test_format_empty_table() -> None:
    assert format_table([]) == "(no SLA timers to report)"


def test_compare_gives_percentage_points() -> None:
    previous = compliance_table([row("A", "met", 1), row("B", "breached", 9999)])  # 50 %
    current = compliance_table(
        [row("C", "met", 1), row("D", "met", 1), row("E", "met", 1), row("F", "breached", 9999)]
    )  # 75 %
    only_before = compliance_table([row("G", "met", 1, client="gone")])
    [trend, gone] = compare(current, previous + only_before)
    assert trend.change_pp == pytest.approx(25.0)
    assert trend.current is current[0] and trend.previous is previous[0]
    assert gone.key == ("gone", "P2", "first_response") and gone.current is None and gone.change_pp is None


def test_percentile_small_cases() -> None:
    assert percentile([5], 90) == 5
    assert percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90) == pytest.approx(9.1)
    assert percentile([3, 1, 2], 50) == 2
    with pytest.raises(ValueError):
        percentile([], 50)


@settings(deadline=None, max_examples=200)
@given(st.lists(st.integers(min_value=0, max_value=10**7), min_size=2, max_size=60))
def test_percentile_matches_statistics_inclusive(values: list[int]) -> None:
    deciles = statistics.quantiles(values, n=10, method="inclusive")
    assert percentile(values, 90) == pytest.approx(deciles[8])
    assert percentile(values, 50) == pytest.approx(statistics.median(values))
    assert min(values) <= percentile(values, 90) <= max(values)


states = st.sampled_from(["met", "breached", "running", "paused", "cancelled"])


@settings(deadline=None, max_examples=100)
@given(st.lists(st.tuples(states, st.integers(0, 10**6), st.booleans(), st.sampled_from(["P1", "P2"]))))
def test_counts_add_up(specs: list[tuple[str, int, bool, str]]) -> None:
    rows = [
        row(f"T{i}", s, e, priority=p, stopped=s in ("met", "breached", "cancelled") or stop)
        for i, (s, e, stop, p) in enumerate(specs)
    ]
    lines = compliance_table(rows)
    assert sum(line.timers + line.cancelled for line in lines) == len(rows)
    for line in lines:
        assert line.met + line.breached + line.open == line.timers
        if line.compliance_percent is not None:
            assert 0 <= line.compliance_percent <= 100
            assert line.compliance_percent == pytest.approx(100 * line.met / (line.met + line.breached))
        if line.median_to_meet is not None:
            assert line.p90_to_meet is not None and line.median_to_meet <= line.p90_to_meet
        assert isinstance(line, ComplianceLine)
