"""Queries for ticket sources (webhooks, import): which external event ids are already stored."""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from operator import itemgetter
from typing import Any

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.orm import Session

from storage.bulk import EVENT_COLUMNS, bulk_insert, bulk_update, bulk_upsert
from storage.models import AuditEntry, ContractVersionRow, MetricTimerRow, Ticket, TicketEventRow, Workspace
from storage.repositories._base import _owned
from storage.repositories.timers import TIMER_ROW_COLUMNS, TimerRow

_CHUNK = 500  # stay far below SQLite's bound-parameter limit
_PG_CHUNK = 5000  # PostgreSQL takes 65,535 parameters a statement: fewer round trips for a batch
#: the tables the batch lookups read, by their columns: a Core select's rows come back as they are, their
#: values only through the columns' types (selected by the model's attributes, every row went through
#: the ORM's loading too)
_TICKETS = Ticket.__table__
_EVENTS = TicketEventRow.__table__


def _wanted() -> Any:
    """The list of an ``IN`` as one expanding parameter, ``wanted``, given when the statement runs: an
    ``in_(values)`` coerces each of the values while the statement is built (two failing ``hasattr``
    calls a value, ~13,000 instructions a row of an import), the same SQL either way."""
    return bindparam("wanted", expanding=True)


def _chunk(session: Session) -> int:
    """Values per ``IN (...)`` of the batch lookups on this session's database."""
    return _CHUNK if session.get_bind().dialect.name == "sqlite" else _PG_CHUNK


def stored_external_ids(
    session: Session, *, team_id: str, source: str, external_ids: Iterable[str]
) -> set[str]:
    """The subset of ``external_ids`` already stored for (team, source): one indexed lookup per 500."""
    wanted = list(dict.fromkeys(external_ids))
    found: set[str] = set()
    size = _chunk(session)
    e = _EVENTS.c  # a Core select (see _TICKETS)
    for start in range(0, len(wanted), size):
        stmt = select(e.external_id).where(
            e.team_id == team_id, e.source == source, e.external_id.in_(_wanted())
        )
        found.update(
            x for x in session.scalars(stmt, {"wanted": wanted[start : start + size]}) if x is not None
        )
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


#: the columns of the rows :func:`tickets_by_external_ref` returns (what planning and storing a batch
#: read of a stored ticket, and what ``TicketService.fold`` / ``version_of`` read of it)
TICKET_PLAN_COLUMNS = (
    "id",
    "team_id",
    "ref",
    "external_ref",
    "event_seq",
    "priority",
    "status",
    "resolved_at",
    "closed_at",
    "opened_at",
    "client_key",
    "contract_version_id",
    "is_open",
    "next_due_at",
    "next_risk_at",
    "has_breach",
)
#: a row of :func:`tickets_by_external_ref`: a named tuple, whose fields read ~25 times faster than a
#: SQLAlchemy ``Row``'s attributes (each of those goes through ``__getattr__`` after a failed lookup)
TicketPlanRow = namedtuple("TicketPlanRow", TICKET_PLAN_COLUMNS)
#: a row of :func:`events_of_tickets` (what a fold reads of a stored event), for the same reason
_StoredEvent = namedtuple(
    "_StoredEvent", ("ticket_id", "seq", "at", "kind", "priority", "status", "client", "actor", "note")
)


def tickets_by_external_ref(
    session: Session, *, team_id: str, external_refs: Iterable[str], lock: bool = False
) -> dict[str, Any]:
    """The ticket of each external reference (the oldest when several share one), as a row of
    :data:`TICKET_PLAN_COLUMNS` (read by attribute like a ``Ticket``, without building ORM objects);
    ``lock``: ``FOR UPDATE`` on PostgreSQL, so a concurrent change of the same ticket waits for this
    transaction."""
    wanted = list(dict.fromkeys(external_refs))
    found: dict[str, Any] = {}
    t = _TICKETS.c  # a Core select (see _TICKETS)
    columns = [t[name] for name in TICKET_PLAN_COLUMNS]
    size = _chunk(session)
    for start in range(0, len(wanted), size):
        stmt = select(*columns).where(t.team_id == team_id, t.external_ref.in_(_wanted())).order_by(t.id)
        if lock:
            stmt = stmt.with_for_update()
        for ticket in map(
            TicketPlanRow._make, session.execute(stmt, {"wanted": wanted[start : start + size]})
        ):
            found.setdefault(ticket.external_ref or "", ticket)
    return found


def events_of_tickets(session: Session, *, team_id: str, ticket_ids: Iterable[int]) -> dict[int, list[Any]]:
    """Every stored event of these tickets (rows with ``TicketEventRow``'s columns), in ``seq`` order."""
    wanted = list(dict.fromkeys(ticket_ids))
    out: dict[int, list[Any]] = {ticket_id: [] for ticket_id in wanted}
    e = _EVENTS.c  # a Core select (see _TICKETS)
    columns = [e[name] for name in _StoredEvent._fields]
    size = _chunk(session)
    for start in range(0, len(wanted), size):
        stmt = (
            select(*columns)
            .where(_owned(e.team_id, team_id), e.ticket_id.in_(_wanted()))
            .order_by(e.ticket_id, e.seq)
        )
        for row in map(_StoredEvent._make, session.execute(stmt, {"wanted": wanted[start : start + size]})):
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
    """Insert tickets (the same columns in every row, ``team_id`` and ``number`` among them); their ids,
    in the order of ``rows``: one bulk insert, then one lookup of the ids by the new numbers."""
    if not rows:
        return []
    names = list(rows[0])
    pick = itemgetter(*names)  # a row's values in the order of names (a tuple, for two names or more)
    values = [pick(row) for row in rows] if len(names) > 1 else [(row[names[0]],) for row in rows]
    bulk_insert(session, Ticket.__table__, names, values)  # type: ignore[arg-type]
    by_team: dict[str, list[int]] = {}
    for row in rows:
        by_team.setdefault(row["team_id"], []).append(row["number"])
    ids: dict[tuple[str, int], int] = {}
    size = _chunk(session)
    for team_id, numbers in by_team.items():
        for start in range(0, len(numbers), size):
            chunk = numbers[start : start + size]
            found = session.execute(
                select(Ticket.number, Ticket.id).where(
                    Ticket.team_id == team_id, Ticket.number.between(min(chunk), max(chunk))
                )
            )
            ids.update(((team_id, number), ticket_id) for number, ticket_id in found)
    return [ids[(row["team_id"], row["number"])] for row in rows]


#: the columns :func:`update_tickets` writes, in the order of its tuples (the ticket's id follows)
TICKET_UPDATE_COLUMNS = (
    "priority",
    "status",
    "resolved_at",
    "closed_at",
    "is_open",
    "event_seq",
    "next_due_at",
    "next_risk_at",
    "has_breach",
    "updated_at",
)


#: the columns of :data:`TICKET_UPDATE_COLUMNS` that the tickets' indexes hold (the due indexes of
#: ``/sla status``): an update that assigns one of them rewrites every index entry that holds it, even
#: to the value it had (about five times the cost of an update of the other columns on SQLite)
_TICKET_INDEXED = ("is_open", "next_due_at", "next_risk_at", "has_breach")
_INDEXED_AT = tuple(TICKET_UPDATE_COLUMNS.index(name) for name in _TICKET_INDEXED)
_QUIET_AT = (*(i for i, name in enumerate(TICKET_UPDATE_COLUMNS) if name not in _TICKET_INDEXED), -1)
_QUIET_COLUMNS = tuple(TICKET_UPDATE_COLUMNS[i] for i in _QUIET_AT[:-1])


def update_tickets(
    session: Session, rows: Sequence[Sequence[Any]], *, stored: Mapping[int, Any] | None = None
) -> None:
    """Update tickets by primary key: tuples of :data:`TICKET_UPDATE_COLUMNS`' values, then the id.

    ``stored``: the tickets as they are stored (rows of :data:`TICKET_PLAN_COLUMNS` by id, read in
    this transaction): a ticket whose indexed columns (``is_open`` and the due fields) keep their
    values is updated without assigning them, so its index entries are left as they are.

    One executemany of the driver per shape: Ticket objects loaded in the session are not refreshed
    (load them again, e.g. with ``populate_existing``, to read the new values)."""
    table = Ticket.__table__
    if not stored:
        bulk_update(session, table, TICKET_UPDATE_COLUMNS, rows)  # type: ignore[arg-type]
        return
    full: list[Sequence[Any]] = []
    quiet: list[tuple[Any, ...]] = []
    for row in rows:
        before = stored.get(row[-1])
        if before is not None and (
            before.is_open,
            before.next_due_at,
            before.next_risk_at,
            before.has_breach,
        ) == tuple(row[i] for i in _INDEXED_AT):
            quiet.append(tuple(row[i] for i in _QUIET_AT))
        else:
            full.append(row)
    bulk_update(session, table, TICKET_UPDATE_COLUMNS, full)  # type: ignore[arg-type]
    bulk_update(session, table, _QUIET_COLUMNS, quiet)  # type: ignore[arg-type]


def insert_events(session: Session, rows: Sequence[Sequence[Any]]) -> None:
    """Append ticket events: tuples of :data:`EVENT_COLUMNS` (the callers number ``seq``)."""
    bulk_insert(session, TicketEventRow.__table__, EVENT_COLUMNS, rows)  # type: ignore[arg-type]


_AUDIT_COLUMNS = ("team_id", "actor", "action", "target", "before", "after", "at")


def insert_audit(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Append audit entries (dicts with the keys ``team_id, actor, action, target, before, after, at``)."""
    values = itemgetter(*_AUDIT_COLUMNS)
    bulk_insert(session, AuditEntry.__table__, _AUDIT_COLUMNS, [values(r) for r in rows])  # type: ignore[arg-type]


_UPSERTED = ("team_id", "ticket_id", "updated_at", *TIMER_ROW_COLUMNS)
_UPSERTED_SET = tuple(c for c in _UPSERTED if c not in ("team_id", "ticket_id", "metric", "cycle"))


def replace_timers(
    session: Session,
    *,
    team_id: str,
    timers: dict[int, Sequence[TimerRow]],
    existing: set[int],
    now: datetime,
    stored: dict[int, Sequence[TimerRow]] | None = None,
) -> None:
    """Make each ticket's projection exactly its ``timers``, like ``TimerRepository.replace_for_ticket``
    for many tickets at once: new tickets (not in ``existing``) get plain inserts; existing ones an
    upsert by (ticket, metric, cycle) keeping leases, and their other rows are dropped. The tickets'
    denormalised columns are the caller's (``storage.repositories.ticket_due_fields``).

    ``stored``: tickets whose projection is known to be exactly these rows (this writer stored them
    and no event was appended since): only their rows that differ are written, and the rows no
    longer wanted deleted by key, without reading the projection back. A row left as it was keeps
    its ``updated_at``."""
    stored = stored or {}
    fresh = [
        (team_id, ticket_id, now, *t.values())
        for ticket_id, rows in timers.items()
        if ticket_id not in existing
        for t in rows
    ]
    if fresh:
        columns = ("team_id", "ticket_id", "updated_at", *TIMER_ROW_COLUMNS)
        bulk_insert(session, MetricTimerRow.__table__, columns, fresh)  # type: ignore[arg-type]
    m = MetricTimerRow
    table = MetricTimerRow.__table__
    upserts: list[tuple[Any, ...]] = []  # _UPSERTED
    gone: list[dict[str, Any]] = []
    for ticket_id, rows in timers.items():
        before = stored.get(ticket_id) if ticket_id in existing else None
        if before is None:
            continue
        was = {(t.metric, t.cycle): t for t in before}
        for t in rows:
            if was.pop((t.metric, t.cycle), None) != t:
                upserts.append((team_id, ticket_id, now, *t.values()))
        gone.extend({"b_ticket": ticket_id, "b_metric": k[0], "b_cycle": k[1]} for k in was)
    old = [ticket_id for ticket_id in timers if ticket_id in existing and ticket_id not in stored]
    stale: list[int] = []
    size = _chunk(session)
    for start in range(0, len(old), size):
        chunk = old[start : start + size]
        wanted = {(ticket_id, t.metric, t.cycle) for ticket_id in chunk for t in timers[ticket_id]}
        upserts.extend(
            (team_id, ticket_id, now, *t.values()) for ticket_id in chunk for t in timers[ticket_id]
        )
        found = session.execute(
            select(m.id, m.ticket_id, m.metric, m.cycle).where(
                _owned(m.team_id, team_id), m.ticket_id.in_(_wanted())
            ),
            {"wanted": chunk},
        )
        stale.extend(r.id for r in found if (r.ticket_id, r.metric, r.cycle) not in wanted)
    # one executemany; leases (not among the columns) are kept
    bulk_upsert(session, table, _UPSERTED, ("ticket_id", "metric", "cycle"), _UPSERTED_SET, upserts)  # type: ignore[arg-type]
    for start in range(0, len(stale), size):
        session.execute(delete(m).where(m.id.in_(stale[start : start + size])))
    if gone:
        c = table.c
        session.execute(
            delete(table).where(
                c.team_id == team_id,
                c.ticket_id == bindparam("b_ticket"),
                c.metric == bindparam("b_metric"),
                c.cycle == bindparam("b_cycle"),
            ),
            gone,
        )


def contract_versions(
    session: Session, *, team_id: str, ids: Iterable[int | None]
) -> list[ContractVersionRow]:
    """The team's stored contract versions with these ids (one query; loaded into the session). An id
    of another workspace's version is not found, like every other lookup here."""
    wanted = [i for i in dict.fromkeys(ids) if i is not None]
    found: list[ContractVersionRow] = []
    size = _chunk(session)
    for start in range(0, len(wanted), size):
        stmt = select(ContractVersionRow).where(
            ContractVersionRow.team_id == team_id, ContractVersionRow.id.in_(wanted[start : start + size])
        )
        found.extend(session.scalars(stmt))
    return found


def ticket_refs_by_external_ref(
    session: Session, *, team_id: str, external_refs: Iterable[str]
) -> dict[str, str]:
    """The ``ref`` of the ticket of each external reference (the oldest when several share one), read
    without loading or locking the tickets: a resumed import's batch whose events are all stored."""
    wanted = list(dict.fromkeys(external_refs))
    found: dict[str, str] = {}
    size = _chunk(session)
    t = _TICKETS.c  # a Core select (see _TICKETS)
    for start in range(0, len(wanted), size):
        stmt = (
            select(t.external_ref, t.ref)
            .where(t.team_id == team_id, t.external_ref.in_(_wanted()))
            .order_by(t.id)
        )
        for external_ref, ref in session.execute(stmt, {"wanted": wanted[start : start + size]}):
            found.setdefault(external_ref or "", ref)
    return found
