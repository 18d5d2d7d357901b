"""``slabot import EVENTS.csv``: load a history of ticket events into the database.

The file has the replay CSV's format (:mod:`sla.replay`). Rows are read lazily and handled in
batches (:class:`~bot.sources.ingest.TicketIngest`). ``batched=True`` (what ``slabot import``
does) plans and stores each batch in one transaction
(:meth:`~bot.sources.ingest.TicketIngest.ingest_batch`: one fold and one timer projection per
touched ticket, bulk inserts), so an interruption loses at most the batch being written; the
default stores each event in its own transaction through ``TicketService`` (the reference path,
~100x slower).

Resuming is running the same command again. Every row gets an id made of its content (ticket,
timestamp, event and every cell) plus, for identical rows, its rank among them; the stored
events are the checkpoint: a row whose id is stored is skipped as a duplicate (one indexed
lookup per batch), so a resumed import ends in exactly the state of an uninterrupted one, and
re-importing a file (or a longer version of it) only adds what is new.

Import is history: it runs no change listeners (no surveys, no live status cards for events
that happened long ago); tickets are linked to their client's first channel, so ``/sla status``
lists the ones still open, and the alert sweep treats them like any other ticket.
"""

from __future__ import annotations

import gc
import hashlib
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError

from bot.sources.ingest import TicketIngest
from bot.sources.plan import Outcome, Plan
from bot.sources.schema import SourceEvent
from sla.bulk import collector_paused
from sla.metrics import EventKind
from sla.replay import RowError, iter_events_csv
from sla.timers import TicketEvent, slot_builder

#: rows per batch (``slabot import --batch``): a ticket that spans batches is loaded, folded and written
#: once per batch it has events in, so larger batches write each ticket fewer times (2,000 rows: 2.5
#: writes per ticket of the shared logs, 10,000: 1.9); an interruption loses at most one batch
DEFAULT_BATCH = 10_000
#: ``SourceEvent(...)`` built positionally without the frozen dataclass's ``__init__`` (one per row)
_source_event = slot_builder(SourceEvent)
#: a full garbage collection every this many rows, at the end of a batch (the automatic one is off
#: while importing)
COLLECT_EVERY_ROWS = 100_000


@dataclass
class ImportSummary:
    rows: int = 0
    tickets_opened: int = 0
    events_created: int = 0
    duplicates: int = 0
    unchanged: int = 0
    rejected: list[RowError] = field(default_factory=list)
    tickets: set[str] = field(default_factory=set)

    @property
    def ok(self) -> bool:
        return not self.rejected

    def lines(self, *, max_errors: int = 100) -> list[str]:
        out = [
            f"  rows read:          {self.rows:,}",
            f"  tickets:            {len(self.tickets):,} ({self.tickets_opened:,} opened by this run)",
            f"  events stored:      {self.events_created:,}",
            f"  skipped duplicates: {self.duplicates:,} (already in the database)",
        ]
        if self.unchanged:
            out.append(f"  unchanged:          {self.unchanged:,} (same status or priority as before)")
        out.append(f"  rejected rows:      {len(self.rejected):,}")
        for error in sorted(self.rejected, key=lambda e: e.line)[:max_errors]:
            out.append(f"    line {error.line}: {error.message}")
        if len(self.rejected) > max_errors:
            out.append(f"    … and {len(self.rejected) - max_errors:,} more")
        return out


class RowIds:
    """Content ids of rows: the same row always gets the same id (its n-th copy gets ``-n``).

    The id is the first 128 bits of the row's SHA-256, in hex. Each id seen is kept as that number
    (an int, about half the memory of its 32-character text: a million rows take ~75 MB, not ~130),
    and the count of copies only for rows that repeat."""

    def __init__(self) -> None:
        self._seen: set[int] = set()
        self._copies: dict[int, int] = {}

    def __call__(self, event: TicketEvent) -> str:
        at = event.at
        cells = (
            event.ticket_id,
            _isoformat(at) if at.__class__ is datetime and at.tzinfo is UTC else at.isoformat(),
            event.kind._value_,  # ``.value`` without the Enum property's call
            event.priority or "",
            event.status or "",
            event.client or "",
            event.actor or "",
            event.note or "",
        )
        if event.subject or event.external_id:  # only then: the ids of files without them stay as they were
            cells += (event.subject or "", event.external_id or "")
        digest = hashlib.sha256("\x1f".join(cells).encode("utf-8")).digest()[:16]
        key = int.from_bytes(digest)
        if key not in self._seen:
            self._seen.add(key)
            return digest.hex()
        n = self._copies.get(key, 0) + 1
        self._copies[key] = n
        return f"{digest.hex()}-{n}"


#: "00" to "59" (:func:`_isoformat`)
_TWO_DIGITS = tuple(f"{n:02d}" for n in range(60))
#: the date part ("YYYY-MM-DDT") of each proleptic ordinal seen (a few thousand days in a history)
_days: dict[int, str] = {}


def _isoformat(at: datetime) -> str:
    """``at.isoformat()`` of an aware UTC ``datetime`` (``YYYY-MM-DDTHH:MM:SS[.ffffff]+00:00``), about
    three times cheaper: the day's text looked up, the clock's fields from a table (``isoformat``
    runs a printf-style formatter per field; every row's id has one)."""
    ordinal = at.toordinal()
    day = _days.get(ordinal)
    if day is None:
        if len(_days) >= 100_000:
            _days.clear()
        day = _days[ordinal] = at.date().isoformat() + "T"
    two = _TWO_DIGITS
    micro = at.microsecond
    return (
        day
        + two[at.hour]
        + ":"
        + two[at.minute]
        + ":"
        + two[at.second]
        + (f".{micro:06d}+00:00" if micro else "+00:00")
    )


def _batches(
    rows: Iterable[tuple[int, TicketEvent | RowError]], size: int
) -> Iterator[list[tuple[int, TicketEvent | RowError]]]:
    batch: list[tuple[int, TicketEvent | RowError]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _count(summary: ImportSummary, plan: Plan, outcomes: list[Outcome], lines_of: list[int]) -> None:
    """Add the outcomes of a batch (its events at ``lines_of``) to ``summary``."""
    opened = {s.index for s in plan.steps if s.action == "open"}
    for outcome in outcomes:
        line = lines_of[outcome.index]
        if outcome.status == "rejected":
            summary.rejected.append(RowError(line, outcome.message or "rejected"))
            continue
        summary.tickets.add(outcome.ticket_id)
        if outcome.status == "created":
            summary.events_created += 1
            if outcome.index in opened:
                summary.tickets_opened += 1
        elif outcome.status == "duplicate":
            summary.duplicates += 1
        else:
            summary.unchanged += 1


def _count_steps(summary: ImportSummary, plan: Plan) -> None:
    """Add a stored batch's steps to ``summary``: what :func:`_count` makes of their outcomes
    (``TicketIngest.ingest_batch`` stores every step: open and record are created)."""
    actions = Counter(s.action for s in plan.steps)
    summary.tickets.update(s.event.ticket_id for s in plan.steps)
    summary.events_created += actions["open"] + actions["record"]
    summary.tickets_opened += actions["open"]
    summary.duplicates += actions["duplicate"]
    summary.unchanged += actions["unchanged"]


def _stored_batch(
    ingest: TicketIngest,
    *,
    team_id: str,
    source: str,
    events: list[SourceEvent],
    retries: int,
    opened: set[str],
) -> tuple[Plan, list[Outcome]]:
    for attempt in range(retries + 1):
        try:
            # the first attempt trusts the row ids (RowIds: made of the row, its ticket id included, and
            # distinct within the run): the events of tickets this run opened or that are not stored
            # cannot be stored already; a retry looks every event up
            first = attempt == 0
            return ingest.ingest_batch(
                team_id=team_id,
                source=source,
                events=events,
                opened=opened if first else (),
                content_ids=first,
                outcomes=False,
            )
        except IntegrityError:  # a concurrent writer stored one of these events or tickets: plan again
            if attempt == retries:
                raise
    raise AssertionError("unreachable")


def import_events(
    lines: Iterable[str],
    *,
    ingest: TicketIngest,
    team_id: str,
    source: str = "import",
    batch: int = DEFAULT_BATCH,
    progress: Callable[[int], Any] | None = None,
    after_batch: Callable[[ImportSummary, int], Any] | None = None,
    batched: bool = False,
    retries: int = 3,
) -> ImportSummary:
    """Import every good row of an events CSV; bad rows are reported with their line.

    ``batched``: one transaction per batch (see the module docstring); a batch that collides with
    a concurrent writer (an integrity error on PostgreSQL) is planned and stored again, up to
    ``retries`` times.

    ``progress(n)`` is called with the number of rows of each finished batch; ``after_batch``
    with the running summary and the last line of the batch (tests interrupt there)."""
    if batch < 1:
        raise ValueError("batch must be at least 1")
    with collector_paused():
        return _import(
            lines,
            ingest=ingest,
            team_id=team_id,
            source=source,
            batch=batch,
            progress=progress,
            after_batch=after_batch,
            batched=batched,
            retries=retries,
        )


#: a batch's rows, ready to plan: its events and the line of each
_Prepared = tuple[list[SourceEvent], list[int]]


def _prepared(
    chunk: list[tuple[int, TicketEvent | RowError]], ids: RowIds, summary: ImportSummary
) -> _Prepared:
    """The events of ``chunk`` (the rejected rows go to ``summary``), each with its content id and line.
    Called in the order of the file, which the ids of repeated rows depend on (:class:`RowIds`)."""
    events: list[SourceEvent] = []
    lines_of: list[int] = []
    for line, item in chunk:
        if item.__class__ is RowError:
            summary.rejected.append(item)  # type: ignore[arg-type]
            continue
        opening = item.kind is EventKind.OPENED  # type: ignore[union-attr]
        events.append(
            _source_event(  # SourceEvent(event_id=..., ticket_id=..., ...), positionally
                ids(item),  # type: ignore[arg-type]
                item.ticket_id,  # type: ignore[union-attr]
                item.at,  # type: ignore[union-attr]
                item.kind,  # type: ignore[union-attr]
                item.priority,  # type: ignore[union-attr]
                item.status,  # type: ignore[union-attr]
                item.client,  # type: ignore[union-attr]
                item.actor,  # type: ignore[union-attr]
                item.note,  # type: ignore[union-attr]
                item.subject if opening else None,  # type: ignore[union-attr]  (title)
                None,  # channel_id
                None,  # thread_ts
                None,  # requester
                item.external_id if opening else None,  # type: ignore[union-attr]  (known_as)
            )
        )
        lines_of.append(line)
    return events, lines_of


#: the events after which a ticket takes no other (:attr:`sla.timers.TicketClock.closed`)
_FINAL = (EventKind.CLOSED, EventKind.DISMISSED)
#: how many batches' rows are read ahead (:func:`_pull_forward`). Of the shared logs sorted by time
#: (41,138 rows, 8,444 tickets, 10,000 rows a batch): 16,224 ticket writes without, 12,883 with one
#: batch, 10,474 with two, 8,609 with three (the largest batch 17,086 rows); a million events of them
#: (204,327 tickets, most open for weeks) 615,033 writes without, 563,759 with three (the largest batch
#: 14,727 rows), at the same peak resident memory (425 MB)
LOOKAHEAD_BATCHES = 3


def _pull_forward(current: _Prepared, ahead: Sequence[_Prepared]) -> _Prepared:
    """``current`` with the events of ``ahead`` (the next batches' rows, in order) of the tickets that
    ``current`` has events of and ``ahead`` closes appended, each ticket's in the order of the file;
    those events are taken out of ``ahead``.

    A ticket with events in several batches is loaded, projected and written by each. A ticket whose
    last events are in the next rows is written once instead, by the batch that writes it anyway, and
    is final once that batch is stored (never loaded or written again by the run). (Taking the next
    events of every ticket of the batch, closed by them or not, would save a few more writes; then the
    tickets a batch opened would rarely have events in the rows right after it, which a test of a
    concurrent writer of those rows relies on.) Only the order of each ticket's own events matters to
    what is stored, and no opening moves (a ticket opened again by the next rows keeps all its events
    there), so the tickets are numbered in the order of their openings in the file, as before. A batch
    writes no ticket it did not write before; it holds the events it took in addition."""
    events, lines_of = current
    if not events or not any(part[0] for part in ahead):
        return current
    here = {e.ticket_id for e in events}
    closed = {e.ticket_id for part, _ in ahead for e in part if e.kind in _FINAL and e.ticket_id in here}
    if not closed:
        return current
    closed.difference_update(e.ticket_id for part, _ in ahead for e in part if e.kind is EventKind.OPENED)
    for part, part_lines in ahead:
        kept_events: list[SourceEvent] = []
        kept_lines: list[int] = []
        for event, line in zip(part, part_lines, strict=True):
            if event.ticket_id in closed:
                events.append(event)
                lines_of.append(line)
            else:
                kept_events.append(event)
                kept_lines.append(line)
        part[:] = kept_events
        part_lines[:] = kept_lines
    return events, lines_of


def _read_ahead(
    chunks: Iterator[list[tuple[int, TicketEvent | RowError]]], ids: RowIds, summary: ImportSummary
) -> tuple[int, int, _Prepared] | None:
    """The next batch's rows: how many, the last one's line, its events (None: no rows left)."""
    chunk = next(chunks, None)
    if chunk is None:
        return None
    return len(chunk), chunk[-1][0], _prepared(chunk, ids, summary)


def _import(
    lines: Iterable[str],
    *,
    ingest: TicketIngest,
    team_id: str,
    source: str,
    batch: int,
    progress: Callable[[int], Any] | None,
    after_batch: Callable[[ImportSummary, int], Any] | None,
    batched: bool,
    retries: int,
) -> ImportSummary:
    summary = ImportSummary()
    ids = RowIds()
    # the tickets this run opened (their ids in the file): the ids of this run's rows are all distinct,
    # so no event of theirs can be stored already (batched: their events are not looked up)
    opened_here: set[str] = set()
    collect_every = max(1, COLLECT_EVERY_ROWS // batch)  # batches
    chunks = _batches(iter_events_csv(lines), batch)
    # this batch's rows and the next ones' (read ahead in the order of the file, as the row ids need)
    queue: deque[tuple[int, int, _Prepared]] = deque()
    number = 0
    while True:
        while len(queue) <= (LOOKAHEAD_BATCHES if batched else 0):
            read = _read_ahead(chunks, ids, summary)
            if read is None:
                break
            queue.append(read)
        if not queue:
            return summary
        rows, last_line, ready = queue.popleft()
        number += 1
        if number % collect_every == 0:
            gc.collect()
        summary.rows += rows
        if batched:  # the next rows that close this batch's tickets join it (see _pull_forward)
            events, lines_of = _pull_forward(ready, [prepared for _n, _line, prepared in queue])
            plan, problems = _stored_batch(
                ingest, team_id=team_id, source=source, events=events, retries=retries, opened=opened_here
            )
            _count_steps(summary, plan)
            opened_here.update(s.event.ticket_id for s in plan.steps if s.action == "open")
            for problem in problems:
                summary.rejected.append(RowError(lines_of[problem.index], problem.message or "rejected"))
        else:
            events, lines_of = ready
            plan = ingest.plan(team_id=team_id, source=source, events=events)
            outcomes = [*plan.problems, *ingest.apply(team_id=team_id, source=source, plan=plan)]
            _count(summary, plan, outcomes, lines_of)
        del events, lines_of, ready, plan
        if progress is not None:
            progress(rows)
        if after_batch is not None:
            after_batch(summary, last_line)
