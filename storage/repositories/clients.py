"""Clients and the channels linked to them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select

from storage.models import ChannelLink, Client
from storage.repositories._base import _insert, _Repository, _team


class ClientRepository(_Repository):
    def upsert(
        self, *, team_id: str, key: str, name: str, contract_key: str | None = None, now: datetime
    ) -> Client:
        now = self._in_workspace(team_id, now, name="now")
        values = {
            "team_id": team_id,
            "key": key,
            "name": name,
            "contract_key": contract_key,
            "updated_at": now,
        }
        stmt = _insert(self.session, Client).values(**values)
        stmt = stmt.on_conflict_do_update(
            index_elements=["team_id", "key"],
            set_={"name": name, "contract_key": contract_key, "updated_at": now},
        )
        self.session.execute(stmt)
        client = self.get(team_id=team_id, key=key)
        assert client is not None
        return client

    def get(self, *, team_id: str, key: str) -> Client | None:
        stmt = select(Client).where(Client.team_id == _team(team_id), Client.key == key)
        return self.session.scalars(stmt.execution_options(populate_existing=True)).one_or_none()

    def list(self, *, team_id: str) -> list[Client]:
        stmt = select(Client).where(Client.team_id == _team(team_id)).order_by(Client.key)
        return list(self.session.scalars(stmt))


class ChannelLinkRepository(_Repository):
    def link(
        self, *, team_id: str, channel_id: str, client_key: str, linked_by: str | None = None, at: datetime
    ) -> ChannelLink:
        at = self._in_workspace(team_id, at, name="at")
        stmt = _insert(self.session, ChannelLink).values(
            team_id=team_id, channel_id=channel_id, client_key=client_key, linked_by=linked_by, linked_at=at
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=["team_id", "channel_id"],
            set_={"client_key": client_key, "linked_by": linked_by, "linked_at": at},
        )
        self.session.execute(stmt)
        row = self._get(team_id, channel_id)
        assert row is not None
        return row

    def unlink(self, *, team_id: str, channel_id: str) -> bool:
        stmt = delete(ChannelLink).where(
            ChannelLink.team_id == _team(team_id), ChannelLink.channel_id == channel_id
        )
        return bool(self.session.execute(stmt).rowcount)  # type: ignore[attr-defined]

    def client_for_channel(self, *, team_id: str, channel_id: str) -> str | None:
        # one column, no ORM object: asked for by every /sla status typed in a channel
        return self.session.execute(
            select(ChannelLink.client_key).where(
                ChannelLink.team_id == _team(team_id), ChannelLink.channel_id == channel_id
            )
        ).scalar_one_or_none()

    def list(self, *, team_id: str) -> list[ChannelLink]:
        stmt = (
            select(ChannelLink).where(ChannelLink.team_id == _team(team_id)).order_by(ChannelLink.channel_id)
        )
        return list(self.session.scalars(stmt))

    def _get(self, team_id: str, channel_id: str) -> ChannelLink | None:
        stmt = select(ChannelLink).where(
            ChannelLink.team_id == _team(team_id), ChannelLink.channel_id == channel_id
        )
        return self.session.scalars(stmt.execution_options(populate_existing=True)).one_or_none()
