"""A proposed revision of a contract's targets: the revised targets as YAML and their diff, the
draft of a new contract version (when it takes effect, its dry run over last period's tickets)
and the proposal's JSON form (what a stored draft keeps)."""

from __future__ import annotations

import copy
import difflib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any, Literal

import yaml

from sla.compliance import ComplianceLine, compare, compliance_table
from sla.contracts import ContractBook, load_contracts_text
from sla.contracts.file import ContractFileError
from sla.periods import Period, window_period
from sla.replay import replay
from sla.review.model import (
    Review,
    _metric_order,
    metric_words,
    target_text,
)

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
