"""Report queries (compliance counts, timers settled in a period) and report runs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, literal, or_, select, update

from storage.models import MetricTimerRow, ReportRun, Ticket
from storage.repositories._base import _insert, _Repository, _team
from storage.types import UTCDateTime, require_aware


@dataclass(frozen=True)
class ComplianceCount:
    client_key: str | None
    priority: str | None
    metric: str
    met: int
    breached: int


@dataclass(frozen=True)
class PeriodTimer:
    timer: MetricTimerRow
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
        return self.timer.due_at if self.overdue else self.timer.breached_at

    @property
    def state(self) -> str:
        return "breached" if self.overdue else str(self.timer.state)


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

    def timers_in_period(
        self, *, team_id: str, start: datetime, end: datetime, now: datetime
    ) -> list[PeriodTimer]:
        """The timers decided (met or breached) in [start, end) as of ``now``, with their ticket's
        client (for medians): the recorded ones and the running ones overdue since (``overdue``)."""
        m, t = MetricTimerRow, Ticket
        columns = (m, t.ref, t.client_key, t.channel_id, t.thread_ts)
        on = and_(t.id == m.ticket_id, t.team_id == m.team_id)
        settled = select(*columns).join(t, on).where(self._settled_in(team_id, start, end))
        overdue = select(*columns).join(t, on).where(self._overdue_in(team_id, start, end, now))
        items = [
            PeriodTimer(timer=row, ticket_ref=ref, client_key=ck, channel_id=ch, thread_ts=ts)
            for row, ref, ck, ch, ts in self.session.execute(settled)
        ]
        items += [
            PeriodTimer(timer=row, ticket_ref=ref, client_key=ck, channel_id=ch, thread_ts=ts, overdue=True)
            for row, ref, ck, ch, ts in self.session.execute(overdue)
        ]
        items.sort(key=lambda i: (i.timer.started_at, i.timer.id))
        return items


class ReportRunRepository(_Repository):
    def claim_report_run(self, *, team_id: str, kind: str, period_key: str, now: datetime) -> bool:
        """True for exactly one caller per (team, kind, period), across processes (unique constraint).

        A run whose last attempt failed (``last_error`` set) and that was not given up (``failed_at``)
        can be claimed again: the claim clears the error, so concurrent retries still claim once."""
        now = require_aware(now, name="now")
        self._ensure_workspace(team_id, now)
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
        now = require_aware(now, name="now")
        self._ensure_workspace(team_id, now)
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
