"""Alerts: countdown warnings, breach notices, escalations, the digest that merges many alerts for one
channel, and the optional "met" note. Each has fallback ``text`` and Take it / Resolve / Explain buttons.

``timer`` is the ticket's :class:`~sla.timers.MetricTimer` as of ``now`` (the delivery time), so a
warning delivered late shows the countdown as it stands, plus "late by N min".
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.services.notices import AlertItem, AlertKind
from handlers.blocks import (
    Block,
    Message,
    actions,
    context,
    header,
    mention,
    resolve_button,
    section,
    ticket_button,
)
from handlers.blocks.limits import MAX_BLOCKS, escape, truncate_text
from handlers.blocks.status import ticket_line
from handlers.ids import ActionId, BlockId
from sla.countdown import Countdown, TicketView, describe_timer
from sla.durations import format_duration

if TYPE_CHECKING:
    from sla.timers import MetricTimer

_PERCENT_KEY = re.compile(r"([0-9]+(?:\.[0-9]+)?)%")
_BEFORE_KEY = re.compile(r"(.+)-before")
_TITLE = {
    "warning": "SLA warning",
    "breach": "SLA breached",
    "escalation": "SLA escalation",
    "met": "SLA met",
}
_EMOJI = {"warning": "🟠", "breach": "🔴", "escalation": "🚨", "met": "✅"}


def threshold_words(threshold: object) -> str:
    """``"75%"`` → ``75 % of the target used``; ``"15m-before"`` → ``15m before due`` (a Threshold's ``key`` or the key itself)."""
    key = str(getattr(threshold, "key", threshold))
    if m := _PERCENT_KEY.fullmatch(key):
        return f"{m.group(1)} % of the target used"
    if m := _BEFORE_KEY.fullmatch(key):
        return f"{m.group(1)} before due"
    return key


def _alert_actions(ticket: TicketView) -> Block:
    return actions(
        [
            ticket_button(
                "Take it", ActionId.TAKE_IT, ticket.ref, style=None if ticket.assignee else "primary"
            ),
            resolve_button(ticket.ref),
            ticket_button("Explain", ActionId.EXPLAIN, ticket.ref),
        ],
        block_id=BlockId.ALERT_ACTIONS,
    )


def _late(late_by: timedelta | None) -> list[str]:
    if late_by is None or late_by < timedelta(minutes=1):
        return []
    return [f"⏱ late by {format_duration(late_by)} (slabot was catching up)"]


def _countdown_text(c: Countdown) -> str:
    due = f" · {escape(c.due_text)}" if c.due_text else ""
    return f"*{c.metric_name}*: {escape(c.headline)}{due} · {c.percent} % {c.bar}"


def _alert(
    kind: AlertKind,
    ticket: TicketView,
    timer: MetricTimer,
    now: datetime,
    *,
    lead: str,
    facts: list[str],
    mention_text: str = "",
) -> Message:
    c = describe_timer(timer, now, ticket.tz)
    top = f"{_EMOJI[kind]} {mention_text + ' ' if mention_text else ''}*{_TITLE[kind]}* · {lead}"
    blocks: list[Block] = [
        # a "met" note is the ticket's own status (it may go to a client's thread): no assignee
        section(f"{top}\n{ticket_line(ticket, assignee=kind != 'met')}\n{_countdown_text(c)}"),
    ]
    if facts:
        blocks.append(context(" · ".join(facts)))
    if kind != "met":
        blocks.append(_alert_actions(ticket))
    title = " ".join(ticket.title.split())
    about = escape(
        f"{ticket.name} {c.metric_name} {c.headline} — {ticket.priority} {title} ({ticket.client_name})"
    )
    text = f"{_EMOJI[kind]} {_TITLE[kind]}: {about}"
    if mention_text:
        text = f"{mention_text} {text}"
    return Message(text=truncate_text(text, 3000), blocks=blocks)


def warning_message(
    ticket: TicketView, timer: MetricTimer, threshold: object, now: datetime, late_by: timedelta | None = None
) -> Message:
    """A countdown warning at ``threshold`` (a contract ``Threshold`` or its key: ``"75%"``, ``"15m-before"``)."""
    c = describe_timer(timer, now, ticket.tz)
    facts = [f"warned at {escape(threshold_words(threshold))}", _owner(ticket), *_late(late_by)]
    return _alert("warning", ticket, timer, now, lead=f"{c.metric_name} {escape(c.headline)}", facts=facts)


def breach_message(
    ticket: TicketView,
    timer: MetricTimer,
    now: datetime,
    *,
    mention: str | None = None,
    late_by: timedelta | None = None,
) -> Message:
    """The breach notice for the alert channel; ``mention`` is the lead/user group (``S…``, ``U…`` or ``<!subteam^…>``)."""
    c = describe_timer(timer, now, ticket.tz)
    facts = [f"target {format_duration(timer.target)}", _owner(ticket), *_late(late_by)]
    return _alert(
        "breach",
        ticket,
        timer,
        now,
        lead=f"{c.metric_name} of *{escape(ticket.ref)}*",
        facts=facts,
        mention_text=_mention(mention),
    )


def escalation_message(
    ticket: TicketView,
    timer: MetricTimer,
    now: datetime,
    *,
    level: int,
    mention: str | None = None,
    late_by: timedelta | None = None,
) -> Message:
    """Escalation step ``level`` (1-based) after a breach, mentioning the next person or group up."""
    c = describe_timer(timer, now, ticket.tz)
    facts = [f"escalation level {level}", _owner(ticket), *_late(late_by)]
    return _alert(
        "escalation",
        ticket,
        timer,
        now,
        lead=f"{c.metric_name} of *{escape(ticket.ref)}* still not met",
        facts=facts,
        mention_text=_mention(mention),
    )


def met_message(ticket: TicketView, timer: MetricTimer, now: datetime) -> Message:
    """The optional "met" note: ``✅ SLA met · first response in 42m (target 1h)``."""
    c = describe_timer(timer, now, ticket.tz)
    return _alert(
        "met",
        ticket,
        timer,
        now,
        lead=f"{c.metric_name} {escape(c.headline)} (target {format_duration(timer.target)})",
        facts=[],
    )


def page_message(item: AlertItem, now: datetime, *, mention: str | None) -> Message:
    """The reply in an alert message's thread when that message was *updated* to a breach: an edit
    notifies nobody, so this names the people the breach calls on: ``🔴 @leads T-12 first response:
    breached 2m ago — see the alert above``."""
    c = describe_timer(item.timer, now, item.ticket.tz)
    about = escape(f"{item.ticket.ref} {c.metric_name}: {c.headline}")
    text = f"{_EMOJI[item.kind]} {_mention(mention) + ' ' if mention else ''}{about} — see the alert above"
    return Message(text=truncate_text(text, 3000), blocks=[context(text)])


def _owner(ticket: TicketView) -> str:
    return f"assigned to {mention(ticket.assignee)}" if ticket.assignee else "unassigned — take it?"


def _mention(who: str | None) -> str:
    """The contract's alert routing (lead, user groups, ``here``): trusted, so specials are allowed."""
    return mention(who, specials=True) if who else ""


# --------------------------------------------------------------------------- digest


_DIGEST_ORDER = {"escalation": 0, "breach": 1, "warning": 2, "met": 3}


def digest_message(
    items: Sequence[AlertItem],
    now: datetime,
    *,
    mention: str | None = None,
    max_blocks: int = MAX_BLOCKS["message"],
) -> Message:
    """Many alerts due for one channel in one sweep, merged into one message (escalations and breaches
    first); each line has its own button (Take it when unassigned, else Explain)."""
    ordered = sorted(items, key=lambda i: _DIGEST_ORDER[i.kind])
    counts = {k: sum(1 for i in items if i.kind == k) for k in _DIGEST_ORDER}
    summary = ", ".join(f"{n} {k if n == 1 else _plural(k)}" for k, n in counts.items() if n)
    blocks: list[Block] = [header(f"{len(items)} SLA alert{'s' if len(items) != 1 else ''}")]
    urgent = counts["breach"] + counts["escalation"]
    lead = f"{_mention(mention)} " if mention and urgent else ""
    blocks.append(context(f"{lead}{summary}" if summary else "nothing to report"))
    room = max_blocks - len(blocks)
    shown = ordered if len(ordered) <= room else ordered[: max(room - 1, 0)]
    for item in shown:
        c = describe_timer(item.timer, now, item.ticket.tz)
        extra = []
        if item.kind == "warning" and item.threshold is not None:
            extra.append(escape(threshold_words(item.threshold)))
        if item.kind == "escalation" and item.level:
            extra.append(f"level {item.level}")
        extra.extend(_late(item.late_by))
        tail = f"\n_{' · '.join(extra)}_" if extra else ""
        text = f"{_EMOJI[item.kind]} {ticket_line(item.ticket)}\n{_countdown_text(c)}{tail}"
        if item.ticket.assignee:
            accessory = ticket_button("Explain", ActionId.EXPLAIN, item.ticket.ref)
        else:
            accessory = ticket_button("Take it", ActionId.TAKE_IT, item.ticket.ref, style="primary")
        blocks.append(section(text, accessory=accessory))
    hidden = len(ordered) - len(shown)
    if hidden:
        blocks.append(
            context(f"… and {hidden} more — `/sla status breached` and `/sla status at-risk` list them all")
        )
    text = f"{len(items)} SLA alerts: {summary}" if items else "No SLA alerts"
    if mention and urgent:
        text = f"{_mention(mention)} {text}"
    return Message(text=text, blocks=blocks)


def _plural(kind: str) -> str:
    return {"breach": "breaches", "escalation": "escalations", "warning": "warnings", "met": "met"}[kind]
