"""Notifications a change leaves in the outbox, written in the change's own transaction.

The outbox kinds and their idempotency keys; where an alert point's notice goes
(:func:`alert_destinations`); the live status card refresh and the optional "met" note that
follow every ticket change (:func:`on_ticket_change`, a default ``TicketService`` listener); and
generic messages (:func:`enqueue_message`, :func:`queue_messages`: change notes, reports, surveys).
The notifier (:mod:`bot.services.delivery`) delivers and renders them later. See docs/alerts.md.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Final, Literal, Protocol

from bot.clock import Clock
from sla.contracts import AlertRouting, ContractVersion
from sla.countdown import TicketView
from sla.metrics import TimerState
from sla.timers import AlertPoint, MetricTimer
from storage.models import Ticket
from storage.repositories import QueuedRow
from storage.uow import Transaction, UnitOfWork

if TYPE_CHECKING:
    from bot.services.changes import TicketChange

#: outbox kinds written here (the notifier renders each).
ALERT_KINDS: Final = ("warning", "breach", "escalation")
MET_KIND: Final = "met"
STATUS_KIND: Final = "status"
#: a generic message, posted as given: payload ``{"text": str, "blocks": list | None}`` plus, optionally,
#: ``"unfurl": bool`` (default False) and ``"metadata": {"event_type": ..., "event_payload": {...}}``.
#: ``channel_id`` may be a user id (``U...``/``W...``): the notifier opens the DM. See :func:`enqueue_message`.
MESSAGE_KIND: Final = "message"


AlertKind = Literal["warning", "breach", "escalation", "met"]


@dataclass(frozen=True)
class AlertItem:
    """One alert as the notifier renders it (alone or folded into a digest): the ticket and timer as
    they stand at delivery."""

    kind: AlertKind
    ticket: TicketView
    timer: MetricTimer
    threshold: object = None
    level: int | None = None
    late_by: timedelta | None = None


def alert_key(team_id: str, ref: str, point_key: str, destination: str | None = None) -> str:
    """The idempotency key of one alert: ``T1:T-12:first_response:1:75%`` (``@thread`` for the thread copy)."""
    key = f"{team_id}:{ref}:{point_key}"
    return f"{key}@{destination}" if destination else key


def status_key(team_id: str, ref: str) -> str:
    """The key carried in the live status message's metadata (one card per ticket)."""
    return f"{team_id}:{ref}:status"


@dataclass(frozen=True)
class Destination:
    """Where one copy of an alert goes. ``label`` is ``""`` for the primary copy."""

    label: str
    channel_id: str | None
    thread_ts: str | None = None
    mention: tuple[str, ...] = ()


def alert_destinations(
    point: AlertPoint, routing: AlertRouting, ticket: Ticket, *, thread_internal: bool = False
) -> list[Destination]:
    """Where a point's notice goes (first = primary, keyed without a suffix). Alerts are staff content
    (assignment prompts, mentions, escalations): they go to the ticket's thread only when the thread
    is internal (``thread_internal``: its channel is an alert channel, :mod:`sla.visibility`), never
    to a client's channel or thread.

    - warning: the alert channel and, when ``routing.thread`` and the ticket has an internal thread,
      the thread; nothing when neither exists (the contract asked for no warnings there);
    - breach: the alert channel (else the ticket's internal thread), mentioning ``escalate_to`` and ``lead``;
    - escalation level n: its own channel, else the alert channel, else the internal thread,
      mentioning its ``notify`` list.
    A breach or escalation with nowhere to go still gets a row without a channel, which the notifier
    records as failed (``no_alert_channel``) so admins see it instead of it vanishing.
    """
    thread = (
        (ticket.channel_id, ticket.thread_ts)
        if ticket.channel_id and ticket.thread_ts and thread_internal
        else None
    )
    if point.kind == "warning":
        found: list[Destination] = []
        if routing.channel:
            found.append(Destination("", routing.channel))
        if routing.thread and thread is not None:
            found.append(Destination("thread" if found else "", thread[0], thread[1]))
        return found
    if point.kind == "breach":
        mention = tuple(who for who in (routing.escalate_to, routing.lead) if who)
        channel = routing.channel
    else:
        level = escalation_level(point)
        steps = routing.escalation
        step = steps[level - 1] if 0 < level <= len(steps) else None
        mention = tuple(step.notify) if step else ()
        channel = (step.channel if step else None) or routing.channel
    if channel:
        return [Destination("", channel, None, mention)]
    if thread is not None:
        return [Destination("", thread[0], thread[1], mention)]
    return [Destination("", None, None, mention)]


def escalation_level(point: AlertPoint) -> int:
    """The escalation step (1-based) of an escalation point, 0 for the others (carried by the point,
    never read back out of its key)."""
    return point.level


# ---------------------------------------------------------------------- generic messages


def enqueue_message(
    tx: Transaction,
    *,
    team_id: str,
    key: str,
    channel_id: str,
    text: str,
    now: datetime,
    blocks: Sequence[Mapping[str, Any]] | None = None,
    thread_ts: str | None = None,
    ticket_id: int | None = None,
    not_before: datetime | None = None,
    unfurl: bool = False,
    metadata: Mapping[str, Any] | None = None,
) -> bool:
    """Queue one Slack message (kind :data:`MESSAGE_KIND`) in the caller's transaction; True if new.

    ``key`` is the idempotency key (unique per workspace, e.g. ``"notes:T-12:e7"``): the same key
    is delivered at most once, ever, whatever retries, crashes or duplicate calls. ``channel_id`` is a
    conversation id, or a user id for a DM. After delivery ``tx.outbox.get_by_key(...).slack_ts``
    holds the message's ts. ``metadata`` (Slack message metadata) is posted with ``"slabot_key"``
    added to its ``event_payload``.
    """
    payload: dict[str, Any] = {"text": text, "blocks": [dict(b) for b in blocks] if blocks else None}
    if unfurl:
        payload["unfurl"] = True
    if metadata is not None:
        payload["metadata"] = dict(metadata)
    return tx.outbox.enqueue(
        team_id=team_id,
        idempotency_key=key,
        kind=MESSAGE_KIND,
        payload=payload,
        now=now,
        channel_id=channel_id,
        thread_ts=thread_ts,
        ticket_id=ticket_id,
        not_before=not_before,
    )


class Composed(Protocol):
    """A message with its fallback ``text`` and its ``blocks`` (``handlers.blocks.Message``, a
    :class:`QueuedMessage`)."""

    @property
    def text(self) -> str: ...

    @property
    def blocks(self) -> Sequence[Mapping[str, Any]] | None: ...


def enqueue_composed(
    tx: Transaction,
    message: Composed,
    *,
    team_id: str,
    key: str,
    channel_id: str,
    now: datetime,
    thread_ts: str | None = None,
    ticket_id: int | None = None,
) -> bool:
    """:func:`enqueue_message` of ``message``'s text and blocks."""
    return enqueue_message(
        tx,
        team_id=team_id,
        key=key,
        channel_id=channel_id,
        text=message.text,
        blocks=message.blocks,
        thread_ts=thread_ts,
        ticket_id=ticket_id,
        now=now,
    )


@dataclass(frozen=True)
class QueuedMessage:
    """One message for :func:`queue_messages`: ``key`` is its idempotency key in the workspace."""

    key: str
    channel_id: str
    text: str
    blocks: Sequence[Mapping[str, Any]] | None = None
    thread_ts: str | None = None
    ticket_id: int | None = None


def queue_messages(uow: UnitOfWork, clock: Clock, team_id: str, messages: Iterable[QueuedMessage]) -> int:
    """Queue messages for the notifier in one transaction (the change notes a command leaves in a
    ticket's thread); returns how many were new. Delivered with the alerts' retries and exactly-once
    handling, so a Slack outage delays them but loses none; a key already queued is not queued again."""
    batch = list(messages)
    if not batch:
        return 0
    now = clock.now()
    with uow.begin() as tx:
        return sum(
            enqueue_composed(
                tx,
                m,
                team_id=team_id,
                key=m.key,
                channel_id=m.channel_id,
                thread_ts=m.thread_ts,
                ticket_id=m.ticket_id,
                now=now,
            )
            for m in batch
        )


# ---------------------------------------------------------------------- for the ticket use cases


def on_ticket_change(tx: Transaction, change: TicketChange) -> None:
    """The ticket listener (``TicketService.listeners``, registered by default): in the change's own
    transaction, queue a refresh of the ticket's live status card and, when the contract asks for
    it (``alerts.met_note``), the "met" note of each timer the change stopped in time. So every
    change from any source (commands, thread replies, reactions, webhooks, imports) moves the card,
    and a crash cannot commit the change without its notifications (or the reverse)."""
    ticket = change.ticket
    enqueue_status_refresh(
        tx,
        ticket=ticket,
        now=change.now,
        reason=f"{change.kind}:e{ticket.event_seq}@{change.now.isoformat()}",
    )
    enqueue_met_notes(
        tx,
        ticket=ticket,
        version=change.version,
        timers=change.timers,
        now=change.now,
        since=change.at or change.now,
    )


def enqueue_status_refresh(
    tx: Transaction, *, ticket: Ticket, now: datetime, reason: str | None = None
) -> bool:
    """Ask the notifier to post (first time) or ``chat.update`` the ticket's live status card.

    Call it in the transaction of every ticket change (event, assignment). The notifier renders
    the card as the ticket stands at delivery and coalesces several pending refreshes of one
    ticket into one Slack call. ``reason`` makes the row's key unique (default: the ticket's
    event counter and ``now``). Tickets without a Slack thread have no card: returns False.
    """
    if not (ticket.channel_id and ticket.thread_ts):
        return False
    return tx.outbox.enqueue_row(status_refresh_row(ticket, now=now, reason=reason), now=now)


def status_refresh_row(ticket: Ticket, *, now: datetime, reason: str | None = None) -> QueuedRow:
    """The outbox row of :func:`enqueue_status_refresh` (for a bulk ``enqueue_many``; the ticket has a thread)."""
    reason = reason or f"e{ticket.event_seq}@{now.isoformat()}"
    return QueuedRow(
        team_id=ticket.team_id,
        idempotency_key=f"{status_key(ticket.team_id, ticket.ref)}:{reason}",
        kind=STATUS_KIND,
        payload={"ref": ticket.ref, "ticket_id": ticket.id},
        channel_id=ticket.channel_id,
        thread_ts=ticket.thread_ts,
        ticket_id=ticket.id,
    )


def enqueue_met_notes(
    tx: Transaction,
    *,
    ticket: Ticket,
    version: ContractVersion,
    timers: Iterable[MetricTimer],
    now: datetime,
    since: datetime | None = None,
) -> int:
    """Queue the optional "met" note (``alerts.met_note: true``) for each timer met at or after ``since``.

    Call it from the ticket use case after an event, with the folded timers and ``since`` = the
    event's instant. Once per (ticket, metric, cycle); goes to the thread, else the alert channel.
    """
    routing = version.alerts
    if not routing.met_note:
        return 0
    if ticket.channel_id and ticket.thread_ts:
        channel, thread = ticket.channel_id, ticket.thread_ts
    elif routing.channel:
        channel, thread = routing.channel, None
    else:
        return 0
    count = 0
    for timer in timers:
        if timer.state != TimerState.MET or timer.stopped_at is None:
            continue
        if since is not None and timer.stopped_at < since:
            continue
        point = f"{timer.metric}:{timer.cycle}:met"
        if tx.outbox.enqueue(
            team_id=ticket.team_id,
            idempotency_key=alert_key(ticket.team_id, ticket.ref, point),
            kind=MET_KIND,
            payload={
                "ref": ticket.ref,
                "ticket_id": ticket.id,
                "metric": str(timer.metric),
                "cycle": timer.cycle,
                "threshold": "met",
                "point": point,
                "at": timer.stopped_at.isoformat(),
                "mention": [],
                "destination": "primary",
            },
            now=now,
            channel_id=channel,
            thread_ts=thread,
            ticket_id=ticket.id,
        ):
            count += 1
    return count
