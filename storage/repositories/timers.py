"""The timer projection and the sweep's claims on it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from sqlalchemy import bindparam, delete, inspect, or_, select, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from sla.timer_values import slot_builder
from storage.models import MetricTimerRow, Ticket
from storage.repositories._base import (
    ACTIVE_TIMER_STATES,
    NotFound,
    TeamScope,
    _owned,
    _Repository,
    _scope,
    _seconds,
    _team,
    upsert,
)
from storage.types import require_aware, require_aware_or_none


@dataclass(frozen=True)
class BreachRecord:
    """A breach the sweep records on a stored timer (see :meth:`TimerRepository.record_breaches`)."""

    timer_id: int
    ticket_id: int
    breached_at: datetime
    business_elapsed: timedelta
    #: the ``due_at`` the sweep saw: the row is changed only while it still has it
    due_at: datetime | None


@dataclass(frozen=True, slots=True)
class TimerRow:
    """One row of the timer projection, as the use cases hand it to storage."""

    metric: str
    cycle: int
    state: str
    target: timedelta
    started_at: datetime
    priority: str | None = None
    calendar_name: str | None = None
    due_at: datetime | None = None
    stopped_at: datetime | None = None
    breached_at: datetime | None = None
    business_elapsed: timedelta = timedelta(0)
    paused_for: timedelta = timedelta(0)
    pause_reason: str | None = None
    resumed_at: datetime | None = None
    elapsed_at_resume: timedelta | None = None
    next_alert_at: datetime | None = None
    at_risk_at: datetime | None = None

    @classmethod
    def from_timer(
        cls, timer: Any, *, next_alert_at: datetime | None = None, at_risk_at: datetime | None = None
    ) -> TimerRow:
        """From an ``sla.timers.MetricTimer`` (read by attribute name: any value with those attributes)."""
        return (
            _timer_row(  # TimerRow(...), positionally in field order (one per timer of every stored ticket)
                str(timer.metric),
                int(timer.cycle),
                str(timer.state),
                timer.target,
                timer.started_at,
                timer.priority,
                timer.calendar_name,
                timer.due_at,
                timer.stopped_at,
                timer.breached_at,
                timer.business_elapsed,
                timer.paused_for,
                timer.pause_reason,
                timer.resumed_at,
                timer.elapsed_at_resume,
                next_alert_at,
                at_risk_at,
            )
        )

    def columns(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "cycle": self.cycle,
            "state": self.state,
            "priority": self.priority,
            "target_seconds": _seconds(self.target),
            "calendar_name": self.calendar_name,
            "started_at": require_aware(self.started_at, name="started_at"),
            "due_at": require_aware_or_none(self.due_at, name="due_at"),
            "stopped_at": require_aware_or_none(self.stopped_at, name="stopped_at"),
            "breached_at": require_aware_or_none(self.breached_at, name="breached_at"),
            "business_elapsed_seconds": _seconds(self.business_elapsed),
            "paused_for_seconds": _seconds(self.paused_for),
            "pause_reason": self.pause_reason,
            "resumed_at": require_aware_or_none(self.resumed_at, name="resumed_at"),
            "elapsed_at_resume_seconds": _seconds(self.elapsed_at_resume),
            "next_alert_at": require_aware_or_none(self.next_alert_at, name="next_alert_at"),
            "at_risk_at": require_aware_or_none(self.at_risk_at, name="at_risk_at"),
        }

    def values(self) -> tuple[Any, ...]:
        """``tuple(self.columns().values())`` (the values of :data:`TIMER_ROW_COLUMNS`), for the bulk
        writers: the same values and the same errors, only an instant already in UTC is not checked
        again (the import writes tens of thousands of rows a batch)."""
        return (
            self.metric,
            self.cycle,
            self.state,
            self.priority,
            _seconds(self.target),
            self.calendar_name,
            _utc(self.started_at, "started_at"),
            _utc_or_none(self.due_at, "due_at"),
            _utc_or_none(self.stopped_at, "stopped_at"),
            _utc_or_none(self.breached_at, "breached_at"),
            _seconds(self.business_elapsed),
            _seconds(self.paused_for),
            self.pause_reason,
            _utc_or_none(self.resumed_at, "resumed_at"),
            _seconds(self.elapsed_at_resume),
            _utc_or_none(self.next_alert_at, "next_alert_at"),
            _utc_or_none(self.at_risk_at, "at_risk_at"),
        )


def _utc(value: datetime, name: str) -> datetime:
    return value if value.__class__ is datetime and value.tzinfo is UTC else require_aware(value, name=name)


def _utc_or_none(value: datetime | None, name: str) -> datetime | None:
    if value is None or (value.__class__ is datetime and value.tzinfo is UTC):
        return value
    return require_aware(value, name=name)


_timer_row = slot_builder(TimerRow)
_PROJECTION_COLUMNS: Final = tuple(TimerRow.__dataclass_fields__)
TIMER_ROW_COLUMNS: Final = (
    "metric",
    "cycle",
    "state",
    "priority",
    "target_seconds",
    "calendar_name",
    "started_at",
    "due_at",
    "stopped_at",
    "breached_at",
    "business_elapsed_seconds",
    "paused_for_seconds",
    "pause_reason",
    "resumed_at",
    "elapsed_at_resume_seconds",
    "next_alert_at",
    "at_risk_at",
)
"""The ``metric_timers`` columns of :meth:`TimerRow.columns`, in its order."""


_TIMER_KEY: Final = ("ticket_id", "metric", "cycle")
_TIMER_VALUES: Final = ("team_id", *TIMER_ROW_COLUMNS, "updated_at")
#: a timer row by (ticket, metric, cycle): inserted, or its values replaced (its lease kept); its id
_REPLACE_TIMER: Final = upsert(
    MetricTimerRow.__table__,  # type: ignore[arg-type]
    ("ticket_id", *_TIMER_VALUES),
    _TIMER_KEY,
    update=tuple(c for c in _TIMER_VALUES if c not in _TIMER_KEY and c != "team_id"),
    returning=("id",),
)


def ticket_due_fields(timers: Sequence[TimerRow]) -> dict[str, Any]:
    """A ticket's columns denormalised from its timer projection (``next_due_at``, ``next_risk_at``,
    ``has_breach``), as :meth:`TimerRepository.replace_for_ticket` keeps them (bulk writers too)."""
    active = [t for t in timers if t.state in ACTIVE_TIMER_STATES and t.stopped_at is None]
    dues = [t.due_at for t in active if t.due_at is not None]
    risks = [t.at_risk_at for t in active if t.at_risk_at is not None]
    return {
        "next_due_at": min(dues) if dues else None,
        "next_risk_at": min(risks) if risks else None,
        "has_breach": any(t.state == "breached" or t.breached_at is not None for t in timers),
    }


class TimerRepository(_Repository):
    def replace_for_ticket(
        self, *, team_id: str, ticket_id: int, timers: Sequence[TimerRow], now: datetime
    ) -> None:
        """Make the ticket's projection exactly ``timers`` (upsert by (metric, cycle), drop the rest).

        Leases (``lease_until``/``claimed_by``) of existing rows are kept. The ticket's denormalised
        ``next_due_at``/``next_risk_at``/``has_breach`` (used by /sla status) follow.
        """
        now = require_aware(now, name="now")
        ticket = self.session.execute(
            select(Ticket.id).where(Ticket.team_id == _team(team_id), Ticket.id == ticket_id)
        ).scalar_one_or_none()
        if ticket is None:
            raise NotFound(f"ticket {ticket_id} in {team_id}")
        kept: list[int] = []
        for t in timers:  # one cached statement per row (a multi-row VALUES is compiled every time)
            row = {**t.columns(), "team_id": team_id, "ticket_id": ticket_id, "updated_at": now}
            kept.append(self.session.execute(_REPLACE_TIMER, row).scalar_one())
        self.session.execute(
            delete(MetricTimerRow).where(
                _owned(MetricTimerRow.team_id, team_id),
                MetricTimerRow.ticket_id == ticket_id,
                MetricTimerRow.id.not_in(kept),
            )
        )
        due = {**ticket_due_fields(timers), "updated_at": now}
        self.session.execute(
            update(Ticket)
            .where(Ticket.team_id == team_id, Ticket.id == ticket_id)
            .values(**due)
            .execution_options(synchronize_session=False)
        )
        # what the loaded objects hold of it follows; the rest of the session is left as it was (an
        # expire_all here made every loaded ticket reload, and one read after the commit fail)
        loaded = self.session.identity_map.get(identity_key(Ticket, (ticket_id,)))
        if loaded is not None:
            for name, value in due.items():
                set_committed_value(loaded, name, value)
        for obj in list(self.session.identity_map.values()):
            if isinstance(obj, MetricTimerRow) and inspect(obj).dict.get("ticket_id") == ticket_id:
                self.session.expire(obj)

    def list_for_ticket(self, *, team_id: str, ticket_id: int) -> list[MetricTimerRow]:
        stmt = (
            select(MetricTimerRow)
            .where(_owned(MetricTimerRow.team_id, team_id), MetricTimerRow.ticket_id == ticket_id)
            .order_by(MetricTimerRow.metric, MetricTimerRow.cycle)
        )
        return list(self.session.scalars(stmt))

    def claim_due(
        self, *, team_id: TeamScope, now: datetime, worker: str, lease: timedelta, limit: int = 100
    ) -> list[Any]:
        """Lease up to ``limit`` timers whose ``next_alert_at <= now`` and whose lease is free or expired,
        soonest first: Core rows with ``MetricTimerRow``'s columns as claimed (attribute access by
        column name), not ORM objects — a sweep claims a thousand at a time.

        PostgreSQL: ``SELECT ... FOR UPDATE SKIP LOCKED`` then UPDATE in this transaction, so concurrent
        sweeps take disjoint rows. SQLite: the transaction began with ``BEGIN IMMEDIATE`` (single writer).
        The caller commits (leaving the unit of work) before doing slow work.
        """
        now = require_aware(now, name="now")
        table = MetricTimerRow.__table__
        c = table.c
        self.session.flush()  # pending ORM changes first: these statements write under the ORM's feet
        ids = list(
            self.session.scalars(
                select(c.id)
                .where(
                    _scope(c.team_id, team_id),
                    c.next_alert_at <= now,
                    or_(c.lease_until.is_(None), c.lease_until <= now),
                )
                .order_by(c.next_alert_at)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        )
        if not ids:
            return []
        stmt = update(table).where(c.id.in_(ids)).values(lease_until=now + lease, claimed_by=worker)
        rows = self.session.execute(stmt.returning(*table.c)).all()
        return sorted(rows, key=lambda r: (r.next_alert_at, r.id))

    def expire_leases(self, *, now: datetime) -> int:
        """End every timer lease now (all workspaces): for the one SQLite scheduler at start-up, whose
        predecessor died holding them. Never on PostgreSQL, where other live processes hold leases."""
        m = MetricTimerRow
        now = require_aware(now, name="now")
        result = self.session.execute(update(m).where(m.lease_until > now).values(lease_until=now))
        return int(result.rowcount)  # type: ignore[attr-defined]

    def release(
        self, *, team_id: str, timer_id: int, worker: str, next_alert_at: datetime | None, now: datetime
    ) -> bool:
        """Give a claimed timer back with its next alert instant. False if the lease was lost meanwhile."""
        next_alert_at = require_aware_or_none(next_alert_at, name="next_alert_at")
        m = MetricTimerRow
        result = self.session.execute(
            update(m)
            .where(m.team_id == _team(team_id), m.id == timer_id, m.claimed_by == worker)
            .values(
                next_alert_at=next_alert_at, lease_until=None, claimed_by=None, updated_at=require_aware(now)
            )
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    def release_many(
        self, *, team_id: str, worker: str, next_alerts: Sequence[tuple[int, datetime | None]], now: datetime
    ) -> None:
        """:meth:`release` of many claimed timers (``(timer_id, next_alert_at)`` each): one executemany.
        A timer whose lease was lost meanwhile is left alone, as :meth:`release` leaves it."""
        if not next_alerts:
            return
        now = require_aware(now, name="now")
        table = MetricTimerRow.__table__
        c = table.c
        stmt = (
            update(table)
            .where(c.team_id == _team(team_id), c.id == bindparam("b_id"), c.claimed_by == worker)
            .values(next_alert_at=bindparam("b_next"), lease_until=None, claimed_by=None, updated_at=now)
        )
        self.session.execute(
            stmt,
            [
                {"b_id": timer_id, "b_next": require_aware_or_none(at, name="next_alert_at")}
                for timer_id, at in next_alerts
            ],
        )

    def set_next_alert_many(
        self, *, team_id: str, next_alerts: Sequence[tuple[int, datetime | None]]
    ) -> None:
        """:meth:`set_next_alert` of many timers: one executemany."""
        if not next_alerts:
            return
        table = MetricTimerRow.__table__
        c = table.c
        stmt = (
            update(table)
            .where(c.team_id == _team(team_id), c.id == bindparam("b_id"))
            .values(next_alert_at=bindparam("b_next"))
        )
        self.session.execute(
            stmt,
            [
                {"b_id": timer_id, "b_next": require_aware_or_none(at, name="next_alert_at")}
                for timer_id, at in next_alerts
            ],
        )

    def list_for_tickets(
        self, *, team_id: str, ticket_ids: Sequence[int], columns: Sequence[str] | None = None
    ) -> list[Any]:
        """The projection rows of many tickets (one query per 500; Core rows with
        ``MetricTimerRow``'s columns, not ORM objects). ``columns``: only these (by name)."""
        table = MetricTimerRow.__table__
        c = table.c
        selected = [c[name] for name in columns] if columns is not None else list(c)
        wanted = list(dict.fromkeys(ticket_ids))
        out: list[Any] = []
        for start in range(0, len(wanted), 500):
            stmt = select(*selected).where(
                _owned(c.team_id, team_id), c.ticket_id.in_(wanted[start : start + 500])
            )
            out.extend(self.session.execute(stmt))
        return out

    def record_breach(
        self,
        *,
        team_id: str,
        timer_id: int,
        ticket_id: int,
        breached_at: datetime,
        business_elapsed: timedelta,
        due_at: datetime | None,
        now: datetime,
    ) -> bool:
        """:meth:`record_breaches` of one timer. True if recorded."""
        breach = BreachRecord(timer_id, ticket_id, breached_at, business_elapsed, due_at)
        return bool(self.record_breaches(team_id=team_id, breaches=[breach], now=now))

    def record_breaches(self, *, team_id: str, breaches: Sequence[BreachRecord], now: datetime) -> set[int]:
        """Record that running timers breached (the sweep, when time alone caused it): state
        ``breached``, ``breached_at``, the business elapsed as of ``now``, and each ticket's
        ``has_breach``. Each only while its row is still the running, unbreached timer with that
        ``due_at`` (an event committed meanwhile rewrote the projection from the events: it wins).

        Core statements, three per call whatever the count (an executemany of the guarded UPDATE, the
        read of what it changed, one UPDATE of the tickets): the ORM's ``synchronize_session`` scanned
        the whole identity map once per row, which made a sweep of 1,000 due breaches cost 11x one that
        did not record them. Ticket objects already loaded in this session get ``has_breach`` set
        without a flush. Returns the ids of the timers recorded."""
        if not breaches:
            return set()
        now = require_aware(now, name="now")
        table = MetricTimerRow.__table__
        c = table.c
        team = _team(team_id)
        wanted = {b.timer_id: require_aware(b.breached_at, name="breached_at") for b in breaches}
        self.session.flush()  # pending ORM changes first: this writes under the ORM's feet
        self.session.execute(
            update(table)
            .where(
                c.team_id == team,
                c.id == bindparam("b_id"),
                c.ticket_id == bindparam("b_ticket"),
                c.state == "running",
                c.stopped_at.is_(None),
                c.breached_at.is_(None),
                c.due_at == bindparam("b_due"),
            )
            .values(
                state="breached",
                breached_at=bindparam("b_at"),
                business_elapsed_seconds=bindparam("b_elapsed"),
                updated_at=now,
            ),
            [
                {
                    "b_id": b.timer_id,
                    "b_ticket": b.ticket_id,
                    "b_due": require_aware_or_none(b.due_at, name="due_at"),
                    "b_at": wanted[b.timer_id],
                    "b_elapsed": _seconds(b.business_elapsed),
                }
                for b in breaches
            ],
        )
        recorded: set[int] = set()
        ids = list(wanted)
        for start in range(0, len(ids), 500):
            rows = self.session.execute(
                select(c.id, c.breached_at).where(
                    _owned(c.team_id, team), c.id.in_(ids[start : start + 500]), c.state == "breached"
                )
            )
            recorded.update(timer_id for timer_id, at in rows if at == wanted[timer_id])
        ticket_ids = sorted({b.ticket_id for b in breaches if b.timer_id in recorded})
        tickets = Ticket.__table__
        for start in range(0, len(ticket_ids), 500):
            chunk = ticket_ids[start : start + 500]
            self.session.execute(
                update(tickets)
                .where(
                    _owned(tickets.c.team_id, team_id),
                    tickets.c.id.in_(chunk),
                    tickets.c.has_breach.is_not(True),
                )
                .values(has_breach=True, updated_at=now)
            )
        for ticket_id in ticket_ids:  # keep loaded objects true to the row (no flush, no expiry)
            loaded = self.session.identity_map.get(identity_key(Ticket, (ticket_id,)))
            if loaded is not None and loaded.team_id == team_id:
                set_committed_value(loaded, "has_breach", True)
                set_committed_value(loaded, "updated_at", now)
        return recorded

    def set_next_alert(self, *, team_id: str, timer_id: int, next_alert_at: datetime | None) -> bool:
        m = MetricTimerRow
        result = self.session.execute(
            update(m)
            .where(m.team_id == _team(team_id), m.id == timer_id)
            .values(next_alert_at=require_aware_or_none(next_alert_at, name="next_alert_at"))
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]
