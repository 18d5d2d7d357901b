"""The bulk writers' shortcuts store exactly what the ORM path stores: the column-wise datetime
processing (``UTCDateTime``'s processor ``many``), SQLite's timestamp text, and the ticket updates
that leave the indexed columns out when their values stay; the batch lookups read what the models read."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import event, select, text
from sqlalchemy.dialects import postgresql, sqlite

from storage.models import Ticket, TicketEventRow
from storage.sources import (
    TICKET_PLAN_COLUMNS,
    TICKET_UPDATE_COLUMNS,
    events_of_tickets,
    insert_events,
    stored_external_ids,
    ticket_refs_by_external_ref,
    tickets_by_external_ref,
    update_tickets,
)
from storage.types import UTCDateTime, _sqlite_text
from storage.uow import UnitOfWork

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PARIS = timezone(timedelta(hours=2))


def _instants() -> list[datetime]:
    rng = random.Random(16)
    edges = [
        datetime(1, 1, 1, tzinfo=UTC),
        datetime(999, 12, 31, 23, 59, 59, tzinfo=UTC),
        datetime(9999, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC),
        T0,
        T0.replace(microsecond=1),
        T0.replace(microsecond=999_999),
    ]
    start = datetime(1970, 1, 1, tzinfo=UTC)
    spread = [
        start
        + timedelta(seconds=rng.randrange(3 * 10**9), microseconds=rng.choice((0, rng.randrange(10**6))))
        for _ in range(5_000)
    ]
    return edges + spread


def test_sqlite_text_is_the_isoformat_of_the_utc_instant() -> None:
    for value in _instants():
        assert _sqlite_text(value) == value.isoformat(" ", "microseconds")[: -len("+00:00")]


@pytest.mark.parametrize("dialect", [sqlite.dialect(), postgresql.psycopg.dialect()], ids=["sqlite", "pg"])
def test_column_processing_is_the_processor_value_for_value(dialect: object) -> None:
    process = UTCDateTime().dialect_impl(dialect).bind_processor(dialect)  # type: ignore[arg-type]
    values = [
        None,
        *_instants()[:50],
        T0.astimezone(PARIS),
        None,
        (T0 + timedelta(seconds=1)).astimezone(PARIS),
    ]
    assert process.many(values) == [process(v) for v in values]
    if dialect.name == "sqlite":  # type: ignore[attr-defined]
        assert process.many([T0.astimezone(PARIS)]) == ["2026-03-02 09:00:00.000000"]
    for bad, error in ((datetime(2026, 3, 2, 9), ValueError), ("2026-03-02", TypeError)):
        with pytest.raises(error):
            process(bad)
        with pytest.raises(error):
            process.many([T0, bad])


def _stored_row(uow: UnitOfWork, ticket_id: int) -> tuple[object, ...]:
    with uow.begin(read_only=True) as tx:
        raw = tx.session.execute(
            text(f"SELECT {', '.join(TICKET_UPDATE_COLUMNS)} FROM tickets WHERE id = :id"), {"id": ticket_id}
        ).one()
        return tuple(raw)


def test_ticket_update_leaves_unchanged_indexed_columns_out_and_stores_the_same(
    uow: UnitOfWork, second_uow: UnitOfWork
) -> None:
    """The same updates with and without ``stored``: the rows read back (raw, as the database holds
    them) are identical, whether the due fields keep their values or change."""
    due = T0 + timedelta(hours=4)
    for db in (uow, second_uow):
        with db.begin() as tx:
            for n in (1, 2):
                tx.tickets.create(team_id="T0BIND", source="import", opened_at=T0, external_ref=f"import:{n}")
    updates = {
        "import:1": ("P2", "on_hold", None, None, True, 3, None, None, False, T0 + timedelta(minutes=5)),
        "import:2": ("P1", "open", None, None, True, 2, due, due - timedelta(hours=1), False, T0),
    }
    rows_of: dict[int, list[tuple[object, ...]]] = {}
    for index, db in enumerate((uow, second_uow)):
        with db.begin() as tx:
            stored = tickets_by_external_ref(
                tx.session, team_id="T0BIND", external_refs=list(updates), lock=True
            )
            assert set(TICKET_PLAN_COLUMNS) >= {"is_open", "next_due_at", "next_risk_at", "has_breach"}
            rows = [(*updates[ref], stored[ref].id) for ref in sorted(updates)]
            statements: list[tuple[str, int]] = []

            def seen(conn, cursor, statement, parameters, context, executemany, out=statements) -> None:  # type: ignore[no-untyped-def]
                if statement.startswith("UPDATE tickets"):
                    out.append((statement, len(parameters) if executemany else 1))

            bind = tx.session.connection().engine
            event.listen(bind, "before_cursor_execute", seen)
            try:
                update_tickets(
                    tx.session, rows, stored={t.id: t for t in stored.values()} if index == 0 else None
                )
            finally:
                event.remove(bind, "before_cursor_execute", seen)
            if index == 0:  # the ticket whose due fields stay is updated without them
                assert sorted(("next_due_at" in s, n) for s, n in statements) == [(False, 1), (True, 1)]
            else:
                assert [("next_due_at" in s, n) for s, n in statements] == [(True, 2)]
            rows_of[index] = rows
        with db.begin(read_only=True) as tx:
            ids = tx.session.scalars(select(Ticket.id).where(Ticket.team_id == "T0BIND").order_by(Ticket.id))
            rows_of[index] = [_stored_row(db, i) for i in list(ids)]
    assert rows_of[0] == rows_of[1]
    assert rows_of[0][0][TICKET_UPDATE_COLUMNS.index("status")] == "on_hold"
    assert rows_of[0][0][TICKET_UPDATE_COLUMNS.index("event_seq")] == 3
    assert rows_of[0][1][TICKET_UPDATE_COLUMNS.index("priority")] == "P1"


def test_copy_is_binary_where_every_column_has_a_binary_type() -> None:
    """PostgreSQL's COPY sends the import's events, tickets and timers in the binary format (no text
    formatted and parsed again); a table with a JSON document (the audit log) is copied as text."""
    from storage.bulk import EVENT_COLUMNS, _copy_types
    from storage.models import AuditEntry, MetricTimerRow, TicketEventRow

    pg = postgresql.psycopg.dialect()
    events = TicketEventRow.__table__.c
    assert _copy_types(pg, [events[name] for name in EVENT_COLUMNS]) == [
        "varchar",
        "int8",
        "int4",
        "timestamptz",
        "varchar",
        "varchar",
        "varchar",
        "varchar",
        "varchar",
        "text",
        "varchar",
        "varchar",
        "timestamptz",
    ]
    timers = MetricTimerRow.__table__.c
    assert _copy_types(pg, [timers.business_elapsed_seconds, timers.ticket_id]) == ["float8", "int8"]
    assert _copy_types(pg, [*Ticket.__table__.c]) is not None
    assert _copy_types(pg, [*AuditEntry.__table__.c]) is None


def test_batch_lookups_read_what_the_models_read(uow: UnitOfWork) -> None:
    """The import's batch lookups (Core selects of the tables' columns) return, value for value, what the
    ORM loads for the same rows: the tickets' plan columns, their events, the stored ids and refs."""
    due = T0.replace(microsecond=250_000) + timedelta(hours=4)
    with uow.begin() as tx:
        first = tx.tickets.create(team_id="T0BIND", source="import", opened_at=T0, external_ref="import:a")
        second = tx.tickets.create(
            team_id="T0BIND", source="import", opened_at=T0.astimezone(PARIS), external_ref="import:b"
        )
        first.next_due_at, first.next_risk_at, first.has_breach = due, due - timedelta(hours=1), True
        second.resolved_at, second.is_open, second.priority = T0 + timedelta(days=1), False, "P1"
        tx.session.flush()
        ids = {"import:a": first.id, "import:b": second.id}
        insert_events(
            tx.session,
            [
                (
                    "T0BIND",
                    first.id,
                    1,
                    T0,
                    "opened",
                    "P2",
                    None,
                    "acme",
                    "U1",
                    None,
                    "import",
                    "import:e1",
                    T0,
                ),
                (
                    "T0BIND",
                    first.id,
                    2,
                    due,
                    "status",
                    None,
                    "on_hold",
                    None,
                    None,
                    "n",
                    "import",
                    "import:e2",
                    T0,
                ),
                (
                    "T0BIND",
                    second.id,
                    1,
                    T0,
                    "opened",
                    "P1",
                    None,
                    "acme",
                    None,
                    None,
                    "import",
                    "import:e3",
                    T0,
                ),
            ],
        )
    with uow.begin(read_only=True) as tx:
        session = tx.session
        found = tickets_by_external_ref(
            session, team_id="T0BIND", external_refs=["import:b", "import:a", "x"]
        )
        events = events_of_tickets(session, team_id="T0BIND", ticket_ids=list(ids.values()))
        stored = stored_external_ids(
            session, team_id="T0BIND", source="import", external_ids=["import:e3", "import:e1", "import:zz"]
        )
        refs = ticket_refs_by_external_ref(session, team_id="T0BIND", external_refs=["import:a", "import:b"])
        session.expire_all()
        assert sorted(found) == ["import:a", "import:b"]
        for ref, row in found.items():
            ticket = session.get(Ticket, ids[ref])
            assert ticket is not None
            assert tuple(row) == tuple(getattr(ticket, name) for name in TICKET_PLAN_COLUMNS)
        assert found["import:a"].next_due_at == due and found["import:a"].next_due_at.tzinfo is UTC
        for ticket_id, rows in events.items():
            orm = session.scalars(
                select(TicketEventRow)
                .where(TicketEventRow.ticket_id == ticket_id)
                .order_by(TicketEventRow.seq)
            ).all()
            assert [tuple(r) for r in rows] == [tuple(getattr(e, f) for f in rows[0]._fields) for e in orm]
        assert [len(events[ids["import:a"]]), len(events[ids["import:b"]])] == [2, 1]
        assert stored == {"import:e1", "import:e3"}
        assert refs == {"import:a": first.ref, "import:b": second.ref}
