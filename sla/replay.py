"""Replay: dry-run a contract file on a history of ticket events.

Read an events CSV (``read_events_csv``), fold every ticket's events through the SLA engine
with the contract version in force when the ticket opened (``replay``), and get one
:class:`ReplayRow` per ticket × metric × cycle, which ``sla.compliance`` turns into a
compliance table and ``write_results_csv`` into a results file.

The events CSV (documented for users in ``docs/replay.md``)::

    ticket_id,timestamp,event,priority,status,client
    T-1,2026-03-02T09:00:00+01:00,opened,P2,,acme
    T-1,2026-03-02T09:20:00+01:00,agent_message,,,

- ``timestamp``: ISO 8601 **with** a UTC offset (``Z`` accepted); a naive timestamp is rejected.
- ``event``: opened, client_message, agent_message, status, priority, resolved, reopened, closed.
- ``opened`` needs ``priority`` and ``client``; ``status`` needs ``status``; ``priority`` needs
  ``priority``; other cells may be empty (and are ignored where the event does not use them).
- Optional columns ``actor`` and ``note`` are read, and ``subject`` and ``external_id`` (the
  ticket's title and its id in the helpdesk it came from, taken from its ``opened`` row by
  ``slabot import``; the replay ignores both); any other extra column is ignored, so exports with
  more columns can be replayed as they are. Columns may come in any order.
- A ticket's rows must be in time order (rows with equal timestamps apply in file order);
  different tickets may interleave freely.

Every problem is a :class:`RowError` with the file line (header = line 1); the bad row is
skipped and the rest is still replayed. Pure: the caller opens files and picks ``as_of``.
"""

from __future__ import annotations

import csv
import difflib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import IO

from sla.bulk import collector_paused
from sla.compliance import TimerRow
from sla.contracts import ContractBook, ContractVersion
from sla.metrics import EventKind, Metric, TimerState
from sla.timers import EventError, MetricTimer, TicketClock, TicketEvent, slot_builder, trusted_event

EVENTS_HEADER = ("ticket_id", "timestamp", "event", "priority", "status", "client")
"""The columns every events CSV has (written in this order by :func:`write_events_csv`)."""
OPTIONAL_EVENT_COLUMNS = ("actor", "note")
TICKET_COLUMNS = ("subject", "external_id")
"""Optional columns about the ticket (read on any row, used from its ``opened`` row): its title and
its id in the helpdesk it came from (``35436`` or ``zendesk:35436``)."""
RESULTS_HEADER = (
    "ticket_id",
    "metric",
    "cycle",
    "target_seconds",
    "started_at",
    "due_at",
    "stopped_at",
    "business_elapsed_seconds",
    "state",
    "breached_at",
)
"""The columns of the results CSV, exactly (``slabot replay --out``)."""

_KINDS: dict[str, EventKind] = {k.value: k for k in EventKind}
_KIND_LIST = ", ".join(k.value for k in EventKind)
_NEEDS: dict[EventKind, tuple[str, ...]] = {
    EventKind.OPENED: ("priority", "client"),
    EventKind.STATUS: ("status",),
    EventKind.PRIORITY: ("priority",),
}


@dataclass(frozen=True, slots=True)
class RowError:
    """A row that was not replayed, and why (``line`` counts the header as line 1).

    ``file_level``: the file as a whole is not an events CSV (empty, or its header lacks the
    columns): nothing of it can be replayed or imported (``slabot replay``/``import`` exit 2)."""

    line: int
    message: str
    file_level: bool = False

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


class EventLog(list[TicketEvent]):
    """A list of events that remembers the file line each came from (``lines[i]`` for ``self[i]``).

    ``read_events_csv`` returns one, so ``replay`` can report engine rejections with the
    line of the row in the file.
    """

    lines: list[int]

    def __init__(self, events: Iterable[TicketEvent] = (), lines: Iterable[int] | None = None) -> None:
        super().__init__(events)
        self.lines = list(lines) if lines is not None else list(range(2, len(self) + 2))
        if len(self.lines) != len(self):
            raise ValueError("EventLog needs one line number per event")

    def append_at(self, line: int, event: TicketEvent) -> None:
        self.append(event)
        self.lines.append(line)


_MISSING: str = "\x00missing"


def _unknown_event(text: str) -> str:
    hint = difflib.get_close_matches(text.strip().lower(), _KINDS, n=1)
    return (
        f"unknown event {text!r}"
        + (f" — did you mean {hint[0]!r}?" if hint else "")
        + f" Expected one of {_KIND_LIST}"
    )


def _timestamp_error(text: str) -> str:
    try:
        parsed = datetime.fromisoformat(text.strip())
    except ValueError:
        return (
            f"timestamp {text!r} is not an ISO 8601 date-time — write it like 2026-03-02T09:15:00+01:00"
            if text.strip()
            else "timestamp is empty — every row needs one, e.g. 2026-03-02T09:15:00+01:00"
        )
    if parsed.tzinfo is None:
        return (
            f"timestamp {text!r} has no UTC offset — add one, e.g. {parsed.isoformat()}+00:00 "
            "(or the offset of the zone it was recorded in)"
        )
    return ""


CUT_OFF_HINT = " — the file ends in the middle of this row: was it cut off? (the rows before it were read)"


def iter_events_csv(lines: Iterable[str]) -> Iterator[tuple[int, TicketEvent | RowError]]:
    """Parse an events CSV lazily: ``(line, event)`` for good rows, ``(line, RowError)`` for bad ones.

    ``lines`` is a text file object or any iterable of lines (opened with ``newline=""`` ideally;
    Windows line ends and a UTF-8 byte order mark are fine). Blank lines are skipped. An empty file
    or a header without the six columns yields one ``file_level`` error for line 1 and nothing
    else. A bad last row that ends without a line end says the file looks cut off.
    """
    last: list[str] = [""]
    reader = csv.reader(_remember_last(lines, last))
    columns = _header(reader)
    if type(columns) is RowError:
        yield 1, columns
        return
    i_tid, i_ts, i_ev, i_pr, i_st, i_cl, width, extra = columns  # type: ignore[misc]
    kinds = _KINDS
    fromiso = datetime.fromisoformat
    make = trusted_event  # TicketEvent(...) without re-checking what was checked here
    utc = UTC
    # Interning table: repeated cells (ticket ids, priorities, clients) share one string and
    # are stripped once; "" maps to None. Inlined below: this loop is the replay hot path.
    cells: dict[str, str | None] = {"": None}
    cget = cells.get
    miss = _MISSING
    opened, status_kind, priority_kind = EventKind.OPENED, EventKind.STATUS, EventKind.PRIORITY
    held: tuple[int, RowError] | None = None  # a bad row waits one step: is it the file's cut-off end?
    number = reader.line_num
    for row in reader:
        line = number + 1
        number = reader.line_num
        # The plain row (every cell as expected, no stray spaces or case) is read here; any other
        # goes through _read_row, which reads it the long way or says what is wrong with it.
        if len(row) >= width:
            ticket = cget(row[i_tid], miss)
            if ticket is miss:
                ticket = cells[row[i_tid]] = row[i_tid].strip() or None
            kind = kinds.get(row[i_ev])
            try:
                at = fromiso(row[i_ts])
            except ValueError:
                at = None
            if ticket is not None and kind is not None and at is not None and at.tzinfo is not None:
                if at.tzinfo is not utc:
                    at = at.astimezone(utc)
                priority = cget(row[i_pr], miss)
                if priority is miss:
                    priority = cells[row[i_pr]] = row[i_pr].strip() or None
                status = cget(row[i_st], miss)
                if status is miss:
                    status = cells[row[i_st]] = row[i_st].strip() or None
                client = cget(row[i_cl], miss)
                if client is miss:
                    client = cells[row[i_cl]] = row[i_cl].strip() or None
                if (  # the cells _NEEDS asks of the row's kind are there
                    (priority is not None or (kind is not opened and kind is not priority_kind))
                    and (client is not None or kind is not opened)
                    and (status is not None or kind is not status_kind)
                ):
                    if held is not None:
                        yield held
                        held = None
                    if extra is None:
                        yield line, make(ticket, at, kind, priority, status, client)  # type: ignore[arg-type]
                    else:
                        more = _extra_cells(row, extra)
                        yield line, make(ticket, at, kind, priority, status, client, *more)  # type: ignore[arg-type]
                    continue
        item = _read_row(row, line, columns, cells)  # type: ignore[arg-type]
        if item is None:  # a blank line
            continue
        if held is not None:
            yield held
            held = None
        if type(item) is RowError:
            held = line, item
        else:
            yield line, item
    if held is not None:
        yield _at_the_end(held, last[0])


def _at_the_end(held: tuple[int, RowError], last: str) -> tuple[int, RowError]:
    """The file's last bad row, said to look cut off when the file ends without a line end."""
    line, error = held
    if last and not last.endswith(("\n", "\r")):
        error = RowError(line, error.message + CUT_OFF_HINT)
    return line, error


def _remember_last(lines: Iterable[str], last: list[str]) -> Iterator[str]:
    for line in lines:
        last[0] = line
        yield line


_Columns = tuple[int, int, int, int, int, int, int, "tuple[int, int, int, int] | None"]
"""Where the six columns are, how many cells a row needs, and where the optional ones are (None
without actor, note, subject and external_id)."""


def _header(reader: Iterator[list[str]]) -> _Columns | RowError:
    """The columns of an events CSV from its header, or the file-level error of a file that is none."""
    try:
        header = next(reader)
    except StopIteration:
        return RowError(
            1, "the file is empty — expected the header " + ",".join(EVENTS_HEADER), file_level=True
        )
    names = [h.strip().lower().lstrip("\ufeff") for h in header]
    missing = [c for c in EVENTS_HEADER if c not in names]
    if missing:
        shown = ",".join(header)
        shown = shown if len(shown) <= 120 else shown[:119] + "…"
        return RowError(
            1,
            f"not an events CSV: header lacks column(s) {', '.join(missing)} — the first line must be "
            f"{','.join(EVENTS_HEADER)} (optionally followed by actor,note); got {shown!r}",
            file_level=True,
        )
    at = [names.index(c) for c in EVENTS_HEADER]
    optional = tuple(names.index(c) if c in names else -1 for c in (*OPTIONAL_EVENT_COLUMNS, *TICKET_COLUMNS))
    extra = optional if max(optional) >= 0 else None
    return (*at, max(at) + 1, extra)  # type: ignore[return-value]


def _extra_cells(row: list[str], extra: tuple[int, int, int, int]) -> tuple[str | None, ...]:
    """actor, note, subject and external_id of a row (None for a column the file lacks or a short row)."""
    n = len(row)
    return tuple(_free_text(row[i]) if 0 <= i < n else None for i in extra)


def _read_row(
    row: list[str], line: int, columns: _Columns, cells: dict[str, str | None]
) -> TicketEvent | RowError | None:
    """One row read the long way: cells with stray spaces or case, or what is wrong with it (None: blank)."""
    i_tid, i_ts, i_ev, i_pr, i_st, i_cl, width, extra = columns
    if len(row) < width:
        if not row or (len(row) == 1 and not row[0].strip()):
            return None
        return RowError(line, f"{len(row)} column(s), expected {width} ({','.join(EVENTS_HEADER)})")
    ticket, priority, status, client = (_cell(row[i], cells) for i in (i_tid, i_pr, i_st, i_cl))
    if ticket is None:
        return RowError(line, "ticket_id is empty")
    kind = _KINDS.get(row[i_ev]) or _KINDS.get(row[i_ev].strip().lower())
    if kind is None:
        return RowError(line, _unknown_event(row[i_ev]))
    try:
        at = datetime.fromisoformat(row[i_ts])
    except ValueError:
        message = _timestamp_error(row[i_ts])
        if message:
            return RowError(line, message)
        at = datetime.fromisoformat(row[i_ts].strip())
    if at.tzinfo is None:
        return RowError(line, _timestamp_error(row[i_ts]))
    if at.tzinfo is not UTC:
        at = at.astimezone(UTC)
    values = {"priority": priority, "status": status, "client": client}
    absent = [name for name in _NEEDS.get(kind, ()) if values[name] is None]
    if absent:
        return RowError(line, f"a {kind.value} row needs {' and '.join(absent)} (empty here)")
    optional = _extra_cells(row, extra) if extra is not None else ()
    return trusted_event(ticket, at, kind, priority, status, client, *optional)  # type: ignore[arg-type]


def _cell(text: str, cells: dict[str, str | None]) -> str | None:
    found = cells.get(text, _MISSING)
    if found is _MISSING:
        found = cells[text] = text.strip() or None
    return found


def _free_text(cell: str) -> str | None:
    """An optional free-text cell: stripped, None when empty, a spreadsheet guard undone."""
    text = cell.strip()
    if text[:1] == "'":
        text = spreadsheet_text(text).strip()
    return text or None


def read_events_csv(lines: Iterable[str]) -> tuple[EventLog, list[RowError]]:
    """Parse a whole events CSV: the good events (with their lines) and the bad rows."""
    events = EventLog()
    errors: list[RowError] = []
    append = events.append
    add_line = events.lines.append
    with collector_paused():
        for line, item in iter_events_csv(lines):
            if type(item) is RowError:
                errors.append(item)
            else:
                append(item)  # type: ignore[arg-type]
                add_line(line)
    return events, errors


#: a cell that starts with one of these is a formula to a spreadsheet ("CSV injection", OWASP)
_FORMULA_START = frozenset("=+-@\t\r")


def _formula_like(text: str) -> bool:
    return text.lstrip("'")[:1] in _FORMULA_START  # "" (all apostrophes) is no member


def spreadsheet_safe(text: str) -> str:
    """A free-text cell (a title, a note, an id from a helpdesk) that a spreadsheet shows and never
    runs: a ``'`` before one that starts like a formula (``=``, ``+``, ``-``, ``@``, tab, CR, after any
    ``'``). :func:`spreadsheet_text` undoes exactly this, so an export imports back unchanged."""
    return "'" + text if _formula_like(text) else text


def spreadsheet_text(cell: str) -> str:
    """The text :func:`spreadsheet_safe` was given (a cell it did not change is returned as is)."""
    return cell[1:] if cell[:1] == "'" and _formula_like(cell[1:]) else cell


def _iso(value: datetime | None) -> str:
    return "" if value is None else value.astimezone(UTC).isoformat()


def write_events_csv(
    events: Iterable[TicketEvent], file: IO[str], *, with_actor_note: bool = False, with_ticket: bool = False
) -> int:
    """Write events in the events-CSV form (the six columns, plus actor,note and subject,external_id
    if asked). Returns rows written.

    Timestamps keep their own offset. ``file`` should be opened with ``newline=""``.
    """
    writer = csv.writer(file, lineterminator="\n")
    safe = spreadsheet_safe  # free text opened in a spreadsheet never runs as a formula
    header = EVENTS_HEADER + (OPTIONAL_EVENT_COLUMNS if with_actor_note else ())
    writer.writerow(header + (TICKET_COLUMNS if with_ticket else ()))
    n = 0
    for e in events:
        row = [e.ticket_id, e.at.isoformat(), e.kind.value, e.priority or "", e.status or "", e.client or ""]
        if with_actor_note:
            row += [safe(e.actor or ""), safe(e.note or "")]
        if with_ticket:
            row += [safe(e.subject or ""), safe(e.external_id or "")]
        writer.writerow(row)
        n += 1
    return n


# --------------------------------------------------------------------------------------------
# The fold


ReplayRow = TimerRow
"""One timer of one ticket after replay: ticket × metric × cycle (``sla.compliance.TimerRow``)."""


@dataclass(frozen=True, slots=True)
class ReplayResult:
    rows: list[ReplayRow]
    errors: list[RowError]
    tickets: int
    """Tickets whose ``opened`` row was accepted."""
    events: int
    """Rows accepted by the engine (including the opened rows)."""
    as_of: datetime | None = None
    """The ``now`` used for timers still running (None when there were no events)."""
    skipped_after_as_of: int = 0
    """Rows later than an explicit ``as_of``: not replayed, not errors."""


class _Ticket:
    __slots__ = ("clock", "client", "version", "last_at", "last_line", "rejected")

    def __init__(
        self,
        clock: TicketClock | None,
        client: str,
        version: ContractVersion | None,
        last_at: datetime,
        last_line: int,
        rejected: str | None = None,
    ) -> None:
        self.clock = clock
        self.client = client
        self.version = version
        self.last_at = last_at
        self.last_line = last_line
        self.rejected = rejected


def _numbered(events: Iterable[TicketEvent]) -> Iterator[tuple[int, TicketEvent]]:
    lines = getattr(events, "lines", None)
    if lines is not None:
        return zip(lines, events, strict=True)
    return enumerate(events, start=1)


def replay(book: ContractBook, events: Iterable[TicketEvent], as_of: datetime | None = None) -> ReplayResult:
    """Fold every ticket's events with the contract version in force when it opened.

    ``events`` come in file order (tickets may interleave). Errors carry the file line when
    ``events`` is the :class:`EventLog` of ``read_events_csv``, otherwise the 1-based position
    of the event in ``events``. ``as_of`` (aware) is the "now" for timers still running; by
    default the latest timestamp replayed. With an explicit ``as_of``, later rows are not
    replayed (counted in ``skipped_after_as_of``).
    """
    with collector_paused():
        return _fold(book, _numbered(events), as_of)


def replay_csv(book: ContractBook, lines: Iterable[str], as_of: datetime | None = None) -> ReplayResult:
    """Parse and replay in one streaming pass (what ``slabot replay`` runs); errors sorted by line."""
    with collector_paused():
        result = _fold(book, iter_events_csv(lines), as_of)
    result.errors.sort(key=lambda e: e.line)
    return result


def _engine_message(ticket_id: str, exc: EventError) -> str:
    message = str(exc)
    return message if ticket_id in message else f"ticket {ticket_id}: {message}"


def _unknown_client(client: str, book: ContractBook) -> str:
    known = sorted(book.clients)
    hint = difflib.get_close_matches(client, known, n=1)
    return (
        f"unknown client {client!r}"
        + (f" — did you mean {hint[0]!r}?" if hint else "")
        + f" (clients in the contract file: {', '.join(known) or 'none'})"
    )


def _fold(book: ContractBook, numbered: Iterable[tuple[int, object]], as_of: datetime | None) -> ReplayResult:
    if as_of is not None and as_of.tzinfo is None:
        raise ValueError("as_of must be timezone-aware")
    tickets: dict[str, _Ticket] = {}
    versions: dict[str, tuple[ContractVersion, ...]] = {}  # a client's contract versions, looked up once
    errors: list[RowError] = []
    accepted = opened = skipped = 0
    latest: datetime | None = None
    OPENED = EventKind.OPENED
    for line, event in numbered:  # the hot loop: a row of a known ticket in order, the rest in helpers
        if type(event) is RowError:
            errors.append(event)
            continue
        at = event.at  # type: ignore[attr-defined]
        if as_of is not None and at > as_of:
            skipped += 1
            continue
        tid = event.ticket_id  # type: ignore[attr-defined]
        ticket = tickets.get(tid)
        if ticket is None:
            error = _open_ticket(book, tickets, line, event, versions)  # type: ignore[arg-type]
            if error is not None:
                errors.append(error)
                continue
            opened += 1
        else:
            client = event.client  # type: ignore[attr-defined]
            if (
                ticket.rejected is not None
                or at < ticket.last_at
                or (client is not None and client != ticket.client and event.kind is not OPENED)  # type: ignore[attr-defined]
            ):
                errors.append(_refused(ticket, line, event))  # type: ignore[arg-type]
                continue
            try:
                ticket.clock.apply(event)  # type: ignore[union-attr, arg-type]
            except EventError as exc:
                errors.append(RowError(line, _engine_message(tid, exc)))
                continue
            ticket.last_at = at
            ticket.last_line = line
        accepted += 1
        if latest is None or at > latest:
            latest = at
    now = as_of if as_of is not None else latest
    rows = _rows(tickets, now) if now is not None else []
    return ReplayResult(rows, errors, opened, accepted, now, skipped)


def _open_ticket(
    book: ContractBook,
    tickets: dict[str, _Ticket],
    line: int,
    event: TicketEvent,
    only_versions: dict[str, tuple[ContractVersion, ...]],
) -> RowError | None:
    """The first row of a ticket: its clock under the version in force, or why it was not opened."""
    tid, at = event.ticket_id, event.at
    if event.kind is not EventKind.OPENED:
        return RowError(
            line,
            f"ticket {tid} has no opened row before this {event.kind.value} row — "
            "a ticket's first row must be its opened event",
        )
    client = event.client
    if client not in book.clients:
        rejected = _unknown_client(client, book)  # type: ignore[arg-type]
        tickets[tid] = _Ticket(None, client, None, at, line, rejected=rejected)  # type: ignore[arg-type]
        return RowError(line, f"ticket {tid}: {rejected}")
    versions = only_versions.get(client)  # type: ignore[arg-type]
    if versions is None:
        versions = only_versions[client] = book.contracts[book.client(client).contract].versions  # type: ignore[arg-type]
    # (one version is the one in force at any instant: book.version_for without its walk)
    version = versions[0] if len(versions) == 1 else book.version_for(client, at)  # type: ignore[arg-type]
    clock = TicketClock(version, record_timeline=False)
    ticket = tickets[tid] = _Ticket(clock, client, version, at, line)  # type: ignore[arg-type]
    try:
        clock.apply(event)
    except EventError as exc:
        ticket.rejected = str(exc)
        return RowError(line, _engine_message(tid, exc))
    return None


def _refused(ticket: _Ticket, line: int, event: TicketEvent) -> RowError:
    """Why a later row of a known ticket is not replayed (its opened row was rejected, it is out of
    order or names another client)."""
    tid, at = event.ticket_id, event.at
    if ticket.rejected is not None:
        return RowError(
            line, f"ticket {tid} was not opened (its opened row, line {ticket.last_line}, was rejected)"
        )
    if at < ticket.last_at:
        return RowError(
            line,
            f"ticket {tid}: this row ({at.isoformat()}) is earlier than its previous row "
            f"(line {ticket.last_line}, {ticket.last_at.isoformat()}) — a ticket's rows must be "
            "in time order; row skipped",
        )
    return RowError(
        line, f"ticket {tid}: client {event.client!r} differs from the ticket's client {ticket.client!r}"
    )


_METRIC_TEXT = {m: str(m) for m in Metric}
_STATE_TEXT = {s: str(s) for s in TimerState}


def _rows(tickets: dict[str, _Ticket], now: datetime) -> list[ReplayRow]:
    """One row per timer of every opened ticket at ``now``, as :func:`timer_row` builds them from the
    clocks' :class:`MetricTimer` values, here from their plain standings (the same fields)."""
    rows: list[ReplayRow] = []
    append = rows.append
    row, metric_text, state_text = _row, _METRIC_TEXT, _STATE_TEXT
    seconds: dict[timedelta, int] = {}
    for tid, ticket in tickets.items():
        if ticket.rejected is not None:
            continue
        version, client = ticket.version, ticket.client
        contract, number = getattr(version, "contract_key", ""), getattr(version, "number", 0)
        for metric, cycle, priority, target, started, due, stopped, elapsed, state, breached, paused in (
            ticket.clock.standings(now)  # type: ignore[union-attr]
        ):
            target_seconds = seconds.get(target)
            if target_seconds is None:
                target_seconds = seconds[target] = round(target.total_seconds())
            append(
                row(  # ReplayRow(...), positional in field order
                    tid,
                    client,
                    priority,
                    metric_text[metric],
                    cycle,
                    target_seconds,
                    started,
                    due,
                    stopped,
                    round(elapsed.total_seconds()),
                    state_text[state],
                    breached,
                    round(paused.total_seconds()),
                    contract,
                    number,
                )
            )
    return rows


_row = slot_builder(ReplayRow)


def timer_row(ticket_id: str, client: str, version: ContractVersion | None, t: MetricTimer) -> ReplayRow:
    """One :class:`ReplayRow` for timer ``t`` of ``ticket_id`` under ``version`` (the replay and
    the quarterly review's history from storage both build their rows here)."""
    return _row(  # ReplayRow(...), positional in field order
        ticket_id,
        client,
        t.priority,
        str(t.metric),
        t.cycle,
        round(t.target.total_seconds()),
        t.started_at,
        t.due_at,
        t.stopped_at,
        round(t.business_elapsed.total_seconds()),
        str(t.state),
        t.breached_at,
        round(t.paused_for.total_seconds()),
        getattr(version, "contract_key", ""),
        getattr(version, "number", 0),
    )


def write_results_csv(rows: Iterable[ReplayRow], file: IO[str]) -> int:
    """Write one line per ticket × metric × cycle with :data:`RESULTS_HEADER`. Returns rows written.

    Instants are ISO 8601 in UTC with their offset (``2026-03-02T08:00:00+00:00``); empty for
    none (e.g. ``due_at`` of a paused timer, ``stopped_at`` of a running one).
    """
    writer = csv.writer(file, lineterminator="\n")
    writer.writerow(RESULTS_HEADER)
    n = 0
    for r in rows:
        writer.writerow(
            [
                r.ticket_id,
                r.metric,
                r.cycle,
                r.target_seconds,
                _iso(r.started_at),
                _iso(r.due_at),
                _iso(r.stopped_at),
                r.business_elapsed_seconds,
                r.state,
                _iso(r.breached_at),
            ]
        )
        n += 1
    return n
