"""Uptime of the services a contract covers, from downtime incidents and planned maintenance.

The convention (the common cloud one, e.g. the big providers' SLAs):

- **Measured time** = the period, up to ``now`` when the period is not over, **minus planned
  maintenance** of that service. Maintenance is neither uptime nor downtime: it is left out of
  the measurement altogether, so a service that is down only during announced maintenance is at
  100 %.
- **Downtime** = the *union* of the service's unplanned incident intervals, clipped to the
  measured time. Overlapping incidents count once; an incident still open ends at ``now``.
- **Uptime %** = (measured − downtime) / measured × 100; 100 % when nothing was measured.
- **While the period runs**, ``uptime_percent`` is *to date*; ``period_percent`` is the whole
  period's figure with the downtime so far ("if nothing else goes down": the whole period's measured
  minutes, planned maintenance ahead excluded). Credits are computed on ``period_percent``, so a
  45-minute incident on the 2nd reads 98 % to date but lands in the tier of 99.9 % for the month.
- **Planned maintenance** comes from the contract (``uptime.maintenance``, declared there ahead
  of time, hence planned) and from incidents flagged ``planned=True`` (maintenance announced
  with the incident command; the use case sets the flag only when it was declared before it
  started). A window with no ``services`` covers every service.

Pure: ``now`` is a parameter and every datetime is aware.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol

from sla.contracts import MaintenanceWindow
from sla.periods import Period

__all__ = [
    "Incident",
    "MaintenanceWindow",
    "UptimeFigure",
    "exact_uptime_percent",
    "merge_intervals",
    "subtract_intervals",
    "target_for_service",
    "uptime",
    "uptime_for_version",
]

Interval = tuple[datetime, datetime]


class MaintenanceLike(Protocol):
    start: datetime
    end: datetime
    services: tuple[str, ...]


@dataclass(frozen=True)
class Incident:
    """A stretch of downtime of one service; ``end`` is None while it lasts."""

    service: str
    start: datetime
    end: datetime | None = None
    planned: bool = False
    reason: str | None = None

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or (self.end is not None and self.end.tzinfo is None):
            raise ValueError("incident times must be timezone-aware")
        if self.end is not None and self.end < self.start:
            raise ValueError(f"incident on {self.service} ends before it starts")

    def interval(self, now: datetime) -> Interval:
        """``[start, end)``, an ongoing incident ending at ``now`` (never before its start)."""
        end = self.end if self.end is not None else max(now, self.start)
        return (self.start, end)


@dataclass(frozen=True)
class UptimeFigure:
    service: str
    period: Period
    total_seconds: float
    """Measured seconds: the period up to ``now``, planned maintenance excluded."""
    downtime_seconds: float
    excluded_maintenance_seconds: float
    uptime_percent: float
    target_percent: float | None
    met: bool | None
    """``uptime_percent >= target_percent``; None without a target."""
    incidents: list[Incident] = field(default_factory=list)
    """The service's incidents touching the period, planned ones included, by start."""
    period_seconds: float | None = None
    """Measured seconds of the **whole** period (planned maintenance excluded), also while it runs:
    what the month's uptime and its credit are computed on. None: the same as ``total_seconds``."""
    provisional: bool = False
    """The period is not over (``now`` before its end): ``uptime_percent`` is to date, and
    :attr:`period_percent` is the whole period's figure if nothing else goes down."""

    @property
    def downtime(self) -> timedelta:
        return timedelta(seconds=self.downtime_seconds)

    @property
    def exact_percent(self) -> Decimal:
        """Uptime % as a Decimal from the seconds, for threshold comparisons without float noise."""
        return exact_uptime_percent(self.total_seconds, self.downtime_seconds)

    @property
    def period_percent(self) -> Decimal:
        """Uptime % over the whole period's minutes with the downtime so far ("if nothing else goes
        down"); the final figure once the period is over. Credits are computed on it."""
        whole = self.total_seconds if self.period_seconds is None else self.period_seconds
        return exact_uptime_percent(whole, self.downtime_seconds)

    @property
    def period_met(self) -> bool | None:
        """:attr:`period_percent` ≥ target; None without a target."""
        if self.target_percent is None:
            return None
        return self.period_percent >= Decimal(repr(float(self.target_percent)))


def exact_uptime_percent(total_seconds: float, downtime_seconds: float) -> Decimal:
    """(total − downtime) / total × 100 in Decimal (28 significant digits); 100 when total is 0."""
    total = Decimal(repr(total_seconds))
    if total <= 0:
        return Decimal(100)
    return (total - Decimal(repr(downtime_seconds))) * 100 / total


def merge_intervals(intervals: Iterable[Interval]) -> list[Interval]:
    """The union as sorted, disjoint, non-touching intervals (empty ones dropped)."""
    out: list[Interval] = []
    for start, end in sorted(i for i in intervals if i[1] > i[0]):
        if out and start <= out[-1][1]:
            if end > out[-1][1]:
                out[-1] = (out[-1][0], end)
        else:
            out.append((start, end))
    return out


def subtract_intervals(base: Iterable[Interval], cuts: Iterable[Interval]) -> list[Interval]:
    """``base`` minus ``cuts`` (both unions), as sorted disjoint intervals."""
    remaining = merge_intervals(base)
    for c_start, c_end in merge_intervals(cuts):
        nxt: list[Interval] = []
        for start, end in remaining:
            if c_end <= start or c_start >= end:
                nxt.append((start, end))
                continue
            if start < c_start:
                nxt.append((start, c_start))
            if c_end < end:
                nxt.append((c_end, end))
        remaining = nxt
    return remaining


def _clip(intervals: Iterable[Interval], lo: datetime, hi: datetime) -> list[Interval]:
    return [(max(s, lo), min(e, hi)) for s, e in intervals if e > lo and s < hi]


def _seconds(intervals: Iterable[Interval]) -> float:
    return sum((e - s).total_seconds() for s, e in intervals)


def _covers(window: MaintenanceLike, service: str) -> bool:
    services = tuple(getattr(window, "services", ()) or ())
    return not services or service in services


def uptime(
    service: str,
    incidents: Iterable[Incident],
    maintenance: Iterable[MaintenanceLike],
    period: Period,
    now: datetime,
    *,
    target_percent: float | None = None,
) -> UptimeFigure:
    """The uptime of ``service`` over ``period`` as known at ``now`` (see the module docstring)."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    lo, hi = period.start, min(period.end, max(now, period.start))
    mine = [i for i in incidents if i.service == service]
    touching = sorted(
        (i for i in mine if i.start < period.end and i.interval(now)[1] > period.start),
        key=lambda i: (i.start, i.end or now),
    )
    planned = [(w.start, w.end) for w in maintenance if _covers(w, service)]
    planned += [i.interval(now) for i in mine if i.planned]
    excluded = merge_intervals(_clip(planned, lo, hi))
    measured = subtract_intervals([(lo, hi)] if hi > lo else [], excluded)
    down = subtract_intervals(_clip([i.interval(now) for i in mine if not i.planned], lo, hi), excluded)
    total = _seconds(measured)
    downtime = _seconds(down)
    whole = _seconds(
        subtract_intervals([(period.start, period.end)], _clip(planned, period.start, period.end))
    )
    percent = 100.0 if total <= 0 else max(0.0, min(100.0, (total - downtime) / total * 100.0))
    return UptimeFigure(
        service=service,
        period=period,
        total_seconds=total,
        downtime_seconds=downtime,
        excluded_maintenance_seconds=_seconds(excluded),
        uptime_percent=percent,
        target_percent=target_percent,
        met=None
        if target_percent is None
        else exact_uptime_percent(total, downtime) >= Decimal(repr(float(target_percent))),
        incidents=touching,
        period_seconds=whole,
        provisional=now < period.end,
    )


def target_for_service(version: Any, service: str) -> float | None:
    """The uptime target (percent) of ``service`` in a contract version.

    The service's own ``uptime_target``, else the version's ``uptime.target``, else None.
    """
    for s in getattr(version, "services", ()) or ():
        if getattr(s, "name", None) == service and getattr(s, "uptime_target", None) is not None:
            return float(s.uptime_target)
    general = getattr(getattr(version, "uptime", None), "target", None)
    return None if general is None else float(general)


def uptime_for_version(
    version: Any,
    incidents: Sequence[Incident],
    period: Period,
    now: datetime,
    *,
    extra_maintenance: Sequence[MaintenanceLike] = (),
) -> list[UptimeFigure]:
    """Uptime of every service of a contract version that has an uptime target.

    Services without a target (own or general) are skipped: nothing was promised. Maintenance
    comes from the version's ``uptime.maintenance`` plus ``extra_maintenance``.
    """
    windows = list(getattr(getattr(version, "uptime", None), "maintenance", ()) or ()) + list(
        extra_maintenance
    )
    figures = []
    for s in getattr(version, "services", ()) or ():
        target = target_for_service(version, s.name)
        if target is None:
            continue
        figures.append(uptime(s.name, incidents, windows, period, now, target_percent=target))
    return figures
