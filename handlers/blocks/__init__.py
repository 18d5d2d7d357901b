"""Block Kit builders: pure functions from domain values to Slack's JSON, one module per surface.

- ``status``  — ``/sla status`` lists, one ticket in detail, ``/sla explain``
- ``tickets`` — the live ticket card in its thread, the "Track as SLA ticket" modal, change notes
- ``alerts``  — warnings, breaches, escalations, digests, "met" notes
- ``home``    — the App Home tab
- ``help``    — ``/sla help`` and usage errors
- ``limits``  — Slack's limits, ``check_blocks``, ``escape``, ``truncate_text``

Builders return plain dicts (what ``WebClient`` sends), built with the small constructors
below, which truncate to Slack's limits so no builder can exceed them by accident. Every
user-supplied string (titles, reasons, names) goes through :func:`escape` before it lands in
``mrkdwn``. Messages that notify (alerts, ticket cards) are :class:`Message` values carrying the
fallback ``text`` Slack shows in notifications.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.services.permalinks import thread_link
from handlers.blocks.limits import (
    BUTTON_TEXT_MAX,
    CONTEXT_TEXT_MAX,
    FIELD_TEXT_MAX,
    HEADER_TEXT_MAX,
    MESSAGE_TEXT_MAX,
    SECTION_TEXT_MAX,
    escape,
    truncate_text,
    unformat,
)
from handlers.ids import ActionId, TicketAction

Block = dict[str, Any]

__all__ = [
    "Block",
    "Message",
    "actions",
    "button",
    "channel_mention",
    "context",
    "divider",
    "escape",
    "header",
    "mention",
    "mrkdwn",
    "plain",
    "section",
    "thread_link",
    "ticket_button",
    "truncate_text",
    "unformat",
]


@dataclass(frozen=True)
class Message:
    """A message to post or update: fallback ``text`` (notifications, screen readers) and ``blocks``."""

    text: str
    blocks: list[Block] = field(default_factory=list)

    def as_kwargs(self) -> dict[str, Any]:
        """``client.chat_postMessage(channel=..., **message.as_kwargs())``."""
        return {"text": truncate_text(self.text, MESSAGE_TEXT_MAX), "blocks": self.blocks}


def _given(element: dict[str, Any], **optional: Any) -> dict[str, Any]:
    """``element`` with each optional field that is given (not None): Slack wants absent fields left out."""
    for name, value in optional.items():
        if value is not None:
            element[name] = value
    return element


def plain(text: str, limit: int | None = None) -> dict[str, Any]:
    text = text if limit is None else truncate_text(text, limit)
    return {"type": "plain_text", "text": text or " ", "emoji": True}


def mrkdwn(text: str, limit: int | None = None) -> dict[str, Any]:
    text = text if limit is None else truncate_text(text, limit)
    return {"type": "mrkdwn", "text": text or " "}


def section(
    text: str,
    *,
    accessory: dict[str, Any] | None = None,
    block_id: str | None = None,
    fields: Sequence[str] = (),
) -> Block:
    block: Block = {"type": "section", "text": mrkdwn(text, SECTION_TEXT_MAX)}
    if fields:
        block["fields"] = [mrkdwn(f, FIELD_TEXT_MAX) for f in list(fields)[:10]]
    return _given(block, accessory=accessory, block_id=block_id)


def header(text: str) -> Block:
    return {"type": "header", "text": plain(text, HEADER_TEXT_MAX)}


def context(*texts: str) -> Block:
    return {"type": "context", "elements": [mrkdwn(t, CONTEXT_TEXT_MAX) for t in texts[:10]]}


def divider() -> Block:
    return {"type": "divider"}


def actions(elements: Sequence[dict[str, Any]], *, block_id: str | None = None) -> Block:
    return _given({"type": "actions", "elements": list(elements)[:25]}, block_id=block_id)


def button(
    text: str,
    action_id: str,
    *,
    value: str | None = None,
    style: str | None = None,
    url: str | None = None,
    confirm: dict[str, Any] | None = None,
) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "button",
        "text": plain(text, BUTTON_TEXT_MAX),
        "action_id": str(action_id),
    }
    return _given(element, value=value, style=style, url=url, confirm=confirm)


def ticket_button(
    text: str,
    action_id: ActionId,
    ref: str,
    *,
    style: str | None = None,
    confirm: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A button acting on one ticket (value: :class:`~handlers.ids.TicketAction`)."""
    return button(text, action_id, value=TicketAction(ticket_ref=ref).encode(), style=style, confirm=confirm)


RESOLVE_CONFIRM_TEXT = (
    "This stops its SLA clocks and, where the client's contract asks for one, sends the client a "
    "satisfaction survey."
)


def resolve_button(ref: str) -> dict[str, Any]:
    """**Resolve**, behind a confirm dialog: a click cannot be taken back from the client's side (the
    survey is on its way)."""
    confirm = {
        "title": plain(f"Resolve {ref}?", 100),
        "text": plain(RESOLVE_CONFIRM_TEXT, 300),
        "confirm": plain("Resolve", 30),
        "deny": plain("Cancel", 30),
    }
    return ticket_button("Resolve", ActionId.RESOLVE, ref, confirm=confirm)


_USER_ID = re.compile(r"[UW][A-Z0-9]{1,31}")
_GROUP_ID = re.compile(r"S[A-Z0-9]{1,31}")
_CHANNEL_ID = re.compile(r"[CGD][A-Z0-9]{1,31}")
_SPECIALS = ("here", "channel", "everyone")
_FORMATTED = re.compile(
    r"<@[UW][A-Z0-9]{1,31}>|<!subteam\^S[A-Z0-9]{1,31}(?:\|@?[\w.\- ]{0,80})?>|<!(?:here|channel|everyone)>"
)


def mention(who: str | None, *, specials: bool = False) -> str:
    """A Slack mention for a user id (``<@U1>``) or a user group id (``<!subteam^S1>``); ``""`` for None.

    Anything else (a name, an e-mail, a forged ``<!channel>`` or ``<@U…>`` from a webhook or a
    database column) comes back escaped, so it can never ping. ``specials=True`` is for the contract's
    own alert routing: there ``here``/``channel``/``everyone`` and mentions already formatted
    (``"<!subteam^S1> <@U2>"``) are written as they are."""
    if not who:
        return ""
    who = who.strip()
    if _USER_ID.fullmatch(who):
        return f"<@{who}>"
    if _GROUP_ID.fullmatch(who):
        return f"<!subteam^{who}>"
    if specials:
        word = who.lstrip("!@").lower()
        if word in _SPECIALS:
            return f"<!{word}>"
        if who.startswith("<") and all(_FORMATTED.fullmatch(p) for p in who.split(" ")):
            return who
    return escape(who)


def channel_mention(channel_id: str | None) -> str:
    """``<#C1>`` for a channel id; anything else escaped (never a live entity)."""
    if not channel_id:
        return ""
    return f"<#{channel_id}>" if _CHANNEL_ID.fullmatch(channel_id) else escape(channel_id)
