"""Reports: assemble the SLA report of a workspace (or one client) for a period.

:class:`ReportService` reads the timers settled in the period and the one before (storage's
``ReportQueries``), and words them with the pure pieces of ``sla/``: the compliance table
(``sla.compliance``), top breaches and the summary text (``sla.summary``), attainment
objectives with error budget and burn rate (``sla.objectives``). Feedback (CSAT / NPS /
sentiment) and uptime with credits come from the services other features put into
``services.extras`` (``"feedback"`` and ``"uptime"``), looked up at call time: the report works
without them, and drops the section when they are missing or fail.

A timer belongs to the period in which it was *decided*: a met timer on the instant it
stopped, a breached one on the instant it went past due (the definitions of
``sla.compliance`` and ``storage.ReportQueries``).
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.reports.table import format_report_table, report_csv
from bot.services.permalinks import thread_link
from bot.services.ticket_keys import external_label
from bot.services.tickets import stored_timer
from sla.bulk import collector_paused
from sla.compliance import ComplianceLine, TimerRow, compliance_table
from sla.contracts import ContractBook
from sla.credits import Breach, CreditStatement, breaches_from_rows
from sla.objectives import (
    Attainment,
    BurnAlert,
    Objective,
    attainment,
    burn_rate_alerts,
    outcomes_from_rows,
    scaled_rules,
)
from sla.periods import Period, PeriodError, in_zone, parse_period, window_period
from sla.periods import previous as _previous
from sla.standing import advance, decided_at, is_at_risk
from sla.summary import AtRisk, Section, Summary, daily_counts, daily_tickets, top_breaches, weekly_summary
from sla.timer_values import slot_builder
from sla.uptime import UptimeFigure
from storage.repositories import PeriodTimer
from storage.uow import Transaction, UnitOfWork

log = logging.getLogger(__name__)

DEFAULT_PERIOD = "week"
_LINK = re.compile(r"<(https?://[^|>]+)\|([^>]+)>")
#: a helpdesk id plain enough to stand in a report's mrkdwn line as it is
_PLAIN_ID = re.compile(r"[A-Za-z0-9_.:#\-]{1,60}")
TOP_BREACHES = 5
AT_RISK_LIMIT = 10


class ReportError(ValueError):
    """Something the user asked for that cannot be reported (unknown client, bad period)."""


class ReportTimer(TimerRow):
    """One stored timer as a report row (``sla.compliance.TimerRow``, what ``sla.compliance`` and
    ``sla.summary`` read), built from the rows storage's ``ReportQueries`` reads.

    Built positionally through ``slot_builder`` (a month's report builds one per timer of the
    month and the one before; a frozen dataclass's ``__init__`` costs three times as much)."""

    __slots__ = ()

    @classmethod
    def from_row(cls, row: Any, *, business_elapsed: timedelta | None = None) -> ReportTimer:
        """A row of ``ReportQueries.decided_rows``, as of the read's ``now`` (an overdue timer is
        breached). ``business_elapsed``: the timer's elapsed brought forward to now (a breached
        timer still running keeps counting); default the stored figure."""
        elapsed = (
            row.business_elapsed_seconds if business_elapsed is None else business_elapsed.total_seconds()
        )
        return _report_timer(  # ReportTimer(...), positionally in field order
            row.ref,
            row.client_key or "",
            row.priority or "",
            str(row.metric),
            int(row.cycle),
            round(row.target_seconds or 0),
            row.started_at,
            row.due_at,
            row.stopped_at,
            round(elapsed or 0),
            str(row.state_now),
            row.breached_at_now,
            round(row.paused_for_seconds or 0),
            "",
            0,
            row.channel_id,
            row.thread_ts,
        )

    @classmethod
    def from_period_timer(
        cls, item: PeriodTimer, *, business_elapsed: timedelta | None = None
    ) -> ReportTimer:
        return cls.from_row(item.timer, business_elapsed=business_elapsed)


_report_timer = slot_builder(ReportTimer)


@dataclass(frozen=True)
class ObjectiveStatus:
    """One attainment objective of one client over its window (the month containing the report's end)."""

    client: str
    objective: Objective
    window: Period
    attainment: Attainment
    alerts: list[BurnAlert] = field(default_factory=list)
    """Burn-rate rules firing now (only while the window is the current one)."""
    burn_rate: float | None = None
    """Burn over the slowest rule's long window (scaled), as of now; None with nothing decided."""

    def line(self) -> str:
        a = self.attainment
        head = f"{self.client}: {self.objective.describe()} ({self.window.label})"
        if a.ratio is None:
            return f"{head} — nothing decided yet"
        verdict = "on track" if a.objective_met else "below target"
        budget = (
            f"{a.budget_used} of {a.error_budget:.1f} allowed misses"
            if a.error_budget > 0
            else f"{a.budget_used} misses, none allowed"
        )
        burn = "" if self.burn_rate is None else f", burn {_rate(self.burn_rate)}"
        alert = f" ⚠ {self.alerts[0].severity}" if self.alerts else ""
        return f"{head} — {100 * a.ratio:.1f} % ({a.met}/{a.total}), {verdict}; {budget}{burn}{alert}"


def _rate(x: float) -> str:
    return "∞" if x == float("inf") else f"{x:.1f}×"


@dataclass
class Report:
    """Everything one report shows; ``text``/``csv``/``chart`` render it for each surface."""

    team_id: str
    period: Period
    previous_period: Period
    generated_at: datetime
    client: str | None
    client_name: str | None
    rows: list[ReportTimer]
    lines: list[ComplianceLine]
    previous_lines: list[ComplianceLine]
    summary: Summary
    objectives: list[ObjectiveStatus] = field(default_factory=list)
    feedback: Any | None = None
    uptime: list[UptimeFigure] = field(default_factory=list)
    credits: list[CreditStatement] = field(default_factory=list)

    @property
    def title(self) -> str:
        return self.summary.title

    @property
    def slug(self) -> str:
        """``sla-report-2026-W47`` or ``sla-report-acme-2026-11``: a file name stem."""
        label = self.period.label.split(" ")[0].replace("..", "_to_")
        return f"sla-report-{self.client}-{label}" if self.client else f"sla-report-{label}"

    def table_lines(self) -> list[str]:
        return format_report_table(self.lines, self.previous_lines)

    def text(self) -> str:
        """The whole report in plain text (the terminal): the summary and the full table."""
        summary = _LINK.sub(lambda m: f"{m[2]} ({m[1]})", self.summary.text(markdown=False))
        return "\n".join([summary, "", "Compliance table:", *self.table_lines()])

    def csv(self) -> str:
        return report_csv(self.period.label, self.lines, self.previous_lines)

    def daily(self) -> list[tuple[date, str, int, int]]:
        return daily_counts(self.rows, self.period.tz)

    def chart_rows(self) -> list[tuple[date, str, int, int]]:
        """``daily()`` with a zero row for every day of the period, so the chart spans all of it."""
        rows = self.daily()
        if not rows:
            return rows
        priority = rows[0][1]
        day, last = self.period.first_day, self.period.last_day
        while day <= last:
            rows.append((day, priority, 0, 0))
            day += timedelta(days=1)
        return rows

    def chart_targets(self) -> dict[str, float]:
        """Per priority, the strictest attainment objective that applies to it (else the chart's 95 %)."""
        targets: dict[str, float] = {}
        for status in self.objectives:
            o = status.objective
            for p in {str(r.priority) for r in self.rows}:
                if o.priority is None or o.priority == p:
                    targets[p] = max(targets.get(p, 0.0), round(o.target_ratio * 100, 2))
        return targets

    def chart_caption(self) -> str:
        p = self.period
        span = f"{p.first_day:%a %-d %b %Y} – {p.last_day:%a %-d %b %Y}"
        return (
            f"Period {p.label}: {span}, days in {p.tz.key}. Compliance = met ÷ decided timers of the day "
            "(met on the day a clock stopped in time, breached on the day it went past due)."
        )

    def chart(self) -> bytes:
        from bot.reports.chart import compliance_chart  # matplotlib: imported where it is used

        who = f"{self.client_name} — " if self.client_name else ""
        return compliance_chart(
            self.chart_rows(),
            f"SLA compliance — {who}{self.period.label}",
            tickets=daily_tickets(self.rows, self.period.tz),
            targets=self.chart_targets() or None,
            caption=self.chart_caption(),
        )


class ReportService:
    """Build reports from storage (``build``) and read the figures the jobs need (``objectives``)."""

    def __init__(
        self,
        *,
        uow: UnitOfWork,
        book: ContractBook,
        clock: Clock,
        extras: Mapping[str, Any] | None = None,
        default_tz: str = "UTC",
    ) -> None:
        self.uow = uow
        self.book = book
        self.clock = clock
        self.extras: Mapping[str, Any] = extras if extras is not None else {}
        self.default_tz = default_tz

    # ---- periods and clients -------------------------------------------------------------

    def client_key(self, client: str | None) -> str | None:
        if client is None:
            return None
        if client in self.book.clients:
            return client
        wanted = client.strip().lower()
        for key, known in self.book.clients.items():
            if wanted in (key.lower(), known.name.lower()):
                return key
        names = ", ".join(sorted(self.book.clients))
        raise ReportError(f"I don't know the client {client!r}. Clients: {names}.")

    def zone(self, client: str | None, at: datetime) -> ZoneInfo:
        """The client's zone (its own, else its contract calendar's); the workspace's for all clients."""
        if client is None:
            return ZoneInfo(self.default_tz)
        c = self.book.clients[client]
        if c.timezone is not None:
            return c.timezone
        return self.book.version_for(client, at).calendar.timezone

    def period(self, text: str | None, client: str | None = None, *, now: datetime | None = None) -> Period:
        now = now or self.clock.now()
        try:
            return parse_period(text or DEFAULT_PERIOD, now=now, tz=self.zone(client, now))
        except PeriodError as exc:
            raise ReportError(str(exc)) from None

    # ---- the report ---------------------------------------------------------------------

    def build(
        self,
        *,
        team_id: str,
        period: Period | str | None = None,
        client: str | None = None,
        title: str | None = None,
        for_client: bool = False,
    ) -> Report:
        """``for_client``: the client's own reading (one client): no feedback figures, no credits."""
        with collector_paused():
            return self._build(team_id, period, client, title, for_client)

    def _build(
        self,
        team_id: str,
        period: Period | str | None,
        client: str | None,
        title: str | None,
        for_client: bool = False,
    ) -> Report:
        now = self.clock.now()
        client = self.client_key(client)
        if not isinstance(period, Period):
            period = self.period(period, client, now=now)
        before = _previous(period)
        current_of = self.periods_of(period, client, now)
        previous_of = self.periods_of(period, client, now, previous=True)
        plans = self._objective_plans(client, period, now)
        with self.uow.begin(read_only=True) as tx:
            spans = [*self._spans(client, current_of), *self._spans(client, previous_of)]
            pool = self._pool(tx, team_id, client, now, [*spans, *(plan.span for plan in plans)])
            rows = self._rows(pool, client, current_of)
            prev_rows = self._rows(pool, client, previous_of)
            at_risk = self._at_risk(tx, team_id, client, now)
            objectives = self._objectives_of(plans, pool.decided_in, now)
        group_by = ("priority", "metric") if client else ("client", "priority", "metric")
        lines = compliance_table(rows, group_by=("client", "priority", "metric"))
        previous_lines = compliance_table(prev_rows, group_by=("client", "priority", "metric"))
        shown, shown_before = (
            (lines, previous_lines)
            if client is None
            else (compliance_table(rows, group_by=group_by), compliance_table(prev_rows, group_by=group_by))
        )
        breaches = top_breaches(rows, limit=TOP_BREACHES)
        wanted = {b.ticket_id for b in breaches} | {a.ticket_id for a in at_risk}
        links = {r.ticket_id: thread_link(r.channel_id, r.thread_ts) for r in rows if r.ticket_id in wanted}
        names = self._names(team_id, wanted)
        feedback = None if for_client else self._feedback(team_id, client, period)
        uptime, credits = self._uptime(team_id, client, current_of, pool.breaches_in)
        if for_client:
            credits = []
        client_name = self.book.clients[client].name if client else None
        summary = weekly_summary(
            period,
            shown,
            shown_before,
            breaches=breaches,
            at_risk=at_risk,
            feedback=feedback,
            uptime=uptime,
            credits=credits,
            client=client_name,
            title=title,
            link_for=links.get,
            now=now,
            name_for=names.get,
        )
        if objectives:
            summary = Summary(
                summary.title, [*summary.sections, Section("Objectives", tuple(o.line() for o in objectives))]
            )
        return Report(
            team_id=team_id,
            period=period,
            previous_period=before,
            generated_at=now,
            client=client,
            client_name=client_name,
            rows=rows,
            lines=lines,
            previous_lines=previous_lines,
            summary=summary,
            objectives=objectives,
            feedback=feedback,
            uptime=uptime,
            credits=credits,
        )

    def periods_of(
        self, period: Period, client: str | None, now: datetime, *, previous: bool = False
    ) -> Callable[[str | None], Period]:
        """The period each client's timers are counted in: the report's own for one client; for an
        all-client report the same words on each client's calendar (Berlin's March and New York's
        March are different instants), the workspace's zone for a client the contract file lacks."""
        own = _previous(period) if previous else period
        if client is not None:
            return lambda _key: own
        local = {}
        for key in self.book.clients:
            mine = in_zone(period, self.zone(key, period.start), now=now)
            local[key] = _previous(mine) if previous else mine
        return lambda key: local.get(key or "", own)

    def _spans(self, client: str | None, period_of: Callable[[str | None], Period]) -> list[Period]:
        keys = [client] if client is not None else [*self.book.clients, None]
        return [period_of(key) for key in keys]

    def _pool(
        self, tx: Transaction, team_id: str, client: str | None, now: datetime, spans: Sequence[Any]
    ) -> _DecidedTimers:
        """Every timer decided within the spans (periods or ``(start, end)`` pairs), read once."""
        bounds = [(s.start, s.end) if isinstance(s, Period) else s for s in spans]
        start, end = min(b[0] for b in bounds), max(b[1] for b in bounds)
        found = tx.reports.decided_rows(team_id=team_id, start=start, end=end, now=now, client_key=client)
        running = self._running
        timers = [
            ReportTimer.from_row(row, business_elapsed=running(row, now) if row.stopped_at is None else None)
            for row in found
        ]
        return _DecidedTimers(start, end, timers)

    def _rows(
        self, pool: _DecidedTimers, client: str | None, period_of: Callable[[str | None], Period]
    ) -> list[ReportTimer]:
        """The pool's timers decided in each client's period (``periods_of``)."""
        if client is not None:
            own = period_of(client)
            return pool.decided_in(own.start, own.end, client)
        local: dict[str, Period] = {}
        out = []
        for at, r in zip(pool.decided, pool.rows, strict=True):
            if at is None:
                continue
            span = local.get(r.client)
            if span is None:
                span = local[r.client] = period_of(r.client or None)
            if span.start <= at < span.end:
                out.append(r)
        return out

    def _names(self, team_id: str, refs: set[str]) -> dict[str, str]:
        """``T-12 · ZD-35436`` for the report's tickets that came from a helpdesk. Report lines are
        mrkdwn built in ``sla.summary``: an id is shown only when it is plain (letters, digits,
        ``-_.:#``), so no helpdesk text can become markup there."""
        if not refs:
            return {}
        with self.uow.begin(read_only=True) as tx:
            found = tx.tickets.external_ids_of(team_id=team_id, refs=refs)
        names = {}
        for ref, (system, ident) in found.items():
            label = external_label(system, ident)
            if label and _PLAIN_ID.fullmatch(label):
                names[ref] = f"{ref} · {label}"
        return names

    def _at_risk(self, tx: Transaction, team_id: str, client: str | None, now: datetime) -> list[AtRisk]:
        """Running timers at risk now (``sla.standing.is_at_risk``, as ``/sla status at-risk``)."""
        page = tx.status.open_tickets(
            team_id=team_id,
            now=now,
            client_key=client,
            state="at_risk",
            limit=AT_RISK_LIMIT,
            count_limit=AT_RISK_LIMIT,
        )
        out = []
        for item in page.items:
            for row in item.timers:
                timer = self._live(row, now)
                if is_at_risk(timer):
                    out.append(
                        AtRisk(
                            item.ticket.ref,
                            item.ticket.client_key or "",
                            timer.priority or item.ticket.priority or "",
                            str(timer.metric),
                            timer.remaining,
                        )
                    )
        return out

    def _running(self, row: Any, now: datetime) -> timedelta | None:
        """A still-running timer's business elapsed at ``now`` (None for the stopped and the paused,
        whose stored figure is final)."""
        if row.stopped_at is not None or row.resumed_at is None:
            return None
        return self._live(row, now).business_elapsed

    def _live(self, row: Any, now: datetime) -> Any:
        """A stored timer brought forward to ``now`` (``sla.standing.advance``)."""
        return advance(stored_timer(row), now, self._calendar(row.calendar_name))

    def _calendar(self, name: str | None) -> Any:
        try:
            return self.book.calendar(name) if name else None
        except KeyError:
            return None

    # ---- objectives ---------------------------------------------------------------------

    def objectives_now(self, *, team_id: str, client: str | None = None) -> list[ObjectiveStatus]:
        """Every objective of every (or one) client over its current window, as of now."""
        now = self.clock.now()
        window = Period(now - timedelta(seconds=1), now, "now")
        with self.uow.begin(read_only=True) as tx:
            return self._objectives(tx, team_id, client, window, now)

    def _objectives(
        self, tx: Transaction, team_id: str, client: str | None, period: Period, now: datetime
    ) -> list[ObjectiveStatus]:
        plans = self._objective_plans(client, period, now)
        if not plans:
            return []
        pool = self._pool(tx, team_id, client, now, [plan.span for plan in plans])
        return self._objectives_of(plans, pool.decided_in, now)

    def _objective_plans(self, client: str | None, period: Period, now: datetime) -> list[_ObjectivePlan]:
        """Each objective of each (or one) client with its window (the one containing the period's
        end, or now) and the span its figures read (the window, and the burn rules' longest look back
        while the window is the current one)."""
        at = min(now, period.end - timedelta(microseconds=1))
        keys = [client] if client else sorted(self.book.clients)
        plans: list[_ObjectivePlan] = []
        for key in keys:
            version = self.book.version_for(key, at)
            tz = self.zone(key, at)
            for spec in version.objectives:
                objective = Objective.from_contract(spec)
                window = window_period(objective.window, at=at, tz=tz)
                current = window.contains(now)
                longest = max(r.long_window for r in scaled_rules(window))
                start = min(window.start, now - longest) if current else window.start
                span = (start, max(window.end, now) if current else window.end)
                plans.append(_ObjectivePlan(key, objective, window, current, span))
        return plans

    def _objectives_of(
        self,
        plans: Sequence[_ObjectivePlan],
        decided_in: Callable[[datetime, datetime, str], list[ReportTimer]],
        now: datetime,
    ) -> list[ObjectiveStatus]:
        out: list[ObjectiveStatus] = []
        for plan in plans:
            objective, window, current = plan.objective, plan.window, plan.current
            outcomes = outcomes_from_rows(objective, decided_in(*plan.span, plan.client))
            reached = attainment(objective, outcomes, window)
            alerts = burn_rate_alerts(objective, outcomes, window, now) if current else []
            burn = _slow_burn(objective, outcomes, window, now) if current else None
            out.append(ObjectiveStatus(plan.client, objective, window, reached, alerts, burn))
        return out

    # ---- other features' services ---------------------------------------------------------

    def _feedback(self, team_id: str, client: str | None, period: Period) -> Any | None:
        service = self.extras.get("feedback")
        if service is None:
            return None
        try:
            return feedback_figures(service, team_id=team_id, client=client, period=period)
        except Exception:  # another feature's failure must not cost the whole report
            log.exception("feedback figures failed for %s", team_id)
            return None

    def _uptime(
        self,
        team_id: str,
        client: str | None,
        period_of: Callable[[str | None], Period],
        breaches_in: Callable[[str, Period], list[Breach] | None] | None = None,
    ) -> tuple[list[UptimeFigure], list[CreditStatement]]:
        """Uptime and credits of each client over its own period (``periods_of``: an all-client
        March report shows each client's March, never a Berlin client's April)."""
        service = self.extras.get("uptime")
        if service is None:
            return [], []
        try:
            return uptime_and_credits(
                service, team_id=team_id, client=client, period=period_of, breaches_in=breaches_in
            )
        except Exception:
            log.exception("uptime figures failed for %s", team_id)
            return [], []


@dataclass(frozen=True)
class _ObjectivePlan:
    client: str
    objective: Objective
    window: Period
    current: bool
    span: tuple[datetime, datetime]


class _DecidedTimers:
    """The timers decided in [start, end), read once for a whole report (its period, the one
    before, each client's period and each objective's window), answering every sub-span from
    memory: the same rows a query of the sub-span gives (``sla.standing.decided_at`` in it)."""

    def __init__(self, start: datetime, end: datetime, rows: list[ReportTimer]) -> None:
        self.start, self.end, self.rows = start, end, rows
        self.decided = [decided_at(r) for r in rows]
        """``decided_at`` of each row."""
        self._by_client: dict[str, tuple[list[datetime | None], list[ReportTimer]]] | None = None

    def decided_in(self, start: datetime, end: datetime, client: str | None = None) -> list[ReportTimer]:
        if start < self.start or end > self.end:
            raise ValueError(f"[{start}, {end}) is outside the timers read, [{self.start}, {self.end})")
        instants, rows = (self.decided, self.rows) if client is None else self._of(client)
        return [r for at, r in zip(instants, rows, strict=True) if at is not None and start <= at < end]

    def breaches_in(self, client: str, month: Period) -> list[Breach] | None:
        """The client's breaches in ``month`` as a credit statement counts them (``breaches_from_rows``:
        the rows ``ReportQueries.breaches_in_period`` reads, in its order), or None when the month
        reaches outside the timers read (a weekly report's month: the credits read it themselves)."""
        if month.start < self.start or month.end > self.end:
            return None
        return breaches_from_rows(self.decided_in(month.start, month.end, client), month)

    def _of(self, client: str) -> tuple[list[datetime | None], list[ReportTimer]]:
        if self._by_client is None:
            self._by_client = {}
            for at, r in zip(self.decided, self.rows, strict=True):
                instants, rows = self._by_client.setdefault(r.client, ([], []))
                instants.append(at)
                rows.append(r)
        return self._by_client.get(client, ([], []))


def _slow_burn(
    objective: Objective, outcomes: Sequence[tuple[datetime, bool]], window: Period, now: datetime
) -> float | None:
    """Burn rate over the slowest rule's long window (3 days for a 30-day window)."""
    rule = scaled_rules(window)[-1]
    inside = [met for at, met in outcomes if now - rule.long_window < at <= now]
    if not inside:
        return None
    misses = sum(1 for m in inside if not m)
    allowed = 1 - objective.target_ratio
    if allowed <= 0:
        return float("inf") if misses else 0.0
    return (misses / len(inside)) / allowed


# ---- adapters to the feedback and uptime features ----------------------------------------------


def feedback_figures(service: Any, *, team_id: str, client: str | None, period: Period) -> Any | None:
    """CSAT / NPS / sentiment from the feedback feature: ``extras["feedback"](team_id, client_key,
    period) -> sla.feedback.FeedbackFigures`` (``bot.features.feedback``).

    The figures are read by ``sla.review.feedback_lines`` (``csat``, ``nps``, ``sentiment``,
    ``responses``); a result with none of the three counts as no feedback (the section is left out).
    """
    if callable(service):
        figures = service(team_id, client, period)
    else:
        figures = service.figures(team_id=team_id, client_key=client, start=period.start, end=period.end)
    if figures is None:
        return None
    values = [_get(figures, k) for k in ("csat", "nps", "sentiment")]
    return figures if any(v is not None for v in values) else None


def uptime_and_credits(
    service: Any,
    *,
    team_id: str,
    client: str | None,
    period: Period | Callable[[str | None], Period],
    breaches_in: Callable[[str, Period], list[Breach] | None] | None = None,
) -> tuple[list[UptimeFigure], list[CreditStatement]]:
    """Uptime per covered service and the credits of each month the period touches, from the
    incidents feature (``extras["uptime"]``: :class:`bot.services.incidents.UptimeService`), for
    the client asked for or every client whose contract measures uptime or owes credits.
    ``period``: one for all, or each client's own (``ReportService.periods_of``).
    ``breaches_in(client, month)``: the breaches the caller already read for a month, if any."""
    uptime: list[UptimeFigure] = []
    credits: list[CreditStatement] = []
    for key in service.client_keys(client):
        own = period(key) if callable(period) else period
        uptime.extend(service.uptime(team_id=team_id, client_key=key, period=own).figures)
        credits.extend(
            service.credits_for_period(team_id=team_id, client_key=key, period=own, breaches_in=breaches_in)
        )
    return uptime, credits


def _get(source: Any, name: str) -> Any:
    if isinstance(source, Mapping):
        return source.get(name)
    return getattr(source, name, None)


def describe_alert(status: ObjectiveStatus, alert: BurnAlert, client_name: str) -> str:
    """The lead's warning: which objective, how fast it burns, and where it stands this window."""
    a = status.attainment
    where = (
        f"So far in {status.window.label}: {100 * a.ratio:.1f} % met ({a.met}/{a.total}), "
        f"{a.budget_used} of {a.error_budget:.1f} allowed misses used."
        if a.ratio is not None
        else ""
    )
    return f"{client_name} — {alert.message}. {where}".strip()


def episode_start(
    objective: Objective,
    outcomes: Iterable[tuple[datetime, bool]],
    window: Period,
    now: datetime,
    threshold: float,
) -> datetime | None:
    """When the current firing stretch of the rule with ``threshold`` began (None if not firing now).

    The rule's verdict only changes when an outcome enters a window (its instant) or leaves one
    (its instant + the long or short window), so the stretch is found by walking those instants
    back from ``now``: the result is the same in every process and after restarts, which makes it
    an idempotency key for "once per episode".
    """
    ordered = sorted(outcomes, key=lambda o: o[0])
    rules = [r for r in scaled_rules(window) if r.burn_rate == threshold]
    if not rules:
        return None
    rule = rules[0]

    def fires(t: datetime) -> bool:
        return any(a.threshold == threshold for a in burn_rate_alerts(objective, ordered, window, t))

    if not fires(now):
        return None
    instants = {now}
    for at, _ in ordered:
        for instant in (at, at + rule.short_window, at + rule.long_window):
            if instant <= now:
                instants.add(instant)
    start = now
    for instant in sorted(instants, reverse=True)[1:]:
        if not fires(instant):
            break
        start = instant
    return start


@dataclass
class PendingReports:
    """Reports being built after their ack (tests join them; nothing else waits for them)."""

    threads: list[threading.Thread] = field(default_factory=list)

    def start(self, target: Any, *args: Any) -> threading.Thread:
        thread = threading.Thread(target=target, args=args, name="slabot-report", daemon=True)
        thread.start()  # before it is listed: join() from another thread must never see it unstarted
        self.threads = [*(t for t in self.threads if t.is_alive()), thread]
        return thread

    def join(self, timeout: float = 30.0) -> None:
        for thread in list(self.threads):
            thread.join(timeout)


__all__ = [
    "PendingReports",
    "ObjectiveStatus",
    "Report",
    "ReportError",
    "ReportService",
    "ReportTimer",
    "describe_alert",
    "episode_start",
    "feedback_figures",
    "thread_link",
    "uptime_and_credits",
]
