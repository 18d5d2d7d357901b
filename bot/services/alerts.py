"""The alert sweep: due warning, breach and escalation instants become outbox notifications.

Each timer row of the projection carries ``next_alert_at`` (indexed). :class:`Sweeper` leases the
rows whose instant has come (``tx.timers.claim_due``, ``FOR UPDATE SKIP LOCKED`` on PostgreSQL),
folds each ticket's events with its contract version, lists the timer's alert points
(:func:`sla.timers.alert_points`) and, **in one transaction per claim batch** (one per ticket for
a batch that failed: :meth:`Sweeper._sweep_ticket`, the reference path, so a bad ticket only delays
itself):

- enqueues one outbox row per due point and destination, with an idempotency key
  ``"<team>:<ref>:<metric>:<cycle>:<threshold>"`` (``@thread`` for the copy in the ticket's
  thread), so a point can never be enqueued twice, whatever crashes or how many sweepers run;
- records a warning that is already *superseded* (a later point of the same timer is due too,
  e.g. after slabot was down) as a ``cancelled`` row under the same key: one late warning, not three;
- moves ``next_alert_at`` to the first point still in the future (``None`` when there is none).
- records a breach that time alone caused (a running timer past its due instant, nobody having
  answered) on the stored timer — state ``breached``, ``breached_at`` at its true instant, the
  ticket's ``has_breach`` — in that same transaction, so reports, credits and objectives, which read
  the stored rows, count it (also after downtime: the instant comes from the fold, not the sweep).

Quiet hours need nothing here: alert points are counted in business time, so a business-hours
metric has no point while its calendar is closed; 24x7 metrics alert at any hour.

What a change itself queues (the live status card, "met" notes, generic messages) and the outbox
kinds and keys live in :mod:`bot.services.notices` (re-exported here). See docs/alerts.md.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from operator import attrgetter
from typing import TYPE_CHECKING, Any

from bot.clock import Clock
from bot.services.notices import (
    ALERT_KINDS,
    MESSAGE_KIND,
    MET_KIND,
    STATUS_KIND,
    Destination,
    QueuedMessage,
    alert_destinations,
    alert_key,
    enqueue_message,
    enqueue_met_notes,
    enqueue_status_refresh,
    escalation_level,
    on_ticket_change,
    queue_messages,
    status_key,
    status_refresh_row,
)
from sla.contracts import AlertRouting, ContractBook, ContractVersion
from sla.metrics import TimerState
from sla.timers import AlertPoint, MetricTimer, TicketClock, alert_points
from sla.visibility import Directory
from storage.models import MetricTimerRow, NotificationState, Ticket
from storage.repositories import ALL_TEAMS, BreachRecord, QueuedRow
from storage.uow import Transaction, UnitOfWork

if TYPE_CHECKING:
    from bot.services.tickets import TicketService

log = logging.getLogger(__name__)


class TicketFolds:
    """Folded tickets kept between runs of the sweep or the notifier, which look at a ticket again for
    each alert point and card refresh. Events are append-only and every append moves the ticket's
    ``event_seq``, so a ticket whose counter (and contract version) did not move folds the same: the
    cached :class:`~sla.timers.TicketClock` is reused (its ``timers(now)`` are fresh snapshots).
    Least recently used entries beyond ``size`` are dropped."""

    def __init__(self, tickets: TicketService, *, size: int = 2048) -> None:
        self.tickets = tickets
        self.size = size
        self.hits = 0
        self.misses = 0
        self._entries: OrderedDict[tuple[str, int], tuple[tuple[Any, ...], TicketClock, ContractVersion]] = (
            OrderedDict()
        )

    def fold(self, tx: Transaction, ticket: Ticket) -> tuple[TicketClock, ContractVersion]:
        key = (ticket.team_id, ticket.id)
        stamp = (ticket.event_seq, ticket.contract_version_id, ticket.client_key, ticket.opened_at)
        cached = self._entries.get(key)
        if cached is not None and cached[0] == stamp:
            self._entries.move_to_end(key)
            self.hits += 1
            return cached[1], cached[2]
        self.misses += 1
        folded, version = self.tickets.fold(tx, ticket)
        if self.size > 0:
            self._entries[key] = (stamp, folded, version)
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return folded, version

    def fold_many(
        self, tx: Transaction, tickets: Sequence[Ticket]
    ) -> dict[int, tuple[TicketClock, ContractVersion]]:
        """:meth:`fold` of many tickets: the events of every ticket not cached loaded in one query (and
        their contract versions in one), each folded once. Keyed by ticket id."""
        out: dict[int, tuple[TicketClock, ContractVersion]] = {}
        missing: list[Ticket] = []
        for ticket in tickets:
            cached = self._entries.get((ticket.team_id, ticket.id))
            stamp = (ticket.event_seq, ticket.contract_version_id, ticket.client_key, ticket.opened_at)
            if cached is not None and cached[0] == stamp:
                out[ticket.id] = self.fold(tx, ticket)
            else:
                missing.append(ticket)
        by_team: dict[str, list[Ticket]] = {}
        for ticket in missing:
            by_team.setdefault(ticket.team_id, []).append(ticket)
        for team_id, group in by_team.items():
            rows = tx.events.list_for_tickets(team_id=team_id, ticket_ids=[t.id for t in group])
            # held while folding: the identity map is weak, and version_of looks each one up by id
            held = tx.contracts.get_many(team_id=team_id, version_ids=[t.contract_version_id for t in group])
            # a stored version the contract file still has (same sha256) resolves the same for every ticket
            stored_sha = {row.id: row.sha256 for row in held}
            versions: dict[int, ContractVersion] = {}
            for ticket in group:
                self.misses += 1
                known = versions.get(ticket.contract_version_id)
                folded, version = self.tickets.fold(tx, ticket, rows=rows[ticket.id], version=known)
                if known is None and stored_sha.get(ticket.contract_version_id) == version.sha256:
                    versions[ticket.contract_version_id] = version
                if self.size > 0:
                    key = (ticket.team_id, ticket.id)
                    stamp = (
                        ticket.event_seq,
                        ticket.contract_version_id,
                        ticket.client_key,
                        ticket.opened_at,
                    )
                    self._entries[key] = (stamp, folded, version)
                    self._entries.move_to_end(key)
                out[ticket.id] = (folded, version)
            del held
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)
        return out


@dataclass
class SweepStats:
    claimed: int = 0
    tickets: int = 0
    enqueued: int = 0
    #: warnings recorded as cancelled because a later point of the same timer was due as well.
    superseded: int = 0
    #: breaches recorded on the stored timer (running timers that went past due).
    recorded: int = 0
    #: timers whose projection changed under the sweep (re-checked on the next sweep).
    rechecks: int = 0
    errors: int = 0
    seconds: float = 0.0


@dataclass(frozen=True)
class _Claim:
    team_id: str
    timer_id: int
    ticket_id: int
    metric: str
    cycle: int
    snapshot: tuple[Any, ...]


def _breached(snapshot: tuple[Any, ...], timer: MetricTimer) -> tuple[Any, ...]:
    """``snapshot`` (see :func:`_projection`) after :meth:`Sweeper._record_breach` wrote ``timer``'s breach."""
    changed = list(snapshot)
    changed[0], changed[6] = TimerState.BREACHED.value, timer.breached_at
    return tuple(changed)


#: the columns an event can change (not the sweep's own: next_alert_at, lease, updated_at)
_PROJECTION_COLUMNS = (
    "state",
    "priority",
    "target_seconds",
    "calendar_name",
    "due_at",
    "stopped_at",
    "breached_at",
    "resumed_at",
    "elapsed_at_resume_seconds",
    "pause_reason",
)
_projection_of = attrgetter(*_PROJECTION_COLUMNS)


def _projection(row: MetricTimerRow) -> tuple[Any, ...]:
    """The columns an event can change (:data:`_PROJECTION_COLUMNS`, in that order)."""
    return _projection_of(row)  # type: ignore[no-any-return]


class Sweeper:
    """Turns due alert points into outbox rows. Safe to run in any number of processes on PostgreSQL."""

    def __init__(
        self,
        *,
        uow: UnitOfWork,
        book: ContractBook,
        tickets: TicketService,
        clock: Clock,
        worker_id: str,
        lease: timedelta = timedelta(seconds=60),
        batch: int = 500,
        sweep_interval: timedelta = timedelta(seconds=10),
        late_slack: timedelta = timedelta(seconds=60),
        fold_cache_size: int = 2048,
        observers: Sequence[Callable[[SweepStats], None]] = (),
        batched: bool = True,
    ) -> None:
        self.uow = uow
        self.book = book
        self.tickets = tickets
        self.clock = clock
        self.worker_id = worker_id
        self.lease = lease
        self.batch = batch
        #: a point enqueued more than this after its instant is marked "late by N min".
        self.late_after = sweep_interval + late_slack
        self._folds = TicketFolds(tickets, size=fold_cache_size)
        #: called with each finished sweep's stats (e.g. the /metrics histogram of this runtime)
        self.observers = observers
        #: settle each claim batch's tickets in one transaction (False: one transaction per ticket, the
        #: reference path, also taken for a batch that fails, so one bad ticket only delays itself)
        self.batched = batched
        #: who reads which channel (built from the contract file once, again when the book changes)
        self._audiences: tuple[ContractBook, Directory] | None = None

    def run_once(self) -> SweepStats:
        stats = SweepStats()
        now = self.clock.now()
        started = time.perf_counter()
        while True:
            with self.uow.begin() as tx:
                rows = tx.timers.claim_due(
                    team_id=ALL_TEAMS, now=now, worker=self.worker_id, lease=self.lease, limit=self.batch
                )
                claims = [
                    _Claim(r.team_id, r.id, r.ticket_id, r.metric, r.cycle, _projection(r)) for r in rows
                ]
            stats.claimed += len(claims)
            by_team: dict[str, dict[int, list[_Claim]]] = {}
            for claim in claims:
                by_team.setdefault(claim.team_id, {}).setdefault(claim.ticket_id, []).append(claim)
            for team_id, by_ticket in by_team.items():
                if self.batched:
                    done = SweepStats()
                    try:
                        self._sweep_batch(team_id, by_ticket, now, done)
                    except Exception:  # sweep this batch ticket by ticket: only the bad one fails
                        log.warning(
                            "batched sweep of %s failed; sweeping ticket by ticket", team_id, exc_info=True
                        )
                    else:
                        stats.tickets += len(by_ticket)
                        for name in ("enqueued", "superseded", "recorded", "rechecks"):
                            setattr(stats, name, getattr(stats, name) + getattr(done, name))
                        continue
                for ticket_id, group in by_ticket.items():
                    stats.tickets += 1
                    try:
                        self._sweep_ticket(team_id, ticket_id, group, now, stats)
                    except (
                        Exception
                    ):  # one bad ticket must not stop the others; its lease expires, it is retried
                        stats.errors += 1
                        log.exception(
                            "alert sweep failed for ticket id %s of %s; retried after the lease",
                            ticket_id,
                            team_id,
                        )
            if len(claims) < self.batch:
                break
        stats.seconds = time.perf_counter() - started
        # the runtime's observers (Runtime.sweep_observers): e.g. /metrics (bot.features.ops)
        for observe in self.observers:
            try:
                observe(stats)
            except Exception:
                log.exception("sweep observer failed")
        if stats.enqueued or stats.errors:
            log.info(
                "sweep: %d timers claimed, %d notifications enqueued, %d superseded, %d errors",
                stats.claimed,
                stats.enqueued,
                stats.superseded,
                stats.errors,
            )
        return stats

    # ------------------------------------------------------------------ a claim batch, one transaction

    def _sweep_batch(
        self, team_id: str, by_ticket: dict[int, list[_Claim]], now: datetime, stats: SweepStats
    ) -> None:
        """What :meth:`_sweep_ticket` does for each ticket, for all of a claim batch's tickets of one
        workspace in one transaction: the tickets, their events, contract versions and outbox keys
        read with one query each, the notifications inserted in bulk (``enqueue_many``), the timers
        released and re-checked with one statement each. Same rows, keys and counts as ticket by
        ticket; if anything raises, nothing of the batch is stored (the caller sweeps it ticket by
        ticket)."""
        with self.uow.begin() as tx:
            tickets = tx.tickets.read_many(team_id=team_id, ticket_ids=list(by_ticket))  # none changed here
            open_tickets = [t for t in tickets.values() if t.is_open]
            folds = self._folds.fold_many(tx, open_tickets)
            timers_of: dict[int, dict[tuple[str, int], MetricTimer]] = {}
            for ticket in open_tickets:
                folded, _version = folds[ticket.id]
                at = max(now, folded.last_at or now)
                timers_of[ticket.id] = {(str(t.metric), t.cycle): t for t in folded.timers(at)}
            known_of = tx.outbox.keys_for_tickets(
                team_id=team_id,
                ticket_ids=[tid for tid, timers in timers_of.items() if timers],
                kinds=ALERT_KINDS,
            )
            queued: list[QueuedRow] = []
            # per ticket: (the last due point of each claim, in claim order, with the keys it queued)
            alerts_of: dict[int, list[tuple[AlertPoint, list[str]]]] = {}
            superseded: list[str] = []
            released: list[tuple[int, datetime | None]] = []
            expected: dict[int, tuple[Any, ...]] = {}
            breaches: list[tuple[BreachRecord, _Claim, MetricTimer]] = []
            for ticket_id, claims in by_ticket.items():
                ticket = tickets.get(ticket_id)
                timers = timers_of.get(ticket_id, {})
                version = folds[ticket_id][1] if ticket_id in folds else None
                known = known_of.get(ticket_id, set())
                for claim in claims:
                    expected[claim.timer_id] = claim.snapshot
                    timer = timers.get((claim.metric, claim.cycle))
                    points = alert_points(timer, version) if timer is not None and version is not None else []
                    due = [p for p in points if p.at <= now]
                    if due and ticket is not None and version is not None:
                        keys: list[str] = []
                        for row in self._alert_rows(ticket, version.alerts, due, now, known):
                            queued.append(row)
                            if row.state == NotificationState.cancelled.value:
                                superseded.append(row.idempotency_key)
                            else:
                                keys.append(row.idempotency_key)
                        alerts_of.setdefault(ticket_id, []).append((due[-1], keys))
                    breach = self._breach_to_record(ticket_id, claim, timer)
                    if breach is not None:
                        breaches.append((breach, claim, timer))  # type: ignore[arg-type]  # timer set
                    released.append((claim.timer_id, next((p.at for p in points if p.at > now), None)))
            self._settle_breaches(tx, team_id, breaches, expected, stats, now)
            created = tx.outbox.enqueue_many(queued, now=now)
            stats.superseded += sum(1 for key in superseded if key in created)
            refreshes: list[QueuedRow] = []
            for ticket_id, alerts in alerts_of.items():
                alerted = None
                for last_due, keys in alerts:
                    hits = sum(1 for key in keys if key in created)
                    stats.enqueued += hits
                    if hits:
                        alerted = last_due
                ticket = tickets[ticket_id]
                if alerted is not None and ticket.channel_id and ticket.thread_ts:
                    refreshes.append(status_refresh_row(ticket, now=now, reason=f"{alerted.key}"))
            tx.timers.release_many(team_id=team_id, worker=self.worker_id, next_alerts=released, now=now)
            tx.outbox.enqueue_many(refreshes, now=now)
            # as in _sweep_ticket: the releases hold the row locks now, so this read is final
            current = tx.timers.list_for_tickets(
                team_id=team_id, ticket_ids=list(by_ticket), columns=("id", *_PROJECTION_COLUMNS)
            )
            changed = [
                (row.id, now)
                for row in current
                if row.id in expected and _projection(row) != expected[row.id]
            ]
            tx.timers.set_next_alert_many(team_id=team_id, next_alerts=changed)
            stats.rechecks += len(changed)

    def _alert_rows(
        self,
        ticket: Ticket,
        routing: AlertRouting,
        due: Sequence[AlertPoint],
        now: datetime,
        known: set[str] | frozenset[str],
    ) -> list[QueuedRow]:
        """The outbox rows of one timer's due points (what :meth:`_enqueue` enqueues one by one, and the
        batch sweep in bulk): a superseded warning as a row settled ``cancelled`` at once, the others
        pending per destination."""
        out: list[QueuedRow] = []
        latest = due[-1]
        for point in due:
            if _already_known(ticket, point, latest, self._destinations(point, routing, ticket), known):
                continue
            payload = self._payload(ticket, point, now)
            if point.kind == "warning" and point is not latest:
                out.append(
                    QueuedRow(
                        team_id=ticket.team_id,
                        idempotency_key=alert_key(ticket.team_id, ticket.ref, point.key),
                        kind=point.kind,
                        payload={**payload, "superseded_by": latest.key},
                        ticket_id=ticket.id,
                        state=NotificationState.cancelled.value,
                        last_error=_superseded_reason(latest),
                    )
                )
                continue
            held = _held_until(routing, point, ticket, now)
            for dest in self._destinations(point, routing, ticket):
                out.append(
                    QueuedRow(
                        team_id=ticket.team_id,
                        idempotency_key=alert_key(ticket.team_id, ticket.ref, point.key, dest.label),
                        kind=point.kind,
                        payload={
                            **payload,
                            "mention": list(dest.mention),
                            "destination": dest.label or "primary",
                            **_held_payload(held),
                        },
                        channel_id=dest.channel_id,
                        thread_ts=dest.thread_ts,
                        ticket_id=ticket.id,
                        not_before=held,
                    )
                )
        return out

    def _destinations(self, point: AlertPoint, routing: AlertRouting, ticket: Ticket) -> list[Destination]:
        """:func:`alert_destinations`, with the ticket's thread internal only when its channel is an
        alert channel of the contract file (:mod:`sla.visibility`): staff alerts never reach a client."""
        return alert_destinations(
            point, routing, ticket, thread_internal=self._directory().is_internal(ticket.channel_id)
        )

    def _directory(self) -> Directory:
        if self._audiences is None or self._audiences[0] is not self.book:
            self._audiences = (self.book, Directory.of(self.book))
        return self._audiences[1]

    def _payload(self, ticket: Ticket, point: AlertPoint, now: datetime) -> dict[str, Any]:
        metric, cycle, _ = point.key.split(":", 2)
        late_by = now - point.at
        payload: dict[str, Any] = {
            "ref": ticket.ref,
            "ticket_id": ticket.id,
            "metric": metric,
            "cycle": int(cycle),
            "threshold": point.threshold,
            "point": point.key,
            "at": point.at.isoformat(),
            "late_by_seconds": int(late_by.total_seconds()) if late_by > self.late_after else None,
        }
        if point.kind == "escalation":
            payload["level"] = escalation_level(point)
        return payload

    # ------------------------------------------------------------------ one ticket, one transaction

    def _sweep_ticket(
        self, team_id: str, ticket_id: int, claims: Sequence[_Claim], now: datetime, stats: SweepStats
    ) -> None:
        with self.uow.begin() as tx:
            ticket = tx.tickets.get(team_id=team_id, ticket_id=ticket_id)
            timers: dict[tuple[str, int], MetricTimer] = {}
            version: ContractVersion | None = None
            if ticket is not None and ticket.is_open:
                folded, version = self._folds.fold(tx, ticket)
                at = max(now, folded.last_at or now)
                timers = {(str(t.metric), t.cycle): t for t in folded.timers(at)}
            alerted: AlertPoint | None = None
            # keys this ticket already has (sent, pending or recorded superseded): the due points of an
            # earlier sweep are listed again, and one read spares an idempotent insert per point and copy
            known = (
                tx.outbox.keys_for_ticket(team_id=team_id, ticket_id=ticket_id, kinds=ALERT_KINDS)
                if ticket is not None and timers
                else set()
            )
            expected = {claim.timer_id: claim.snapshot for claim in claims}
            for claim in claims:
                timer = timers.get((claim.metric, claim.cycle))
                points = alert_points(timer, version) if timer is not None and version is not None else []
                due = [p for p in points if p.at <= now]
                enqueued = (
                    bool(due)
                    and ticket is not None
                    and version is not None
                    and self._enqueue(tx, ticket, version.alerts, due, now, stats, known)
                )
                if enqueued:
                    alerted = due[-1]
                breach = self._breach_to_record(ticket_id, claim, timer)
                if breach is not None and self._record_breaches(tx, team_id, [breach], now):
                    stats.recorded += 1
                    expected[claim.timer_id] = _breached(claim.snapshot, timer)  # type: ignore[arg-type]
                upcoming = next((p.at for p in points if p.at > now), None)
                tx.timers.release(
                    team_id=team_id,
                    timer_id=claim.timer_id,
                    worker=self.worker_id,
                    next_alert_at=upcoming,
                    now=now,
                )
            if alerted is not None and ticket is not None:
                enqueue_status_refresh(tx, ticket=ticket, now=now, reason=f"{alerted.key}")
            # An event recorded concurrently may have rewritten the projection after our fold read the
            # events. The release above holds the row lock now, so this read is final: if the timer
            # changed, look again on the next sweep (enqueueing is idempotent; nothing is lost).
            current = {row.id: row for row in tx.timers.list_for_ticket(team_id=team_id, ticket_id=ticket_id)}
            for claim in claims:
                row = current.get(claim.timer_id)
                if row is not None and _projection(row) != expected[claim.timer_id]:
                    tx.timers.set_next_alert(team_id=team_id, timer_id=claim.timer_id, next_alert_at=now)
                    stats.rechecks += 1

    @staticmethod
    def _breach_to_record(ticket_id: int, claim: _Claim, timer: MetricTimer | None) -> BreachRecord | None:
        """The breach that time alone caused (no event did) on a claimed timer, to be recorded on the
        stored timer in the sweep's transaction — the one that enqueues its notice. A breach that
        happened while no process ran is recorded at its true instant (``timer.breached_at``, from the
        fold). None when there is nothing to record (not breached, stopped, or already stored)."""
        if timer is None or timer.breached_at is None or timer.stopped_at is not None:
            return None
        state, due_at, stopped_at, breached_at = (claim.snapshot[i] for i in (0, 4, 5, 6))
        if state != TimerState.RUNNING or stopped_at is not None or breached_at is not None:
            return None
        return BreachRecord(
            timer_id=claim.timer_id,
            ticket_id=ticket_id,
            breached_at=timer.breached_at,
            business_elapsed=timer.business_elapsed,
            due_at=due_at,
        )

    def _settle_breaches(
        self,
        tx: Transaction,
        team_id: str,
        breaches: Sequence[tuple[BreachRecord, _Claim, MetricTimer]],
        expected: dict[int, tuple[Any, ...]],
        stats: SweepStats,
        now: datetime,
    ) -> None:
        """Record a claim batch's breaches at once; what each recorded one now expects to read back."""
        recorded = self._record_breaches(tx, team_id, [b for b, _, _ in breaches], now)
        for breach, claim, timer in breaches:
            if breach.timer_id in recorded:
                stats.recorded += 1
                expected[claim.timer_id] = _breached(claim.snapshot, timer)

    @staticmethod
    def _record_breaches(
        tx: Transaction, team_id: str, breaches: Sequence[BreachRecord], now: datetime
    ) -> set[int]:
        """Store the breaches (three statements whatever their number); the ids of the timers recorded."""
        return tx.timers.record_breaches(team_id=team_id, breaches=breaches, now=now)

    def _enqueue(
        self,
        tx: Transaction,
        ticket: Ticket,
        routing: AlertRouting,
        due: Sequence[AlertPoint],
        now: datetime,
        stats: SweepStats,
        known: set[str] | frozenset[str] = frozenset(),
    ) -> bool:
        """Enqueue the due points of one timer (sorted by instant), the rows of :meth:`_alert_rows` one
        insert each; True if a new pending row was created. ``known``: keys the ticket already has,
        skipped (enqueueing them again would be a no-op)."""
        created = False
        for row in self._alert_rows(ticket, routing, due, now, known):
            if not tx.outbox.enqueue_row(row, now=now):
                continue  # already sent, pending or recorded
            if row.state == NotificationState.cancelled.value:
                stats.superseded += 1
            else:
                created = True
                stats.enqueued += 1
        return created


def _already_known(
    ticket: Ticket,
    point: AlertPoint,
    latest: AlertPoint,
    destinations: Sequence[Destination],
    known: set[str] | frozenset[str],
) -> bool:
    """Whether a due point has nothing left to enqueue: its primary key is known and — for the latest
    warning, the one that is sent rather than superseded — every copy's key too (a copy added later,
    e.g. a thread turned on, is still enqueued). ``known``: the ticket's alert keys already stored."""
    if alert_key(ticket.team_id, ticket.ref, point.key) not in known:
        return False
    if point.kind != "warning" or point is not latest:
        return True
    return all(alert_key(ticket.team_id, ticket.ref, point.key, dest.label) in known for dest in destinations)


def _held_until(routing: AlertRouting, point: AlertPoint, ticket: Ticket, now: datetime) -> datetime | None:
    """When a point enqueued ``now`` may be delivered: None = at once; the end of the contract's quiet
    hours for an alert that does not page (warnings; breaches of priorities not in ``page``)."""
    quiet = routing.quiet_hours
    return quiet.held_until(point.kind, ticket.priority, now) if quiet is not None else None


def _held_payload(held: datetime | None) -> dict[str, Any]:
    """The payload's note of a held alert: delivered at ``quiet_until``, it is not "late"."""
    return {"quiet_until": held.isoformat()} if held is not None else {}


def _superseded_reason(latest: AlertPoint) -> str:
    return f"superseded by {latest.key} (due at the same sweep)"


__all__ = [
    "ALERT_KINDS",
    "MESSAGE_KIND",
    "MET_KIND",
    "STATUS_KIND",
    "Destination",
    "QueuedMessage",
    "SweepStats",
    "Sweeper",
    "TicketFolds",
    "alert_destinations",
    "alert_key",
    "enqueue_message",
    "enqueue_met_notes",
    "enqueue_status_refresh",
    "on_ticket_change",
    "queue_messages",
    "status_key",
]
