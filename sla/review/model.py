"""The SLA review with a client: targets against actuals, breach patterns, recommendations, and a
proposed revision of the contract's targets.

:func:`review` reads the timer rows of the period (one per ticket × metric × cycle, as
``sla.replay.replay`` or storage produce them; ``sla.compliance`` defines met/breached/median/
p90) and gives, per priority × metric of the contract version: the target, met %, median and
p90 business time to meet, and a verdict:

- **too few**: fewer than :data:`MIN_DECIDED` decided timers — no advice on so little data.
- **missed**: met % below the expected level (the contract's attainment objective for that
  priority and metric, else :data:`DEFAULT_EXPECTED_PERCENT`) → "add staff in the hours where
  breaches cluster, or loosen the target to <proposal>".
- **too easy**: met % ≥ 99 and the median at most :data:`TIGHTEN_MEDIAN_SHARE` of the target →
  "the target could be tightened to <proposal>" (only when the proposal is below the target).
- **ok** otherwise.

A **proposal** is a round duration with headroom over what the team actually does:
``1.5 × p90``, rounded **up** to 15 minutes (up to 1 h), to whole hours (up to 24 h) or to
whole 24-hour days beyond (24 hours of the target's clock, as in ``sla.durations``). It is
only proposed when it differs from the current target in the right direction. Targets are
written in the contract file's form, in hours at most (``48h``, not ``2d``, since a business
"2d" would read as two working days).

The breach **heatmap** counts breaches by weekday × hour of ``breached_at`` in the client's
calendar time zone (the contract version's calendar); the densest run of hours on one
weekday is named ("Mon 09–11") when it holds at least two breaches.

The dry run of a revision (replaying last quarter under the revised version) is done by the
caller with ``sla.replay``; :func:`compare_compliance` words the before/after tables.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Literal

from sla.compliance import ComplianceLine, compliance_table

# the contract file writes targets in hours ("48h"): a business "2d" reads as two working days
from sla.contracts.values import hours_form as target_text
from sla.credits import CreditStatement
from sla.durations import format_duration
from sla.metrics import Metric
from sla.periods import Period
from sla.standing import is_breached

Verdict = Literal["ok", "missed", "too_easy", "too_few", "no_tickets"]

MIN_DECIDED = 5
DEFAULT_EXPECTED_PERCENT = 95.0
TIGHTEN_MET_PERCENT = 99.0
TIGHTEN_MEDIAN_SHARE = 0.25
HEADROOM = 1.5
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MIN_CLUSTER = 2


@dataclass(frozen=True)
class ReviewLine:
    priority: str
    metric: str
    target: timedelta | None
    decided: int
    met: int
    breached: int
    open: int
    met_percent: float | None
    median: timedelta | None
    p90: timedelta | None
    expected_percent: float
    verdict: Verdict
    proposal: timedelta | None = None
    """A revised target, when the verdict suggests one."""
    breach_cluster: str | None = None
    """Where this line's breaches cluster, e.g. ``Mon 09–11`` (client's time zone)."""
    tickets: int = 0
    """Distinct tickets behind the decided timers."""
    breach_weeks: int = 0
    """Distinct ISO weeks (client's time zone) with a breach of this line."""

    @property
    def label(self) -> str:
        return f"{self.priority} {metric_words(self.metric)}"


@dataclass(frozen=True)
class Review:
    client: str
    period: Period
    contract: str
    version: int
    timezone: str
    lines: list[ReviewLine]
    heatmap: tuple[tuple[int, ...], ...]
    """7 × 24 breach counts: ``heatmap[weekday][hour]``, Monday = 0, in ``timezone``."""
    recommendations: list[str]
    feedback: Any = None
    credits: CreditStatement | None = None
    notes: list[str] = field(default_factory=list)
    proposals: list[str] = field(default_factory=list)
    """The target changes a revision would make, vetted (``Vetting.lines``); empty: not vetted."""

    def heatmap_lines(self) -> list[str]:
        """One line per weekday with breaches: ``Mon  09h ×3  10h ×2``."""
        out = []
        for day, hours in enumerate(self.heatmap):
            cells = [f"{h:02d}h ×{n}" for h, n in enumerate(hours) if n]
            if cells:
                out.append(f"{WEEKDAYS[day]}  " + "  ".join(cells))
        return out or ["no breaches"]

    def text(self) -> str:
        head = f"SLA review — {self.client}, {self.period.label} (contract {self.contract} v{self.version})"
        parts = [head, "", "Targets against actuals:"]
        parts += [f"• {_line_text(line)}" for line in self.lines] or ["• no targets"]
        parts += ["", f"Breaches by weekday and hour ({self.timezone}):"]
        parts += [f"• {line}" for line in self.heatmap_lines()]
        if self.feedback is not None:
            parts += ["", "Feedback:"] + [f"• {line}" for line in feedback_lines(self.feedback)]
        if self.credits is not None:
            parts += ["", "Credits:"] + [f"• {line}" for line in self.credits.explanation_lines]
        parts += ["", "Recommendations:"]
        parts += [f"• {r}" for r in self.recommendations] or ["• none: every target is in line with the data"]
        if self.proposals:
            parts += ["", "Proposed target changes:"] + [f"• {p}" for p in self.proposals]
        return "\n".join(parts)


def metric_words(metric: str) -> str:
    return str(metric).replace("_", " ")


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f} %"


def _dur(value: timedelta | None) -> str:
    return "—" if value is None else format_duration(value)


def _line_text(line: ReviewLine) -> str:
    target = target_text(line.target) if line.target else "—"  # the file's form: 40h, not 1d 16h
    if line.decided == 0:
        return f"{line.label}: target {target}, no decided tickets"
    return (
        f"{line.label}: target {target}, met {_pct(line.met_percent)} ({line.met}/{line.decided}), "
        f"median {_dur(line.median)}, p90 {_dur(line.p90)}"
    )


def round_up_target(value: timedelta) -> timedelta:
    """Round up to 15 min (≤ 1 h), whole hours (≤ 1 d) or whole days; at least 15 minutes."""
    seconds = max(value.total_seconds(), 1)
    for limit, step in ((3600, 900), (86400, 3600)):
        if seconds <= limit:
            return timedelta(seconds=math.ceil(seconds / step) * step)
    return timedelta(days=math.ceil(seconds / 86400))


def propose_target(p90: timedelta) -> timedelta:
    """A round target with headroom over ``p90``: ``1.5 × p90`` rounded up (see the module docstring)."""
    return round_up_target(p90 * HEADROOM)


def _expected_percent(version: Any, priority: str, metric: str) -> float:
    best: float | None = None
    for objective in getattr(version, "objectives", ()) or ():
        p = getattr(objective, "priority", None)
        if str(getattr(objective, "metric", "")) != metric:
            continue
        if p in (None, "all", "") or p == priority:
            target = float(objective.target)
            # a specific objective wins over an "all priorities" one
            if p == priority or best is None:
                best = target
    return DEFAULT_EXPECTED_PERCENT if best is None else best


def _breach_weeks(rows: Iterable[Any], key: tuple[str, str], tz: Any) -> int:
    weeks = {
        row.breached_at.astimezone(tz).isocalendar()[:2]
        for row in rows
        if (str(row.priority), str(row.metric)) == key
        and getattr(row, "breached_at", None) is not None
        and str(getattr(row, "state", "")) != "cancelled"
    }
    return len(weeks)


def _heatmap(rows: Iterable[Any], tz: Any) -> list[list[int]]:
    grid = [[0] * 24 for _ in range(7)]
    for row in rows:
        at = getattr(row, "breached_at", None)
        if at is None or not is_breached(row):
            continue
        local = at.astimezone(tz)
        grid[local.weekday()][local.hour] += 1
    return grid


def breach_cluster(grid: Sequence[Sequence[int]]) -> str | None:
    """The densest run of hours on one weekday: ``Mon 09–11`` (09:00 to 11:00), or None.

    Starts from the busiest cell (earliest on ties) and extends to neighbouring hours holding at
    least half its count; None when that run holds fewer than :data:`MIN_CLUSTER` breaches.
    """
    best = max(((n, -d, -h) for d, hours in enumerate(grid) for h, n in enumerate(hours)), default=(0, 0, 0))
    count, day, hour = best[0], -best[1], -best[2]
    if count == 0:
        return None
    floor = max(1, math.ceil(count / 2))
    lo = hi = hour
    while lo > 0 and grid[day][lo - 1] >= floor:
        lo -= 1
    while hi < 23 and grid[day][hi + 1] >= floor:
        hi += 1
    if sum(grid[day][lo : hi + 1]) < MIN_CLUSTER:
        return None
    return f"{WEEKDAYS[day]} {lo:02d}–{hi + 1:02d}"


def _verdict(
    line: ComplianceLine | None, target: timedelta | None, expected: float
) -> tuple[Verdict, timedelta | None]:
    if line is None or line.decided == 0:
        return "no_tickets", None
    if line.decided < MIN_DECIDED:
        return "too_few", None
    assert line.compliance_percent is not None
    if line.compliance_percent < expected:
        proposal = propose_target(line.p90_to_meet) if line.p90_to_meet is not None else None
        if proposal is not None and target is not None and proposal <= target:
            proposal = None
        return "missed", proposal
    if (
        target is not None
        and line.median_to_meet is not None
        and line.p90_to_meet is not None
        and line.compliance_percent >= TIGHTEN_MET_PERCENT
        and line.median_to_meet <= target * TIGHTEN_MEDIAN_SHARE
    ):
        proposal = propose_target(line.p90_to_meet)
        if proposal < target:
            return "too_easy", proposal
    return "ok", None


def _metric_order(metric: str) -> int:
    order = [m.value for m in Metric]
    return order.index(metric) if metric in order else len(order)


def review(
    client_key: str,
    version: Any,
    rows: Iterable[Any],
    feedback_summary: Any | None,
    credits: CreditStatement | None,
    period: Period,
) -> Review:
    """The review of ``client_key`` over ``period`` under contract ``version`` (module docstring).

    ``rows`` are timer rows; rows of other clients (attribute ``client``) are ignored.
    """
    mine = [r for r in rows if str(getattr(r, "client", client_key)) == client_key]
    calendar = getattr(version, "calendar", None)
    tz = getattr(calendar, "timezone", None) or period.tz
    by_key = {
        (line.key[0], line.key[1]): line for line in compliance_table(mine, group_by=("priority", "metric"))
    }

    promised, targets = _promised(version, by_key)
    grid = _heatmap(mine, tz)
    lines: list[ReviewLine] = []
    for key in promised:
        priority, metric = key
        cl = by_key.get(key)
        target = targets.get(key) or (cl.targets[-1] if cl is not None and cl.targets else None)
        expected = _expected_percent(version, priority, metric)
        verdict, proposal = _verdict(cl, target, expected)
        own = _heatmap((r for r in mine if (str(r.priority), str(r.metric)) == key), tz)
        lines.append(
            ReviewLine(
                priority=priority,
                metric=metric,
                target=target,
                decided=cl.decided if cl else 0,
                met=cl.met if cl else 0,
                breached=cl.breached if cl else 0,
                open=cl.open if cl else 0,
                met_percent=cl.compliance_percent if cl else None,
                median=cl.median_to_meet if cl else None,
                p90=cl.p90_to_meet if cl else None,
                expected_percent=expected,
                verdict=verdict,
                proposal=proposal,
                breach_cluster=breach_cluster(own),
                tickets=cl.tickets if cl else 0,
                breach_weeks=_breach_weeks(mine, key, tz),
            )
        )
    recommendations = [r for line in lines if (r := _recommend(line))]
    recommendations += _feedback_advice(feedback_summary)
    recommendations += _credits_advice(credits)
    return Review(
        client=client_key,
        period=period,
        contract=str(getattr(version, "contract_key", "")),
        version=int(getattr(version, "number", 0) or 0),
        timezone=getattr(tz, "key", str(tz)),
        lines=lines,
        heatmap=tuple(tuple(h) for h in grid),
        recommendations=recommendations,
        feedback=feedback_summary,
        credits=credits,
    )


def _promised(
    version: Any, by_key: Mapping[tuple[str, str], ComplianceLine]
) -> tuple[list[tuple[str, str]], dict[tuple[str, str], timedelta]]:
    """The (priority, metric) pairs a review covers — the version's targets and any other pair that
    has timers —, in the contract's priority order then metric order; and the version's targets."""
    promised: list[tuple[str, str]] = []
    targets: dict[tuple[str, str], timedelta] = {}
    for priority, metrics in (getattr(version, "targets", {}) or {}).items():
        for metric, target in metrics.items():
            key = (str(priority), str(metric))
            promised.append(key)
            targets[key] = target.duration
    for key in by_key:
        if key not in targets:
            promised.append(key)
    ranks = {p: i for i, p in enumerate(getattr(version, "priorities", ()) or ())}
    promised.sort(key=lambda k: (ranks.get(k[0], len(ranks)), k[0], _metric_order(k[1])))
    return promised, targets


def _credits_advice(credits: CreditStatement | None) -> list[str]:
    if credits is None or not credits.owed:
        return []
    owed = (
        f"{credits.currency or ''} {credits.total_amount:,.2f}".strip()
        if credits.total_amount is not None
        else f"{credits.total_percent.normalize():f} % of the fee"
    )
    return [
        f"Service credits of {owed} are owed for {credits.month.label}: address their cause "
        f"before the claim deadline {credits.claim_deadline.isoformat()}"
    ]


def _recommend(line: ReviewLine) -> str | None:
    if line.verdict == "too_few":
        return f"{line.label}: only {line.decided} decided this period — too few to judge the target"
    if line.verdict == "missed":
        where = (
            f"in the hours where breaches cluster ({line.breach_cluster})"
            if line.breach_cluster
            else "at the busiest hours"
        )
        loosen = (
            f"loosen the target to {target_text(line.proposal)}" if line.proposal else "review the target"
        )
        target = f"against a {target_text(line.target)} target" if line.target else "with no target"
        return (
            f"{line.label} met {_pct(line.met_percent)} (expected {line.expected_percent:g} %), "
            f"median {target_text(line.median) if line.median else '—'} {target}: "
            f"add staff {where} or {loosen}"
        )
    if line.verdict == "too_easy" and line.target and line.median is not None and line.proposal:
        share = line.median / line.target * 100
        return (
            f"{line.label} met {_pct(line.met_percent)} with median at {share:.0f} % of target: "
            f"the target could be tightened to {target_text(line.proposal)}"
        )
    return None


def _get(source: Any, name: str) -> Any:
    if source is None:
        return None
    if isinstance(source, Mapping):
        return source.get(name)
    return getattr(source, name, None)


def feedback_lines(feedback: Any) -> list[str]:
    """Short lines for CSAT / NPS / sentiment (keys ``csat`` %, ``nps``, ``sentiment``, ``responses``)."""
    out = []
    csat, nps, sentiment, responses = (_get(feedback, k) for k in ("csat", "nps", "sentiment", "responses"))
    if csat is not None:
        out.append(
            f"CSAT {float(csat):.0f} %" + (f" ({responses} responses)" if responses is not None else "")
        )
    if nps is not None:
        out.append(f"NPS {float(nps):+.0f}")
    if sentiment is not None:
        label = "positive" if sentiment > 0.05 else "negative" if sentiment < -0.05 else "neutral"
        out.append(f"Sentiment {float(sentiment):+.2f} ({label})")
    return out or ["no feedback this period"]


def _feedback_advice(feedback: Any) -> list[str]:
    out = []
    csat, nps = _get(feedback, "csat"), _get(feedback, "nps")
    if csat is not None and float(csat) < 80:
        out.append(
            f"CSAT is {float(csat):.0f} % (below 80 %): go through the negative comments with the client"
        )
    if nps is not None and float(nps) < 0:
        out.append(f"NPS is {float(nps):+.0f}: more detractors than promoters — ask them what to change")
    return out
