"""The read side of ``/sla status`` and App Home."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from operator import itemgetter
from typing import Any, Literal, NamedTuple

from sqlalchemy import Integer, bindparam, false, func, select, true

from storage.models import MetricTimerRow, Ticket
from storage.repositories._base import _checks_rows, _Repository, _team
from storage.types import require_aware

StatusFilter = Literal["all", "breached", "at_risk"]


class StatusTicket(NamedTuple):
    """The ``tickets`` columns a status page reads (``bot.services.tickets.ticket_view``, the order of
    a page), as a plain tuple (a page is read, never changed; every column read costs, for each ticket
    of every answer)."""

    id: int
    ref: str
    external_system: str | None
    external_id: str | None
    title: str | None
    client_key: str | None
    priority: str | None
    status: str
    assignee: str | None
    requester: str | None
    channel_id: str | None
    thread_ts: str | None
    next_due_at: datetime | None


class StatusTimer(NamedTuple):
    """The ``metric_timers`` columns a countdown needs (``bot.services.tickets.stored_timer``), with the
    row's id and its ticket's, as a plain tuple."""

    id: int
    ticket_id: int
    metric: str
    cycle: int
    state: str
    priority: str | None
    target_seconds: float
    calendar_name: str | None
    started_at: datetime
    due_at: datetime | None
    stopped_at: datetime | None
    breached_at: datetime | None
    business_elapsed_seconds: float
    paused_for_seconds: float
    pause_reason: str | None
    resumed_at: datetime | None
    elapsed_at_resume_seconds: float | None


_TICKET_COLUMNS = tuple(Ticket.__table__.c[name] for name in StatusTicket._fields)
_TIMER_COLUMNS = tuple(MetricTimerRow.__table__.c[name] for name in StatusTimer._fields)
_FILTERS = ("channel_id", "assignee", "client_key", "requester")


@dataclass(frozen=True)
class TicketTimers:
    """One open ticket of a status page and its timer projection: tuples with the columns of ``Ticket``
    and ``MetricTimerRow`` a page shows (attribute access by column name, :class:`StatusTicket` and
    :class:`StatusTimer`), not ORM objects — a page is rendered from the stored projection, nothing
    is loaded into the session. Timers in (metric, cycle) order."""

    ticket: Any
    timers: list[Any]


@dataclass(frozen=True)
class StatusPage:
    items: list[TicketTimers]
    #: how many open tickets match the filters (``items`` holds at most ``limit`` of them), counted up
    #: to ``count_limit``: when ``total_is_exact`` is False there are at least ``total`` (show "1000+").
    total: int
    total_is_exact: bool = True


class _Statements(NamedTuple):
    """The Core statements of one filter shape, built once: every ``/sla status`` of that shape runs
    the same statement objects with new parameters, so SQLAlchemy neither compiles them nor computes
    their cache keys again (that was a third of an uncached answer's CPU)."""

    count: Any
    urgent: Any
    undated: Any  # ``all`` only: the open tickets without a running clock, after the dated ones


@lru_cache(maxsize=64)
def _statements(filters: tuple[str, ...], part: str) -> _Statements:
    """Statements for ``filters`` (names of :data:`_FILTERS`) and ``part``: ``all``, ``at_risk``,
    ``flagged`` (breached and recorded) or ``overdue`` (not recorded, running clock past due)."""
    c = Ticket.__table__.c
    conditions: list[Any] = [c.team_id == bindparam("team_id"), c.is_open == true()]
    conditions += [c[name] == bindparam(name) for name in filters]
    if part == "flagged":
        conditions.append(c.has_breach == true())
    elif part == "overdue":
        conditions += [c.has_breach == false(), c.next_due_at <= bindparam("now")]
    elif part == "at_risk":
        conditions += [
            c.has_breach == false(),
            c.next_due_at > bindparam("now"),
            c.next_risk_at <= bindparam("now"),
        ]
    elif part != "all":
        raise ValueError(f"unknown status filter {part!r}")
    limit = bindparam("limit", type_=Integer)
    matching = select(c.id).where(*conditions).limit(bindparam("count_limit", type_=Integer))
    return _Statements(
        count=select(func.count()).select_from(matching.subquery()),
        urgent=select(*_TICKET_COLUMNS)
        .where(*conditions, c.next_due_at.is_not(None))
        .order_by(c.next_due_at, c.id)
        .limit(limit),
        undated=select(*_TICKET_COLUMNS)
        .where(*conditions, c.next_due_at.is_(None))
        .order_by(c.id)
        .limit(limit),
    )


#: the timers of a page are read by one statement of a fixed number of ticket ids (the page's, the
#: last repeated to fill it): an expanding ``IN`` is rendered again for every answer
_TIMER_BATCHES = (8, 16, 32, 48, 64)
_IDS = tuple(f"id{i}" for i in range(_TIMER_BATCHES[-1]))


@lru_cache(maxsize=len(_TIMER_BATCHES))
def _timers_statement(size: int) -> Any:
    c = MetricTimerRow.__table__.c
    return select(*_TIMER_COLUMNS).where(
        _checks_rows(c.team_id == bindparam("team_id")),
        c.ticket_id.in_([bindparam(name) for name in _IDS[:size]]),
    )


#: counted without a cap (``count_limit=None``): SQLite reads LIMIT -1 as none, PostgreSQL LIMIT NULL
_NO_CAP = {"sqlite": -1, "postgresql": None}


#: most rows a :class:`_RowReader` keeps (a page of 48 tickets has about 150 timers)
_MEMO_ROWS = 8192


class _RowReader:
    """The rows of one statement's columns as ``make`` tuples, read from the DBAPI cursor: each
    value through its column type's result processor for the dialect and the cursor's column type
    (what SQLAlchemy's own rows would hold), and each converted row kept by the raw row it came from
    (bounded), so the same stored row read by the next answer costs one dictionary lookup instead of
    a Row, a tuple and a conversion per timestamp. On SQLite every timestamp is text (parsing the
    ~800 of a page was a third of the page's query time); on PostgreSQL each is brought to UTC by
    ``storage.types.UTCDateTime`` (with SQLAlchemy's rows, 40 % of an uncached answer's CPU there)."""

    def __init__(self, columns: tuple[Any, ...], make: Any, dialect: Any) -> None:
        self.make = make
        self.types = tuple(column.type.dialect_impl(dialect) for column in columns)
        self.dialect = dialect
        #: (index, processor) of the columns that have one, from the first result's column types
        self.converters: tuple[tuple[int, Any], ...] | None = None
        self.memo: dict[tuple[Any, ...], Any] = {}

    def _converters(self, description: Any) -> tuple[tuple[int, Any], ...]:
        codes = [column[1] for column in description] if description else [None] * len(self.types)
        processors = [
            kind.result_processor(self.dialect, code) for kind, code in zip(self.types, codes, strict=True)
        ]
        return tuple((i, p) for i, p in enumerate(processors) if p is not None)

    def rows(self, result: Any) -> list[Any]:
        try:
            cursor = result.cursor
            raw_rows = cursor.fetchall()
            converters = self.converters
            if converters is None:
                converters = self.converters = self._converters(cursor.description)
        finally:
            result.close()
        memo = self.memo
        out = []
        for raw in raw_rows:
            row = memo.get(raw)
            if row is None:
                values = list(raw)
                for i, process in converters:
                    values[i] = process(values[i])
                row = self.make(values)
                if len(memo) >= _MEMO_ROWS:
                    memo.clear()
                memo[raw] = row
            out.append(row)
        return out


@lru_cache(maxsize=8)
def _readers(dialect: Any) -> tuple[_RowReader, _RowReader] | None:
    """``(tickets, timers)`` row readers of ``dialect`` (None, another database: SQLAlchemy's rows)."""
    if dialect.name not in ("sqlite", "postgresql"):
        return None
    return (
        _RowReader(_TICKET_COLUMNS, StatusTicket._make, dialect),
        _RowReader(_TIMER_COLUMNS, StatusTimer._make, dialect),
    )


class StatusQueries(_Repository):
    def open_tickets(
        self,
        *,
        team_id: str,
        now: datetime,
        channel_id: str | None = None,
        assignee: str | None = None,
        client_key: str | None = None,
        requester: str | None = None,
        state: StatusFilter = "all",
        limit: int = 20,
        count_limit: int | None = 1000,
    ) -> StatusPage:
        """Open tickets with their timers, most urgent (earliest running ``due_at``) first.

        ``breached``: a timer is or was breached, or a running one is past due at ``now``.
        ``at_risk``: not breached, and a timer reached its at-risk instant (``sla.standing``: 75 % of
        its target used; the stored ``at_risk_at``) — the card's 🟠 and the report's "At risk now".
        """
        now = require_aware(now, name="now")
        if state not in ("all", "breached", "at_risk"):
            raise ValueError(f"unknown status filter {state!r}")
        given = {
            "channel_id": channel_id,
            "assignee": assignee,
            "client_key": client_key,
            "requester": requester,
        }
        filters = tuple(name for name in _FILTERS if given[name] is not None)
        params: dict[str, Any] = {name: given[name] for name in filters}
        params.update(team_id=_team(team_id), now=now, limit=limit, count_limit=self._cap(count_limit))
        connection = self.session.connection()
        execute = connection.execute
        readers = _readers(connection.dialect)
        if readers is None:

            def read_tickets(statement: Any) -> list[StatusTicket]:
                return [StatusTicket._make(row) for row in execute(statement, params).all()]

        else:
            ticket_rows = readers[0].rows

            def read_tickets(statement: Any) -> list[StatusTicket]:
                return ticket_rows(execute(statement, params))  # type: ignore[no-any-return]

        if state == "breached":
            # two index ranges (ix_tickets_breach_due): tickets flagged breached, and unflagged ones whose
            # running clock is past due; an OR of both would make PostgreSQL scan every open ticket.
            parts = [_statements(filters, "flagged"), _statements(filters, "overdue")]
            total = sum(int(execute(part.count, params).scalar_one()) for part in parts)
            tickets = sorted(
                [ticket for part in parts for ticket in read_tickets(part.urgent)],
                key=lambda ticket: (ticket.next_due_at, ticket.id),
            )[:limit]
        else:
            shape = _statements(filters, state)
            total = int(execute(shape.count, params).scalar_one())
            tickets = read_tickets(shape.urgent)
            if len(tickets) < limit and state == "all":
                params["limit"] = limit - len(tickets)
                tickets += read_tickets(shape.undated)
        exact = count_limit is None or total <= count_limit
        return StatusPage(
            items=self._with_timers(team_id, tickets, readers[1] if readers else None),
            total=total if exact else count_limit,  # type: ignore[arg-type]
            total_is_exact=exact,
        )

    def _cap(self, count_limit: int | None) -> int | None:
        """Matching rows are counted up to ``count_limit + 1`` (an exact count of 100,000 costs more than
        the page)."""
        if count_limit is not None:
            return count_limit + 1
        return _NO_CAP.get(self.session.get_bind().dialect.name)

    def _with_timers(
        self, team_id: str, tickets: list[StatusTicket], reader: _RowReader | None = None
    ) -> list[TicketTimers]:
        by_ticket: dict[int, list[Any]] = {ticket.id: [] for ticket in tickets}
        if tickets:
            execute = self.session.connection().execute
            ids = list(by_ticket)
            most = _TIMER_BATCHES[-1]
            make = StatusTimer._make
            for start in range(0, len(ids), most):
                chunk = ids[start : start + most]
                size = next(n for n in _TIMER_BATCHES if n >= len(chunk))
                params: dict[str, Any] = dict(zip(_IDS, chunk, strict=False))
                params.update((name, chunk[-1]) for name in _IDS[len(chunk) : size])
                params["team_id"] = team_id
                result = execute(_timers_statement(size), params)
                rows = reader.rows(result) if reader is not None else [make(row) for row in result.all()]
                for row in rows:
                    by_ticket[row[1]].append(row)
            for timers in by_ticket.values():
                if len(timers) > 1:
                    timers.sort(key=_METRIC_CYCLE)
        return [TicketTimers(ticket, by_ticket[ticket.id]) for ticket in tickets]


#: a timer row's (metric, cycle): its place among its ticket's timers
_METRIC_CYCLE = itemgetter(StatusTimer._fields.index("metric"), StatusTimer._fields.index("cycle"))
