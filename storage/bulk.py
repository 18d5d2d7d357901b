"""The driver's bulk insert path (``COPY`` on PostgreSQL, ``executemany`` on SQLite), shared by the
batched import (:mod:`storage.sources`) and the repositories' bulk appends."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

__all__ = ["EVENT_COLUMNS", "bulk_insert", "bulk_update", "bulk_upsert"]


#: None for None (``{}.get(None)``), called from C without a Python frame: the adapter of NULLs below
_null: Any = {}.get

# sqlite3 passes every parameter that is not exactly an int, float, str or bytearray through its
# adaptation protocol, None included: two failing attribute lookups (an AttributeError created and
# formatted each, ~2,500 instructions) for every NULL bound, and an import binds ~9 NULLs a row. An
# adapter registered for None is found first (a dict lookup and a C call); it hands None back, bound as
# NULL as before. (Process-wide for the sqlite3 module: it changes no value any statement binds.)
sqlite3.register_adapter(type(None), _null)


def _bound(dialect: Any, cols: Sequence[Any], rows: Iterable[Sequence[Any]]) -> list[Sequence[Any]]:
    """``rows`` with each value through its column type's bind processor for ``dialect``.

    Column by column: the rows are turned into columns and back by ``zip`` (in C), and each
    processed column is one ``map`` of its processor over the distinct values only when values
    repeat by identity (the batch's ``now`` in every ``recorded_at``/``updated_at``): the import
    binds hundreds of thousands of timestamps, and a per-row loop over the processors cost more
    than the formatting itself."""
    processors = [
        (i, p) for i, c in enumerate(cols) if (p := c.type.dialect_impl(dialect).bind_processor(dialect))
    ]
    data = rows if isinstance(rows, list) else list(rows)
    if not processors or not data:
        return [tuple(row) for row in data]
    columns: list[Any] = list(zip(*data, strict=True))
    if len(columns) != len(cols):
        raise ValueError(f"rows of {len(columns)} values for {len(cols)} columns")
    for i, process in processors:
        columns[i] = _processed(process, columns[i])
    return list(zip(*columns, strict=True))


def _processed(process: Any, values: Sequence[Any]) -> Any:
    """``map(process, values)``, calling ``process`` once for a run of the same object (None included);
    through the processor's ``many`` (a whole column at once, :class:`storage.types.UTCDateTime`)
    when it has one."""
    first = values[0]
    if all(v is first for v in values):  # one value for the whole column (``now``, or all None)
        return (process(first),) * len(values)
    many = getattr(process, "many", None)
    if many is not None:
        return many(values)
    return map(process, values)


#: PostgreSQL types (as SQLAlchemy compiles them, without a length) whose values ``COPY`` sends in the
#: binary format, by the name psycopg knows them by: what the server stores is the same, only neither
#: side formats and parses text (the import's timestamps above all)
_BINARY_COPY_TYPES = {
    "BIGINT": "int8",
    "INTEGER": "int4",
    "SMALLINT": "int2",
    "BOOLEAN": "bool",
    "TEXT": "text",
    "VARCHAR": "varchar",
    "TIMESTAMP WITH TIME ZONE": "timestamptz",
    "FLOAT": "float8",  # without a precision: double precision
    "DOUBLE PRECISION": "float8",
}


def _copy_types(dialect: Any, cols: Sequence[Any]) -> list[str] | None:
    """The binary ``COPY`` types of ``cols`` (see :data:`_BINARY_COPY_TYPES`); None when one of them
    has another type (JSON documents, whose bind processor hands over text, among them): text ``COPY``."""
    types = []
    for c in cols:
        compiled = c.type.compile(dialect=dialect)
        name = compiled.split("(", 1)[0] if compiled.startswith("VARCHAR(") else compiled
        found = _BINARY_COPY_TYPES.get(name)
        if found is None:
            return None
        types.append(found)
    return types


def bulk_insert(session: Session, table: Table, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Insert ``rows`` (tuples of ``columns``' values) with the driver's own bulk path: ``COPY`` on
    PostgreSQL (in the binary format when every column's type has one, :func:`_copy_types`),
    ``executemany`` on SQLite. Returns how many rows.

    Each value goes through its column type's bind processor for the dialect first, exactly as
    SQLAlchemy's ``insert`` would send it (e.g. aware datetimes as UTC), only without compiling the
    statement and building a parameter dict for every row: the import's hot path (events, timer rows).

    A unique violation raises :class:`sqlalchemy.exc.IntegrityError` on both backends (the COPY runs
    on the driver's cursor, whose own error is wrapped as SQLAlchemy wraps it for its statements)."""
    connection = session.connection()
    dialect = connection.dialect
    cols = [table.c[name] for name in columns]
    data = _bound(dialect, cols, rows)
    if not data:
        return 0
    names = ", ".join(dialect.identifier_preparer.quote(c.name) for c in cols)
    target = dialect.identifier_preparer.format_table(table)
    if dialect.name == "postgresql":
        cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        types = _copy_types(dialect, cols)
        statement = f"COPY {target} ({names}) FROM STDIN" + (" (FORMAT BINARY)" if types else "")
        try:
            with cursor.copy(statement) as copy:
                if types:
                    copy.set_types(types)
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


def bulk_update(
    session: Session, table: Table, columns: Sequence[str], rows: Iterable[Sequence[Any]], *, key: str = "id"
) -> int:
    """``UPDATE table SET column = ... WHERE key = ...`` for each of ``rows`` (the values of ``columns``
    followed by the key's): one ``executemany`` of the driver with positional values, each through its
    column type's bind processor (as :func:`bulk_insert`). Rows loaded in the session are not refreshed."""
    connection = session.connection()
    dialect = connection.dialect
    data = _bound(dialect, [*(table.c[name] for name in columns), table.c[key]], rows)
    if not data:
        return 0
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    quote = dialect.identifier_preparer.quote
    sets = ", ".join(f"{quote(name)} = {mark}" for name in columns)
    target = dialect.identifier_preparer.format_table(table)
    connection.exec_driver_sql(f"UPDATE {target} SET {sets} WHERE {quote(key)} = {mark}", data)
    return len(data)


def bulk_upsert(
    session: Session,
    table: Table,
    columns: Sequence[str],
    conflict: Sequence[str],
    update: Sequence[str],
    rows: Iterable[Sequence[Any]],
) -> int:
    """``INSERT ... ON CONFLICT (conflict) DO UPDATE SET column = excluded.column`` (each of ``update``)
    for ``rows`` (tuples of ``columns``' values): one ``executemany`` of the driver, values bound as
    :func:`bulk_insert` binds them."""
    connection = session.connection()
    dialect = connection.dialect
    data = _bound(dialect, [table.c[name] for name in columns], rows)
    if not data:
        return 0
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    quote = dialect.identifier_preparer.quote
    target = dialect.identifier_preparer.format_table(table)
    connection.exec_driver_sql(
        f"INSERT INTO {target} ({', '.join(map(quote, columns))}) VALUES ({', '.join(mark for _ in columns)}) "
        f"ON CONFLICT ({', '.join(map(quote, conflict))}) DO UPDATE SET "
        + ", ".join(f"{quote(c)} = excluded.{quote(c)}" for c in update),
        data,
    )
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
