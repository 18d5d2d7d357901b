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

import copy
import difflib
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any, Literal

import yaml

from sla.compliance import ComplianceLine, compare, compliance_table
from sla.contracts import ContractBook, load_contracts_text
from sla.contracts.file import ContractFileError
from sla.credits import CreditStatement
from sla.durations import compact_duration, format_duration

try:  # the contract file writes targets in hours ("48h"): a business "2d" reads as two working days
    from sla.contracts.file import hours_form as target_text
except ImportError:  # pragma: no cover - older contract_file
    target_text = compact_duration
from sla.contracts import check_contracts
from sla.metrics import Metric
from sla.periods import Period, window_period
from sla.replay import replay
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
    if credits is not None and credits.owed:
        owed = (
            f"{credits.currency or ''} {credits.total_amount:,.2f}".strip()
            if credits.total_amount is not None
            else f"{credits.total_percent.normalize():f} % of the fee"
        )
        recommendations.append(
            f"Service credits of {owed} are owed for {credits.month.label}: address their cause "
            f"before the claim deadline {credits.claim_deadline.isoformat()}"
        )
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


# ------------------------------------------------------------------------------ revisions


def propose_revision(version: Any, review_: Review) -> dict[str, dict[str, timedelta]]:
    """``{priority: {metric: new target}}`` for every line of the review with a proposal."""
    out: dict[str, dict[str, timedelta]] = {}
    for line in review_.lines:
        if line.proposal is not None and line.proposal != line.target:
            out.setdefault(line.priority, {})[line.metric] = line.proposal
    return out


def _targets_form(version: Any) -> dict[str, dict[str, Any]]:
    spec_targets: Any = None
    if getattr(version, "spec", None) is not None:
        try:
            spec_targets = version.to_dict().get("targets")
        except (ValueError, AttributeError):
            spec_targets = None
    if spec_targets:
        return {str(p): dict(m) for p, m in spec_targets.items()}
    out: dict[str, dict[str, Any]] = {}
    default_calendar = getattr(version, "calendar_name", None)
    for priority, metrics in (getattr(version, "targets", {}) or {}).items():
        row: dict[str, Any] = {}
        for metric in sorted(metrics, key=lambda m: _metric_order(str(m))):
            target = metrics[metric]
            text = target_text(target.duration)
            cal = getattr(target, "calendar_name", default_calendar)
            row[str(metric)] = text if cal == default_calendar else {"target": text, "calendar": cal}
        out[str(priority)] = row
    return out


def _revised_targets(
    version: Any, proposal: Mapping[str, Mapping[str, timedelta]]
) -> dict[str, dict[str, Any]]:
    targets = _targets_form(version)
    for priority, metrics in proposal.items():
        row = targets.setdefault(priority, {})
        for metric, duration in metrics.items():
            text = target_text(duration)
            current = row.get(str(metric))
            row[str(metric)] = {**current, "target": text} if isinstance(current, Mapping) else text
    return targets


def _dump(data: Any) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100, default_flow_style=False)


def revised_targets_yaml(version: Any, proposal: Mapping[str, Mapping[str, timedelta]]) -> str:
    """The ``targets:`` block of the new version (``proposal`` = {} gives the current one)."""
    return _dump({"targets": _revised_targets(version, proposal)})


def revised_version_yaml(
    version: Any, proposal: Mapping[str, Mapping[str, timedelta]], *, effective: date
) -> str:
    """The whole new version as a list item for ``contracts.<key>.versions`` (needs a file-built version)."""
    data = version.to_dict()
    data["effective"] = effective
    data["targets"] = _revised_targets(version, proposal)
    return _dump([data])


def yaml_diff(old_text: str, new_text: str, *, old_name: str = "current", new_name: str = "proposed") -> str:
    """A unified diff of two YAML texts ('' when they are the same)."""
    return "".join(
        difflib.unified_diff(
            old_text.splitlines(keepends=True),
            new_text.splitlines(keepends=True),
            fromfile=old_name,
            tofile=new_name,
        )
    )


def compare_compliance(
    before_lines: Sequence[ComplianceLine], after_lines: Sequence[ComplianceLine]
) -> list[str]:
    """Before/after of a dry run, one line per group: ``P2 first response: 71.0 % → 93.3 % (+22.3 pp)``."""
    out = []
    for trend in compare(after_lines, before_lines):
        name = " ".join(metric_words(k) for k in trend.key)
        before = trend.previous.compliance_percent if trend.previous else None
        after = trend.current.compliance_percent if trend.current else None
        b = "—" if before is None else f"{before:.1f} %"
        a = "—" if after is None else f"{after:.1f} %"
        change = "" if trend.change_pp is None else f" ({trend.change_pp:+.1f} pp)"
        breached = ""
        if trend.previous and trend.current:
            breached = f", breaches {trend.previous.breached} → {trend.current.breached}"
        out.append(f"{name}: {b} → {a}{change}{breached}")
    return out


# ------------------------------------------------------------------------------ drafting a version

CADENCE_UNITS: dict[str, Literal["month", "quarter", "year"]] = {
    "monthly": "month",
    "quarterly": "quarter",
    "yearly": "year",
}


class RevisionError(ValueError):
    """A revision that cannot be drafted (no file-built version, nothing to change, bad date)."""


@dataclass(frozen=True)
class Revision:
    """A proposed new version of a contract, as it would load from the contract file."""
    contract_key: str
    base: Any
    """The version it revises (the contract's latest version)."""
    version: Any
    """The new :class:`sla.contracts.ContractVersion` (number, effective date, sha256 as loaded)."""
    proposal: dict[str, dict[str, timedelta]]
    version_yaml: str
    """The new version as a list item to paste under ``contracts.<key>.versions``."""
    diff: str
    """A unified diff of the targets: current → proposed."""


def review_period(cadence: str, at: datetime, tz: Any) -> Period:
    """The review period (month, quarter or year of ``cadence``) that contains ``at``, in ``tz``."""
    return window_period(CADENCE_UNITS.get(cadence, "quarter"), at=at, tz=tz)


def next_effective(cadence: str, after: date) -> date:
    """The first day of the review period following the one containing ``after``."""
    kind = CADENCE_UNITS.get(cadence, "quarter")
    months = {"month": 1, "quarter": 3, "year": 12}[kind]
    first_month = (after.month - 1) // months * months + 1 if kind != "year" else 1
    index = after.year * 12 + (first_month - 1) + months
    return date(index // 12, index % 12 + 1, 1)


def draft_revision(
    book: ContractBook,
    contract_key: str,
    proposal: Mapping[str, Mapping[str, timedelta]],
    *,
    effective: date,
) -> Revision:
    """The new version of ``contract_key`` with the ``proposal``'s targets, starting ``effective``.

    It revises the contract's **latest** version, and is checked by loading the contract file's
    data with the new version appended (so what is shown is exactly what will load once pasted).
    Raises :class:`RevisionError` with a message for the user.
    """
    contract = book.contracts.get(contract_key)
    if contract is None:
        raise RevisionError(f"no contract '{contract_key}' in the contract file")
    if not any(proposal.values()):
        raise RevisionError("the review recommends no target change: there is nothing to revise")
    base = contract.versions[-1]
    if base.spec is None:
        raise RevisionError(f"contract '{contract_key}' was not loaded from a contract file")
    if effective <= base.effective:
        raise RevisionError(
            f"the new version must start after {base.effective.isoformat()} "
            f"(when version {base.number} starts), not on {effective.isoformat()}"
        )
    version_yaml = revised_version_yaml(base, proposal, effective=effective)
    data = copy.deepcopy(book.document.data)
    versions = data["contracts"][contract_key]["versions"]
    versions.append(yaml.safe_load(version_yaml)[0])
    try:
        loaded = load_contracts_text(_dump(data), filename=f"{book.source} + proposed version")
    except ContractFileError as exc:  # pragma: no cover - a proposal is built from valid targets
        raise RevisionError("the proposed version does not load: " + "; ".join(map(str, exc.errors))) from exc
    version = loaded.contracts[contract_key].versions[-1]
    diff = yaml_diff(
        revised_targets_yaml(base, {}),
        revised_targets_yaml(base, proposal),
        old_name=f"{contract_key} v{base.number} targets",
        new_name=f"{contract_key} v{version.number} targets (proposed, from {effective.isoformat()})",
    )
    return Revision(
        contract_key=contract_key,
        base=base,
        version=version,
        proposal={p: dict(m) for p, m in proposal.items() if m},
        version_yaml=version_yaml,
        diff=diff,
    )


def dry_run_book(book: ContractBook, contract_key: str, version: Any) -> ContractBook:
    """``book`` in which ``contract_key`` has ``version`` only: every ticket is measured against it."""
    old = book.contracts[contract_key]
    single = replace(old, versions=(version,))
    return replace(book, contracts={**book.contracts, contract_key: single})


@dataclass(frozen=True)
class DryRun:
    """Compliance of a period's history under the current targets and under a revision."""
    before: list[ComplianceLine]
    after: list[ComplianceLine]
    lines: list[str]
    """``P2 first response: 40.0 % → 100.0 % (+60.0 pp), breaches 6 → 0`` (see :func:`compare_compliance`)."""
    errors: int = 0
    """Events the replay rejected (none for a history recorded by slabot)."""
    def to_dict(self) -> dict[str, Any]:
        def table(lines: Sequence[ComplianceLine]) -> list[dict[str, Any]]:
            return [
                {
                    "priority": line.key[0],
                    "metric": line.key[1],
                    "met": line.met,
                    "breached": line.breached,
                    "percent": line.compliance_percent,
                }
                for line in lines
            ]

        return {"before": table(self.before), "after": table(self.after), "lines": list(self.lines)}


def dry_run(
    book: ContractBook,
    revision: Revision,
    client_key: str,
    events: Iterable[Any],
    before_rows: Iterable[Any],
    as_of: datetime,
) -> DryRun:
    """Replay ``events`` (the period's tickets of ``client_key``) under the revised version.

    ``before_rows`` are the timer rows as measured (each ticket under its own version); the
    replay measures every ticket against ``revision.version`` at the same ``as_of``.
    """
    result = replay(dry_run_book(book, revision.contract_key, revision.version), events, as_of)
    group = ("priority", "metric")
    before = compliance_table([r for r in before_rows if str(r.client) == client_key], group_by=group)
    after = compliance_table([r for r in result.rows if r.client == client_key], group_by=group)
    return DryRun(before, after, compare_compliance(before, after), len(result.errors))


def proposal_to_json(proposal: Mapping[str, Mapping[str, timedelta]]) -> dict[str, dict[str, int]]:
    """``{priority: {metric: seconds}}`` (what a stored draft keeps)."""
    return {p: {str(m): round(d.total_seconds()) for m, d in ms.items()} for p, ms in proposal.items()}


def proposal_from_json(data: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, timedelta]]:
    return {str(p): {str(m): timedelta(seconds=float(s)) for m, s in ms.items()} for p, ms in data.items()}


def proposal_lines(revision: Revision) -> list[str]:
    """``P2 first response: 1h → 3h`` per changed target."""
    out = []
    for priority, metrics in revision.proposal.items():
        for metric, new in metrics.items():
            old = revision.base.target_for(priority, metric)
            before = target_text(old.duration) if old is not None else "none"
            out.append(f"{priority} {metric_words(metric)}: {before} → {target_text(new)}")
    return out


# ------------------------------------------------------------------------------ vetting a proposal
#
# A proposal a manager can sign: only changes that stand on enough tickets, that keep the
# priorities in order, that load without a warning, and that the dry run shows to help.

MIN_SAMPLE = 20
"""Decided timers of one priority × metric in the period before any change to its target is proposed."""
MIN_TREND_BREACHES = 3
"""A target is loosened only for a breach trend: at least this many breaches ..."""
MIN_TREND_WEEKS = 2
"""... in at least this many different weeks (one bad day is an incident, not a trend)."""

ChangeKind = Literal["loosen", "tighten"]


@dataclass(frozen=True)
class Change:
    """One target change that passed every check, with the figures it stands on."""
    priority: str
    metric: str
    kind: ChangeKind
    current: timedelta
    proposed: timedelta
    tickets: int
    decided: int
    met: int
    breached: int
    before_percent: float | None
    after_percent: float | None
    breaches_after: int

    @property
    def label(self) -> str:
        return f"{self.priority} {metric_words(self.metric)}"

    def text(self) -> str:
        """``P2 first response: 1h → 3h (loosen) — on 34 tickets (40 timers: 31 met, 9 breached);
        dry run 77.5 % → 97.5 %, breaches 9 → 1``."""
        before = "—" if self.before_percent is None else f"{self.before_percent:.1f} %"
        after = "—" if self.after_percent is None else f"{self.after_percent:.1f} %"
        return (
            f"{self.label}: {target_text(self.current)} → {target_text(self.proposed)} ({self.kind}) — on "
            f"{self.tickets} ticket{'s' if self.tickets != 1 else ''} ({self.decided} timers: {self.met} met, "
            f"{self.breached} breached); dry run {before} → {after}, breaches {self.breached} → {self.breaches_after}"
        )


@dataclass(frozen=True)
class Vetting:
    """What a review proposes after the checks: the changes kept, and why the others were not."""
    changes: list[Change]
    declined: list[str]
    dry_run: DryRun | None = None
    """The dry run of the kept changes together (None when nothing is kept)."""
    @property
    def proposal(self) -> dict[str, dict[str, timedelta]]:
        out: dict[str, dict[str, timedelta]] = {}
        for c in self.changes:
            out.setdefault(c.priority, {})[c.metric] = c.proposed
        return out

    def lines(self) -> list[str]:
        """The changes, or "No change recommended", then each declined candidate with its reason."""
        head = [c.text() for c in self.changes] or [
            "No change recommended: "
            + (
                "no target change passes the checks"
                if self.declined
                else "every target is in line with the data"
            )
        ]
        return head + [f"not proposed — {d}" for d in self.declined]


@dataclass(frozen=True)
class _Candidate:
    line: ReviewLine
    kind: ChangeKind
    proposed: timedelta


def _candidates(review_: Review, declined: list[str]) -> list[_Candidate]:
    out = []
    for line in review_.lines:
        if line.proposal is None or line.target is None or line.proposal == line.target:
            continue
        kind: ChangeKind = "loosen" if line.proposal > line.target else "tighten"
        wanted = f"{line.label}: {target_text(line.target)} → {target_text(line.proposal)}"
        if line.decided < MIN_SAMPLE:
            declined.append(
                f"{wanted}: only {line.decided} decided timer{'s' if line.decided != 1 else ''} "
                f"({line.tickets} ticket{'s' if line.tickets != 1 else ''}); a change needs at least {MIN_SAMPLE}"
            )
            continue
        if kind == "loosen" and (line.breached < MIN_TREND_BREACHES or line.breach_weeks < MIN_TREND_WEEKS):
            declined.append(
                f"{wanted}: {line.breached} breach{'es' if line.breached != 1 else ''} in "
                f"{line.breach_weeks} week{'s' if line.breach_weeks != 1 else ''} is no trend (loosening needs "
                f"{MIN_TREND_BREACHES} or more in {MIN_TREND_WEEKS} or more weeks): add staff instead"
            )
            continue
        out.append(_Candidate(line, kind, line.proposal))
    return out


def _target_after(
    version: Any, changes: Mapping[tuple[str, str], _Candidate], priority: str, metric: str
) -> timedelta | None:
    c = changes.get((priority, metric))
    if c is not None:
        return c.proposed
    t = version.target_for(priority, metric)
    return t.duration if t is not None else None


def _ordered(version: Any, candidates: list[_Candidate], declined: list[str]) -> list[_Candidate]:
    """Clamp or drop changes that would put a more urgent priority's target above a less urgent one's."""
    priorities = list(getattr(version, "priorities", ()) or ())
    kept = list(candidates)
    for _ in range(len(candidates) + 1):
        changes = {(c.line.priority, c.line.metric): c for c in kept}
        result, changed = [], False
        for c in kept:
            p, m = c.line.priority, c.line.metric
            rank = priorities.index(p) if p in priorities else len(priorities)
            if c.kind == "loosen":  # at most the target of any less urgent priority
                others = [t for q in priorities[rank + 1 :] if (t := _target_after(version, changes, q, m))]
                bound = min(others, default=None)
                proposed = min(c.proposed, bound) if bound is not None else c.proposed
            else:  # at least the target of any more urgent priority
                others = [t for q in priorities[:rank] if (t := _target_after(version, changes, q, m))]
                bound = max(others, default=None)
                proposed = max(c.proposed, bound) if bound is not None else c.proposed
            if proposed == c.proposed:
                result.append(c)
                continue
            changed = True
            assert c.line.target is not None and bound is not None
            if (proposed > c.line.target) if c.kind == "loosen" else (proposed < c.line.target):
                result.append(_Candidate(c.line, c.kind, proposed))
            else:
                other = "less" if c.kind == "loosen" else "more"
                declined.append(
                    f"{c.line.label}: {target_text(c.line.target)} → {target_text(c.proposed)} would break the "
                    f"order of priorities (a {other} urgent priority's target is {target_text(bound)})"
                )
        kept = result
        if not changed:
            break
    return kept


def _new_warnings(book: ContractBook, contract_key: str, base_index: int) -> list[tuple[str, str]]:
    """``contracts check`` warnings on the version after ``base_index`` that the base version has not:
    (path within the version, e.g. ``.targets.P2.resolution``, message)."""
    def of(index: int) -> list[tuple[str, str]]:
        prefix = f"contracts.{contract_key}.versions[{index}]"
        return [
            (issue.path[len(prefix) :], str(issue.message))
            for issue in found
            if issue.path == prefix or issue.path.startswith((prefix + ".", prefix + "["))
        ]

    found = check_contracts(book)
    known = set(of(base_index))
    return [w for w in of(base_index + 1) if w not in known]


def _warning_for(candidate: _Candidate, warnings: list[tuple[str, str]]) -> str | None:
    """The new warning this change causes: on its target, naming it, or one no change can be told from."""
    p, m = candidate.line.priority, candidate.line.metric
    for path, message in warnings:
        if (
            path.startswith(f".targets.{p}.{m}")
            or f"{p} {m}" in message
            or f"{p} {metric_words(m)}" in message
        ):
            return message
    for path, message in warnings:  # not on a target and naming none: it cannot be told which change did it
        if not path.startswith(".targets") and not _priorities_named(message):
            return message
    return None


def _priorities_named(message: str) -> list[str]:
    return [
        w for w in message.replace("(", " ").replace(",", " ").split() if w[:1] == "P" and w[1:].isdigit()
    ]


def vet_proposal(
    book: ContractBook,
    contract_key: str,
    review_: Review,
    events: Sequence[Any],
    rows: Sequence[Any],
    as_of: datetime,
    *,
    effective: date,
) -> Vetting:
    """The changes of ``review_`` a manager can sign, checked in this order:

    1. **sample**: at least :data:`MIN_SAMPLE` decided timers of that priority × metric;
    2. **trend** (loosening only): :data:`MIN_TREND_BREACHES` breaches in :data:`MIN_TREND_WEEKS` weeks;
    3. **order**: no more urgent priority gets a looser target than a less urgent one (a change is
       clamped to its neighbour's target, or dropped when that leaves no change);
    4. **no warning**: the revised contract file passes ``contracts check`` without a warning on a
       changed target (the version is drafted after the latest one, effective ``effective``);
    5. **it helps in the dry run** (the period's ``events`` replayed under the revision, compared with
       ``rows`` as measured): a loosening must cut the line's breaches and bring it to its expected
       met %; a tightening must keep it at the expected met %.

    Checks 3–5 repeat until the set of changes is stable (dropping one can expose an order problem).
    """
    declined: list[str] = []
    contract = book.contracts.get(contract_key)
    if contract is None:
        raise RevisionError(f"no contract '{contract_key}' in the contract file")
    base = contract.versions[-1]
    candidates = _candidates(review_, declined)
    dry: DryRun | None = None
    for _ in range(len(candidates) + 1):
        candidates = _ordered(base, candidates, declined)
        if not candidates:
            return Vetting([], declined)
        proposal: dict[str, dict[str, timedelta]] = {}
        for c in candidates:
            proposal.setdefault(c.line.priority, {})[c.line.metric] = c.proposed
        revision = draft_revision(book, contract_key, proposal, effective=effective)
        warnings = _new_warnings(
            _with_version(book, contract_key, revision), contract_key, len(contract.versions) - 1
        )
        dry = dry_run(book, revision, review_.client, events, rows, as_of)
        after = {tuple(line.key): line for line in dry.after}
        before = {tuple(line.key): line for line in dry.before}
        kept: list[_Candidate] = []
        for c in candidates:
            key = (c.line.priority, c.line.metric)
            wanted = f"{c.line.label}: {target_text(c.line.target)} → {target_text(c.proposed)}"
            warning = _warning_for(c, warnings)
            if warning is not None:
                declined.append(f"{wanted}: contracts check would warn: {warning}")
                continue
            a, b = after.get(key), before.get(key)
            a_pct = a.compliance_percent if a else None
            if c.kind == "loosen":
                fixed = (b.breached if b else 0) - (a.breached if a else 0)
                if a is None or fixed <= 0 or a_pct is None or a_pct < c.line.expected_percent:
                    declined.append(
                        f"{wanted}: the dry run fixes {max(fixed, 0)} of {c.line.breached} breaches "
                        f"({_pct(a_pct)} met, expected {c.line.expected_percent:g} %)"
                    )
                    continue
            elif a_pct is None or a_pct < c.line.expected_percent:
                declined.append(
                    f"{wanted}: the dry run would meet only {_pct(a_pct)} (expected "
                    f"{c.line.expected_percent:g} %)"
                )
                continue
            kept.append(c)
        if len(kept) == len(candidates):
            changes = [
                Change(
                    priority=c.line.priority,
                    metric=c.line.metric,
                    kind=c.kind,
                    current=c.line.target,
                    proposed=c.proposed,
                    tickets=c.line.tickets,
                    decided=c.line.decided,
                    met=c.line.met,
                    breached=c.line.breached,
                    before_percent=before[(c.line.priority, c.line.metric)].compliance_percent
                    if (c.line.priority, c.line.metric) in before
                    else c.line.met_percent,
                    after_percent=after[(c.line.priority, c.line.metric)].compliance_percent,
                    breaches_after=after[(c.line.priority, c.line.metric)].breached,
                )
                for c in candidates
                if c.line.target is not None
            ]
            return Vetting(changes, declined, dry)
        candidates = kept
    return Vetting([], declined)  # pragma: no cover - each round drops one at least


def revised_file_text(book: ContractBook, revision: Revision) -> str:
    """The contract file's data with ``revision``'s version appended to its contract, as YAML (what
    ``slabot contracts check`` would read once the version is pasted; comments are not kept)."""
    data = copy.deepcopy(book.document.data)
    data["contracts"][revision.contract_key]["versions"].append(yaml.safe_load(revision.version_yaml)[0])
    return _dump(data)


def _with_version(book: ContractBook, contract_key: str, revision: Revision) -> ContractBook:
    """``book`` as it loads with ``revision``'s version appended to the contract file."""
    return load_contracts_text(
        revised_file_text(book, revision), filename=f"{book.source} + proposed version"
    )
