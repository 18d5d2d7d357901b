"""The compliance chart of a report: a PNG for ``files_upload_v2``.

Top panel: daily compliance % per priority (met / decided that day, one line per priority).
Bottom panel: breaches per priority per day (stacked bars). Rendered with matplotlib's Agg
canvas on a private ``Figure`` — no ``pyplot``, so no global figure registry, no GUI backend
and nothing left behind between calls (safe in threads and worker processes).

``daily`` rows are ``(date, priority, met, breached)`` as ``sla.summary.daily_counts`` gives
them. An empty list renders a chart that says "no tickets in this period".
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Sequence
from datetime import date, timedelta

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

WIDTH_IN, HEIGHT_IN, DPI = 12.0, 7.0, 100  # 1200 × 700 px
COLOURS = ("#d62728", "#ff7f0e", "#1f77b4", "#2ca02c", "#9467bd", "#8c564b", "#7f7f7f")

DailyRow = tuple[date, str, int, int]


def _priority_key(p: str) -> tuple[str, int, str]:
    digits = re.sub(r"\D", "", p)
    return (re.sub(r"\d", "", p), int(digits) if digits else -1, p)


def _new_figure() -> tuple[Figure, FigureCanvasAgg]:
    fig = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI)
    return fig, FigureCanvasAgg(fig)


def _png(fig: Figure, canvas: FigureCanvasAgg) -> bytes:
    buf = io.BytesIO()
    # no Software/date metadata: the same data gives the same bytes
    canvas.print_png(buf, metadata={"Software": None})
    return buf.getvalue()


def compliance_chart(daily: Iterable[DailyRow], title: str) -> bytes:
    """A 1200×700 PNG of daily compliance % and breaches per priority (module docstring)."""
    rows = [(d, str(p), int(m), int(b)) for d, p, m, b in daily]
    fig, canvas = _new_figure()
    if not rows or all(m + b == 0 for _, _, m, b in rows):
        ax = fig.add_subplot()
        ax.set_axis_off()
        fig.suptitle(title, fontsize=14)
        ax.text(0.5, 0.5, "no tickets in this period", ha="center", va="center", fontsize=20, color="#555555")
        return _png(fig, canvas)

    priorities = sorted({p for _, p, _, _ in rows}, key=_priority_key)
    first, last = min(r[0] for r in rows), max(r[0] for r in rows)
    days: list[date] = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    index = {d: i for i, d in enumerate(days)}
    met = {p: [0] * len(days) for p in priorities}
    breached = {p: [0] * len(days) for p in priorities}
    for d, p, m, b in rows:
        met[p][index[d]] += m
        breached[p][index[d]] += b

    top, bottom = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 2]})
    fig.suptitle(title, fontsize=14)
    colour = {p: COLOURS[i % len(COLOURS)] for i, p in enumerate(priorities)}

    for p in priorities:
        xs, ys = [], []
        for i, d in enumerate(days):
            decided = met[p][i] + breached[p][i]
            if decided:
                xs.append(d)
                ys.append(100.0 * met[p][i] / decided)
        top.plot(xs, ys, marker="o", markersize=4, linewidth=1.8, color=colour[p], label=p)
    top.set_ylim(-5, 105)
    top.set_ylabel("met %")
    top.grid(True, alpha=0.3)
    top.legend(loc="lower left", ncols=min(len(priorities), 6), fontsize=9)
    top.set_title("Daily compliance per priority", fontsize=11, loc="left")

    base = [0] * len(days)
    for p in priorities:
        bottom.bar(days, breached[p], bottom=base, color=colour[p], label=p, width=0.8)
        base = [a + b for a, b in zip(base, breached[p], strict=True)]
    bottom.set_ylabel("breaches")
    bottom.set_title("Breaches per day", fontsize=11, loc="left")
    bottom.grid(True, axis="y", alpha=0.3)
    bottom.set_ylim(0, max(1, max(base)) * 1.15)
    bottom.yaxis.set_major_locator(MaxNLocator(integer=True))
    locator = AutoDateLocator()
    bottom.xaxis.set_major_locator(locator)
    bottom.xaxis.set_major_formatter(ConciseDateFormatter(locator))
    fig.tight_layout()
    return _png(fig, canvas)


def chart_size(png: Sequence[int] | bytes) -> tuple[int, int]:
    """Width and height read from a PNG's IHDR chunk."""
    data = bytes(png)
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
