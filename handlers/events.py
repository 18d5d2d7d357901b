"""Tickets from support threads: how Slack-native support works.

- A top-level message from a non-agent in a channel linked to a client opens a ticket
  (priority from the contract's keywords/emoji, else its default) and slabot answers in the thread.
- In a ticket's thread, an agent's reply is a response (first / next response); a client's
  message starts the next-response clock.
- An agent's ✅ reaction (``SLABOT_RESOLVE_REACTION``) on the ticket's first message resolves it.

Slack retries events it thinks were not received: every event is applied idempotently
(tickets by thread, messages by their ``ts``), so a retry changes nothing.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from slack_bolt import App
from slack_sdk import WebClient

from bot.services.tickets import TicketError
from handlers.blocks.tickets import Change, change_note
from handlers.commands import ThreadNote, queue_notes
from sla.metrics import EventKind

if TYPE_CHECKING:
    from bot.app import Services

log = logging.getLogger(__name__)

IGNORED_SUBTYPES = {
    "bot_message",
    "message_changed",
    "message_deleted",
    "channel_join",
    "channel_leave",
    "channel_topic",
    "channel_purpose",
    "channel_name",
}


def _instant(ts: str | None) -> datetime | None:
    try:
        return datetime.fromtimestamp(float(ts), UTC) if ts else None
    except ValueError:
        return None


def on_message(services: Services, team_id: str, event: dict[str, Any], client: WebClient) -> None:
    if event.get("subtype") in IGNORED_SUBTYPES or event.get("bot_id") or not event.get("user"):
        return
    channel_id, ts, user = event.get("channel"), event.get("ts"), event["user"]
    if not channel_id or not ts or channel_id.startswith("D"):
        return
    thread_ts = event.get("thread_ts")
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
    text = event.get("text") or ""
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
    def message(body: dict[str, Any], event: dict[str, Any], client: WebClient) -> None:
        on_message(services, body.get("team_id") or "", event, client)

    @app.event("reaction_added")
    def reaction(body: dict[str, Any], event: dict[str, Any], client: WebClient) -> None:
        on_reaction(services, body.get("team_id") or "", event, client)

    @app.event("reaction_removed")
    def reaction_removed() -> None:  # acknowledged, nothing to do
        return None

    @app.event("app_mention")
    def mention(body: dict[str, Any], event: dict[str, Any], client: WebClient) -> None:
        client.chat_postEphemeral(
            channel=event.get("channel"),
            user=event.get("user"),
            text="Hi! Type `/sla help` to see what I can do.",
        )
