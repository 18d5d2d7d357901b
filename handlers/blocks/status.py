"""``/sla status``: tickets with their countdowns; one ticket in detail; ``/sla explain``'s timeline.

The ticket line and countdown lines defined here are shared by the other surfaces (ticket
cards, alerts, App Home) so a ticket reads the same wherever it appears.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from handlers.blocks import (
    Block,
    actions,
    button,
    channel_mention,
    context,
    header,
    mention,
    plain,
    resolve_button,
    section,
    ticket_button,
)
from handlers.blocks.limits import MAX_BLOCKS, SECTION_TEXT_MAX, escape, truncate_text
from handlers.ids import ActionId, BlockId
from sla.countdown import (
    SEVERITY_EMOJI,
    Countdown,
    TicketView,
    current_timers,
    describe_timer,
    described,
    metric_name,
    ticket_urgency,
    urgency,
    zone_abbreviation,
)
from sla.durations import format_duration
from sla.metrics import TimerState

if TYPE_CHECKING:
    from sla.timers import TimelineEntry

TITLE_MAX = 150
DEFAULT_MORE_HINT = (
    "narrow with `/sla status breached` · `/sla status at-risk` · `/sla status client &lt;name&gt;` "
    '· `/sla status @person`, or list them all in a terminal: `slabot cmd "status …"`'
)
_SAFE_URL = re.compile(r"https?://[^\s<>|]+")
_OPEN_STATUSES = {"", "open", "new", "running"}
#: Most tickets one status message can show (50 blocks: header, summary, 48 tickets).
STATUS_PAGE = MAX_BLOCKS["message"] - 2


# --------------------------------------------------------------------------- shared lines


def ticket_ref_text(ticket: TicketView) -> str:
    """``*<permalink|T-12>*`` (bold link to the thread) or ``*T-12*`` without a usable permalink; then
    the helpdesk's id when there is one (``*T-12* · ZD-35436``)."""
    return _ref_text(ticket.ref, ticket.permalink, ticket.external)


def _ref_text(ref: str, permalink: str | None, external: str | None) -> str:
    ref = escape(ref)
    linked = f"*<{permalink}|{ref}>*" if permalink and _SAFE_URL.fullmatch(permalink) else f"*{ref}*"
    return f"{linked} · {escape(external)}" if external else linked


def ticket_line(ticket: TicketView, *, assignee: bool = True) -> str:
    """``*T-12* · ZD-35436 · P1 · Printer on fire — Acme · <@U1>`` (status added when not simply open)."""
    return _ticket_line(
        ticket.ref,
        ticket.permalink,
        ticket.external,
        ticket.priority,
        ticket.title,
        ticket.client_name,
        ticket.assignee if assignee else None,
        assignee,
        ticket.status,
    )


@lru_cache(maxsize=4096)
def _ticket_line(
    ref: str,
    permalink: str | None,
    external: str | None,
    priority: str,
    title: str,
    client_name: str,
    assignee: str | None,
    with_assignee: bool,
    status: str,
) -> str:
    """:func:`ticket_line` from the fields it reads (kept: a page prints the same tickets' lines again
    in every answer until they change, and only the countdowns move)."""
    title = escape(truncate_text(" ".join(title.split()) or "(no title)", TITLE_MAX))
    parts = [_ref_text(ref, permalink, external), escape(priority), f"{title} — {escape(client_name)}"]
    if with_assignee:
        parts.append(mention(assignee) if assignee else "_unassigned_")
    if status.lower() not in _OPEN_STATUSES:
        parts.append(f"_{escape(status)}_")
    return " · ".join(parts)


def countdown_lines(ticket: TicketView, now: datetime, *, with_wall: bool = True) -> list[str]:
    """One line per metric (latest cycle): ``🟠 first response · 1h 10m left · due Mon 10:00 CET · 71 % ▰▰▰▰▰▰▰▱▱▱``."""
    return _countdown_lines(
        [describe_timer(t, now, ticket.tz) for t in current_timers(ticket.timers)], with_wall
    )


def _countdown_lines(countdowns: Sequence[Countdown], with_wall: bool = True) -> list[str]:
    lines = [f"{SEVERITY_EMOJI[c.severity]} {escape(c.line(with_wall=with_wall))}" for c in countdowns]
    return lines or ["_no SLA clocks running_"]


def ticket_text(ticket: TicketView, now: datetime) -> str:
    """The ticket line and its countdown lines, cut to one section's limit."""
    return _ticket_text(ticket, [describe_timer(t, now, ticket.tz) for t in current_timers(ticket.timers)])


def _ticket_text(ticket: TicketView, countdowns: Sequence[Countdown]) -> str:
    return truncate_text("\n".join([ticket_line(ticket), *_countdown_lines(countdowns)]), SECTION_TEXT_MAX)


def summary_line(tickets: Sequence[TicketView], now: datetime) -> str:
    """``12 open · 🔴 2 breached · 🟠 3 at risk · ⏸️ 1 paused``."""
    return _summary_line(
        [[describe_timer(t, now, ticket.tz) for t in current_timers(ticket.timers)] for ticket in tickets]
    )


def _summary_line(countdowns_of: Sequence[Sequence[Countdown]]) -> str:
    """:func:`summary_line` from each ticket's countdowns."""
    counts = {"breached": 0, "at_risk": 0, "paused": 0}
    for countdowns in countdowns_of:
        severities = {c.severity for c in countdowns}
        for key in ("breached", "at_risk", "paused"):
            if key in severities:
                counts[key] += 1
                break
    parts = [f"{len(countdowns_of)} open" if len(countdowns_of) != 1 else "1 open"]
    if counts["breached"]:
        parts.append(f"🔴 {counts['breached']} breached")
    if counts["at_risk"]:
        parts.append(f"🟠 {counts['at_risk']} at risk")
    if counts["paused"]:
        parts.append(f"⏸️ {counts['paused']} paused")
    return " · ".join(parts)


def ticket_actions(
    ticket: TicketView, *, block_id: str = BlockId.TICKET_ACTIONS, take_it: bool = True
) -> Block:
    """Take it · Pause (waiting on client) / Resume · Resolve / Reopen · Not a ticket · Explain
    (``take_it=False``: without the assignment prompt, on a card a client reads)."""
    ref = ticket.ref
    elements = []
    if ticket.status == "dismissed":  # final: nothing left to do but read why
        return actions([ticket_button("Explain", ActionId.EXPLAIN, ref)], block_id=block_id)
    if ticket.is_resolved:
        elements.append(ticket_button("Reopen", ActionId.REOPEN, ref))
    else:
        if take_it:
            elements.append(
                ticket_button("Take it", ActionId.TAKE_IT, ref, style=None if ticket.assignee else "primary")
            )
        if ticket.is_paused:
            elements.append(ticket_button("Resume", ActionId.RESUME, ref))
        else:
            elements.append(ticket_button("Pause (waiting on client)", ActionId.PAUSE, ref))
        elements.append(resolve_button(ref))
    elements.append(
        ticket_button(
            "Not a ticket",
            ActionId.DISMISS,
            ref,
            confirm={
                "title": plain("Not a ticket?"),
                "text": plain(
                    f"{ref}'s clocks are cancelled and it leaves every report and credit. "
                    "The audit log keeps who dismissed it."
                ),
                "confirm": plain("Dismiss"),
                "deny": plain("Keep it"),
                "style": "danger",
            },
        )
    )
    elements.append(ticket_button("Explain", ActionId.EXPLAIN, ref))
    return actions(elements, block_id=block_id)


# --------------------------------------------------------------------------- /sla status


def status_message(
    tickets: Sequence[TicketView],
    now: datetime,
    *,
    title: str = "Open tickets",
    limit_more_hint: str | None = None,
    empty_text: str = "No open tickets here. 🎉",
    max_blocks: int = MAX_BLOCKS["message"],
    total: int | None = None,
    total_is_exact: bool = True,
) -> list[Block]:
    """The answer to ``/sla status``: a header, a summary, one section per ticket (most urgent first),
    and — when they do not all fit — ``… and 37 more — <how to narrow>``.

    ``limit_more_hint`` is mrkdwn (escape any user text in it). ``total``: when ``tickets`` is only
    the most urgent page of a larger result (e.g. 100,000 open tickets: query the first
    :data:`STATUS_PAGE` by due time and pass the count), the number of matching tickets;
    ``total_is_exact=False`` when it was only counted up to a cap (shown as "1000+").
    """
    blocks: list[Block] = [header(title)]
    if not tickets:
        blocks.append(section(empty_text))
        return blocks
    # each timer described once, for the order, the summary and its line
    pages = [(t, [c for _, c in described(t, now)]) for t in tickets]
    pages.sort(key=lambda page: urgency(*page))
    total = max(total or 0, len(pages))
    room = max_blocks - len(blocks) - 1
    fits = total <= room
    shown = pages if fits else pages[: max(room - 1, 0)]
    plus = "" if total_is_exact else "+"
    if total > len(pages):  # a page of a larger result: its count, not the page's own summary
        summary = f"{total}{plus} open · the {len(shown)} most urgent below"
    else:
        summary = _summary_line([countdowns for _, countdowns in pages])
    blocks.append(context(summary))
    for ticket, countdowns in shown:
        blocks.append(section(_ticket_text(ticket, countdowns), accessory=_explain_button(ticket.ref)))
    hidden = total - len(shown)
    if hidden:
        blocks.append(context(f"… and {hidden}{plus} more — {limit_more_hint or DEFAULT_MORE_HINT}"))
    return blocks


def _explain_button(ref: str) -> Block:
    """``ticket_button("Explain", ActionId.EXPLAIN, ref)``, its encoded value kept per ticket (a page
    has one per ticket; the typed value is checked and encoded once, not in every answer)."""
    return button("Explain", ActionId.EXPLAIN, value=_explain_value(ref))


@lru_cache(maxsize=4096)
def _explain_value(ref: str) -> str | None:
    return ticket_button("Explain", ActionId.EXPLAIN, ref).get("value")


def status_text(tickets: Sequence[TicketView], now: datetime, *, title: str = "Open tickets") -> str:
    """Plain-text fallback (and the terminal's output) of :func:`status_message`, without any cut."""
    ordered = sorted(tickets, key=lambda t: ticket_urgency(t, now))
    lines = [title, summary_line(ordered, now) if ordered else "No open tickets."]
    for ticket in ordered:
        lines.append("")
        lines.append(f"{ticket.name} · {ticket.priority} · {ticket.title} — {ticket.client_name}")
        for timer in current_timers(ticket.timers):
            lines.append("  " + describe_timer(timer, now, ticket.tz).line(with_wall=True))
    return "\n".join(lines)


def ticket_detail(ticket: TicketView, now: datetime) -> list[Block]:
    """One ticket in full: who and where, every metric's clock (with target and pauses), earlier cycles, buttons."""
    blocks: list[Block] = [
        header(escape(f"{ticket.name} · {' '.join(ticket.title.split()) or '(no title)'}")),
        section(
            ticket_line(ticket),
            fields=[
                f"*Client*\n{escape(ticket.client_name)}",
                f"*Priority*\n{escape(ticket.priority)}",
                f"*Status*\n{escape(ticket.status)}",
                f"*Assignee*\n{mention(ticket.assignee) if ticket.assignee else '_unassigned_'}",
            ]
            + ([f"*Channel*\n{channel_mention(ticket.channel_id)}"] if ticket.channel_id else [])
            + ([f"*Requester*\n{mention(ticket.requester)}"] if ticket.requester else []),
        ),
    ]
    current = current_timers(ticket.timers)
    for timer in current:
        c = describe_timer(timer, now, ticket.tz)
        cycle = f" (cycle {timer.cycle})" if timer.cycle > 1 else ""
        facts = [
            f"target {format_duration(timer.target)}"
            + (f" on {escape(timer.calendar_name)} hours" if timer.calendar_name else "")
        ]
        if timer.paused_for.total_seconds() > 0:
            facts.append(f"paused {format_duration(timer.paused_for)} in all")
        lines = [
            f"{c.emoji} *{c.metric_name}*{cycle}",
            escape(c.headline)
            + (f" · {escape(c.due_text)}" if c.due_text else "")
            + (f" ({c.wall_text})" if c.wall_text else ""),
            f"{c.percent} % {c.bar} · " + " · ".join(facts),
        ]
        blocks.append(section("\n".join(lines)))
    if not current:
        blocks.append(section("_no SLA clocks running_"))
    earlier = [t for t in ticket.timers if t not in current and str(t.state) != TimerState.CANCELLED]
    if earlier:
        earlier.sort(key=lambda t: (t.started_at, t.cycle))
        notes = [
            f"{metric_name(t.metric)} #{t.cycle}: {describe_timer(t, now, ticket.tz).headline}"
            for t in earlier
        ]
        blocks.append(context(escape("Earlier cycles: " + "; ".join(notes))))
    blocks.append(ticket_actions(ticket))
    return blocks[: MAX_BLOCKS["message"]]


# --------------------------------------------------------------------------- /sla explain


def explain_message(
    ticket: TicketView,
    timeline: Sequence[TimelineEntry],
    tz: ZoneInfo | None = None,
    *,
    max_blocks: int = MAX_BLOCKS["message"],
) -> list[Block]:
    """The ticket's SLA story (``sla.timers.TimelineEntry`` items: at, event, metric, effect, detail),
    one line per entry in the client's timezone; the latest entries are kept when it is too long."""
    zone = tz or ticket.tz
    blocks: list[Block] = [header(f"Why {escape(ticket.ref)}'s clocks stand where they do")]
    sample = timeline[-1].at.astimezone(zone) if timeline else None
    blocks.append(
        context(
            ticket_line(ticket, assignee=False)
            + f" · times in {zone_abbreviation(sample) if sample else zone.key} ({escape(zone.key)})"
        )
    )
    if not timeline:
        blocks.append(section("_Nothing has happened to this ticket's clocks yet._"))
        return blocks
    lines = [_timeline_line(entry, zone) for entry in timeline]
    chunks = _chunk(lines, SECTION_TEXT_MAX)
    room = max_blocks - len(blocks)
    if len(chunks) > room:
        kept = chunks[-(room - 1) :] if room > 1 else []
        hidden = sum(len(c) for c in chunks[: len(chunks) - len(kept)])
        blocks.append(
            context(
                f'… {hidden} earlier entries not shown — `slabot cmd "explain {escape(ticket.ref)}"` in a terminal prints them all'
            )
        )
        chunks = kept
    blocks.extend(section("\n".join(chunk)) for chunk in chunks)
    return blocks


def _timeline_line(entry: TimelineEntry, zone: ZoneInfo) -> str:
    at = entry.at.astimezone(zone)
    what = f"{metric_name(entry.metric)} {entry.effect}" if entry.metric else str(entry.effect)
    detail = f" — {entry.detail}" if entry.detail else ""
    text = f"{str(entry.event).replace('_', ' ')}: {what}{detail}"
    return truncate_text(f"`{at:%a %d %b %H:%M}` {escape(text)}", 600)


def _chunk(lines: list[str], limit: int) -> list[list[str]]:
    chunks: list[list[str]] = []
    size = 0
    for line in lines:
        if chunks and size + 1 + len(line) <= limit:
            chunks[-1].append(line)
            size += 1 + len(line)
        else:
            chunks.append([line])
            size = len(line)
    return chunks
