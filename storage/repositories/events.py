"""The append-only ticket event log."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import IntegrityError

from storage.bulk import EVENT_COLUMNS, bulk_insert
from storage.models import Ticket, TicketEventRow
from storage.repositories._base import NotFound, _owned, _Repository, _team
from storage.types import require_aware


@dataclass(frozen=True)
class AppendResult:
    event: TicketEventRow
    seq: int
    #: False when the external event id was seen before (the stored event is returned, nothing changed).
    created: bool


@dataclass(frozen=True)
class NewEvent:
    """One event for :meth:`EventRepository.append_many` (the arguments of ``append``)."""

    ticket_id: int
    at: datetime
    kind: str
    priority: str | None = None
    status: str | None = None
    client: str | None = None
    actor: str | None = None
    note: str | None = None
    source: str | None = None
    external_id: str | None = None


def _stored_values(
    team_id: str, e: NewEvent, seq: int, at: datetime, recorded_at: datetime
) -> tuple[object, ...]:
    """The stored event of ``e`` numbered ``seq``: its :data:`~storage.bulk.EVENT_COLUMNS`, in order (what
    one ``append`` stores and what ``append_many`` inserts in bulk)."""
    head = (team_id, e.ticket_id, seq, at, str(e.kind), e.priority, e.status, e.client, e.actor)
    return head + (e.note, e.source, e.external_id, recorded_at)


@dataclass(frozen=True)
class Appended:
    """What became of one event of :meth:`EventRepository.append_many`: its ticket's ``seq`` (the
    stored event's, for a duplicate) and whether this call stored it."""

    ticket_id: int
    seq: int
    created: bool


class EventRepository(_Repository):
    def append_many(
        self, *, team_id: str, events: Sequence[NewEvent], recorded_at: datetime
    ) -> list[Appended]:
        """:meth:`append` of many events, in order, in bulk: the tickets' counters read (locked on
        PostgreSQL) and moved with one statement each, the events inserted with the driver's bulk path
        (``COPY`` on PostgreSQL, ``executemany`` on SQLite), the stored external ids looked up with one
        query per 500. Same rows as one ``append`` per event: each ticket's events numbered on in
        order, an event whose (source, external id) is stored — or repeated earlier in ``events`` —
        not stored again (``created=False``, the stored event's ``seq``). A concurrent writer that
        stored one of the ids meanwhile makes the batch fall back to one ``append`` per event."""
        recorded_at = require_aware(recorded_at, name="recorded_at")
        _team(team_id)
        if not events:
            return []
        try:
            with self.session.begin_nested():
                return self._append_many(team_id, events, recorded_at)
        except IntegrityError:
            pass
        return [self._appended(e.ticket_id, self._append(team_id, e, recorded_at)) for e in events]

    @staticmethod
    def _appended(ticket_id: int, result: AppendResult) -> Appended:
        return Appended(ticket_id, result.seq, result.created)

    def _append_many(self, team_id: str, events: Sequence[NewEvent], recorded_at: datetime) -> list[Appended]:
        by_source: dict[str | None, list[str]] = {}
        for e in events:
            if e.external_id is not None:
                by_source.setdefault(e.source, []).append(e.external_id)
        seen: dict[tuple[str | None, str], tuple[int, int]] = {}  # -> (ticket id, seq)
        for source, ids in by_source.items():
            for xid, ticket_id, seq in self._stored_by_external_id(team_id, source, ids):
                seen[(source, xid)] = (ticket_id, seq)
        t = Ticket.__table__
        wanted = list(dict.fromkeys(e.ticket_id for e in events))
        counters: dict[int, int] = {}
        for start in range(0, len(wanted), 500):
            stmt = select(t.c.id, t.c.event_seq).where(
                _owned(t.c.team_id, team_id), t.c.id.in_(wanted[start : start + 500])
            )
            counters.update(
                (row.id, row.event_seq or 0) for row in self.session.execute(stmt.with_for_update())
            )
        before = dict(counters)
        out: list[Appended] = []
        rows: list[tuple[object, ...]] = []
        for e in events:
            key = (e.source, e.external_id) if e.external_id is not None else None
            if key is not None and key in seen:
                ticket_id, seq = seen[key]
                out.append(Appended(ticket_id, seq, False))
                continue
            if e.ticket_id not in counters:
                raise NotFound(f"ticket {e.ticket_id} in {team_id}")
            counters[e.ticket_id] += 1
            seq = counters[e.ticket_id]
            if key is not None:
                seen[key] = (e.ticket_id, seq)
            rows.append(_stored_values(team_id, e, seq, require_aware(e.at, name="at"), recorded_at))
            out.append(Appended(e.ticket_id, seq, True))
        moved = [{"b_id": tid, "b_seq": seq} for tid, seq in counters.items() if seq != before[tid]]
        if moved:
            self.session.execute(
                update(t)
                .where(t.c.team_id == team_id, t.c.id == bindparam("b_id"))
                .values(event_seq=bindparam("b_seq")),
                moved,
            )
        bulk_insert(self.session, TicketEventRow.__table__, EVENT_COLUMNS, rows)  # type: ignore[arg-type]
        return out

    def append(
        self,
        *,
        team_id: str,
        ticket_id: int,
        at: datetime,
        kind: str,
        recorded_at: datetime,
        priority: str | None = None,
        status: str | None = None,
        client: str | None = None,
        actor: str | None = None,
        note: str | None = None,
        source: str | None = None,
        external_id: str | None = None,
    ) -> AppendResult:
        """Append one event with the ticket's next ``seq``; idempotent by (team, source, external_id)."""
        event = NewEvent(ticket_id, at, kind, priority, status, client, actor, note, source, external_id)
        return self._append(team_id, event, recorded_at)

    def _append(self, team_id: str, e: NewEvent, recorded_at: datetime) -> AppendResult:
        at = require_aware(e.at, name="at")
        recorded_at = require_aware(recorded_at, name="recorded_at")
        _team(team_id)
        if e.external_id is not None:
            seen = self._by_external_id(team_id, e.source, e.external_id)
            if seen is not None:
                return AppendResult(event=seen, seq=seen.seq, created=False)
        if e.external_id is None:  # nothing to deduplicate: no savepoint needed
            row = self._insert_next(team_id, e, at, recorded_at)
            return AppendResult(event=row, seq=row.seq, created=True)
        try:
            with self.session.begin_nested():  # a concurrent duplicate only rolls back to here
                row = self._insert_next(team_id, e, at, recorded_at)
        except IntegrityError:
            seen = self._by_external_id(team_id, e.source, e.external_id)
            if seen is None:
                raise
            return AppendResult(event=seen, seq=seen.seq, created=False)
        return AppendResult(event=row, seq=row.seq, created=True)

    def _insert_next(self, team_id: str, e: NewEvent, at: datetime, recorded_at: datetime) -> TicketEventRow:
        seq = self.session.execute(
            update(Ticket)
            .where(Ticket.team_id == team_id, Ticket.id == e.ticket_id)
            .values(event_seq=Ticket.event_seq + 1)
            .returning(Ticket.event_seq)
        ).scalar_one_or_none()
        if seq is None:
            raise NotFound(f"ticket {e.ticket_id} in {team_id}")
        values = _stored_values(team_id, e, seq, at, recorded_at)
        return self._stored(TicketEventRow(**dict(zip(EVENT_COLUMNS, values, strict=True))))

    def list_for_ticket(self, *, team_id: str, ticket_id: int) -> list[TicketEventRow]:
        stmt = (
            select(TicketEventRow)
            .where(TicketEventRow.team_id == _team(team_id), TicketEventRow.ticket_id == ticket_id)
            .order_by(TicketEventRow.seq)
        )
        return list(self.session.scalars(stmt))

    def list_for_tickets(self, *, team_id: str, ticket_ids: Sequence[int]) -> dict[int, list[Any]]:
        """The events of several tickets (one query), each ticket's in ``seq`` order: Core rows with
        ``TicketEventRow``'s columns (attribute access by column name), not ORM objects — the sweep
        folds a thousand tickets' events at a time, and loading them as entities cost 5x the fold."""
        out: dict[int, list[Any]] = {tid: [] for tid in ticket_ids}
        if not out:
            return out
        c = TicketEventRow.__table__.c
        stmt = (
            select(TicketEventRow.__table__)
            .where(_owned(c.team_id, team_id), c.ticket_id.in_(list(out)))
            .order_by(c.ticket_id, c.seq)
        )
        self.session.flush()  # as an ORM query would: pending events first
        for row in self.session.execute(stmt).all():
            out[row.ticket_id].append(row)
        return out

    def _stored_by_external_id(
        self, team_id: str, source: str | None, external_ids: Sequence[str]
    ) -> list[tuple[str, int, int]]:
        """(external id, ticket id, seq) of the stored events of (team, source) among ``external_ids``."""
        e = TicketEventRow
        wanted = list(dict.fromkeys(external_ids))
        source_match = e.source.is_(None) if source is None else e.source == source
        found: list[tuple[str, int, int]] = []
        for start in range(0, len(wanted), 500):
            stmt = select(e.external_id, e.ticket_id, e.seq).where(
                e.team_id == team_id, source_match, e.external_id.in_(wanted[start : start + 500])
            )
            found.extend((x, ticket_id, seq) for x, ticket_id, seq in self.session.execute(stmt))
        return found

    def _by_external_id(self, team_id: str, source: str | None, external_id: str) -> TicketEventRow | None:
        source_match = TicketEventRow.source.is_(None) if source is None else TicketEventRow.source == source
        stmt = select(TicketEventRow).where(
            TicketEventRow.team_id == team_id, source_match, TicketEventRow.external_id == external_id
        )
        return self.session.scalars(stmt).first()
