"""Tickets."""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Iterable
from datetime import datetime
from typing import Any, Final

from sqlalchemy import Select, select, update
from sqlalchemy.exc import IntegrityError

from sla.metrics import TicketStatus
from storage.models import Ticket, TicketSource, Workspace
from storage.repositories._base import NotFound, _owned, _Repository, _team
from storage.types import require_aware, require_aware_or_none

#: one ``tickets`` row as a named tuple of its columns, in table order (``TicketRepository.read_many``)
TicketValues = namedtuple("TicketValues", [c.name for c in Ticket.__table__.c])  # type: ignore[misc]

TICKET_UPDATABLE: Final = frozenset(
    {
        "external_ref",
        "external_system",
        "external_id",
        "channel_id",
        "thread_ts",
        "requester",
        "assignee",
        "priority",
        "status",
        "client_key",
        "contract_version_id",
        "title",
        "resolved_at",
        "closed_at",
        "status_channel_id",
        "status_message_ts",
    }
)


class TicketRepository(_Repository):
    def create(
        self,
        *,
        team_id: str,
        source: TicketSource | str,
        opened_at: datetime,
        channel_id: str | None = None,
        thread_ts: str | None = None,
        source_ts: str | None = None,
        requester: str | None = None,
        assignee: str | None = None,
        priority: str | None = None,
        status: str = TicketStatus.OPEN,
        client_key: str | None = None,
        contract_version_id: int | None = None,
        title: str | None = None,
        external_ref: str | None = None,
        external_system: str | None = None,
        external_id: str | None = None,
    ) -> Ticket:
        """A new ticket with the team's next reference ``T-<n>`` (allocated atomically, no gaps on commit)."""
        source = TicketSource(source)
        opened_at = self._in_workspace(team_id, opened_at, name="opened_at")
        number = self.session.execute(
            update(Workspace)
            .where(Workspace.team_id == team_id)
            .values(ticket_seq=Workspace.ticket_seq + 1)
            .returning(Workspace.ticket_seq)
        ).scalar_one()
        return self._stored(
            Ticket(
                team_id=team_id,
                number=number,
                ref=f"T-{number}",
                external_ref=external_ref,
                external_system=external_system,
                external_id=external_id,
                source=source.value,
                channel_id=channel_id,
                thread_ts=thread_ts,
                source_ts=source_ts,
                requester=requester,
                assignee=assignee,
                priority=priority,
                status=status,
                client_key=client_key,
                contract_version_id=contract_version_id,
                title=title,
                opened_at=opened_at,
                updated_at=opened_at,
                is_open=True,
                has_breach=False,
                event_seq=0,
            )
        )

    def create_once(self, **fields: Any) -> tuple[Ticket, bool]:
        """Insert-or-get by source message: the ticket of ``(team_id, channel_id, source_ts)``, created
        when there is none (``create``'s fields; without ``channel_id`` and ``source_ts`` always created).

        ``(ticket, True)`` when this call created it; ``(the ticket already there, False)`` otherwise,
        also when a concurrent transaction created it first (the unique index ``uq_tickets_source_message``
        decides; the losing insert rolls back to a savepoint, its ticket number with it)."""
        team_id, channel_id, source_ts = fields["team_id"], fields.get("channel_id"), fields.get("source_ts")
        if not channel_id or not source_ts:
            return self.create(**fields), True
        seen = self.get_by_source_message(team_id=team_id, channel_id=channel_id, source_ts=source_ts)
        if seen is not None:
            return seen, False
        try:
            with self.session.begin_nested():
                return self.create(**fields), True
        except IntegrityError:
            seen = self.get_by_source_message(team_id=team_id, channel_id=channel_id, source_ts=source_ts)
            if seen is None:
                raise
            return seen, False

    def get_by_source_message(self, *, team_id: str, channel_id: str, source_ts: str) -> Ticket | None:
        """The ticket the Slack message ``source_ts`` in ``channel_id`` opened (duplicates left aside)."""
        stmt = select(Ticket).where(
            Ticket.team_id == _team(team_id),
            Ticket.channel_id == channel_id,
            Ticket.source_ts == source_ts,
            Ticket.duplicate_of.is_(None),
        )
        return self._one(stmt)

    def get(self, *, team_id: str, ticket_id: int) -> Ticket | None:
        return self._one(select(Ticket).where(Ticket.team_id == _team(team_id), Ticket.id == ticket_id))

    def get_many(self, *, team_id: str, ticket_ids: Iterable[int]) -> dict[int, Ticket]:
        """The team's tickets with these ids (one query per 500), keyed by id; missing ids are absent."""
        wanted = list(dict.fromkeys(ticket_ids))
        found: dict[int, Ticket] = {}
        for start in range(0, len(wanted), 500):
            stmt = select(Ticket).where(
                _owned(Ticket.team_id, team_id), Ticket.id.in_(wanted[start : start + 500])
            )
            found.update(
                (t.id, t) for t in self.session.scalars(stmt.execution_options(populate_existing=True))
            )
        return found

    def read_many(self, *, team_id: str, ticket_ids: Iterable[int]) -> dict[int, Any]:
        """:meth:`get_many` as read-only tuples (:data:`TicketValues`: every ``Ticket`` column by name), not
        ORM objects: for a reader of a thousand tickets at a time (the sweep), which changes none of
        them through the session."""
        wanted = list(dict.fromkeys(ticket_ids))
        c = Ticket.__table__.c
        found: dict[int, Any] = {}
        for start in range(0, len(wanted), 500):
            stmt = select(Ticket.__table__).where(
                _owned(c.team_id, team_id), c.id.in_(wanted[start : start + 500])
            )
            found.update((row[0], TicketValues._make(row)) for row in self.session.execute(stmt).all())
        return found

    def require(self, *, team_id: str, ticket_id: int) -> Ticket:
        ticket = self.get(team_id=team_id, ticket_id=ticket_id)
        if ticket is None:
            raise NotFound(f"ticket {ticket_id} in {team_id}")
        return ticket

    def get_by_ref(self, *, team_id: str, ref: str) -> Ticket | None:
        return self._one(select(Ticket).where(Ticket.team_id == _team(team_id), Ticket.ref == ref.upper()))

    def get_by_thread(self, *, team_id: str, channel_id: str, thread_ts: str) -> Ticket | None:
        stmt = select(Ticket).where(
            Ticket.team_id == _team(team_id), Ticket.channel_id == channel_id, Ticket.thread_ts == thread_ts
        )
        # the newest: a client's reply long after a thread's ticket was resolved opens a successor there
        return self._one(stmt.order_by(Ticket.id.desc()).limit(1))

    def get_by_external_ref(self, *, team_id: str, external_ref: str) -> Ticket | None:
        stmt = select(Ticket).where(Ticket.team_id == _team(team_id), Ticket.external_ref == external_ref)
        return self._one(stmt.order_by(Ticket.id).limit(1))

    def find_by_external_id(self, *, team_id: str, external_ids: Iterable[str]) -> list[Ticket]:
        """The tickets whose helpdesk id is one of ``external_ids`` (any system), oldest first: one
        indexed lookup (``ix_tickets_external_id``)."""
        wanted = list(dict.fromkeys(external_ids))
        if not wanted:
            return []
        stmt = select(Ticket).where(Ticket.team_id == _team(team_id), Ticket.external_id.in_(wanted))
        return list(self.session.scalars(stmt.order_by(Ticket.id).limit(50)))

    def external_ids_of(self, *, team_id: str, refs: Iterable[str]) -> dict[str, tuple[str | None, str]]:
        """(system, helpdesk id) of those of ``refs`` that came from a helpdesk (a report's few tickets)."""
        wanted = list(dict.fromkeys(refs))
        if not wanted:
            return {}
        t = Ticket
        stmt = select(t.ref, t.external_system, t.external_id).where(
            t.team_id == _team(team_id), t.ref.in_(wanted), t.external_id.is_not(None)
        )
        return {ref: (system, ident) for ref, system, ident in self.session.execute(stmt)}

    def update(self, *, team_id: str, ticket_id: int, now: datetime, **changes: Any) -> Ticket:
        """Change some of :data:`TICKET_UPDATABLE`; keeps ``is_open`` and ``updated_at`` in step."""
        unknown = set(changes) - TICKET_UPDATABLE
        if unknown:
            raise TypeError(f"cannot update ticket field(s): {', '.join(sorted(unknown))}")
        for name in ("resolved_at", "closed_at"):
            if name in changes:
                changes[name] = require_aware_or_none(changes[name], name=name)
        ticket = self.require(team_id=team_id, ticket_id=ticket_id)
        for name, value in changes.items():
            setattr(ticket, name, value)
        ticket.is_open = ticket.resolved_at is None and ticket.closed_at is None
        ticket.updated_at = require_aware(now, name="now")
        self.session.flush()
        return ticket

    def page(
        self,
        *,
        team_id: str,
        after_id: int = 0,
        limit: int = 500,
        client_key: str | None = None,
        opened_before: datetime | None = None,
    ) -> list[Ticket]:
        """Tickets by id after ``after_id`` (keyset pages for exports), optionally of one client and
        opened before an instant."""
        t = Ticket
        stmt = select(t).where(t.team_id == _team(team_id), t.id > after_id)
        if client_key is not None:
            stmt = stmt.where(t.client_key == client_key)
        if opened_before is not None:
            stmt = stmt.where(t.opened_at < require_aware(opened_before, name="opened_before"))
        return list(self.session.scalars(stmt.order_by(t.id).limit(limit)))

    def _one(self, stmt: Select[tuple[Ticket]]) -> Ticket | None:
        return self.session.scalars(stmt.execution_options(populate_existing=True)).first()
