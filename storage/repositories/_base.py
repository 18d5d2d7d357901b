"""Shared pieces of every repository: the workspace scope, ``NotFound`` and dialect-aware INSERT."""

from __future__ import annotations

import enum
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy import true
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from storage.models import Workspace


class AllTeams(enum.Enum):
    ALL_TEAMS = "all-teams"


#: Explicit opt-in for the sweep/notifier claims, which serve every workspace of the installation.
ALL_TEAMS: Final = AllTeams.ALL_TEAMS


ALL_TEAMS: Final = AllTeams.ALL_TEAMS
TeamScope = str | AllTeams


class NotFound(LookupError):
    """No such row in this workspace."""


#: timer states that still count down (a breached timer keeps running until stopped).
ACTIVE_TIMER_STATES: Final = ("running", "breached")


def _insert(session: Session, model: type[Any]) -> Any:
    """INSERT with ``on_conflict_do_*`` for the session's dialect (PostgreSQL or SQLite)."""
    if session.get_bind().dialect.name == "postgresql":
        return pg_insert(model)
    return sqlite_insert(model)


def _team(team_id: str) -> str:
    if not isinstance(team_id, str) or not team_id:
        raise ValueError(f"team_id must be a non-empty string, got {team_id!r}")
    return team_id


def _scope(column: Any, team_id: TeamScope) -> Any:
    if team_id is ALL_TEAMS:
        return true()
    return column == _team(team_id)  # type: ignore[arg-type]


def _seconds(value: timedelta | float | None) -> float | None:
    if value is None:
        return None
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class _Repository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def _ensure_workspace(self, team_id: str, now: datetime) -> None:
        stmt = _insert(self.session, Workspace).values(team_id=_team(team_id), installed_at=now, ticket_seq=0)
        self.session.execute(stmt.on_conflict_do_nothing(index_elements=["team_id"]))
