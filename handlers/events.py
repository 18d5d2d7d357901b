"""Tickets from support threads: how Slack-native support works.

- What a person's message means is the contract's conversation rules (``sla.conversation``, applied
  by ``bot.services.conversation``): a top-level request from the client in a channel linked to a
  client opens a ticket (priority from the contract's keywords/emoji, else its default) and slabot
  answers in the thread; an acknowledgement ("thanks!", "ok 👍", emoji only) or a message from our
  side (agents, leads, managers, internal users) opens nothing.
- In a ticket's thread, an agent's reply is a response (first / next response); a client's
  message starts the next-response clock, resumes a ticket waiting on the client, reopens a
  recently resolved one, or opens a new ticket linking an older one.
- An agent's ✅ reaction (``SLABOT_RESOLVE_REACTION``) on the ticket's first message resolves it.
- A direct message gets one short answer (where slabot works, ``/sla help``): the manifest
  subscribes to ``message.im`` and keeps the Messages tab open, so a DM must not go unanswered.
- Only a person writing counts (``handlers.message_shapes``: plain messages, ``thread_broadcast``,
  ``file_share``, ``me_message``); bots, edits, hidden messages and channel notices (pinned,
  archived, topic, ...) change no clock and are counted in ``slabot_intake_ignored_total``.

Slack retries events it thinks were not received: every event is applied idempotently
(tickets by thread, messages by their ``ts``), so a retry changes nothing.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient

from bot.services.conversation import Outcome, SlackMessage
from bot.services.tickets import TicketError
from handlers.blocks.help import DM_ANSWER, dm_answer
from handlers.blocks.limits import unformat
from handlers.blocks.tickets import Change, change_note
from handlers.commands import ThreadNote, queue_notes
from handlers.message_shapes import classify_message
from handlers.workspace import team_of
from sla import roles
from sla.conversation import DONE_STATUSES, Action
from sla.metrics import EventKind

if TYPE_CHECKING:
    from bot.services.container import Services

log = logging.getLogger(__name__)


def _instant(ts: str | None) -> datetime | None:
    try:
        return datetime.fromtimestamp(float(ts), UTC) if ts else None
    except ValueError:
        return None


def on_message(services: Services, team_id: str, event: dict[str, Any], client: WebClient) -> None:
    shape = classify_message(event)  # only a person writing may open or answer a ticket
    if not shape.is_person:
        services.intake.ignored(
            "slack", shape.reason or "unknown_shape", shape.subtype or "", channel=shape.channel
        )
        return
    channel_id, ts, user = shape.channel, shape.ts, shape.user
    if not channel_id or not ts or not user:
        return
    if channel_id.startswith("D"):  # a direct message (D… ids are DMs; multi-person DMs are not subscribed)
        client.chat_postMessage(channel=channel_id, text=DM_ANSWER, blocks=dm_answer())
        return
    now = services.clock.now()
    message = SlackMessage(
        team_id=team_id,
        channel_id=channel_id,
        ts=ts,
        thread_ts=shape.thread_ts,
        user=user,
        text=unformat(shape.text),  # what the person wrote, with no live mention left
        at=min(_instant(ts) or now, now),
    )
    if shape.is_reply:
        assert shape.thread_ts is not None
        state = services.tickets.state_by_thread(
            team_id=team_id, channel_id=channel_id, thread_ts=shape.thread_ts
        )
        if state is None:
            return
        outcome = services.conversations.in_thread(message, state)
    else:
        client_key = services.client_for_channel(team_id, channel_id)
        if client_key is None:
            return
        if services.tickets.state_by_thread(team_id=team_id, channel_id=channel_id, thread_ts=ts) is not None:
            return  # a retried event
        outcome = services.conversations.top_level(message, client_key)
    if outcome.state is not None and not outcome.state.created:
        return  # a redelivery that lost the race to the first delivery of the message: that one answers
    notes = conversation_notes(services, outcome, message)
    if notes:
        queue_notes(services, team_id, notes)
    if outcome.state is not None and outcome.decision.changes_something:
        services.after_change(team_id, outcome.state)


def conversation_notes(services: Services, outcome: Outcome, message: SlackMessage) -> list[ThreadNote]:
    """The thread notes a message's outcome leaves: a new ticket, a resume, a reopen."""
    state, action = outcome.state, outcome.decision.action
    if state is None or not state.ticket.channel_id or not state.ticket.thread_ts:
        return []
    ticket = state.ticket
    if action in (Action.OPEN, Action.SUCCESSOR):
        detail = f"{ticket.priority} · {services.book.clients[ticket.client_key or ''].name}"
        if outcome.follows:
            detail += f" · follows {outcome.follows}"
        note = change_note(Change.OPENED, ref=ticket.ref, detail=detail)
        key = f"{message.team_id}:{ticket.ref}:note:opened"
    elif action in (Action.RESUME, Action.REOPEN):
        change = Change.RESUMED if action is Action.RESUME else Change.REOPENED
        note = change_note(change, ref=ticket.ref, actor=message.user, detail="the client replied")
        key = f"{message.team_id}:{ticket.ref}:note:{change.value}:{message.ts}"
    else:
        return []
    return [ThreadNote(ticket.channel_id, ticket.thread_ts, note, key=key, ticket_id=ticket.id)]


def on_reaction(services: Services, team_id: str, event: dict[str, Any], client: WebClient) -> None:
    if event.get("reaction") not in services.settings.resolve_reactions:
        return
    item = event.get("item") or {}
    if item.get("type") != "message":
        return
    if not roles.may(services.people.person(team_id, event.get("user")), roles.Action.TICKET_WORK):
        return
    state = services.tickets.state_by_thread(
        team_id=team_id, channel_id=item.get("channel", ""), thread_ts=item.get("ts", "")
    )
    if state is None or state.ticket.status in DONE_STATUSES:
        return
    try:
        state = services.tickets.record(
            team_id=team_id, ref=state.ticket.ref, kind=EventKind.RESOLVED, actor=event.get("user")
        )
    except TicketError as exc:
        log.info("reaction did not resolve %s: %s", state.ticket.ref, exc)
        return
    note = change_note(Change.RESOLVED, ref=state.ticket.ref, actor=event.get("user"))
    key = f"{team_id}:{state.ticket.ref}:note:resolved@{state.now.isoformat()}"
    queue_notes(
        services, team_id, [ThreadNote(item["channel"], item["ts"], note, key=key, ticket_id=state.ticket.id)]
    )
    services.after_change(team_id, state)


def register(app: App, services: Services) -> None:
    @app.event("message")
    def message(event: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        on_message(services, team_of(context), event, client)

    @app.event("reaction_added")
    def reaction(event: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        on_reaction(services, team_of(context), event, client)

    @app.event("app_mention")
    def mention(body: dict[str, Any], event: dict[str, Any], client: WebClient) -> None:
        if event.get("subtype"):  # e.g. document_mention: mentioned in a canvas, not in the channel
            services.intake.ignored("slack", "system_notice", str(event.get("subtype")))
            return
        client.chat_postEphemeral(
            channel=event.get("channel"),
            user=event.get("user"),
            text="Hi! Type `/sla help` to see what I can do.",
            thread_ts=event.get("thread_ts"),  # a mention in a thread is answered in that thread
        )
