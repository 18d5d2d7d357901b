"""Tickets from support threads: how Slack-native support works.

- A top-level message from a non-agent in a channel linked to a client opens a ticket
  (priority from the contract's keywords/emoji, else its default) and slabot answers in the thread.
- In a ticket's thread, an agent's reply is a response (first / next response); a client's
  message starts the next-response clock.
- An agent's ✅ reaction (``SLABOT_RESOLVE_REACTION``) on the ticket's first message resolves it.
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

from bot.services.tickets import TicketError
from handlers.blocks.limits import unformat
from handlers.blocks.tickets import Change, change_note
from handlers.commands import ThreadNote, queue_notes
from handlers.message_shapes import classify_message
from handlers.workspace import team_of
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
    if not channel_id or not ts or not user or channel_id.startswith("D"):
        return
    thread_ts = shape.thread_ts
    is_agent = services.people.is_agent(team_id, user)
    now = services.clock.now()
    at = min(_instant(ts) or now, now)
    if thread_ts and thread_ts != ts:
        state = services.tickets.state_by_thread(team_id=team_id, channel_id=channel_id, thread_ts=thread_ts)
        if state is None or state.ticket.status in ("resolved", "closed"):
            return
        kind = EventKind.AGENT_MESSAGE if is_agent else EventKind.CLIENT_MESSAGE
        at = max(at, state.timers[0].started_at if state.timers else at)
        try:
            services.tickets.record(
                team_id=team_id,
                ref=state.ticket.ref,
                kind=kind,
                actor=user,
                at=at,
                source="slack",
                external_id=f"{channel_id}:{ts}",
            )
        except TicketError as exc:
            log.info("thread message not applied to %s: %s", state.ticket.ref, exc)
        return
    if is_agent:
        return
    client_key = services.client_for_channel(team_id, channel_id)
    if client_key is None:
        return
    if services.tickets.state_by_thread(team_id=team_id, channel_id=channel_id, thread_ts=ts) is not None:
        return  # a retried event
    text = unformat(shape.text)  # what the client wrote, with no live mention left
    version = services.book.version_for(client_key, at)
    state = services.tickets.open(
        team_id=team_id,
        client_key=client_key,
        source="slack_thread",
        priority=version.priority_for(text),
        title=" ".join(text.split())[:150] or "(no text)",
        channel_id=channel_id,
        thread_ts=ts,
        requester=user,
        actor=user,
        at=at,
        external_id=f"{channel_id}:{ts}",
    )
    note = change_note(
        Change.OPENED,
        ref=state.ticket.ref,
        detail=f"{state.ticket.priority} · {services.book.clients[client_key].name}",
    )
    key = f"{team_id}:{state.ticket.ref}:note:opened"
    queue_notes(services, team_id, [ThreadNote(channel_id, ts, note, key=key, ticket_id=state.ticket.id)])
    services.after_change(team_id, state)


def on_reaction(services: Services, team_id: str, event: dict[str, Any], client: WebClient) -> None:
    if event.get("reaction") not in services.settings.resolve_reactions:
        return
    item = event.get("item") or {}
    if item.get("type") != "message" or not services.people.is_agent(team_id, event.get("user")):
        return
    state = services.tickets.state_by_thread(
        team_id=team_id, channel_id=item.get("channel", ""), thread_ts=item.get("ts", "")
    )
    if state is None or state.ticket.status in ("resolved", "closed"):
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

    @app.event("reaction_removed")
    def reaction_removed() -> None:  # acknowledged, nothing to do
        return None

    @app.event("app_mention")
    def mention(body: dict[str, Any], event: dict[str, Any], client: WebClient) -> None:
        if event.get("subtype"):  # e.g. document_mention: mentioned in a canvas, not in the channel
            services.intake.ignored("slack", "system_notice", str(event.get("subtype")))
            return
        client.chat_postEphemeral(
            channel=event.get("channel"),
            user=event.get("user"),
            text="Hi! Type `/sla help` to see what I can do.",
        )
