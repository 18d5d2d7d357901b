"""The one place that turns a metric's clock into words for humans.

``describe_timer(timer, now, tz)`` reads a :class:`~sla.timers.MetricTimer` as of ``now`` and
says where it stands: ``1h 10m left``, ``breached 25m ago``, ``paused (waiting on client) · 2h 5m
left``, ``met in 42m``, ``breached by 1h 5m``, ``cancelled`` — plus when it falls due in the
client's timezone (``due Mon 10:00 CET``), how much of the target is used (``71 %`` and a
10-cell bar) and how much *wall* time is left (business time stops at night; the wall clock
does not). Every surface (Slack status, alerts, App Home, the terminal) prints these strings,
so a countdown reads the same everywhere.

Pure: no clock reads; ``now`` and the timezone are arguments.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Literal
from zoneinfo import ZoneInfo

from sla.durations import format_duration
from sla.metrics import Metric, TimerState, is_final_status
from sla.standing import is_paused_of, standing_of
from sla.timer_values import slot_builder

if TYPE_CHECKING:
    from sla.timers import MetricTimer

Severity = Literal["ok", "at_risk", "breached", "paused", "done"]


BAR_CELLS = 10
BAR_FULL = "▰"
BAR_EMPTY = "▱"

METRIC_NAMES: dict[str, str] = {
    Metric.FIRST_RESPONSE: "first response",
    Metric.NEXT_RESPONSE: "next response",
    Metric.PERIODIC_UPDATE: "periodic update",
    Metric.RESOLUTION: "resolution",
}

#: Display order of metrics on every surface.
METRIC_ORDER: tuple[Metric, ...] = (
    Metric.FIRST_RESPONSE,
    Metric.NEXT_RESPONSE,
    Metric.PERIODIC_UPDATE,
    Metric.RESOLUTION,
)

SEVERITY_EMOJI: dict[str, str] = {
    "ok": "🟢",
    "at_risk": "🟠",
    "breached": "🔴",
    "paused": "⏸️",
    "done": "✅",
}

#: Urgency rank for sorting (most urgent first).
SEVERITY_RANK: dict[str, int] = {"breached": 0, "at_risk": 1, "ok": 2, "paused": 3, "done": 4}


def metric_name(metric: str) -> str:
    """``Metric.FIRST_RESPONSE`` → ``"first response"`` (unknown names: underscores become spaces)."""
    name = METRIC_NAMES.get(metric)
    return name if name is not None else str(metric).replace("_", " ")


@dataclass(frozen=True, slots=True)
class Countdown:
    """One metric's clock, described for humans. Build it with :func:`describe_timer`."""

    metric: str
    metric_name: str
    state: str
    headline: str
    due_text: str
    """``due Mon 10:00 CET``; ``was due today 09:35 CET`` once breached; empty when stopped or paused."""
    percent: int
    """Percent of the target used, clamped to 0–999 for display."""
    bar: str
    wall_left: timedelta | None
    """Wall-clock time until due (None when paused, stopped or already past due)."""
    business_left: timedelta | None
    """Business time until due (None when stopped; negative when over)."""
    severity: Severity

    @property
    def emoji(self) -> str:
        return SEVERITY_EMOJI[self.severity]

    @property
    def wall_text(self) -> str:
        """``in 2d 18h`` when the wall time left differs from the business time left, else empty."""
        if self.wall_left is None or self.business_left is None:
            return ""
        if abs(self.wall_left - self.business_left) < timedelta(minutes=1):
            return ""
        return f"in {format_duration(self.wall_left)}"

    def line(self, *, with_wall: bool = False) -> str:
        """``first response · 1h 10m left · due Mon 10:00 CET · 71 % ▰▰▰▰▰▰▰▱▱▱``.

        ``with_wall`` adds the wall time left after the due time when it differs from the
        business time left (``due Mon 10:00 CET (in 2d 18h)``).
        """
        parts = [self.metric_name, self.headline]
        if self.due_text:
            wall = self.wall_text if with_wall else ""
            parts.append(f"{self.due_text} ({wall})" if wall else self.due_text)
        if self.state != TimerState.CANCELLED:
            parts.append(f"{self.percent} % {self.bar}")
        return " · ".join(parts)


def describe_timer(timer: MetricTimer, now: datetime, tz: ZoneInfo) -> Countdown:
    """Describe ``timer`` as of ``now`` in timezone ``tz`` (the client's / calendar's zone).

    Whether it is met, breached, at risk or paused is :func:`sla.standing.standing` (the one
    definition: the due second is breached). Pure, so memoised: one status answer sorts,
    summarises and renders each timer several times.
    """
    try:
        return _describe_cached(timer, now, tz)
    except TypeError:  # an unhashable stand-in timer (tests' fakes): compute directly
        return _describe(timer, now, tz)


def _describe(timer: MetricTimer, now: datetime, tz: ZoneInfo) -> Countdown:
    state = str(timer.state)
    remaining: timedelta = timer.remaining
    elapsed: timedelta = timer.business_elapsed
    target: timedelta = timer.target
    due_at: datetime | None = timer.due_at
    stopped_at = timer.stopped_at
    breached_at = getattr(timer, "breached_at", None)
    percent = _display_percent(elapsed, target, timer)
    stands = standing_of(state, stopped_at, breached_at, remaining, elapsed, target)
    stopped = stopped_at is not None or stands == "met" or stands == "cancelled"

    wall_left: timedelta | None = None
    business_left: timedelta | None = None if stopped else remaining
    due_text = ""
    severity: Severity

    if stands == "cancelled":
        headline, severity, business_left = "cancelled", "done", None
    elif stands == "met":
        headline, severity = f"met in {format_duration(elapsed)}", "done"
    elif stands == "breached" and stopped:
        headline, severity = f"breached {_over(-remaining)}", "breached"
    elif stands == "breached" and is_paused_of(state, stopped_at, timer.resumed_at, timer.pause_reason):
        label = _paused_label(timer.pause_reason)
        headline, severity = f"{label} · over by {format_duration(-remaining)}", "breached"
    elif stands == "breached":
        since = breached_at or due_at
        if since is not None and now >= since:
            headline = f"breached {format_duration(now - since)} ago"
        else:
            headline = f"breached {_over(-remaining)}"
        severity = "breached"
        if due_at is not None:
            due_text = "was due " + when_phrase(due_at, now, tz)
    elif stands == "paused":
        headline, severity = (
            f"{_paused_label(timer.pause_reason)} · {format_duration(remaining)} left",
            "paused",
        )
    else:
        headline = f"{format_duration(remaining)} left"
        severity = "at_risk" if stands == "at_risk" else "ok"
        if due_at is not None:
            due_text = "due " + when_phrase(due_at, now, tz)
            wall_left = due_at - now if due_at > now else _ZERO

    metric = timer.metric
    return _countdown(  # Countdown(...) in field order
        str(metric),  # metric
        metric_name(metric),  # metric_name
        state,  # state
        headline,  # headline
        due_text,  # due_text
        percent,  # percent
        _bar(percent),  # bar
        wall_left,  # wall_left
        business_left,  # business_left
        severity,  # severity
    )


_ZERO = timedelta(0)


def _paused_label(pause_reason: str | None) -> str:
    reason = " ".join((pause_reason or "").split())
    return f"paused ({reason})" if reason else "paused"


def _over(over: timedelta) -> str:
    """``by 1h 5m``; ``on the due second`` for a breach by less than a second (a reply must land
    before the due instant)."""
    if over < timedelta(seconds=1):
        return "on the due second"
    return f"by {format_duration(over)}"


_describe_cached = lru_cache(maxsize=4096)(_describe)
_countdown = slot_builder(Countdown)


def display_percent(timer: MetricTimer) -> int:
    """Percent of the target used, as an int clamped to 0–999.

    Computed from ``business_elapsed / target`` (unambiguous), falling back to
    ``percent_used`` when the target is zero.
    """
    return _display_percent(timer.business_elapsed, timer.target, timer)


def _display_percent(elapsed: timedelta, target: timedelta, timer: MetricTimer) -> int:
    """:func:`display_percent` of ``timer``, whose elapsed and target the caller has read already."""
    target_seconds = target.total_seconds()
    if target_seconds > 0:
        value = elapsed.total_seconds() / target_seconds * 100
    else:
        value = float(timer.percent_used) if timer.percent_used is not None else 0.0
    if not math.isfinite(value):
        return 999 if value > 0 else 0
    floor = math.floor(value + 1e-9)
    return 0 if floor < 0 else 999 if floor > 999 else floor


def progress_bar(percent: float, cells: int = BAR_CELLS) -> str:
    """``71`` → ``▰▰▰▰▰▰▰▱▱▱``: one filled cell per full 10 %, full at 100 % and beyond."""
    if not math.isfinite(percent):
        percent = 100 if percent > 0 else 0
    filled = int(min(max(percent, 0), 100) * cells // 100)
    return BAR_FULL * filled + BAR_EMPTY * (cells - filled)


@lru_cache(maxsize=1024)
def _bar(percent: int) -> str:
    """:func:`progress_bar` of a displayed percent (0–999), kept."""
    return progress_bar(percent)


def zone_abbreviation(local: datetime) -> str:
    """``CET``/``CEST``/``EDT``; zones without a letter abbreviation read ``UTC-03`` / ``UTC+05:45``."""
    abbr = local.tzname() or ""  # what strftime("%Z") prints, without formatting a string
    if abbr and abbr[0] in "+-":
        sign, digits = abbr[0], abbr[1:]
        if len(digits) == 4 and digits[2:] != "00":
            return f"UTC{sign}{digits[:2]}:{digits[2:]}"
        return f"UTC{sign}{digits[:2]}"
    return abbr or "UTC"


def due_phrase(due_at: datetime, now: datetime, tz: ZoneInfo) -> str:
    """``due today 16:30 CET``, ``due tomorrow 09:00 CET``, ``due Mon 10:00 CET``,
    ``due Mon 16 Nov 10:00 CET`` (more than 6 days away; the year is added when it differs)."""
    return "due " + when_phrase(due_at, now, tz)


def when_phrase(at: datetime, now: datetime, tz: ZoneInfo) -> str:
    """An instant relative to ``now``, in ``tz``: ``today 16:30 CET``, ``yesterday 09:00 CET``,
    ``tomorrow 09:00 CET``, ``Mon 10:00 CET``, ``Mon 16 Nov 10:00 CET``."""
    day, clock, weekday, day_month, year = _reading(at, tz)
    today = _local_day(now, tz)
    days = (day - today).days
    if days == 0:
        return f"today {clock}"
    if days == 1:
        return f"tomorrow {clock}"
    if days == -1:
        return f"yesterday {clock}"
    if abs(days) <= 6:
        return f"{weekday} {clock}"
    return f"{weekday} {day_month}{'' if year == today.year else f' {year}'} {clock}"


@lru_cache(maxsize=8192)
def _reading(at: datetime, tz: ZoneInfo) -> tuple[date, str, str, str, int]:
    """``at`` read in ``tz``: its local date, ``16:30 CET``, ``Mon``, ``16 Nov`` and the year (kept: a
    due instant is printed again in every answer until its ticket changes, and reading it in a zone
    costs more than the rest of the phrase)."""
    local = at.astimezone(tz)
    clock = f"{local.hour:02d}:{local.minute:02d} {zone_abbreviation(local)}"
    return local.date(), clock, f"{local:%a}", f"{local.day} {local:%b}", local.year


@lru_cache(maxsize=64)
def _local_day(now: datetime, tz: ZoneInfo) -> date:
    """``now``'s date in ``tz`` (kept: every countdown of a page shares its ``now``)."""
    return now.astimezone(tz).date()


@dataclass(frozen=True, slots=True)
class TicketView:
    """What a surface needs to show one ticket: identity, people, where it lives, its clocks."""

    ref: str
    title: str
    client_name: str
    priority: str
    status: str
    timers: Sequence[MetricTimer] = field(default_factory=tuple)
    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    assignee: str | None = None
    """Slack user id of the agent who owns the ticket."""
    channel_id: str | None = None
    thread_ts: str | None = None
    permalink: str | None = None
    client_key: str | None = None
    requester: str | None = None
    """Slack user id of the client who opened the ticket."""
    external: str | None = None
    """What the helpdesk the ticket came from calls it (``ZD-35436``, ``GLX-7``); None for Slack's own."""

    @property
    def name(self) -> str:
        """``T-12 · ZD-35436`` (the reference, and the helpdesk's id when there is one)."""
        return f"{self.ref} · {self.external}" if self.external else self.ref

    @property
    def is_paused(self) -> bool:
        return any(str(t.state) == TimerState.PAUSED for t in self.timers)

    @property
    def is_resolved(self) -> bool:
        return is_final_status(self.status)


def current_timers(timers: Sequence[MetricTimer]) -> list[MetricTimer]:
    """The latest cycle of each metric, in display order; cancelled cycles are skipped when the
    metric has a live one."""
    latest: dict[str, MetricTimer] = {}
    for timer in timers:
        key = timer.metric  # a Metric is the str it names: one key for the member and its value
        best = latest.get(key)
        if best is None or _cycle_rank(timer) > _cycle_rank(best):
            latest[key] = timer
    if len(latest) == 1:
        return list(latest.values())
    return sorted(latest.values(), key=_display_order)


_METRIC_RANK = {m.value: i for i, m in enumerate(METRIC_ORDER)}


def _display_order(timer: MetricTimer) -> tuple[int, str]:
    metric = str(timer.metric)
    return _METRIC_RANK.get(metric, 99), metric


def _cycle_rank(timer: MetricTimer) -> tuple[int, int]:
    return (0 if str(timer.state) == TimerState.CANCELLED else 1, timer.cycle)


def ticket_urgency(ticket: TicketView, now: datetime) -> tuple[int, float, int, str]:
    """Sort key: breached first, then at risk, then by business time left, then by ref (T-2 before T-12)."""
    return urgency(ticket, [describe_timer(t, now, ticket.tz) for t in current_timers(ticket.timers)])


def described(ticket: TicketView, now: datetime) -> list[tuple[MetricTimer, Countdown]]:
    """The ticket's :func:`current_timers`, each with its :func:`describe_timer` (computed once: a page
    of ``/sla status`` sorts, summarises and renders a ticket from the same countdowns)."""
    tz = ticket.tz
    return [(timer, _describe(timer, now, tz)) for timer in current_timers(ticket.timers)]


def urgency(ticket: TicketView, countdowns: Sequence[Countdown]) -> tuple[int, float, int, str]:
    """:func:`ticket_urgency` from the countdowns of the ticket's current timers."""
    rank, left = 5, math.inf
    for countdown in countdowns:
        rank = min(rank, SEVERITY_RANK[countdown.severity])
        if countdown.business_left is not None and countdown.severity != "paused":
            left = min(left, countdown.business_left.total_seconds())
    return (rank, left, _ref_number(ticket.ref), ticket.ref)


@lru_cache(maxsize=8192)
def _ref_number(ref: str) -> int:
    """The number in a ticket reference (``T-12`` → 12), for sorting T-2 before T-12."""
    digits = "".join(ch for ch in ref if ch in "0123456789")[:18]
    return int(digits) if digits else 0
