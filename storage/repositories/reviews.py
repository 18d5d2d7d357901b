"""Contract review drafts."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import select, update

from storage.models import ReviewDraft, ReviewDraftState, Ticket, TicketEventRow
from storage.repositories._base import _owned, _Repository, _team
from storage.types import require_aware


class ReviewRepository(_Repository):
    """SLA reviews (docs/reviews.md): the history of a client's quarter, and proposed revisions."""

    def tickets_opened(
        self, *, team_id: str, client_key: str, start: datetime, end: datetime
    ) -> list[tuple[Ticket, list[TicketEventRow]]]:
        """The client's tickets opened in [start, end), each with all its events in order (two queries)."""
        t, e = Ticket, TicketEventRow
        start, end = require_aware(start, name="start"), require_aware(end, name="end")
        tickets = list(
            self.session.scalars(
                select(t)
                .where(
                    t.team_id == _team(team_id),
                    t.client_key == client_key,
                    t.opened_at >= start,
                    t.opened_at < end,
                )
                .order_by(t.opened_at, t.id)
            )
        )
        events: dict[int, list[TicketEventRow]] = {ticket.id: [] for ticket in tickets}
        ids = list(events)
        for chunk in range(0, len(ids), 500):
            stmt = (
                select(e)
                .where(_owned(e.team_id, team_id), e.ticket_id.in_(ids[chunk : chunk + 500]))
                .order_by(e.ticket_id, e.seq)
            )
            for row in self.session.scalars(stmt):
                events[row.ticket_id].append(row)
        return [(ticket, events[ticket.id]) for ticket in tickets]

    def add_draft(
        self,
        *,
        team_id: str,
        client_key: str,
        contract_key: str,
        period_key: str,
        base_number: int,
        base_sha256: str,
        effective: date,
        proposal: Any,
        version_yaml: str,
        diff: str,
        dry_run: Any,
        created_by: str | None,
        now: datetime,
    ) -> ReviewDraft:
        now = self._in_workspace(team_id, now, name="now")
        return self._stored(
            ReviewDraft(
                team_id=team_id,
                client_key=client_key,
                contract_key=contract_key,
                period_key=period_key,
                base_number=base_number,
                base_sha256=base_sha256,
                effective=effective,
                state=ReviewDraftState.draft.value,
                proposal=proposal,
                version_yaml=version_yaml,
                diff=diff,
                dry_run=dry_run,
                created_by=created_by,
                created_at=now,
            )
        )

    def get_draft(self, *, team_id: str, draft_id: int) -> ReviewDraft | None:
        """The draft if it belongs to ``team_id`` (a forged id of another workspace is "not found")."""
        stmt = select(ReviewDraft).where(ReviewDraft.team_id == _team(team_id), ReviewDraft.id == draft_id)
        return self.session.scalars(stmt.execution_options(populate_existing=True)).one_or_none()

    def decide_draft(
        self,
        *,
        team_id: str,
        draft_id: int,
        state: ReviewDraftState | str,
        by: str | None,
        at: datetime,
        contract_version_id: int | None = None,
    ) -> bool:
        """Move a draft out of ``draft`` (approved or discarded); False if it was no longer a draft."""
        r = ReviewDraft
        stmt = (
            update(r)
            .where(r.team_id == _team(team_id), r.id == draft_id, r.state == ReviewDraftState.draft.value)
            .values(
                state=ReviewDraftState(state).value,
                decided_by=by,
                decided_at=require_aware(at, name="at"),
                contract_version_id=contract_version_id,
            )
        )
        return bool(self.session.execute(stmt).rowcount)  # type: ignore[attr-defined]
