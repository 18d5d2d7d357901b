"""The weekly summary (and on-demand report) as plain sections of short lines.

Pure: it words figures computed elsewhere — compliance lines (``sla.compliance``) for the period
and the one before, the period's timer rows for the top breaches, what is at risk now, feedback
figures, uptime (``sla.uptime``) and credits (``sla.credits``). Slack surfaces turn each section
into blocks; :meth:`Summary.chunks` packs the text into pieces below Block Kit's 3,000-character
text limit without cutting a line.

Lines stay short (well under 100 characters) so they read on a phone. Trend arrows compare
compliance % with the previous period: ``▲`` up, ``▼`` down, ``＝`` within ±0.5 points.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from sla.compliance import ComplianceLine
from sla.credits import CreditStatement, money
from sla.durations import format_duration
from sla.periods import Period
from sla.review import feedback_lines, metric_words
from sla.standing import decided_at, is_breached
from sla.uptime import UptimeFigure

BLOCK_TEXT_LIMIT = 3000
STEADY_PP = 0.5

LinkFor = Callable[[str], str | None]


class Section(NamedTuple):
    heading: str
    lines: tuple[str, ...]


@dataclass(frozen=True)
class TopBreach:
    ticket_id: str
    client: str
    priority: str
    metric: str
    over: timedelta
    """Business time past the target (at the stop, or so far for a timer still running)."""
    running: bool = False


@dataclass(frozen=True)
class AtRisk:
    """A running timer close to its due instant."""

    ticket_id: str
    client: str
    priority: str
    metric: str
    remaining: timedelta


@dataclass(frozen=True)
class Summary:
    title: str
    sections: list[Section] = field(default_factory=list)

    def section(self, heading: str) -> Section | None:
        return next((s for s in self.sections if s.heading == heading), None)

    def text(self, *, markdown: bool = True) -> str:
        """The whole summary: ``*Title*`` and ``*Heading*`` in Slack mrkdwn, or plain text."""
        parts = [f"*{self.title}*" if markdown else self.title]
        for heading, lines in self.sections:
            parts.append("")
            parts.append(f"*{heading}*" if markdown else f"{heading}:")
            parts.extend(lines)
        return "\n".join(parts)

    def chunks(self, limit: int = BLOCK_TEXT_LIMIT) -> list[str]:
        """The mrkdwn text in pieces of at most ``limit`` characters, split between lines
        (a single line longer than ``limit`` is cut, which short lines never need)."""
        pieces = pack_lines(self.text().split("\n"), limit, _cut)
        return [p.strip("\n") for p in pieces if p.strip()]


def pack_lines(lines: Iterable[str], limit: int, cut: Callable[[str, int], str]) -> list[str]:
    """Whole lines joined (by newlines) into pieces of at most ``limit`` characters, in order; a line
    longer than ``limit`` is cut to fit by ``cut(line, limit)`` first (Slack's blocks have a limit)."""
    pieces: list[str] = []
    current = ""
    for line in lines:
        line = cut(line, limit)
        candidate = line if not current else f"{current}\n{line}"
        if len(candidate) > limit:
            pieces.append(current)
            current = line
        else:
            current = candidate
    if current:
        pieces.append(current)
    return pieces


def _cut(line: str, limit: int) -> str:
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _link(ticket_id: str, link_for: LinkFor | None, name_for: LinkFor | None = None) -> str:
    url = link_for(ticket_id) if link_for else None
    name = (name_for(ticket_id) if name_for else None) or ticket_id
    return f"<{url}|{name}>" if url else name


def _label(line: ComplianceLine) -> str:
    return " ".join(metric_words(k) for k in line.key)


def trend_arrow(change_pp: float | None) -> str:
    if change_pp is None:
        return ""
    if change_pp > STEADY_PP:
        return f"▲ +{change_pp:.0f} pp"
    if change_pp < -STEADY_PP:
        return f"▼ {change_pp:.0f} pp"
    return "＝"


def compliance_lines(current: Sequence[ComplianceLine], previous: Sequence[ComplianceLine] = ()) -> list[str]:
    """``P1 first response: 92 % ▲ +4 pp · 12 met, 1 breached · median 12m``, plus a total line."""
    before = {line.key: line for line in previous}
    out = []
    met = breached = still_open = 0
    for line in current:
        met, breached, still_open = met + line.met, breached + line.breached, still_open + line.open
        if line.decided == 0:
            out.append(f"{_label(line)}: nothing decided yet ({line.open} open)")
            continue
        prev = before.get(line.key)
        change = None
        if prev is not None and prev.compliance_percent is not None and line.compliance_percent is not None:
            change = line.compliance_percent - prev.compliance_percent
        arrow = trend_arrow(change)
        parts = [f"{_label(line)}: {line.compliance_percent:.0f} %" + (f" {arrow}" if arrow else "")]
        parts.append(f"{line.met} met, {line.breached} breached")
        if line.median_to_meet is not None:
            parts.append(f"median {format_duration(line.median_to_meet)}")
        out.append(" · ".join(parts))
    if not current:
        return ["No SLA timers in this period."]
    decided = met + breached
    total = (
        f"All: {100 * met / decided:.0f} % met ({met}/{decided})" if decided else "All: nothing decided yet"
    )
    if still_open:
        total += f", {still_open} open"
    return [total, *out]


def top_breaches(rows: Iterable[Any], *, limit: int = 5) -> list[TopBreach]:
    """The ``limit`` breaches furthest past their target among timer rows (cancelled excluded);
    ties by ticket, metric, then the rows' order."""
    ranked = []
    for i, row in enumerate(rows):
        if not is_breached(row) or getattr(row, "breached_at", None) is None:
            continue
        over = max(0, int(row.business_elapsed_seconds) - int(row.target_seconds))
        ranked.append((-over, str(row.ticket_id), str(row.metric), i, row))
    return [
        TopBreach(
            ticket,
            str(row.client),
            str(row.priority),
            metric,
            timedelta(seconds=-minus_over),
            running=getattr(row, "stopped_at", None) is None,
        )
        for minus_over, ticket, metric, _, row in heapq.nsmallest(limit, ranked)
    ]


def daily_counts(rows: Iterable[Any], tz: ZoneInfo | str) -> list[tuple[date, str, int, int]]:
    """``(day, priority, met, breached)`` per local day a timer was decided, for the chart.

    Met timers count on the day they stopped, breached ones on the day they went past due.
    """
    zone = tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz)
    counts: dict[tuple[date, str], list[int]] = {}
    for row in rows:
        at = decided_at(row)
        if at is None:
            continue
        slot = 1 if is_breached(row) else 0
        cell = counts.setdefault((at.astimezone(zone).date(), str(row.priority)), [0, 0])
        cell[slot] += 1
    return [(d, p, c[0], c[1]) for (d, p), c in sorted(counts.items())]


def daily_tickets(rows: Iterable[Any], tz: ZoneInfo | str) -> list[tuple[date, int, int]]:
    """``(day, tickets all met, tickets with a breach)`` per local day, for the chart's bars.

    A ticket counts on each day one of its timers was decided (as in :func:`daily_counts`), once per
    day: with a breach if any of its timers decided that day breached.
    """
    zone = tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz)
    days: dict[date, dict[str, bool]] = {}
    for row in rows:
        state = str(row.state)
        if state == "met" and row.stopped_at is not None:
            at, breach = row.stopped_at, False
        elif state != "cancelled" and row.breached_at is not None:
            at, breach = row.breached_at, True
        else:
            continue
        tickets = days.setdefault(at.astimezone(zone).date(), {})
        ticket = str(row.ticket_id)
        tickets[ticket] = tickets.get(ticket, False) or breach
    return [(d, sum(not b for b in t.values()), sum(t.values())) for d, t in sorted(days.items())]


def _uptime_line(f: UptimeFigure) -> str:
    mark = "" if f.met is None else (" ✓" if f.met else " ✗")
    target = f" (target {f.target_percent:g} %)" if f.target_percent is not None else ""
    n = len([i for i in f.incidents if not i.planned])
    down = format_duration(timedelta(seconds=round(f.downtime_seconds)))
    incidents = "1 incident" if n == 1 else f"{n} incidents"
    if f.provisional:
        mark = "" if f.period_met is None else (" ✓" if f.period_met else " ✗")
        month = f"{f.period_percent:.3f}".rstrip("0").rstrip(".")
        return (
            f"{f.service}: {f.uptime_percent:.2f} % to date, {month} % for the month if nothing else goes down"
            f"{target}{mark} · {down} down, {incidents}"
        )
    return f"{f.service}: {f.uptime_percent:.2f} %{target}{mark} · {down} down, {incidents}"


def _credit_line(s: CreditStatement) -> str:
    if not s.owed:
        return f"{s.client} {s.month.label}: no credit owed"
    amount = (
        money(s.total_amount, s.currency)
        if s.total_amount is not None
        else f"{s.total_percent.normalize():f} % of the fee"
    )
    cap = ", capped" if s.capped else ""
    provisional = " (provisional)" if s.provisional else ""
    return (
        f"{s.client} {s.month.label}: {amount} ({s.total_percent.normalize():f} %{cap}) owed"
        f"{provisional}, claim by {s.claim_deadline.isoformat()}"
    )


def weekly_summary(
    period: Period,
    current: Sequence[ComplianceLine],
    previous: Sequence[ComplianceLine] = (),
    *,
    breaches: Sequence[TopBreach] = (),
    at_risk: Sequence[AtRisk] = (),
    feedback: Mapping[str, Any] | Any | None = None,
    uptime: Sequence[UptimeFigure] = (),
    credits: Sequence[CreditStatement] = (),
    client: str | None = None,
    title: str | None = None,
    link_for: LinkFor | None = None,
    now: datetime | None = None,
    name_for: LinkFor | None = None,
) -> Summary:
    """Assemble the summary; sections for feedback, uptime and credits appear only when given.
    ``link_for``: a ticket's thread URL; ``name_for``: how to name it (``T-12 · ZD-35436``; mrkdwn-safe)."""
    heading = title or (
        f"SLA summary — {client}, {period.describe()}" if client else f"SLA summary — {period.describe()}"
    )
    sections = [Section("Compliance", tuple(compliance_lines(current, previous)))]
    if breaches:
        lines = tuple(
            f"{_link(b.ticket_id, link_for, name_for)} {b.client} {b.priority} {metric_words(b.metric)}: "
            f"{format_duration(b.over)} late" + (" and counting" if b.running else "")
            for b in breaches
        )
    else:
        lines = ("No breaches.",)
    sections.append(Section("Top breaches", lines))
    risk_heading = "At risk now" if now is None else f"At risk now ({now.astimezone(period.tz):%a %H:%M})"
    if at_risk:
        ordered = sorted(at_risk, key=lambda r: r.remaining)
        sections.append(
            Section(
                risk_heading,
                tuple(
                    f"{_link(r.ticket_id, link_for, name_for)} {r.client} {r.priority} {metric_words(r.metric)}: "
                    f"{format_duration(r.remaining)} left"
                    for r in ordered
                ),
            )
        )
    else:
        sections.append(Section(risk_heading, ("Nothing close to breaching.",)))
    if feedback is not None:
        sections.append(Section("Feedback", tuple(feedback_lines(feedback))))
    if uptime:
        sections.append(Section("Uptime", tuple(_uptime_line(f) for f in uptime)))
    if credits:
        sections.append(Section("Credits", tuple(_credit_line(s) for s in credits)))
    return Summary(heading, sections)
