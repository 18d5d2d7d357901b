"""Installed workspaces."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from storage.models import Workspace
from storage.repositories._base import NotFound, _insert, _Repository, _team
from storage.types import require_aware


class WorkspaceRepository(_Repository):
    def upsert(self, *, team_id: str, name: str | None, installed_at: datetime) -> Workspace:
        installed_at = require_aware(installed_at, name="installed_at")
        stmt = _insert(self.session, Workspace).values(
            team_id=_team(team_id), name=name, installed_at=installed_at, ticket_seq=0
        )
        self.session.execute(stmt.on_conflict_do_update(index_elements=["team_id"], set_={"name": name}))
        return self.get(team_id=team_id)

    def get(self, *, team_id: str) -> Workspace:
        row = self.session.get(Workspace, _team(team_id), populate_existing=True)
        if row is None:
            raise NotFound(f"workspace {team_id}")
        return row

    def list_team_ids(self) -> list[str]:
        """Every installed workspace (for jobs that loop over teams)."""
        return list(self.session.scalars(select(Workspace.team_id).order_by(Workspace.team_id)))
