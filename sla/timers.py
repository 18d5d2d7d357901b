"""SLA metric timers: the product's definition of an SLA clock.

A ticket's clocks are a pure fold of its events, its contract version and ``now``.
Nothing here reads the wall clock; every instant is an aware datetime handed in. The values the
fold takes and gives are ``sla.timer_values``; when a running timer alerts, ``sla.alert_points``
(both re-exported here).

Metrics
-------
- ``first_response``: from ``opened`` to the first ``agent_message``.
- ``next_response``: after the first reply, each ``client_message`` that starts a wait
  (no ``next_response`` clock is running) starts a new cycle that the next
  ``agent_message`` stops (Zendesk's "next reply time"). Further client messages while
  one is running do not restart it.
- ``periodic_update`` (optional): while the ticket is open an agent must post every N.
  Each ``agent_message`` (or the resolution) ends the cycle and, while the ticket stays
  open, a new cycle starts at once.
- ``resolution``: from ``opened`` to ``resolved``. ``reopened`` starts a new resolution
  cycle (cycle + 1) from the reopen instant; the old cycle's history is kept.

Events
------
``opened`` (priority; None = the version's default priority), ``client_message``,
``agent_message``, ``status`` (``open``, ``waiting_on_client``, ``on_hold`` or a status the
contract names in ``statuses`` or ``pause_on``; ``resolved``/``closed`` are events of their own,
not statuses), ``priority``, ``resolved``, ``reopened``, ``closed``.
Events are applied in order; equal timestamps are allowed and applied in input order.
Rejected, with :class:`EventError` and no change of state: an event earlier than the
previous one, a first event that is not ``opened``, a second ``opened``, an event of
another ticket, a missing priority/status, an unknown priority or status, any event after
``closed`` (closed is final), ``resolved`` when already resolved, ``reopened`` when not
resolved.

Clock rules
-----------
- Time is counted in **business time** on the calendar of the target (each target has its
  own: P1 may run 24x7 while P3 runs on office hours).
- A status pauses a metric when the contract says so (``version.pauses(status, metric)``);
  a status that does not pause it resumes it. Paused wall time is kept in ``paused_for``;
  business time does not advance while paused. A timer started while the status pauses
  it starts paused.
- ``due_at`` is the earliest instant at which business elapsed reaches the target,
  assuming no further pause (None while paused). A timer is **breached** as soon as its
  business elapsed reaches the target (``elapsed >= target``), so a reply must arrive
  *before* the due instant; a running breached timer keeps counting until stopped.
  ``breached_at`` is the instant the target was reached, also for a timer stopped late.
  A timer paused after its breach stays ``breached`` (with ``pause_reason``).
- A timer that stops (reply, resolution, close, cancellation) after its breach is
  ``breached``, whatever stopped it; otherwise ``met`` (or ``cancelled`` when a ``closed``
  or a priority change without a target for the metric ended it).
- **Priority change** re-targets every running/paused timer with the new priority's target
  for the same metric, **keeping** the business elapsed and paused time. A different
  calendar takes over from the change: time already counted stays as counted, the rest is
  counted on the new calendar. If the elapsed already exceeds the new target, the timer is
  breached *at the instant of the change* (it cannot have breached a target that was not in
  force). Alert points and breach instants are never earlier than the instant the current
  target took effect (``target_since``). A larger target can un-breach a timer. If the new
  priority has no target for a metric, that timer is cancelled; if it has a target for a
  metric that is not running (e.g. ``periodic_update``), that clock starts at the change.
- ``resolved`` stops ``resolution`` and also stops ``first_response`` / ``next_response``
  if still running (the resolution answers the client: met or breached by time) and ends
  the ``periodic_update`` cycle. ``reopened`` sets the status back to ``open`` and starts a
  new resolution cycle (and a periodic update cycle). ``closed`` cancels anything running.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from itertools import starmap
from operator import attrgetter
from typing import Any

from sla.alert_points import AlertPoint, alert_points, instant_at_elapsed, next_alert_at
from sla.durations import format_duration
from sla.metrics import EVENT_STATUSES, EventKind, Metric, TicketStatus, TimerState
from sla.timer_rules import TimerTarget
from sla.timer_rules import rules_of as _rules_of
from sla.timer_values import (
    EventError,
    MetricTimer,
    RunningStretch,
    TicketEvent,
    TimelineEntry,
    slot_builder,
    trusted_event,
)
from sla.timer_values import utc_instant as _utc

__all__ = [
    "AlertPoint",
    "EventError",
    "EventKind",
    "Metric",
    "MetricTimer",
    "RunningStretch",
    "TicketClock",
    "TicketEvent",
    "TimelineEntry",
    "TimerState",
    "alert_points",
    "evaluate",
    "explain",
    "instant_at_elapsed",
    "next_alert_at",
    "slot_builder",
    "trusted_event",
]

_ZERO = timedelta(0)
_METRIC_ORDER: dict[Metric, int] = {m: i for i, m in enumerate(Metric)}
_EVENT_STATUSES: frozenset[str] = EVENT_STATUSES  # these are events of their own
_UNASKED: Any = object()  # a (priority, metric) the version was not asked about yet
_ORDER = attrgetter("order")
# the members the fold compares against on every event, looked up once
_OPENED, _CLIENT_MESSAGE, _AGENT_MESSAGE, _STATUS = (
    EventKind.OPENED,
    EventKind.CLIENT_MESSAGE,
    EventKind.AGENT_MESSAGE,
    EventKind.STATUS,
)
_PRIORITY, _RESOLVED, _REOPENED, _CLOSED, _DISMISSED = (
    EventKind.PRIORITY,
    EventKind.RESOLVED,
    EventKind.REOPENED,
    EventKind.CLOSED,
    EventKind.DISMISSED,
)
_FIRST_RESPONSE, _NEXT_RESPONSE = Metric.FIRST_RESPONSE, Metric.NEXT_RESPONSE
_PERIODIC_UPDATE, _RESOLUTION = Metric.PERIODIC_UPDATE, Metric.RESOLUTION
_RESOLVE_ORDER = (_FIRST_RESPONSE, _NEXT_RESPONSE, _PERIODIC_UPDATE, _RESOLUTION)
_MET, _BREACHED, _RUNNING = TimerState.MET, TimerState.BREACHED, TimerState.RUNNING
_PAUSED, _CANCELLED = TimerState.PAUSED, TimerState.CANCELLED
_OPEN = TicketStatus.OPEN  # (an enum member read through its class costs ~0.5 µs: the fold reads these)
_stretch = slot_builder(RunningStretch)
_metric_timer = slot_builder(MetricTimer)


# --------------------------------------------------------------------------------------
# One timer (mutable, private to the fold)
# --------------------------------------------------------------------------------------


def _label(timer: _Timer) -> str:
    return f"{timer.metric.value} (cycle {timer.cycle})" if timer.cycle > 1 else timer.metric.value


def _when(at: datetime) -> str:
    at = at.astimezone(UTC)
    return at.strftime("%Y-%m-%d %H:%M:%S UTC" if at.second else "%Y-%m-%d %H:%M UTC")


class _Timer:
    __slots__ = (
        "metric",
        "cycle",
        "priority",
        "target",
        "calendar_name",
        "calendar",
        "started_at",
        "target_since",
        "stretches",
        "elapsed",
        "resumed_at",
        "paused_since",
        "pause_reason",
        "paused_for",
        "stopped_at",
        "final_state",
        "due_at_stop",
        "stopped_running",
        "breached_at",
        "breach_reported",
        "_due",
        "_frozen",
        "_stopped_view",
        "order",
    )

    def __init__(self, metric: Metric, cycle: int, priority: str, target: TimerTarget, at: datetime) -> None:
        self.metric = metric
        self.cycle = cycle
        self.order = (_METRIC_ORDER[metric], cycle)  # how timers() lists them
        self.priority = priority
        self.target, self.calendar_name, self.calendar = target  # (duration, name, CalendarLike)
        self.started_at = at
        self.target_since = at
        # (start, elapsed_at_start, end, elapsed_at_end, calendar) per running stretch: plain
        # tuples while folding, RunningStretch values only in snapshots (built once per change)
        self.stretches: list[tuple[datetime, timedelta, datetime | None, timedelta | None, Any]] = []
        self._frozen: tuple[RunningStretch, ...] | None = ()
        self.elapsed = _ZERO  # business elapsed before the current running stretch
        self.resumed_at: datetime | None = None
        self.paused_since: datetime | None = None
        self.pause_reason: str | None = None
        self.paused_for = _ZERO
        self.stopped_at: datetime | None = None
        self.final_state: TimerState | None = None
        self.due_at_stop: datetime | None = None
        self.stopped_running = False
        self.breached_at: datetime | None = None
        self.breach_reported = False
        self._due: datetime | None = None
        self._stopped_view: MetricTimer | None = None  # a stopped timer reads the same at any instant

    # invariant: self.elapsed >= self.target implies self.breached_at is set.

    def due(self) -> datetime:
        """Due instant of a running timer (cached per running stretch)."""
        if self._due is None:
            if self.elapsed >= self.target:
                assert self.breached_at is not None
                self._due = self.breached_at
            else:
                assert self.resumed_at is not None
                self._due = self.calendar.add(self.resumed_at, self.target - self.elapsed)
        return self._due

    def _due_of_last_stretch(self) -> datetime:
        if self.breached_at is not None:
            return self.breached_at
        start, elapsed_at_start, _, _, calendar = self.stretches[-1]
        return calendar.add(start, self.target - elapsed_at_start)

    def frozen_stretches(self) -> tuple[RunningStretch, ...]:
        frozen = self._frozen
        if frozen is None:
            frozen = self._frozen = tuple(starmap(_stretch, self.stretches))
        return frozen

    def open_stretch(self, at: datetime) -> None:
        self.resumed_at = at
        self._due = None
        self._frozen = None
        self.stretches.append((at, self.elapsed, None, None, self.calendar))

    def close_stretch(self, at: datetime) -> None:
        start = self.resumed_at
        assert start is not None
        total = self.elapsed + self.calendar.elapsed(start, at)
        if self.breached_at is None and total >= self.target:
            self.breached_at = self.due()
        self.stretches[-1] = (start, self.elapsed, at, total, self.calendar)
        self._frozen = None
        self.elapsed = total
        self.resumed_at = None
        self._due = None

    def pause(self, at: datetime, reason: str) -> None:
        self.close_stretch(at)
        self.paused_since = at
        self.pause_reason = reason

    def resume(self, at: datetime) -> None:
        assert self.paused_since is not None
        self.paused_for += at - self.paused_since
        self.paused_since = None
        self.pause_reason = None
        self.open_stretch(at)

    def stop(self, at: datetime, state: TimerState) -> TimerState:
        if self.resumed_at is not None:
            self.close_stretch(at)
            self.stopped_running = True  # due_at_stop is worked out when first read
        else:
            if self.paused_since is not None:
                self.paused_for += at - self.paused_since
                self.paused_since = None
            self.due_at_stop = self.breached_at
        self.stopped_at = at
        self.final_state = _BREACHED if self.elapsed >= self.target else state
        return self.final_state

    def void(self) -> None:
        """Cancelled as if it never counted (the ticket was not a request): no breach is kept."""
        self.final_state = _CANCELLED
        self.breached_at = None
        self.breach_reported = True
        self._stopped_view = None

    def retarget(self, at: datetime, priority: str, target: TimerTarget) -> None:
        running = self.resumed_at is not None
        if running:
            self.close_stretch(at)
        self.priority = priority
        self.target, self.calendar_name, self.calendar = target
        self.target_since = at
        self.breached_at = at if self.elapsed >= self.target else None
        self.breach_reported = False
        if running:
            self.open_stretch(at)

    def standing(
        self, now: datetime
    ) -> tuple[datetime | None, timedelta, TimerState, datetime | None, timedelta]:
        """``(due_at, business_elapsed, state, breached_at, paused_for)`` at ``now``: what
        :meth:`snapshot` shows, without building the value (the replay's rows read only these)."""
        if self.stopped_at is not None:
            due = self.due_at_stop
            if due is None and self.stopped_running:
                due = self.due_at_stop = self._due_of_last_stretch()
            return due, self.elapsed, self.final_state, self.breached_at, self.paused_for  # type: ignore[return-value]
        if self.resumed_at is not None:
            elapsed = self.elapsed + self.calendar.elapsed(self.resumed_at, now)
            due = self.due()
            if elapsed >= self.target:
                return due, elapsed, _BREACHED, self.breached_at or due, self.paused_for
            return due, elapsed, _RUNNING, None, self.paused_for
        elapsed = self.elapsed
        assert self.paused_since is not None
        state = _BREACHED if elapsed >= self.target else _PAUSED
        return None, elapsed, state, self.breached_at, self.paused_for + (now - self.paused_since)

    def snapshot(self, now: datetime, ticket_id: str | None) -> MetricTimer:
        view = self._stopped_view
        if view is not None and view.ticket_id == ticket_id:
            return view
        target = self.target
        due, elapsed, state, breached_at, paused_for = self.standing(now)
        view = _metric_timer(  # MetricTimer(...), positional in field order
            self.metric,
            self.cycle,
            self.priority,
            target,
            self.calendar_name,
            self.started_at,
            due,
            self.stopped_at,
            elapsed,
            paused_for,
            target - elapsed,
            elapsed / target * 100.0,
            state,
            breached_at,
            self.pause_reason,
            self.resumed_at,
            self.elapsed,
            ticket_id,
            self.target_since,
            self.frozen_stretches(),
            self.calendar,
        )
        if self.stopped_at is not None:
            self._stopped_view = view
        return view

    def used(self) -> str:
        return f"{format_duration(self.elapsed)} of {format_duration(self.target)} used"


# --------------------------------------------------------------------------------------
# The fold
# --------------------------------------------------------------------------------------


class TicketClock:
    """The incremental fold of one ticket's events into its SLA timers.

    ``apply`` costs O(number of live clocks) plus a few calendar calls, never a pass over
    history. ``record_timeline=False`` skips building the human-readable timeline (replay).
    """

    __slots__ = (
        "_all", "_cycles", "_live", "_priorities", "_rules", "_statuses", "_timer_targets", "answered",
        "awaiting_reply", "client", "closed", "dismissed", "last_at", "opened_at", "priority",
        "record_timeline", "resolved", "status", "ticket_id", "timeline", "version",
    )  # fmt: skip

    def __init__(self, version: Any, *, record_timeline: bool = True) -> None:
        self.version = version
        self.record_timeline = record_timeline
        self.ticket_id: str | None = None
        self.client: str | None = None
        self.priority: str | None = None
        self.status: str = _OPEN
        self.opened_at: datetime | None = None
        self.last_at: datetime | None = None
        self.resolved = False
        self.closed = False
        self.dismissed = False
        self.answered = False  # an agent replied (or the ticket was resolved) at least once
        self.awaiting_reply = False  # a client message after the first reply is unanswered
        self.timeline: list[TimelineEntry] = []
        self._live: dict[Metric, _Timer] = {}
        self._all: list[_Timer] = []
        self._cycles: dict[Metric, int] = {}  # cycles started per metric (none: absent)
        rules = self._rules = _rules_of(version)
        self._priorities = rules.priorities
        self._statuses = rules.statuses
        self._timer_targets = rules.timer_targets

    def _target(self, priority: str, metric: Metric) -> TimerTarget | None:
        """``version.target_for(priority, metric)`` as ``(duration, calendar_name, calendar)``, asked
        once per version."""
        key = (priority, metric)
        try:
            return self._timer_targets[key]
        except KeyError:
            target = self.version.target_for(priority, metric)
            found = self._timer_targets[key] = (
                None
                if target is None
                else (target.duration, getattr(target, "calendar_name", None), target.calendar)
            )
            return found

    def _pauses(self, status: str, metric: Metric) -> bool:
        """``version.pauses(status, metric)``, asked once per version."""
        key = (status, metric)
        pauses = self._rules.pauses
        try:
            return pauses[key]
        except KeyError:
            found = pauses[key] = bool(self.version.pauses(status, metric))
            return found

    # ---- validation -----------------------------------------------------------------

    def _check(self, event: TicketEvent) -> None:
        kind = event.kind
        tid = event.ticket_id
        if self.opened_at is None:
            if kind is not _OPENED:
                raise EventError(
                    f"unknown ticket {tid}: its first event must be 'opened', got '{kind.value}'"
                )
        else:
            if tid != self.ticket_id:
                raise EventError(f"event for ticket {tid} given to the clock of ticket {self.ticket_id}")
            if self.closed:
                final = "dismissed" if self.dismissed else "closed"
                raise EventError(
                    f"ticket {tid} is {final}; {final} is final, so '{kind.value}' cannot follow it"
                )
            assert self.last_at is not None
            if event.at < self.last_at:
                raise EventError(
                    f"ticket {tid}: '{kind.value}' at {_when(event.at)} is out of order "
                    f"(the previous event was at {_when(self.last_at)})"
                )
            if kind is _OPENED:
                raise EventError(f"ticket {tid} is already open (opened at {_when(self.opened_at)})")
        if kind is _OPENED:
            priority = event.priority or getattr(self.version, "default_priority", None)
            if priority is None:
                raise EventError(f"ticket {tid}: 'opened' needs a priority (the contract has no default)")
            self._check_priority(tid, priority)
            if event.status is not None:
                self._check_status(tid, event.status)
        elif kind is _PRIORITY:
            if not event.priority:
                raise EventError(f"ticket {tid}: a 'priority' event needs the new priority")
            self._check_priority(tid, event.priority)
        elif kind is _STATUS:
            if not event.status:
                raise EventError(f"ticket {tid}: a 'status' event needs the new status")
            self._check_status(tid, event.status)
        elif kind is _RESOLVED and self.resolved:
            raise EventError(f"ticket {tid} is already resolved; reopen it first")
        elif kind is _REOPENED and not self.resolved:
            raise EventError(f"ticket {tid} is not resolved, so it cannot be reopened")

    def _check_priority(self, tid: str, priority: str) -> None:
        if self._priorities and priority not in self._priorities:
            raise EventError(
                f"ticket {tid}: unknown priority {priority!r}; the contract knows {', '.join(self._priorities)}"
            )

    def _check_status(self, tid: str, status: str) -> None:
        if status in _EVENT_STATUSES:
            raise EventError(
                f"ticket {tid}: {status!r} is not set with a 'status' event; send a '{status}' event instead"
            )
        if status not in self._statuses:
            raise EventError(
                f"ticket {tid}: unknown status {status!r}; use one of {', '.join(sorted(self._statuses))}"
            )

    # ---- applying -------------------------------------------------------------------

    def apply(self, event: TicketEvent) -> list[TimelineEntry]:
        """Apply one event; return the timeline entries it caused (breaches since the last event first).

        Raises :class:`EventError` and leaves the clock unchanged when the event is rejected.
        """
        self._check(event)
        out: list[TimelineEntry] = []
        if self.record_timeline:  # breach instants between events only matter to the story
            self._breaches_until(event.at, out, mark=True)
        kind = event.kind
        at = event.at
        name: str = kind  # a StrEnum: formats as its value
        live = self._live
        if kind is _OPENED:
            self.ticket_id = event.ticket_id
            self.client = event.client
            self.opened_at = at
            self.priority = event.priority or self.version.default_priority
            self.status = event.status or _OPEN
            self._start(_FIRST_RESPONSE, at, name, out)
            self._start(_RESOLUTION, at, name, out)
            self._start(_PERIODIC_UPDATE, at, name, out)
        elif kind is _CLIENT_MESSAGE:
            if self.answered and not self.resolved and not self.awaiting_reply:
                self.awaiting_reply = True
                self._start(_NEXT_RESPONSE, at, name, out)
        elif kind is _AGENT_MESSAGE:
            self.answered = True
            self.awaiting_reply = False
            if _FIRST_RESPONSE in live:
                self._stop(_FIRST_RESPONSE, at, name, _MET, out)
            if _NEXT_RESPONSE in live:
                self._stop(_NEXT_RESPONSE, at, name, _MET, out)
            if _PERIODIC_UPDATE in live:
                self._stop(_PERIODIC_UPDATE, at, name, _MET, out)
                if not self.resolved:
                    self._start(_PERIODIC_UPDATE, at, name, out)
        elif kind is _STATUS:
            assert event.status is not None
            self._set_status(event.status, at, name, out)
        elif kind is _PRIORITY:
            assert event.priority is not None
            self._set_priority(event.priority, at, name, out)
        elif kind is _RESOLVED:
            self.resolved = True
            self.answered = True
            self.awaiting_reply = False
            for metric in _RESOLVE_ORDER:
                if metric in live:
                    self._stop(metric, at, name, _MET, out)
        elif kind is _REOPENED:
            self.resolved = False
            self._set_status(_OPEN, at, name, out)
            self._start(_RESOLUTION, at, name, out)
            self._start(_PERIODIC_UPDATE, at, name, out)
        elif kind is _CLOSED:
            self.closed = True
            self.awaiting_reply = False
            for metric in list(live):
                self._stop(metric, at, name, _CANCELLED, out)
        elif kind is _DISMISSED:
            self.closed = self.dismissed = True
            self.awaiting_reply = False
            self.status = "dismissed"
            for metric in list(live):
                self._stop(metric, at, name, _CANCELLED, out)
            for timer in self._all:
                timer.void()
            why = f": {event.note}" if event.note else ""
            self._entry(out, at, name, None, "dismissed", f"not a ticket{why} — every clock cancelled")
        self.last_at = at
        if self.record_timeline:
            self.timeline.extend(out)
        return out

    def _entry(
        self,
        out: list[TimelineEntry],
        at: datetime,
        event: str,
        metric: Metric | None,
        effect: str,
        detail: Any,
    ) -> None:
        if self.record_timeline:
            out.append(TimelineEntry(at, event, metric, effect, detail() if callable(detail) else detail))

    def _breaches_until(self, at: datetime, out: list[TimelineEntry], *, mark: bool) -> None:
        found: list[tuple[datetime, int, _Timer]] = []
        for timer in self._live.values():
            if timer.resumed_at is not None and not timer.breach_reported:
                due = timer.due()
                if due <= at:
                    found.append((due, _METRIC_ORDER[timer.metric], timer))
        if not found:
            return
        found.sort(key=lambda f: (f[0], f[1]))
        for due, _, timer in found:
            if mark:
                timer.breach_reported = True
            self._entry(
                out,
                due,
                "clock",
                timer.metric,
                "breached",
                lambda t=timer, d=due: (
                    f"{_label(t)} breached at {_when(d)}: {format_duration(t.target)} of business time used"
                ),
            )

    def _start(self, metric: Metric, at: datetime, event: str, out: list[TimelineEntry]) -> None:
        priority = self.priority
        assert priority is not None
        live = self._live
        if metric in live:
            return
        target = self._timer_targets.get((priority, metric), _UNASKED)
        if target is _UNASKED:
            target = self._target(priority, metric)
        if target is None:
            return
        cycle = self._cycles.get(metric, 0) + 1
        self._cycles[metric] = cycle
        timer = _Timer(metric, cycle, priority, target, at)  # type: ignore[arg-type]
        live[metric] = timer
        self._all.append(timer)
        paused = self._rules.pauses.get((self.status, metric))
        if paused is None:
            paused = self._pauses(self.status, metric)
        if paused:
            timer.paused_since = at
            timer.pause_reason = self.status
        else:
            timer.open_stretch(at)
        if self.record_timeline:
            paused = f", paused (status {self.status})" if timer.resumed_at is None else ""
            cal = f" on {timer.calendar_name}" if timer.calendar_name else ""
            detail = (
                f"{metric.value} {'started' if cycle == 1 else f'cycle {cycle} started'}: "
                f"{self.priority} target {format_duration(timer.target)} of business time{cal}{paused}"
            )
            self._entry(out, at, event, metric, "started" if cycle == 1 else "cycle", detail)

    def _stop(
        self, metric: Metric, at: datetime, event: str, state: TimerState, out: list[TimelineEntry]
    ) -> bool:
        timer = self._live.pop(metric, None)
        if timer is None:
            return False
        final = timer.stop(at, state)
        if self.record_timeline:
            label = _label(timer)
            if final is _MET:
                self._entry(out, at, event, metric, "met", f"{label} met by {event}: {timer.used()}")
            elif final is _CANCELLED:
                self._entry(
                    out, at, event, metric, "cancelled", f"{label} cancelled by {event}: {timer.used()}"
                )
            else:
                assert timer.breached_at is not None
                late = format_duration(at - timer.breached_at)
                why = "cancelled" if state is _CANCELLED else "stopped"
                self._entry(
                    out,
                    at,
                    event,
                    metric,
                    "stopped",
                    f"{label} {why} by {event} {late} after its breach at {_when(timer.breached_at)}: "
                    f"{timer.used()}",
                )
        return True

    def _set_status(self, status: str, at: datetime, event: str, out: list[TimelineEntry]) -> None:
        self.status = status
        known = self._rules.pauses
        for metric, timer in self._live.items():
            should_pause = known.get((status, metric))
            if should_pause is None:
                should_pause = self._pauses(status, metric)
            if timer.resumed_at is not None:
                if not should_pause:
                    continue
                timer.pause(at, status)
                effect = "paused"
                detail: Any = lambda t=timer: f"{t.metric.value} paused by status {status}: {t.used()}"  # noqa: E731
            elif not should_pause:
                assert timer.paused_since is not None
                paused = at - timer.paused_since
                timer.resume(at)
                effect = "resumed"
                detail = lambda t=timer, p=paused: (  # noqa: E731
                    f"{t.metric.value} resumed by status {status} after {format_duration(p)} paused: {t.used()}"
                )
            else:
                timer.pause_reason = status
                continue
            self._entry(out, at, event, metric, effect, detail)  # the detail is worded only for a timeline

    def _set_priority(self, priority: str, at: datetime, event: str, out: list[TimelineEntry]) -> None:
        old = self.priority
        if priority == old:
            return
        self.priority = priority
        target_for = self._target
        for metric in list(self._live):
            timer = self._live[metric]
            target = target_for(priority, metric)
            if target is None:
                self._stop(metric, at, event, _CANCELLED, out)
                continue
            if target[0] == timer.target and target[1] == timer.calendar_name:
                timer.priority = priority
                continue
            was = timer.target
            timer.retarget(at, priority, target)
            self._entry(
                out,
                at,
                event,
                metric,
                "retargeted",
                lambda t=timer, w=was: (
                    f"{t.metric.value} re-targeted {old} -> {priority}: {format_duration(w)} -> {format_duration(t.target)}"
                    f"{f' on {t.calendar_name}' if t.calendar_name else ''}, keeping {t.used()}"
                    f" and {format_duration(t.paused_for)} paused"
                ),
            )
            if timer.breached_at is not None:
                timer.breach_reported = True
                self._entry(
                    out,
                    at,
                    event,
                    metric,
                    "breached",
                    lambda t=timer: (
                        f"{t.metric.value} breached at the priority change: {t.used()} "
                        f"already exceeds the {priority} target"
                    ),
                )
        if self.resolved:
            return
        if not self.answered:
            self._start(_FIRST_RESPONSE, at, event, out)
        if self.awaiting_reply:
            self._start(_NEXT_RESPONSE, at, event, out)
        self._start(_PERIODIC_UPDATE, at, event, out)
        self._start(_RESOLUTION, at, event, out)

    # ---- reading --------------------------------------------------------------------

    def timers(self, now: datetime) -> list[MetricTimer]:
        """Every timer of the ticket (all cycles, current and past) as it stands at ``now``."""
        now = _utc(now, "now")
        if self.last_at is not None and now < self.last_at:
            raise ValueError(f"now ({_when(now)}) is before the ticket's last event ({_when(self.last_at)})")
        timers = sorted(self._all, key=_ORDER)
        return [t.snapshot(now, self.ticket_id) for t in timers]

    def standings(self, now: datetime) -> list[tuple[Any, ...]]:
        """:meth:`timers` at ``now`` as plain tuples, in the same order, without building the values:
        ``(metric, cycle, priority, target, started_at, due_at, stopped_at, business_elapsed, state,
        breached_at, paused_for)`` — each the :class:`MetricTimer` field of that name (a replay's rows)."""
        now = _utc(now, "now")
        if self.last_at is not None and now < self.last_at:
            raise ValueError(f"now ({_when(now)}) is before the ticket's last event ({_when(self.last_at)})")
        out = []
        for t in sorted(self._all, key=_ORDER):
            due, elapsed, state, breached_at, paused_for = t.standing(now)
            out.append((t.metric, t.cycle, t.priority, t.target, t.started_at, due, t.stopped_at, elapsed, state, breached_at, paused_for))  # fmt: skip
        return out

    def pending_breaches(self, now: datetime) -> list[TimelineEntry]:
        """Breaches that happened after the last event, up to ``now`` (not yet in ``timeline``)."""
        out: list[TimelineEntry] = []
        self._breaches_until(_utc(now, "now"), out, mark=False)
        return out


# --------------------------------------------------------------------------------------
# Conveniences
# --------------------------------------------------------------------------------------


def _fold(events: Iterable[TicketEvent], version: Any, *, record_timeline: bool) -> TicketClock:
    clock = TicketClock(version, record_timeline=record_timeline)
    for event in events:
        clock.apply(event)
    return clock


def evaluate(events: Iterable[TicketEvent], version: Any, now: datetime) -> list[MetricTimer]:
    """All timers of one ticket's events at ``now`` (raises EventError on a bad event)."""
    return _fold(events, version, record_timeline=False).timers(now)


def explain(events: Iterable[TicketEvent], version: Any, now: datetime) -> list[TimelineEntry]:
    """The timeline of why each clock of the ticket stands where it does at ``now``."""
    clock = _fold(events, version, record_timeline=True)
    now = _utc(now, "now")
    if clock.last_at is not None and now < clock.last_at:
        raise ValueError(f"now ({_when(now)}) is before the ticket's last event ({_when(clock.last_at)})")
    return [*clock.timeline, *clock.pending_breaches(now)]
