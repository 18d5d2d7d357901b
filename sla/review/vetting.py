"""Vetting a proposed revision: each changed target checked (enough tickets, a trend, no new
contract warnings), in an order that keeps the contract valid; what is left is the revision to
approve, with a reason for every change declined."""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Literal

import yaml

from sla.contracts import ContractBook, check_contracts, load_contracts_text
from sla.review.model import (
    Review,
    ReviewLine,
    _pct,
    metric_words,
    target_text,
)
from sla.review.revisions import (
    DryRun,
    Revision,
    RevisionError,
    _dump,
    draft_revision,
    dry_run,
)

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
            refusal = _refusal(c, warnings, before, after)
            if refusal is not None:
                declined.append(refusal)
            else:
                kept.append(c)
        if len(kept) == len(candidates):
            changes = [_change(c, before, after) for c in candidates if c.line.target is not None]
            return Vetting(changes, declined, dry)
        candidates = kept
    return Vetting([], declined)  # pragma: no cover - each round drops one at least


def _refusal(
    c: _Candidate, warnings: list[tuple[str, str]], before: Mapping[tuple, Any], after: Mapping[tuple, Any]
) -> str | None:
    """Why checks 4 and 5 decline the change ``c`` (contracts check warns on it, or the dry run shows
    it does not help), or None when it passes both."""
    key = (c.line.priority, c.line.metric)
    wanted = f"{c.line.label}: {target_text(c.line.target)} → {target_text(c.proposed)}"
    warning = _warning_for(c, warnings)
    if warning is not None:
        return f"{wanted}: contracts check would warn: {warning}"
    a, b = after.get(key), before.get(key)
    a_pct = a.compliance_percent if a else None
    if c.kind == "loosen":
        fixed = (b.breached if b else 0) - (a.breached if a else 0)
        if a is None or fixed <= 0 or a_pct is None or a_pct < c.line.expected_percent:
            return (
                f"{wanted}: the dry run fixes {max(fixed, 0)} of {c.line.breached} breaches "
                f"({_pct(a_pct)} met, expected {c.line.expected_percent:g} %)"
            )
    elif a_pct is None or a_pct < c.line.expected_percent:
        return f"{wanted}: the dry run would meet only {_pct(a_pct)} (expected {c.line.expected_percent:g} %)"
    return None


def _change(c: _Candidate, before: Mapping[tuple, Any], after: Mapping[tuple, Any]) -> Change:
    key = (c.line.priority, c.line.metric)
    return Change(
        priority=c.line.priority,
        metric=c.line.metric,
        kind=c.kind,
        current=c.line.target,
        proposed=c.proposed,
        tickets=c.line.tickets,
        decided=c.line.decided,
        met=c.line.met,
        breached=c.line.breached,
        before_percent=before[key].compliance_percent if key in before else c.line.met_percent,
        after_percent=after[key].compliance_percent,
        breaches_after=after[key].breached,
    )


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
