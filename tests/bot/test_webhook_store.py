"""A webhook delivery stored in bulk (``TicketIngest.store``: one transaction, the listeners run per
stored event) ends where the event-by-event path (``plan`` + ``apply``: one ``TicketService`` call
each) ends: the same events, tickets, timer projection, audit rows, alerts and "met" notes in the
outbox, status card refreshes and surveys — on SQLite and PostgreSQL, for new tickets and tickets of
an earlier delivery, duplicates and unchanged events included."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bot.clock import ManualClock
from bot.services.tickets import TicketService
from bot.sources.ingest import TicketIngest
from bot.sources.schema import SourceEvent
from sla.contracts import load_contracts
from sla.metrics import EventKind
from storage.models import AuditEntry, MetricTimerRow, Notification, Survey, Ticket, TicketEventRow
from storage.uow import UnitOfWork

ROOT = Path(__file__).resolve().parents[2]
TEAM = "T0HOOKS001"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday, 10:00 in Berlin


def ev(i: str, ticket: str, minutes: int, kind: str, **fields: Any) -> SourceEvent:
    return SourceEvent(
        event_id=i, ticket_id=ticket, at=T0 + timedelta(minutes=minutes), kind=EventKind(kind), **fields
    )


FIRST = [
    ev("a1", "HD-1", 0, "opened", client="acme", priority="P1", title="Down", requester="U0ACME0001"),
    ev("b1", "HD-2", 1, "opened", client="acme", priority="P2", title="Slow", requester="U0ACME0001"),
    ev("a2", "HD-1", 5, "agent_message", actor="U0AGENT001"),
    ev("c1", "HD-3", 6, "opened", client="globex", priority="P3", title="Question"),
    ev("b2", "HD-2", 8, "status", status="waiting_on_client"),
    ev("b3", "HD-2", 9, "status", status="waiting_on_client"),  # unchanged
    ev("a3", "HD-1", 12, "resolved", actor="U0AGENT001"),
    ev("a2", "HD-1", 5, "agent_message", actor="U0AGENT001"),  # a duplicate within the delivery
]
SECOND = [
    ev("b4", "HD-2", 30, "client_message", actor="U0ACME0001"),
    ev("a4", "HD-1", 31, "reopened"),
    ev("c2", "HD-3", 32, "priority", priority="P1"),
    ev("a1", "HD-1", 0, "opened", client="acme", priority="P1", title="Down"),  # stored by the first
    ev("b5", "HD-2", 40, "resolved", actor="U0AGENT001"),
    ev("a5", "HD-1", 45, "agent_message", actor="U0AGENT001"),
    ev("c3", "HD-3", 46, "dismissed", actor="U0AGENT001", note="not a ticket: a test"),
]


def service(uow: UnitOfWork, clock: ManualClock) -> TicketIngest:
    book = load_contracts(ROOT / "examples" / "contracts.yaml")
    return TicketIngest(TicketService(uow=uow, book=book, clock=clock))


def stored(uow: UnitOfWork) -> dict[str, Any]:
    with uow.begin(read_only=True) as tx:
        s = tx.session
        refs = {t.id: t.ref for t in s.scalars(select(Ticket))}
        return {
            "tickets": sorted(
                (
                    t.ref,
                    t.status,
                    t.priority,
                    t.resolved_at,
                    t.closed_at,
                    t.is_open,
                    t.has_breach,
                    t.event_seq,
                )
                + (t.next_due_at, t.next_risk_at, t.channel_id, t.requester, t.title, t.external_ref)
                for t in s.scalars(select(Ticket))
            ),
            "events": sorted(
                (refs[e.ticket_id], e.seq, e.at, e.kind, e.priority, e.status, e.client, e.actor, e.note)
                + (e.source, e.external_id, e.recorded_at)
                for e in s.scalars(select(TicketEventRow))
            ),
            "timers": sorted(
                (refs[m.ticket_id], m.metric, m.cycle, m.state, m.due_at, m.stopped_at, m.breached_at)
                + (m.next_alert_at, m.at_risk_at, m.business_elapsed_seconds, m.paused_for_seconds)
                for m in s.scalars(select(MetricTimerRow))
            ),
            "audit": sorted(
                (a.action, a.target, a.actor, repr(a.after)) for a in s.scalars(select(AuditEntry))
            ),
            "notices": sorted(
                (n.kind, n.idempotency_key, n.state, n.channel_id, n.thread_ts)
                for n in s.scalars(select(Notification))
                if n.kind != "status"
            ),
            "cards": sorted(
                {refs.get(n.ticket_id or 0) for n in s.scalars(select(Notification)) if n.kind == "status"}
            ),
            "surveys": sorted((refs[v.ticket_id], v.state, v.requester) for v in s.scalars(select(Survey))),
        }


def test_a_delivery_stored_in_bulk_ends_where_event_by_event_ends(
    uow: UnitOfWork, second_uow: UnitOfWork
) -> None:
    bulk_clock, ref_clock = ManualClock(T0 + timedelta(minutes=20)), ManualClock(T0 + timedelta(minutes=20))
    bulk, reference = service(uow, bulk_clock), service(second_uow, ref_clock)
    for delivery in (FIRST, SECOND):
        _plan, outcomes = bulk.store(team_id=TEAM, source="crm", events=delivery)
        plan = reference.plan(team_id=TEAM, source="crm", events=delivery)
        assert plan.ok
        expected = reference.apply(team_id=TEAM, source="crm", plan=plan)
        assert sorted(outcomes, key=lambda o: o.index) == expected
        assert stored(uow) == stored(second_uow)
        bulk_clock.advance(timedelta(minutes=30))
        ref_clock.advance(timedelta(minutes=30))
    final = stored(uow)
    assert [o for o in final["tickets"] if o[0] == "T-1"][0][1] == "open"  # reopened
    assert len(final["events"]) == 12 and len(final["audit"]) == 4  # 3 openings, 1 dismissal


def test_the_after_commit_listeners_see_every_stored_event_once(uow: UnitOfWork) -> None:
    ingest = service(uow, ManualClock(T0 + timedelta(minutes=20)))
    seen: list[tuple[str, str]] = []
    ingest.tickets.after_commit.append(lambda change: seen.append((change.ticket.ref, change.kind)))
    _plan, outcomes = ingest.store(team_id=TEAM, source="crm", events=FIRST)
    assert [o.status for o in sorted(outcomes, key=lambda o: o.index)] == [
        "created",
        "created",
        "created",
        "created",
        "created",
        "unchanged",
        "created",
        "duplicate",
    ]
    assert seen == [
        ("T-1", "opened"),
        ("T-2", "opened"),
        ("T-1", "agent_message"),
        ("T-3", "opened"),
        ("T-2", "status"),
        ("T-1", "resolved"),
    ]
