"""Compliance figures: how many SLA timers were met, breached or are still open, and how fast.

Pure functions over *timer rows* — one row per ticket × metric × cycle, as
:func:`sla.replay.replay` produces them (:class:`sla.replay.ReplayRow`). Any object with
the attributes of :class:`TimerRow` works, so reports (issue 7) can feed rows built from
storage as well as from a replay.

Definitions (the same everywhere slabot prints a compliance figure; the predicates are
``sla.standing``'s, so the due second is breached here as on the card):

- **met**: the timer stopped in time (state ``met``).
- **breached**: the timer went past its due instant (state ``breached``), whether it has
  stopped since or is still running — a running timer that is already late counts as
  breached, because nothing can make it met any more.
- **open**: running or paused and not yet past due — not decided yet, so it counts in
  neither the numerator nor the denominator.
- **cancelled** timers (the ticket closed before the clock mattered) are left out of every
  figure except the ``cancelled`` count.
- **compliance %** = met / (met + breached) × 100; ``None`` when nothing is decided yet.
- **time to meet**: business elapsed at the stop, for every *stopped* timer (met, or
  breached and stopped since), on the timer's own calendar. Median and p90 use **linear
  interpolation between closest ranks** (the "inclusive" method: numpy's and pandas'
  default), rounded to whole seconds; with one value both are that value.
- **paused**: wall-clock time a timer spent paused (e.g. waiting on the client), summed and
  medianed (same percentile method) over the *stopped* counted timers of the group (a breached
  timer still open is still accruing it, so it is not a figure yet).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from operator import attrgetter

from sla.durations import format_duration
from sla.metrics import Metric, TimerState
from sla.standing import is_breached

GROUP_FIELDS = ("client", "priority", "metric")
"""Attributes a compliance table can be grouped by (any non-empty subset, in any order)."""


@dataclass(frozen=True, slots=True)
class TimerRow:
    """One timer of one ticket in a report: ticket × metric × cycle (all seconds are whole).

    The one report row of slabot: the replay makes them (``sla.replay.ReplayRow`` is this class),
    reports build them from stored timers (``bot.services.reports.ReportTimer``). Compliance reads
    them by attribute name, so any object with these attributes works as well."""

    ticket_id: str
    client: str
    priority: str
    metric: str
    cycle: int
    target_seconds: int
    started_at: datetime
    due_at: datetime | None
    stopped_at: datetime | None
    business_elapsed_seconds: int
    state: str
    breached_at: datetime | None
    paused_seconds: int
    contract: str = ""
    version: int = 0
    """Which contract and version (1-based number) the ticket was measured against (0: not known)."""
    channel_id: str | None = None
    thread_ts: str | None = None
    """The ticket's Slack thread (for links in reports), when it has one."""


@dataclass(frozen=True, slots=True)
class ComplianceLine:
    """The figures of one group (e.g. acme × P2 × first_response)."""

    key: tuple[str, ...]
    """The group's values, in the order of ``group_by``."""
    group_by: tuple[str, ...]
    tickets: int
    """Distinct tickets with at least one counted (not cancelled) timer in the group."""
    timers: int
    """Counted timers (cycles included; cancelled ones excluded)."""
    met: int
    breached: int
    open: int
    cancelled: int
    compliance_percent: float | None
    median_to_meet: timedelta | None
    p90_to_meet: timedelta | None
    paused_total: timedelta
    paused_median: timedelta | None
    targets: tuple[timedelta, ...] = field(default=())
    """The distinct targets seen in the group (several when contract versions differ)."""

    def value(self, name: str) -> str | None:
        """The group's value for ``name`` (``"client"``, ``"priority"``, ``"metric"``), or None."""
        try:
            return self.key[self.group_by.index(name)]
        except ValueError:
            return None

    @property
    def client(self) -> str | None:
        return self.value("client")

    @property
    def priority(self) -> str | None:
        return self.value("priority")

    @property
    def metric(self) -> str | None:
        return self.value("metric")

    @property
    def decided(self) -> int:
        return self.met + self.breached


@dataclass(frozen=True, slots=True)
class Trend:
    """One group's compliance now against the previous period."""

    key: tuple[str, ...]
    current: ComplianceLine | None
    previous: ComplianceLine | None
    change_pp: float | None
    """Percentage points (current − previous); None when either side has no decided timer."""


def percentile(values: Sequence[float], p: float) -> float:
    """The ``p``-th percentile (0–100) of ``values`` by linear interpolation between closest ranks.

    The "inclusive" definition (numpy ``linear``, pandas default, ``statistics.quantiles(...,
    method="inclusive")``): rank ``h = (n − 1) · p / 100`` on the sorted values, interpolated.
    """
    if not values:
        raise ValueError("percentile of no values")
    if not 0 <= p <= 100:
        raise ValueError(f"percentile must be within 0..100, got {p}")
    ordered = sorted(values)
    h = (len(ordered) - 1) * p / 100
    lo = math.floor(h)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (h - lo)


def _seconds_td(value: float) -> timedelta:
    return timedelta(seconds=round(value))


_METRIC_ORDER = {m.value: i for i, m in enumerate(Metric)}


def _natural(text: str) -> tuple[object, ...]:
    """Sort key that puts P2 before P10."""
    digits = "".join(ch for ch in text if ch.isdigit())
    prefix = "".join(ch for ch in text if not ch.isdigit())
    return (prefix, int(digits) if digits else -1, text)


def _sort_key(group_by: tuple[str, ...]) -> Callable[[ComplianceLine], tuple[object, ...]]:
    def key(line: ComplianceLine) -> tuple[object, ...]:
        parts: list[object] = []
        for name, value in zip(group_by, line.key, strict=True):
            if name == "metric":
                parts.append((_METRIC_ORDER.get(value, len(_METRIC_ORDER)), value))
            elif name == "priority":
                parts.append(_natural(value))
            else:
                parts.append(value)
        return tuple(parts)

    return key


def compliance_table(
    rows: Iterable[TimerRow], *, group_by: Sequence[str] = GROUP_FIELDS
) -> list[ComplianceLine]:
    """Group timer rows and compute each group's figures (see the module docstring).

    Lines are sorted by the grouped values (clients alphabetically, priorities P1 before P2,
    metrics in engine order: first_response, next_response, periodic_update, resolution).
    """
    fields = tuple(group_by)
    if not fields:
        raise ValueError(f"group_by needs at least one of {', '.join(GROUP_FIELDS)}")
    for name in fields:
        if name not in GROUP_FIELDS:
            raise ValueError(f"cannot group by {name!r} — use any of {', '.join(GROUP_FIELDS)}")
    groups: dict[tuple[str, ...], list[TimerRow]] = {}
    values = attrgetter(*fields)
    for row in rows:
        found = values(row)
        key = tuple(map(str, found)) if len(fields) > 1 else (str(found),)
        groups.setdefault(key, []).append(row)
    lines = [_line(key, fields, members) for key, members in groups.items()]
    lines.sort(key=_sort_key(fields))
    return lines


_MET = TimerState.MET.value
_BREACHED = TimerState.BREACHED.value
_CANCELLED = TimerState.CANCELLED.value


def _line(key: tuple[str, ...], fields: tuple[str, ...], rows: list[TimerRow]) -> ComplianceLine:
    met = breached = still_open = cancelled = 0
    tickets: set[str] = set()
    to_meet: list[float] = []
    paused: list[float] = []
    targets: set[int] = set()
    for row in rows:
        state = str(row.state)
        if state == _CANCELLED:
            cancelled += 1
            continue
        tickets.add(row.ticket_id)
        targets.add(row.target_seconds)
        if row.stopped_at is not None:  # a live timer's paused time is still growing
            paused.append(row.paused_seconds)
        if is_breached(row):
            breached += 1
        elif state == _MET:
            met += 1
        else:
            still_open += 1
        if row.stopped_at is not None and state in (_MET, _BREACHED):
            to_meet.append(row.business_elapsed_seconds)
    decided = met + breached
    return ComplianceLine(
        key=key,
        group_by=fields,
        tickets=len(tickets),
        timers=met + breached + still_open,
        met=met,
        breached=breached,
        open=still_open,
        cancelled=cancelled,
        compliance_percent=(100.0 * met / decided) if decided else None,
        median_to_meet=_seconds_td(percentile(to_meet, 50)) if to_meet else None,
        p90_to_meet=_seconds_td(percentile(to_meet, 90)) if to_meet else None,
        paused_total=timedelta(seconds=sum(paused)),
        paused_median=_seconds_td(percentile(paused, 50)) if paused else None,
        targets=tuple(timedelta(seconds=t) for t in sorted(targets)),
    )


def compare(current: Iterable[ComplianceLine], previous: Iterable[ComplianceLine]) -> list[Trend]:
    """Match two tables by group key and give the change in percentage points.

    Groups present on one side only appear with the other side ``None``. Order: the current
    table's order, then groups seen only in the previous period.
    """
    prev_by_key = {line.key: line for line in previous}
    trends: list[Trend] = []
    seen: set[tuple[str, ...]] = set()
    for line in current:
        seen.add(line.key)
        before = prev_by_key.get(line.key)
        trends.append(Trend(line.key, line, before, _change(line, before)))
    for key, before in prev_by_key.items():
        if key not in seen:
            trends.append(Trend(key, None, before, None))
    return trends


def _change(now: ComplianceLine | None, before: ComplianceLine | None) -> float | None:
    if now is None or before is None:
        return None
    if now.compliance_percent is None or before.compliance_percent is None:
        return None
    return now.compliance_percent - before.compliance_percent


def _pct(line: ComplianceLine) -> str:
    return "—" if line.compliance_percent is None else f"{line.compliance_percent:.1f}%"


def _dur(value: timedelta | None) -> str:
    return "—" if value is None else format_duration(value)


def format_table(lines: Sequence[ComplianceLine]) -> str:
    """An aligned plain-text table: the grouped columns, tickets, met %, breached, open, median, p90.

    Numbers are right-aligned; durations use ``sla.durations.format_duration``
    (business time on the timer's calendar). An empty table says so.
    """
    if not lines:
        return "(no SLA timers to report)"
    group_by = lines[0].group_by
    header = [*group_by, "tickets", "met %", "breached", "open", "median", "p90"]
    body = [
        [
            *line.key,
            str(line.tickets),
            _pct(line),
            str(line.breached),
            str(line.open),
            _dur(line.median_to_meet),
            _dur(line.p90_to_meet),
        ]
        for line in lines
    ]
    left = len(group_by)
    widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]

    def render(cells: list[str]) -> str:
        out = [
            c.ljust(w) if i < left else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ]
        return "  ".join(out).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([render(header), rule, *(render(r) for r in body)])
