"""The Slack inbox: requests stored before they are acknowledged (``bot.inbox``)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, delete, func, or_, select, text, update

from storage.models import InboxItem
from storage.repositories._base import _Repository
from storage.types import require_aware

_RECEIVED = (
    "key",
    "team_id",
    "kind",
    "body",
    "headers",
    "state",
    "attempts",
    "lease_until",
    "received_at",
    "processed_at",
)
#: insert-or-nothing by key, the same text on SQLite and PostgreSQL, compiled once: the dialects'
#: ``insert().on_conflict_do_nothing()`` is not cacheable in SQLAlchemy (``inherit_cache = False``),
#: so it was compiled anew for every Slack request, before its ack (the CPU of a cached /sla status)
_RECEIVE = text(
    f"INSERT INTO {InboxItem.__tablename__} ({', '.join(_RECEIVED)}) "
    f"VALUES ({', '.join(':' + name for name in _RECEIVED)}) ON CONFLICT (key) DO NOTHING RETURNING id"
).bindparams(*(bindparam(name, type_=InboxItem.__table__.c[name].type) for name in _RECEIVED))


class InboxRepository(_Repository):
    def receive(
        self,
        *,
        key: str,
        team_id: str | None,
        kind: str,
        body: str,
        headers: Mapping[str, str],
        now: datetime,
        lease_until: datetime,
        max_attempts: int,
        state: str = "pending",
    ) -> tuple[int, bool]:
        """Insert-or-get by ``key`` (``INSERT ... ON CONFLICT DO NOTHING``, safe under concurrent
        redelivery on SQLite and PostgreSQL): ``(row id, whether the caller must process it)``.

        A new row is the caller's to process (claimed until ``lease_until``; stored ``done`` at once
        when ``state="done"``: a request kept only as its key). A known row is the caller's only when
        its processing failed or was cut short and its lease has run out."""
        now = require_aware(now, name="now")
        values = {
            "key": key,
            "team_id": team_id,
            "kind": kind,
            "body": body,
            "headers": dict(headers),
            "state": state,
            "attempts": 1,
            "lease_until": require_aware(lease_until, name="lease_until") if state == "pending" else None,
            "received_at": now,
            "processed_at": None if state == "pending" else now,
        }
        new_id = self.session.execute(_RECEIVE, values).scalar_one_or_none()
        if new_id is not None:
            return int(new_id), True
        row_id = self.session.execute(select(InboxItem.id).where(InboxItem.key == key)).scalar_one()
        claimed = self._claim(row_id, now, lease_until, max_attempts)
        return int(row_id), claimed

    def settled_or_leased(self, *, key: str, now: datetime, max_attempts: int) -> bool:
        """Whether ``key`` is stored and nobody may process it now (done, given up, or claimed): a
        read-only check, so a burst of redeliveries does not queue for the write lock."""
        i = InboxItem
        row = self.session.execute(select(i.state, i.attempts, i.lease_until).where(i.key == key)).first()
        if row is None:
            return False
        state, attempts, lease_until = row
        now = require_aware(now, name="now")
        return (
            state != "pending" or attempts >= max_attempts or (lease_until is not None and lease_until >= now)
        )

    def _claim(self, row_id: int, now: datetime, lease_until: datetime, max_attempts: int) -> bool:
        i = InboxItem
        result = self.session.execute(
            update(i)
            .where(
                i.id == row_id,
                i.state == "pending",
                i.attempts < max_attempts,
                or_(i.lease_until.is_(None), i.lease_until < now),
            )
            .values(attempts=i.attempts + 1, lease_until=lease_until)
        )
        return bool(getattr(result, "rowcount", 0))

    def claim_due(
        self, *, now: datetime, lease_until: datetime, limit: int, max_attempts: int
    ) -> list[InboxItem]:
        """Pending rows whose lease ran out (failed or cut short), claimed for the caller."""
        now = require_aware(now, name="now")
        i = InboxItem
        ids = self.session.scalars(
            select(i.id)
            .where(
                i.state == "pending",
                i.attempts < max_attempts,
                or_(i.lease_until.is_(None), i.lease_until < now),
            )
            .order_by(i.id)
            .limit(limit)
        ).all()
        claimed = [row_id for row_id in ids if self._claim(row_id, now, lease_until, max_attempts)]
        if not claimed:
            return []
        return list(self.session.scalars(select(i).where(i.id.in_(claimed)).order_by(i.id)))

    def done(self, *, item_id: int, now: datetime) -> None:
        """Processed: the body is dropped (the key stays, to recognise redeliveries and replays)."""
        self.session.execute(
            update(InboxItem)
            .where(InboxItem.id == item_id)
            .values(state="done", processed_at=require_aware(now, name="now"), body="", lease_until=None)
        )

    def retry_later(self, *, item_id: int, error: str, now: datetime, after: timedelta) -> None:
        """Processing failed: kept pending with the reason, due again ``after`` from ``now``."""
        self.session.execute(
            update(InboxItem)
            .where(InboxItem.id == item_id, InboxItem.state == "pending")
            .values(last_error=error[:500], lease_until=require_aware(now, name="now") + after)
        )

    def give_up(self, *, max_attempts: int, now: datetime) -> int:
        """Rows that failed ``max_attempts`` times: marked failed (kept for ``/sla admin``, logs)."""
        i = InboxItem
        result = self.session.execute(
            update(i)
            .where(
                i.state == "pending",
                i.attempts >= max_attempts,
                or_(i.lease_until.is_(None), i.lease_until < now),
            )
            .values(state="failed", processed_at=now)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    def prune(self, *, before: datetime) -> int:
        i = InboxItem
        result = self.session.execute(
            delete(i).where(
                i.state.in_(("done", "failed")), i.received_at < require_aware(before, name="before")
            )
        )
        return int(getattr(result, "rowcount", 0) or 0)

    def get(self, *, key: str) -> InboxItem | None:
        return self.session.scalars(select(InboxItem).where(InboxItem.key == key)).first()

    def counts(self) -> dict[str, Any]:
        rows = self.session.execute(select(InboxItem.state, func.count()).group_by(InboxItem.state)).all()
        return {state: int(n) for state, n in rows}
