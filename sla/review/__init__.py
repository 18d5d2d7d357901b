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

The rooms: :mod:`~sla.review.model` (the review and its recommendations),
:mod:`~sla.review.revisions` (a proposed revision, drafted and dry-run) and
:mod:`~sla.review.vetting` (checking a proposal before it is approved).
"""

from __future__ import annotations

from sla.review.model import (
    DEFAULT_EXPECTED_PERCENT,
    HEADROOM,
    MIN_CLUSTER,
    MIN_DECIDED,
    TIGHTEN_MEDIAN_SHARE,
    TIGHTEN_MET_PERCENT,
    WEEKDAYS,
    Review,
    ReviewLine,
    Verdict,
    breach_cluster,
    feedback_lines,
    metric_words,
    propose_target,
    review,
    round_up_target,
    target_text,
)
from sla.review.revisions import (
    CADENCE_UNITS,
    DryRun,
    Revision,
    RevisionError,
    compare_compliance,
    draft_revision,
    dry_run,
    dry_run_book,
    next_effective,
    proposal_from_json,
    proposal_lines,
    proposal_to_json,
    propose_revision,
    review_period,
    revised_targets_yaml,
    revised_version_yaml,
    yaml_diff,
)
from sla.review.vetting import (
    MIN_SAMPLE,
    MIN_TREND_BREACHES,
    MIN_TREND_WEEKS,
    Change,
    ChangeKind,
    Vetting,
    revised_file_text,
    vet_proposal,
)

__all__ = [
    "CADENCE_UNITS",
    "Change",
    "ChangeKind",
    "DEFAULT_EXPECTED_PERCENT",
    "DryRun",
    "HEADROOM",
    "MIN_CLUSTER",
    "MIN_DECIDED",
    "MIN_SAMPLE",
    "MIN_TREND_BREACHES",
    "MIN_TREND_WEEKS",
    "Review",
    "ReviewLine",
    "Revision",
    "RevisionError",
    "TIGHTEN_MEDIAN_SHARE",
    "TIGHTEN_MET_PERCENT",
    "Verdict",
    "Vetting",
    "WEEKDAYS",
    "breach_cluster",
    "compare_compliance",
    "draft_revision",
    "dry_run",
    "dry_run_book",
    "feedback_lines",
    "metric_words",
    "next_effective",
    "proposal_from_json",
    "proposal_lines",
    "proposal_to_json",
    "propose_revision",
    "propose_target",
    "review",
    "review_period",
    "revised_file_text",
    "revised_targets_yaml",
    "revised_version_yaml",
    "round_up_target",
    "target_text",
    "vet_proposal",
    "yaml_diff",
]
