"""Bulk writes store what the one-by-one writes store: ``events.append_many`` against ``events.append``
(numbering, idempotency by source and external id, a concurrent duplicate), ``outbox.enqueue_many``
against ``outbox.enqueue`` (keys created once, the workspace ensured), the sweep's bulk releases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from storage.models import Notification, TicketEventRow, Workspace
from storage.repositories import NewEvent, NotFound, QueuedRow
from storage.repositories.events import EventRepository
from storage.uow import UnitOfWork

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
M = timedelta(minutes=1)


def new_ticket(uow: UnitOfWork, team: str) -> int:
    with uow.begin() as tx:
        return tx.tickets.create(team_id=team, source="webhook", opened_at=T0).id


def batch(a: int, b: int) -> list[NewEvent]:
    """Events of two tickets, interleaved: stored ids again, an id repeated in the batch, the same id
    from another source, events without an id."""
    return [
        NewEvent(a, T0 + M, "agent_message", actor="U2", source="zendesk", external_id="ev-1"),  # stored
        NewEvent(b, T0 + M, "client_message", actor="U3", note="hello", source="zendesk", external_id="ev-2"),
        NewEvent(a, T0 + 2 * M, "status", status="on_hold", source="zendesk", external_id="ev-3"),
        NewEvent(b, T0 + 2 * M, "agent_message", source="zendesk", external_id="ev-2"),  # repeated here
        NewEvent(a, T0 + 3 * M, "client_message", source="jira", external_id="ev-1"),  # other source
        NewEvent(b, T0 + 3 * M, "priority", priority="P1"),
        NewEvent(a, T0 + 4 * M, "agent_message"),
    ]


def stored(uow: UnitOfWork, team: str, ids: dict[int, str]) -> list[tuple[object, ...]]:
    with uow.begin(read_only=True) as tx:
        e = TicketEventRow
        rows = tx.session.scalars(select(e).where(e.team_id == team).order_by(e.ticket_id, e.seq))
        return [
            (ids[r.ticket_id], r.seq, r.at, r.kind, r.priority, r.status, r.actor, r.note, r.source)
            + (r.external_id, r.recorded_at)
            for r in rows
        ]


def seed(uow: UnitOfWork, team: str) -> tuple[int, int]:
    a, b = new_ticket(uow, team), new_ticket(uow, team)
    with uow.begin() as tx:
        for ticket_id in (a, b):
            tx.events.append(team_id=team, ticket_id=ticket_id, at=T0, kind="opened", recorded_at=T0)
        tx.events.append(
            team_id=team,
            ticket_id=a,
            at=T0,
            kind="agent_message",
            source="zendesk",
            external_id="ev-1",
            recorded_at=T0,
        )
    return a, b


def test_append_many_stores_what_append_one_by_one_stores(uow: UnitOfWork) -> None:
    a, b = seed(uow, "TBULK")
    ra, rb = seed(uow, "TREF")
    with uow.begin() as tx:
        bulk = tx.events.append_many(team_id="TBULK", events=batch(a, b), recorded_at=T0 + 5 * M)
    with uow.begin() as tx:
        one_by_one = [
            tx.events.append(
                team_id="TREF",
                ticket_id=e.ticket_id,
                at=e.at,
                kind=e.kind,
                priority=e.priority,
                status=e.status,
                actor=e.actor,
                note=e.note,
                source=e.source,
                external_id=e.external_id,
                recorded_at=T0 + 5 * M,
            )
            for e in batch(ra, rb)
        ]
    assert [(x.seq, x.created) for x in bulk] == [(x.seq, x.created) for x in one_by_one]
    assert [(x.seq, x.created) for x in bulk] == [
        (2, False),
        (2, True),
        (3, True),
        (2, False),
        (4, True),
        (3, True),
        (5, True),
    ]
    assert stored(uow, "TBULK", {a: "a", b: "b"}) == stored(uow, "TREF", {ra: "a", rb: "b"})
    with uow.begin() as tx:  # the tickets' counters moved on: the next append numbers after them
        assert (
            tx.events.append(team_id="TBULK", ticket_id=a, at=T0, kind="agent_message", recorded_at=T0).seq
            == 6
        )
        assert tx.tickets.get(team_id="TBULK", ticket_id=b).event_seq == 3  # type: ignore[union-attr]


def test_append_many_to_an_unknown_ticket_stores_nothing(uow: UnitOfWork) -> None:
    a, _b = seed(uow, "TBULK")
    with pytest.raises(NotFound), uow.begin() as tx:
        tx.events.append_many(
            team_id="TBULK",
            events=[NewEvent(a, T0 + M, "agent_message"), NewEvent(a + 999, T0 + M, "agent_message")],
            recorded_at=T0,
        )
    with uow.begin(read_only=True) as tx:
        assert len(tx.events.list_for_ticket(team_id="TBULK", ticket_id=a)) == 2
        assert tx.tickets.get(team_id="TBULK", ticket_id=a).event_seq == 2  # type: ignore[union-attr]


def test_append_many_falls_back_to_one_by_one_when_a_concurrent_writer_stored_an_id(
    uow: UnitOfWork, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b = seed(uow, "TBULK")
    # the lookup misses ev-1 (as if another process stored it just after): the bulk insert collides
    monkeypatch.setattr(EventRepository, "_stored_by_external_id", lambda self, team, source, ids: [])
    with uow.begin() as tx:
        out = tx.events.append_many(team_id="TBULK", events=batch(a, b), recorded_at=T0 + 5 * M)
    assert [(x.seq, x.created) for x in out][:2] == [(2, False), (2, True)]
    with uow.begin(read_only=True) as tx:
        assert [e.seq for e in tx.events.list_for_ticket(team_id="TBULK", ticket_id=a)] == [1, 2, 3, 4, 5]


def test_enqueue_many_creates_each_key_once_and_ensures_the_workspace(uow: UnitOfWork) -> None:
    with uow.begin() as tx:
        assert tx.outbox.enqueue(team_id="TNEW", idempotency_key="k1", kind="warning", payload={}, now=T0)
    rows = [
        QueuedRow("TNEW", "k1", "warning", {"n": 1}, channel_id="C1"),  # stored before
        QueuedRow("TNEW", "k2", "warning", {"n": 2}, channel_id="C1", thread_ts="1.2", ticket_id=None),
        QueuedRow("TNEW", "k2", "warning", {"n": 3}),  # repeated: the first one is kept
        QueuedRow("TNEW", "k3", "warning", {"n": 4}, state="cancelled", last_error="superseded"),
        QueuedRow("TOTHER", "k1", "breach", {"n": 5}),  # same key, another (new) workspace
    ]
    with uow.begin() as tx:
        created = tx.outbox.enqueue_many(rows, now=T0 + M)
        again = tx.outbox.enqueue_many(rows, now=T0 + 2 * M)
    assert created == {"k2", "k3", "k1"} and again == set()
    with uow.begin(read_only=True) as tx:
        n = Notification
        found = {
            (r.team_id, r.idempotency_key): (r.payload, r.state, r.last_error, r.thread_ts, r.created_at)
            for r in tx.session.scalars(select(n))
        }
        teams = set(tx.session.scalars(select(Workspace.team_id)))
    assert found[("TNEW", "k1")][0] == {}  # not overwritten
    assert found[("TNEW", "k2")] == ({"n": 2}, "pending", None, "1.2", T0 + M)
    assert found[("TNEW", "k3")][1:3] == ("cancelled", "superseded")
    assert found[("TOTHER", "k1")][1] == "pending"
    assert {"TNEW", "TOTHER"} <= teams


def test_timer_row_values_are_its_columns_in_order() -> None:
    """``TimerRow.values()`` (the bulk writers' tuple) is ``columns().values()``: the same values in
    the order of ``TIMER_ROW_COLUMNS``, an instant in another zone converted to UTC, a naive one refused."""
    from storage.repositories.timers import TIMER_ROW_COLUMNS, TimerRow

    paris = timezone(timedelta(hours=2))
    row = TimerRow(
        metric="resolution",
        cycle=2,
        state="paused",
        target=timedelta(hours=8),
        started_at=T0,
        priority="P2",
        calendar_name="office",
        due_at=(T0 + 3 * M).astimezone(paris),
        business_elapsed=timedelta(minutes=90),
        paused_for=timedelta(seconds=30),
        pause_reason="on_hold",
        resumed_at=T0 + M,
        elapsed_at_resume=timedelta(minutes=5),
        next_alert_at=T0 + 2 * M,
    )
    assert tuple(row.columns()) == TIMER_ROW_COLUMNS
    assert row.values() == tuple(row.columns().values())
    assert row.values()[TIMER_ROW_COLUMNS.index("due_at")].tzinfo is UTC
    naive = TimerRow("resolution", 1, "running", timedelta(hours=1), T0, due_at=datetime(2026, 3, 2, 9))
    for read in (naive.columns, naive.values):
        with pytest.raises(ValueError, match="naive due_at"):
            read()


def test_bulk_binding_converts_each_column_as_one_insert_would(uow: UnitOfWork) -> None:
    """The bulk insert binds column by column (a value repeated in every row converted once): the rows
    read back are the ones the ORM's own insert stores — aware instants as UTC, None as NULL."""
    from storage.bulk import EVENT_COLUMNS, bulk_insert

    team = "T0BULKBIND"
    a, b = new_ticket(uow, team), new_ticket(uow, team)
    now = datetime(2026, 3, 2, 12, 0, tzinfo=timezone(timedelta(hours=1)))
    rows = [
        (
            team,
            ticket,
            seq,
            T0 + seq * M,
            "agent_message",
            None,
            None,
            None,
            None,
            None,
            "import",
            f"x-{ticket}-{seq}",
            now,
        )
        for ticket in (a, b)
        for seq in (1, 2, 3)
    ]
    with uow.begin() as tx:
        assert bulk_insert(tx.session, TicketEventRow.__table__, EVENT_COLUMNS, rows) == 6
        with pytest.raises(ValueError, match="columns"):
            bulk_insert(tx.session, TicketEventRow.__table__, EVENT_COLUMNS, [rows[0][:-1]])
    got = stored(uow, team, {a: "a", b: "b"})
    assert [(r[0], r[1], r[2], r[-2], r[-1]) for r in got] == [
        (name, seq, T0 + seq * M, f"x-{ticket}-{seq}", now.astimezone(UTC))
        for name, ticket in (("a", a), ("b", b))
        for seq in (1, 2, 3)
    ]
    assert all(r[-1].tzinfo is UTC for r in got)
