"""The read side of ``/sla status`` and App Home."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import false, func, select, true

from storage.models import MetricTimerRow, Ticket
from storage.repositories._base import _Repository, _team
from storage.repositories.timers import TIMER_ROW_COLUMNS
from storage.types import require_aware

StatusFilter = Literal["all", "breached", "at_risk"]


#: the ticket columns a status page reads (rows, not ORM objects: a page is read, never changed)
_TICKET_COLUMNS = tuple(
    Ticket.__table__.c[name]
    for name in (
        "id",
        "team_id",
        "number",
        "ref",
        "external_ref",
        "external_system",
        "external_id",
        "source",
        "title",
        "client_key",
        "priority",
        "status",
        "assignee",
        "requester",
        "channel_id",
        "thread_ts",
        "opened_at",
        "is_open",
        "has_breach",
        "next_due_at",
        "next_risk_at",
        "event_seq",
        "contract_version_id",
    )
)
#: the timer columns a countdown needs (``bot.services.tickets.stored_timer``): the projection's own
#: columns, with the row's id and its ticket's
_TIMER_COLUMNS = tuple(MetricTimerRow.__table__.c[name] for name in ("id", "ticket_id", *TIMER_ROW_COLUMNS))


@dataclass(frozen=True)
class TicketTimers:
    """One open ticket of a status page and its timer projection: read-only rows with the columns
    of ``Ticket`` and ``MetricTimerRow`` a page shows (attribute access by column name), not ORM
    objects — a page is rendered from the stored projection, nothing is loaded into the session."""

    ticket: Any
    timers: list[Any]


@dataclass(frozen=True)
class StatusPage:
    items: list[TicketTimers]
    #: how many open tickets match the filters (``items`` holds at most ``limit`` of them), counted up
    #: to ``count_limit``: when ``total_is_exact`` is False there are at least ``total`` (show "1000+").
    total: int
    total_is_exact: bool = True


class StatusQueries(_Repository):
    def open_tickets(
        self,
        *,
        team_id: str,
        now: datetime,
        channel_id: str | None = None,
        assignee: str | None = None,
        client_key: str | None = None,
        requester: str | None = None,
        state: StatusFilter = "all",
        limit: int = 20,
        count_limit: int | None = 1000,
    ) -> StatusPage:
        """Open tickets with their timers, most urgent (earliest running ``due_at``) first.

        ``breached``: a timer is or was breached, or a running one is past due at ``now``.
        ``at_risk``: not breached, and a timer reached its at-risk instant (``sla.standing``: 75 % of
        its target used; the stored ``at_risk_at``) — the card's 🟠 and the report's "At risk now".
        """
        now = require_aware(now, name="now")
        t = Ticket
        conditions: list[Any] = [t.team_id == _team(team_id), t.is_open == true()]
        if channel_id is not None:
            conditions.append(t.channel_id == channel_id)
        if assignee is not None:
            conditions.append(t.assignee == assignee)
        if client_key is not None:
            conditions.append(t.client_key == client_key)
        if requester is not None:
            conditions.append(t.requester == requester)
        if state == "breached":
            # two index ranges (ix_tickets_breach_due): tickets flagged breached, and unflagged ones whose
            # running clock is past due; an OR of both would make PostgreSQL scan every open ticket.
            flagged = [*conditions, t.has_breach == true()]
            overdue = [*conditions, t.has_breach == false(), t.next_due_at <= now]
            total = sum(self._count(c, count_limit) for c in (flagged, overdue))
            exact = count_limit is None or total <= count_limit
            total = total if exact else count_limit  # type: ignore[assignment]
            tickets = sorted(
                [*self._most_urgent(flagged, limit), *self._most_urgent(overdue, limit)],
                key=lambda ticket: (ticket.next_due_at, ticket.id),
            )[:limit]
            return StatusPage(items=self._with_timers(team_id, tickets), total=total, total_is_exact=exact)
        if state == "at_risk":
            conditions.append(t.has_breach == false())
            conditions.append(t.next_due_at > now)
            conditions.append(t.next_risk_at <= now)
        elif state != "all":
            raise ValueError(f"unknown status filter {state!r}")
        total = self._count(conditions, count_limit)
        exact = count_limit is None or total <= count_limit
        total = total if exact else count_limit  # type: ignore[assignment]
        tickets = self._most_urgent(conditions, limit)
        if len(tickets) < limit and state == "all":
            tickets += self.session.execute(
                select(*_TICKET_COLUMNS)
                .where(*conditions, t.next_due_at.is_(None))
                .order_by(t.id)
                .limit(limit - len(tickets))
            )
        return StatusPage(items=self._with_timers(team_id, tickets), total=total, total_is_exact=exact)

    def _count(self, conditions: list[Any], count_limit: int | None) -> int:
        """Matching rows, up to ``count_limit + 1`` (an exact count of 100,000 costs more than the page)."""
        matching = select(Ticket.id).where(*conditions)
        if count_limit is not None:
            matching = matching.limit(count_limit + 1)
        return int(self.session.execute(select(func.count()).select_from(matching.subquery())).scalar_one())

    def _most_urgent(self, conditions: list[Any], limit: int) -> list[Any]:
        t = Ticket
        return list(
            self.session.execute(
                select(*_TICKET_COLUMNS)
                .where(*conditions, t.next_due_at.is_not(None))
                .order_by(t.next_due_at, t.id)
                .limit(limit)
            )
        )

    def _with_timers(self, team_id: str, tickets: list[Any]) -> list[TicketTimers]:
        by_ticket: dict[int, list[Any]] = {ticket.id: [] for ticket in tickets}
        if tickets:
            m = MetricTimerRow
            timers = self.session.execute(
                select(*_TIMER_COLUMNS)
                .where(m.team_id == team_id, m.ticket_id.in_(list(by_ticket)))
                .order_by(m.metric, m.cycle)
            )
            for timer in timers:
                by_ticket[timer.ticket_id].append(timer)
        return [TicketTimers(ticket, by_ticket[ticket.id]) for ticket in tickets]
