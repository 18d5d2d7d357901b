"""Queries for ticket sources (webhooks, import): which external event ids are already stored."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import TicketEventRow

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
