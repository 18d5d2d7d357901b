"""When a running SLA timer alerts: warnings, the breach and the escalation steps after it.

Alerts
------
:func:`alert_points` lists, for a running (or running and breached) timer, one ``warning``
per threshold of ``version.warn_at``, the ``breach`` and the ``escalation`` steps after it.
Instants are counted in business time, so a business-hours warning never falls while the
calendar is closed (quiet hours for free); 24x7 targets alert at any hour. Thresholds
crossed in an earlier running stretch (before a pause) keep the instant they were really
crossed. Paused and stopped timers have no points, so a resolved ticket never gets a stale
warning. :func:`next_alert_at` gives the first point strictly after an instant, which
storage indexes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sla.timer_values import MetricTimer, RunningStretch, utc_instant

_ZERO = timedelta(0)

AlertKind = Literal["warning", "breach", "escalation"]


@dataclass(frozen=True, slots=True)
class AlertPoint:
    """An instant a timer should alert. ``key`` = ``metric:cycle:threshold`` (storage adds the ticket)."""

    key: str
    kind: AlertKind
    at: datetime
    threshold: str
    #: which escalation step (1-based) an ``escalation`` point is; 0 for the others
    level: int = 0


def _instant_of(timer: MetricTimer, calendar: Any, elapsed: timedelta) -> datetime:
    """The earliest instant the timer's business elapsed reached ``elapsed`` (not before target_since)."""
    stretches: Sequence[RunningStretch] = timer.stretches
    if not stretches:
        assert timer.resumed_at is not None
        stretches = (RunningStretch(timer.resumed_at, timer.elapsed_at_resume, None, None, calendar),)
    at: datetime | None = None
    for s in stretches:
        if s.elapsed_at_end is None or elapsed <= s.elapsed_at_end:
            cal = s.calendar if s.calendar is not None else calendar
            offset = elapsed - s.elapsed_at_start
            at = cal.add(s.start, offset) if offset > _ZERO else s.start
            break
    if at is None:  # pragma: no cover - a running timer always has an open last stretch
        at = stretches[-1].start
    floor = timer.target_since or timer.started_at
    return at if at >= floor else floor


def _calendar_of(timer: MetricTimer, version: Any) -> Any:
    if timer.calendar is not None:
        return timer.calendar
    target = version.target_for(timer.priority, timer.metric)
    if target is not None:
        return target.calendar
    return version.calendar


def instant_at_elapsed(timer: MetricTimer, version: Any, elapsed: timedelta) -> datetime:
    """The earliest instant a running timer's business elapsed reaches ``elapsed`` (past or future;
    never before the instant its current target took effect)."""
    return _instant_of(timer, _calendar_of(timer, version), elapsed)


def alert_points(timer: MetricTimer, version: Any) -> list[AlertPoint]:
    """Warning, breach and escalation instants of a running timer, sorted by instant.

    Paused and stopped timers have none.
    """
    if timer.stopped_at is not None or timer.due_at is None or timer.resumed_at is None:
        return []
    calendar = _calendar_of(timer, version)
    prefix = f"{timer.metric.value}:{timer.cycle}:"
    points: list[AlertPoint] = []
    for threshold in getattr(version, "warn_at", ()) or ():
        fires_at = threshold.elapsed_at(timer.target)
        if fires_at is None:
            continue
        key = threshold.key
        points.append(AlertPoint(prefix + key, "warning", _instant_of(timer, calendar, fires_at), key))
    breach_at = timer.breached_at or timer.due_at
    points.append(AlertPoint(prefix + "breach", "breach", breach_at, "breach"))
    steps = getattr(getattr(version, "alerts", None), "escalation", None) or ()
    for number, step in enumerate(steps, start=1):
        key = f"escalation-{number}"
        points.append(
            AlertPoint(prefix + key, "escalation", calendar.add(breach_at, step.after), key, number)
        )
    points.sort(key=lambda p: p.at)
    return points


def next_alert_at(timer: MetricTimer, version: Any, after: datetime) -> datetime | None:
    """The first alert instant strictly after ``after`` (None for paused/stopped timers or none left)."""
    after = utc_instant(after, "after")
    for point in alert_points(timer, version):
        if point.at > after:
            return point.at
    return None
