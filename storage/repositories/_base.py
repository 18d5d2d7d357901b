"""Shared pieces of every repository: the workspace scope, ``NotFound`` and dialect-aware INSERT."""

from __future__ import annotations

import enum
import functools
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, Final, TypeVar

from sqlalchemy import Boolean, Table, TextClause, bindparam, text, true
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

from storage.models import Workspace
from storage.types import dialect_package, require_aware

_Row = TypeVar("_Row")


class AllTeams(enum.Enum):
    ALL_TEAMS = "all-teams"


#: Explicit opt-in for the sweep/notifier claims, which serve every workspace of the installation.
ALL_TEAMS: Final = AllTeams.ALL_TEAMS


ALL_TEAMS: Final = AllTeams.ALL_TEAMS
TeamScope = str | AllTeams


class NotFound(LookupError):
    """No such row in this workspace."""


#: timer states that still count down (a breached timer keeps running until stopped).
ACTIVE_TIMER_STATES: Final = ("running", "breached")


def _insert(session: Session, model: type[Any]) -> Any:
    """INSERT with ``on_conflict_do_*`` for the session's dialect (PostgreSQL or SQLite): the ``insert``
    of that dialect's package, which only a process using the dialect has loaded (``dialect_package``)."""
    return dialect_package(session.get_bind().dialect).insert(model)


@functools.cache
def upsert(
    table: Table,
    columns: Sequence[str],
    conflict: Sequence[str],
    update: Sequence[str] = (),
    returning: Sequence[str] = (),
) -> TextClause:
    """``INSERT INTO table (columns) VALUES (:column, ...) ON CONFLICT (conflict) DO NOTHING`` — or,
    with ``update``, ``DO UPDATE SET column = excluded.column`` for each of those — with ``RETURNING``
    ``returning``: the same SQL on PostgreSQL and SQLite (3.35+), bound by name, each value through its
    column's type, as ``_insert(...).on_conflict_do_*`` would send it.

    Built once per shape (pass tuples) and compiled once per engine: SQLAlchemy cannot cache the
    dialect inserts with ``on_conflict_do_*`` (``inherit_cache = False``), so each call of those
    compiled the statement again, 1-3 ms of CPU, on paths run for every event and notification."""
    name = '"{}"'.format
    sql = (
        f"INSERT INTO {name(table.name)} ({', '.join(map(name, columns))}) "
        f"VALUES ({', '.join(':' + c for c in columns)}) ON CONFLICT ({', '.join(map(name, conflict))}) "
    )
    if update:
        sql += "DO UPDATE SET " + ", ".join(f"{name(c)} = excluded.{name(c)}" for c in update)
    else:
        sql += "DO NOTHING"
    if returning:
        sql += " RETURNING " + ", ".join(map(name, returning))
    stmt = text(sql).bindparams(*(bindparam(c, type_=table.c[c].type) for c in columns))
    if returning:
        return stmt.columns(*(table.c[c] for c in returning))  # type: ignore[return-value]
    return stmt


_WORKSPACE = ("team_id", "installed_at", "ticket_seq")


def _team(team_id: str) -> str:
    if not isinstance(team_id, str) or not team_id:
        raise ValueError(f"team_id must be a non-empty string, got {team_id!r}")
    return team_id


def _scope(column: Any, team_id: TeamScope) -> Any:
    if team_id is ALL_TEAMS:
        return true()
    return column == _team(team_id)  # type: ignore[arg-type]


class _RowCheck(FunctionElement[bool]):
    """A condition that checks the rows a query found by their ids, not a way to find them: rendered as
    itself, and on SQLite as ``likely(condition)``, which SQLite's planner does not use to pick an index."""

    type = Boolean()
    name = "likely"
    inherit_cache = True


@compiles(_RowCheck)
def _render_row_check(element: _RowCheck, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.clauses, **kw)


@compiles(_RowCheck, "sqlite")
def _render_row_check_sqlite(element: _RowCheck, compiler: SQLCompiler, **kw: Any) -> str:
    return f"likely({compiler.process(element.clauses, **kw)})"


def _owned(column: Any, team_id: str) -> ColumnElement[bool]:
    """``column == team_id`` for a lookup by row ids (``ticket_id IN (...)``, ``id = ?``): the rows are
    found through the index of their ids and then checked to be the workspace's.

    Without statistics (slabot never runs ``ANALYZE``) SQLite's planner takes any index that starts with
    ``team_id`` over the id's own index for ``team_id = ? AND ticket_id IN (...)`` — and then reads every
    row of the workspace (a sweep of 1,000 due timers among 1,000,000 read the whole timers table twice:
    0.7 s per query instead of 0.01 s). PostgreSQL plans from the statistics it keeps."""
    return _checks_rows(column == _team(team_id))


def _checks_rows(condition: ColumnElement[bool]) -> ColumnElement[bool]:
    """``condition`` as a check of rows found through another index (:func:`_owned` of a bound value)."""
    return _RowCheck(condition)


def _seconds(value: timedelta | float | None) -> float | None:
    if value is None:
        return None
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class _Repository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def _stored(self, row: _Row) -> _Row:
        """``row`` added to the session and flushed (its id and defaults filled in)."""
        self.session.add(row)
        self.session.flush()
        return row

    def _ensure_workspace(self, team_id: str, now: datetime) -> None:
        stmt = upsert(Workspace.__table__, _WORKSPACE, ("team_id",))  # type: ignore[arg-type]
        self.session.execute(stmt, {"team_id": _team(team_id), "installed_at": now, "ticket_seq": 0})

    def _in_workspace(self, team_id: str, at: datetime, *, name: str) -> datetime:
        """``at`` checked aware (``require_aware``) and the workspace's row ensured as of it: what every
        method that writes a row of the workspace at one instant does first."""
        at = require_aware(at, name=name)
        self._ensure_workspace(team_id, at)
        return at
