"""Report queries (compliance counts, timers settled in a period) and report runs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Select, and_, case, func, literal, not_, or_, select, union_all, update

from storage.models import MetricTimerRow, ReportRun, Ticket
from storage.repositories._base import _insert, _Repository, _team
from storage.repositories.status import StatusTimer
from storage.types import UTCDateTime, require_aware


@dataclass(frozen=True)
class ComplianceCount:
    client_key: str | None
    priority: str | None
    metric: str
    met: int
    breached: int


DecidedTimerRow = NamedTuple(  # type: ignore[misc]  # the stored timer's fields are StatusTimer's
    "DecidedTimerRow",
    [
        *StatusTimer.__annotations__.items(),
        ("ref", str),
        ("client_key", str | None),
        ("channel_id", str | None),
        ("thread_ts", str | None),
        ("overdue", bool),
        ("state_now", str),
        ("breached_at_now", datetime | None),
    ],
)
DecidedTimerRow.__doc__ = """One timer decided in a period (:meth:`ReportQueries.decided_rows`): the stored timer's
columns (a :class:`~storage.repositories.status.StatusTimer`'s, what ``sla.standing.advance`` needs to
bring a running one forward; ``state`` as stored, ``running`` for an overdue one, and ``breached_at``
None for it: the sweep records it), its ticket's (``ref``, ``client_key``, ``channel_id``,
``thread_ts``), and the timer as of the read's ``now``: ``overdue`` (running past its due instant, and
no sweep has recorded the breach yet), ``state_now`` (``breached`` for an overdue timer, else
``state``) and ``breached_at_now`` (the breach instant, recorded or not yet: an overdue timer's due
instant). A plain read-only tuple, not an ORM object (a month's report reads hundreds of thousands)."""

#: The stored timer's columns of :class:`DecidedTimerRow`.
PERIOD_TIMER_COLUMNS = StatusTimer._fields


@dataclass(frozen=True, slots=True)
class PeriodTimer:
    timer: DecidedTimerRow
    """The stored timer (with the attributes of ``MetricTimerRow`` a report reads), as a
    :class:`DecidedTimerRow`."""
    ticket_ref: str
    client_key: str | None
    channel_id: str | None = None
    thread_ts: str | None = None
    """The ticket's Slack thread (for links in reports), when it has one."""
    overdue: bool = False
    """A running timer past its due instant whose breach no sweep has recorded yet: breached at
    ``due_at`` all the same (``sla.standing``'s live-advance rule), so every report counts it."""

    @property
    def breached_at(self) -> datetime | None:
        """The breach instant, recorded or not yet recorded (``overdue``)."""
        return self.timer.breached_at_now

    @property
    def state(self) -> str:
        """The stored state, ``breached`` for an overdue one."""
        return str(self.timer.state_now)


@dataclass(frozen=True, slots=True)
class PeriodBreach:
    """A breach decided in a period (recorded, or overdue and not yet recorded), for credits."""

    ticket_ref: str
    priority: str
    metric: str
    breached_at: datetime


class ReportQueries(_Repository):
    def _settled_in(self, team_id: str, start: datetime, end: datetime) -> Any:
        m = MetricTimerRow
        start, end = require_aware(start, name="start"), require_aware(end, name="end")
        return and_(
            m.team_id == _team(team_id),
            or_(
                and_(m.state == "met", m.stopped_at >= start, m.stopped_at < end),
                and_(m.breached_at >= start, m.breached_at < end),
            ),
        )

    def _settled_apart(self, team_id: str, start: datetime, end: datetime) -> tuple[Any, Any]:
        """:meth:`_settled_in` as two disjoint conditions, each served by one index (met timers by
        their stop, breached ones by their breach): read with UNION ALL, SQLite walks each index
        once instead of merging both into a set of row ids first (a fifth less time on a month)."""
        m = MetricTimerRow
        start, end = require_aware(start, name="start"), require_aware(end, name="end")
        team = m.team_id == _team(team_id)
        met_in = and_(m.state == "met", m.stopped_at.is_not(None), m.stopped_at >= start, m.stopped_at < end)
        return and_(team, met_in), and_(team, m.breached_at >= start, m.breached_at < end, not_(met_in))

    def _overdue_in(self, team_id: str, start: datetime, end: datetime, now: datetime) -> Any:
        """Running timers whose due instant lies in [start, end) and has passed at ``now`` while no
        sweep recorded the breach yet: breached all the same. Found through the open tickets' due
        index (``tickets.next_due_at`` is the earliest due instant of a running timer)."""
        m, t = MetricTimerRow, Ticket
        start, end = require_aware(start, name="start"), require_aware(end, name="end")
        now = require_aware(now, name="now")
        return and_(
            t.team_id == _team(team_id),
            t.is_open.is_(True),
            t.next_due_at <= now,
            t.next_due_at < end,
            m.state == "running",
            m.stopped_at.is_(None),
            m.breached_at.is_(None),
            m.due_at >= start,
            m.due_at < end,
            m.due_at <= now,
        )

    def compliance_counts(
        self, *, team_id: str, start: datetime, end: datetime, now: datetime
    ) -> list[ComplianceCount]:
        """Met (stopped in time within [start, end)) and breached (breached within it, recorded or
        overdue at ``now``, as :meth:`timers_in_period`) per client/priority/metric."""
        m, t = MetricTimerRow, Ticket
        on = and_(t.id == m.ticket_id, t.team_id == m.team_id)
        keys = (t.client_key, m.priority, m.metric)
        met = func.sum(case((m.state == "met", 1), else_=0))
        breached = func.sum(case((m.breached_at.is_not(None), 1), else_=0))
        settled = select(*keys, met, breached).join(t, on).where(self._settled_in(team_id, start, end))
        overdue = select(*keys, func.count()).join(t, on).where(self._overdue_in(team_id, start, end, now))
        totals: dict[tuple[Any, Any, str], list[int]] = {}
        for c, p, metric, a, b in self.session.execute(settled.group_by(*keys)):
            totals[(c, p, metric)] = [int(a or 0), int(b or 0)]
        for c, p, metric, n in self.session.execute(overdue.group_by(*keys)):
            totals.setdefault((c, p, metric), [0, 0])[1] += int(n)
        return [
            ComplianceCount(client_key=c, priority=p, metric=metric, met=a, breached=b)
            for (c, p, metric), (a, b) in sorted(totals.items(), key=lambda kv: tuple(x or "" for x in kv[0]))
        ]

    def decided_rows(
        self,
        *,
        team_id: str,
        start: datetime,
        end: datetime,
        now: datetime,
        client_key: str | None = None,
    ) -> list[DecidedTimerRow]:
        """The timers decided (met or breached) in [start, end) as of ``now`` — the recorded ones and
        the running ones overdue since — of every client, or of one (``client_key``), in the order
        they started (:class:`DecidedTimerRow`).

        One SQL statement of plain columns on the session's connection (no ORM objects, no identity
        map): the report of a month reads every timer of it."""
        stmt = self.decided_query(team_id=team_id, start=start, end=end, now=now, client_key=client_key)
        return list(map(DecidedTimerRow._make, self._core(stmt).all()))

    def _core(self, stmt: Any) -> Any:
        """``stmt`` on the session's connection, after flushing what the session holds (as the
        session's own ``execute`` would): Core rows, without the ORM's per-row work."""
        self.session.flush()
        return self.session.connection().execute(stmt)

    def decided_query(
        self, *, team_id: str, start: datetime, end: datetime, now: datetime, client_key: str | None = None
    ) -> Select[Any]:
        """The statement :meth:`decided_rows` runs (``bench/report_bench.py`` times it bare)."""
        m, t = MetricTimerRow, Ticket
        timer = [getattr(m, name) for name in PERIOD_TIMER_COLUMNS]
        columns = (*timer, t.ref, t.client_key, t.channel_id, t.thread_ts)
        on = and_(t.id == m.ticket_id, t.team_id == m.team_id)
        mine = [] if client_key is None else [t.client_key == client_key]
        settled = select(
            *columns,
            literal(False).label("overdue"),
            m.state.label("state_now"),
            m.breached_at.label("breached_at_now"),
        )
        overdue = select(
            *columns,
            literal(True).label("overdue"),
            literal("breached", m.state.type).label("state_now"),
            m.due_at.label("breached_at_now"),
        )
        met, breached = self._settled_apart(team_id, start, end)
        both = union_all(
            settled.join(t, on).where(met, *mine),
            settled.join(t, on).where(breached, *mine),
            overdue.join(t, on).where(self._overdue_in(team_id, start, end, now), *mine),
        ).subquery()
        return select(both).order_by(both.c.started_at, both.c.id)

    def timers_in_period(
        self,
        *,
        team_id: str,
        start: datetime,
        end: datetime,
        now: datetime,
        client_key: str | None = None,
    ) -> list[PeriodTimer]:
        """The timers decided (met or breached) in [start, end) as of ``now``, with their ticket's
        client (for medians): the recorded ones and the running ones overdue since (``overdue``),
        of one client when ``client_key`` is given; in the order they started (:meth:`decided_rows`)."""
        rows = self.decided_rows(team_id=team_id, start=start, end=end, now=now, client_key=client_key)
        return [
            PeriodTimer(row, row.ref, row.client_key, row.channel_id, row.thread_ts, overdue=row.overdue)
            for row in rows
        ]

    def breaches_in_period(
        self, *, team_id: str, start: datetime, end: datetime, now: datetime, client_key: str
    ) -> list[PeriodBreach]:
        """The client's breaches decided in [start, end) as of ``now`` (recorded, or overdue as in
        :meth:`timers_in_period`): the rows a credit statement counts, by breach instant."""
        m, t = MetricTimerRow, Ticket
        start, end = require_aware(start, name="start"), require_aware(end, name="end")
        on = and_(t.id == m.ticket_id, t.team_id == m.team_id)
        columns = (t.ref, m.priority, m.metric, m.started_at, m.id)
        recorded = (
            select(*columns, m.breached_at.label("at"))
            .join(t, on)
            .where(m.team_id == _team(team_id), m.breached_at >= start, m.breached_at < end)
        )
        overdue = select(*columns, m.due_at.label("at")).join(t, on)
        mine = t.client_key == client_key
        both = union_all(
            recorded.where(mine), overdue.where(self._overdue_in(team_id, start, end, now), mine)
        ).subquery()
        stmt = select(both.c.ref, both.c.priority, both.c.metric, both.c.at).order_by(
            both.c.started_at, both.c.id
        )
        found = self._core(stmt)
        return [PeriodBreach(ref, priority or "", metric, at) for ref, priority, metric, at in found]


class ReportRunRepository(_Repository):
    def claim_report_run(self, *, team_id: str, kind: str, period_key: str, now: datetime) -> bool:
        """True for exactly one caller per (team, kind, period), across processes (unique constraint).

        A run whose last attempt failed (``last_error`` set) and that was not given up (``failed_at``)
        can be claimed again: the claim clears the error, so concurrent retries still claim once."""
        now = self._in_workspace(team_id, now, name="now")
        r = ReportRun
        stmt = _insert(self.session, r).values(
            team_id=team_id, kind=kind, period_key=period_key, claimed_at=now, attempts=0
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=["team_id", "kind", "period_key"],
            set_={"claimed_at": now, "last_error": None},
            where=and_(r.last_error.is_not(None), r.failed_at.is_(None), r.completed_at.is_(None)),
        )
        return self.session.execute(stmt.returning(r.id)).scalar_one_or_none() is not None

    def record_failure(
        self, *, team_id: str, kind: str, period_key: str, error: str, now: datetime, give_up_after: int
    ) -> ReportRun:
        """Count a failed attempt with its reason; on the ``give_up_after``-th the run is failed for
        good (``failed_at``): it is not claimed again, and ``failures`` lists it for the admins."""
        now = self._in_workspace(team_id, now, name="now")
        r = ReportRun
        stmt = _insert(self.session, r).values(
            team_id=team_id,
            kind=kind,
            period_key=period_key,
            claimed_at=now,
            attempts=1,
            last_error=error,
            failed_at=now if give_up_after <= 1 else None,
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=["team_id", "kind", "period_key"],
            set_={
                "attempts": r.attempts + 1,
                "last_error": error,
                "failed_at": case(
                    (r.attempts + 1 >= give_up_after, literal(now, type_=UTCDateTime())), else_=None
                ),
            },
        )
        self.session.execute(stmt)
        run = self.get(team_id=team_id, kind=kind, period_key=period_key)
        assert run is not None
        return run

    def failures(self, *, team_id: str, limit: int = 20) -> list[ReportRun]:
        """Runs whose last attempt failed and that are not completed (given up or to be retried)."""
        r = ReportRun
        stmt = (
            select(r)
            .where(r.team_id == _team(team_id), r.last_error.is_not(None), r.completed_at.is_(None))
            .order_by(r.claimed_at.desc())
            .limit(limit)
        )
        return list(self.session.scalars(stmt.execution_options(populate_existing=True)))

    def complete(self, *, team_id: str, kind: str, period_key: str, now: datetime) -> bool:
        r = ReportRun
        stmt = (
            update(r)
            .where(r.team_id == _team(team_id), r.kind == kind, r.period_key == period_key)
            .values(completed_at=require_aware(now, name="now"))
        )
        return bool(self.session.execute(stmt).rowcount)  # type: ignore[attr-defined]

    def get(self, *, team_id: str, kind: str, period_key: str) -> ReportRun | None:
        r = ReportRun
        stmt = select(r).where(r.team_id == _team(team_id), r.kind == kind, r.period_key == period_key)
        return self.session.scalars(stmt.execution_options(populate_existing=True)).one_or_none()

    def lock_incomplete(self, *, team_id: str, kind: str, period_key: str) -> ReportRun | None:
        """The claimed, not yet completed run, locked for this transaction (``FOR UPDATE SKIP LOCKED``
        on PostgreSQL): None when it is completed, missing, or another process is finishing it."""
        r = ReportRun
        stmt = (
            select(r)
            .where(
                r.team_id == _team(team_id),
                r.kind == kind,
                r.period_key == period_key,
                r.completed_at.is_(None),
                r.last_error.is_(None),
            )
            .with_for_update(skip_locked=True)
        )
        return self.session.scalars(stmt.execution_options(populate_existing=True)).one_or_none()
