"""The outbox: notifications written with the state change, claimed and delivered later."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update

from storage.models import AlertMessage, Notification, NotificationState
from storage.repositories._base import TeamScope, _insert, _Repository, _scope, _team, upsert
from storage.types import require_aware, require_aware_or_none


@dataclass(frozen=True)
class QueuedRow:
    """One notification for :meth:`OutboxRepository.enqueue_many` (the arguments of ``enqueue``;
    ``state``/``last_error``: a row recorded settled at once, e.g. a superseded warning, cancelled)."""

    team_id: str
    idempotency_key: str
    kind: str
    payload: Mapping[str, Any]
    channel_id: str | None = None
    thread_ts: str | None = None
    ticket_id: int | None = None
    not_before: datetime | None = None
    state: str = NotificationState.pending.value
    last_error: str | None = None


#: rows per INSERT of :meth:`OutboxRepository.enqueue_many` (11 parameters each: far below SQLite's limit)
_ENQUEUE_CHUNK = 500
_NOTIFICATION = (
    "team_id",
    "idempotency_key",
    "kind",
    "ticket_id",
    "channel_id",
    "thread_ts",
    "payload",
    "state",
    "attempts",
    "not_before",
    "created_at",
    "last_error",
)
#: one notification, once per (team, idempotency key): the id when this statement created it
_ENQUEUE = upsert(
    Notification.__table__,  # type: ignore[arg-type]
    _NOTIFICATION,
    ("team_id", "idempotency_key"),
    returning=("id",),
)
_ALERT_KEY = ("team_id", "ticket_id", "metric", "cycle", "channel_id", "thread_ts")
#: the message of a timer in one place: inserted, or moved to its new ts (the last write wins)
_ALERT_MESSAGE = upsert(
    AlertMessage.__table__,  # type: ignore[arg-type]
    (*_ALERT_KEY, "slack_ts", "showing", "updated_at"),
    _ALERT_KEY,
    update=("slack_ts", "showing", "updated_at"),
)


def _values(row: QueuedRow, now: datetime) -> dict[str, Any]:
    """The columns of a new notification row (:data:`_NOTIFICATION`) for ``row``, created ``now``."""
    return {
        "team_id": row.team_id,
        "idempotency_key": row.idempotency_key,
        "kind": row.kind,
        "ticket_id": row.ticket_id,
        "channel_id": row.channel_id,
        "thread_ts": row.thread_ts,
        "payload": dict(row.payload),
        "state": row.state,
        "attempts": 0,
        "not_before": require_aware_or_none(row.not_before, name="not_before") or now,
        "created_at": now,
        "last_error": row.last_error,
    }


class OutboxRepository(_Repository):
    def enqueue(
        self,
        *,
        team_id: str,
        idempotency_key: str,
        kind: str,
        payload: Mapping[str, Any],
        now: datetime,
        channel_id: str | None = None,
        thread_ts: str | None = None,
        ticket_id: int | None = None,
        not_before: datetime | None = None,
    ) -> bool:
        """Queue a notification once per (team, idempotency key). True if this call created it."""
        row = QueuedRow(team_id, idempotency_key, kind, payload, channel_id, thread_ts, ticket_id, not_before)
        return self.enqueue_row(row, now=now)

    def enqueue_row(self, row: QueuedRow, *, now: datetime) -> bool:
        """:meth:`enqueue` of one :class:`QueuedRow` (a settled one, e.g. a superseded warning, is
        recorded with its state and reason). True if this call created it."""
        now = self._in_workspace(row.team_id, now, name="now")
        return self.session.execute(_ENQUEUE, _values(row, now)).scalar_one_or_none() is not None

    def enqueue_many(self, rows: Sequence[QueuedRow], *, now: datetime) -> set[str]:
        """:meth:`enqueue` for many rows: one ``INSERT ... ON CONFLICT DO NOTHING RETURNING`` per 500 of
        them, and each workspace ensured once (not once per row). Returns the idempotency keys this
        call created (a key already stored, or repeated in ``rows``, is created at most once)."""
        now = require_aware(now, name="now")
        if not rows:
            return set()
        for team_id in dict.fromkeys(r.team_id for r in rows):
            self._ensure_workspace(team_id, now)
        seen: set[tuple[str, str]] = set()
        values = []
        for r in rows:
            if (r.team_id, r.idempotency_key) in seen:
                continue
            seen.add((r.team_id, r.idempotency_key))
            values.append(_values(r, now))
        stmt = _insert(self.session, Notification.__table__)
        stmt = stmt.on_conflict_do_nothing(index_elements=["team_id", "idempotency_key"]).returning(
            Notification.__table__.c.idempotency_key
        )
        created: set[str] = set()
        for start in range(0, len(values), _ENQUEUE_CHUNK):
            created.update(self.session.execute(stmt, values[start : start + _ENQUEUE_CHUNK]).scalars())
        return created

    def get(self, *, team_id: str, notification_id: int) -> Notification | None:
        stmt = select(Notification).where(
            Notification.team_id == _team(team_id), Notification.id == notification_id
        )
        return self.session.scalars(stmt.execution_options(populate_existing=True)).one_or_none()

    def get_by_key(self, *, team_id: str, idempotency_key: str) -> Notification | None:
        stmt = select(Notification).where(
            Notification.team_id == _team(team_id), Notification.idempotency_key == idempotency_key
        )
        return self.session.scalars(stmt.execution_options(populate_existing=True)).one_or_none()

    def claim_due(
        self, *, team_id: TeamScope, now: datetime, worker: str, lease: timedelta, limit: int = 50
    ) -> list[Notification]:
        """Lease due notifications (pending, or claimed with an expired lease; ``not_before <= now``),
        oldest first. Same locking as :meth:`TimerRepository.claim_due`."""
        now = require_aware(now, name="now")
        n = Notification
        due = or_(
            n.state == NotificationState.pending.value,
            and_(n.state == NotificationState.claimed.value, n.lease_until <= now),
        )
        ids = list(
            self.session.scalars(
                select(n.id)
                .where(_scope(n.team_id, team_id), due, n.not_before <= now)
                .order_by(n.created_at, n.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        )
        if not ids:
            return []
        stmt = (
            update(n)
            .where(n.id.in_(ids))
            .values(state=NotificationState.claimed.value, lease_until=now + lease, claimed_by=worker)
            .returning(n)
        )
        rows = self.session.scalars(
            stmt, execution_options={"synchronize_session": False, "populate_existing": True}
        ).all()
        return sorted(rows, key=lambda r: (r.created_at, r.id))

    def mark_sent(
        self,
        *,
        team_id: str,
        notification_id: int,
        slack_ts: str | None,
        now: datetime,
        worker: str | None = None,
    ) -> bool:
        return self._finish(
            team_id,
            notification_id,
            worker,
            NotificationState.sent,
            slack_ts=slack_ts,
            sent_at=require_aware(now, name="now"),
        )

    def mark_failed(
        self, *, team_id: str, notification_id: int, error: str, worker: str | None = None
    ) -> bool:
        """Permanent failure (e.g. ``channel_not_found``): kept for admins, never retried."""
        return self._finish(team_id, notification_id, worker, NotificationState.failed, last_error=error)

    def retry_later(
        self,
        *,
        team_id: str,
        notification_id: int,
        not_before: datetime,
        error: str,
        worker: str | None = None,
    ) -> bool:
        """Transient failure (429 Retry-After, 5xx, network): back to pending from ``not_before``."""
        return self._finish(
            team_id,
            notification_id,
            worker,
            NotificationState.pending,
            not_before=require_aware(not_before, name="not_before"),
            last_error=error,
        )

    def expire_leases(self, *, now: datetime, error: str) -> int:
        """End every notification lease now (all workspaces), noting ``error`` (the outcome of the dead
        claim is unknown): for the one SQLite scheduler at start-up. Never on PostgreSQL."""
        n = Notification
        now = require_aware(now, name="now")
        stmt = update(n).where(n.state == NotificationState.claimed.value, n.lease_until > now)
        result = self.session.execute(stmt.values(lease_until=now, last_error=error))
        return int(result.rowcount)  # type: ignore[attr-defined]

    def cancel(
        self,
        *,
        team_id: str,
        reason: str,
        notification_id: int | None = None,
        idempotency_key: str | None = None,
        worker: str | None = None,
    ) -> bool:
        """Settle one notification as ``cancelled`` (never sent, kept with ``reason`` for admins), by id
        or key, if it is still pending or claimed (by ``worker`` when given). True if this call did it."""
        if (notification_id is None) == (idempotency_key is None):
            raise ValueError("cancel needs exactly one of notification_id and idempotency_key")
        n = Notification
        stmt = update(n).where(
            n.team_id == _team(team_id),
            n.state.in_([NotificationState.pending.value, NotificationState.claimed.value]),
        )
        if notification_id is not None:
            stmt = stmt.where(n.id == notification_id)
        else:
            stmt = stmt.where(n.idempotency_key == idempotency_key)
        if worker is not None:
            stmt = stmt.where(n.claimed_by == worker)
        values = {"state": NotificationState.cancelled.value, "lease_until": None, "last_error": reason}
        result = self.session.execute(stmt.values(**values))
        return bool(result.rowcount)  # type: ignore[attr-defined]

    def keys_for_ticket(
        self, *, team_id: str, ticket_id: int, kinds: Iterable[str] | None = None
    ) -> set[str]:
        """Idempotency keys of a ticket's notifications in any state (optionally of some kinds only)."""
        n = Notification
        stmt = select(n.idempotency_key).where(n.team_id == _team(team_id), n.ticket_id == ticket_id)
        if kinds is not None:
            stmt = stmt.where(n.kind.in_(list(kinds)))
        return set(self.session.scalars(stmt))

    def keys_for_tickets(
        self, *, team_id: str, ticket_ids: Iterable[int], kinds: Iterable[str] | None = None
    ) -> dict[int, set[str]]:
        """:meth:`keys_for_ticket` of many tickets: one query per 500 of them."""
        n = Notification
        wanted = list(dict.fromkeys(ticket_ids))
        out: dict[int, set[str]] = {ticket_id: set() for ticket_id in wanted}
        kinds = None if kinds is None else list(kinds)
        for start in range(0, len(wanted), 500):
            stmt = select(n.ticket_id, n.idempotency_key).where(
                n.team_id == _team(team_id), n.ticket_id.in_(wanted[start : start + 500])
            )
            if kinds is not None:
                stmt = stmt.where(n.kind.in_(kinds))
            for ticket_id, key in self.session.execute(stmt):
                out[ticket_id].add(key)
        return out

    def cancel_for_ticket(self, *, team_id: str, ticket_id: int, kinds: Iterable[str] | None = None) -> int:
        """Cancel the ticket's notifications not yet picked up (e.g. it was resolved). Returns how many."""
        return self.cancel_for_tickets(team_id=team_id, ticket_ids=[ticket_id], kinds=kinds)

    def cancel_for_tickets(
        self, *, team_id: str, ticket_ids: Iterable[int], kinds: Iterable[str] | None = None
    ) -> int:
        """:meth:`cancel_for_ticket` for many tickets: one statement per 500 of them. Returns how many.

        A plain UPDATE: notifications already loaded in the session are not refreshed (the ORM's
        evaluation of the criteria against every loaded object cost more than the update itself
        when a batch had thousands of objects in the session)."""
        n = Notification
        wanted = list(dict.fromkeys(ticket_ids))
        kinds = None if kinds is None else list(kinds)
        cancelled = 0
        for start in range(0, len(wanted), 500):
            stmt = update(n).where(
                n.team_id == _team(team_id),
                n.ticket_id.in_(wanted[start : start + 500]),
                n.state == NotificationState.pending.value,
            )
            if kinds is not None:
                stmt = stmt.where(n.kind.in_(kinds))
            stmt = stmt.values(state=NotificationState.cancelled.value)
            result = self.session.execute(stmt.execution_options(synchronize_session=False))
            cancelled += int(result.rowcount)  # type: ignore[attr-defined]
        return cancelled

    # ---- one alert message per ticket timer and place (alert_messages)

    def alert_message(
        self, *, team_id: str, ticket_id: int, metric: str, cycle: int, channel_id: str, thread_ts: str | None
    ) -> AlertMessage | None:
        """The Slack message a timer's alerts show in one place (channel, thread), if one was posted."""
        return self.session.scalars(
            select(AlertMessage).where(
                AlertMessage.team_id == _team(team_id),
                AlertMessage.ticket_id == ticket_id,
                AlertMessage.metric == metric,
                AlertMessage.cycle == cycle,
                AlertMessage.channel_id == channel_id,
                AlertMessage.thread_ts == (thread_ts or ""),
            )
        ).first()

    def record_alert_message(
        self,
        *,
        team_id: str,
        ticket_id: int,
        metric: str,
        cycle: int,
        channel_id: str,
        thread_ts: str | None,
        slack_ts: str,
        showing: str,
        now: datetime,
    ) -> None:
        """Remember (or move) the message of a timer in one place: the ts it has now and the
        notification it shows. Several processes writing at once: the last write wins."""
        now = require_aware(now, name="now")
        values = {
            "team_id": _team(team_id),
            "ticket_id": ticket_id,
            "metric": metric,
            "cycle": cycle,
            "channel_id": channel_id,
            "thread_ts": thread_ts or "",
            "slack_ts": slack_ts,
            "showing": showing,
            "updated_at": now,
        }
        self.session.execute(_ALERT_MESSAGE, values)

    def list_failed(self, *, team_id: str, limit: int = 50) -> list[Notification]:
        stmt = (
            select(Notification)
            .where(
                Notification.team_id == _team(team_id), Notification.state == NotificationState.failed.value
            )
            .order_by(Notification.created_at.desc(), Notification.id.desc())
            .limit(limit)
        )
        return list(self.session.scalars(stmt))

    def _finish(
        self, team_id: str, notification_id: int, worker: str | None, state: NotificationState, **values: Any
    ) -> bool:
        """End an attempt at a pending or claimed notification (claimed by ``worker`` when given): lease
        released, one more attempt counted, ``state`` and ``values`` set. True if this call did it."""
        n = Notification
        stmt = update(n).where(
            n.team_id == _team(team_id),
            n.id == notification_id,
            n.state.in_([NotificationState.pending.value, NotificationState.claimed.value]),
        )
        if worker is not None:
            stmt = stmt.where(n.claimed_by == worker)
        values.update(state=state.value, lease_until=None, attempts=n.attempts + 1)
        result = self.session.execute(stmt.values(**values))
        return bool(result.rowcount)  # type: ignore[attr-defined]
