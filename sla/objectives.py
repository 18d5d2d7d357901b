"""Attainment objectives ("95 % of P1 first responses met per calendar month"), error budgets
and multi-window, multi-burn-rate alerts.

**Attainment** over a window counts the *decided* timers of the objective's metric (and
priority, when given): met or breached. Open timers are not decided yet; cancelled ones never
count (the definitions of ``sla.compliance``). A timer is decided when it stopped in time
(``stopped_at``) or when it went past due (``breached_at``).

**Error budget** = the misses the objective allows: ``(1 − target) × expected total``. The
expected total defaults to the decided count so far; pass the month's forecast (e.g. last
month's volume) to see the budget of the whole window early on.

**Burn rate** over a lookback = (miss ratio in the lookback) / (1 − target): 1 means the
budget would be used up exactly at the end of the window; 14.4 means in 1/14.4 of it.

**Alerts** follow the Google SRE workbook, chapter "Alerting on SLOs" (multiwindow,
multi-burn-rate), whose windows assume a 30-day budget window. Here every lookback is
**scaled by (objective window length / 30 days)**, so a calendar month keeps the workbook's
figures (×31/30 in a 31-day month) and a week uses 7/30 of them:

==========  ==========  ===========  ============
severity    burn rate   long window  short window
==========  ==========  ===========  ============
page        ≥ 14.4      1 h          5 m
page        ≥ 6         6 h          30 m
ticket      ≥ 1         3 d          6 h
==========  ==========  ===========  ============

A rule fires when the burn rate is at or above its threshold over **both** windows, each
window being ``(now − length, now]``.

Ticket SLAs give sparse outcomes (a handful of P1 responses a day, not thousands of requests
a minute), so a ratio over few outcomes is mostly noise. The rule here: the **long** window
must hold at least ``min_decided`` (default 3) decided outcomes; the **short** window must
hold at least one (its job is only to show the burn is still going on, i.e. a recent miss).
Without enough outcomes no alert fires.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any, Literal

from sla.durations import format_duration
from sla.periods import Period
from sla.standing import decided_at, is_breached

Severity = Literal["page", "ticket"]
BUDGET_WINDOW = timedelta(days=30)
MIN_DECIDED = 3


@dataclass(frozen=True)
class BurnRule:
    severity: Severity
    burn_rate: float
    long_window: timedelta
    short_window: timedelta


WORKBOOK_RULES: tuple[BurnRule, ...] = (
    BurnRule("page", 14.4, timedelta(hours=1), timedelta(minutes=5)),
    BurnRule("page", 6.0, timedelta(hours=6), timedelta(minutes=30)),
    BurnRule("ticket", 1.0, timedelta(days=3), timedelta(hours=6)),
)
"""The workbook's recommended rules, for a 30-day budget window (scaled per objective)."""


@dataclass(frozen=True)
class Objective:
    """``target_ratio`` (0–1) of ``metric`` (at ``priority``; None = all) met per ``window``."""

    metric: str
    priority: str | None
    target_ratio: float
    window: str = "month"
    """``week``, ``month`` or ``quarter`` (calendar units in the client's zone)."""

    def __post_init__(self) -> None:
        if not 0 < self.target_ratio <= 1:
            raise ValueError(f"an objective's target is a ratio in (0, 1], got {self.target_ratio}")

    @classmethod
    def from_contract(cls, objective: Any) -> Objective:
        """From the contract file's objective (``target`` in percent, priority "all" or None = all)."""
        priority = getattr(objective, "priority", None)
        if priority in ("all", "", None):
            priority = None
        target = getattr(objective, "target", None)
        if target is None:
            target = float(objective.target_ratio) * 100
        return cls(
            metric=str(objective.metric),
            priority=priority,
            target_ratio=float(Decimal(repr(float(target))) / 100),
            window=str(getattr(objective, "window", "month")),
        )

    def describe(self) -> str:
        """``95 % of P1 first responses met per month``."""
        who = f"{self.priority} " if self.priority else ""
        what = self.metric.replace("_", " ")
        return f"{_ratio_pct(self.target_ratio)} of {who}{what}s met per {self.window}"

    def applies_to(self, priority: str, metric: str) -> bool:
        return str(metric) == self.metric and (self.priority is None or str(priority) == self.priority)


@dataclass(frozen=True)
class Attainment:
    total: int
    """Decided outcomes in the window."""
    met: int
    ratio: float | None
    """met / total; None when nothing is decided yet."""
    error_budget: float
    """Allowed misses: (1 − target) × expected total."""
    budget_used: int
    """Misses so far."""
    budget_remaining: float
    """error_budget − misses; negative once the objective cannot be met any more."""
    target_ratio: float = 0.0
    expected_total: int = 0

    @property
    def misses(self) -> int:
        return self.total - self.met

    @property
    def objective_met(self) -> bool | None:
        """Whether the ratio so far meets the target (None with no outcome)."""
        if self.ratio is None:
            return None
        return Fraction(self.met, self.total) >= _frac(self.target_ratio)

    @property
    def budget_used_ratio(self) -> float | None:
        """Share of the budget spent (1.0 = all of it); None when the budget is zero."""
        return None if self.error_budget <= 0 else self.budget_used / self.error_budget


@dataclass(frozen=True)
class BurnAlert:
    severity: Severity
    long_window: timedelta
    short_window: timedelta
    burn_long: float
    burn_short: float
    message: str
    threshold: float = 0.0
    decided_long: int = 0
    decided_short: int = 0


def _frac(x: float) -> Fraction:
    return Fraction(Decimal(repr(x)))


def _ratio_pct(r: float) -> str:
    return f"{float(_frac(r) * 100):g} %"


def outcomes_from_rows(objective: Objective, rows: Iterable[Any]) -> list[tuple[datetime, bool]]:
    """``(decided_at, met)`` for every decided timer row the objective applies to.

    Met rows are decided at ``stopped_at``; breached rows at ``breached_at``; open and
    cancelled rows are skipped. Sorted by time.
    """
    out: list[tuple[datetime, bool]] = []
    for row in rows:
        if not objective.applies_to(row.priority, row.metric):
            continue
        at = decided_at(row)
        if at is not None:
            out.append((at, not is_breached(row)))
    out.sort(key=lambda o: o[0])
    return out


def attainment(
    objective: Objective,
    outcomes: Iterable[tuple[datetime, bool]],
    window: Period,
    *,
    expected_total: int | None = None,
) -> Attainment:
    """Attainment and error budget of ``objective`` over ``window`` (outcomes outside are ignored)."""
    inside = [met for at, met in outcomes if window.contains(at)]
    total, met = len(inside), sum(1 for m in inside if m)
    expected = total if expected_total is None else max(expected_total, total)
    budget = float((1 - _frac(objective.target_ratio)) * expected)
    misses = total - met
    return Attainment(
        total=total,
        met=met,
        ratio=(met / total) if total else None,
        error_budget=budget,
        budget_used=misses,
        budget_remaining=budget - misses,
        target_ratio=objective.target_ratio,
        expected_total=expected,
    )


def _burn(outcomes: Sequence[tuple[datetime, bool]], since: datetime, now: datetime, budget: Fraction):
    inside = [met for at, met in outcomes if since < at <= now]
    if not inside:
        return 0.0, 0
    misses = sum(1 for m in inside if not m)
    if budget == 0:
        return (float("inf") if misses else 0.0), len(inside)
    return float(Fraction(misses, len(inside)) / budget), len(inside)


def scaled_rules(window: Period, rules: Sequence[BurnRule] = WORKBOOK_RULES) -> list[BurnRule]:
    """The rules with windows scaled by window length / 30 days (rounded to whole seconds)."""
    factor = window.duration / BUDGET_WINDOW
    return [
        BurnRule(
            r.severity,
            r.burn_rate,
            timedelta(seconds=round(r.long_window.total_seconds() * factor)),
            timedelta(seconds=round(r.short_window.total_seconds() * factor)),
        )
        for r in rules
    ]


def burn_rate_alerts(
    objective: Objective,
    outcomes: Iterable[tuple[datetime, bool]],
    window: Period,
    now: datetime,
    *,
    min_decided: int = MIN_DECIDED,
    rules: Sequence[BurnRule] = WORKBOOK_RULES,
) -> list[BurnAlert]:
    """The rules firing at ``now`` (most severe first; see the module docstring)."""
    ordered = sorted(outcomes, key=lambda o: o[0])
    budget = 1 - _frac(objective.target_ratio)
    alerts: list[BurnAlert] = []
    for rule in scaled_rules(window, rules):
        burn_long, n_long = _burn(ordered, now - rule.long_window, now, budget)
        burn_short, n_short = _burn(ordered, now - rule.short_window, now, budget)
        if n_long < min_decided or n_short < 1:
            continue
        if burn_long >= rule.burn_rate and burn_short >= rule.burn_rate:
            alerts.append(
                BurnAlert(
                    severity=rule.severity,
                    long_window=rule.long_window,
                    short_window=rule.short_window,
                    burn_long=burn_long,
                    burn_short=burn_short,
                    message=_message(objective, rule, burn_long, burn_short, n_long, window),
                    threshold=rule.burn_rate,
                    decided_long=n_long,
                    decided_short=n_short,
                )
            )
    alerts.sort(key=lambda a: (a.severity != "page", -a.threshold))
    return alerts


def _rate(x: float) -> str:
    return "∞" if x == float("inf") else f"{x:.1f}×"


def _message(
    objective: Objective, rule: BurnRule, burn_long: float, burn_short: float, n_long: int, window: Period
) -> str:
    lead = "Objective at risk" if rule.severity == "page" else "Objective burning budget"
    if burn_long == float("inf"):
        pace = "the objective allows no miss"
    else:
        pace = f"at this pace the {objective.window}'s error budget lasts {format_duration(window.duration / burn_long)}"
    return (
        f"{lead}: {objective.describe()} — burn rate {_rate(burn_long)} over the last "
        f"{format_duration(rule.long_window)} ({n_long} decided) and {_rate(burn_short)} over "
        f"{format_duration(rule.short_window)} (alert at {rule.burn_rate:g}×); {pace}"
    )
