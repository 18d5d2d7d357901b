"""The "Track as SLA ticket" message shortcut and its modal.

A shortcut on a thread that is already a ticket opens no modal: the agent is told which ticket it is
(ephemeral, through the shortcut's ``response_url``, so in the thread). Answers to the person who used
the shortcut go through ``respond()`` (an ephemeral in the thread, like a failed response URL's fallback),
never a ``chat.postEphemeral`` without ``thread_ts`` that would land in the channel."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from handlers.actions import answer_privately
from handlers.blocks.limits import escape, unformat
from handlers.blocks.tickets import (
    Change,
    StartInput,
    StartPrefill,
    change_note,
    read_start_submission,
    start_modal,
)
from handlers.commands import ThreadNote, queue_notes
from handlers.ids import CallbackId
from handlers.workspace import team_of
from sla.roles import Action, Where, may, refusal

if TYPE_CHECKING:
    from bot.services.container import Services


def register(app: App, services: Services) -> None:
    @app.shortcut(CallbackId.TRACK_SHORTCUT.value)
    def on_track(
        ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient, respond: Respond
    ) -> None:
        ack()
        track(services, body, context, client, respond)

    @app.view(CallbackId.START_MODAL.value)
    def on_start(
        ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext, client: WebClient
    ) -> None:
        start(services, ack, body, view, context)


def track(
    services: Services, body: dict[str, Any], context: BoltContext, client: WebClient, respond: Respond
) -> None:
    """The shortcut (acked): the start modal prefilled from the message, or why not."""
    team_id = team_of(context)
    user_id = (body.get("user") or {}).get("id") or ""
    channel_id = (body.get("channel") or {}).get("id")
    message = body.get("message") or {}
    thread_ts = message.get("thread_ts") or message.get("ts")

    def say(text: str) -> None:
        answer_privately(
            respond, client, channel_id=channel_id, user_id=user_id, thread_ts=thread_ts, text=text
        )

    if not may(services.people.person(team_id, user_id), Action.TICKET_START, Where()):
        say(refusal(Action.TICKET_START))
        return
    tracked = (
        services.tickets.state_by_thread(team_id=team_id, channel_id=channel_id, thread_ts=thread_ts)
        if channel_id and thread_ts
        else None
    )
    if tracked is not None:
        say(already_tracked_text(tracked.ticket.ref, str(tracked.ticket.status)))
        return
    client_key = services.client_for_channel(team_id, channel_id) if channel_id else None
    version = services.book.version_for(client_key, services.clock.now()) if client_key else None
    text = unformat(message.get("text") or "")
    prefill = StartPrefill(
        title=text,
        client_key=client_key,
        priority=version.priority_for(text) if version else None,
        channel_id=channel_id,
        message_ts=message.get("ts"),
        thread_ts=thread_ts,
        requester=message.get("user"),
    )
    client.views_open(
        trigger_id=body["trigger_id"],
        view=start_modal(prefill, _priorities(services), _clients(services)),
    )


def start(
    services: Services, ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext
) -> None:
    """The start modal's submission: acked with its errors, or the ticket opened (and assigned)."""
    team_id = team_of(context)
    user_id = (body.get("user") or {}).get("id") or ""
    result = read_start_submission(
        view.get("state", {}).get("values", {}),
        view.get("private_metadata") or "",
        priorities=_priorities(services),
        clients=list(services.book.clients),
    )
    if not isinstance(result, StartInput):
        ack(response_action="errors", errors=result)
        return
    if not may(services.people.person(team_id, user_id), Action.TICKET_START, Where()):
        ack(response_action="errors", errors={"start_title": refusal(Action.TICKET_START)})
        return
    meta = result.meta
    existing = (
        services.tickets.state_by_thread(
            team_id=team_id, channel_id=meta.channel_id, thread_ts=meta.thread_ts
        )
        if meta.channel_id and meta.thread_ts
        else None
    )
    if existing is not None:  # tracked meanwhile (a client's message, another agent's shortcut)
        ack(
            response_action="errors",
            errors={"start_title": f"This thread is already tracked as {existing.ticket.ref}."},
        )
        return
    ack()
    state = services.tickets.start(
        team_id=team_id,
        client_key=result.client_key,
        source="slack_thread" if meta.channel_id else "slash_command",
        priority=result.priority,
        title=result.title,
        channel_id=meta.channel_id,
        thread_ts=meta.thread_ts,
        requester=meta.requester,
        actor=user_id,
        assignee=result.assignee,
    )
    if meta.channel_id and meta.thread_ts:
        note = change_note(
            Change.OPENED,
            ref=state.ticket.ref,
            actor=user_id,
            detail=f"{state.ticket.priority} · {result.title}",
        )
        key = f"{team_id}:{state.ticket.ref}:note:opened"
        queue_notes(
            services,
            team_id,
            [ThreadNote(meta.channel_id, meta.thread_ts, note, key=key, ticket_id=state.ticket.id)],
        )
    services.after_change(team_id, state)


def already_tracked_text(ref: str, status: str) -> str:
    """What the shortcut answers on a thread that already is a ticket."""
    return (
        f"This thread is already tracked as *{escape(ref)}* ({escape(status.replace('_', ' '))}). "
        f"`/sla status {escape(ref)}` shows its clocks."
    )


def _priorities(services: Services) -> list[str]:
    seen: list[str] = []
    for version in services.book.all_versions():
        for p in version.priorities:
            if p not in seen:
                seen.append(p)
    return seen


def _clients(services: Services) -> list[tuple[str, str]]:
    return [(key, client.name) for key, client in services.book.clients.items()]
