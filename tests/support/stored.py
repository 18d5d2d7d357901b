"""Stored tickets for the tests that read the storage: a ticket row and its timers' projection,
written as the ticket use cases write them (the ticket, then its timers), in the caller's transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from storage.models import Ticket
from storage.repositories import TimerRow
from storage.uow import Transaction


def stored_ticket(
    tx: Transaction, team_id: str, timers: Sequence[TimerRow], *, now: datetime | None = None, **ticket: Any
) -> Ticket:
    """A new ticket of ``team_id`` (``tx.tickets.create`` of ``ticket``'s fields) whose stored timers
    are ``timers``, projected at ``now`` (default: when it was opened)."""
    row = tx.tickets.create(team_id=team_id, **ticket)
    tx.timers.replace_for_ticket(
        team_id=team_id, ticket_id=row.id, timers=timers, now=now or ticket["opened_at"]
    )
    return row


def due_timer(metric: str, state: str, *, started_at: datetime, target: timedelta, **fields: Any) -> TimerRow:
    """A stored first-cycle timer started at ``started_at`` and due ``target`` later."""
    return TimerRow(
        metric=metric,
        cycle=1,
        state=state,
        target=target,
        started_at=started_at,
        due_at=started_at + target,
        **fields,
    )
