"""Stored contract versions (what a ticket was measured against)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from storage.models import ContractVersionRow
from storage.repositories._base import _Repository, _team, upsert

#: a contract version, once per (team, contract, hash)
_STORE_VERSION = upsert(
    ContractVersionRow.__table__,  # type: ignore[arg-type]
    ("team_id", "contract_key", "number", "effective", "sha256", "content", "stored_at"),
    ("team_id", "contract_key", "sha256"),
)


class ContractRepository(_Repository):
    def store_version(
        self,
        *,
        team_id: str,
        contract_key: str,
        number: int,
        effective: date,
        sha256: str,
        content: Any,
        now: datetime,
    ) -> ContractVersionRow:
        """Store a contract version once per (team, contract, hash); returns the stored row."""
        now = self._in_workspace(team_id, now, name="now")
        values = {
            "team_id": team_id,
            "contract_key": contract_key,
            "number": number,
            "effective": effective,
            "sha256": sha256,
            "content": content,
            "stored_at": now,
        }
        self.session.execute(_STORE_VERSION, values)
        row = self.session.scalars(
            select(ContractVersionRow).where(
                ContractVersionRow.team_id == team_id,
                ContractVersionRow.contract_key == contract_key,
                ContractVersionRow.sha256 == sha256,
            )
        ).one()
        return row

    def get(self, *, team_id: str, version_id: int) -> ContractVersionRow | None:
        row = self.session.get(ContractVersionRow, version_id)
        return row if row is not None and row.team_id == _team(team_id) else None

    def get_many(self, *, team_id: str, version_ids: Iterable[int | None]) -> list[ContractVersionRow]:
        """The team's stored versions with these ids (one query per 500), loaded into the session."""
        wanted = [i for i in dict.fromkeys(version_ids) if i is not None]
        found: list[ContractVersionRow] = []
        for start in range(0, len(wanted), 500):
            stmt = select(ContractVersionRow).where(
                ContractVersionRow.team_id == _team(team_id),
                ContractVersionRow.id.in_(wanted[start : start + 500]),
            )
            found.extend(self.session.scalars(stmt))
        return found

    def list_versions(self, *, team_id: str, contract_key: str) -> list[ContractVersionRow]:
        stmt = (
            select(ContractVersionRow)
            .where(
                ContractVersionRow.team_id == _team(team_id), ContractVersionRow.contract_key == contract_key
            )
            .order_by(ContractVersionRow.effective, ContractVersionRow.number)
        )
        return list(self.session.scalars(stmt))
