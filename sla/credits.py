"""Service credits owed to a client for one month, with the computation shown line by line.

The contract's ``credits`` section says (``sla.contracts.Credits``)::

    credits:
      uptime_tiers: [{below: 99.9, credit: 10}, {below: 99, credit: 25}, {below: 95, credit: 100}]
      per_breach: {P1: 2, P2: 1}      # percent of the monthly fee per breached ticket SLA
      cap: 30                          # percent of the monthly fee, all credits together
      claim_within: 30d                # after the month ends

The rules, as computed here:

- **Uptime tiers**, per service with an uptime figure: the tiers whose ``below`` threshold the
  month's uptime is *strictly* below apply, and the one giving the **largest credit** wins (the
  lowest tier reached). 99.9 % exactly is not below 99.9 %. Comparisons use exact decimals of
  the measured seconds, never a rounded display figure. Several services each add their line.
- **Per-breach penalties**: every ticket SLA breached in the month (``breached_at`` inside the
  month) of a priority with a ``per_breach`` rate adds that rate. A ticket whose metric breached
  in several cycles counts once for that metric. Breaches of priorities without a rate are
  listed in the explanation but cost nothing.
- **Total** = the sum of the lines, capped at ``cap`` when the contract has one, and never above
  100 % of the fee. ``capped`` says whether the cap (or 100 %) cut the sum.
- **Money** is ``Decimal``; each amount is fee × percent / 100 rounded half-up to cents. The
  total amount is computed from the total percent (not by adding rounded line amounts).
- **Claim deadline** = the month's last local day + ``claim_within`` (whole days, rounded up).
- Before the month is over (``now`` < month end) the statement is marked provisional, and the
  uptime tiers are applied to the **whole month's** uptime with the downtime so far ("if nothing
  else goes down": ``UptimeFigure.period_percent``), not to the month so far — a 45-minute
  incident on the 2nd is 99.9 % of the month (the 10 % tier), not 98 % of two days.

Pure: ``now`` is a parameter. Field names of the contract objects are read defensively
(``getattr``) so the statement can be built from any object with the documented attributes.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sla.periods import Period
from sla.standing import is_breached
from sla.uptime import UptimeFigure

CENT = Decimal("0.01")
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Breach:
    """One breached ticket SLA (the tuple form ``(ticket_id, priority, metric, breached_at)`` works too)."""

    ticket_id: str
    priority: str
    metric: str
    breached_at: datetime


@dataclass(frozen=True)
class CreditLine:
    description: str
    """The computation in words: ``Platform uptime 99.52 % < 99.9 % → 10 % of EUR 12,000.00 = EUR 1,200.00``."""
    basis: str
    """What earned it: ``uptime:<service>`` or ``breaches:<priority>:<metric>``."""
    percent: Decimal
    amount: Decimal | None
    """None when the client has no monthly fee in the contract file."""


@dataclass(frozen=True)
class CreditStatement:
    client: str
    month: Period
    lines: list[CreditLine]
    total_percent: Decimal
    total_amount: Decimal | None
    currency: str | None
    capped: bool
    claim_deadline: date
    explanation_lines: list[str] = field(default_factory=list)
    provisional: bool = False

    @property
    def owed(self) -> bool:
        return self.total_percent > 0

    def text(self) -> str:
        return "\n".join(self.explanation_lines)


def dec(value: Any) -> Decimal:
    """A Decimal from an int/float/str/Decimal without binary noise (``0.1`` → ``Decimal('0.1')``)."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(str(value))


def money(amount: Decimal, currency: str | None) -> str:
    """``EUR 12,000.00`` (``12,000.00`` without a currency)."""
    text = f"{amount.quantize(CENT, rounding=ROUND_HALF_UP):,.2f}"
    return f"{currency} {text}" if currency else text


def pct(value: Decimal | float, *, places: int | None = None) -> str:
    """``10 %``, ``2.5 %``; with ``places`` fixed decimals (``99.52 %``)."""
    d = dec(value)
    if places is not None:
        return f"{d.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)} %"
    text = f"{d.normalize():f}"
    return f"{text} %"


def _uptime_text(value: Decimal, threshold: Decimal) -> str:
    """Two decimals, or more when two would print the threshold itself (99.899 → 99.899, not 99.90)."""
    for places in (2, 3, 4, 5, 6):
        shown = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
        if (shown < threshold) == (value < threshold) and shown != threshold:
            return pct(value, places=places)
    return pct(value, places=6)


def _amount(fee: Decimal | None, percent: Decimal) -> Decimal | None:
    if fee is None:
        return None
    return (fee * percent / HUNDRED).quantize(CENT, rounding=ROUND_HALF_UP)


def _breach(item: Any) -> Breach:
    if isinstance(item, Breach):
        return item
    if isinstance(item, tuple | list):
        ticket_id, priority, metric, breached_at = item
        return Breach(str(ticket_id), str(priority), str(metric), breached_at)
    return Breach(str(item.ticket_id), str(item.priority), str(item.metric), item.breached_at)


def breaches_from_rows(rows: Iterable[Any], month: Period, *, client: str | None = None) -> list[Breach]:
    """The breaches inside ``month`` among timer rows (``sla.replay.ReplayRow`` or alike)."""
    out = []
    for row in rows:
        at = getattr(row, "breached_at", None)
        if not is_breached(row) or at is None or not month.contains(at):
            continue
        if client is not None and getattr(row, "client", client) != client:
            continue
        out.append(Breach(str(row.ticket_id), str(row.priority), str(row.metric), at))
    return out


def claim_deadline(month: Period, claim_within: timedelta) -> date:
    days = math.ceil(claim_within / timedelta(days=1))
    return month.last_day + timedelta(days=days)


def _metric_words(metric: str) -> str:
    return str(metric).replace("_", " ")


def credits_for_month(
    client: Any,
    version: Any,
    month: Period,
    uptime_figures: Sequence[UptimeFigure],
    breaches: Iterable[Any],
    now: datetime,
) -> CreditStatement:
    """The credits ``client`` is owed for ``month`` under contract ``version`` (module docstring)."""
    terms = getattr(version, "credits", None)
    cap_raw = getattr(terms, "cap", None)
    cap = None if cap_raw is None else dec(cap_raw)
    within = getattr(terms, "claim_within", None) or timedelta(days=30)
    fee_raw = getattr(client, "monthly_fee", None)
    fee = None if fee_raw is None else dec(fee_raw)
    currency = getattr(client, "currency", None)
    client_key = str(getattr(client, "key", client))

    def of_fee(percent: Decimal) -> str:
        amount = _amount(fee, percent)
        if amount is None or fee is None:
            return f"{pct(percent)} of the monthly fee"
        return f"{pct(percent)} of {money(fee, currency)} = {money(amount, currency)}"

    lines: list[CreditLine] = []
    notes: list[str] = []
    _uptime_lines(terms, uptime_figures, of_fee, fee, lines, notes)
    _breach_lines(terms, version, month, breaches, of_fee, fee, lines, notes)

    raw = sum((line.percent for line in lines), Decimal(0))
    limit = min(cap, HUNDRED) if cap is not None else HUNDRED
    total = min(raw, limit)
    deadline = claim_deadline(month, within)
    provisional = now < month.end
    explanation = [f"Service credits for {client_key}, {month.label}:"]
    explanation += [f"• {line.description}" for line in lines]
    explanation += [f"• {note}" for note in notes]
    if not lines:
        explanation.append("No credit owed: every uptime target and ticket SLA within the credit terms.")
    else:
        explanation += _total_words(raw, total, cap, len(lines), of_fee)
        explanation.append(f"Claim by {deadline.isoformat()} ({_within_words(within)} after the month ends).")
    if fee is None:
        explanation.append("No monthly fee in the contract file: credits are shown as percentages only.")
    if provisional:
        explanation.append(
            "Provisional: the month is not over yet — uptime on the whole month's minutes, "
            "if nothing else goes down."
        )
    return CreditStatement(
        client=client_key,
        month=month,
        lines=lines,
        total_percent=total,
        total_amount=_amount(fee, total),
        currency=currency,
        capped=raw > limit,
        claim_deadline=deadline,
        explanation_lines=explanation,
        provisional=provisional,
    )


def _uptime_lines(
    terms: Any,
    uptime_figures: Sequence[UptimeFigure],
    of_fee: Callable[[Decimal], str],
    fee: Decimal | None,
    lines: list[CreditLine],
    notes: list[str],
) -> None:
    """The uptime tiers' credit lines (and notes for services above every tier)."""
    tiers = sorted(getattr(terms, "uptime_tiers", ()) or (), key=lambda t: dec(t.below))
    for figure in uptime_figures:
        if not tiers:
            break
        value = figure.period_percent
        top = dec(tiers[-1].below)
        # the lowest tier reached gives the largest credit; take the max in case tiers are not monotone
        reached = [t for t in tiers if value < dec(t.below)]
        if not reached:
            notes.append(
                f"{figure.service} uptime {_uptime_text(value, top)}{_so_far(figure, top)} ≥ {pct(top)}: "
                "no uptime credit"
            )
            continue
        best = max(reached, key=lambda t: dec(t.credit))
        below, credit = dec(best.below), dec(best.credit)
        lines.append(
            CreditLine(
                f"{figure.service} uptime {_uptime_text(value, below)}{_so_far(figure, below)} < {pct(below)} "
                f"→ {of_fee(credit)}",
                f"uptime:{figure.service}",
                credit,
                _amount(fee, credit),
            )
        )
    if uptime_figures and not tiers:
        notes.append("the contract has no uptime credit tiers")


def _breach_lines(
    terms: Any,
    version: Any,
    month: Period,
    breaches: Iterable[Any],
    of_fee: Callable[[Decimal], str],
    fee: Decimal | None,
    lines: list[CreditLine],
    notes: list[str],
) -> None:
    """The per-breach penalties: one line per priority × metric breached in the month (a ticket's
    metric counts once), most urgent priority first."""
    per_breach = {str(k): dec(v) for k, v in dict(getattr(terms, "per_breach", {}) or {}).items()}
    seen: set[tuple[str, str]] = set()
    counts: dict[tuple[str, str], int] = {}
    for item in breaches:
        b = _breach(item)
        if not month.contains(b.breached_at) or (b.ticket_id, b.metric) in seen:
            continue
        seen.add((b.ticket_id, b.metric))
        counts[(b.priority, str(b.metric))] = counts.get((b.priority, str(b.metric)), 0) + 1
    order = {p: i for i, p in enumerate(getattr(version, "priorities", ()) or ())}
    for (priority, metric), n in sorted(counts.items(), key=lambda kv: (order.get(kv[0][0], 99), kv[0])):
        noun = "breach" if n == 1 else "breaches"
        rate = per_breach.get(priority)
        if rate is None or rate == 0:
            notes.append(
                f"{n} {priority} {_metric_words(metric)} {noun}: no per-breach penalty for {priority}"
            )
            continue
        percent = rate * n
        lines.append(
            CreditLine(
                f"{n} {priority} {_metric_words(metric)} {noun} × {pct(rate)} = {of_fee(percent)}",
                f"breaches:{priority}:{metric}",
                percent,
                _amount(fee, percent),
            )
        )


def _total_words(
    raw: Decimal, total: Decimal, cap: Decimal | None, count: int, of_fee: Callable[[Decimal], str]
) -> list[str]:
    """The sum, the cap and the total, in words."""
    words = [f"Sum {pct(raw)}"] if count > 1 else []
    if cap is not None:
        if raw > cap:
            words.append(f"cap {pct(cap)} reached: credit limited to {pct(total)}")
        else:
            words.append(f"cap {pct(cap)} not reached")
    elif raw > HUNDRED:
        words.append("credit limited to 100 % of the monthly fee")
    words.append(f"Total: {of_fee(total)}")
    return words


def _so_far(figure: UptimeFigure, threshold: Decimal) -> str:
    """`` for the month (98.01 % to date)`` while the month runs, else nothing."""
    if not figure.provisional:
        return ""
    return f" for the month ({_uptime_text(figure.exact_percent, threshold)} to date)"


def _within_words(within: timedelta) -> str:
    days = math.ceil(within / timedelta(days=1))
    return "1 day" if days == 1 else f"{days} days"
