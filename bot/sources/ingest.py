"""The ingest use case shared by the webhooks and ``slabot import``.

Events from outside Slack (:class:`~bot.sources.schema.SourceEvent`) go through two steps:

1. :meth:`TicketIngest.plan` — a dry run in one read transaction: drop events whose id is
   already stored (``duplicate``) or that change nothing (``unchanged``: same status, same
   priority), map helpdesk priorities onto the contract's, fold every touched ticket through the
   SLA engine with the new events, and collect every problem (unknown client or ticket, unknown
   priority or status, out of order, ...) with the event it belongs to.
2. :meth:`TicketIngest.store` (the webhooks) — the delivery planned again and stored in one write
   transaction, in bulk, the ticket service's listeners (status cards, surveys, caches) run for every
   stored event as they run for a Slack change. :meth:`TicketIngest.apply` is the event-by-event
   reference: each planned event through :class:`TicketService` (``open`` / ``record``), one
   transaction per event (``slabot import --per-event``); both end in the same state.

``slabot import`` uses :meth:`TicketIngest.ingest_batch` instead: plan and store a whole batch in
one write transaction — each touched ticket's events loaded once (one query for the batch), folded
once with its contract version, the new events bulk-inserted, its timer projection and columns
rewritten once — and no listeners (history). A rejected row is reported and the rest of the batch
stored; an interruption rolls back the batch being written, nothing else.

The webhooks refuse a request with any problem (400, nothing stored); the import stores the good
rows and reports the bad ones. Tickets are remembered as ``external_ref = "<source>:<ticket id>"``
and events as ``external_id = "<source>:<event id>"``, which makes every delivery idempotent.
"""

from __future__ import annotations

import logging
from collections.abc import Container, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from bot import teams
from bot.services.changes import TicketChange
from bot.services.ticket_keys import ExternalKey
from bot.services.tickets import TicketError, TicketService, opened_audit, ticket_changes, timer_rows
from bot.sources.plan import Outcome, Plan, Sim, Step
from bot.sources.rows import dismissal_audit, domain_event, event_rows
from bot.sources.schema import KnownTicket, SourceEvent
from bot.sources.vocabulary import map_priority
from sla.contracts import ContractVersion
from sla.metrics import EventKind
from sla.timers import EventError, TicketClock, slot_builder
from storage.models import TicketSource
from storage.repositories import ticket_due_fields
from storage.sources import (
    allocate_ticket_numbers,
    contract_versions,
    events_of_tickets,
    insert_audit,
    insert_events,
    insert_tickets,
    replace_timers,
    stored_external_ids,
    ticket_ref_of_event,
    ticket_refs_by_external_ref,
    tickets_by_external_ref,
    update_tickets,
)
from storage.uow import Transaction, UnitOfWork

log = logging.getLogger(__name__)

#: events after which a ticket's pending warnings and escalations are cancelled (``TicketService.record``)
_SETTLING = (EventKind.RESOLVED, EventKind.CLOSED, EventKind.DISMISSED)
#: ``Step(...)`` built positionally without the frozen dataclass's ``__init__`` (one per event)
_step = slot_builder(Step)


def resolve_team(configured: str | None, uow: UnitOfWork) -> str:
    """``SLABOT_TEAM_ID`` if set, else the one workspace of the database, else the default
    (``bot.teams.resolve_team``)."""
    return teams.resolve_team(configured, uow, choose="set SLABOT_TEAM_ID to the one these tickets belong to")


class TicketIngest:
    """Plan and apply external events for one kind of source (``webhook`` or ``import``)."""

    #: at most this many tickets keep their folded clock for the next batch (the least recently used go;
    #: closed tickets are not kept). A kept clock and its projection take about 5 KB: a million-event
    #: history with over 100,000 tickets open at once stays under 500 MB resident, its tickets beyond
    #: this being folded again from their stored events
    FOLDED_LIMIT = 25_000

    def __init__(self, tickets: TicketService, *, kind: TicketSource = TicketSource.webhook) -> None:
        self.tickets = tickets
        self.kind = TicketSource(kind)
        # ticket row id -> (its last event seq, its clock after those events, its contract version,
        # the timer projection stored with them): what the last batches stored, reused while the
        # seq still matches (only the projection rows that change are written again)
        self._folded: dict[int, tuple[int, TicketClock, ContractVersion, list[Any] | None]] = {}

    @staticmethod
    def external_ref(source: str, ticket_id: str) -> str:
        return f"{source}:{ticket_id}"

    @staticmethod
    def external_id(source: str, event_id: str) -> str:
        return f"{source}:{event_id}"

    @staticmethod
    def known_as(source: str, event: SourceEvent) -> ExternalKey:
        """What the helpdesk calls the ticket ``event`` opens (shown, and accepted by commands)."""
        if event.known_as:
            given = ExternalKey.of_ref(event.known_as)
            return given if given is not None else ExternalKey(source, event.known_as)
        return ExternalKey(source, event.ticket_id)

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
                requester=ticket.requester,
                client=ticket.client_key,
                ticket_id=ticket_id,
            )

    def known_by_event(self, *, team_id: str, source: str, event_id: str) -> KnownTicket | None:
        """What slabot knows of the external ticket one of whose events had ``event_id`` (for a
        delivery that names the ticket only through an earlier event, e.g. a Jira Server comment
        that carries no issue: its issue id is in ``issue-<id>-created``)."""
        with self.tickets.uow.begin(read_only=True) as tx:
            ref = ticket_ref_of_event(
                tx.session,
                team_id=team_id,
                source=self.kind.value,
                external_id=self.external_id(source, event_id),
            )
        prefix = self.external_ref(source, "")
        if ref is None or not ref.startswith(prefix):
            return None
        return self.known(team_id=team_id, source=source, ticket_id=ref[len(prefix) :])

    # ------------------------------------------------------------------ plan (dry run)

    def plan(self, *, team_id: str, source: str, events: Sequence[SourceEvent], first_index: int = 0) -> Plan:
        with self.tickets.uow.begin(read_only=True) as tx:
            return self._plan(tx, team_id=team_id, source=source, events=events, first_index=first_index)

    def _plan(
        self,
        tx: Transaction,
        *,
        team_id: str,
        source: str,
        events: Sequence[SourceEvent],
        first_index: int = 0,
        lock: bool = False,
        folded: dict[int, tuple[int, TicketClock, ContractVersion, list[Any] | None]] | None = None,
        opened: Container[str] = (),
        content_ids: bool = False,
    ) -> Plan:
        """Plan ``events`` in ``tx``: every ticket with a new event loaded and folded at once
        (``lock``: those tickets locked until ``tx`` ends, for a plan that is stored in the same
        transaction). A ticket whose events in ``events`` are all stored already is neither locked
        nor folded: only its reference is read (a resumed import skips its history).

        ``opened`` and ``content_ids``: which events are not looked up among the stored ones (see
        :meth:`ingest_batch`)."""
        plan = Plan()
        session = tx.session
        prefix = self.external_id(source, "")
        xids = [prefix + e.event_id for e in events]
        refs: dict[
            str, str
        ] = {}  # the source's ticket id -> its external_ref (those of at most 200 characters)
        ref_prefix = self.external_ref(source, "")
        for e in events:
            if e.ticket_id not in refs and len(ref := ref_prefix + e.ticket_id) <= 200:
                refs[e.ticket_id] = ref
        loaded: dict[str, Any] | None = None  # external_ref -> the stored ticket, when read first
        if content_ids:  # only the events of stored tickets can be stored: read the tickets first
            loaded = tickets_by_external_ref(session, team_id=team_id, external_refs=refs.values(), lock=lock)
            wanted = [
                x
                for e, x in zip(events, xids, strict=True)
                if e.ticket_id not in opened and refs.get(e.ticket_id) in loaded
            ]
        elif opened:
            wanted = [x for e, x in zip(events, xids, strict=True) if e.ticket_id not in opened]
        else:
            wanted = xids
        stored = stored_external_ids(session, team_id=team_id, source=self.kind.value, external_ids=wanted)
        failures = self._load(
            tx,
            plan,
            team_id=team_id,
            refs=refs,
            events=events,
            xids=xids,
            stored=stored,
            lock=lock,
            folded={} if folded is None else folded,
            loaded=loaded,
        )
        seen_here: set[str] = set()
        plan_event = self._plan_event
        problems = plan.problems
        index = first_index
        for event, xid in zip(events, xids, strict=True):
            if event.actor and len(event.actor) > 64:  # the actor column holds a Slack id's length
                event = replace(event, actor=event.actor[:64])
            problem = plan_event(plan, refs, event, xid, stored, seen_here, failures, index)
            if problem is not None:
                problems.append(Outcome(index, event.event_id, event.ticket_id, "rejected", None, problem))
            index += 1
        return plan

    def _load(
        self,
        tx: Transaction,
        plan: Plan,
        *,
        team_id: str,
        refs: dict[str, str],
        events: Sequence[SourceEvent],
        xids: list[str],
        stored: set[str],
        lock: bool,
        folded: dict[int, tuple[int, TicketClock, ContractVersion, list[Any] | None]],
        loaded: dict[str, Any] | None = None,
    ) -> dict[str, TicketError]:
        """Fill ``plan.sims`` with the clock of every stored ticket of ``refs`` that gets a new event
        (None: not stored) and ``plan.refs`` with the reference of the others; the tickets that cannot
        be folded. ``loaded``: every stored ticket of ``refs``, already read (and locked)."""
        if stored:
            busy = {e.ticket_id for e, xid in zip(events, xids, strict=True) if xid not in stored}
        else:  # nothing of the batch is stored: every ticket gets a new event
            busy = set(refs)
        idle = [ref for tid, ref in refs.items() if tid not in busy]
        if idle:
            if loaded is None:
                known = ticket_refs_by_external_ref(tx.session, team_id=team_id, external_refs=idle)
            else:
                known = {ref: loaded[ref].ref for ref in idle if ref in loaded}
            plan.refs.update((tid, known[ref]) for tid, ref in refs.items() if ref in known)
        refs = {tid: ref for tid, ref in refs.items() if tid in busy}
        if loaded is None:
            tickets = tickets_by_external_ref(
                tx.session, team_id=team_id, external_refs=refs.values(), lock=lock
            )
        else:
            tickets = {ref: loaded[ref] for ref in refs.values() if ref in loaded}
        # a clock folded by an earlier batch is reused while nobody appended to its ticket since
        fresh = {
            t.id: folded.pop(t.id) for t in tickets.values() if folded.get(t.id, (-1,))[0] == t.event_seq
        }
        unknown = [t for t in tickets.values() if t.id not in fresh]
        rows = events_of_tickets(tx.session, team_id=team_id, ticket_ids=[t.id for t in unknown])
        # held while planning: the identity map is weak, and version_of looks each one up by id
        held = contract_versions(tx.session, team_id=team_id, ids={t.contract_version_id for t in unknown})
        failures: dict[str, TicketError] = {}
        sims = plan.sims
        for ticket_id, ref in refs.items():
            ticket = tickets.get(ref)
            if ticket is None:
                sims[ticket_id] = None
                continue
            projection = None
            if ticket.id in fresh:
                _seq, clock, version, projection = fresh[ticket.id]
            else:
                try:
                    clock, version = self.tickets.fold(tx, ticket, rows=rows[ticket.id])
                except TicketError as exc:
                    failures[ticket_id] = exc
                    continue
            sims[ticket_id] = Sim(
                clock, version, ticket.ref, ticket, db_id=ticket.id, seq=ticket.event_seq, stored=projection
            )
        del held
        return failures

    def _plan_event(
        self,
        plan: Plan,
        refs: dict[str, str],
        event: SourceEvent,
        xid: str,
        stored: set[str],
        seen_here: set[str],
        failures: dict[str, TicketError],
        index: int,
    ) -> str | None:
        """Add ``event``'s step to ``plan``; or the reason it is rejected (``refs``: the external
        reference of each ticket id short enough to have one)."""
        tid = event.ticket_id
        if len(xid) > 200 or tid not in refs:
            return "the event id and the ticket id may have at most 150 characters"
        if event.known_as and len(event.known_as) > 150:  # it lands in external_system/external_id
            return "the ticket's external id may have at most 150 characters"
        if tid in failures:
            return str(failures[tid])
        sim = plan.sims.get(tid)
        if xid in stored or xid in seen_here:  # a ticket with only such events is not folded (_load)
            ref = sim.ref if sim is not None else plan.refs.get(tid)
            plan.steps.append(_step(index, event, "duplicate", ref))
            return None
        seen_here.add(xid)
        kind = event.kind
        if kind is EventKind.OPENED:
            if sim is not None:
                where = f"as {sim.ref}" if sim.ref else "earlier in this batch"
                return f"ticket {tid} was already opened ({where})"
            return self._plan_opening(plan, event, index)
        if sim is None:
            return f"unknown ticket {tid}: its first event must be 'opened' (got '{kind.value}')"
        clock = sim.clock
        if kind is EventKind.PRIORITY:
            event = replace(event, priority=map_priority(event.priority, sim.version.priorities))
            if event.priority is None or event.priority == clock.priority:
                plan.steps.append(_step(index, event, "unchanged", sim.ref))
                return None
        elif kind is EventKind.STATUS and event.status == clock.status:
            plan.steps.append(_step(index, event, "unchanged", sim.ref))
            return None
        domain = domain_event(event, clock.ticket_id or tid)
        try:
            clock.apply(domain)
        except EventError as exc:
            return _sentence(str(exc))
        changes = ticket_changes(clock, kind, event.at)
        plan.steps.append(_step(index, event, "record", sim.ref, changes, domain))
        return None

    def _plan_opening(self, plan: Plan, event: SourceEvent, index: int) -> str | None:
        book = self.tickets.book
        client = event.client or ""
        if client not in book.clients:
            known = ", ".join(sorted(book.clients)) or "none"
            return f"unknown client {client!r}; the contract file has {known}"
        version = book.version_for(client, event.at)
        priority = map_priority(event.priority, version.priorities) or version.priority_for(event.title or "")
        if priority != event.priority:
            event = replace(event, priority=priority)
        clock = TicketClock(version, record_timeline=False)
        domain = domain_event(event, event.ticket_id)
        try:
            clock.apply(domain)
        except EventError as exc:
            return _sentence(str(exc))
        plan.sims[event.ticket_id] = Sim(clock, version, None)
        plan.steps.append(_step(index, event, "open", None, None, domain))
        return None

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
                        requester=event.requester,
                        actor=event.actor,
                        at=event.at,
                        external_ref=self.external_ref(source, event.ticket_id),
                        external_id=xid,
                        known_as=self.known_as(source, event),
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

    # ------------------------------------------------------------------ batched (history import)

    def ingest_batch(
        self,
        *,
        team_id: str,
        source: str,
        events: Sequence[SourceEvent],
        first_index: int = 0,
        opened: Container[str] = (),
        content_ids: bool = False,
        outcomes: bool = True,
    ) -> tuple[Plan, list[Outcome]]:
        """Plan and store ``events`` in one write transaction, without listeners (imported history).

        The final state is the one :meth:`apply` reaches event by event: same events (``seq``,
        ``recorded_at``), ticket columns, timer projection and opening audit rows. Rejected events
        are in the outcomes (the rest is stored); if anything raises, nothing of the batch is.

        ``opened``: the ids (the source's) of tickets the caller opened itself with earlier batches of
        one run whose event ids are all distinct (``slabot import``'s :class:`~bot.sources.importer.RowIds`):
        their events are not looked up among the stored ones, since none can be stored but by that
        run. ``content_ids``: every event id is made of the event's content, its ticket id included
        (:class:`~bot.sources.importer.RowIds`), so the events of a ticket that is not stored cannot be
        stored either: the batch's stored tickets are read (and locked) first, then only their events
        are looked up (a new history needs no lookup).
        Should a concurrent writer have stored one of the events not looked up after all, the insert
        fails on the events' unique key (:class:`~sqlalchemy.exc.IntegrityError`, nothing stored) and
        the caller plans the batch again without ``opened`` and ``content_ids``.

        ``outcomes=False``: only the rejected events' outcomes (the plan's steps say what became of the
        others: ``open`` and ``record`` are created), without one object per stored event."""
        now = self.tickets.clock.now()
        try:
            with self.tickets.uow.begin() as tx:
                plan = self._plan(
                    tx,
                    team_id=team_id,
                    source=source,
                    events=events,
                    first_index=first_index,
                    lock=True,
                    folded=self._folded,
                    opened=opened,
                    content_ids=content_ids,
                )
                stored = self._store(
                    tx, team_id=team_id, source=source, plan=plan, now=now, outcomes=outcomes
                )
        except BaseException:
            self._folded.clear()  # the clocks may hold events that were not stored
            raise
        folded = self._folded
        for sim in plan.sims.values():  # committed: these clocks are the stored state
            if sim is not None and sim.db_id is not None:
                folded.pop(sim.db_id, None)  # to the end: the least recently used go first
                if sim.clock.closed:  # final: no event can change it, so the room goes to open tickets
                    continue
                projection = sim.rows if sim.written else sim.stored  # (None: not known)
                folded[sim.db_id] = (sim.seq, sim.clock, sim.version, projection)
        while len(folded) > self.FOLDED_LIMIT:
            del self._folded[next(iter(self._folded))]
        return plan, [*plan.problems, *stored]

    def store(
        self, *, team_id: str, source: str, events: Sequence[SourceEvent]
    ) -> tuple[Plan, list[Outcome]]:
        """A webhook delivery planned and stored in one write transaction, in bulk (the path of
        :meth:`ingest_batch`: each touched ticket locked, folded once, its events bulk-inserted, its
        projection and columns written once), **with** the listeners of the ticket service: the change
        listeners (status card, "met" notes, surveys) once per stored event inside the transaction,
        the after-commit ones (answer cache, App Home) after it. Each change carries the ticket and
        its timers as the delivery left them. Same final events, tickets, projection and audit rows
        as :meth:`apply` event by event; rejected events are in the outcomes, the rest is stored."""
        now = self.tickets.clock.now()
        with self.tickets.uow.begin() as tx:
            plan = self._plan(tx, team_id=team_id, source=source, events=events, lock=True)
            outcomes = self._store(tx, team_id=team_id, source=source, plan=plan, now=now)
            changes = self._changes(tx, team_id=team_id, plan=plan, now=now)
            for change in changes:
                self.tickets.notify(tx, change)
        for change in changes:
            self.tickets.committed(change)
        for outcome in outcomes:
            if outcome.status == "created":
                log.info(
                    "ticket event stored source=%s event_id=%s ticket=%s",
                    source,
                    outcome.event_id,
                    outcome.ref,
                )
        return plan, [*plan.problems, *outcomes]

    def _changes(self, tx: Transaction, *, team_id: str, plan: Plan, now: datetime) -> list[TicketChange]:
        """One :class:`TicketChange` per stored event, in order: the ticket as stored (read again)."""
        steps = [step for step in plan.steps if step.action in ("open", "record")]
        sims = {step.event.ticket_id: self._sim(plan, step.event.ticket_id) for step in steps}
        ids = {tid: sim.db_id for tid, sim in sims.items() if sim.db_id is not None}
        tickets = tx.tickets.get_many(team_id=team_id, ticket_ids=list(ids.values()))
        timers = {
            tid: sim.clock.timers(max(now, sim.clock.last_at or now))
            for tid, sim in sims.items()
            if tid in ids
        }
        out = []
        for step in steps:
            tid = step.event.ticket_id
            ticket = tickets.get(ids.get(tid, -1))
            if ticket is None:
                continue
            out.append(
                TicketChange(
                    team_id,
                    ticket,
                    sims[tid].version,
                    step.event.kind.value,
                    timers[tid],
                    now,
                    step.event.actor,
                    step.event.at,
                )
            )
        return out

    def _store(
        self, tx: Transaction, *, team_id: str, source: str, plan: Plan, now: datetime, outcomes: bool = True
    ) -> list[Outcome]:
        """Write ``plan`` in bulk: the tickets it opens and changes, their events, projections and
        audit rows; one outcome per step (none with ``outcomes=False``)."""
        changed: dict[str, list[Step]] = {}  # the source's ticket id -> its steps to store, in order
        for step in plan.steps:
            if step.action == "open" or step.action == "record":
                changed.setdefault(step.event.ticket_id, []).append(step)
        base = {tid: self._sim(plan, tid).seq for tid in changed}  # each ticket's last seq before
        refs = self._store_tickets(tx, team_id=team_id, source=source, plan=plan, changed=changed, now=now)
        session = tx.session
        insert_events(
            session,
            event_rows(
                plan,
                changed,
                base,
                team_id=team_id,
                kind=self.kind.value,
                prefix=self.external_id(source, ""),
                now=now,
            ),
        )
        stored = [s for s in plan.sims.values() if s is not None and s.ticket is not None]
        replace_timers(
            session,
            team_id=team_id,
            timers={self._sim(plan, tid).db_id: self._sim(plan, tid).rows for tid in changed},  # type: ignore[misc]
            existing={s.ticket.id for s in stored},  # type: ignore[union-attr]
            now=now,
            stored={s.ticket.id: s.stored for s in stored if s.stored is not None},  # type: ignore[union-attr]
        )
        audit = [
            {
                "team_id": team_id,
                "actor": steps[0].event.actor or "slabot",
                "action": "ticket.open",
                "target": refs[tid],
                "before": None,
                "after": opened_audit(
                    steps[0].event.client or "", steps[0].event.priority, steps[0].event.title
                ),
                "at": now,
            }
            for tid, steps in changed.items()
            if steps[0].action == "open"
        ]
        insert_audit(session, audit + dismissal_audit(plan, changed, refs, team_id=team_id, now=now))
        if not outcomes:
            return []
        return [
            Outcome(
                step.index,
                step.event.event_id,
                step.event.ticket_id,
                "created" if step.action == "open" or step.action == "record" else step.action,
                refs.get(step.event.ticket_id, step.ref),
            )
            for step in plan.steps
        ]

    def _store_tickets(
        self,
        tx: Transaction,
        *,
        team_id: str,
        source: str,
        plan: Plan,
        changed: dict[str, list[Step]],
        now: datetime,
    ) -> dict[str, str]:
        """Insert the tickets ``changed`` opens, update the others (columns, seq, due fields) and
        cancel the pending warnings of the settled ones; each sim gets its projection rows, row id
        and seq. The reference of each changed ticket."""
        session = tx.session
        opened = [tid for tid, steps in changed.items() if steps[0].action == "open"]
        version_ids: dict[tuple[str, str], int] = {}
        for tid in opened:
            version = self._sim(plan, tid).version
            key = (version.contract_key, version.sha256)
            if key not in version_ids:
                version_ids[key] = self.tickets.store_version(tx, team_id, version, now)
        numbers = dict(
            zip(opened, allocate_ticket_numbers(session, team_id=team_id, count=len(opened)), strict=True)
        )
        new_rows: list[dict[str, Any]] = []
        updates: list[tuple[Any, ...]] = []  # storage.sources.TICKET_UPDATE_COLUMNS, then the id
        cancel: list[int] = []
        refs: dict[str, str] = {}
        for tid, steps in changed.items():
            sim = self._sim(plan, tid)
            timers = timer_rows(sim.clock.timers(max(now, sim.clock.last_at or now)), sim.version, now)
            sim.rows = timers
            sim.written = True
            columns: dict[str, Any] = {}
            for step in steps:
                if step.changes:
                    columns.update(step.changes)
            due = ticket_due_fields(timers)
            if sim.ticket is None:
                version = sim.version
                number = numbers[tid]
                refs[tid] = sim.clock.ticket_id = f"T-{number}"  # as a fold of the stored events names it
                row = self._new_ticket(team_id, source, tid, steps, number, columns)
                row["contract_version_id"] = version_ids[(version.contract_key, version.sha256)]
                new_rows.append({**row, **due, "updated_at": now})
            else:
                ticket = sim.ticket
                refs[tid] = ticket.ref
                resolved_at = columns.get("resolved_at", ticket.resolved_at)
                closed_at = columns.get("closed_at", ticket.closed_at)
                updates.append(
                    (
                        columns.get("priority", ticket.priority),
                        columns.get("status", ticket.status),
                        resolved_at,
                        closed_at,
                        resolved_at is None and closed_at is None,
                        ticket.event_seq + len(steps),
                        due["next_due_at"],
                        due["next_risk_at"],
                        due["has_breach"],
                        now,
                        ticket.id,
                    )
                )
                if any(s.event.kind in _SETTLING for s in steps):
                    cancel.append(ticket.id)
            sim.seq += len(steps)
        for tid, db_id in zip(opened, insert_tickets(session, new_rows), strict=True):
            self._sim(plan, tid).db_id = db_id
        update_tickets(
            session, updates, stored={s.ticket.id: s.ticket for s in plan.sims.values() if s and s.ticket}
        )
        tx.outbox.cancel_for_tickets(team_id=team_id, ticket_ids=cancel, kinds=("warning", "escalation"))
        return refs

    def _new_ticket(
        self, team_id: str, source: str, tid: str, steps: list[Step], number: int, columns: dict[str, Any]
    ) -> dict[str, Any]:
        """The columns of a ticket this batch opens (its contract version and due fields aside)."""
        first = steps[0].event
        client = self.tickets.book.clients[first.client or ""]
        known = self.known_as(source, first)
        row: dict[str, Any] = {
            "team_id": team_id,
            "number": number,
            "ref": f"T-{number}",
            "external_ref": self.external_ref(source, tid),
            "external_system": known.system,
            "external_id": known.id,
            "source": self.kind.value,
            "channel_id": first.channel_id or (client.channels[0] if client.channels else None),
            "thread_ts": first.thread_ts,
            "requester": first.requester,
            "assignee": None,
            "priority": first.priority,
            "status": "open",
            "client_key": client.key,
            "title": first.title,
            "opened_at": first.at,
            "resolved_at": None,
            "closed_at": None,
            **columns,
        }
        row["is_open"] = row["resolved_at"] is None and row["closed_at"] is None
        row["event_seq"] = len(steps)
        return row

    @staticmethod
    def _sim(plan: Plan, ticket_id: str) -> Sim:
        sim = plan.sims.get(ticket_id)
        assert sim is not None, ticket_id
        return sim


def _sentence(text: str) -> str:
    return text[0].upper() + text[1:] if text else text
