"""The status page's rows, on SQLite and PostgreSQL, are read from the DBAPI cursor and kept by the raw
row they came from (``storage.repositories.status._RowReader``): the same values and types as
SQLAlchemy's rows, a changed row read anew, and the kept rows bounded."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from storage.repositories import TimerRow
from storage.repositories import status as status_module
from storage.uow import UnitOfWork
from tests.support.stored import stored_ticket

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
H, M = timedelta(hours=1), timedelta(minutes=1)
NOW = T0 + 3 * H


def _timers(i: int) -> list[TimerRow]:
    paused = i % 3 == 0
    return [
        TimerRow(
            metric="first_response",
            cycle=1,
            state="met" if i % 2 else "breached",
            target=H,
            started_at=T0,
            priority="P2",
            calendar_name="support",
            due_at=T0 + H,
            stopped_at=T0 + 30 * M if i % 2 else None,
            breached_at=None if i % 2 else T0 + H,
            business_elapsed=30 * M + timedelta(microseconds=i),
        ),
        TimerRow(
            metric="resolution",
            cycle=1 + i % 2,
            state="paused" if paused else "running",
            target=8 * H,
            started_at=T0 + timedelta(seconds=i, microseconds=123456),
            priority="P2",
            calendar_name=None if i % 4 == 1 else "support",
            due_at=None if paused else NOW + i * M,
            pause_reason="waiting on client" if paused else None,
            resumed_at=None if paused else T0 + 2 * H,
            elapsed_at_resume=None if paused else 2 * H + timedelta(seconds=0.25),
            business_elapsed=2.5 * H,
            paused_for=M if paused else timedelta(0),
            at_risk_at=NOW - M if i % 4 == 3 else None,
        ),
    ]


def _load(uow: UnitOfWork, count: int = 12) -> list[int]:
    ids = []
    with uow.begin() as tx:
        for i in range(count):
            ticket = stored_ticket(
                tx,
                "T1",
                _timers(i),
                now=T0 + H,
                source="slack_thread",
                opened_at=T0,
                title=f"ticket {i} <b>&",
                requester="U9",
                client_key="acme" if i % 2 else "globex",
                priority="P2",
                channel_id="C1",
                thread_ts=f"1700000000.{i:06d}",
            )
            ids.append(ticket.id)
    return ids


def _page(uow: UnitOfWork, **kw: Any) -> Any:
    with uow.begin(read_only=True) as tx:
        return tx.status.open_tickets(team_id="T1", now=NOW, **kw)


FILTERS: list[dict[str, Any]] = [
    {},
    {"state": "breached"},
    {"state": "at_risk"},
    {"client_key": "acme"},
    {"requester": "U9", "limit": 5},
    {"channel_id": "C1", "limit": 3},
]


def test_pages_read_from_the_cursor_equal_sqlalchemys_rows(
    uow: UnitOfWork, monkeypatch: pytest.MonkeyPatch
) -> None:
    _load(uow)
    read = [_page(uow, **kw) for kw in FILTERS]
    monkeypatch.setattr(status_module, "_readers", lambda dialect: None)  # SQLAlchemy's rows, as before
    expected = [_page(uow, **kw) for kw in FILTERS]
    assert read == expected
    for page, reference in zip(read, expected, strict=True):
        assert page.items, "every filter finds tickets"
        for item, ref_item in zip(page.items, reference.items, strict=True):
            assert type(item.ticket) is type(ref_item.ticket)
            assert [type(v) for v in item.ticket] == [type(v) for v in ref_item.ticket]
            for timer, ref_timer in zip(item.timers, ref_item.timers, strict=True):
                assert type(timer) is type(ref_timer)
                assert [type(v) for v in timer] == [type(v) for v in ref_timer]
                for value in timer:
                    if isinstance(value, datetime):
                        assert value.tzinfo is UTC


def test_converted_rows_are_kept_and_a_changed_row_read_anew(uow: UnitOfWork) -> None:
    ids = _load(uow)
    first, second = _page(uow), _page(uow)
    assert all(
        a.ticket is b.ticket and all(x is y for x, y in zip(a.timers, b.timers, strict=True))
        for a, b in zip(first.items, second.items, strict=True)
    ), "the same stored rows: the rows converted for the first answer"
    changed = ids[0]
    with uow.begin() as tx:
        tx.timers.replace_for_ticket(
            team_id="T1",
            ticket_id=changed,
            timers=[_timers(0)[0], replace(_timers(0)[1], due_at=NOW + 7 * H)],
            now=T0 + 2 * H,
        )
    third = _page(uow)
    timers = {item.ticket.id: item.timers for item in third.items}
    assert [t.due_at for t in timers[changed] if t.metric == "resolution"] == [NOW + 7 * H]
    unchanged = {item.ticket.id: item.timers for item in second.items}
    assert all(
        x is y for ticket_id in ids[1:] for x, y in zip(timers[ticket_id], unchanged[ticket_id], strict=True)
    )


def test_kept_rows_are_bounded(uow: UnitOfWork, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(status_module, "_MEMO_ROWS", 5)
    _load(uow)
    page = _page(uow)
    assert len(page.items) == 12
    readers = status_module._readers(uow.session_factory.kw["bind"].dialect)
    assert readers is not None
    assert all(len(reader.memo) <= 5 for reader in readers)
    assert _page(uow) == page
