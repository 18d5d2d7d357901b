"""The batched sweep (one transaction per claim batch, bulk outbox inserts) stores exactly what the
ticket-by-ticket sweep stores: the same notifications (keys, kinds, states, payloads, destinations,
superseded warnings settled as cancelled), the same timer projection (next alert instants, recorded
breaches, leases) and counts — on SQLite and PostgreSQL, through downtime, resolutions mid-way and
claim batches smaller than the due set. A batch that fails is swept ticket by ticket: only the bad
ticket waits for its lease."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.clock import ManualClock
from bot.services.alerts import Sweeper, SweepStats
from bot.services.tickets import TicketService
from sla.contracts import load_contracts_text
from storage.models import MetricTimerRow, Notification, Ticket
from storage.uow import UnitOfWork
from tests.bot.conftest import CONTRACTS, MONDAY_9_BERLIN, SUPPORT, TEAM


class Side:
    def __init__(self, uow: UnitOfWork, *, batched: bool, batch: int) -> None:
        self.clock = ManualClock(MONDAY_9_BERLIN)
        self.uow = uow
        book = load_contracts_text(CONTRACTS)
        self.tickets = TicketService(uow=uow, book=book, clock=self.clock)
        self.sweeper = Sweeper(
            uow=uow,
            book=book,
            tickets=self.tickets,
            clock=self.clock,
            worker_id="sweep-1",
            batch=batch,
            batched=batched,
        )

    def open(self, n: int, priority: str, thread: bool) -> str:
        state = self.tickets.open(
            team_id=TEAM,
            client_key="acme",
            source="slack_thread",
            priority=priority,
            title=f"ticket {n}",
            channel_id=SUPPORT if thread else None,
            thread_ts=f"1772438400.{n:06d}" if thread else None,
        )
        return state.ticket.ref

    def stored(self) -> dict[str, Any]:
        with self.uow.begin(read_only=True) as tx:
            s = tx.session
            n = Notification
            outbox = sorted(
                (r.idempotency_key, r.kind, r.state, r.channel_id, r.thread_ts, r.ticket_id, r.last_error)
                + (repr(sorted(r.payload.items())), r.not_before, r.created_at)
                for r in s.scalars(select(n))
            )
            m = MetricTimerRow
            timers = sorted(
                (r.ticket_id, r.metric, r.cycle, r.state, r.next_alert_at, r.breached_at)
                + (r.lease_until, r.claimed_by, r.business_elapsed_seconds, r.updated_at)
                for r in s.scalars(select(m))
            )
            tickets = sorted((t.id, t.has_breach, t.updated_at) for t in s.scalars(select(Ticket)))
        return {"outbox": outbox, "timers": timers, "tickets": tickets}


def counts(stats: SweepStats) -> tuple[int, ...]:
    return (stats.claimed, stats.tickets, stats.enqueued, stats.superseded, stats.recorded, stats.errors)


def history(side: Side) -> Iterator[tuple[int, ...]]:
    """Tickets opened over an hour (P1 24x7 and P2 office hours, with and without a thread), some
    answered or resolved, swept every few minutes and once after 40 minutes of downtime."""
    refs = []
    for n in range(24):
        refs.append(side.open(n, "P1" if n % 3 else "P2", thread=n % 4 != 0))
        if n % 6 == 5:
            side.clock.advance(timedelta(minutes=4))
            yield counts(side.sweeper.run_once())
    side.tickets.record(team_id=TEAM, ref=refs[1], kind="agent_message", actor="U0AGENT001")
    side.tickets.record(team_id=TEAM, ref=refs[2], kind="resolved", actor="U0AGENT001")
    for _ in range(3):
        side.clock.advance(timedelta(minutes=3))
        yield counts(side.sweeper.run_once())
    side.clock.advance(timedelta(minutes=40))  # downtime: warnings superseded, breaches and escalations due
    yield counts(side.sweeper.run_once())
    yield counts(side.sweeper.run_once())  # the same instant again: nothing new
    side.tickets.record(team_id=TEAM, ref=refs[5], kind="client_message", actor="U0CLIENT01")
    side.clock.advance(timedelta(hours=3))
    yield counts(side.sweeper.run_once())


def test_batched_sweep_stores_what_the_ticket_by_ticket_sweep_stores(
    uow: UnitOfWork, second_uow: UnitOfWork
) -> None:
    batched = Side(uow, batched=True, batch=7)  # claim batches smaller than what is due
    reference = Side(second_uow, batched=False, batch=7)
    steps = 0
    for ours, theirs in zip(history(batched), history(reference), strict=True):
        assert ours == theirs
        assert batched.stored() == reference.stored()
        steps += 1
    stored = batched.stored()
    states = {row[2] for row in stored["outbox"]}
    assert {"pending", "cancelled"} <= states  # superseded warnings were recorded
    assert any(row[3] == "breached" for row in stored["timers"])
    assert any(row[1] for row in stored["tickets"])  # has_breach
    assert steps == 10


def test_a_failing_batch_is_swept_ticket_by_ticket_and_only_the_bad_ticket_waits(
    uow: UnitOfWork, second_uow: UnitOfWork, monkeypatch: pytest.MonkeyPatch
) -> None:
    side = Side(uow, batched=True, batch=100)
    reference = Side(second_uow, batched=False, batch=100)
    refs = [side.open(n, "P1", thread=True) for n in range(5)]
    for n in range(5):
        reference.open(n, "P1", thread=True)
    bad = refs[2]
    fold = side.tickets.fold

    def failing_fold(tx: Any, ticket: Ticket, **kwargs: Any) -> Any:
        if ticket.ref == bad:
            raise RuntimeError("corrupt history")
        return fold(tx, ticket, **kwargs)

    monkeypatch.setattr(side.tickets, "fold", failing_fold)
    for s in (side, reference):
        s.clock.advance(timedelta(minutes=11))  # every 50 % warning is due
    stats = side.sweeper.run_once()
    assert (stats.claimed, stats.tickets, stats.enqueued, stats.errors) == (
        5,
        5,
        4,
        1,
    )  # 4 good tickets, the alert channel only: their threads are the client's (no copy goes there)
    reference.sweeper.run_once()
    with uow.begin(read_only=True) as tx:
        keys = set(
            tx.session.scalars(select(Notification.idempotency_key).where(Notification.kind == "warning"))
        )
    assert len(keys) == 4
    assert not any(f":{bad}:" in key for key in keys)
    with second_uow.begin(read_only=True) as tx:
        expected = set(
            tx.session.scalars(select(Notification.idempotency_key).where(Notification.kind == "warning"))
        )
    assert keys == {key for key in expected if f":{bad}:" not in key}
    # the bad ticket keeps its lease (retried after it), the others were released
    with uow.begin(read_only=True) as tx:
        leased = {
            (t.ref, r.claimed_by is not None)
            for r, t in tx.session.execute(
                select(MetricTimerRow, Ticket).join(Ticket, Ticket.id == MetricTimerRow.ticket_id)
            )
        }
    assert {ref for ref, held in leased if held} == {bad}
