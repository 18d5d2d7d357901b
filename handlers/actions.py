"""Buttons on ticket cards, alerts and status lists: Take it, Pause, Resume, Resolve, Reopen, Not a
ticket, Explain.

A button only names a ticket (its value is untrusted); the listener turns it into the same
``/sla`` command a person could type, so permissions and rules are the commands' own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from handlers.blocks.limits import truncate_text
from handlers.commands import Caller, answer, queue_notes
from handlers.ids import ActionId, InvalidValue, TicketAction
from handlers.workspace import team_of

if TYPE_CHECKING:
    from bot.services.container import Services

_COMMAND_OF = {
    ActionId.TAKE_IT: "take {ref}",
    ActionId.PAUSE: "pause {ref} waiting on client",
    ActionId.RESUME: "resume {ref}",
    ActionId.RESOLVE: "resolve {ref}",
    ActionId.REOPEN: "reopen {ref}",
    ActionId.DISMISS: "dismiss {ref} Not a ticket (the card's button)",
    ActionId.EXPLAIN: "explain {ref}",
}


def caller_of(services: Services, body: dict[str, Any], context: BoltContext) -> Caller:
    team_id = team_of(context)
    user_id = (body.get("user") or {}).get("id") or ""
    channel_id = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
    return Caller(team_id, user_id, channel_id, services.people.is_agent(team_id, user_id))


def tell(client: WebClient, caller: Caller, text: str, blocks: list[Any]) -> None:
    """Answer only the person who clicked (ephemeral in the channel, or a DM from App Home)."""
    kwargs: dict[str, Any] = {"text": truncate_text(text, 3000)}
    if blocks:
        kwargs["blocks"] = blocks
    if caller.channel_id and not caller.in_dm:
        client.chat_postEphemeral(channel=caller.channel_id, user=caller.user_id, **kwargs)
    else:
        client.chat_postMessage(channel=caller.user_id, **kwargs)


def register(app: App, services: Services) -> None:
    def on_ticket_button(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext, client: WebClient
    ) -> None:
        ack()
        caller = caller_of(services, body, context)
        try:
            ref = TicketAction.decode(action.get("value")).ticket_ref
        except InvalidValue:
            tell(client, caller, "That button is not one of slabot's. Nothing was changed.", [])
            return
        result = answer(services, caller, _COMMAND_OF[ActionId(action["action_id"])].format(ref=ref))
        tell(client, caller, result.text, result.blocks)
        queue_notes(services, caller.team_id, result.notes)
        services.after_change(caller.team_id, result)

    for action_id in _COMMAND_OF:
        app.action(action_id.value)(on_ticket_button)
