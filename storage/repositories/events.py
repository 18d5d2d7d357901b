"""The append-only ticket event log."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from storage.models import Ticket, TicketEventRow
from storage.repositories._base import NotFound, _Repository, _team
from storage.types import require_aware


@dataclass(frozen=True)
class AppendResult:
    event: TicketEventRow
    seq: int
    #: False when the external event id was seen before (the stored event is returned, nothing changed).
    created: bool


class EventRepository(_Repository):
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
        at = require_aware(at, name="at")
        recorded_at = require_aware(recorded_at, name="recorded_at")
        _team(team_id)
        if external_id is not None:
            seen = self._by_external_id(team_id, source, external_id)
            if seen is not None:
                return AppendResult(event=seen, seq=seen.seq, created=False)
        if external_id is None:  # nothing to deduplicate: no savepoint needed
            row = self._insert_next(
                team_id, ticket_id, at, kind, recorded_at, priority, status, client, actor, note, source, None
            )
            return AppendResult(event=row, seq=row.seq, created=True)
        try:
            with self.session.begin_nested():  # a concurrent duplicate only rolls back to here
                row = self._insert_next(
                    team_id,
                    ticket_id,
                    at,
                    kind,
                    recorded_at,
                    priority,
                    status,
                    client,
                    actor,
                    note,
                    source,
                    external_id,
                )
        except IntegrityError:
            seen = self._by_external_id(team_id, source, external_id)
            if seen is None:
                raise
            return AppendResult(event=seen, seq=seen.seq, created=False)
        return AppendResult(event=row, seq=row.seq, created=True)

    def _insert_next(
        self,
        team_id: str,
        ticket_id: int,
        at: datetime,
        kind: str,
        recorded_at: datetime,
        priority: str | None,
        status: str | None,
        client: str | None,
        actor: str | None,
        note: str | None,
        source: str | None,
        external_id: str | None,
    ) -> TicketEventRow:
        seq = self.session.execute(
            update(Ticket)
            .where(Ticket.team_id == team_id, Ticket.id == ticket_id)
            .values(event_seq=Ticket.event_seq + 1)
            .returning(Ticket.event_seq)
        ).scalar_one_or_none()
        if seq is None:
            raise NotFound(f"ticket {ticket_id} in {team_id}")
        row = TicketEventRow(
            team_id=team_id,
            ticket_id=ticket_id,
            seq=seq,
            at=at,
            kind=str(kind),
            priority=priority,
            status=status,
            client=client,
            actor=actor,
            note=note,
            source=source,
            external_id=external_id,
            recorded_at=recorded_at,
        )
        self.session.add(row)
        self.session.flush()
        return row

    def list_for_ticket(self, *, team_id: str, ticket_id: int) -> list[TicketEventRow]:
        stmt = (
            select(TicketEventRow)
            .where(TicketEventRow.team_id == _team(team_id), TicketEventRow.ticket_id == ticket_id)
            .order_by(TicketEventRow.seq)
        )
        return list(self.session.scalars(stmt))

    def list_for_tickets(self, *, team_id: str, ticket_ids: Sequence[int]) -> dict[int, list[TicketEventRow]]:
        """The events of several tickets (one query), each ticket's in ``seq`` order."""
        out: dict[int, list[TicketEventRow]] = {tid: [] for tid in ticket_ids}
        if not out:
            return out
        e = TicketEventRow
        stmt = (
            select(e)
            .where(e.team_id == _team(team_id), e.ticket_id.in_(list(out)))
            .order_by(e.ticket_id, e.seq)
        )
        for row in self.session.scalars(stmt):
            out[row.ticket_id].append(row)
        return out

    def _by_external_id(self, team_id: str, source: str | None, external_id: str) -> TicketEventRow | None:
        source_match = TicketEventRow.source.is_(None) if source is None else TicketEventRow.source == source
        stmt = select(TicketEventRow).where(
            TicketEventRow.team_id == team_id, source_match, TicketEventRow.external_id == external_id
        )
        return self.session.scalars(stmt).first()
