"""Buttons on ticket cards, alerts and status lists: Take it, Pause, Resume, Resolve, Reopen, Not a
ticket, Explain.

A button only names a ticket (its value is untrusted); the listener turns it into the same
``/sla`` command a person could type, so permissions and rules are the commands' own.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from handlers.blocks.limits import truncate_text
from handlers.commands import Caller, answer, caller_for, queue_notes
from handlers.ids import ActionId, InvalidValue, TicketAction
from handlers.workspace import team_of

if TYPE_CHECKING:
    from bot.services.container import Services

log = logging.getLogger(__name__)

_COMMAND_OF = {
    ActionId.TAKE_IT: "take {ref}",
    ActionId.PAUSE: "pause {ref} waiting on client",
    ActionId.RESUME: "resume {ref}",
    ActionId.RESOLVE: "resolve {ref}",
    ActionId.REOPEN: "reopen {ref}",
    ActionId.DISMISS: "dismiss {ref} marked on the card",
    ActionId.EXPLAIN: "explain {ref}",
}


def caller_of(services: Services, body: dict[str, Any], context: BoltContext) -> Caller:
    team_id = team_of(context)
    user_id = (body.get("user") or {}).get("id") or ""
    channel_id = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
    return caller_for(services, team_id, user_id, channel_id)


def answer_privately(
    respond: Respond | None,
    client: WebClient,
    *,
    channel_id: str | None,
    user_id: str,
    thread_ts: str | None,
    text: str,
    blocks: list[Any] | None = None,
) -> None:
    """Answer only the person who clicked: through the interaction's ``response_url`` (``respond()``:
    an ephemeral where the click was, in its thread when it was in one); if that URL fails, an
    ephemeral in the same conversation and thread; with no channel (App Home carries no response URL), a DM."""
    kwargs: dict[str, Any] = {"text": truncate_text(text, 3000)}
    if blocks:
        kwargs["blocks"] = blocks
    if respond is not None and respond.response_url:
        try:
            sent = respond(response_type="ephemeral", replace_original=False, **kwargs)
            if getattr(sent, "status_code", 200) == 200:
                return
            log.info(
                "response_url answered %s: answering with the Web API", getattr(sent, "status_code", None)
            )
        except Exception:  # noqa: BLE001 - the answer must still reach the person
            log.info("response_url failed: answering with the Web API", exc_info=True)
    if channel_id:
        client.chat_postEphemeral(channel=channel_id, user=user_id, thread_ts=thread_ts, **kwargs)
    else:
        client.chat_postMessage(channel=user_id, **kwargs)


def thread_of(body: dict[str, Any]) -> str | None:
    """The thread an interaction happened in (None: top level or not in a message)."""
    container = body.get("container") or {}
    message = body.get("message") or {}
    return container.get("thread_ts") or message.get("thread_ts")


def tell(
    respond: Respond | None,
    client: WebClient,
    caller: Caller,
    text: str,
    blocks: list[Any],
    *,
    thread_ts: str | None = None,
) -> None:
    """Answer the person who clicked (:func:`answer_privately`; in a DM with the bot, by a message there)."""
    answer_privately(
        respond,
        client,
        channel_id=None if caller.in_dm else caller.channel_id,
        user_id=caller.user_id,
        thread_ts=thread_ts,
        text=text,
        blocks=blocks,
    )


def register(app: App, services: Services) -> None:
    def on_ticket_button(
        ack: Ack,
        body: dict[str, Any],
        action: dict[str, Any],
        context: BoltContext,
        client: WebClient,
        respond: Respond,
    ) -> None:
        ack()
        caller = caller_of(services, body, context)
        thread_ts = thread_of(body)
        try:
            ref = TicketAction.decode(action.get("value")).ticket_ref
        except InvalidValue:
            text = "That button is not one of slabot's. Nothing was changed."
            tell(respond, client, caller, text, [], thread_ts=thread_ts)
            return
        result = answer(services, caller, _COMMAND_OF[ActionId(action["action_id"])].format(ref=ref))
        queue_notes(services, caller.team_id, result.notes)  # the change's notes first: they are durable
        services.after_change(caller.team_id, result)
        tell(respond, client, caller, result.text, result.blocks, thread_ts=thread_ts)

    for action_id in _COMMAND_OF:
        app.action(action_id.value)(on_ticket_button)
