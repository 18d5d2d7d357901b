"""What the SLA timer fold (``sla.timers``) asks of a contract version, worked out once per version.

A version is immutable, so its statuses, priorities, ``target_for`` and ``pauses`` answers are kept
(filled on first use) and shared by every ticket clock folded under it.
"""

from __future__ import annotations

import weakref
from datetime import timedelta
from typing import Any

from sla.metrics import EVENT_STATUSES, SETTABLE_STATUSES, Metric

TimerTarget = tuple[timedelta, "str | None", Any]
"""What a clock keeps of ``version.target_for(priority, metric)``: ``(duration, calendar_name, calendar)``."""

_BUILTIN_STATUSES: frozenset[str] = SETTABLE_STATUSES
_EVENT_STATUSES: frozenset[str] = EVENT_STATUSES  # these are events of their own


class VersionRules:
    """What the fold asks of one contract version, worked out once per version, not per ticket.

    A version is immutable, so its statuses, priorities, ``target_for`` and ``pauses`` answers
    are kept (filled on first use) and shared by every clock folded under it.
    """

    __slots__ = ("pauses", "priorities", "statuses", "timer_targets")

    def __init__(self, version: Any) -> None:
        self.priorities: tuple[str, ...] = tuple(getattr(version, "priorities", ()) or ())
        pause_on = getattr(version, "pause_on", None) or {}
        named = (*(getattr(version, "statuses", ()) or ()), *pause_on)
        self.statuses = (_BUILTIN_STATUSES | frozenset(str(s) for s in named)) - _EVENT_STATUSES
        #: (priority, metric) -> (duration, calendar_name, calendar) of the target, or None
        self.timer_targets: dict[tuple[str, Metric], TimerTarget | None] = {}
        self.pauses: dict[tuple[str, Metric], bool] = {}  # (status, metric) -> paused?


_SHARED: dict[int, tuple[weakref.ref[Any], VersionRules]] = {}


def rules_of(version: Any) -> VersionRules:
    """The shared :class:`VersionRules` of ``version`` (by identity; dropped with the version)."""
    key = id(version)
    entry = _SHARED.get(key)
    if entry is not None and entry[0]() is version:
        return entry[1]
    rules = VersionRules(version)
    try:
        ref = weakref.ref(version, lambda _ref, key=key: _SHARED.pop(key, None))
    except TypeError:  # not weak-referenceable: this clock keeps its own
        return rules
    _SHARED[key] = (ref, rules)
    return rules
