"""A small stand-in for ``sla.contracts.ContractVersion`` with the attributes the timers use.

The timers depend on these attributes only (duck typing), so the fake and the real class
are interchangeable. Its targets, warnings and escalation steps are the real values of
:mod:`sla.contracts` (``Target``, ``Threshold``, ``EscalationLevel``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sla.calendar import BusinessCalendar
from sla.contracts import AlertRouting, EscalationLevel, Target, Threshold
from sla.durations import parse_duration
from sla.metrics import Metric

ALWAYS = BusinessCalendar.always(name="always")
OFFICE = BusinessCalendar.from_config({"timezone": "UTC", "hours": {"mon-fri": "09:00-17:00"}}, name="office")
BERLIN = BusinessCalendar.from_config(
    {
        "timezone": "Europe/Berlin",
        "hours": {"mon-fri": "09:00-17:00"},
        "holidays": {"country": "DE", "subdivision": "BE"},
    },
    name="berlin",
)
CALENDARS = {"always": ALWAYS, "office": OFFICE, "berlin": BERLIN}


@dataclass
class FakeVersion:
    targets: dict[str, dict[Metric, Target]]
    pause_on: dict[str, frozenset[Metric]] = field(default_factory=dict)
    warn_at: tuple[Threshold, ...] = ()
    alerts: AlertRouting = field(default_factory=AlertRouting)
    default_priority: str = "P3"

    @property
    def priorities(self) -> tuple[str, ...]:
        return tuple(self.targets)

    def target_for(self, priority: str, metric: Metric) -> Target | None:
        return self.targets[priority].get(metric)

    def pauses(self, status: str, metric: Metric) -> bool:
        return metric in self.pause_on.get(status, frozenset())


def make_version(
    targets: Mapping[str, Mapping[str, str]],
    *,
    calendar: str = "always",
    pause_on: Mapping[str, tuple[str, ...]] | None = None,
    warn_at: tuple[str, ...] = (),
    escalation: tuple[str, ...] = (),
    default_priority: str | None = None,
) -> FakeVersion:
    """``targets={"P1": {"first_response": "15m", "calendar": "always"}}`` like the contract file."""
    built: dict[str, dict[Metric, Target]] = {}
    for priority, spec in targets.items():
        cal_name = spec.get("calendar", calendar)
        built[priority] = {
            Metric(m): Target(Metric(m), parse_duration(d), cal_name, CALENDARS[cal_name])
            for m, d in spec.items()
            if m != "calendar"
        }
    thresholds = tuple(Threshold.parse(w) for w in warn_at)
    pauses = {
        status: frozenset(Metric(m) for m in metrics)
        for status, metrics in (pause_on if pause_on is not None else {}).items()
    }
    return FakeVersion(
        targets=built,
        pause_on=pauses,
        warn_at=thresholds,
        alerts=AlertRouting(
            escalation=tuple(EscalationLevel(parse_duration(s), notify=()) for s in escalation)
        ),
        default_priority=default_priority or list(targets)[-1],
    )


ALL_PAUSE = ("first_response", "next_response", "periodic_update", "resolution")


def at(day: int, hour: int, minute: int = 0, second: int = 0, month: int = 3) -> datetime:
    """An instant in 2026 (UTC). 2026-03-02 is a Monday."""
    return datetime(2026, month, day, hour, minute, second, tzinfo=UTC)
