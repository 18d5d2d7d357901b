"""The driver's bulk insert path (``COPY`` on PostgreSQL, ``executemany`` on SQLite), shared by the
batched import (:mod:`storage.sources`) and the repositories' bulk appends."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

__all__ = ["EVENT_COLUMNS", "bulk_insert"]


def bulk_insert(session: Session, table: Table, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Insert ``rows`` (tuples of ``columns``' values) with the driver's own bulk path: ``COPY`` on
    PostgreSQL, ``executemany`` on SQLite. Returns how many rows.

    Each value goes through its column type's bind processor for the dialect first, exactly as
    SQLAlchemy's ``insert`` would send it (e.g. aware datetimes as UTC), only without compiling the
    statement and building a parameter dict for every row: the import's hot path (events, timer rows).

    A unique violation raises :class:`sqlalchemy.exc.IntegrityError` on both backends (the COPY runs
    on the driver's cursor, whose own error is wrapped as SQLAlchemy wraps it for its statements)."""
    connection = session.connection()
    dialect = connection.dialect
    cols = [table.c[name] for name in columns]
    processors = [
        (i, p) for i, c in enumerate(cols) if (p := c.type.dialect_impl(dialect).bind_processor(dialect))
    ]
    if processors:
        converted = []
        for row in rows:
            values = list(row)
            for i, process in processors:
                values[i] = process(values[i])
            converted.append(tuple(values))
        data: list[Sequence[Any]] = converted
    else:
        data = [tuple(row) for row in rows]
    if not data:
        return 0
    names = ", ".join(dialect.identifier_preparer.quote(c.name) for c in cols)
    target = dialect.identifier_preparer.format_table(table)
    if dialect.name == "postgresql":
        cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        statement = f"COPY {target} ({names}) FROM STDIN"
        try:
            with cursor.copy(statement) as copy:
                for values in data:
                    copy.write_row(values)
        except dialect.loaded_dbapi.IntegrityError as exc:  # as SQLAlchemy raises it for its own statements
            raise IntegrityError(statement, None, exc) from exc
        finally:
            cursor.close()
    else:
        marks = ", ".join("?" for _ in cols)
        connection.exec_driver_sql(f"INSERT INTO {target} ({names}) VALUES ({marks})", data)
    return len(data)


EVENT_COLUMNS = (
    "team_id",
    "ticket_id",
    "seq",
    "at",
    "kind",
    "priority",
    "status",
    "client",
    "actor",
    "note",
    "source",
    "external_id",
    "recorded_at",
)
"""The columns of :func:`insert_events`' tuples, in order."""
