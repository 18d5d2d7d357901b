"""Where a timer stands: the one definition of met, breached, at risk and paused.

Every surface — the live card, breach notices, ``/sla status``, App Home, ``/metrics``, reports,
credits, objectives, reviews and feedback's "met vs breached" — reads a timer through these
functions, so one ticket reads the same everywhere. The rules are those of :mod:`sla.timers`
(the fold), written down once:

- **The due second is breached.** A timer is breached as soon as its business elapsed *reaches*
  its target (``elapsed >= target``): a reply must land *before* the due instant. A reply landing
  on the due second is a breach (``breached by 0s``) on the card, in the notice and in the report.
- **met**: stopped (reply, resolution) before reaching its target.
- **breached**: reached its target — stopped since or still running (nothing can make it met
  any more), or paused after the breach. ``breached_at`` is the instant the target was reached.
- **paused**: not stopped, not breached, its status pauses it (no due instant while paused).
- **at risk**: running, not breached, and at least :data:`AT_RISK_PERCENT` of its target used.
  The instant that happens is :func:`at_risk_at` (stored, indexed, so ``/sla status at-risk``
  is a query).
- **running**: running, below the at-risk share.
- **cancelled**: ended without counting (closed, a priority without that metric).

A timer **counts in a report period** at :func:`decided_at`: a met timer when it stopped, a
breached one when it went past due — so an open ticket nobody answered counts in the period of
its breach, as ServiceNow's Task SLA and Jira Service Management count it.

:func:`advance` is the live-advance rule: a timer as stored (a projection row, written at the
last event or sweep) brought forward to ``now`` — business time keeps counting while it runs,
and it becomes breached on its due second.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Literal

from sla.metrics import TimerState
from sla.timer_values import slot_builder
from sla.timers import MetricTimer, instant_at_elapsed

#: ``MetricTimer(...)`` positional, in field order (the live advance of every timer /sla status shows)
_metric_timer = slot_builder(MetricTimer)

__all__ = [
    "AT_RISK_PERCENT",
    "Standing",
    "advance",
    "advanced",
    "at_risk_at",
    "at_risk_elapsed",
    "decided_at",
    "is_at_risk",
    "is_breached",
    "is_met",
    "is_paused",
    "is_paused_of",
    "is_over",
    "standing",
    "standing_of",
]

#: A running timer is at risk from this share of its target used (the card turns 🟠, it shows under
#: ``/sla status at-risk``, App Home's at-risk list, the report's "At risk now" and ``/metrics``).
AT_RISK_PERCENT = 75.0

Standing = Literal["met", "breached", "at_risk", "running", "paused", "cancelled"]

_ZERO = timedelta(0)

#: the states as plain strings (a comparison of two ``str`` is quicker than one with an enum member)
_CANCELLED, _BREACHED, _MET, _PAUSED, _RUNNING = (
    TimerState.CANCELLED.value,
    TimerState.BREACHED.value,
    TimerState.MET.value,
    TimerState.PAUSED.value,
    TimerState.RUNNING.value,
)
_AT_RISK_SHARE = AT_RISK_PERCENT / 100.0


def is_over(elapsed: timedelta, target: timedelta) -> bool:
    """True once ``elapsed`` reached ``target``: the due second itself is over (breached)."""
    return elapsed >= target


def at_risk_elapsed(target: timedelta) -> timedelta:
    """Business elapsed from which a timer with ``target`` is at risk."""
    return target * (AT_RISK_PERCENT / 100.0)


def _state(timer: Any) -> str:
    return str(getattr(timer, "state", ""))


def is_breached(timer: Any) -> bool:
    """Breached (running, paused or stopped since); never for a cancelled timer.

    Reads any timer-like object: ``MetricTimer``, a replay row, a stored projection row."""
    state = _state(timer)
    if state == TimerState.CANCELLED:
        return False
    return state == TimerState.BREACHED or getattr(timer, "breached_at", None) is not None


def is_met(timer: Any) -> bool:
    """Stopped before reaching its target."""
    return _state(timer) == TimerState.MET and not is_breached(timer)


def is_at_risk(timer: MetricTimer) -> bool:
    """Running, not breached, and :data:`AT_RISK_PERCENT` of the target used (business time)."""
    if timer.stopped_at is not None or _state(timer) != TimerState.RUNNING or is_breached(timer):
        return False
    if _over(timer):
        return False
    return timer.business_elapsed >= at_risk_elapsed(timer.target)


def _over(timer: Any) -> bool:
    """Reached its target (business elapsed, or equivalently no time remaining)."""
    remaining = getattr(timer, "remaining", None)
    if remaining is not None and remaining <= _ZERO:
        return True
    elapsed, target = getattr(timer, "business_elapsed", None), getattr(timer, "target", None)
    return elapsed is not None and target is not None and is_over(elapsed, target)


def is_paused(timer: Any) -> bool:
    """In a paused stretch (breached or not): its status pauses it, no due instant meanwhile."""
    return is_paused_of(_state(timer), timer.stopped_at, timer.resumed_at, timer.pause_reason)


def is_paused_of(
    state: str, stopped_at: datetime | None, resumed_at: datetime | None, pause_reason: str | None
) -> bool:
    """:func:`is_paused` from a timer's figures (``state`` as a string)."""
    if stopped_at is not None:
        return False
    if state == _PAUSED:
        return True
    return state == _BREACHED and resumed_at is None and pause_reason is not None


def standing(timer: MetricTimer) -> Standing:
    """Where ``timer`` stands (as of the instant it was evaluated at: fold at ``now``, or
    :func:`advance` a stored row first)."""
    return standing_of(
        _state(timer),
        getattr(timer, "stopped_at", None),
        getattr(timer, "breached_at", None),
        getattr(timer, "remaining", None),
        getattr(timer, "business_elapsed", None),
        getattr(timer, "target", None),
    )


def standing_of(
    state: str,
    stopped_at: datetime | None,
    breached_at: datetime | None,
    remaining: timedelta | None,
    elapsed: timedelta | None,
    target: timedelta | None,
) -> Standing:
    """:func:`standing` from a timer's figures (``state`` as a string): the same rules, read in one
    place by :func:`standing` and by ``sla.countdown`` (which has the figures at hand for every timer
    of a status page) — cancelled; breached (:func:`is_breached` or over its target); met (stopped);
    paused; at risk (:func:`is_at_risk`); running."""
    if state == _CANCELLED:
        return "cancelled"
    if state == _BREACHED or breached_at is not None:
        return "breached"
    if remaining is not None and remaining <= _ZERO:
        return "breached"
    if elapsed is not None and target is not None and elapsed >= target:
        return "breached"
    if state == _MET or stopped_at is not None:
        return "met"
    if state == _PAUSED:
        return "paused"
    if state == _RUNNING and elapsed >= target * _AT_RISK_SHARE:  # type: ignore[operator]
        return "at_risk"
    return "running"


def decided_at(timer: Any) -> datetime | None:
    """The instant a timer counts in a report period: a met timer's stop, a breached timer's
    breach (also while it is still running); None while undecided or cancelled."""
    if is_breached(timer):
        return timer.breached_at
    if _state(timer) == TimerState.MET:
        return timer.stopped_at
    return None


def at_risk_at(timer: MetricTimer, version: Any) -> datetime | None:
    """The instant a running timer reaches :data:`AT_RISK_PERCENT` of its target (None when paused
    or stopped): what storage indexes so ``/sla status at-risk`` is a query."""
    if timer.stopped_at is not None or timer.resumed_at is None or timer.due_at is None:
        return None
    return instant_at_elapsed(timer, version, at_risk_elapsed(timer.target))


def advance(timer: MetricTimer, now: datetime, calendar: Any | None) -> MetricTimer:
    """The live-advance rule: ``timer`` as stored, brought forward to ``now``.

    A running timer (not stopped, in a running stretch since ``resumed_at``) keeps counting on its
    calendar from ``elapsed_at_resume``; on its due second it is breached, ``breached_at`` being
    its due instant. Paused, stopped and cancelled timers are as stored. Without a calendar (the
    contract file no longer names it) the stored figures are returned unchanged."""
    live = advanced(
        _state(timer),
        timer.stopped_at,
        timer.resumed_at,
        timer.elapsed_at_resume,
        timer.target,
        timer.breached_at,
        timer.due_at,
        now,
        calendar,
    )
    if live is None:
        return timer
    elapsed, new_state, breached_at = live
    target = timer.target
    return _metric_timer(  # dataclasses.replace(timer, ...) without its per-field lookups, in field order
        timer.metric,
        timer.cycle,
        timer.priority,
        target,
        timer.calendar_name,
        timer.started_at,
        timer.due_at,
        timer.stopped_at,
        elapsed,  # business_elapsed
        timer.paused_for,
        target - elapsed,  # remaining
        (elapsed / target * 100.0) if target else 0.0,  # percent_used
        new_state,  # state
        breached_at,
        timer.pause_reason,
        timer.resumed_at,
        timer.elapsed_at_resume,
        timer.ticket_id,
        timer.target_since,
        timer.stretches,
        calendar,
    )


def advanced(
    state: str,
    stopped_at: datetime | None,
    resumed_at: datetime | None,
    elapsed_at_resume: timedelta,
    target: timedelta,
    breached_at: datetime | None,
    due_at: datetime | None,
    now: datetime,
    calendar: Any | None,
) -> tuple[timedelta, TimerState, datetime | None] | None:
    """:func:`advance`'s rule on a stored timer's figures: ``(business elapsed, state, breached_at)``
    at ``now`` of a timer still counting, None for one that stands as stored (paused, stopped,
    cancelled, or without a calendar). A page of ``/sla status`` applies it to projection rows
    directly (``bot.services.tickets.live_timer``), without building the stored timer first."""
    if stopped_at is not None or resumed_at is None or calendar is None or state not in _COUNTING:
        return None
    elapsed = elapsed_at_resume + calendar.elapsed(resumed_at, now if now > resumed_at else resumed_at)
    if target > _ZERO and elapsed >= target:  # is_over
        return elapsed, TimerState.BREACHED, breached_at or due_at
    return elapsed, _COUNTING[state], breached_at


#: the states :func:`advanced` brings forward, by value
_COUNTING: dict[str, TimerState] = {s.value: s for s in (TimerState.RUNNING, TimerState.BREACHED)}
