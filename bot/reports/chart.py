"""The compliance chart of a report: a PNG for ``files_upload_v2``, meant to be read at a glance.

Top panel: daily compliance % per priority (met ÷ decided that day). A day without a decided timer of
a priority has no point, and a line joins only points of consecutive days, so nothing is drawn across
days without data. Priorities sit side by side within each day (a small horizontal offset and a marker
shape of their own), so P1 at 100 % is never hidden under P3 at 100 %. A marker's area grows with the
number of timers it stands on, and the dashed line is the target (the contract's attainment objective,
else 95 %).

Bottom panel: tickets per day whose clocks were decided that day, as bars: those with every clock met
and those with a breach. Legends sit right of the panels, outside the data; days read "Mon 2"; a
caption under the chart names the period and the time zone.

Rendered with matplotlib's Agg canvas on a private ``Figure`` — no ``pyplot``, so no global figure
registry, no GUI backend and nothing left behind between calls (safe in threads and worker
processes). matplotlib is the optional ``charts`` extra: without it importing this module raises
:class:`sla.extras.ExtraMissing`, whose message says what to install. ``daily`` rows are ``(date, priority, met, breached)`` as ``sla.summary.daily_counts``
gives them; ``tickets`` rows ``(date, met, breached)`` as ``sla.summary.daily_tickets``. An empty
``daily`` renders a chart that says "no tickets in this period".
"""

from __future__ import annotations

import io
import re
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta

from sla.extras import ExtraMissing

try:
    from matplotlib.axes import Axes
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.ticker import FixedLocator, MaxNLocator
except ImportError as exc:  # matplotlib is the optional `charts` extra
    raise ExtraMissing("charts", "the compliance chart") from exc

WIDTH_IN, HEIGHT_IN, DPI = 12.0, 7.0, 100  # 1200 × 700 px
COLOURS = ("#d62728", "#ff7f0e", "#1f77b4", "#2ca02c", "#9467bd", "#8c564b", "#7f7f7f")
MARKERS = ("o", "s", "^", "D", "v", "P", "X")
MET_COLOUR, BREACHED_COLOUR, TARGET_COLOUR = "#4c9a6a", "#d62728", "#333333"
DEFAULT_TARGET = 95.0
SPREAD = 0.5  # of a day: the priorities of one day sit within this width, centred on the day

DailyRow = tuple[date, str, int, int]
TicketRow = tuple[date, int, int]


def _priority_key(p: str) -> tuple[str, int, str]:
    digits = re.sub(r"\D", "", p)
    return (re.sub(r"\d", "", p), int(digits) if digits else -1, p)


def _new_figure() -> tuple[Figure, FigureCanvasAgg]:
    fig = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI)
    return fig, FigureCanvasAgg(fig)


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    # no Software/date metadata: the same data gives the same bytes
    FigureCanvasAgg(fig).print_png(buf, metadata={"Software": None})
    return buf.getvalue()


def day_label(d: date, *, with_month: bool = False) -> str:
    """``Mon 2`` (``Mon 2 Mar`` on long periods, where ticks are a week apart)."""
    return f"{d:%a} {d.day}" + (f" {d:%b}" if with_month else "")


def offsets(n: int) -> list[float]:
    """Horizontal offsets (days) of n priorities within one day, centred, at most SPREAD apart in all."""
    if n <= 1:
        return [0.0]
    step = SPREAD / (n - 1)
    return [-SPREAD / 2 + i * step for i in range(n)]


def _runs(points: Sequence[tuple[int, float, int]]) -> list[list[tuple[int, float, int]]]:
    """Points split where a day is missing: a line joins consecutive days only."""
    runs: list[list[tuple[int, float, int]]] = []
    for point in points:
        if runs and point[0] == runs[-1][-1][0] + 1:
            runs[-1].append(point)
        else:
            runs.append([point])
    return runs


def _target_lines(
    targets: Mapping[str, float] | float | None, priorities: Sequence[str]
) -> dict[float, list[str]]:
    """Target % -> the priorities it applies to (all of them for one number or none given)."""
    if targets is None:
        targets = DEFAULT_TARGET
    if not isinstance(targets, Mapping):
        return {float(targets): list(priorities)}
    lines: dict[float, list[str]] = {}
    for p in priorities:
        lines.setdefault(float(targets.get(p, DEFAULT_TARGET)), []).append(p)
    return lines


def compliance_figure(
    daily: Iterable[DailyRow],
    title: str,
    *,
    tickets: Iterable[TicketRow] | None = None,
    targets: Mapping[str, float] | float | None = None,
    caption: str | None = None,
) -> Figure:
    """The chart as a matplotlib Figure (module docstring); ``compliance_chart`` renders it."""
    rows = [(d, str(p), int(m), int(b)) for d, p, m, b in daily]
    fig, _ = _new_figure()
    if not rows or all(m + b == 0 for _, _, m, b in rows):
        return _empty_figure(fig, title, caption)

    priorities = sorted({p for _, p, _, _ in rows}, key=_priority_key)
    first, last = min(r[0] for r in rows), max(r[0] for r in rows)
    days: list[date] = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    index = {d: i for i, d in enumerate(days)}
    met = {p: [0] * len(days) for p in priorities}
    breached = {p: [0] * len(days) for p in priorities}
    for d, p, m, b in rows:
        met[p][index[d]] += m
        breached[p][index[d]] += b

    fig.subplots_adjust(left=0.06, right=0.80, top=0.90, bottom=0.14, hspace=0.18)
    top, bottom = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 2]})
    fig.suptitle(title, fontsize=14)
    _compliance_panel(top, len(days), priorities, met, breached, targets)
    _tickets_panel(bottom, days, priorities, met, breached, tickets)
    _day_axis(bottom, days)
    fig.text(
        0.06,
        0.012,
        textwrap.fill(caption or f"{day_label(first)} {first:%b %Y} – {day_label(last)} {last:%b %Y}", 165),
        fontsize=9,
        color="#444444",
        va="bottom",
        gid="caption",
    )
    return fig


def _empty_figure(fig: Figure, title: str, caption: str | None) -> Figure:
    ax = fig.add_subplot()
    ax.set_axis_off()
    fig.suptitle(title, fontsize=14)
    ax.text(0.5, 0.5, "no tickets in this period", ha="center", va="center", fontsize=20, color="#555555")
    if caption:
        fig.text(0.01, 0.01, caption, fontsize=9, color="#444444")
    return fig


def _compliance_panel(
    top: Axes,
    n_days: int,
    priorities: list[str],
    met: dict[str, list[int]],
    breached: dict[str, list[int]],
    targets: Mapping[str, float] | float | None,
) -> None:
    """Compliance per priority: markers on days with data, lines only between consecutive days."""
    decided_max = max(met[p][i] + breached[p][i] for p in priorities for i in range(n_days))
    handles: list[object] = []
    for n, (p, dx) in enumerate(zip(priorities, offsets(len(priorities)), strict=True)):
        colour, marker = COLOURS[n % len(COLOURS)], MARKERS[n % len(MARKERS)]
        points = [
            (i, 100.0 * met[p][i] / (met[p][i] + breached[p][i]), met[p][i] + breached[p][i])
            for i in range(n_days)
            if met[p][i] + breached[p][i]
        ]
        for run in _runs(points):
            if len(run) > 1:
                top.plot(
                    [i + dx for i, _, _ in run],
                    [y for _, y, _ in run],
                    color=colour,
                    linewidth=1.6,
                    alpha=0.8,
                    gid=f"line:{p}",
                )
        top.scatter(
            [i + dx for i, _, _ in points],
            [y for _, y, _ in points],
            s=[30 + 170 * (k / decided_max) ** 0.5 for _, _, k in points],
            color=colour,
            marker=marker,
            edgecolors="white",
            linewidths=0.8,
            zorder=3,
            gid=f"points:{p}",
        )
        handles.append(Line2D([], [], color=colour, marker=marker, linewidth=1.6, label=p))
    for value, which in sorted(_target_lines(targets, priorities).items(), reverse=True):
        label = f"target {value:g} %" + ("" if len(which) == len(priorities) else f" ({', '.join(which)})")
        handles.append(
            top.axhline(
                value,
                color=TARGET_COLOUR,
                linestyle="--",
                linewidth=1.2,
                label=label,
                gid=f"target:{value:g}",
            )
        )
    top.set_ylim(-8, 108)
    top.set_ylabel("met % of timers decided")
    top.grid(True, axis="y", alpha=0.3)
    top.set_title("Daily compliance per priority (marker area: timers decided)", fontsize=11, loc="left")
    top.legend(
        handles=handles,
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        fontsize=9,
        frameon=False,
        title="priority",
        title_fontsize=9,
    )


def _tickets_panel(
    bottom: Axes,
    days: list[date],
    priorities: list[str],
    met: dict[str, list[int]],
    breached: dict[str, list[int]],
    tickets: Iterable[TicketRow] | None,
) -> None:
    """Tickets per day: all clocks met / with a breach (timers decided when no ticket counts are given)."""
    per_day = {d: (0, 0) for d in days}
    if tickets is None:  # no ticket counts given: timers decided stand in for them
        for i, d in enumerate(days):
            per_day[d] = (sum(met[p][i] for p in priorities), sum(breached[p][i] for p in priorities))
        noun = "timers"
    else:
        for d, m, b in tickets:
            if d in per_day:
                per_day[d] = (int(m), int(b))
        noun = "tickets"
    xs = list(range(len(days)))
    ok = [per_day[d][0] for d in days]
    bad = [per_day[d][1] for d in days]
    bottom.bar(xs, ok, width=0.6, color=MET_COLOUR, label=f"{noun}, all met", gid="bars:met")
    bottom.bar(
        xs,
        bad,
        width=0.6,
        bottom=ok,
        color=BREACHED_COLOUR,
        label=f"{noun} with a breach",
        gid="bars:breached",
    )
    for x, a, b in zip(xs, ok, bad, strict=True):
        if a + b:
            bottom.text(x, a + b, str(a + b), ha="center", va="bottom", fontsize=8, color="#333333")
    bottom.set_ylabel(noun)
    bottom.set_title(f"{noun.capitalize()} decided per day", fontsize=11, loc="left")
    bottom.grid(True, axis="y", alpha=0.3)
    bottom.set_ylim(0, max(1, max(a + b for a, b in zip(ok, bad, strict=True))) * 1.25)
    bottom.yaxis.set_major_locator(MaxNLocator(integer=True))
    bottom.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=9, frameon=False)


def _day_axis(bottom: Axes, days: list[date]) -> None:
    long = len(days) > 31
    ticks = [i for i, d in enumerate(days) if not long or d.weekday() == 0] or [0]
    bottom.xaxis.set_major_locator(FixedLocator(ticks))
    bottom.set_xticklabels([day_label(days[i], with_month=long) for i in ticks], fontsize=9)
    bottom.set_xlim(-0.6, len(days) - 0.4)


def compliance_chart(
    daily: Iterable[DailyRow],
    title: str,
    *,
    tickets: Iterable[TicketRow] | None = None,
    targets: Mapping[str, float] | float | None = None,
    caption: str | None = None,
) -> bytes:
    """A 1200×700 PNG of daily compliance % per priority and tickets per day (module docstring)."""
    return _png(compliance_figure(daily, title, tickets=tickets, targets=targets, caption=caption))


def chart_size(png: Sequence[int] | bytes) -> tuple[int, int]:
    """Width and height read from a PNG's IHDR chunk."""
    data = bytes(png)
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
