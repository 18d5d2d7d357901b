"""Example tests for the SLA clocks (sla.timers): one test per rule of the module docstring."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sla.alert_points import alert_points, next_alert_at
from sla.metrics import EventKind, Metric, TimerState
from sla.timer_values import EventError, MetricTimer, TicketEvent
from sla.timers import TicketClock, evaluate, explain
from tests.sla import timers_fakes as _fakes  # importlib mode: tests/ is a namespace package

ALL_PAUSE, ALWAYS, OFFICE = _fakes.ALL_PAUSE, _fakes.ALWAYS, _fakes.OFFICE
at, make_version = _fakes.at, _fakes.make_version

FR, NR, PU, RES = Metric.FIRST_RESPONSE, Metric.NEXT_RESPONSE, Metric.PERIODIC_UPDATE, Metric.RESOLUTION
H, M = timedelta(hours=1), timedelta(minutes=1)


def ev(when: datetime, kind: str, **kw: str) -> TicketEvent:
    return TicketEvent("T1", when, EventKind(kind), **kw)


def one(timers: list[MetricTimer], metric: Metric, cycle: int = 1) -> MetricTimer:
    found = [t for t in timers if t.metric is metric and t.cycle == cycle]
    assert len(found) == 1, f"expected one {metric} cycle {cycle}, got {timers}"
    return found[0]


SIMPLE = make_version(
    {
        "P1": {"first_response": "15m", "next_response": "30m", "resolution": "4h"},
        "P2": {"first_response": "1h", "next_response": "2h", "resolution": "8h"},
        "P3": {"first_response": "4h", "resolution": "3d"},
    },
    pause_on={"waiting_on_client": ALL_PAUSE},
)


# ---- first response ------------------------------------------------------------------


def test_first_response_met_when_an_agent_replies_in_time() -> None:
    timers = evaluate(
        [ev(at(2, 10), "opened", priority="P2"), ev(at(2, 10, 40), "agent_message")], SIMPLE, at(2, 12)
    )
    fr = one(timers, FR)
    assert fr.state is TimerState.MET
    assert fr.business_elapsed == 40 * M
    assert fr.remaining == 20 * M
    assert fr.stopped_at == at(2, 10, 40)
    assert fr.due_at == at(2, 11)
    assert fr.breached_at is None
    assert fr.percent_used == pytest.approx(40 / 60 * 100)


def test_first_response_breached_when_the_reply_is_late() -> None:
    timers = evaluate(
        [ev(at(2, 10), "opened", priority="P2"), ev(at(2, 11, 20), "agent_message")], SIMPLE, at(2, 12)
    )
    fr = one(timers, FR)
    assert fr.state is TimerState.BREACHED
    assert fr.breached_at == at(2, 11)
    assert fr.business_elapsed == 80 * M
    assert fr.remaining == -20 * M


def test_running_timer_past_due_is_breached_and_keeps_counting() -> None:
    clock = TicketClock(SIMPLE)
    clock.apply(ev(at(2, 10), "opened", priority="P1"))
    before = one(clock.timers(at(2, 10, 14)), FR)
    assert before.state is TimerState.RUNNING and before.breached_at is None
    late = one(clock.timers(at(2, 11)), FR)
    assert late.state is TimerState.BREACHED
    assert late.breached_at == late.due_at == at(2, 10, 15)
    assert late.business_elapsed == H and late.stopped_at is None
    assert late.percent_used == pytest.approx(400.0)


def test_opened_without_priority_uses_the_default_priority() -> None:
    timers = evaluate([ev(at(2, 10), "opened")], SIMPLE, at(2, 10))
    assert {t.priority for t in timers} == {"P3"}
    assert one(timers, FR).target == 4 * H


# ---- next response -------------------------------------------------------------------


def test_next_response_starts_per_unanswered_client_message_after_the_first_reply() -> None:
    events = [
        ev(at(2, 10), "opened", priority="P1"),
        ev(at(2, 10, 1), "client_message"),  # before the first reply: first_response covers it
        ev(at(2, 10, 5), "agent_message"),
        ev(at(2, 10, 10), "client_message"),  # starts next_response cycle 1
        ev(at(2, 10, 20), "client_message"),  # does not restart it
        ev(at(2, 10, 30), "agent_message"),  # met after 20m
        ev(at(2, 11), "client_message"),  # cycle 2
    ]
    timers = evaluate(events, SIMPLE, at(2, 12))
    assert [t.cycle for t in timers if t.metric is NR] == [1, 2]
    first = one(timers, NR, 1)
    assert first.started_at == at(2, 10, 10)
    assert first.state is TimerState.MET and first.business_elapsed == 20 * M
    second = one(timers, NR, 2)
    assert second.started_at == at(2, 11)
    assert second.state is TimerState.BREACHED and second.breached_at == at(2, 11, 30)


def test_next_response_needs_a_target() -> None:
    events = [ev(at(2, 10), "opened", priority="P3"), ev(at(2, 10, 5), "agent_message")]
    events.append(ev(at(2, 10, 10), "client_message"))
    assert [t for t in evaluate(events, SIMPLE, at(2, 12)) if t.metric is NR] == []


# ---- periodic update -----------------------------------------------------------------

PERIODIC = make_version({"P1": {"periodic_update": "1h", "resolution": "8h"}})


def test_periodic_update_cycles_end_with_each_agent_message() -> None:
    events = [
        ev(at(2, 9), "opened", priority="P1"),
        ev(at(2, 9, 40), "agent_message"),  # cycle 1 met, cycle 2 starts
        ev(at(2, 11), "agent_message"),  # cycle 2 breached at 10:40, cycle 3 starts
        ev(at(2, 11, 30), "resolved"),  # cycle 3 met by the resolution, no cycle 4
    ]
    timers = [t for t in evaluate(events, PERIODIC, at(2, 13)) if t.metric is PU]
    assert [(t.cycle, t.state) for t in timers] == [
        (1, TimerState.MET),
        (2, TimerState.BREACHED),
        (3, TimerState.MET),
    ]
    assert timers[1].started_at == at(2, 9, 40) and timers[1].breached_at == at(2, 10, 40)
    assert timers[2].stopped_at == at(2, 11, 30)
    reopened = evaluate([*events, ev(at(2, 14), "reopened")], PERIODIC, at(2, 14, 10))
    assert one(reopened, PU, 4).state is TimerState.RUNNING
    assert one(reopened, PU, 4).started_at == at(2, 14)


# ---- pauses --------------------------------------------------------------------------


def test_pause_keeps_elapsed_and_counts_paused_wall_time() -> None:
    clock = TicketClock(SIMPLE)
    clock.apply(ev(at(2, 10), "opened", priority="P2"))
    clock.apply(ev(at(2, 10, 20), "status", status="waiting_on_client"))
    paused = one(clock.timers(at(2, 12)), FR)
    assert paused.state is TimerState.PAUSED
    assert paused.business_elapsed == 20 * M
    assert paused.due_at is None and paused.resumed_at is None
    assert paused.pause_reason == "waiting_on_client"
    assert paused.paused_for == 100 * M
    clock.apply(ev(at(2, 13), "status", status="open"))
    resumed = one(clock.timers(at(2, 13, 10)), FR)
    assert resumed.state is TimerState.RUNNING
    assert resumed.business_elapsed == 30 * M
    assert resumed.paused_for == 160 * M
    assert resumed.resumed_at == at(2, 13) and resumed.elapsed_at_resume == 20 * M
    assert resumed.due_at == at(2, 13, 40)
    assert resumed.pause_reason is None


def test_status_that_does_not_pause_a_metric_leaves_it_running() -> None:
    version = make_version(
        {"P1": {"first_response": "1h", "resolution": "4h"}}, pause_on={"on_hold": ("resolution",)}
    )
    timers = evaluate(
        [ev(at(2, 10), "opened", priority="P1"), ev(at(2, 10, 10), "status", status="on_hold")],
        version,
        at(2, 10, 30),
    )
    assert one(timers, FR).state is TimerState.RUNNING and one(timers, FR).business_elapsed == 30 * M
    assert one(timers, RES).state is TimerState.PAUSED and one(timers, RES).business_elapsed == 10 * M


def test_timer_started_while_status_pauses_it_starts_paused() -> None:
    events = [
        ev(at(2, 10), "opened", priority="P1"),
        ev(at(2, 10, 5), "agent_message"),
        ev(at(2, 10, 6), "status", status="waiting_on_client"),
        ev(at(2, 10, 7), "client_message"),
    ]
    nr = one(evaluate(events, SIMPLE, at(2, 11)), NR)
    assert nr.state is TimerState.PAUSED and nr.business_elapsed == timedelta(0)
    assert nr.pause_reason == "waiting_on_client" and nr.paused_for == 53 * M


def test_timer_paused_after_its_breach_stays_breached() -> None:
    events = [ev(at(2, 10), "opened", priority="P1"), ev(at(2, 10, 30), "status", status="waiting_on_client")]
    fr = one(evaluate(events, SIMPLE, at(2, 11)), FR)
    assert fr.state is TimerState.BREACHED
    assert fr.pause_reason == "waiting_on_client"
    assert fr.breached_at == at(2, 10, 15)
    assert fr.due_at is None


def test_opened_may_carry_a_pausing_status() -> None:
    timers = evaluate([ev(at(2, 10), "opened", priority="P1", status="waiting_on_client")], SIMPLE, at(2, 11))
    assert all(t.state is TimerState.PAUSED for t in timers)


# ---- priority changes ----------------------------------------------------------------


def test_priority_change_retargets_and_keeps_elapsed_and_paused_time() -> None:
    events = [
        ev(at(2, 10), "opened", priority="P3"),
        ev(at(2, 10, 10), "status", status="waiting_on_client"),
        ev(at(2, 11), "status", status="open"),
        ev(at(2, 11, 20), "priority", priority="P2"),
    ]
    fr = one(evaluate(events, SIMPLE, at(2, 11, 30)), FR)
    assert fr.priority == "P2" and fr.target == H
    assert fr.business_elapsed == 40 * M  # 10m + 20m before the change + 10m after
    assert fr.paused_for == 50 * M
    assert fr.due_at == at(2, 11, 50)
    assert fr.state is TimerState.RUNNING


def test_priority_change_past_the_new_target_breaches_at_the_change() -> None:
    events = [ev(at(2, 10), "opened", priority="P3"), ev(at(2, 10, 30), "priority", priority="P1")]
    fr = one(evaluate(events, SIMPLE, at(2, 11)), FR)
    assert fr.target == 15 * M
    assert fr.state is TimerState.BREACHED
    assert fr.breached_at == at(2, 10, 30)
    assert fr.business_elapsed == H


def test_larger_target_unbreaches_a_running_timer() -> None:
    events = [ev(at(2, 10), "opened", priority="P1"), ev(at(2, 10, 30), "priority", priority="P2")]
    fr = one(evaluate(events, SIMPLE, at(2, 10, 40)), FR)
    assert fr.state is TimerState.RUNNING and fr.breached_at is None and fr.due_at == at(2, 11)


def test_priority_without_a_target_cancels_and_a_new_target_starts_at_the_change() -> None:
    version = make_version(
        {
            "P1": {"first_response": "15m", "periodic_update": "1h", "resolution": "4h"},
            "P2": {"next_response": "1h", "resolution": "1d"},
        }
    )
    events = [
        ev(at(2, 10), "opened", priority="P2"),
        ev(at(2, 10, 5), "agent_message"),
        ev(at(2, 10, 10), "client_message"),
        ev(at(2, 10, 20), "priority", priority="P1"),
    ]
    timers = evaluate(events, version, at(2, 10, 30))
    nr = one(timers, NR)
    assert nr.state is TimerState.CANCELLED and nr.stopped_at == at(2, 10, 20)
    pu = one(timers, PU)
    assert pu.started_at == at(2, 10, 20) and pu.state is TimerState.RUNNING
    assert [t for t in timers if t.metric is FR] == []  # the first reply had already been given


def test_cross_calendar_retarget_keeps_counted_time_and_continues_on_the_new_calendar() -> None:
    version = make_version(
        {
            "P1": {"resolution": "4h", "calendar": "always"},
            "P3": {"resolution": "8h", "calendar": "office"},
        }
    )
    # Friday 2026-03-06: opened at 15:00 on office hours, 1h counted by 16:00, then P1 (24x7).
    events = [ev(at(6, 15), "opened", priority="P3"), ev(at(6, 16), "priority", priority="P1")]
    res = one(evaluate(events, version, at(6, 20)), RES)
    assert res.calendar_name == "always"
    assert res.business_elapsed == 5 * H  # 1h of office time + 4h of 24x7 time in the evening
    assert res.breached_at == at(6, 19)
    back = [*events, ev(at(6, 18), "priority", priority="P3")]
    res = one(evaluate(back, version, at(9, 10)), RES)
    # 1h office + 2h 24x7 (16-18) = 3h, then office hours again: Monday 09:00-10:00 adds 1h.
    assert res.business_elapsed == 4 * H
    assert res.due_at == at(9, 14)  # 5h left from Monday 09:00


# ---- resolution, reopen, close -------------------------------------------------------


def test_reopen_starts_a_new_resolution_cycle_and_keeps_the_old_one() -> None:
    events = [
        ev(at(2, 10), "opened", priority="P1"),
        ev(at(2, 10, 5), "agent_message"),
        ev(at(2, 12), "resolved"),
        ev(at(2, 15), "reopened"),
    ]
    timers = evaluate(events, SIMPLE, at(2, 16))
    old, new = one(timers, RES, 1), one(timers, RES, 2)
    assert old.state is TimerState.MET and old.business_elapsed == 2 * H and old.stopped_at == at(2, 12)
    assert new.state is TimerState.RUNNING and new.started_at == at(2, 15) and new.business_elapsed == H


def test_reopen_sets_the_status_back_to_open() -> None:
    events = [
        ev(at(2, 10), "opened", priority="P1"),
        ev(at(2, 11), "status", status="waiting_on_client"),
        ev(at(2, 12), "resolved"),
        ev(at(2, 15), "reopened"),
    ]
    assert one(evaluate(events, SIMPLE, at(2, 16)), RES, 2).state is TimerState.RUNNING


def test_resolution_answers_the_first_response() -> None:
    events = [ev(at(2, 10), "opened", priority="P1"), ev(at(2, 10, 10), "resolved")]
    timers = evaluate(events, SIMPLE, at(2, 11))
    assert one(timers, FR).state is TimerState.MET and one(timers, FR).stopped_at == at(2, 10, 10)
    late = evaluate([events[0], ev(at(2, 10, 20), "resolved")], SIMPLE, at(2, 11))
    assert one(late, FR).state is TimerState.BREACHED and one(late, FR).breached_at == at(2, 10, 15)


def test_resolution_stops_the_next_response() -> None:
    events = [
        ev(at(2, 10), "opened", priority="P1"),
        ev(at(2, 10, 5), "agent_message"),
        ev(at(2, 10, 6), "client_message"),
        ev(at(2, 10, 16), "resolved"),
        ev(at(2, 10, 17), "client_message"),  # on a resolved ticket: no new wait
    ]
    timers = evaluate(events, SIMPLE, at(2, 11))
    assert [(t.cycle, t.state) for t in timers if t.metric is NR] == [(1, TimerState.MET)]


def test_closed_cancels_what_is_still_running() -> None:
    events = [ev(at(2, 10), "opened", priority="P2"), ev(at(2, 10, 30), "closed")]
    timers = evaluate(events, SIMPLE, at(2, 12))
    assert {t.metric: t.state for t in timers} == {FR: TimerState.CANCELLED, RES: TimerState.CANCELLED}
    assert all(t.stopped_at == at(2, 10, 30) and t.business_elapsed == 30 * M for t in timers)


def test_closing_a_breached_timer_keeps_the_breach() -> None:
    events = [ev(at(2, 10), "opened", priority="P1"), ev(at(2, 10, 30), "closed")]
    fr = one(evaluate(events, SIMPLE, at(2, 12)), FR)
    assert fr.state is TimerState.BREACHED and fr.breached_at == at(2, 10, 15)


def test_dismissed_cancels_every_clock_and_forgets_its_breaches() -> None:
    events = [
        ev(at(2, 10), "opened", priority="P1"),
        ev(at(2, 10, 30), "agent_message"),  # first response breached at 10:15, stopped at 10:30
        ev(at(2, 11), "resolved"),
        ev(at(2, 11, 5), "dismissed", note="a thank-you, not a request"),
    ]
    timers = evaluate(events, SIMPLE, at(2, 12))
    assert {(t.metric, t.state, t.breached_at) for t in timers} == {
        (FR, TimerState.CANCELLED, None),
        (RES, TimerState.CANCELLED, None),
    }
    [entry] = [e for e in explain(events, SIMPLE, at(2, 12)) if e.effect == "dismissed"]
    assert entry.detail == "not a ticket: a thank-you, not a request — every clock cancelled"


def test_dismissed_is_final() -> None:
    clock = TicketClock(SIMPLE)
    clock.apply(ev(at(2, 10), "opened", priority="P2"))
    clock.apply(ev(at(2, 10, 5), "dismissed"))
    with pytest.raises(EventError, match="dismissed is final"):
        clock.apply(ev(at(2, 10, 6), "reopened"))
    with pytest.raises(EventError, match="dismissed is final"):
        clock.apply(ev(at(2, 10, 6), "dismissed"))


# ---- rejected events -----------------------------------------------------------------


def _opened_clock() -> TicketClock:
    clock = TicketClock(SIMPLE)
    clock.apply(ev(at(2, 10), "opened", priority="P2"))
    clock.apply(ev(at(2, 10, 30), "status", status="waiting_on_client"))
    return clock


@pytest.mark.parametrize(
    ("event", "message"),
    [
        (ev(at(2, 10, 10), "agent_message"), "out of order"),
        (ev(at(2, 11), "opened", priority="P1"), "already open"),
        (ev(at(2, 11), "priority"), "needs the new priority"),
        (ev(at(2, 11), "priority", priority="P9"), "unknown priority 'P9'"),
        (ev(at(2, 11), "status"), "needs the new status"),
        (ev(at(2, 11), "status", status="wating"), "unknown status 'wating'"),
        (ev(at(2, 11), "reopened"), "not resolved"),
        (TicketEvent("T2", at(2, 11), EventKind.AGENT_MESSAGE), "ticket T2"),
    ],
)
def test_rejected_event_raises_and_leaves_the_clock_unchanged(event: TicketEvent, message: str) -> None:
    clock = _opened_clock()
    before, timeline = clock.timers(at(2, 12)), list(clock.timeline)
    with pytest.raises(EventError, match=message):
        clock.apply(event)
    assert clock.timers(at(2, 12)) == before
    assert clock.timeline == timeline
    clock.apply(ev(at(2, 11), "status", status="open"))  # the clock still works
    assert one(clock.timers(at(2, 11)), FR).state is TimerState.RUNNING


def test_first_event_must_be_opened() -> None:
    clock = TicketClock(SIMPLE)
    with pytest.raises(EventError, match="unknown ticket T1"):
        clock.apply(ev(at(2, 10), "agent_message"))
    assert clock.timers(at(2, 10)) == []
    with pytest.raises(EventError, match="unknown priority"):
        clock.apply(ev(at(2, 10), "opened", priority="P7"))
    clock.apply(ev(at(2, 10), "opened", priority="P1"))
    assert len(clock.timers(at(2, 10))) == 2


def test_resolved_twice_and_events_after_closed_are_rejected() -> None:
    clock = TicketClock(SIMPLE)
    clock.apply(ev(at(2, 10), "opened", priority="P1"))
    clock.apply(ev(at(2, 11), "resolved"))
    with pytest.raises(EventError, match="already resolved"):
        clock.apply(ev(at(2, 12), "resolved"))
    clock.apply(ev(at(2, 13), "closed"))
    before = clock.timers(at(2, 14))
    for kind in ("reopened", "client_message", "closed"):
        with pytest.raises(EventError, match="closed is final"):
            clock.apply(ev(at(2, 14), kind))
    assert clock.timers(at(2, 14)) == before


def test_naive_datetimes_are_rejected() -> None:
    with pytest.raises(ValueError, match="no timezone"):
        TicketEvent("T1", datetime(2026, 3, 2, 10), EventKind.OPENED)
    clock = TicketClock(SIMPLE)
    clock.apply(ev(at(2, 10), "opened", priority="P1"))
    with pytest.raises(ValueError, match="no timezone"):
        clock.timers(datetime(2026, 3, 2, 11))


def test_unknown_event_kind_is_rejected() -> None:
    with pytest.raises(EventError, match="unknown event 'replied'"):
        TicketEvent("T1", at(2, 10), "replied")  # type: ignore[arg-type]


def test_timers_before_the_last_event_is_an_error() -> None:
    clock = TicketClock(SIMPLE)
    clock.apply(ev(at(2, 10), "opened", priority="P1"))
    with pytest.raises(ValueError, match="before the ticket's last event"):
        clock.timers(at(2, 9))


def test_equal_timestamps_are_applied_in_input_order() -> None:
    opened = ev(at(2, 10), "opened", priority="P1")
    reply = ev(at(2, 10, 5), "agent_message")
    client = ev(at(2, 10, 10), "client_message")
    answer = ev(at(2, 10, 10), "agent_message")
    # client then agent at the same instant: the wait is answered at once.
    a = evaluate([opened, reply, client, answer], SIMPLE, at(2, 11))
    assert one(a, NR).state is TimerState.MET and one(a, NR).business_elapsed == timedelta(0)
    # agent then client: the client is left waiting.
    b = evaluate([opened, reply, answer, client], SIMPLE, at(2, 11))
    assert one(b, NR).state is TimerState.BREACHED
    assert evaluate([opened, reply, answer, client], SIMPLE, at(2, 11)) == b


# ---- business calendars --------------------------------------------------------------


def test_breached_at_is_exact_across_a_weekend_and_holidays() -> None:
    version = make_version({"P3": {"first_response": "4h", "resolution": "3d"}}, calendar="berlin")
    # Thursday 2026-04-02 16:00 Berlin (14:00 UTC); Good Friday and Easter Monday are holidays in Berlin.
    opened = ev(datetime(2026, 4, 2, 14, tzinfo=UTC), "opened", priority="P3")
    fr = one(evaluate([opened], version, datetime(2026, 4, 8, tzinfo=UTC)), FR)
    # 1h on Thursday, then Tuesday 09:00 + 3h = 12:00 Berlin (10:00 UTC, CEST).
    assert fr.breached_at == datetime(2026, 4, 7, 10, tzinfo=UTC)
    assert fr.state is TimerState.BREACHED
    assert fr.business_elapsed == timedelta(hours=1 + 8)  # Thursday 1h + Tuesday 8h
    just_before = one(evaluate([opened], version, datetime(2026, 4, 7, 9, 59, 59, tzinfo=UTC)), FR)
    assert just_before.state is TimerState.RUNNING
    assert just_before.due_at == datetime(2026, 4, 7, 10, tzinfo=UTC)


# ---- alert points --------------------------------------------------------------------

ALERTING = make_version(
    {
        "P1": {"first_response": "1h", "resolution": "4h", "calendar": "always"},
        "P3": {"first_response": "4h", "resolution": "3d", "calendar": "office"},
    },
    pause_on={"waiting_on_client": ALL_PAUSE},
    warn_at=("50%", "75%", "15m"),
    escalation=("30m", "2h"),
)


def test_alert_points_are_keyed_per_metric_cycle_and_threshold() -> None:
    fr = one(evaluate([ev(at(2, 10), "opened", priority="P1")], ALERTING, at(2, 10)), FR)
    points = alert_points(fr, ALERTING)
    assert [(p.key, p.kind, p.at) for p in points] == [
        ("first_response:1:50%", "warning", at(2, 10, 30)),
        ("first_response:1:75%", "warning", at(2, 10, 45)),  # ties keep the contract's order
        ("first_response:1:15m-before", "warning", at(2, 10, 45)),
        ("first_response:1:breach", "breach", at(2, 11)),
        ("first_response:1:escalation-1", "escalation", at(2, 11, 30)),
        ("first_response:1:escalation-2", "escalation", at(2, 13)),
    ]
    assert [p.threshold for p in points][-3:] == ["breach", "escalation-1", "escalation-2"]
    assert points == sorted(points, key=lambda p: p.at)


def test_business_hours_alerts_never_fall_while_the_calendar_is_closed() -> None:
    # Opened Friday 16:00 on office hours: 4h first response -> due Monday 12:00.
    fr = one(evaluate([ev(at(6, 16), "opened", priority="P3")], ALERTING, at(6, 16)), FR)
    points = alert_points(fr, ALERTING)
    assert {p.key.split(":")[2]: p.at for p in points} == {
        "50%": at(9, 10),
        "75%": at(9, 11),
        "15m-before": at(9, 11, 45),
        "breach": at(9, 12),
        "escalation-1": at(9, 12, 30),
        "escalation-2": at(9, 14),
    }
    for point in points:  # every instant closes a stretch of open business time
        assert OFFICE.elapsed(point.at - timedelta(seconds=1), point.at) == timedelta(seconds=1)


def test_24x7_alerts_fire_at_any_hour() -> None:
    fr = one(evaluate([ev(at(6, 23), "opened", priority="P1")], ALERTING, at(6, 23)), FR)
    assert [p.at for p in alert_points(fr, ALERTING)][:2] == [at(6, 23, 30), at(6, 23, 45)]
    assert not OFFICE.is_open(at(6, 23, 30)) and ALWAYS.is_open(at(6, 23, 30))


def test_points_crossed_before_a_pause_keep_their_historic_instants() -> None:
    events = [
        ev(at(2, 10), "opened", priority="P1"),
        ev(at(2, 10, 40), "status", status="waiting_on_client"),  # 50% was crossed at 10:30
        ev(at(2, 12), "status", status="open"),
    ]
    fr = one(evaluate(events, ALERTING, at(2, 12)), FR)
    by_key = {p.threshold: p.at for p in alert_points(fr, ALERTING)}
    assert by_key["50%"] == at(2, 10, 30)
    assert by_key["75%"] == at(2, 12, 5)  # 45m: 40m before the pause + 5m after
    assert by_key["breach"] == at(2, 12, 20)
    assert next_alert_at(fr, ALERTING, at(2, 12)) == at(2, 12, 5)


def test_paused_and_stopped_timers_have_no_alert_points() -> None:
    opened = ev(at(2, 10), "opened", priority="P1")
    paused = one(
        evaluate([opened, ev(at(2, 10, 5), "status", status="waiting_on_client")], ALERTING, at(2, 11)), FR
    )
    assert alert_points(paused, ALERTING) == [] and next_alert_at(paused, ALERTING, at(2, 11)) is None
    resolved = evaluate([opened, ev(at(2, 10, 5), "resolved")], ALERTING, at(2, 11))
    assert all(alert_points(t, ALERTING) == [] for t in resolved)
    assert all(next_alert_at(t, ALERTING, at(2, 9)) is None for t in resolved)


def test_breached_running_timer_keeps_its_breach_and_escalation_points() -> None:
    fr = one(evaluate([ev(at(2, 10), "opened", priority="P1")], ALERTING, at(2, 11, 10)), FR)
    assert fr.state is TimerState.BREACHED
    assert next_alert_at(fr, ALERTING, at(2, 11, 10)) == at(2, 11, 30)
    assert next_alert_at(fr, ALERTING, at(2, 13)) is None


def test_points_after_a_retarget_are_not_earlier_than_the_change() -> None:
    events = [ev(at(2, 10), "opened", priority="P3"), ev(at(2, 12), "priority", priority="P1")]
    fr = one(evaluate(events, ALERTING, at(2, 12)), FR)
    points = alert_points(fr, ALERTING)
    assert {p.threshold: p.at for p in points}["breach"] == at(2, 12)
    assert all(p.at >= at(2, 12) for p in points)


def test_alert_points_work_from_stored_columns_without_stretches() -> None:
    from dataclasses import replace

    events = [
        ev(at(2, 10), "opened", priority="P3"),
        ev(at(2, 10, 30), "status", status="waiting_on_client"),
        ev(at(2, 11), "status", status="open"),
    ]
    fr = one(evaluate(events, ALERTING, at(2, 11)), FR)
    stored = replace(fr, stretches=(), calendar=None)  # as rebuilt from the timer table
    assert next_alert_at(stored, ALERTING, at(2, 11)) == next_alert_at(fr, ALERTING, at(2, 11))
    assert next_alert_at(stored, ALERTING, at(2, 11)) == at(2, 12, 30)  # 50%: 30m + 1h30m


# ---- explain -------------------------------------------------------------------------


def test_explain_tells_the_story_including_breaches_between_events() -> None:
    events = [
        ev(at(2, 10), "opened", priority="P1"),
        ev(at(2, 10, 10), "status", status="waiting_on_client"),
        ev(at(2, 10, 40), "status", status="open"),
        ev(at(2, 11), "agent_message"),
        ev(at(2, 12), "priority", priority="P2"),
    ]
    story = explain(events, SIMPLE, at(2, 22))
    rows = [(e.at, e.metric, e.effect) for e in story]
    assert rows == [
        (at(2, 10), FR, "started"),
        (at(2, 10), RES, "started"),
        (at(2, 10, 10), FR, "paused"),
        (at(2, 10, 10), RES, "paused"),
        (at(2, 10, 40), FR, "resumed"),
        (at(2, 10, 40), RES, "resumed"),
        (at(2, 10, 45), FR, "breached"),
        (at(2, 11), FR, "stopped"),
        (at(2, 12), RES, "retargeted"),
        (at(2, 18, 30), RES, "breached"),  # after the last event: 8h of P2 time at 18:30
    ]
    assert story[6].event == "clock"
    assert "breached at 2026-03-02 10:45 UTC: 15m of business time used" in story[6].detail
    assert "15m after its breach" in story[7].detail
    assert "4h -> 8h" in story[8].detail and "1h 30m of 8h used" in story[8].detail
    assert "30m paused" in story[8].detail
    clock = TicketClock(SIMPLE)
    for e in events:
        clock.apply(e)
    assert clock.timeline == story[:-1]


def test_explain_met_and_cancelled_details() -> None:
    events = [
        ev(at(2, 10), "opened", priority="P2"),
        ev(at(2, 10, 40), "agent_message"),
        ev(at(2, 11), "closed"),
    ]
    story = explain(events, SIMPLE, at(2, 11))
    met = [e for e in story if e.effect == "met"]
    assert [e.detail for e in met] == ["first_response met by agent_message: 40m of 1h used"]
    cancelled = [e for e in story if e.effect == "cancelled"]
    assert [e.metric for e in cancelled] == [RES] and "1h of 8h used" in cancelled[0].detail


def test_record_timeline_false_gives_the_same_timers() -> None:
    events = [ev(at(2, 10), "opened", priority="P1"), ev(at(2, 10, 40), "agent_message")]
    quiet = TicketClock(SIMPLE, record_timeline=False)
    for e in events:
        assert quiet.apply(e) == []
    assert quiet.timeline == []
    assert quiet.timers(at(2, 12)) == evaluate(events, SIMPLE, at(2, 12))


def test_slot_builder_makes_the_same_frozen_value_as_the_constructor() -> None:
    """The fold builds its values with slot_builder: equal, equally hashable and still frozen."""
    import dataclasses

    from sla.timers import RunningStretch, slot_builder

    t0 = at(2, 9)
    stretch = slot_builder(RunningStretch)(t0, timedelta(0), None, None, ALWAYS)
    assert stretch == RunningStretch(t0, timedelta(0), None, None, ALWAYS)
    assert hash(stretch) == hash(RunningStretch(t0, timedelta(0), None, None, ALWAYS))
    assert stretch.calendar is ALWAYS and repr(stretch) == repr(RunningStretch(t0, timedelta(0)))
    with pytest.raises(dataclasses.FrozenInstanceError):
        stretch.start = t0  # type: ignore[misc]
    event = slot_builder(TicketEvent)("T-1", t0, EventKind.OPENED, "P1", None, "acme", None, None)
    assert event == TicketEvent("T-1", t0, EventKind.OPENED, priority="P1", client="acme")
    clock = TicketClock(make_version({"P1": {"resolution": "4h"}}))
    clock.apply(event)
    (first, *_) = clock.timers(t0 + timedelta(minutes=5))
    assert isinstance(first, MetricTimer) and dataclasses.replace(first) == first
