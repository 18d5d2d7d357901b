"""Ticket use cases: open a ticket, record what happens to it, show where its clocks stand.

Every change follows one path: load the ticket's events, fold them with the contract
version the ticket opened under (``sla.timers.TicketClock``), apply the new event (the
domain rejects what makes no sense), then append the event **and** rewrite the timer
projection (with each timer's next alert instant) in the same transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.services import ticket_keys
from bot.services.changes import ChangeListener, CommitListener, TicketChange
from bot.services.notices import on_ticket_change
from bot.services.status_rows import PartsByRow, live_timer, live_timer_of
from sla.contracts import ContractBook, ContractVersion
from sla.countdown import TicketView
from sla.metrics import EventKind, Metric, TicketStatus, TimerState
from sla.standing import at_risk_at
from sla.timer_values import slot_builder
from sla.timers import (
    EventError,
    MetricTimer,
    TicketClock,
    TicketEvent,
    TimelineEntry,
    instant_at_elapsed,
)
from storage.models import Ticket, TicketEventRow, TicketSource
from storage.repositories import StatusFilter, TimerRow
from storage.uow import Transaction, UnitOfWork

log = logging.getLogger(__name__)
#: ``MetricTimer(...)`` positional, in field order (a frozen dataclass's keyword init sets each field by name)
_metric_timer = slot_builder(MetricTimer)


class TicketError(Exception):
    """Something a user asked for that cannot be done; the message is written for that user."""


@dataclass(frozen=True)
class Candidate:
    """One of the tickets an ambiguous key names: whose it is (to list only what the asker may see)."""

    ref: str
    client_key: str | None
    requester: str | None
    line: str  # ``T-12 (ZD-12 · acme · “Printer on fire”)``


class AmbiguousTicket(TicketError):
    """What a person typed names several tickets (``12``: slabot's T-12 and Zendesk's 12). The message
    lists them all; :func:`ambiguity_message` words it for the candidates the asker may see."""

    def __init__(self, typed: str, tickets: Sequence[Ticket]) -> None:
        self.typed = typed
        self.candidates = [Candidate(t.ref, t.client_key, t.requester, _candidate(t)) for t in tickets]
        super().__init__(ambiguity_message(typed, self.candidates))

    @property
    def refs(self) -> list[str]:
        return [c.ref for c in self.candidates]


def ambiguity_message(typed: str, candidates: Sequence[Candidate]) -> str:
    if len(candidates) == 1:
        return (
            f"{typed} is {candidates[0].line}: name it by its reference, `/sla status {candidates[0].ref}`."
        )
    listed = "; ".join(c.line for c in candidates)
    return (
        f"{typed} could be {len(candidates)} tickets: {listed}. "
        f"Name one by its reference, e.g. `/sla status {candidates[0].ref}`."
    )


def _candidate(ticket: Ticket) -> str:
    label = ticket_keys.external_label(ticket.external_system, ticket.external_id)
    title = " ".join((ticket.title or "").split())
    title = title if len(title) <= 60 else title[:59] + "…"
    shown = label if label != ticket.external_id else f"{ticket.external_system} {label}"
    parts = [
        shown if label else "opened in Slack",
        ticket.client_key or "",
        f"“{title}”" if title else "",
    ]
    return f"{ticket.ref} ({' · '.join(p for p in parts if p)})"


@dataclass(frozen=True)
class TicketState:
    """A ticket with its clocks as they stand at ``now``."""

    ticket: Ticket
    version: ContractVersion
    timers: list[MetricTimer]
    now: datetime
    timeline: list[TimelineEntry] = field(default_factory=list)
    #: False when :meth:`TicketService.open` found the thread's ticket already there (a redelivery)
    created: bool = True

    def view(self, book: ContractBook) -> TicketView:
        return ticket_view(self.ticket, self.timers, book, self.version)


def ticket_view(
    ticket: Ticket, timers: Sequence[MetricTimer], book: ContractBook, version: ContractVersion | None
) -> TicketView:
    client = book.clients.get(ticket.client_key or "")
    tz: ZoneInfo
    if client is not None and client.timezone is not None:
        tz = client.timezone
    elif version is not None:
        tz = version.calendar.timezone
    else:
        tz = ZoneInfo("UTC")
    return _ticket_view(  # TicketView(...) in field order (/sla status builds one per ticket shown)
        ticket.ref,  # ref
        ticket.title or "",  # title
        client.name if client else (ticket.client_key or "—"),  # client_name
        ticket.priority or "",  # priority
        ticket.status,  # status
        tuple(timers),  # timers
        tz,  # tz
        ticket.assignee,  # assignee
        ticket.channel_id,  # channel_id
        ticket.thread_ts,  # thread_ts
        None,  # permalink
        ticket.client_key,  # client_key
        ticket.requester,  # requester
        ticket_keys.external_label(ticket.external_system, ticket.external_id),  # external
    )


_ticket_view = slot_builder(TicketView)


def event_of(ticket: Ticket, row: TicketEventRow) -> TicketEvent:
    """A stored event row as the domain's event of the ticket (``ticket_id`` = the ticket's ref)."""
    return TicketEvent(
        ticket_id=ticket.ref,
        at=row.at,
        kind=EventKind(row.kind),
        priority=row.priority,
        status=row.status,
        client=row.client,
        actor=row.actor,
        note=row.note,
    )


def timer_rows(timers: Iterable[MetricTimer], version: ContractVersion, now: datetime) -> list[TimerRow]:
    """The projection rows of a ticket's timers, each with the instant the sweep must look at it.

    ``next_alert_at`` is the earliest alert point of the timer, past or future: the sweep
    enqueues past points idempotently (one notification per key, ever) and then moves the
    instant on, so a point that became due while nobody looked is never lost. ``at_risk_at`` is
    the instant the timer reaches ``sla.standing.AT_RISK_PERCENT`` of its target.
    """
    rows = []
    for timer in timers:
        if timer.stopped_at is not None or timer.resumed_at is None or timer.due_at is None:
            rows.append(TimerRow.from_timer(timer))  # stopped or paused: no alert point, never at risk
        else:
            first, risk = _first_alert_at(timer, version), at_risk_at(timer, version)
            rows.append(TimerRow.from_timer(timer, next_alert_at=first, at_risk_at=risk))
    return rows


def _first_alert_at(timer: MetricTimer, version: ContractVersion) -> datetime:
    """``alert_points(timer, version)[0].at`` of a running timer without building the points: the first
    warning is the one of the least elapsed, every escalation follows the breach (property-tested)."""
    breach_at: datetime = timer.breached_at or timer.due_at  # type: ignore[assignment]
    fires = [
        f for w in getattr(version, "warn_at", ()) or () if (f := w.elapsed_at(timer.target)) is not None
    ]
    return min(instant_at_elapsed(timer, version, min(fires)), breach_at) if fires else breach_at


@dataclass(frozen=True)
class OpenTickets:
    """A page of open tickets: ``total`` match (at least ``total`` when ``total_is_exact`` is False)."""

    views: list[TicketView]
    total: int
    total_is_exact: bool
    now: datetime


class TicketService:
    """Ticket use cases. ``listeners`` run inside each change's transaction; ``after_commit``
    listeners run once it is committed. Features append to both lists at start-up."""

    def __init__(self, *, uow: UnitOfWork, book: ContractBook, clock: Clock) -> None:
        #: the live status card and the "met" note follow every change (bot.services.alerts)
        self.listeners: list[ChangeListener] = [on_ticket_change]
        self.after_commit: list[CommitListener] = []
        self.uow = uow
        self.book = book
        self.clock = clock
        #: what a status page's timer rows hold whatever ``now`` is, kept between answers
        self._timer_parts = PartsByRow()

    # ---- contract versions ----------------------------------------------------------

    def version_of(self, tx: Transaction, ticket: Ticket) -> ContractVersion:
        """The contract version a ticket opened under (kept even when the file moved on)."""
        if ticket.contract_version_id is not None:
            row = tx.contracts.get(team_id=ticket.team_id, version_id=ticket.contract_version_id)
            if row is not None:
                for version in self.book.all_versions():
                    if version.sha256 == row.sha256:
                        return version
                contract = self.book.contracts.get(row.contract_key)
                if contract is not None:
                    log.warning(
                        "ticket %s opened under %s v%s, which the contract file no longer has; "
                        "using the version in force at its opening",
                        ticket.ref,
                        row.contract_key,
                        row.number,
                    )
                    return contract.version_for(ticket.opened_at)
        if ticket.client_key and ticket.client_key in self.book.clients:
            return self.book.version_for(ticket.client_key, ticket.opened_at)
        raise TicketError(
            f"{ticket.ref} has no contract: its client '{ticket.client_key}' is not in the contract file"
        )

    def store_version(self, tx: Transaction, team_id: str, version: ContractVersion, now: datetime) -> int:
        """The id of ``version``'s stored copy (stored on first use), for ``Ticket.contract_version_id``."""
        row = tx.contracts.store_version(
            team_id=team_id,
            contract_key=version.contract_key,
            number=version.number,
            effective=version.effective,
            sha256=version.sha256,
            content=_version_content(version),
            now=now,
        )
        return row.id

    # ---- reading --------------------------------------------------------------------

    def find(self, tx: Transaction, *, team_id: str, ref: str) -> Ticket:
        """The ticket ``ref`` names in the team: slabot's ``T-12`` or a helpdesk's id (``35436``,
        ``ZD-35436``, ``GLX-7``; :mod:`bot.services.ticket_keys`) — the one resolver of every command.
        Several tickets answering to it: :class:`AmbiguousTicket`, listing them."""
        where = ticket_keys.lookup(ticket_keys.ticket_key(ref) or ref)
        mine = tx.tickets.get_by_ref(team_id=team_id, ref=where.ref) if where.ref else None
        if mine is not None and where.ref_first:
            return mine
        found = [mine] if mine is not None else []
        for ticket in tx.tickets.find_by_external_id(team_id=team_id, external_ids=where.external_ids):
            if where.matches(ticket.external_system, ticket.external_id) and ticket not in found:
                found.append(ticket)
        if len(found) == 1:
            return found[0]
        if found:
            raise AmbiguousTicket(ref, found)
        raise TicketError(
            f"I can't find ticket {ref.upper()} in this workspace. `/sla status` lists the open ones."
        )

    def fold(
        self,
        tx: Transaction,
        ticket: Ticket,
        *,
        record_timeline: bool = False,
        rows: Iterable[Any] | None = None,
        version: ContractVersion | None = None,
    ) -> tuple[TicketClock, ContractVersion]:
        """The ticket's clock after its stored events (``rows``: those events, already loaded, in seq order;
        ``version``: its :meth:`version_of`, already known)."""
        if version is None:
            version = self.version_of(tx, ticket)
        clock = TicketClock(version, record_timeline=record_timeline)
        if rows is None:
            rows = tx.events.list_for_ticket(team_id=ticket.team_id, ticket_id=ticket.id)
        for row in rows:
            clock.apply(event_of(ticket, row))
        return clock, version

    def state(self, *, team_id: str, ref: str, timeline: bool = False) -> TicketState:
        now = self.clock.now()
        with self.uow.begin(read_only=True) as tx:
            ticket = self.find(tx, team_id=team_id, ref=ref)
            clock, version = self.fold(tx, ticket, record_timeline=timeline)
        now = max(now, clock.last_at or now)
        entries = [*clock.timeline, *clock.pending_breaches(now)] if timeline else []
        return TicketState(ticket, version, clock.timers(now), now, entries)

    def state_by_thread(self, *, team_id: str, channel_id: str, thread_ts: str) -> TicketState | None:
        with self.uow.begin(read_only=True) as tx:
            ticket = tx.tickets.get_by_thread(team_id=team_id, channel_id=channel_id, thread_ts=thread_ts)
            if ticket is None:
                return None
            ref = ticket.ref
        return self.state(team_id=team_id, ref=ref)

    # ---- changing -------------------------------------------------------------------

    def open(
        self,
        *,
        team_id: str,
        client_key: str,
        source: TicketSource | str,
        priority: str | None = None,
        title: str | None = None,
        channel_id: str | None = None,
        thread_ts: str | None = None,
        requester: str | None = None,
        actor: str | None = None,
        at: datetime | None = None,
        external_ref: str | None = None,
        external_id: str | None = None,
        follows: str | None = None,
        source_ts: str | None = None,
        known_as: ticket_keys.ExternalKey | None = None,
    ) -> TicketState:
        """Open a ticket; ``follows``: the ref of an earlier ticket of the same thread it links to.

        Idempotent per source message: ``source_ts`` is the ts of the Slack message in ``channel_id``
        it is opened from (default for a ``slack_thread`` ticket: ``thread_ts``, the thread's root; a
        successor ticket in an old thread passes the reply's ts); when that message already opened a
        ticket — a redelivery, even a concurrent one — nothing is stored and that ticket is returned
        with ``created=False``.

        ``external_ref`` (``zendesk:35436``) is what a source's later events find the ticket by;
        ``known_as`` what its helpdesk calls it (default: read from ``external_ref``); ``external_id``
        is the opening *event's* id there."""
        now = self.clock.now()
        if source_ts is None and TicketSource(source) is TicketSource.slack_thread:
            source_ts = thread_ts
        at = at or now
        version, priority = self._opening_terms(client_key, priority, title, at)
        event = TicketEvent(
            ticket_id="new", at=at, kind=EventKind.OPENED, priority=priority, client=client_key, actor=actor
        )
        known = known_as or ticket_keys.ExternalKey.of_ref(external_ref)
        with self.uow.begin() as tx:
            ticket, created = tx.tickets.create_once(
                team_id=team_id,
                source=source,
                opened_at=at,
                channel_id=channel_id,
                thread_ts=thread_ts,
                source_ts=source_ts,
                requester=requester,
                priority=priority,
                client_key=client_key,
                contract_version_id=self.store_version(tx, team_id, version, now),
                title=title,
                external_ref=external_ref,
                external_system=known.system if known else None,
                external_id=known.id if known else None,
            )
            if not created:  # the message's ticket exists (a redelivered or concurrent delivery)
                clock, version = self.fold(tx, ticket)
                shown_at = max(now, clock.last_at or now)
                return TicketState(ticket, version, clock.timers(shown_at), shown_at, [], created=False)
            clock, timers = self._record_opening(
                tx,
                ticket,
                version,
                replace(event, ticket_id=ticket.ref),
                now=now,
                title=title,
                follows=follows,
                source=source,
                external_id=external_id,
            )
            change = TicketChange(team_id, ticket, version, EventKind.OPENED.value, timers, now, actor, at)
            self._notify(tx, change)
        self._committed(change)
        return TicketState(ticket, version, timers, max(now, at), clock.timeline)

    def _opening_terms(
        self, client_key: str, priority: str | None, title: str | None, at: datetime
    ) -> tuple[ContractVersion, str]:
        """The contract version a ticket opening at ``at`` runs under and its priority (given, or
        read from the title); :class:`TicketError` for a client or priority the contract file lacks."""
        if client_key not in self.book.clients:
            known = ", ".join(sorted(self.book.clients)) or "none"
            raise TicketError(f"unknown client '{client_key}'. Clients in the contract file: {known}.")
        version = self.book.version_for(client_key, at)
        priority = priority or version.priority_for(title or "")
        if priority not in version.priorities:
            raise TicketError(
                f"{priority} is not a priority of {client_key}'s contract; use {', '.join(version.priorities)}."
            )
        return version, priority

    def _record_opening(
        self,
        tx: Transaction,
        ticket: Ticket,
        version: ContractVersion,
        event: TicketEvent,
        *,
        now: datetime,
        title: str | None,
        follows: str | None,
        source: TicketSource | str,
        external_id: str | None,
    ) -> tuple[TicketClock, list[MetricTimer]]:
        """A new ticket's opening ``event``, folded and appended, its timers projected, and its audit
        record (in that order: the projection expires the session's objects, the audit record's
        ``ticket.ref`` loads the ticket again); the clock after it and its timers."""
        clock = TicketClock(version)
        clock.apply(event)
        tx.events.append(
            team_id=ticket.team_id,
            ticket_id=ticket.id,
            at=event.at,
            kind=EventKind.OPENED.value,
            recorded_at=now,
            priority=event.priority,
            client=event.client,
            actor=event.actor,
            note=f"follows {follows}" if follows else None,
            source=str(TicketSource(source).value),
            external_id=external_id,
        )
        timers = clock.timers(max(now, event.at))
        tx.timers.replace_for_ticket(
            team_id=ticket.team_id, ticket_id=ticket.id, timers=timer_rows(timers, version, now), now=now
        )
        tx.audit.record(
            team_id=ticket.team_id,
            actor=event.actor or "slabot",
            action="ticket.open",
            target=ticket.ref,
            before=None,
            after=opened_audit(event.client or "", event.priority, title, follows),
            at=now,
        )
        return clock, timers

    def start(
        self,
        *,
        team_id: str,
        client_key: str,
        source: TicketSource | str,
        priority: str | None,
        title: str,
        channel_id: str | None,
        thread_ts: str | None,
        requester: str | None,
        actor: str,
        assignee: str | None,
    ) -> TicketState:
        """A ticket an agent starts by hand (the start modal): opened, then assigned to ``assignee``
        when the agent named one."""
        state = self.open(
            team_id=team_id,
            client_key=client_key,
            source=source,
            priority=priority,
            title=title,
            channel_id=channel_id,
            thread_ts=thread_ts,
            requester=requester,
            actor=actor,
        )
        if assignee:
            state = self.assign(team_id=team_id, ref=state.ticket.ref, assignee=assignee, actor=actor)
        return state

    def record(
        self,
        *,
        team_id: str,
        ref: str,
        kind: EventKind | str,
        priority: str | None = None,
        status: str | None = None,
        actor: str | None = None,
        note: str | None = None,
        at: datetime | None = None,
        source: str | None = None,
        external_id: str | None = None,
    ) -> TicketState:
        """Apply one event to a ticket; raises :class:`TicketError` (nothing stored) when it makes no sense."""
        now = self.clock.now()
        at = at or now
        kind = EventKind(kind)
        with self.uow.begin() as tx:
            ticket = self.find(tx, team_id=team_id, ref=ref)
            clock, version = self.fold(tx, ticket, record_timeline=True)
            before = len(clock.timeline)
            event = TicketEvent(
                ticket_id=ticket.ref,
                at=at,
                kind=kind,
                priority=priority,
                status=status,
                actor=actor,
                note=note,
            )
            try:
                clock.apply(event)
            except EventError as exc:
                raise TicketError(_user_message(str(exc))) from None
            appended = tx.events.append(
                team_id=team_id,
                ticket_id=ticket.id,
                at=at,
                kind=kind.value,
                recorded_at=now,
                priority=priority,
                status=status,
                actor=actor,
                note=note,
                source=source,
                external_id=external_id,
            )
            timers = clock.timers(max(now, at))
            if appended.created:
                tx.timers.replace_for_ticket(
                    team_id=team_id, ticket_id=ticket.id, timers=timer_rows(timers, version, now), now=now
                )
                status_before = ticket.status
                changes = ticket_changes(clock, kind, at)
                if changes:
                    ticket = tx.tickets.update(team_id=team_id, ticket_id=ticket.id, now=now, **changes)
                if kind is EventKind.DISMISSED:  # the audit log keeps who and why
                    tx.audit.record(
                        team_id=team_id,
                        actor=actor or "slabot",
                        action="ticket.dismiss",
                        target=ticket.ref,
                        before={"status": status_before},
                        after={"status": "dismissed", "reason": note},
                        at=now,
                    )
                if kind in (EventKind.RESOLVED, EventKind.CLOSED, EventKind.DISMISSED):
                    tx.outbox.cancel_for_ticket(
                        team_id=team_id, ticket_id=ticket.id, kinds=("warning", "escalation")
                    )
                change = TicketChange(team_id, ticket, version, kind.value, timers, now, actor, at)
                self._notify(tx, change)
            else:
                change = None
        if change is not None:
            self._committed(change)
        return TicketState(ticket, version, timers, max(now, at), clock.timeline[before:])

    def assign(self, *, team_id: str, ref: str, assignee: str, actor: str | None) -> TicketState:
        now = self.clock.now()
        with self.uow.begin() as tx:
            ticket = self.find(tx, team_id=team_id, ref=ref)
            previous = ticket.assignee
            ticket = tx.tickets.update(team_id=team_id, ticket_id=ticket.id, now=now, assignee=assignee)
            tx.audit.record(
                team_id=team_id,
                actor=actor or "slabot",
                action="ticket.assign",
                target=ticket.ref,
                before={"assignee": previous},
                after={"assignee": assignee},
                at=now,
            )
            clock, version = self.fold(tx, ticket)
            change = TicketChange(team_id, ticket, version, "assigned", clock.timers(now), now, actor, now)
            self._notify(tx, change)
        self._committed(change)
        # the state from this fold (as :meth:`state` computes it), not a second transaction and fold
        shown_at = max(now, clock.last_at or now)
        return TicketState(ticket, version, clock.timers(shown_at), shown_at, [])

    def _notify(self, tx: Transaction, change: TicketChange) -> None:
        for listener in self.listeners:
            listener(tx, change)

    def notify(self, tx: Transaction, change: TicketChange) -> None:
        """Run the change listeners for a change another use case stored in ``tx`` (a webhook batch)."""
        self._notify(tx, change)

    def committed(self, change: TicketChange) -> None:
        """Run the after-commit listeners for a change another use case committed."""
        self._committed(change)

    def _committed(self, change: TicketChange) -> None:
        for listener in self.after_commit:
            try:
                listener(change)
            except Exception:
                log.exception("after-commit listener failed for %s", change.ticket.ref)

    # ---- listing --------------------------------------------------------------------

    def open_page(
        self,
        *,
        team_id: str,
        channel_id: str | None = None,
        assignee: str | None = None,
        client_key: str | None = None,
        requester: str | None = None,
        state: StatusFilter = "all",
        limit: int = 20,
        count_limit: int | None = 1000,
    ) -> OpenTickets:
        """Open tickets with live countdowns (computed from the projection, no event replay), and
        whether ``total`` is exact (else "at least")."""
        now = self.clock.now()
        with self.uow.begin(read_only=True, serial=True) as tx:  # a page: storage.uow on serial reads
            page = tx.status.open_tickets(
                team_id=team_id,
                now=now,
                channel_id=channel_id,
                assignee=assignee,
                client_key=client_key,
                requester=requester,
                state=state,
                limit=limit,
                count_limit=count_limit,
            )
        calendars: dict[str | None, Any] = {}
        parts = self._timer_parts
        views = []
        for item in page.items:
            timers = []
            for row in item.timers:
                name = row.calendar_name
                if name in calendars:
                    calendar = calendars[name]
                else:
                    calendar = calendars[name] = self._calendar(name)
                timers.append(live_timer_of(parts(row), now, calendar))
            views.append(ticket_view(item.ticket, timers, self.book, None))
        return OpenTickets(views, page.total, page.total_is_exact, now)

    def live_timer(self, row: Any, now: datetime) -> MetricTimer:
        """A stored projection row brought forward to ``now`` (``sla.standing.advance``)."""
        return live_timer(row, now, self._calendar(row.calendar_name))

    def _calendar(self, name: str | None) -> Any:
        """The contract file's calendar ``name`` (None when it has none of that name any more)."""
        if not name:
            return None
        try:
            return self.book.calendar(name)
        except KeyError:
            return None


def stored_timer(row: Any, calendar: Any = None) -> MetricTimer:
    """A projection row (``storage.models.MetricTimerRow``) as the ``MetricTimer`` it was written
    from, as of the instant it was written (``sla.standing.advance`` brings it forward)."""
    target = timedelta(seconds=row.target_seconds or 0)
    elapsed = timedelta(seconds=row.business_elapsed_seconds or 0)
    return _metric_timer(  # MetricTimer(...) in field order (/sla status builds one per timer shown)
        Metric(row.metric),  # metric
        row.cycle,  # cycle
        row.priority or "",  # priority
        target,  # target
        row.calendar_name,  # calendar_name
        row.started_at,  # started_at
        row.due_at,  # due_at
        row.stopped_at,  # stopped_at
        elapsed,  # business_elapsed
        timedelta(seconds=row.paused_for_seconds or 0),  # paused_for
        target - elapsed,  # remaining
        (elapsed / target * 100.0) if target else 0.0,  # percent_used
        TimerState(row.state),  # state
        row.breached_at,  # breached_at
        row.pause_reason,  # pause_reason
        row.resumed_at,  # resumed_at
        timedelta(seconds=row.elapsed_at_resume_seconds or 0),  # elapsed_at_resume
        None,  # ticket_id
        None,  # target_since
        (),  # stretches
        calendar,  # calendar
    )


def opened_audit(
    client_key: str, priority: str | None, title: str | None, follows: str | None = None
) -> dict[str, Any]:
    """The audit record's ``after`` of a ticket's opening."""
    after: dict[str, Any] = {"client": client_key, "priority": priority, "title": title}
    if follows:
        after["follows"] = follows
    return after


def ticket_changes(clock: TicketClock, kind: EventKind, at: datetime) -> dict[str, Any]:
    """The ticket columns an event just applied to ``clock`` changes (``TicketRepository.update``)."""
    if kind is EventKind.PRIORITY:
        return {"priority": clock.priority}
    if kind is EventKind.STATUS:
        return {"status": clock.status}
    if kind is EventKind.RESOLVED:
        return {"status": TicketStatus.RESOLVED, "resolved_at": at}
    if kind is EventKind.REOPENED:
        return {"status": "open", "resolved_at": None}
    if kind is EventKind.CLOSED:
        return {"status": TicketStatus.CLOSED, "closed_at": at}
    if kind is EventKind.DISMISSED:
        return {"status": TicketStatus.DISMISSED, "closed_at": at}
    return {}


def _user_message(text: str) -> str:
    return text[0].upper() + text[1:] if text else "That change is not possible."


def _version_content(version: ContractVersion) -> Any:
    try:
        return version.to_dict()
    except ValueError:
        return {"contract": version.contract_key, "number": version.number}
