"""The report's compliance table as aligned text (Slack code block, terminal) and as CSV.

What each count counts: ``tickets`` distinct tickets; ``cycles`` the timer cycles decided in the
period (a reopened ticket's second resolution, every next response); ``met`` and ``breached`` are
cycles (met + breached = cycles), so ``met`` may exceed ``tickets``.

One line per client × priority × metric, with the previous period's compliance beside it.
Pure formatting of :class:`sla.compliance.ComplianceLine` values; the figures are defined in
``sla.compliance`` (met / breached / % / median and p90 business time to meet / paused time).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import timedelta

from sla.compliance import ComplianceLine
from sla.durations import compact_duration
from sla.summary import trend_arrow

CSV_COLUMNS = (
    "period",
    "client",
    "priority",
    "metric",
    "tickets",
    "cycles",
    "met",
    "breached",
    "compliance_percent",
    "median_to_meet_seconds",
    "p90_to_meet_seconds",
    "paused_total_seconds",
    "paused_median_seconds",
    "target_seconds",
    "previous_compliance_percent",
    "change_pp",
)
TABLE_HEADER = (
    "client",
    "prio",
    "metric",
    "tickets",
    "cycles",
    "met",
    "breached",
    "met %",
    "median",
    "p90",
    "paused",
    "trend",
)
_LEFT = 3

_METRIC_SHORT = {
    "first_response": "first resp.",
    "next_response": "next resp.",
    "periodic_update": "update",
    "resolution": "resolution",
}


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def _dur(value: timedelta | None) -> str:
    """``1h30m``; ``0s`` for zero or under a second (a reply outside business hours takes 0 s of
    business time); ``—`` when there is nothing to measure."""
    if value is None:
        return "—"
    if value < timedelta(seconds=1):
        return "0s"
    return compact_duration(value)


def _seconds(value: timedelta | None) -> str:
    return "" if value is None else str(round(value.total_seconds()))


def _previous(lines: Sequence[ComplianceLine]) -> dict[tuple[str, ...], ComplianceLine]:
    return {line.key: line for line in lines}


def change_pp(line: ComplianceLine, before: ComplianceLine | None) -> float | None:
    if before is None or line.compliance_percent is None or before.compliance_percent is None:
        return None
    return line.compliance_percent - before.compliance_percent


def table_rows(lines: Sequence[ComplianceLine], previous: Sequence[ComplianceLine] = ()) -> list[list[str]]:
    """The cells of :data:`TABLE_HEADER` for each line (lines grouped by client, priority, metric)."""
    before = _previous(previous)
    rows = []
    for line in lines:
        arrow = trend_arrow(change_pp(line, before.get(line.key)))
        rows.append(
            [
                line.client or "",
                line.priority or "",
                _METRIC_SHORT.get(line.metric or "", line.metric or ""),
                str(line.tickets),
                str(line.timers),
                str(line.met),
                str(line.breached),
                _pct(line.compliance_percent),
                _dur(line.median_to_meet),
                _dur(line.p90_to_meet),
                _dur(line.paused_total) if line.paused_total else "0",
                arrow or ("new" if line.key not in before else ""),
            ]
        )
    return rows


def format_report_table(
    lines: Sequence[ComplianceLine], previous: Sequence[ComplianceLine] = ()
) -> list[str]:
    """Aligned text lines: a header, a rule and one line per group (empty table: one line saying so)."""
    if not lines:
        return ["(no SLA timer was met or breached in this period)"]
    body = table_rows(lines, previous)
    header = list(TABLE_HEADER)
    widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]

    def render(cells: list[str]) -> str:
        return "  ".join(
            c.ljust(w) if i < _LEFT else c.rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    return [render(header), "  ".join("-" * w for w in widths), *(render(r) for r in body)]


def report_csv(
    period_label: str, lines: Sequence[ComplianceLine], previous: Sequence[ComplianceLine] = ()
) -> str:
    """The table as CSV (:data:`CSV_COLUMNS`), durations in whole seconds, percentages with 2 decimals."""
    before = _previous(previous)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for line in lines:
        prev = before.get(line.key)
        change = change_pp(line, prev)
        writer.writerow(
            [
                period_label,
                line.client or "",
                line.priority or "",
                line.metric or "",
                line.tickets,
                line.timers,
                line.met,
                line.breached,
                "" if line.compliance_percent is None else f"{line.compliance_percent:.2f}",
                _seconds(line.median_to_meet),
                _seconds(line.p90_to_meet),
                _seconds(line.paused_total),
                _seconds(line.paused_median),
                " ".join(_seconds(t) for t in line.targets),
                "" if prev is None or prev.compliance_percent is None else f"{prev.compliance_percent:.2f}",
                "" if change is None else f"{change:.2f}",
            ]
        )
    return out.getvalue()
