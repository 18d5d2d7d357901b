"""What a status page's timer row holds whatever ``now`` is is read once per row object and kept between
answers (``bot.services.status_rows.PartsByRow``): every answer's live timer is still the row brought
forward to that answer's ``now``."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.services.status_rows import PartsByRow, live_timer, live_timer_of, timer_parts
from storage.repositories.status import StatusTimer
from tests.bot.test_stored_timer_advance import NOW, OFFICE, ROWS, row


def _status_row(changes: dict[str, object]) -> StatusTimer:
    stored = row(**{k: v for k, v in changes.items() if k != "now"})
    return StatusTimer(id=7, ticket_id=3, **{name: getattr(stored, name) for name in StatusTimer._fields[2:]})


@pytest.mark.parametrize("changes", list(ROWS.values()), ids=list(ROWS))
def test_kept_parts_bring_the_row_forward_to_every_later_now(changes: dict[str, object]) -> None:
    status_row = _status_row(changes)
    kept = PartsByRow()
    first = kept(status_row)
    assert first == timer_parts(status_row)
    for minutes in (0, 1, 59, 60 * 24 * 3):
        now = NOW + timedelta(minutes=minutes)
        assert kept(status_row) is first  # read once: the same row object's parts
        assert live_timer_of(kept(status_row), now, OFFICE) == live_timer(status_row, now, OFFICE)


def test_parts_are_kept_by_row_object_and_bounded() -> None:
    kept = PartsByRow(max_rows=3)
    rows = [_status_row({"cycle": i + 1}) for i in range(5)]
    parts = [kept(r) for r in rows]
    assert len(kept._kept) <= 3
    twin = _status_row({"cycle": 1})  # an equal row, another object: read for itself
    assert kept(twin) == parts[0]
    assert kept(rows[4]) is parts[4]
    assert [p[1] for p in parts] == [1, 2, 3, 4, 5]
