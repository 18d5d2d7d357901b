"""``slabot import``'s batches take in the next rows that close their tickets (``bot.sources.importer``'s
``_pull_forward``): which events move, that each ticket's order and every opening stay, and that a
history whose tickets all end just past a batch is stored with one write per ticket, in the state
of the per-event path."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.clock import ManualClock
from bot.services.tickets import TicketService
from bot.sources.importer import ImportSummary, RowIds, _prepared, _pull_forward, import_events
from bot.sources.ingest import TicketIngest
from bot.sources.schema import SourceEvent
from sla.contracts import load_contracts
from sla.metrics import EventKind
from sla.replay import iter_events_csv
from storage.db import make_engine, migrate
from storage.models import Ticket, TicketEventRow, TicketSource
from storage.uow import UnitOfWork

ROOT = Path(__file__).resolve().parents[2]
BOOK = load_contracts(ROOT / "examples" / "contracts.yaml")
TEAM = "T0PULL0001"
T0 = datetime(2026, 3, 10, 8, 0, tzinfo=UTC)


def _event(ticket: str, minute: int, kind: EventKind) -> SourceEvent:
    return SourceEvent(
        event_id=f"{ticket}-{minute}",
        ticket_id=ticket,
        at=T0 + timedelta(minutes=minute),
        kind=kind,
        priority="P2" if kind is EventKind.OPENED else None,
        client="acme" if kind is EventKind.OPENED else None,
    )


def test_only_the_events_of_tickets_the_next_rows_close_move_and_in_their_order() -> None:
    opened, agent, resolved, closed = (
        EventKind.OPENED,
        EventKind.AGENT_MESSAGE,
        EventKind.RESOLVED,
        EventKind.CLOSED,
    )
    current = ([_event("a", 0, opened), _event("b", 1, opened), _event("c", 2, opened)], [2, 3, 4])
    ahead_events = [
        _event("a", 3, agent),  # a is closed by the next rows: its events move
        _event("b", 4, agent),  # b goes on: stays
        _event("x", 5, opened),  # a ticket the next rows open: stays
        _event("a", 6, resolved),
        _event("c", 7, opened),  # c is opened again in the next rows: none of its events move
        _event("c", 8, closed),
        _event("a", 9, closed),
        _event("x", 10, closed),
    ]
    ahead = (list(ahead_events), [5, 6, 7, 8, 9, 10, 11, 12])
    events, lines = _pull_forward(current, [ahead])
    assert [(e.ticket_id, e.at.minute) for e in events] == [
        ("a", 0),
        ("b", 1),
        ("c", 2),
        ("a", 3),
        ("a", 6),
        ("a", 9),
    ]
    assert lines == [2, 3, 4, 5, 8, 11]
    assert [(e.ticket_id, e.at.minute) for e in ahead[0]] == [
        ("b", 4),
        ("x", 5),
        ("c", 7),
        ("c", 8),
        ("x", 10),
    ]
    assert ahead[1] == [6, 7, 9, 10, 12]


def test_row_ids_are_made_in_file_order_whatever_the_batches() -> None:
    text = (ROOT / "examples" / "events.csv").read_text()
    rows = list(iter_events_csv(io.StringIO(text)))
    once = RowIds()
    whole, _ = _prepared(rows, once, ImportSummary())
    split_ids = RowIds()
    parts = [_prepared(rows[i : i + 3], split_ids, ImportSummary())[0] for i in range(0, len(rows), 3)]
    assert [e.event_id for e in whole] == [e.event_id for part in parts for e in part]


def _history(tickets: int) -> str:
    """Tickets of four events a minute apart, one opened every minute: each ticket's events spread
    over 16 rows, so most tickets span a batch boundary and end within the next batch's rows."""
    rows = []
    for n in range(tickets):
        for step, kind in enumerate(("opened", "agent_message", "resolved", "closed")):
            rows.append((n + step, n, kind))
    rows.sort()
    lines = ["ticket_id,timestamp,event,priority,status,client"]
    for minute, n, kind in rows:
        at = (T0 + timedelta(minutes=minute)).isoformat()
        lines.append(
            f"PF-{n},{at},{kind},{'P2' if kind == 'opened' else ''},,{'acme' if kind == 'opened' else ''}"
        )
    return "\n".join(lines) + "\n"


def _uow(tmp_path: Path, name: str) -> UnitOfWork:
    engine = make_engine(f"sqlite:///{tmp_path / name}")
    migrate(engine)
    return UnitOfWork.from_engine(engine)


class CountsWrites(TicketIngest):
    """Counts the stored tickets each batch writes again."""

    rewrites = 0

    def _store(self, tx, **kw):  # type: ignore[no-untyped-def,override]
        plan = kw["plan"]
        CountsWrites.rewrites += sum(
            1 for sim in plan.sims.values() if sim is not None and sim.ticket is not None
        )
        return super()._store(tx, **kw)


@pytest.mark.parametrize("batch", [16, 25, 40])
def test_tickets_that_end_past_a_batch_are_written_once_and_the_state_is_the_per_event_one(
    tmp_path: Path, batch: int
) -> None:
    text = _history(40)

    def run(uow: UnitOfWork, *, batched: bool, kind: type[TicketIngest] = TicketIngest) -> None:
        service = TicketService(uow=uow, book=BOOK, clock=ManualClock(datetime(2026, 4, 1, tzinfo=UTC)))
        service.listeners.clear()
        service.after_commit.clear()
        summary = import_events(
            io.StringIO(text),
            ingest=kind(service, kind=TicketSource.import_),
            team_id=TEAM,
            batch=batch,
            batched=batched,
        )
        assert summary.ok and summary.events_created == 160

    CountsWrites.rewrites = 0
    batched = _uow(tmp_path, "batched.db")
    run(batched, batched=True, kind=CountsWrites)
    assert CountsWrites.rewrites == 0  # every ticket closes within the rows after its batch
    reference = _uow(tmp_path, "reference.db")
    run(reference, batched=False)

    def state(uow: UnitOfWork) -> tuple[list, list]:
        with uow.begin(read_only=True) as tx:
            tickets = tx.session.execute(
                select(
                    Ticket.ref, Ticket.external_ref, Ticket.status, Ticket.event_seq, Ticket.closed_at
                ).order_by(Ticket.number)
            ).all()
            events = tx.session.execute(
                select(Ticket.ref, TicketEventRow.seq, TicketEventRow.kind, TicketEventRow.at)
                .join(Ticket, Ticket.id == TicketEventRow.ticket_id)
                .order_by(Ticket.ref, TicketEventRow.seq)
            ).all()
            assert tx.session.scalar(select(func.count()).select_from(TicketEventRow)) == 160
        return list(tickets), list(events)

    assert state(batched) == state(reference)


def test_a_ticket_closed_two_batches_ahead_brings_its_events_of_both() -> None:
    opened, agent, closed = EventKind.OPENED, EventKind.AGENT_MESSAGE, EventKind.CLOSED
    current = ([_event("a", 0, opened), _event("b", 1, opened)], [2, 3])
    first = ([_event("a", 2, agent), _event("b", 3, agent)], [4, 5])
    second = ([_event("b", 4, agent), _event("a", 5, closed)], [6, 7])
    events, lines = _pull_forward(current, [first, second])
    assert [(e.ticket_id, e.at.minute) for e in events] == [("a", 0), ("b", 1), ("a", 2), ("a", 5)]
    assert lines == [2, 3, 4, 7]
    assert first == ([_event("b", 3, agent)], [5]) and second == ([_event("b", 4, agent)], [6])
