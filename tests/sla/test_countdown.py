from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sla.countdown import (
    BAR_EMPTY,
    BAR_FULL,
    Countdown,
    TicketView,
    current_timers,
    describe_timer,
    due_phrase,
    progress_bar,
    ticket_urgency,
    zone_abbreviation,
)
from sla.metrics import Metric, TimerState
from sla.standing import at_risk_elapsed

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


@dataclass(frozen=True)
class FakeTimer:
    """Same fields as sla.timers.MetricTimer."""

    metric: Metric = Metric.FIRST_RESPONSE
    cycle: int = 1
    priority: str = "P1"
    target: timedelta = timedelta(hours=4)
    calendar_name: str = "office"
    started_at: datetime = datetime(2026, 11, 13, 9, 0, tzinfo=UTC)
    due_at: datetime | None = None
    stopped_at: datetime | None = None
    business_elapsed: timedelta = timedelta(0)
    paused_for: timedelta = timedelta(0)
    remaining: timedelta = timedelta(hours=4)
    percent_used: float = 0.0
    state: TimerState = TimerState.RUNNING
    breached_at: datetime | None = None
    pause_reason: str | None = None
    resumed_at: datetime | None = None
    elapsed_at_resume: timedelta | None = None


def running(elapsed: timedelta, target: timedelta, due_at: datetime, **kw: object) -> FakeTimer:
    return FakeTimer(
        target=target,
        business_elapsed=elapsed,
        remaining=target - elapsed,
        percent_used=elapsed / target * 100,
        due_at=due_at,
        **kw,  # type: ignore[arg-type]
    )


# Friday 13 Nov 2026, 15:20 in Berlin (CET, UTC+1).
FRIDAY = datetime(2026, 11, 13, 14, 20, tzinfo=UTC)


def described(**fields: Any) -> Countdown:
    """A timer of ``fields`` (the rest as :class:`FakeTimer` has them) described on FRIDAY in Berlin."""
    return describe_timer(FakeTimer(**fields), FRIDAY, BERLIN)


def test_running_timer_reads_left_due_weekday_percent_and_bar() -> None:
    # 2h50m of a 4h target used; due Monday 10:00 Berlin after a weekend.
    timer = running(
        timedelta(hours=2, minutes=50), timedelta(hours=4), datetime(2026, 11, 16, 9, 0, tzinfo=UTC)
    )
    c = describe_timer(timer, FRIDAY, BERLIN)
    assert c.headline == "1h 10m left"
    assert c.due_text == "due Mon 10:00 CET"
    assert c.percent == 70
    assert c.bar == "▰▰▰▰▰▰▰▱▱▱"
    assert c.severity == "ok"
    assert c.wall_left == timedelta(days=2, hours=18, minutes=40)
    assert c.line() == "first response · 1h 10m left · due Mon 10:00 CET · 70 % ▰▰▰▰▰▰▰▱▱▱"
    assert c.line(with_wall=True) == (
        "first response · 1h 10m left · due Mon 10:00 CET (in 2d 18h) · 70 % ▰▰▰▰▰▰▰▱▱▱"
    )


def test_wall_time_is_omitted_when_it_equals_business_time() -> None:
    timer = running(timedelta(minutes=30), timedelta(hours=1), FRIDAY + timedelta(minutes=30))
    c = describe_timer(timer, FRIDAY, BERLIN)
    assert c.due_text == "due today 15:50 CET"
    assert c.wall_text == ""
    assert "(in" not in c.line(with_wall=True)


@pytest.mark.parametrize(
    ("percent_elapsed", "severity"),
    [(0, "ok"), (74, "ok"), (75, "at_risk"), (99, "at_risk")],
)
def test_at_risk_from_75_percent(percent_elapsed: int, severity: str) -> None:
    target = timedelta(hours=10)
    timer = running(target * percent_elapsed / 100, target, FRIDAY + timedelta(hours=1))
    assert describe_timer(timer, FRIDAY, BERLIN).severity == severity


def test_the_due_second_is_breached_and_a_reply_on_it_reads_breached() -> None:
    target = timedelta(hours=1)
    on_due = running(target, target, FRIDAY)
    assert describe_timer(on_due, FRIDAY, BERLIN).severity == "breached"
    c = described(
        state=TimerState.BREACHED,
        target=target,
        business_elapsed=target,
        remaining=timedelta(0),
        breached_at=FRIDAY,
        stopped_at=FRIDAY,
        due_at=FRIDAY,
    )
    assert (c.headline, c.severity) == ("breached on the due second", "breached")
    one_second_early = running(target - timedelta(seconds=1), target, FRIDAY + timedelta(seconds=1))
    assert describe_timer(one_second_early, FRIDAY, BERLIN).severity == "at_risk"


def test_breached_running_timer_says_how_long_ago_in_wall_time() -> None:
    breached_at = FRIDAY - timedelta(minutes=25)
    c = described(
        target=timedelta(hours=1),
        business_elapsed=timedelta(hours=1, minutes=25),
        remaining=-timedelta(minutes=25),
        percent_used=141.7,
        due_at=breached_at,
        breached_at=breached_at,
        state=TimerState.BREACHED,
    )
    assert c.headline == "breached 25m ago"
    assert c.due_text == "was due today 14:55 CET"
    assert c.severity == "breached"
    assert c.percent == 141
    assert c.bar == BAR_FULL * 10
    assert c.wall_left is None


def test_running_past_due_counts_as_breached_even_before_the_engine_flips_state() -> None:
    c = described(remaining=-timedelta(minutes=5), due_at=FRIDAY - timedelta(minutes=5))
    assert c.headline == "breached 5m ago"
    assert c.severity == "breached"


def test_paused_with_reason_shows_remaining_and_no_due_time() -> None:
    c = described(
        state=TimerState.PAUSED,
        pause_reason="waiting on client",
        business_elapsed=timedelta(hours=1, minutes=55),
        remaining=timedelta(hours=2, minutes=5),
        due_at=None,
    )
    assert c.headline == "paused (waiting on client) · 2h 5m left"
    assert c.due_text == ""
    assert c.severity == "paused"
    assert c.percent == 47
    assert c.line() == "first response · paused (waiting on client) · 2h 5m left · 47 % ▰▰▰▰▱▱▱▱▱▱"


def test_paused_without_reason_and_paused_after_breach() -> None:
    assert described(state=TimerState.PAUSED).headline == "paused · 4h left"
    c = described(state=TimerState.PAUSED, remaining=-timedelta(minutes=10), pause_reason="  ")
    assert c.headline == "paused · over by 10m"
    assert c.severity == "breached"


def test_met_says_how_long_it_took() -> None:
    c = described(
        state=TimerState.MET,
        business_elapsed=timedelta(minutes=42),
        remaining=timedelta(hours=3, minutes=18),
        stopped_at=FRIDAY - timedelta(hours=1),
        due_at=FRIDAY + timedelta(hours=3),
    )
    assert c.headline == "met in 42m"
    assert c.severity == "done"
    assert c.due_text == ""
    assert c.wall_left is None
    assert c.business_left is None


def test_stopped_late_says_by_how_much() -> None:
    c = described(
        state=TimerState.BREACHED,
        target=timedelta(hours=1),
        business_elapsed=timedelta(hours=2, minutes=5),
        remaining=-timedelta(hours=1, minutes=5),
        breached_at=FRIDAY - timedelta(hours=3),
        stopped_at=FRIDAY - timedelta(hours=2),
    )
    assert c.headline == "breached by 1h 5m"
    assert c.severity == "breached"
    assert c.due_text == ""


def test_cancelled() -> None:
    c = described(state=TimerState.CANCELLED, stopped_at=FRIDAY)
    assert c.headline == "cancelled"
    assert c.severity == "done"
    assert c.line() == "first response · cancelled"


@pytest.mark.parametrize(
    ("metric", "word"),
    [
        (Metric.FIRST_RESPONSE, "first response"),
        (Metric.NEXT_RESPONSE, "next response"),
        (Metric.PERIODIC_UPDATE, "periodic update"),
        (Metric.RESOLUTION, "resolution"),
    ],
)
def test_metric_names_in_words(metric: Metric, word: str) -> None:
    c = described(metric=metric, due_at=FRIDAY + timedelta(hours=4))
    assert c.metric_name == word
    assert c.line().startswith(word + " · ")


@pytest.mark.parametrize(
    ("due", "now", "tz", "expected"),
    [
        # Berlin in summer (CEST) and winter (CET).
        (
            datetime(2026, 7, 1, 14, 30, tzinfo=UTC),
            datetime(2026, 7, 1, 8, 0, tzinfo=UTC),
            BERLIN,
            "due today 16:30 CEST",
        ),
        (
            datetime(2026, 12, 1, 15, 30, tzinfo=UTC),
            datetime(2026, 12, 1, 8, 0, tzinfo=UTC),
            BERLIN,
            "due today 16:30 CET",
        ),
        # Tomorrow is by the local date: 23:30 UTC on 1 Dec is already 2 Dec in Berlin.
        (
            datetime(2026, 12, 2, 8, 0, tzinfo=UTC),
            datetime(2026, 12, 1, 23, 30, tzinfo=UTC),
            BERLIN,
            "due today 09:00 CET",
        ),
        (
            datetime(2026, 12, 2, 8, 0, tzinfo=UTC),
            datetime(2026, 12, 1, 22, 30, tzinfo=UTC),
            BERLIN,
            "due tomorrow 09:00 CET",
        ),
        # Across the spring-forward weekend in New York: now EST, due EDT.
        (
            datetime(2026, 3, 9, 13, 0, tzinfo=UTC),
            datetime(2026, 3, 6, 20, 0, tzinfo=UTC),
            NEW_YORK,
            "due Mon 09:00 EDT",
        ),
        (
            datetime(2026, 3, 6, 14, 0, tzinfo=UTC),
            datetime(2026, 3, 6, 13, 0, tzinfo=UTC),
            NEW_YORK,
            "due today 09:00 EST",
        ),
        # Berlin autumn fallback: Sunday 25 Oct 2026 02:30 happens twice.
        (
            datetime(2026, 10, 25, 0, 30, tzinfo=UTC),
            datetime(2026, 10, 24, 20, 0, tzinfo=UTC),
            BERLIN,
            "due tomorrow 02:30 CEST",
        ),
        (
            datetime(2026, 10, 25, 1, 30, tzinfo=UTC),
            datetime(2026, 10, 24, 20, 0, tzinfo=UTC),
            BERLIN,
            "due tomorrow 02:30 CET",
        ),
        # Six days away: weekday only; seven: with the date; next year: with the year.
        (
            datetime(2026, 11, 19, 9, 0, tzinfo=UTC),
            datetime(2026, 11, 13, 9, 0, tzinfo=UTC),
            BERLIN,
            "due Thu 10:00 CET",
        ),
        (
            datetime(2026, 11, 20, 9, 0, tzinfo=UTC),
            datetime(2026, 11, 13, 9, 0, tzinfo=UTC),
            BERLIN,
            "due Fri 20 Nov 10:00 CET",
        ),
        (
            datetime(2027, 1, 4, 9, 0, tzinfo=UTC),
            datetime(2026, 12, 20, 9, 0, tzinfo=UTC),
            BERLIN,
            "due Mon 4 Jan 2027 10:00 CET",
        ),
        # Zones whose abbreviation is a number.
        (
            datetime(2026, 11, 13, 15, 0, tzinfo=UTC),
            datetime(2026, 11, 13, 12, 0, tzinfo=UTC),
            ZoneInfo("America/Sao_Paulo"),
            "due today 12:00 UTC-03",
        ),
        (
            datetime(2026, 11, 13, 6, 0, tzinfo=UTC),
            datetime(2026, 11, 13, 5, 0, tzinfo=UTC),
            ZoneInfo("Asia/Kathmandu"),
            "due today 11:45 UTC+05:45",
        ),
        (
            datetime(2026, 11, 13, 6, 0, tzinfo=UTC),
            datetime(2026, 11, 13, 5, 0, tzinfo=UTC),
            ZoneInfo("UTC"),
            "due today 06:00 UTC",
        ),
    ],
)
def test_due_phrase(due: datetime, now: datetime, tz: ZoneInfo, expected: str) -> None:
    assert due_phrase(due, now, tz) == expected


def test_yesterday_for_a_breach_due_before_midnight() -> None:
    due = datetime(2026, 11, 12, 16, 0, tzinfo=UTC)
    c = described(state=TimerState.BREACHED, remaining=-timedelta(hours=1), due_at=due, breached_at=due)
    assert c.due_text == "was due yesterday 17:00 CET"
    assert c.headline == "breached 22h 20m ago"


def test_zone_abbreviation_for_summer_and_winter() -> None:
    assert zone_abbreviation(datetime(2026, 7, 1, 12, tzinfo=BERLIN)) == "CEST"
    assert zone_abbreviation(datetime(2026, 1, 1, 12, tzinfo=BERLIN)) == "CET"


@pytest.mark.parametrize(
    ("percent", "bar"),
    [
        (0, BAR_EMPTY * 10),
        (9, BAR_EMPTY * 10),
        (10, BAR_FULL + BAR_EMPTY * 9),
        (71, "▰▰▰▰▰▰▰▱▱▱"),
        (100, BAR_FULL * 10),
        (450, BAR_FULL * 10),
        (-5, BAR_EMPTY * 10),
    ],
)
def test_progress_bar(percent: int, bar: str) -> None:
    assert progress_bar(percent) == bar


def test_current_timers_keeps_the_latest_cycle_per_metric_in_display_order() -> None:
    first = FakeTimer(metric=Metric.RESOLUTION, cycle=1)
    nr1 = FakeTimer(metric=Metric.NEXT_RESPONSE, cycle=1, state=TimerState.MET)
    nr2 = FakeTimer(metric=Metric.NEXT_RESPONSE, cycle=2)
    fr = FakeTimer(metric=Metric.FIRST_RESPONSE, state=TimerState.MET)
    assert current_timers([first, nr2, nr1, fr]) == [fr, nr2, first]


def test_urgency_puts_breached_then_at_risk_then_soonest_first() -> None:
    due = FRIDAY + timedelta(hours=1)
    calm = TicketView(
        "T-1", "a", "Acme", "P3", "open", [running(timedelta(hours=1), timedelta(hours=4), due)]
    )
    soon = TicketView(
        "T-2", "b", "Acme", "P3", "open", [running(timedelta(hours=1), timedelta(hours=2), due)]
    )
    risky = TicketView(
        "T-3", "c", "Acme", "P3", "open", [running(timedelta(hours=8), timedelta(hours=10), due)]
    )
    late = TicketView(
        "T-4", "d", "Acme", "P3", "open", [FakeTimer(remaining=-timedelta(minutes=1), due_at=FRIDAY)]
    )
    ordered = sorted([calm, soon, risky, late], key=lambda t: ticket_urgency(t, FRIDAY))
    assert [t.ref for t in ordered] == ["T-4", "T-3", "T-2", "T-1"]


def test_ticket_refs_sort_naturally_when_equally_urgent() -> None:
    views = [TicketView(f"T-{n}", "x", "Acme", "P3", "open") for n in (12, 2, 100)]
    assert [t.ref for t in sorted(views, key=lambda t: ticket_urgency(t, FRIDAY))] == ["T-2", "T-12", "T-100"]


durations = st.timedeltas(min_value=timedelta(days=-400), max_value=timedelta(days=400))
instants = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)


@given(
    timer=st.builds(
        FakeTimer,
        target=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=400)),
        business_elapsed=durations,
        remaining=durations,
        percent_used=st.floats(allow_nan=True, allow_infinity=True),
        state=st.sampled_from(list(TimerState)),
        due_at=st.none() | instants,
        breached_at=st.none() | instants,
        stopped_at=st.none() | instants,
        pause_reason=st.none() | st.text(max_size=30),
    ),
    now=instants,
    tz=st.sampled_from(
        [BERLIN, NEW_YORK, ZoneInfo("UTC"), ZoneInfo("Asia/Kathmandu"), ZoneInfo("Pacific/Chatham")]
    ),
)
def test_any_timer_values_describe_without_crashing_and_percent_matches_bar(
    timer: FakeTimer, now: datetime, tz: ZoneInfo
) -> None:
    c = describe_timer(timer, now, tz)
    assert 0 <= c.percent <= 999
    assert len(c.bar) == 10
    assert c.bar.count(BAR_FULL) == min(c.percent, 100) // 10
    assert c.severity in ("ok", "at_risk", "breached", "paused", "done")
    if c.severity == "at_risk":
        assert c.percent >= 75
    if c.severity == "ok":  # below the at-risk share (sla.standing), not over
        assert timer.business_elapsed < at_risk_elapsed(timer.target) and timer.remaining > timedelta(0)
    assert c.headline and "\n" not in c.line()
    if c.wall_left is not None:
        assert c.wall_left >= timedelta(0)
