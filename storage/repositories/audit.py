"""The audit trail."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from storage.models import AuditEntry
from storage.repositories._base import _Repository, _team


class AuditRepository(_Repository):
    def record(
        self,
        *,
        team_id: str,
        action: str,
        at: datetime,
        actor: str | None = None,
        target: str | None = None,
        before: Any = None,
        after: Any = None,
    ) -> AuditEntry:
        at = self._in_workspace(team_id, at, name="at")
        return self._stored(
            AuditEntry(
                team_id=team_id, actor=actor, action=action, target=target, before=before, after=after, at=at
            )
        )

    def list(self, *, team_id: str, target: str | None = None, limit: int = 50) -> list[AuditEntry]:
        stmt = select(AuditEntry).where(AuditEntry.team_id == _team(team_id))
        if target is not None:
            stmt = stmt.where(AuditEntry.target == target)
        return list(
            self.session.scalars(stmt.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit))
        )
