"""Queries for ticket sources (webhooks, import): which external event ids are already stored."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from storage.models import AuditEntry, ContractVersionRow, MetricTimerRow, Ticket, TicketEventRow, Workspace
from storage.repositories._base import _insert
from storage.repositories.timers import TimerRow

_CHUNK = 500  # stay far below SQLite's bound-parameter limit


def stored_external_ids(
    session: Session, *, team_id: str, source: str, external_ids: Iterable[str]
) -> set[str]:
    """The subset of ``external_ids`` already stored for (team, source): one indexed lookup per 500."""
    wanted = list(dict.fromkeys(external_ids))
    found: set[str] = set()
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        stmt = select(TicketEventRow.external_id).where(
            TicketEventRow.team_id == team_id,
            TicketEventRow.source == source,
            TicketEventRow.external_id.in_(chunk),
        )
        found.update(x for x in session.scalars(stmt) if x is not None)
    return found


def ticket_ref_of_event(session: Session, *, team_id: str, source: str, external_id: str) -> str | None:
    """The ``external_ref`` of the ticket that has the event ``external_id`` (None: no such event)."""
    stmt = (
        select(Ticket.external_ref)
        .join(TicketEventRow, TicketEventRow.ticket_id == Ticket.id)
        .where(
            TicketEventRow.team_id == team_id,
            TicketEventRow.source == source,
            TicketEventRow.external_id == external_id,
        )
        .limit(1)
    )
    return session.scalar(stmt)


# --- bulk reads and writes for the batched import (bot.sources.ingest.TicketIngest.ingest_batch) ---


def tickets_by_external_ref(
    session: Session, *, team_id: str, external_refs: Iterable[str], lock: bool = False
) -> dict[str, Ticket]:
    """The ticket of each external reference (the oldest when several share one); ``lock``: ``FOR
    UPDATE`` on PostgreSQL, so a concurrent change of the same ticket waits for this transaction."""
    wanted = list(dict.fromkeys(external_refs))
    found: dict[str, Ticket] = {}
    for start in range(0, len(wanted), _CHUNK):
        stmt = (
            select(Ticket)
            .where(Ticket.team_id == team_id, Ticket.external_ref.in_(wanted[start : start + _CHUNK]))
            .order_by(Ticket.id)
        )
        if lock:
            stmt = stmt.with_for_update()
        for ticket in session.scalars(stmt.execution_options(populate_existing=True)):
            found.setdefault(ticket.external_ref or "", ticket)
    return found


def events_of_tickets(session: Session, *, team_id: str, ticket_ids: Iterable[int]) -> dict[int, list[Any]]:
    """Every stored event of these tickets (rows with ``TicketEventRow``'s columns), in ``seq`` order."""
    wanted = list(dict.fromkeys(ticket_ids))
    out: dict[int, list[Any]] = {ticket_id: [] for ticket_id in wanted}
    e = TicketEventRow
    columns = (e.ticket_id, e.seq, e.at, e.kind, e.priority, e.status, e.client, e.actor, e.note)
    for start in range(0, len(wanted), _CHUNK):
        stmt = (
            select(*columns)
            .where(e.team_id == team_id, e.ticket_id.in_(wanted[start : start + _CHUNK]))
            .order_by(e.ticket_id, e.seq)
        )
        for row in session.execute(stmt):
            out[row.ticket_id].append(row)
    return out


def allocate_ticket_numbers(session: Session, *, team_id: str, count: int) -> list[int]:
    """``count`` consecutive new ticket numbers of the team (as ``TicketRepository.create`` hands
    them out one by one; the workspace row must exist)."""
    if count <= 0:
        return []
    last = session.execute(
        update(Workspace)
        .where(Workspace.team_id == team_id)
        .values(ticket_seq=Workspace.ticket_seq + count)
        .returning(Workspace.ticket_seq)
    ).scalar_one()
    return list(range(last - count + 1, last + 1))


def insert_tickets(session: Session, rows: Sequence[dict[str, Any]]) -> list[int]:
    """Insert tickets (every column given); their ids, in the order of ``rows``."""
    if not rows:
        return []
    table = Ticket.__table__
    stmt = insert(table).returning(table.c.id, sort_by_parameter_order=True)  # Core: no ORM bookkeeping
    return list(session.scalars(stmt, list(rows)))


def update_tickets(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Update tickets by primary key (``id`` in every row; the same keys in every row)."""
    if rows:
        session.execute(update(Ticket), list(rows))


def insert_events(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(TicketEventRow.__table__), list(rows))


def insert_audit(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(AuditEntry.__table__), list(rows))


def replace_timers(
    session: Session,
    *,
    team_id: str,
    timers: dict[int, Sequence[TimerRow]],
    existing: set[int],
    now: datetime,
) -> None:
    """Make each ticket's projection exactly its ``timers``, like ``TimerRepository.replace_for_ticket``
    for many tickets at once: new tickets (not in ``existing``) get plain inserts; existing ones an
    upsert by (ticket, metric, cycle) keeping leases, and their other rows are dropped. The tickets'
    denormalised columns are the caller's (``storage.repositories.ticket_due_fields``)."""
    fresh = [
        {**t.columns(), "team_id": team_id, "ticket_id": ticket_id, "updated_at": now}
        for ticket_id, rows in timers.items()
        if ticket_id not in existing
        for t in rows
    ]
    if fresh:
        session.execute(insert(MetricTimerRow.__table__), fresh)
    old = [ticket_id for ticket_id in timers if ticket_id in existing]
    m = MetricTimerRow
    table = MetricTimerRow.__table__
    for start in range(0, len(old), _CHUNK):
        chunk = old[start : start + _CHUNK]
        upserts = [
            {**t.columns(), "team_id": team_id, "ticket_id": ticket_id, "updated_at": now}
            for ticket_id in chunk
            for t in timers[ticket_id]
        ]
        wanted = {(row["ticket_id"], row["metric"], row["cycle"]) for row in upserts}
        stored = session.execute(
            select(m.id, m.ticket_id, m.metric, m.cycle).where(m.team_id == team_id, m.ticket_id.in_(chunk))
        )
        stale = [r.id for r in stored if (r.ticket_id, r.metric, r.cycle) not in wanted]
        if upserts:  # Core executemany (one statement compiled once); leases are not touched
            stmt = _insert(session, table)
            stmt = stmt.on_conflict_do_update(
                index_elements=["ticket_id", "metric", "cycle"],
                set_={
                    name: stmt.excluded[name]
                    for name in upserts[0]
                    if name not in ("team_id", "ticket_id", "metric", "cycle")
                },
            )
            session.execute(stmt, upserts)
        if stale:
            session.execute(delete(m).where(m.id.in_(stale)))


def contract_versions(session: Session, *, ids: Iterable[int | None]) -> list[ContractVersionRow]:
    """The stored contract versions with these ids (one query; loaded into the session)."""
    wanted = [i for i in dict.fromkeys(ids) if i is not None]
    found: list[ContractVersionRow] = []
    for start in range(0, len(wanted), _CHUNK):
        stmt = select(ContractVersionRow).where(ContractVersionRow.id.in_(wanted[start : start + _CHUNK]))
        found.extend(session.scalars(stmt))
    return found
