"""Aggregate queries behind ``GET /metrics``: a handful of GROUP BYs on indexed columns, no row loads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, case, false, func, or_, select, true
from sqlalchemy.orm import Session

from storage.models import MetricTimerRow, Notification, NotificationState, Ticket
from storage.types import require_aware


@dataclass(frozen=True)
class TicketCounts:
    client: str
    priority: str
    open: int
    at_risk: int
    breached: int


def ticket_counts(session: Session, *, now: datetime) -> list[TicketCounts]:
    """Open tickets by client and priority, with how many are at risk and breached — the same
    definitions as ``/sla status`` (:meth:`storage.repositories.StatusQueries.open_tickets`)."""
    now = require_aware(now, name="now")
    t = Ticket
    breached = or_(t.has_breach == true(), t.next_due_at <= now)
    at_risk = and_(t.has_breach == false(), t.next_due_at > now, t.next_risk_at <= now)
    stmt = (
        select(
            func.coalesce(t.client_key, ""),
            func.coalesce(t.priority, ""),
            func.count(),
            func.sum(case((at_risk, 1), else_=0)),
            func.sum(case((breached, 1), else_=0)),
        )
        .where(t.is_open == true())
        .group_by(t.client_key, t.priority)
    )
    return [
        TicketCounts(str(c), str(p), int(n), int(r or 0), int(b or 0))
        for c, p, n, r, b in session.execute(stmt)
    ]


def notification_counts(session: Session) -> dict[tuple[str, str], int]:
    """Outbox rows by (state, kind) for the states that need attention (pending, claimed, failed)."""
    n = Notification
    live = [NotificationState.pending.value, NotificationState.claimed.value, NotificationState.failed.value]
    stmt = select(n.state, n.kind, func.count()).where(n.state.in_(live)).group_by(n.state, n.kind)
    return {(str(s), str(k)): int(c) for s, k, c in session.execute(stmt)}


def delivery_errors(session: Session) -> dict[tuple[str, str], int]:
    """Outbox rows that carry a Slack error, by (state, error): failed for good, or pending a retry."""
    n = Notification
    stmt = (
        select(n.state, n.last_error, func.count())
        .where(
            n.last_error.is_not(None),
            n.state.in_([NotificationState.failed.value, NotificationState.pending.value]),
        )
        .group_by(n.state, n.last_error)
    )
    return {(str(s), str(e)): int(c) for s, e, c in session.execute(stmt)}


def oldest_due_alert(session: Session) -> datetime | None:
    """The earliest ``next_alert_at`` of a timer (the sweep's backlog when it lies in the past)."""
    return session.execute(select(func.min(MetricTimerRow.next_alert_at))).scalar_one_or_none()
