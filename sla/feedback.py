"""Client feedback in figures: CSAT, response rate, NPS, sentiment split, CSAT by SLA outcome.

Pure: it counts answers handed to it (no storage, no Slack, no clock). The rules:

- **CSAT** (Zendesk-style) is ``good ÷ (good + bad)``. On the ``good-bad`` scale that is literal.
  On the ``1-5`` scale 4–5 count as good and 1–3 as bad (a 3 is "not satisfied" in the usual
  CSAT reading), so CSAT is the share of satisfied answers; the average rating is shown beside it.
  Surveys store ``good`` as 5 and ``bad`` as 1, so both scales read the same here.
- **Response rate** is answered surveys ÷ surveys sent.
- **NPS** is % promoters (9–10) − % detractors (0–6), from −100 to +100.
- The **sentiment split** counts comment labels (``positive`` / ``neutral`` / ``mixed`` / ``negative``).
- **Sampling** (:func:`sampled`) is a hash of the ticket, so a replay or a second process decides
  the same way for the same ticket.
- **How the SLA went** (:func:`sla_outcome`): a ticket is *breached* if any of its clocks breached,
  and the worst overrun is reported; else *met*, with the smallest margin left.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Literal

from sla.durations import format_duration
from sla.standing import standing

Scale = Literal["1-5", "good-bad"]
GOOD, BAD = 5, 1
"""How the ``good-bad`` scale is stored in the 1..5 ``rating`` column."""

NEGATIVE_RATING_MAX = 2
"""A rating at or below this (``bad`` included) alerts the lead."""


def rating_value(choice: str, scale: Scale) -> int:
    """A button's choice as the stored rating; raises ValueError for one the scale does not offer."""
    if scale == "good-bad":
        if choice == "good":
            return GOOD
        if choice == "bad":
            return BAD
        raise ValueError(f"{choice!r} is not a choice of the good-bad scale")
    if choice.isascii() and choice.isdigit() and 1 <= int(choice) <= 5:
        return int(choice)
    raise ValueError(f"{choice!r} is not a choice of the 1-5 scale")


def choices(scale: Scale) -> tuple[str, ...]:
    return ("good", "bad") if scale == "good-bad" else ("1", "2", "3", "4", "5")


def rating_words(rating: int | None, scale: Scale) -> str:
    if rating is None:
        return "no rating"
    if scale == "good-bad":
        return "good" if rating >= 4 else "bad"
    return f"{rating}/5"


def is_good(rating: int) -> bool:
    return rating >= 4


def is_negative(rating: int | None, sentiment_label: str | None) -> bool:
    """Feedback the lead must see: a rating of 2 or less (``bad`` included), or a comment labelled
    ``negative`` or ``mixed`` (praise with a complaint in it is still a complaint)."""
    return (rating is not None and rating <= NEGATIVE_RATING_MAX) or sentiment_label in ("negative", "mixed")


def sampled(team_id: str, ticket_ref: str, rate: float) -> bool:
    """Whether this ticket gets a survey at ``rate`` (0..1): deterministic per (team, ticket)."""
    if rate >= 1.0:
        return True
    if rate <= 0.0:
        return False
    digest = hashlib.sha256(f"survey-sample:{team_id}:{ticket_ref}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < rate


# ------------------------------------------------------------------------------ SLA outcome


@dataclass(frozen=True)
class SlaOutcome:
    breached: bool
    metric: str | None
    """The clock that breached worst (or, when all were met, the one with the smallest margin)."""
    by: timedelta
    """Overrun when breached; margin left when met."""

    def words(self) -> str:
        if self.metric is None:
            return "no SLA clocks"
        name = self.metric.replace("_", " ")
        if self.breached:
            return f"breached: {name} over by {format_duration(self.by)}"
        return f"met: {name} with {format_duration(self.by)} to spare"


def sla_outcome(timers: Iterable[Any]) -> SlaOutcome:
    """How a ticket's SLA went, from its ``MetricTimer`` values (``state``, ``remaining``, ``metric``)."""
    worst: tuple[timedelta, str] | None = None
    tightest: tuple[timedelta, str] | None = None
    for timer in timers:
        stands = standing(timer)
        remaining: timedelta = timer.remaining
        metric = str(timer.metric)
        if stands == "breached":
            over = max(-remaining, timedelta(0))
            if worst is None or over > worst[0]:
                worst = (over, metric)
        elif stands == "met" and (tightest is None or remaining < tightest[0]):
            tightest = (remaining, metric)
    if worst is not None:
        return SlaOutcome(True, worst[1], worst[0])
    if tightest is not None:
        return SlaOutcome(False, tightest[1], tightest[0])
    return SlaOutcome(False, None, timedelta(0))


# ------------------------------------------------------------------------------ figures


@dataclass(frozen=True)
class SurveyAnswer:
    """One survey as the figures need it (sent, maybe answered)."""

    ticket_ref: str
    client_key: str | None
    rating: int | None = None
    comment: str | None = None
    polarity: float | None = None
    label: str | None = None
    breached: bool | None = None
    """How the ticket's SLA went (None when unknown)."""

    @property
    def answered(self) -> bool:
        return self.rating is not None or bool(self.comment)


@dataclass(frozen=True)
class NegativeComment:
    ticket_ref: str
    client_key: str | None
    comment: str
    polarity: float
    rating: int | None


@dataclass(frozen=True)
class FeedbackFigures:
    """What ``/sla feedback``, the weekly report and the SLA review show.

    ``csat`` is in percent (None without rated answers), ``nps`` from −100 to +100, ``sentiment``
    the mean comment polarity — the names :func:`sla.review.feedback_lines` reads."""

    sent: int = 0
    responses: int = 0
    good: int = 0
    bad: int = 0
    average_rating: float | None = None
    csat: float | None = None
    response_rate: float | None = None
    sentiment: float | None = None
    split: dict[str, int] = field(
        default_factory=lambda: {"positive": 0, "neutral": 0, "mixed": 0, "negative": 0}
    )
    most_negative: tuple[NegativeComment, ...] = ()
    csat_breached: float | None = None
    csat_met: float | None = None
    rated_breached: int = 0
    rated_met: int = 0
    nps: float | None = None
    nps_responses: int = 0
    promoters: int = 0
    passives: int = 0
    detractors: int = 0


def csat(ratings: Iterable[int]) -> float | None:
    """``good ÷ (good + bad)`` in percent; None without ratings."""
    values = list(ratings)
    if not values:
        return None
    return 100.0 * sum(1 for r in values if is_good(r)) / len(values)


def nps(scores: Iterable[int]) -> float | None:
    """% promoters (9–10) − % detractors (0–6); None without answers."""
    values = list(scores)
    if not values:
        return None
    promoters = sum(1 for s in values if s >= 9)
    detractors = sum(1 for s in values if s <= 6)
    return 100.0 * (promoters - detractors) / len(values)


def figures(
    answers: Sequence[SurveyAnswer],
    nps_scores: Sequence[int] = (),
    *,
    negative_limit: int = 3,
) -> FeedbackFigures:
    answered = [a for a in answers if a.answered]
    ratings = [a.rating for a in answered if a.rating is not None]
    good = sum(1 for r in ratings if is_good(r))
    labelled = [a for a in answered if a.comment and a.label]
    split = {"positive": 0, "neutral": 0, "mixed": 0, "negative": 0}
    for a in labelled:
        split[a.label or "neutral"] = split.get(a.label or "neutral", 0) + 1
    polarities = [a.polarity for a in labelled if a.polarity is not None]
    negatives = sorted(
        (a for a in labelled if a.label == "negative" and a.polarity is not None),
        key=lambda a: (a.polarity, a.ticket_ref),
    )[:negative_limit]
    breached = [a.rating for a in answered if a.rating is not None and a.breached is True]
    met = [a.rating for a in answered if a.rating is not None and a.breached is False]
    scores = list(nps_scores)
    return FeedbackFigures(
        sent=len(answers),
        responses=len(answered),
        good=good,
        bad=len(ratings) - good,
        average_rating=(sum(ratings) / len(ratings)) if ratings else None,
        csat=csat(ratings),
        response_rate=(100.0 * len(answered) / len(answers)) if answers else None,
        sentiment=(sum(polarities) / len(polarities)) if polarities else None,
        split=split,
        most_negative=tuple(
            NegativeComment(a.ticket_ref, a.client_key, a.comment or "", a.polarity or 0.0, a.rating)
            for a in negatives
        ),
        csat_breached=csat(breached),
        csat_met=csat(met),
        rated_breached=len(breached),
        rated_met=len(met),
        nps=nps(scores),
        nps_responses=len(scores),
        promoters=sum(1 for s in scores if s >= 9),
        passives=sum(1 for s in scores if 7 <= s <= 8),
        detractors=sum(1 for s in scores if s <= 6),
    )


def nps_period_kind(cadence: str) -> Literal["month", "quarter", "year"]:
    return {"monthly": "month", "quarterly": "quarter", "yearly": "year"}[cadence]  # type: ignore[return-value]
