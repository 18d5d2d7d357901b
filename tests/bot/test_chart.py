"""The report chart renders a sane PNG, reflects its data, and says so when there is none."""

from __future__ import annotations

import io
import re
import sys
from datetime import date, timedelta

import matplotlib.image
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from bot.reports.chart import chart_size, compliance_chart, compliance_figure

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
START = date(2026, 11, 16)


def week(breaches_on_wednesday: int = 2) -> list[tuple[date, str, int, int]]:
    rows = []
    for i in range(7):
        day = START + timedelta(days=i)
        rows.append((day, "P1", 3, 1 if i == 3 else 0))
        rows.append((day, "P2", 5 + i, breaches_on_wednesday if i == 2 else 0))
        rows.append((day, "P10", 1, 0))
    return rows


def decode(png: bytes) -> np.ndarray:
    return matplotlib.image.imread(io.BytesIO(png), format="png")


def test_a_week_renders_to_a_png_of_sane_size() -> None:
    png = compliance_chart(week(), "Acme — 2026-W47")
    assert png.startswith(PNG_SIGNATURE)
    assert 10_000 < len(png) <= 150_000
    assert chart_size(png) == (1200, 700)
    pixels = decode(png)
    assert pixels.shape[:2] == (700, 1200)
    # not a blank canvas: plenty of pixels differ from the white background
    assert (pixels[:, :, :3] < 0.9).any(axis=2).mean() > 0.01


def test_different_data_gives_different_bytes_and_same_data_the_same() -> None:
    a = compliance_chart(week(2), "W47")
    assert compliance_chart(week(2), "W47") == a
    assert compliance_chart(week(5), "W47") != a
    assert compliance_chart(week(2), "W48") != a


def test_no_data_says_no_tickets() -> None:
    empty = compliance_chart([], "Acme — 2026-W47")
    assert empty.startswith(PNG_SIGNATURE)
    assert chart_size(empty) == (1200, 700)
    assert decode(empty).shape[:2] == (700, 1200)
    assert empty != compliance_chart(week(), "Acme — 2026-W47")
    # all-zero rows are "no tickets" too
    assert compliance_chart([(START, "P1", 0, 0)], "Acme — 2026-W47") == empty


def test_a_single_day_and_a_gap_render() -> None:
    one = compliance_chart([(START, "P1", 0, 2)], "one day")
    gap = compliance_chart([(START, "P1", 1, 0), (START + timedelta(days=20), "P3", 0, 1)], "gap")
    assert one.startswith(PNG_SIGNATURE) and gap.startswith(PNG_SIGNATURE)


def test_no_pyplot_state_is_left_behind() -> None:
    compliance_chart(week(), "x")
    pyplot = sys.modules.get("matplotlib.pyplot")
    assert pyplot is None or pyplot.get_fignums() == []


# --- the chart tells the truth at a glance: checked on the figure's artists ------------------------

WEEKDAY_LABEL = re.compile(r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d{1,2}$")


def truth_problems(fig: Figure, *, caption_words: tuple[str, ...] = ()) -> list[str]:
    """What would mislead on this compliance chart (empty: nothing). Used on the demo week too."""
    problems: list[str] = []
    top, bottom = fig.axes[0], fig.axes[1]
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    # 1. a line joins consecutive days only (x are day indexes plus a fixed offset per priority)
    for line in top.get_lines():
        gid = line.get_gid() or ""
        if gid.startswith("line:"):
            steps = np.diff(np.asarray(line.get_xdata(), dtype=float))
            if len(steps) and not np.allclose(steps, 1.0):
                problems.append(f"{gid} runs across a day without data: steps {steps.tolist()}")
    # 2. every priority has its own points, and none sits on another priority's point
    points = {
        c.get_gid(): c.get_offsets() for c in top.collections if (c.get_gid() or "").startswith("points:")
    }
    seen: dict[tuple[float, float], str] = {}
    for gid, xy in points.items():
        for x, y in np.asarray(xy):
            other = seen.get((round(float(x), 6), round(float(y), 6)))
            if other is not None and other != gid:
                problems.append(f"{gid} hides {other} at x={x:.2f}, y={y:.0f}")
            seen[(round(float(x), 6), round(float(y), 6))] = gid
    # 3. the target is a horizontal line
    targets = [ln for ln in top.get_lines() if (ln.get_gid() or "").startswith("target:")]
    if not targets or any(len(set(ln.get_ydata())) != 1 for ln in targets):
        problems.append("no horizontal target line")
    # 4. volume per day as bars
    bars = [p for p in bottom.patches if (p.get_gid() or "").startswith("bars:")]
    if not bars:
        problems.append("no bars of tickets per day")
    # 5. legends outside the data
    for ax in (top, bottom):
        legend = ax.get_legend()
        if legend is None:
            problems.append(f"{ax.get_title()!r} has no legend")
        elif legend.get_window_extent(renderer).x0 < ax.get_window_extent(renderer).x1:
            problems.append(f"the legend of {ax.get_title()!r} overlaps the data")
    # 6. weekday labels ("Mon 2")
    labels = [t.get_text() for t in bottom.get_xticklabels() if t.get_text()]
    if not labels or not all(WEEKDAY_LABEL.match(t) for t in labels):
        problems.append(f"day labels are not weekday + day: {labels}")
    # 7. a caption with the period and the time zone
    texts = " ".join(" ".join(t.get_text().split()) for t in fig.texts)
    missing = [w for w in caption_words if w not in texts]
    if missing:
        problems.append(f"the caption lacks {missing}: {texts!r}")
    width = fig.get_window_extent(renderer).x1
    for t in fig.texts:
        if t.get_window_extent(renderer).x1 > width:
            problems.append(f"the caption runs off the picture: {t.get_text()[:40]!r}…")
    return problems


def test_a_week_with_gaps_and_coinciding_priorities_reads_truthfully() -> None:
    rows = []
    for i in range(7):
        day = START + timedelta(days=i)
        if i in (2, 5):  # no decided timer on Wednesday or Saturday
            continue
        rows += [(day, "P1", 1, 0), (day, "P3", 4, 0)]  # both at 100 % every day
        rows.append((day, "P2", 2, 1 if i == 3 else 0))
    tickets = [(START + timedelta(days=i), 5, 1 if i == 3 else 0) for i in range(7) if i not in (2, 5)]
    caption = "Period 2026-W47: Mon 16 Nov 2026 – Sun 22 Nov 2026, days in Europe/Berlin."
    fig = compliance_figure(rows, "Acme — 2026-W47", tickets=tickets, targets=95, caption=caption)
    assert truth_problems(fig, caption_words=("2026-W47", "Europe/Berlin")) == []
    top, bottom = fig.axes[0], fig.axes[1]
    # the lines stop at the missing days: P1 has Mon-Tue, Thu-Fri and Sun alone (no line for one day)
    p1 = [ln for ln in top.get_lines() if ln.get_gid() == "line:P1"]
    assert [len(ln.get_xdata()) for ln in p1] == [2, 2]
    # the three priorities sit side by side within each day
    xs = {c.get_gid(): np.asarray(c.get_offsets())[0][0] for c in top.collections}
    assert xs["points:P1"] < xs["points:P2"] < xs["points:P3"]
    # Thursday's bar: 5 tickets all met, 1 with a breach on top
    heights = {(p.get_gid(), round(p.get_x() + p.get_width() / 2)): p.get_height() for p in bottom.patches}
    assert heights[("bars:met", 3)] == 5 and heights[("bars:breached", 3)] == 1
    assert [t.get_text() for t in bottom.get_xticklabels()] == [
        "Mon 16",
        "Tue 17",
        "Wed 18",
        "Thu 19",
        "Fri 20",
        "Sat 21",
        "Sun 22",
    ]
    assert ("target:95", 95.0) in [(ln.get_gid(), ln.get_ydata()[0]) for ln in top.get_lines()]


def test_a_broken_chart_is_caught() -> None:
    """The checks can fail: a plain line chart across a gap, with the legend on the data."""
    fig = Figure(figsize=(12, 7))
    top, bottom = fig.subplots(2, 1)
    top.plot([0, 2], [100, 100], gid="line:P1")
    top.legend(["P1"], loc="lower left")
    bottom.bar([0], [1])
    fig.text(0.5, 0.01, "Period 2026-W47 " * 30)
    problems = truth_problems(fig, caption_words=("Europe/Berlin",))
    assert any("runs off the picture" in p for p in problems)
    assert any("runs across a day" in p for p in problems)
    assert any("no horizontal target line" in p for p in problems)
    assert any("overlaps the data" in p for p in problems)
    assert any("weekday" in p for p in problems) and any("caption" in p for p in problems)


def test_targets_per_priority_draw_one_line_each() -> None:
    fig = compliance_figure(week(), "x", targets={"P1": 95.0, "P2": 90.0})
    lines = sorted(
        (ln.get_gid(), ln.get_label()) for ln in fig.axes[0].get_lines() if "target" in (ln.get_gid() or "")
    )
    assert lines == [("target:90", "target 90 % (P2)"), ("target:95", "target 95 % (P1, P10)")]


def test_long_periods_tick_mondays_with_the_month() -> None:
    rows = [(date(2026, 7, 1) + timedelta(days=i), "P2", 1, 0) for i in range(0, 92, 3)]
    labels = [t.get_text() for t in compliance_figure(rows, "Q3").axes[1].get_xticklabels()]
    assert labels[0] == "Mon 6 Jul" and all(t.startswith("Mon ") for t in labels)
