"""Incidents (uptime and credits)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select, update

from storage.models import Incident
from storage.repositories._base import _insert, _Repository, _team
from storage.types import require_aware, require_aware_or_none


class IncidentRepository(_Repository):
    def record(
        self,
        *,
        team_id: str,
        service: str,
        started_at: datetime,
        ended_at: datetime | None = None,
        client_key: str | None = None,
        reason: str | None = None,
        source: str | None = None,
        external_key: str | None = None,
        planned: bool = False,
    ) -> Incident:
        """Record a downtime window; with (source, external_key) a repeat updates the same incident."""
        started_at = require_aware(started_at, name="started_at")
        ended_at = require_aware_or_none(ended_at, name="ended_at")
        self._ensure_workspace(team_id, started_at)
        values = {
            "client_key": client_key,
            "service": service,
            "started_at": started_at,
            "ended_at": ended_at,
            "reason": reason,
            "planned": planned,
        }
        stmt = _insert(self.session, Incident).values(
            team_id=team_id, source=source, external_key=external_key, **values
        )
        if external_key is not None:
            stmt = stmt.on_conflict_do_update(
                index_elements=["team_id", "source", "external_key"], set_=values
            )
        new_id = self.session.execute(stmt.returning(Incident.id)).scalar_one()
        incident = self.session.get(Incident, new_id, populate_existing=True)
        assert incident is not None
        return incident

    def end(self, *, team_id: str, incident_id: int, ended_at: datetime) -> bool:
        stmt = (
            update(Incident)
            .where(Incident.team_id == _team(team_id), Incident.id == incident_id)
            .values(ended_at=require_aware(ended_at, name="ended_at"))
        )
        return bool(self.session.execute(stmt).rowcount)  # type: ignore[attr-defined]

    def overlapping(
        self, *, team_id: str, start: datetime, end: datetime, client_key: str | None = None
    ) -> list[Incident]:
        """Incidents that overlap [start, end) (open-ended ones count as ongoing)."""
        start, end = require_aware(start, name="start"), require_aware(end, name="end")
        i = Incident
        stmt = select(i).where(
            i.team_id == _team(team_id), i.started_at < end, or_(i.ended_at.is_(None), i.ended_at > start)
        )
        if client_key is not None:
            stmt = stmt.where(or_(i.client_key == client_key, i.client_key.is_(None)))
        return list(self.session.scalars(stmt.order_by(i.started_at, i.id)))

    def get_by_external_key(self, *, team_id: str, source: str, external_key: str) -> Incident | None:
        """The incident recorded from ``source`` under ``external_key`` (e.g. an alert's fingerprint)."""
        i = Incident
        stmt = select(i).where(
            i.team_id == _team(team_id), i.source == source, i.external_key == external_key
        )
        return self.session.scalars(stmt.execution_options(populate_existing=True)).one_or_none()

    def open_unplanned(self, *, team_id: str, service: str | None = None) -> list[Incident]:
        """Downtime incidents not ended yet (planned maintenance always has an end), oldest first."""
        i = Incident
        stmt = select(i).where(i.team_id == _team(team_id), i.ended_at.is_(None), i.planned.is_(False))
        if service is not None:
            stmt = stmt.where(i.service == service)
        return list(self.session.scalars(stmt.order_by(i.started_at, i.id)))
