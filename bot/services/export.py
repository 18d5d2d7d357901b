"""``slabot export``: a workspace's ticket events as the replay CSV — the truth every stored timer,
report and credit is a projection of, in the format ``slabot replay`` and ``slabot import`` read.

So live history can be dry-run through ``slabot replay`` (and checked against the live reports:
the differential test does exactly that), and a team can leave with its data.

- Every event of every ticket, in each ticket's order (``ticket_id`` is the ticket's ref, ``T-12``),
  with the optional ``actor`` and ``note`` columns, and ``subject`` and ``external_id`` (the ticket's
  title and ``<system>:<its id there>``, on its ``opened`` row); ``--client`` keeps one client's tickets.
- ``--period`` keeps the tickets that matter to that period — opened before its end and either
  still open at its start or with an event inside it — with their **whole** history up to the
  period's end (a replay needs each ticket's ``opened`` row). Replayed ``--as-of`` the period's end,
  the timers decided inside the period are the ones the period's report counts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from typing import IO

from bot.services.ticket_keys import ExternalKey
from bot.services.tickets import event_of
from sla.metrics import EventKind
from sla.periods import Period
from sla.replay import write_events_csv
from sla.timers import TicketEvent
from storage.models import Ticket, TicketEventRow
from storage.uow import UnitOfWork

BATCH = 500


def _event(ticket: Ticket, row: TicketEventRow) -> TicketEvent:
    event = event_of(ticket, row)
    if event.kind is EventKind.OPENED:  # replay needs the opening's client; import reads the ticket's facts
        known = ExternalKey.of(ticket.external_system, ticket.external_id)
        return replace(
            event,
            client=event.client or ticket.client_key,
            subject=ticket.title,
            external_id=f"{known.system}:{known.id}" if known and known.system else None,
        )
    return event


def _matters(rows: Sequence[TicketEventRow], period: Period) -> bool:
    """Opened before the period's end, and open at its start or with an event inside it."""
    if not rows or rows[0].at >= period.end:
        return False
    done = False
    for row in rows:
        if row.at >= period.start:
            return row.at < period.end or not done
        if row.kind in (EventKind.RESOLVED, EventKind.CLOSED):
            done = True
        elif row.kind == EventKind.REOPENED:
            done = False
    return not done


PeriodFor = Callable[[str | None], Period]
"""The period of a ticket's client (each client's month is its own: ``ReportService.period_for``)."""


def export_events(
    uow: UnitOfWork,
    *,
    team_id: str,
    client_key: str | None = None,
    period: Period | PeriodFor | None = None,
    batch: int = BATCH,
) -> Iterator[TicketEvent]:
    """The events of the workspace's tickets (module docstring), ticket by ticket, in id order;
    read in pages of ``batch`` tickets (one read-only transaction each). ``period`` may be one
    period for every ticket or a function of the ticket's client."""
    after = 0
    period_for: PeriodFor | None = (lambda _client: period) if isinstance(period, Period) else period
    while True:
        with uow.begin(read_only=True) as tx:
            tickets = tx.tickets.page(
                team_id=team_id,
                after_id=after,
                limit=batch,
                client_key=client_key,
                opened_before=period.end if isinstance(period, Period) else None,
            )
            events = tx.events.list_for_tickets(team_id=team_id, ticket_ids=[t.id for t in tickets])
        for ticket in tickets:
            rows = events[ticket.id]
            if period_for is not None:
                mine = period_for(ticket.client_key)
                if not _matters(rows, mine):
                    continue
                rows = [r for r in rows if r.at < mine.end]
            for row in rows:
                yield _event(ticket, row)
        if len(tickets) < batch:
            return
        after = tickets[-1].id


def write_export(
    uow: UnitOfWork,
    file: IO[str],
    *,
    team_id: str,
    client_key: str | None = None,
    period: Period | PeriodFor | None = None,
) -> int:
    """Write the export as the replay CSV (with ``actor`` and ``note``); returns the rows written."""
    events = export_events(uow, team_id=team_id, client_key=client_key, period=period)
    return write_events_csv(events, file, with_actor_note=True, with_ticket=True)


__all__ = ["PeriodFor", "export_events", "write_export"]
