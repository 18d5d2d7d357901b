"""Outbox delivery (the notifier's use case): delivers outbox rows to Slack, once, in order, within
Slack's limits. What a message looks like and what a Slack failure means are the Slack adapter's
(:mod:`handlers.notifier` renders, :mod:`handlers.slack_errors` classifies); both are given to
:class:`OutboxDelivery` as ports, so this module imports neither Slack nor ``handlers``.

``OutboxDelivery.run_once()`` leases due rows (``tx.outbox.claim_due``), groups them by channel and:

- **renders** each alert from its payload and the ticket *as it stands now* (``rendering``),
  dropping (``cancelled``) a warning or escalation whose timer stopped or paused meanwhile;
- **paces** each channel like Slack does (about one message per second, bursts of ``burst``), and
  merges more than ``digest_threshold`` top-level alerts due for one channel into one digest;
- **posts** with message metadata ``{"event_type": "slabot_alert", "event_payload": {"key": ...}}``.
  Before posting a row whose earlier attempt *may* have reached Slack (its lease expired while
  claimed, or the last error left the outcome unknown), it looks for that key in the channel's
  history (``conversations.history``/``conversations.replies`` with ``include_all_metadata``) and,
  when found, records that message instead of posting again;
- maps failures: 429 → retry after ``Retry-After``; 5xx and network errors → retry with
  exponential backoff (the whole notifier pauses, so order is kept); permanent errors
  (``channel_not_found``, ``not_in_channel``, ``is_archived``, ``invalid_auth``, ...) → ``failed``,
  logged at ERROR and listed by :func:`failed_alerts` (``/sla admin alerts``, App Home).

The ``WebClient`` given to the notifier should have no blocking retry handlers
(:func:`handlers.notifier.notifier_web_client`): the outbox is the retry mechanism, and a client-side retry of a
post whose answer was lost would post twice. See docs/alerts.md for the exact guarantee.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bot.clock import Clock
from bot.services.alert_messages import AlertMessages
from bot.services.alerts import TicketFolds
from bot.services.delivery_ports import (
    EVENT_TYPE,
    MESSAGE_EVENT_TYPE,
    METADATA_KEY,
    UNCONFIRMED,
    AlertRendering,
    Classify,
    DeliveryStop,
    FailedAlert,
    Failure,
    Rendered,
    failed_alerts,
)
from bot.services.notices import ALERT_KINDS, MESSAGE_KIND, MET_KIND, STATUS_KIND, AlertItem, status_key
from bot.services.tickets import TicketError, TicketService, ticket_view
from sla.contracts import ContractBook, ContractVersion
from sla.countdown import TicketView
from sla.metrics import TimerState
from sla.timers import MetricTimer
from sla.visibility import Directory
from storage.models import Ticket
from storage.repositories import ALL_TEAMS
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)
_Stop = DeliveryStop

__all__ = [
    "EVENT_TYPE",
    "MESSAGE_EVENT_TYPE",
    "METADATA_KEY",
    "UNCONFIRMED",
    "AlertRendering",
    "Classify",
    "DeliveryStats",
    "FailedAlert",
    "Failure",
    "OutboxDelivery",
    "Rendered",
    "failed_alerts",
]


@dataclass
class DeliveryStats:
    claimed: int = 0
    #: Slack messages posted (a digest counts once) and status cards updated.
    posted: int = 0
    updated: int = 0
    #: rows marked sent (several per digest).
    sent: int = 0
    digests: int = 0
    #: rows found already posted by an earlier attempt (no second message).
    found_posted: int = 0
    deferred: int = 0
    failed: int = 0
    cancelled: int = 0
    seconds: float = 0.0


@dataclass
class _Job:
    id: int
    team_id: str
    key: str
    kind: str
    ticket_id: int | None
    channel_id: str | None
    thread_ts: str | None
    payload: dict[str, Any]
    attempts: int
    last_error: str | None
    created_at: datetime


@dataclass
class _Context:
    ticket: Ticket
    version: ContractVersion
    timers: dict[tuple[str, int], MetricTimer]
    view: TicketView


@dataclass
class _Unit:
    """What one Slack call delivers: one alert, a digest of alerts, or a ticket's status card."""

    jobs: list[_Job]
    kind: str  # "single" | "digest" | "status" | "message" | "update" (of the timer's message ``ts``)
    items: list[tuple[_Job, AlertItem]] = field(default_factory=list)
    ts: str | None = None


@dataclass
class _Round:
    """One channel's turn in a delivery run: its workspace's Slack client, the channel, the run's
    instant, the tickets rendered so far, the keys found in Slack's history (per thread), the stats."""

    client: Any
    channel_id: str
    now: datetime
    contexts: dict[tuple[str, int], _Context | None]
    history: dict[str | None, dict[str, str]]
    stats: DeliveryStats


class OutboxDelivery(AlertMessages):
    """Delivers outbox rows. Safe to run in several processes on PostgreSQL (rows are leased).
    ``clients(team_id)`` is the workspace's Slack ``WebClient``; ``rendering`` and ``classify`` are the
    Slack adapter's (:class:`handlers.notifier.Notifier` gives both)."""

    def __init__(
        self,
        *,
        uow: UnitOfWork,
        book: ContractBook,
        tickets: TicketService,
        clients: Callable[[str], Any],
        clock: Clock,
        worker_id: str,
        rendering: AlertRendering,
        classify: Classify,
        per_channel_interval: timedelta = timedelta(seconds=1),
        burst: int = 3,
        digest_threshold: int = 3,
        lease: timedelta = timedelta(seconds=60),
        batch: int = 200,
        backoff_base: timedelta = timedelta(seconds=2),
        backoff_cap: timedelta = timedelta(minutes=5),
        give_up_after: timedelta = timedelta(hours=24),
        late_after: timedelta = timedelta(minutes=1),
        history_pages: int = 5,
        fold_cache_size: int = 2048,
    ) -> None:
        self.uow = uow
        self.book = book
        self.tickets = tickets
        self.clients = clients
        self.rendering = rendering
        self.classify = classify
        self.clock = clock
        self.worker_id = worker_id
        self.interval = per_channel_interval
        self.burst = max(1, burst)
        self.digest_threshold = digest_threshold
        self.lease = lease
        self.batch = batch
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.give_up_after = give_up_after
        self.late_after = late_after
        self.history_pages = history_pages
        #: (team, user) → the id of the bot's DM with that user (conversations.open), for ``message`` rows.
        self._dms: dict[tuple[str, str], str] = {}
        #: folded tickets kept between runs (a ticket is rendered again for each alert and card refresh).
        self._folds = TicketFolds(tickets, size=fold_cache_size)
        #: per (team, channel): the instant the next message may go (a token bucket of ``burst``).
        self._next_slot: dict[tuple[str, str], datetime] = {}
        self._paused_until: datetime | None = None
        self._audiences: tuple[ContractBook, Directory] | None = None
        self._failures = 0

    def reclaim_after_restart(self) -> int:
        """End the leases a dead predecessor held (SQLite, under the scheduler lock, at start-up): its
        rows are retried at once, and checked in Slack's history first since it may have posted."""
        now = self.clock.now()
        with self.uow.begin() as tx:
            rows = tx.outbox.expire_leases(now=now, error=UNCONFIRMED + "claimed by a process that stopped")
            tx.timers.expire_leases(now=now)
        if rows:
            log.warning("%d notifications were claimed by a stopped process: retried now", rows)
        return rows

    # ------------------------------------------------------------------ the run

    def run_once(self) -> DeliveryStats:
        stats = DeliveryStats()
        started = time.perf_counter()
        now = self.clock.now()
        if self._paused_until is not None and now < self._paused_until:
            return stats
        with self.uow.begin() as tx:
            rows = tx.outbox.claim_due(
                team_id=ALL_TEAMS, now=now, worker=self.worker_id, lease=self.lease, limit=self.batch
            )
            jobs = [
                _Job(
                    r.id,
                    r.team_id,
                    r.idempotency_key,
                    r.kind,
                    r.ticket_id,
                    r.channel_id,
                    r.thread_ts,
                    dict(r.payload or {}),
                    r.attempts,
                    r.last_error,
                    r.created_at,
                )
                for r in rows
            ]
        stats.claimed = len(jobs)
        channels: dict[tuple[str, str | None], list[_Job]] = {}
        for job in jobs:  # oldest first, so each channel's list is in order too
            channels.setdefault((job.team_id, job.channel_id), []).append(job)
        contexts: dict[tuple[str, int], _Context | None] = {}
        stop_all: Failure | None = None
        for (team_id, channel_id), group in channels.items():
            if stop_all is not None:
                self._defer(group, self._paused_until or now, stop_all.error, now, stats)
                continue
            if channel_id is None:
                for job in group:
                    self._fail(
                        job, "no_alert_channel: the contract has no alerts.channel for this alert", stats
                    )
                continue
            try:
                self._deliver_channel(team_id, channel_id, group, now, contexts, stats)
            except _Stop as stop:  # only raised for "everywhere" failures
                stop_all = stop.failure
        stats.seconds = time.perf_counter() - started
        return stats

    # ------------------------------------------------------------------ one channel

    def _deliver_channel(
        self,
        team_id: str,
        channel_id: str,
        jobs: list[_Job],
        now: datetime,
        contexts: dict[tuple[str, int], _Context | None],
        stats: DeliveryStats,
    ) -> None:
        units = self._units(jobs, now, contexts, stats)
        r = _Round(self.clients(team_id), channel_id, now, contexts, {}, stats)
        slot_key = (team_id, channel_id)
        for index, unit in enumerate(units):
            posts = unit.kind not in ("status", "update") or (
                self._card_ts(unit, contexts) is None
                if unit.kind == "status"
                else bool(unit.jobs[0].payload.get("mention"))  # an updated breach pages in its thread
            )
            if posts and not self._may_post(slot_key, now):
                rest = [job for later in units[index:] for job in later.jobs]
                self._defer(rest, self._free_at(slot_key), "paced: channel posting rate", now, stats)
                return
            try:
                self._deliver_unit(r, unit)
            except _Stop as stop:
                failure = stop.failure
                if failure.kind == "permanent":
                    for job in unit.jobs:
                        self._fail(job, failure.error, stats)
                    continue
                rest = [job for later in units[index:] for job in later.jobs]
                if failure.kind == "ratelimited":
                    wait = timedelta(seconds=failure.retry_after or 1)
                    self._next_slot[slot_key] = now + wait + (self.burst - 1) * self.interval
                    self._defer(rest, now + wait, "ratelimited", now, stats)
                    return
                self._failures += 1
                pause = min(self.backoff_cap, self.backoff_base * (2 ** (self._failures - 1)))
                self._paused_until = now + pause
                self._defer(rest, now + pause, UNCONFIRMED + failure.error, now, stats, give_up=True)
                log.warning("Slack unavailable (%s): delivery paused for %s", failure.error, pause)
                raise
            if posts:
                self._take_slot(slot_key, now)
            self._failures = 0

    def _units(
        self,
        jobs: list[_Job],
        now: datetime,
        contexts: dict[tuple[str, int], _Context | None],
        stats: DeliveryStats,
    ) -> list[_Unit]:
        """Render what can be rendered (cancelling stale alerts), then cut the channel's work into Slack calls."""
        top: list[tuple[_Job, AlertItem]] = []
        units: list[_Unit] = []
        status_units: dict[int | None, _Unit] = {}
        later = self._superseded_warnings(jobs)
        for job in jobs:
            if job.id in later:  # several warnings of one timer due at once (held over quiet hours)
                self._cancel(job, f"superseded by {later[job.id]} (due at the same delivery)", stats)
                continue
            if job.kind == STATUS_KIND:
                self._context(job.team_id, job.ticket_id, now, contexts)
                unit = status_units.get(job.ticket_id)
                if unit is None:
                    unit = status_units[job.ticket_id] = _Unit([], "status")
                    units.append(unit)
                unit.jobs.append(job)
                continue
            if job.kind == MESSAGE_KIND:
                units.append(_Unit([job], "message"))
                continue
            item, reason = self._item(job, now, contexts)
            if item is None:
                self._cancel(job, reason, stats)
                continue
            if not self._directory().is_internal(job.channel_id) and not self._client_may_see(job, contexts):
                self._cancel(job, "staff alert addressed to a client-facing channel: not posted", stats)
                continue
            ts = self._timer_message(job)
            if ts is not None:  # the timer has its message here: update it (alert_messages)
                units.append(_Unit([job], "update", [(job, item)], ts=ts))
            elif job.thread_ts is None and job.kind != MET_KIND:
                top.append((job, item))
            else:
                units.append(_Unit([job], "single", [(job, item)]))
        if len(top) > self.digest_threshold:
            units.append(_Unit([job for job, _ in top], "digest", top))
        else:
            units.extend(_Unit([job], "single", [(job, item)]) for job, item in top)
        units.sort(key=lambda u: min((j.created_at, j.id) for j in u.jobs))
        return units

    def _deliver_unit(self, r: _Round, unit: _Unit) -> None:
        if unit.kind == "status":
            self._deliver_status(r, unit)
            return
        if unit.kind == "message":
            self._deliver_message(r, unit.jobs[0])
            return
        if unit.kind == "update":
            self._deliver_update(r, unit)
            return
        client, channel_id, now, stats = r.client, r.channel_id, r.now, r.stats
        digest = unit.kind == "digest"
        thread_ts = unit.jobs[0].thread_ts
        pending = list(unit.items)
        if any(self._maybe_posted(job, now) for job, _ in pending):
            found = self._posted_keys(client, channel_id, thread_ts, unit.jobs, r.history)
            already = [(job, found[job.key]) for job, _ in pending if job.key in found]
            for job, ts in already:
                self._sent([job], ts, now, stats, remember=not digest)
                stats.found_posted += 1
            pending = [(job, item) for job, item in pending if job.key not in found]
        if not pending:
            return
        keys = [job.key for job, _ in pending]
        if unit.kind == "digest" and len(pending) > 1:
            mentions = sorted(
                {m for job, _ in pending if job.kind != "warning" for m in job.payload.get("mention", [])}
            )
            message = self.rendering.digest([item for _, item in pending], now, mention=mentions)
            metadata = {"key": keys[0], "keys": keys}
        else:
            job, item = pending[0]
            message = self._message(job, item, now)
            metadata = {"key": job.key}
        ts = self._post(client, channel_id, thread_ts, message, metadata, [job for job, _ in pending])
        stats.posted += 1
        if unit.kind == "digest" and len(pending) > 1:
            stats.digests += 1
        # a digest is no timer's message: the next alert of these timers posts (or updates) its own
        self._sent([job for job, _ in pending], ts, now, stats, remember=not digest)

    def _deliver_message(self, r: _Round, job: _Job) -> None:
        """A generic ``message`` row: posted verbatim (text, blocks), to a channel, a thread or a DM."""
        client, now, stats = r.client, r.now, r.stats
        payload = job.payload
        text = payload.get("text")
        blocks = payload.get("blocks")
        if not isinstance(text, str) or not (text.strip() or blocks):
            raise _Stop(_Permanent("no_text: a message row needs a non-empty text"))
        if blocks is not None and not isinstance(blocks, list):
            raise _Stop(_Permanent("invalid_blocks: payload blocks must be a list"))
        target = self._conversation(client, job.team_id, r.channel_id, [job])
        if self._maybe_posted(job, now):
            found = self._posted_keys(client, target, job.thread_ts, [job], r.history)
            if job.key in found:
                self._sent([job], found[job.key], now, stats)
                stats.found_posted += 1
                return
        unfurl = bool(payload.get("unfurl", False))
        args: dict[str, Any] = {
            "channel": target,
            "text": text,
            "metadata": _message_metadata(job.key, payload.get("metadata")),
            "unfurl_links": unfurl,
            "unfurl_media": unfurl,
        }
        if blocks:
            args["blocks"] = blocks
        if job.thread_ts:
            args["thread_ts"] = job.thread_ts
        try:
            response = client.chat_postMessage(**args)
        except Exception as exc:  # noqa: BLE001 - classified below; unknown types are re-raised
            self._raise_for(exc, [job])
            raise
        stats.posted += 1
        self._sent([job], str(response["ts"]), now, stats)

    def _conversation(self, client: Any, team_id: str, channel_id: str, jobs: Sequence[_Job]) -> str:
        """The conversation to post in: ``channel_id`` itself, or the DM opened with a user id."""
        if channel_id[:1] not in ("U", "W"):
            return channel_id
        cached = self._dms.get((team_id, channel_id))
        if cached is not None:
            return cached
        try:
            response = client.conversations_open(users=channel_id)
        except Exception as exc:  # noqa: BLE001 - classified below
            self._raise_for(exc, jobs)
            raise
        dm = str(response["channel"]["id"])
        self._dms[(team_id, channel_id)] = dm
        return dm

    def _deliver_status(self, r: _Round, unit: _Unit) -> None:
        client, channel_id, now, stats = r.client, r.channel_id, r.now, r.stats
        first = unit.jobs[0]
        ctx = self._context(first.team_id, first.ticket_id, now, r.contexts)
        if ctx is None or not (ctx.ticket.channel_id and ctx.ticket.thread_ts):
            for job in unit.jobs:
                self._cancel(job, "ticket has no Slack thread", stats)
            return
        ticket = ctx.ticket
        for_client = not self._directory().is_internal(ticket.channel_id)
        if for_client and ctx.version.alerts.client_thread == "none":
            for job in unit.jobs:
                self._cancel(job, "alerts.client_thread: none (no card in a client's thread)", stats)
            return
        card = self.rendering.card(ctx.view, now, client=for_client)
        key = status_key(ticket.team_id, ticket.ref)
        if ticket.status_message_ts and ticket.status_channel_id:
            try:
                client.chat_update(
                    channel=ticket.status_channel_id, ts=ticket.status_message_ts, **card.as_kwargs()
                )
            except Exception as exc:  # noqa: BLE001 - only Slack's answers are handled here, as before
                failure = self.classify(exc, max(job.attempts for job in unit.jobs))
                if failure is None or failure.code is None:
                    raise
                if failure.code != "message_not_found":
                    raise _Stop(failure) from exc
            else:
                stats.updated += 1
                self._sent(unit.jobs, ticket.status_message_ts, now, stats)
                return
        ts: str | None = None
        if any(self._maybe_posted(job, now) for job in unit.jobs):
            ts = self._posted_keys(client, channel_id, ticket.thread_ts, unit.jobs, r.history).get(key)
        if ts is None:
            ts = self._post(client, channel_id, ticket.thread_ts, card, {"key": key}, unit.jobs)
            stats.posted += 1
        else:
            client.chat_update(channel=channel_id, ts=ts, **card.as_kwargs())
            stats.found_posted += 1
        with self.uow.begin() as tx:
            tx.tickets.update(
                team_id=ticket.team_id,
                ticket_id=ticket.id,
                now=now,
                status_channel_id=channel_id,
                status_message_ts=ts,
            )
            for job in unit.jobs:
                tx.outbox.mark_sent(
                    team_id=job.team_id, notification_id=job.id, slack_ts=ts, now=now, worker=self.worker_id
                )
        ticket.status_channel_id, ticket.status_message_ts = channel_id, ts
        stats.sent += len(unit.jobs)

    # ------------------------------------------------------------------ rendering

    def _context(
        self,
        team_id: str,
        ticket_id: int | None,
        now: datetime,
        contexts: dict[tuple[str, int], _Context | None],
    ) -> _Context | None:
        if ticket_id is None:
            return None
        cache_key = (team_id, ticket_id)
        if cache_key not in contexts:
            contexts[cache_key] = None
            with self.uow.begin(read_only=True) as tx:
                ticket = tx.tickets.get(team_id=team_id, ticket_id=ticket_id)
                if ticket is None:
                    return None
                try:
                    folded, version = self._folds.fold(tx, ticket)
                except TicketError as exc:
                    log.error("cannot render alerts of %s: %s", ticket.ref, exc)
                    return None
            timers = folded.timers(max(now, folded.last_at or now))
            contexts[cache_key] = _Context(
                ticket,
                version,
                {(str(t.metric), t.cycle): t for t in timers},
                ticket_view(ticket, timers, self.book, version),
            )
        return contexts[cache_key]

    def _item(
        self, job: _Job, now: datetime, contexts: dict[tuple[str, int], _Context | None]
    ) -> tuple[AlertItem | None, str]:
        ctx = self._context(job.team_id, job.ticket_id, now, contexts)
        if ctx is None:
            return None, "ticket not found"
        payload = job.payload
        timer = ctx.timers.get((str(payload.get("metric")), int(payload.get("cycle") or 0)))
        if timer is None:
            return None, "timer no longer exists"
        if job.kind in ("warning", "escalation"):
            if not ctx.ticket.is_open or timer.stopped_at is not None:
                return None, "timer stopped before delivery"
            if timer.state == TimerState.PAUSED:
                return None, "timer paused before delivery"
        if job.kind == "warning" and timer.breached_at is not None and payload.get("quiet_until"):
            # held over quiet hours while its breach went out: it would turn the breach back into a warning
            return None, "timer breached before delivery (the breach says more)"
        if job.kind == "breach" and timer.breached_at is None:
            return None, "no longer breached (target changed)"
        if job.kind not in (*ALERT_KINDS, MET_KIND):
            return None, f"unknown notification kind {job.kind!r}"
        return (
            AlertItem(
                kind=job.kind,  # type: ignore[arg-type]
                ticket=ctx.view,
                timer=timer,
                threshold=payload.get("threshold"),
                level=payload.get("level"),
                late_by=self._late_by(payload, now),
            ),
            "",
        )

    def _late_by(self, payload: Mapping[str, Any], now: datetime) -> timedelta | None:
        late = timedelta(seconds=payload.get("late_by_seconds") or 0)
        # held over quiet hours: counted from their end, since waiting was the point
        at = payload.get("quiet_until") or payload.get("at")
        if at:
            since = now - datetime.fromisoformat(at)
            if since > self.late_after:
                late = max(late, since)
        return late if late > timedelta(0) else None

    def _message(self, job: _Job, item: AlertItem, now: datetime) -> Rendered:
        return self.rendering.alert(item, now, mention=list(job.payload.get("mention") or []))

    # ------------------------------------------------------------------ Slack calls

    def _post(
        self,
        client: Any,
        channel_id: str,
        thread_ts: str | None,
        message: Rendered,
        event_payload: dict[str, Any],
        jobs: Sequence[_Job],
    ) -> str:
        args: dict[str, Any] = {
            "channel": channel_id,
            "metadata": {"event_type": EVENT_TYPE, "event_payload": event_payload},
            "unfurl_links": False,
            **message.as_kwargs(),
        }
        if thread_ts:
            args["thread_ts"] = thread_ts
        try:
            response = client.chat_postMessage(**args)
        except Exception as exc:  # noqa: BLE001 - classified below; unknown types are re-raised
            self._raise_for(exc, jobs)
            raise
        return str(response["ts"])

    def _raise_for(self, exc: Exception, jobs: Sequence[_Job]) -> None:
        """Raise :class:`_Stop` for a Slack or network failure; return for anything else (a bug)."""
        failure = self.classify(exc, max(job.attempts for job in jobs))
        if failure is not None:
            raise _Stop(failure) from exc

    def _posted_keys(
        self,
        client: Any,
        channel_id: str,
        thread_ts: str | None,
        jobs: Sequence[_Job],
        history: dict[str | None, dict[str, str]],
    ) -> dict[str, str]:
        """Keys of slabot messages already in the channel (or thread) since the oldest job: key → ts."""
        if thread_ts in history:
            return history[thread_ts]
        oldest = min(job.created_at for job in jobs) - timedelta(minutes=1)
        args: dict[str, Any] = {
            "channel": channel_id,
            "oldest": f"{oldest.timestamp():.6f}",
            "include_all_metadata": True,
            "limit": 200,
        }
        found: dict[str, str] = {}
        cursor = None
        try:
            for _ in range(self.history_pages):
                if thread_ts:
                    response = client.conversations_replies(ts=thread_ts, cursor=cursor, **args)
                else:
                    response = client.conversations_history(cursor=cursor, **args)
                for message in response.get("messages") or []:
                    metadata = message.get("metadata") or {}
                    body = metadata.get("event_payload") or {}
                    if not isinstance(body, dict):
                        continue
                    candidates = [body.get(METADATA_KEY)]
                    if metadata.get("event_type") in (EVENT_TYPE, MESSAGE_EVENT_TYPE):
                        candidates += [body.get("key"), *(body.get("keys") or [])]
                    for key in candidates:
                        if isinstance(key, str):
                            found.setdefault(key, str(message["ts"]))
                cursor = (response.get("response_metadata") or {}).get("next_cursor")
                if not cursor:
                    break
        except Exception as exc:  # noqa: BLE001 - classified; a failed look is a failed attempt
            self._raise_for(exc, jobs)
            raise
        history[thread_ts] = found
        return found

    # ------------------------------------------------------------------ bookkeeping

    def _maybe_posted(self, job: _Job, now: datetime) -> bool:
        """Could an earlier attempt have posted this row? (lease expired while claimed, or an unknown outcome)"""
        return now - job.created_at >= self.lease or (job.last_error or "").startswith(UNCONFIRMED)

    def _card_ts(self, unit: _Unit, contexts: dict[tuple[str, int], _Context | None]) -> str | None:
        job = unit.jobs[0]
        ctx = contexts.get((job.team_id, job.ticket_id or 0))
        return ctx.ticket.status_message_ts if ctx is not None else None

    def _may_post(self, slot_key: tuple[str, str], now: datetime) -> bool:
        slot = self._next_slot.get(slot_key)
        return slot is None or slot <= now + (self.burst - 1) * self.interval

    def _free_at(self, slot_key: tuple[str, str]) -> datetime:
        return self._next_slot[slot_key] - (self.burst - 1) * self.interval

    def _take_slot(self, slot_key: tuple[str, str], now: datetime) -> None:
        slot = self._next_slot.get(slot_key)
        self._next_slot[slot_key] = max(slot or now, now) + self.interval

    def _sent(
        self,
        jobs: Sequence[_Job],
        ts: str | None,
        now: datetime,
        stats: DeliveryStats,
        *,
        remember: bool = True,
    ) -> None:
        """Mark ``jobs`` sent as message ``ts``; ``remember``: it is now their timer's message there."""
        with self.uow.begin() as tx:
            for job in jobs:
                if not tx.outbox.mark_sent(
                    team_id=job.team_id, notification_id=job.id, slack_ts=ts, now=now, worker=self.worker_id
                ):
                    log.warning(
                        "notification %s was taken over by another worker before it was marked sent", job.key
                    )
                elif remember:
                    self._remember(tx, job, ts, now)
        stats.sent += len(jobs)

    def _defer(
        self,
        jobs: Sequence[_Job],
        not_before: datetime,
        reason: str,
        now: datetime,
        stats: DeliveryStats,
        *,
        give_up: bool = False,
    ) -> None:
        with self.uow.begin() as tx:
            for job in jobs:
                error = reason
                if (job.last_error or "").startswith(UNCONFIRMED) and not error.startswith(UNCONFIRMED):
                    error = UNCONFIRMED + reason  # keep "check before posting" until it is settled
                if give_up and now - job.created_at > self.give_up_after:
                    tx.outbox.mark_failed(
                        team_id=job.team_id,
                        notification_id=job.id,
                        error=f"gave up after {self.give_up_after}: {reason}",
                        worker=self.worker_id,
                    )
                    stats.failed += 1
                    continue
                tx.outbox.retry_later(
                    team_id=job.team_id,
                    notification_id=job.id,
                    not_before=not_before,
                    error=error,
                    worker=self.worker_id,
                )
                stats.deferred += 1

    def _fail(self, job: _Job, error: str, stats: DeliveryStats) -> None:
        with self.uow.begin() as tx:
            tx.outbox.mark_failed(
                team_id=job.team_id, notification_id=job.id, error=error, worker=self.worker_id
            )
        log.error(
            "alert %s (%s) to %s could not be delivered and will not be retried: %s",
            job.key,
            job.kind,
            job.channel_id,
            error,
        )
        stats.failed += 1

    def _cancel(self, job: _Job, reason: str, stats: DeliveryStats) -> None:
        with self.uow.begin() as tx:
            tx.outbox.cancel(
                team_id=job.team_id, notification_id=job.id, reason=reason, worker=self.worker_id
            )
        stats.cancelled += 1
        log.info("alert %s not sent: %s", job.key, reason)


def _message_metadata(key: str, given: Any) -> dict[str, Any]:
    """Slack message metadata for a ``message`` row: the caller's, with our key added, or ours."""
    if isinstance(given, Mapping) and given.get("event_type"):
        body = given.get("event_payload")
        body = dict(body) if isinstance(body, Mapping) else {}
        return {"event_type": str(given["event_type"]), "event_payload": {**body, METADATA_KEY: key}}
    return {"event_type": MESSAGE_EVENT_TYPE, "event_payload": {"key": key}}


@dataclass(frozen=True)
class _Permanent:
    """A row that cannot be delivered as it stands (found before any Slack call)."""

    error: str
    kind: str = "permanent"
    retry_after: float | None = None
    code: str | None = None
