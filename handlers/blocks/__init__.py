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

from handlers.blocks.limits import (
    BUTTON_TEXT_MAX,
    CONTEXT_TEXT_MAX,
    FIELD_TEXT_MAX,
    HEADER_TEXT_MAX,
    MESSAGE_TEXT_MAX,
    SECTION_TEXT_MAX,
    escape,
    truncate_text,
)
from handlers.ids import ActionId, TicketAction

Block = dict[str, Any]

__all__ = [
    "Block",
    "Message",
    "actions",
    "button",
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
]


@dataclass(frozen=True)
class Message:
    """A message to post or update: fallback ``text`` (notifications, screen readers) and ``blocks``."""

    text: str
    blocks: list[Block] = field(default_factory=list)

    def as_kwargs(self) -> dict[str, Any]:
        """``client.chat_postMessage(channel=..., **message.as_kwargs())``."""
        return {"text": truncate_text(self.text, MESSAGE_TEXT_MAX), "blocks": self.blocks}


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
    if accessory is not None:
        block["accessory"] = accessory
    if block_id is not None:
        block["block_id"] = block_id
    return block


def header(text: str) -> Block:
    return {"type": "header", "text": plain(text, HEADER_TEXT_MAX)}


def context(*texts: str) -> Block:
    return {"type": "context", "elements": [mrkdwn(t, CONTEXT_TEXT_MAX) for t in texts[:10]]}


def divider() -> Block:
    return {"type": "divider"}


def actions(elements: Sequence[dict[str, Any]], *, block_id: str | None = None) -> Block:
    block: Block = {"type": "actions", "elements": list(elements)[:25]}
    if block_id is not None:
        block["block_id"] = block_id
    return block


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
    if value is not None:
        element["value"] = value
    if style is not None:
        element["style"] = style
    if url is not None:
        element["url"] = url
    if confirm is not None:
        element["confirm"] = confirm
    return element


def ticket_button(text: str, action_id: ActionId, ref: str, *, style: str | None = None) -> dict[str, Any]:
    """A button acting on one ticket (value: :class:`~handlers.ids.TicketAction`)."""
    return button(text, action_id, value=TicketAction(ticket_ref=ref).encode(), style=style)


def mention(who: str | None) -> str:
    """A Slack mention for a user id (``<@U1>``), a user group id (``<!subteam^S1>``) or one already
    formatted (returned as is); ``""`` for None."""
    if not who:
        return ""
    who = who.strip()
    if who.startswith("<") and who.endswith(">"):
        return who
    if who in ("here", "channel", "everyone", "!here", "!channel", "!everyone"):
        return f"<!{who.lstrip('!')}>"
    if who[:1] == "S":
        return f"<!subteam^{who}>"
    if who[:1] in ("U", "W"):
        return f"<@{who}>"
    return escape(who)


def thread_link(channel_id: str | None, thread_ts: str | None) -> str | None:
    """Slack's permalink form for a message (``/archives/<channel>/p<ts without the dot>``), which works
    in any workspace the reader belongs to; None without a plain channel id and a ts."""
    if not channel_id or not thread_ts or not re.fullmatch(r"[A-Z0-9]+", channel_id):
        return None
    return f"https://slack.com/archives/{channel_id}/p{thread_ts.replace('.', '')}"
