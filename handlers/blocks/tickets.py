"""A ticket's own surfaces: the live card in its thread, the "Track as SLA ticket" modal, and the
short note a change leaves in the thread ("⏸ Paused by <@U1>: waiting for logs")."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from handlers.blocks import Block, Message, context, mention, plain, section
from handlers.blocks.limits import (
    LABEL_MAX,
    OPTION_TEXT_MAX,
    OPTION_VALUE_MAX,
    OPTIONS_MAX,
    escape,
    truncate_text,
)
from handlers.blocks.status import countdown_lines, ticket_actions, ticket_line
from handlers.ids import ActionId, BlockId, CallbackId, StartModalMeta
from sla.countdown import TicketView, current_timers, describe_timer

TITLE_INPUT_MAX = 150


# --------------------------------------------------------------------------- the live card


def ticket_card(ticket: TicketView, now: datetime, *, client: bool = False) -> Message:
    """The one live status message of a ticket (posted once, then ``chat.update``d as clocks move).

    ``client``: the card of a thread a client reads (``alerts.client_thread: status``) — the ticket's
    own status and countdown, who opened it, and its controls for agents (a client's press is refused
    like the command would be), but no assignee, no "unassigned" and no *Take it* prompt."""
    head = ticket_line(ticket, assignee=not client)
    blocks: list[Block] = [section("\n".join([head, *countdown_lines(ticket, now)]))]
    who = []
    if ticket.requester:
        who.append(f"opened by {mention(ticket.requester)}")
    if not client:
        who.append(f"assigned to {mention(ticket.assignee)}" if ticket.assignee else "unassigned")
    if who:
        blocks.append(context(" · ".join(who)))
    blocks.append(ticket_actions(ticket, take_it=not client))
    return Message(text=card_text(ticket, now), blocks=blocks)


def card_text(ticket: TicketView, now: datetime) -> str:
    """Fallback text: ``T-12 · ZD-35436 · P1 · Printer on fire — first response 1h 10m left`` (escaped)."""
    head = escape(f"{ticket.name} · {ticket.priority} · {' '.join(ticket.title.split())}")
    timers = current_timers(ticket.timers)
    if not timers:
        return head
    first = min((describe_timer(t, now, ticket.tz) for t in timers), key=lambda c: _rank(c.severity))
    return f"{head} — {escape(first.metric_name)} {escape(first.headline)}"


def _rank(severity: str) -> int:
    return {"breached": 0, "at_risk": 1, "ok": 2, "paused": 3, "done": 4}[severity]


# --------------------------------------------------------------------------- change notes


class Change(StrEnum):
    OPENED = "opened"
    TAKEN = "taken"
    ASSIGNED = "assigned"
    REPLIED = "replied"
    PAUSED = "paused"
    RESUMED = "resumed"
    PRIORITY = "priority"
    RESOLVED = "resolved"
    REOPENED = "reopened"
    DISMISSED = "dismissed"


def change_note(
    change: Change | str, *, ref: str, actor: str | None = None, detail: str | None = None
) -> Message:
    """The short line a change leaves in the ticket's thread.

    ``actor`` is a user id (None: slabot itself); ``detail`` is the reason (pause), the new
    assignee's user id (assign), ``"P1 → P2"`` (priority) or a summary (opened); it is escaped.
    """
    who = mention(actor) if actor else "slabot"
    extra = escape(" ".join(detail.split())) if detail else ""
    because = f": {extra}" if extra else ""  # the reason a pause, resume, reopen or dismissal gives
    match Change(change):
        case Change.OPENED:
            text = f"🎫 Tracking as *{escape(ref)}*" + (f" — {extra}" if extra else "")
        case Change.TAKEN:
            text = f"🙋 {who} took *{escape(ref)}*"
        case Change.ASSIGNED:
            target = mention(detail) if detail else "nobody"
            text = f"👤 *{escape(ref)}* assigned to {target} by {who}"
        case Change.REPLIED:
            text = f"💬 Response on *{escape(ref)}* recorded by {who}"
        case Change.PAUSED:
            text = f"⏸ Paused by {who}{because}"
        case Change.RESUMED:
            text = f"▶️ Resumed by {who}{because}"
        case Change.PRIORITY:
            text = f"🔺 Priority {extra or 'changed'} by {who}"
        case Change.RESOLVED:
            text = f"✅ Resolved by {who}"
        case Change.REOPENED:
            text = f"↩️ Reopened by {who}{because}"
        case Change.DISMISSED:
            text = f"🚫 Not a ticket: *{escape(ref)}* dismissed by {who}{because}"
    text = truncate_text(text, 2900)
    return Message(text=text, blocks=[context(text)])


# --------------------------------------------------------------------------- the "Track as SLA ticket" modal


@dataclass(frozen=True)
class StartPrefill:
    """What the modal starts with: the message's text as title, the channel's client, the default priority."""

    title: str = ""
    client_key: str | None = None
    priority: str | None = None
    assignee: str | None = None
    channel_id: str | None = None
    message_ts: str | None = None
    thread_ts: str | None = None
    requester: str | None = None


@dataclass(frozen=True)
class StartInput:
    """A valid submission of the modal."""

    title: str
    client_key: str
    priority: str
    assignee: str | None
    meta: StartModalMeta


def _static_select(
    action: ActionId,
    placeholder: str,
    options: list[dict[str, Any]],
    *,
    empty: dict[str, Any],
    initial: str | None,
) -> dict[str, Any]:
    """A static select of ``options`` (``empty`` alone when there are none), the one whose value is
    ``initial`` chosen."""
    select: dict[str, Any] = {
        "type": "static_select",
        "action_id": action.value,
        "placeholder": plain(placeholder),
        "options": options or [empty],
    }
    chosen = next((o for o in options if o["value"] == initial), None)
    if chosen:
        select["initial_option"] = chosen
    return select


def start_modal(
    prefill: StartPrefill,
    priorities: Sequence[str],
    clients: Sequence[tuple[str, str]],
) -> dict[str, Any]:
    """``views.open`` payload. ``clients`` are ``(key, name)`` pairs; ``priorities`` most urgent first."""
    client_options = [_option(escape(name), key) for key, name in list(clients)[:OPTIONS_MAX]]
    priority_options = [_option(p, p) for p in list(priorities)[:OPTIONS_MAX]]
    client_select = _static_select(
        ActionId.START_CLIENT,
        "Which client?",
        client_options,
        empty=_option("(no clients configured)", "-"),
        initial=prefill.client_key,
    )
    priority_select = _static_select(
        ActionId.START_PRIORITY,
        "Priority",
        priority_options,
        empty=_option("P3", "P3"),
        initial=prefill.priority,
    )
    title_input: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": ActionId.START_TITLE.value,
        "max_length": TITLE_INPUT_MAX,
        "placeholder": plain("What is the problem, in a few words?"),
    }
    title = " ".join(prefill.title.split())
    if title:
        title_input["initial_value"] = truncate_text(title, TITLE_INPUT_MAX)
    assignee: dict[str, Any] = {
        "type": "users_select",
        "action_id": ActionId.START_ASSIGNEE.value,
        "placeholder": plain("Nobody yet"),
    }
    if prefill.assignee:
        assignee["initial_user"] = prefill.assignee
    meta = StartModalMeta(
        channel_id=prefill.channel_id,
        message_ts=prefill.message_ts,
        thread_ts=prefill.thread_ts,
        requester=prefill.requester,
    )
    return {
        "type": "modal",
        "callback_id": CallbackId.START_MODAL.value,
        "title": plain("Track as SLA ticket"),
        "submit": plain("Start clocks"),
        "close": plain("Cancel"),
        "private_metadata": meta.encode(),
        "blocks": [
            _input(BlockId.START_TITLE, "Title", title_input),
            _input(BlockId.START_CLIENT, "Client", client_select),
            _input(BlockId.START_PRIORITY, "Priority", priority_select, hint="P1 is the most urgent."),
            _input(BlockId.START_ASSIGNEE, "Assignee", assignee, optional=True),
        ],
    }


def read_start_submission(
    values: Mapping[str, Any], private_metadata: str, *, priorities: Sequence[str], clients: Sequence[str]
) -> StartInput | dict[str, str]:
    """Read ``view.state.values`` of the modal; a dict ``{block_id: message}`` (for ``response_action:
    errors``) when something is missing or not one of the offered choices (values are untrusted)."""
    errors: dict[str, str] = {}
    title = _state(values, BlockId.START_TITLE, ActionId.START_TITLE, "value")
    title = " ".join((title or "").split())
    if not title:
        errors[BlockId.START_TITLE] = "Give the ticket a short title."
    client = _state(values, BlockId.START_CLIENT, ActionId.START_CLIENT, "selected_option")
    if client not in clients:
        errors[BlockId.START_CLIENT] = "Choose one of the clients."
    priority = _state(values, BlockId.START_PRIORITY, ActionId.START_PRIORITY, "selected_option")
    if priority not in priorities:
        errors[BlockId.START_PRIORITY] = "Choose one of the priorities."
    assignee = _state(values, BlockId.START_ASSIGNEE, ActionId.START_ASSIGNEE, "selected_user")
    try:
        meta = StartModalMeta.decode(private_metadata)
    except ValueError:
        errors[BlockId.START_TITLE] = (
            errors.get(BlockId.START_TITLE) or "This form is out of date; open it again."
        )
        meta = StartModalMeta()
    if errors:
        return errors
    assert client is not None and priority is not None
    return StartInput(
        title=truncate_text(title, TITLE_INPUT_MAX),
        client_key=client,
        priority=priority,
        assignee=assignee if isinstance(assignee, str) else None,
        meta=meta,
    )


def _state(values: Mapping[str, Any], block: str, action: str, key: str) -> str | None:
    try:
        item = values[str(block)][str(action)]
        value = item.get(key)
        if key == "selected_option":
            value = value.get("value") if isinstance(value, Mapping) else None
        return value if isinstance(value, str) else None
    except (KeyError, TypeError, AttributeError):
        return None


def _option(text: str, value: str) -> dict[str, Any]:
    return {"text": plain(text, OPTION_TEXT_MAX), "value": value[:OPTION_VALUE_MAX]}


def _input(
    block_id: str, label: str, element: dict[str, Any], *, hint: str | None = None, optional: bool = False
) -> Block:
    block: Block = {
        "type": "input",
        "block_id": str(block_id),
        "label": plain(label, LABEL_MAX),
        "element": element,
        "optional": optional,
    }
    if hint:
        block["hint"] = plain(hint, LABEL_MAX)
    return block
