"""A status page's timer projection rows brought forward to ``now`` (``live_timer``).

A page of ``/sla status`` brings every timer it shows forward, in every answer. What a row holds does
not move with ``now`` — the enum members its text names, its durations as ``timedelta``s — so it is
read once per stored row (:func:`timer_parts`) and kept between answers by the row object
(:class:`PartsByRow`: on SQLite the repository hands back the same row object for the same stored row,
``storage.repositories.status``); only :func:`advanced`'s rule runs per answer.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from operator import attrgetter
from typing import Any

from sla.metrics import Metric, TimerState
from sla.standing import advanced
from sla.timer_values import slot_builder
from sla.timers import MetricTimer
from storage.repositories.status import StatusTimer

#: ``MetricTimer(...)`` positional, in field order (a frozen dataclass's keyword init sets each field by name)
_metric_timer = slot_builder(MetricTimer)
#: enum members by value, read once (``Metric(value)`` costs a class lookup per timer of a page)
_METRICS: dict[str, Metric] = {m.value: m for m in Metric}
_STATES: dict[str, TimerState] = {s.value: s for s in TimerState}
#: a projection row's :class:`StatusTimer` fields after its ids, read from an object that is not one
_timer_fields = attrgetter(*StatusTimer._fields[2:])

TimerParts = tuple[Any, ...]


def timer_parts(row: Any) -> TimerParts:
    """What :func:`live_timer` reads of ``row`` whatever ``now`` is: ``(metric, cycle, priority, target,
    calendar_name, started_at, due_at, stopped_at, paused_for, pause_reason, resumed_at,
    elapsed_at_resume, state value, breached_at, stored business elapsed, stored state)``."""
    fields = row[2:] if row.__class__ is StatusTimer else _timer_fields(row)
    metric, cycle, state, priority, target_seconds, calendar_name, started_at, due_at = fields[:8]
    stopped_at, breached_at, elapsed_s, paused_s, pause_reason, resumed_at, resume_s = fields[8:]
    return (
        _METRICS.get(metric) or Metric(metric),
        cycle,
        priority or "",
        timedelta(seconds=target_seconds or 0),
        calendar_name,
        started_at,
        due_at,
        stopped_at,
        timedelta(seconds=paused_s or 0),
        pause_reason,
        resumed_at,
        timedelta(seconds=resume_s or 0),
        state,
        breached_at,
        timedelta(seconds=elapsed_s or 0),
        _STATES.get(state) or TimerState(state),
    )


def live_timer(row: Any, now: datetime, calendar: Any) -> MetricTimer:
    """``advance(stored_timer(row, calendar), now, calendar)`` — a projection row brought forward to
    ``now`` by ``sla.standing``'s rule — built once instead of twice: the same ``MetricTimer``
    (``tests/bot/test_stored_timer_advance.py`` checks both ways agree). ``row``: a
    :class:`~storage.repositories.status.StatusTimer` (read as the tuple it is) or any object with its
    attributes."""
    return live_timer_of(timer_parts(row), now, calendar)


def live_timer_of(parts: TimerParts, now: datetime, calendar: Any) -> MetricTimer:
    """:func:`live_timer` of a row's :func:`timer_parts`."""
    metric, cycle, priority, target, calendar_name, started_at, due_at, stopped_at = parts[:8]
    paused_for, pause_reason, resumed_at, resume, state, breached_at, elapsed, stored = parts[8:]
    live = advanced(state, stopped_at, resumed_at, resume, target, breached_at, due_at, now, calendar)
    if live is None:
        state = stored
    else:
        elapsed, state, breached_at = live
    return _metric_timer(  # MetricTimer(...) in field order
        metric,  # metric
        cycle,  # cycle
        priority,  # priority
        target,  # target
        calendar_name,  # calendar_name
        started_at,  # started_at
        due_at,  # due_at
        stopped_at,  # stopped_at
        elapsed,  # business_elapsed
        paused_for,  # paused_for
        target - elapsed,  # remaining
        (elapsed / target * 100.0) if target else 0.0,  # percent_used
        state,  # state
        breached_at,  # breached_at
        pause_reason,  # pause_reason
        resumed_at,  # resumed_at
        resume,  # elapsed_at_resume
        None,  # ticket_id
        None,  # target_since
        (),  # stretches
        calendar,  # calendar
    )


class PartsByRow:
    """:func:`timer_parts` of row objects, kept by the row object itself (an entry holds its row, so
    the row's ``id`` is not reused while it is kept) and bounded: a row the repository hands back
    again — the same stored row, unchanged — is not read again."""

    def __init__(self, max_rows: int = 8192) -> None:
        self.max_rows = max_rows
        self._kept: dict[int, tuple[Any, TimerParts]] = {}

    def __call__(self, row: Any) -> TimerParts:
        kept = self._kept.get(id(row))
        if kept is not None and kept[0] is row:
            return kept[1]
        parts = timer_parts(row)
        if len(self._kept) >= self.max_rows:
            self._kept.clear()
        self._kept[id(row)] = (row, parts)
        return parts
