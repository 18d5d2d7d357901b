"""The report chart renders a sane PNG, reflects its data, and says so when there is none."""

from __future__ import annotations

import io
import sys
from datetime import date, timedelta

import matplotlib.image
import numpy as np

from bot.reports.chart import chart_size, compliance_chart

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
