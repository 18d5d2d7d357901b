"""One ticket per source message: concurrent openings of one message (Slack redelivers a late-acked
event) find one ticket on SQLite and PostgreSQL, a later message of the same thread may open its own
(a successor ticket), and migration 0007 closes the duplicates an older version left."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, select, text

from bot.clock import ManualClock
from bot.services.tickets import TicketService
from sla.contracts import load_contracts_text
from storage.db import make_engine, migrate
from storage.models import MetricTimerRow, Notification, Ticket, TicketEventRow, Workspace
from storage.uow import UnitOfWork
from tests.bot.conftest import CONTRACTS, MONDAY_9_BERLIN, SUPPORT, TEAM
from tests.support.threads import open_from_thread


def _service(uow: UnitOfWork) -> TicketService:
    return TicketService(uow=uow, book=load_contracts_text(CONTRACTS), clock=ManualClock(MONDAY_9_BERLIN))


def _open(tickets: TicketService, ts: str = "1772438400.000100", *, source_ts: str | None = None):
    external_id = f"{SUPPORT}:{source_ts or ts}"
    return open_from_thread(
        tickets,
        TEAM,
        SUPPORT,
        ts,
        title="help",
        requester="U0CLIENT01",
        external_id=external_id,
        source_ts=source_ts,
    )


def test_ten_concurrent_openings_of_one_message_make_one_ticket(uow: UnitOfWork) -> None:
    tickets = _service(uow)
    _open(tickets, "1772438300.000100")  # another thread first: numbering must stay gap-free after losers
    start = threading.Barrier(10)
    results, errors = [], []

    def deliver() -> None:
        start.wait()
        try:
            results.append(_open(tickets))
        except Exception as exc:  # pragma: no cover - the test reports it
            errors.append(exc)

    threads = [threading.Thread(target=deliver) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors
    assert sum(state.created for state in results) == 1
    assert {state.ticket.ref for state in results} == {"T-2"}
    with uow.begin(read_only=True) as tx:
        rows = tx.session.scalars(select(Ticket).where(Ticket.thread_ts == "1772438400.000100")).all()
        assert len(rows) == 1
        events = tx.events.list_for_ticket(team_id=TEAM, ticket_id=rows[0].id)
        assert [e.kind for e in events] == ["opened"]
    assert _open(tickets, "1772438500.000100").ticket.ref == "T-3"  # the losers' numbers were not spent


def test_a_redelivery_gets_the_stored_ticket_with_its_clocks(uow: UnitOfWork) -> None:
    tickets = _service(uow)
    first = _open(tickets)
    again = _open(tickets)
    assert first.created and not again.created
    assert again.ticket.id == first.ticket.id
    assert [t.metric for t in again.timers] == [t.metric for t in first.timers]


def test_a_later_message_of_the_thread_may_open_a_successor_ticket(uow: UnitOfWork) -> None:
    tickets = _open(_service(uow)), None
    service = _service(uow)
    successor = _open(service, source_ts="1772438900.000200")
    assert successor.created and successor.ticket.thread_ts == "1772438400.000100"
    assert not _open(service, source_ts="1772438900.000200").created
    assert tickets[0].ticket.id != successor.ticket.id


def test_migration_0007_closes_duplicates_already_stored(db_url: str) -> None:
    migrate(db_url, "0006")
    engine = make_engine(db_url)
    try:
        uow = UnitOfWork.from_engine(engine)
        tickets = _service(uow)
        with engine.begin() as conn:  # what an older version could leave: three tickets for one thread
            conn.execute(insert(Workspace).values(team_id=TEAM, installed_at=MONDAY_9_BERLIN, ticket_seq=4))
            for n, ts in enumerate(["1772438400.000100"] * 3 + ["1772438999.000100"], start=1):
                conn.execute(
                    insert(Ticket).values(
                        id=n,
                        team_id=TEAM,
                        number=n,
                        ref=f"T-{n}",
                        source="slack_thread",
                        channel_id=SUPPORT,
                        thread_ts=ts,
                        client_key="acme",
                        priority="P2",
                        status="open",
                        opened_at=MONDAY_9_BERLIN,
                        updated_at=MONDAY_9_BERLIN,
                        is_open=True,
                        has_breach=False,
                        event_seq=1,
                    )
                )
                conn.execute(
                    insert(TicketEventRow).values(
                        team_id=TEAM,
                        ticket_id=n,
                        seq=1,
                        at=MONDAY_9_BERLIN,
                        kind="opened",
                        priority="P2",
                        client="acme",
                        recorded_at=MONDAY_9_BERLIN,
                    )
                )
                conn.execute(
                    insert(MetricTimerRow).values(
                        team_id=TEAM,
                        ticket_id=n,
                        metric="resolution",
                        cycle=0,
                        priority="P2",
                        state="running",
                        target_seconds=3600,
                        started_at=MONDAY_9_BERLIN,
                        business_elapsed_seconds=0.0,
                        paused_for_seconds=0.0,
                        next_alert_at=MONDAY_9_BERLIN + timedelta(minutes=30),
                        updated_at=MONDAY_9_BERLIN,
                    )
                )
                conn.execute(
                    insert(Notification).values(
                        team_id=TEAM,
                        idempotency_key=f"warn:{n}",
                        kind="warning",
                        ticket_id=n,
                        payload={},
                        state="pending",
                        attempts=0,
                        not_before=MONDAY_9_BERLIN,
                        created_at=MONDAY_9_BERLIN,
                    )
                )
            if engine.dialect.name == "postgresql":
                conn.execute(text("SELECT setval('tickets_id_seq', 4)"))
        other_id = 4
        migrate(db_url)  # never fails on the duplicates
        with uow.begin(read_only=True) as tx:
            rows = tx.session.scalars(select(Ticket).order_by(Ticket.id)).all()
            keeper, *younger = rows[:3]
            assert keeper.status == "open" and keeper.duplicate_of is None
            assert all(
                t.status == "closed" and not t.is_open and t.duplicate_of == keeper.id for t in younger
            )
            assert rows[3].id == other_id and rows[3].duplicate_of is None
            closing = tx.session.scalars(
                select(TicketEventRow)
                .where(TicketEventRow.ticket_id == younger[0].id)
                .order_by(TicketEventRow.seq)
            ).all()
            assert [e.kind for e in closing] == ["opened", "closed"] and keeper.ref in (closing[1].note or "")
            timers = {r.ticket_id: r for r in tx.session.scalars(select(MetricTimerRow))}
            assert timers[keeper.id].next_alert_at is not None
            assert all(
                timers[t.id].next_alert_at is None and timers[t.id].state == "cancelled" for t in younger
            )
            states = {n.ticket_id: n.state for n in tx.session.scalars(select(Notification))}
            assert states[keeper.id] == "pending"
            assert {states[t.id] for t in younger} == {"cancelled"}
        # the thread is now guarded: one more delivery finds the kept ticket
        again = _open(tickets)
        assert not again.created and again.ticket.id == keeper.id
        # the folded events of a closed duplicate say closed: the projection agrees with the truth
        state = tickets.state(team_id=TEAM, ref=younger[0].ref)
        assert state.ticket.status == "closed"
        assert datetime.now(UTC) - younger[0].closed_at < timedelta(minutes=5)
    finally:
        engine.dispose()
