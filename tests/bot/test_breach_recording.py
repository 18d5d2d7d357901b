"""The sweep records a breach that time alone caused on the stored timer (state, ``breached_at``, the
ticket's ``has_breach``) in the transaction that enqueues its notice; one that happened while no process
ran is recorded at its true instant; the stored rows then equal the fold and the reports count it."""

from __future__ import annotations

from datetime import timedelta

from bot.services.alerts import alert_key
from bot.services.reports import ReportService
from sla.periods import Period
from tests.bot.conftest import ALERTS, MONDAY_9_BERLIN, TEAM, World, keys


def _stored(world: World, ref: str) -> dict[str, object]:
    with world.uow.begin(read_only=True) as tx:
        ticket = tx.tickets.get_by_ref(team_id=TEAM, ref=ref)
        assert ticket is not None
        rows = {r.metric: r for r in tx.timers.list_for_ticket(team_id=TEAM, ticket_id=ticket.id)}
        return {"ticket": ticket, **rows}


def test_unanswered_ticket_is_recorded_breached_by_the_sweep_that_sends_the_notice(world: World) -> None:
    ref = world.open("P1")  # first response 20m, 24x7
    due = MONDAY_9_BERLIN + timedelta(minutes=20)
    world.step_until(due - timedelta(minutes=1))
    before = _stored(world, ref)
    assert before["first_response"].state == "running" and not before["ticket"].has_breach

    world.step_until(due + timedelta(minutes=2))
    stored = _stored(world, ref)
    row = stored["first_response"]
    assert (row.state, row.breached_at) == ("breached", due)
    assert stored["ticket"].has_breach
    assert alert_key(TEAM, ref, "first_response:1:breach") in keys(world.alerts(ALERTS))
    assert stored["resolution"].state == "running" and stored["resolution"].breached_at is None
    # the stored row, brought forward, is what the fold says now
    live = world.tickets.live_timer(row, world.clock.now())
    folded = next(
        t for t in world.tickets.state(team_id=TEAM, ref=ref).timers if t.metric == "first_response"
    )
    assert (live.state, live.breached_at, live.due_at) == (folded.state, folded.breached_at, folded.due_at)
    assert abs(live.business_elapsed - folded.business_elapsed) < timedelta(seconds=1)


def test_breach_while_no_process_ran_is_recorded_at_its_true_instant(world: World) -> None:
    ref = world.open("P2")  # first response 1h of office hours from Monday 09:00 Berlin
    world.clock.set(MONDAY_9_BERLIN + timedelta(days=3))  # nobody ran for three days
    world.sweeper.run_once()
    row = _stored(world, ref)["first_response"]
    assert (row.state, row.breached_at) == ("breached", MONDAY_9_BERLIN + timedelta(hours=1))
    # the late reply keeps the same breach instant (the event rewrites the projection from the fold)
    world.tickets.record(team_id=TEAM, ref=ref, kind="agent_message", actor="U0AGENT001")
    row = _stored(world, ref)["first_response"]
    assert (row.state, row.breached_at) == ("breached", MONDAY_9_BERLIN + timedelta(hours=1))
    assert row.stopped_at == MONDAY_9_BERLIN + timedelta(days=3)


def test_a_reply_committed_before_the_breach_is_recorded_wins(world: World) -> None:
    ref = world.open("P1")
    world.clock.advance(timedelta(minutes=19, seconds=59))
    world.tickets.record(team_id=TEAM, ref=ref, kind="agent_message", actor="U0AGENT001")
    world.clock.advance(timedelta(minutes=5))
    stats = world.sweeper.run_once()
    row = _stored(world, ref)["first_response"]
    assert (row.state, row.breached_at, stats.recorded) == ("met", None, 0)


def test_report_counts_the_open_breached_ticket_in_the_period_of_its_breach(world: World) -> None:
    answered = world.open("P1")
    world.clock.advance(timedelta(minutes=5))
    world.tickets.record(team_id=TEAM, ref=answered, kind="agent_message", actor="U0AGENT001")
    world.open("P1")  # nobody ever answers it
    world.step_until(MONDAY_9_BERLIN + timedelta(hours=2))
    reports = ReportService(uow=world.uow, book=world.book, clock=world.clock)
    day = Period(MONDAY_9_BERLIN - timedelta(hours=8), MONDAY_9_BERLIN + timedelta(hours=16), "the day")
    report = reports.build(team_id=TEAM, period=day)
    line = next(x for x in report.lines if x.metric == "first_response")
    assert (line.met, line.breached, line.tickets) == (1, 1, 2)
    assert "All: 50 % met (1/2)" in report.text()
