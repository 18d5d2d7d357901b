"""The ingest use case shared by the webhooks and ``slabot import``.

Events from outside Slack (:class:`~bot.sources.schema.SourceEvent`) go through two steps:

1. :meth:`TicketIngest.plan` — a dry run in one read transaction: drop events whose id is
   already stored (``duplicate``) or that change nothing (``unchanged``: same status, same
   priority), map helpdesk priorities onto the contract's, fold every touched ticket through the
   SLA engine with the new events, and collect every problem (unknown client or ticket, unknown
   priority or status, out of order, ...) with the event it belongs to.
2. :meth:`TicketIngest.apply` — each planned event through :class:`TicketService` (``open`` /
   ``record``), one transaction per event, so listeners (status cards, surveys, caches) see every
   change as they do for Slack.

The webhooks refuse a request with any problem (400, nothing stored); the import stores the good
rows and reports the bad ones. Tickets are remembered as ``external_ref = "<source>:<ticket id>"``
and events as ``external_id = "<source>:<event id>"``, which makes every delivery idempotent.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

from bot.services.tickets import TicketError, TicketService
from bot.sources.schema import SourceEvent
from bot.sources.vocabulary import map_priority
from bot.sources.zendesk import KnownTicket
from sla.contracts import ContractVersion
from sla.metrics import EventKind
from sla.timers import EventError, TicketClock, TicketEvent
from storage.models import TicketSource
from storage.sources import stored_external_ids
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

DEFAULT_TEAM_ID = "T0SLABOT01"

Status = Literal["created", "duplicate", "unchanged", "rejected"]


@dataclass(frozen=True)
class Outcome:
    """What became of one event (``index`` = its position in the request or batch)."""

    index: int
    event_id: str
    ticket_id: str
    status: Status
    ref: str | None = None
    message: str | None = None

    def to_json(self) -> dict[str, str | None]:
        out: dict[str, str | None] = {"id": self.event_id, "ticket_id": self.ticket_id, "status": self.status}
        if self.ref:
            out["ref"] = self.ref
        if self.message:
            out["error"] = self.message
        return out


@dataclass(frozen=True)
class _Step:
    index: int
    event: SourceEvent
    action: Literal["open", "record", "duplicate", "unchanged"]
    ref: str | None  # the existing ticket's reference (None for a ticket this batch opens)


@dataclass
class Plan:
    steps: list[_Step] = field(default_factory=list)
    problems: list[Outcome] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class _Sim:
    clock: TicketClock
    version: ContractVersion
    ref: str | None  # None: opened by this batch


class TeamError(ValueError):
    """Which workspace's tickets these are cannot be told; the message says what to set."""


def resolve_team(configured: str | None, uow: UnitOfWork) -> str:
    """``SLABOT_TEAM_ID`` if set, else the one workspace of the database, else the default."""
    if configured:
        return configured
    with uow.begin(read_only=True) as tx:
        teams = tx.workspaces.list_team_ids()
    if len(teams) == 1:
        return teams[0]
    if not teams:
        return DEFAULT_TEAM_ID
    raise TeamError(
        f"the database holds {len(teams)} workspaces ({', '.join(sorted(teams))}): "
        "set SLABOT_TEAM_ID to the one these tickets belong to"
    )


class TicketIngest:
    """Plan and apply external events for one kind of source (``webhook`` or ``import``)."""

    def __init__(self, tickets: TicketService, *, kind: TicketSource = TicketSource.webhook) -> None:
        self.tickets = tickets
        self.kind = TicketSource(kind)

    @staticmethod
    def external_ref(source: str, ticket_id: str) -> str:
        return f"{source}:{ticket_id}"

    @staticmethod
    def external_id(source: str, event_id: str) -> str:
        return f"{source}:{event_id}"

    def statuses(self) -> frozenset[str]:
        """Every status some contract names (kept as-is when a helpdesk uses the same word)."""
        names: set[str] = {"open", "waiting_on_client", "on_hold"}
        for version in self.tickets.book.all_versions():
            names.update(str(s) for s in (version.pause_on or {}))
            names.update(str(s) for s in (getattr(version, "statuses", ()) or ()))
        return frozenset(names)

    def known(self, *, team_id: str, source: str, ticket_id: str) -> KnownTicket | None:
        """What slabot knows of an external ticket (for adapters that receive snapshots)."""
        with self.tickets.uow.begin(read_only=True) as tx:
            ticket = tx.tickets.get_by_external_ref(
                team_id=team_id, external_ref=self.external_ref(source, ticket_id)
            )
            if ticket is None:
                return None
            return KnownTicket(
                status=ticket.status,
                priority=ticket.priority,
                resolved=ticket.resolved_at is not None,
                closed=ticket.closed_at is not None,
            )

    # ------------------------------------------------------------------ plan (dry run)

    def plan(self, *, team_id: str, source: str, events: Sequence[SourceEvent], first_index: int = 0) -> Plan:
        plan = Plan()
        book = self.tickets.book
        xids = [self.external_id(source, e.event_id) for e in events]
        sims: dict[str, _Sim | None] = {}
        seen_here: set[str] = set()
        with self.tickets.uow.begin(read_only=True) as tx:
            stored = stored_external_ids(
                tx.session, team_id=team_id, source=self.kind.value, external_ids=xids
            )

            def load(ticket_id: str) -> _Sim | None:
                if ticket_id not in sims:
                    ticket = tx.tickets.get_by_external_ref(
                        team_id=team_id, external_ref=self.external_ref(source, ticket_id)
                    )
                    sim = None
                    if ticket is not None:
                        clock, version = self.tickets.fold(tx, ticket)
                        sim = _Sim(clock, version, ticket.ref)
                    sims[ticket_id] = sim
                return sims[ticket_id]

            for offset, (event, xid) in enumerate(zip(events, xids, strict=True)):
                index = first_index + offset
                if event.actor and len(event.actor) > 64:  # the actor column holds a Slack id's length
                    event = replace(event, actor=event.actor[:64])

                def problem(message: str, event: SourceEvent = event, index: int = index) -> None:
                    plan.problems.append(
                        Outcome(index, event.event_id, event.ticket_id, "rejected", None, message)
                    )

                if len(xid) > 200 or len(self.external_ref(source, event.ticket_id)) > 200:
                    problem("the event id and the ticket id may have at most 150 characters")
                    continue
                try:
                    sim = load(event.ticket_id)
                except TicketError as exc:
                    problem(str(exc))
                    continue
                if xid in stored or xid in seen_here:
                    plan.steps.append(_Step(index, event, "duplicate", sim.ref if sim else None))
                    continue
                seen_here.add(xid)
                if event.kind is EventKind.OPENED:
                    if sim is not None:
                        where = f"as {sim.ref}" if sim.ref else "earlier in this batch"
                        problem(f"ticket {event.ticket_id} was already opened ({where})")
                        continue
                    client = event.client or ""
                    if client not in book.clients:
                        known = ", ".join(sorted(book.clients)) or "none"
                        problem(f"unknown client {client!r}; the contract file has {known}")
                        continue
                    version = book.version_for(client, event.at)
                    priority = map_priority(event.priority, version.priorities) or version.priority_for(
                        event.title or ""
                    )
                    event = replace(event, priority=priority)
                    clock = TicketClock(version, record_timeline=False)
                    try:
                        clock.apply(_domain(event, event.ticket_id))
                    except EventError as exc:
                        problem(_sentence(str(exc)))
                        continue
                    sims[event.ticket_id] = _Sim(clock, version, None)
                    plan.steps.append(_Step(index, event, "open", None))
                    continue
                if sim is None:
                    problem(
                        f"unknown ticket {event.ticket_id}: its first event must be 'opened' "
                        f"(got '{event.kind.value}')"
                    )
                    continue
                if event.kind is EventKind.PRIORITY:
                    event = replace(event, priority=map_priority(event.priority, sim.version.priorities))
                    if event.priority is None or event.priority == sim.clock.priority:
                        plan.steps.append(_Step(index, event, "unchanged", sim.ref))
                        continue
                if event.kind is EventKind.STATUS and event.status == sim.clock.status:
                    plan.steps.append(_Step(index, event, "unchanged", sim.ref))
                    continue
                try:
                    sim.clock.apply(_domain(event, sim.clock.ticket_id or event.ticket_id))
                except EventError as exc:
                    problem(_sentence(str(exc)))
                    continue
                plan.steps.append(_Step(index, event, "record", sim.ref))
        return plan

    # ------------------------------------------------------------------ apply

    def apply(self, *, team_id: str, source: str, plan: Plan) -> list[Outcome]:
        """Store the planned events in order (one transaction each); one outcome per step."""
        refs: dict[str, str | None] = {}
        failed: set[str] = set()
        out: list[Outcome] = []
        for step in plan.steps:
            event = step.event
            ref = refs.get(event.ticket_id, step.ref)
            if step.action in ("duplicate", "unchanged"):
                out.append(Outcome(step.index, event.event_id, event.ticket_id, step.action, ref))
                continue
            if event.ticket_id in failed:
                out.append(
                    Outcome(
                        step.index,
                        event.event_id,
                        event.ticket_id,
                        "rejected",
                        None,
                        f"ticket {event.ticket_id} could not be opened",
                    )
                )
                continue
            xid = self.external_id(source, event.event_id)
            try:
                if step.action == "open":
                    client = self.tickets.book.clients[event.client or ""]
                    state = self.tickets.open(
                        team_id=team_id,
                        client_key=client.key,
                        source=self.kind,
                        priority=event.priority,
                        title=event.title,
                        channel_id=event.channel_id or (client.channels[0] if client.channels else None),
                        thread_ts=event.thread_ts,
                        actor=event.actor,
                        at=event.at,
                        external_ref=self.external_ref(source, event.ticket_id),
                        external_id=xid,
                    )
                    ref = refs[event.ticket_id] = state.ticket.ref
                else:
                    assert ref is not None
                    self.tickets.record(
                        team_id=team_id,
                        ref=ref,
                        kind=event.kind,
                        priority=event.priority if event.kind is EventKind.PRIORITY else None,
                        status=event.status if event.kind is EventKind.STATUS else None,
                        actor=event.actor,
                        note=event.note,
                        at=event.at,
                        source=self.kind.value,
                        external_id=xid,
                    )
            except TicketError as exc:  # changed since the plan (a concurrent delivery): report, go on
                if step.action == "open":
                    failed.add(event.ticket_id)
                out.append(Outcome(step.index, event.event_id, event.ticket_id, "rejected", ref, str(exc)))
                continue
            log.info(
                "ticket event stored source=%s event_id=%s ticket=%s kind=%s",
                source,
                event.event_id,
                ref,
                event.kind.value,
            )
            out.append(Outcome(step.index, event.event_id, event.ticket_id, "created", ref))
        return out


def _domain(event: SourceEvent, ticket_id: str) -> TicketEvent:
    return TicketEvent(
        ticket_id=ticket_id,
        at=event.at,
        kind=event.kind,
        priority=event.priority,
        status=event.status,
        client=event.client,
        actor=event.actor,
        note=event.note,
    )


def _sentence(text: str) -> str:
    return text[0].upper() + text[1:] if text else text
