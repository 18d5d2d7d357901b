"""Properties of the SLA clocks over random ticket histories (hypothesis).

Histories mix three priorities on three calendars (24x7, UTC office hours, Berlin office hours
with public holidays), pausing statuses, priority changes, resolutions, reopenings and closes,
with non-decreasing times and many equal timestamps.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sla.alert_points import alert_points, next_alert_at
from sla.metrics import EventKind, Metric, TimerState
from sla.timer_values import EventError, MetricTimer, TicketEvent
from sla.timers import TicketClock, evaluate, explain
from tests.sla import timers_fakes as _fakes  # importlib mode: tests/ is a namespace package

CALENDARS = _fakes.CALENDARS

VERSION = _fakes.make_version(
    {
        "P1": {
            "first_response": "15m",
            "next_response": "30m",
            "periodic_update": "2h",
            "resolution": "4h",
            "calendar": "always",
        },
        "P2": {"first_response": "1h", "next_response": "2h", "resolution": "1d", "calendar": "office"},
        "P3": {"first_response": "4h", "periodic_update": "1d", "resolution": "3d", "calendar": "berlin"},
    },
    pause_on={
        "waiting_on_client": _fakes.ALL_PAUSE,
        "on_hold": ("resolution", "periodic_update"),
    },
    warn_at=("50%", "75%", "90%", "15m"),
    escalation=("30m", "4h"),
)
SECOND = timedelta(seconds=1)
BASE = datetime(2026, 3, 27, 12, tzinfo=_fakes.at(2, 0).tzinfo)  # spans the DST change and Easter

PROPERTY = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])

_step = st.one_of(
    st.tuples(st.just("client_message"), st.none()),
    st.tuples(st.just("agent_message"), st.none()),
    st.tuples(st.just("status"), st.sampled_from(["open", "waiting_on_client", "on_hold"])),
    st.tuples(st.just("priority"), st.sampled_from(["P1", "P2", "P3"])),
    st.tuples(st.just("resolved"), st.none()),
    st.tuples(st.just("reopened"), st.none()),
    st.tuples(st.just("closed"), st.none()),
)
_gap = st.one_of(st.just(0), st.integers(0, 90), st.integers(0, 3 * 24 * 60))


@st.composite
def histories(draw: st.DrawFn) -> list[TicketEvent]:
    """Candidate events: opened first, then a random mix (some are rejected by the clock)."""
    when = BASE + timedelta(minutes=draw(st.integers(0, 14 * 24 * 60)))
    events = [TicketEvent("T", when, EventKind.OPENED, priority=draw(st.sampled_from(["P1", "P2", "P3"])))]
    steps = draw(st.lists(st.tuples(_step, _gap), max_size=25))
    for (kind, value), gap in steps:
        when += timedelta(minutes=gap)
        field = {"priority": value} if kind == "priority" else {"status": value} if kind == "status" else {}
        events.append(TicketEvent("T", when, EventKind(kind), **field))
    return events


def accepted(events: list[TicketEvent], version: object = VERSION) -> tuple[TicketClock, list[TicketEvent]]:
    """The clock after ``events`` under ``version``, and the events it accepted (the rest are rejected)."""
    clock = TicketClock(version)
    kept = []
    for event in events:
        try:
            clock.apply(event)
        except EventError:
            continue
        kept.append(event)
    return clock, kept


def _by_key(timers: list[MetricTimer]) -> dict[tuple[Metric, int], MetricTimer]:
    return {(t.metric, t.cycle): t for t in timers}


@PROPERTY
@given(histories(), st.lists(st.booleans(), min_size=30, max_size=30), st.integers(0, 5000))
def test_incremental_clock_equals_evaluate_on_the_full_list(
    events: list[TicketEvent], peeks: list[bool], later: int
) -> None:
    clock = TicketClock(VERSION)
    kept = []
    for event, peek in zip(events, peeks + [False] * len(events), strict=False):
        before = clock.timers(clock.last_at) if clock.last_at else []
        try:
            clock.apply(event)
        except EventError:
            after = clock.timers(clock.last_at) if clock.last_at else []
            assert after == before  # a rejected event leaves the clock unchanged
            continue
        kept.append(event)
        if peek:  # reading in between must not change anything
            clock.timers(event.at + timedelta(minutes=later))
    now = kept[-1].at + timedelta(minutes=later)
    assert clock.timers(now) == evaluate(kept, VERSION, now)
    story = explain(kept, VERSION, now)
    assert story[: len(clock.timeline)] == clock.timeline
    assert all(e.effect == "breached" for e in story[len(clock.timeline) :])
    assert [e.at for e in story] == sorted(e.at for e in story)


def _reference_elapsed(kept: list[TicketEvent], now: datetime) -> dict[tuple[Metric, int], timedelta]:
    """Business elapsed of every first_response and resolution cycle, walking the events naively.

    Every priority of VERSION has both targets, so neither is ever cancelled by a priority change.
    """
    elapsed: dict[tuple[Metric, int], timedelta] = {}
    running: dict[Metric, tuple[Metric, int]] = {}
    priority, status, resolution_cycles = "", "open", 0
    instants = [e.at for e in kept[1:]] + [now]
    for event, until in zip(kept, instants, strict=True):
        kind = event.kind
        if kind is EventKind.OPENED:
            priority = event.priority or ""
            running[Metric.FIRST_RESPONSE] = (Metric.FIRST_RESPONSE, 1)
            resolution_cycles = 1
            running[Metric.RESOLUTION] = (Metric.RESOLUTION, 1)
        elif kind is EventKind.PRIORITY:
            priority = event.priority or ""
        elif kind is EventKind.STATUS:
            status = event.status or ""
        elif kind is EventKind.AGENT_MESSAGE:
            running.pop(Metric.FIRST_RESPONSE, None)
        elif kind in (EventKind.RESOLVED, EventKind.CLOSED):
            running.clear()
        elif kind is EventKind.REOPENED:
            status = "open"
            resolution_cycles += 1
            running[Metric.RESOLUTION] = (Metric.RESOLUTION, resolution_cycles)
        for key in running.values():
            elapsed.setdefault(key, timedelta(0))
        calendar = CALENDARS[VERSION.target_for(priority, Metric.RESOLUTION).calendar_name]
        for metric, key in running.items():
            if not VERSION.pauses(status, metric):
                elapsed[key] += calendar.elapsed(event.at, until)
    return elapsed


@PROPERTY
@given(histories(), st.integers(0, 10 * 24 * 60))
def test_business_elapsed_is_the_calendar_time_of_the_running_stretches(
    events: list[TicketEvent], later: int
) -> None:
    clock, kept = accepted(events)
    now = kept[-1].at + timedelta(minutes=later)
    timers = _by_key(clock.timers(now))
    for key, expected in _reference_elapsed(kept, now).items():
        assert timers[key].business_elapsed == expected, key


@PROPERTY
@given(histories(), st.lists(st.integers(0, 5 * 24 * 60), min_size=2, max_size=5))
def test_elapsed_and_paused_time_never_decrease_as_now_advances(
    events: list[TicketEvent], offsets: list[int]
) -> None:
    clock, kept = accepted(events)
    previous: dict[tuple[Metric, int], MetricTimer] = {}
    for minutes in sorted(offsets):
        current = _by_key(clock.timers(kept[-1].at + timedelta(minutes=minutes)))
        for key, timer in previous.items():
            assert current[key].business_elapsed >= timer.business_elapsed
            assert current[key].paused_for >= timer.paused_for
            if timer.state is TimerState.BREACHED:
                assert current[key].state is TimerState.BREACHED
        previous = current


@PROPERTY
@given(histories(), st.integers(0, 5 * 24 * 60))
def test_state_is_breached_iff_elapsed_reached_the_target(events: list[TicketEvent], later: int) -> None:
    clock, kept = accepted(events)
    now = kept[-1].at + timedelta(minutes=later)
    for timer in clock.timers(now):
        assert timer.remaining == timer.target - timer.business_elapsed
        if timer.stopped_at is not None:
            continue
        assert (timer.state is TimerState.BREACHED) == (timer.business_elapsed >= timer.target)
        if timer.state is TimerState.BREACHED:
            assert timer.breached_at is not None and timer.breached_at <= now
        else:
            assert timer.breached_at is None
        if timer.resumed_at is None:
            assert timer.due_at is None
            assert timer.state in (TimerState.PAUSED, TimerState.BREACHED) and timer.pause_reason
        elif timer.state is TimerState.RUNNING:
            assert timer.due_at is not None and timer.due_at > now
            # due_at is exact: breached at the due instant, not a second before
            at_due = _by_key(clock.timers(timer.due_at))[(timer.metric, timer.cycle)]
            assert at_due.state is TimerState.BREACHED and at_due.breached_at == timer.due_at
            before_due = _by_key(clock.timers(timer.due_at - SECOND))[(timer.metric, timer.cycle)]
            assert before_due.state is TimerState.RUNNING


@PROPERTY
@given(histories(), st.integers(0, 5 * 24 * 60), st.integers(-3 * 24 * 60, 10 * 24 * 60))
def test_next_alert_at_is_the_first_alert_point_after_the_instant(
    events: list[TicketEvent], later: int, shift: int
) -> None:
    clock, kept = accepted(events)
    now = kept[-1].at + timedelta(minutes=later)
    after = now + timedelta(minutes=shift)
    for timer in clock.timers(now):
        points = alert_points(timer, VERSION)
        if timer.stopped_at is not None or timer.resumed_at is None:
            assert points == []
            assert next_alert_at(timer, VERSION, after) is None
            continue
        assert [p.at for p in points] == sorted(p.at for p in points)
        assert len({p.key for p in points}) == len(points)
        due = next_alert_at(timer, VERSION, after)
        later_points = [p.at for p in points if p.at > after]
        if due is None:
            assert later_points == []
        else:
            assert due > after and due == min(later_points)
        calendar = timer.calendar
        for point in points:
            assert point.at >= (timer.target_since or timer.started_at)
            if point.at > (timer.target_since or timer.started_at):
                # counted in business time: the instant ends an open second of the calendar (quiet hours)
                assert calendar.elapsed(point.at - SECOND, point.at) == SECOND, (point, timer.calendar_name)


STANDING_FIELDS = (
    "metric",
    "cycle",
    "priority",
    "target",
    "started_at",
    "due_at",
    "stopped_at",
    "business_elapsed",
    "state",
    "breached_at",
    "paused_for",
)


@PROPERTY
@given(histories(), st.lists(st.integers(0, 5 * 24 * 60), min_size=1, max_size=3))
def test_standings_are_the_fields_of_the_timers_in_their_order(
    events: list[TicketEvent], laters: list[int]
) -> None:
    """The replay reads ``standings`` instead of building the values: the same fields, the same order,
    and reading one never changes what the other shows (both may fill the stopped timers' due cache)."""
    clock, kept = accepted(events)
    for later in sorted(laters):
        now = kept[-1].at + timedelta(minutes=later)
        standings = clock.standings(now)
        timers = clock.timers(now)
        assert standings == [tuple(getattr(t, name) for name in STANDING_FIELDS) for t in timers]
        assert clock.standings(now) == standings
    fresh, _ = accepted(events)  # a clock read for the first time through standings shows the same
    now = kept[-1].at + timedelta(minutes=max(laters))
    assert fresh.standings(now) == clock.standings(now)
    assert fresh.timers(now) == clock.timers(now)
