"""The App Home tab: my open tickets with countdowns, the team's at-risk and breached tickets, this
week's compliance and, for admins, alerts that could not be delivered. At most 100 blocks."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from handlers.blocks import Block, actions, button, context, divider, header, section, ticket_button
from handlers.blocks.limits import MAX_BLOCKS, SECTION_TEXT_MAX, escape, truncate_text
from handlers.blocks.status import ticket_text
from handlers.ids import ActionId
from sla.countdown import TicketView, ticket_urgency

#: Most tickets listed per part, so one busy part cannot crowd out the others.
PART_MAX = 25


def home_view(
    user_tickets: Sequence[TicketView],
    team_at_risk: Sequence[TicketView],
    team_breached: Sequence[TicketView],
    compliance_lines: Sequence[str],
    admin_alerts: Sequence[str] | None = None,
    *,
    now: datetime,
) -> dict[str, Any]:
    """``views.publish`` payload (``{"type": "home", "blocks": [...]}``).

    ``compliance_lines`` are ready-made lines ("P1 first response: 18/20 met · 90 %"), escaped here;
    ``admin_alerts`` (None for non-admins) are delivery problems ("#acme-alerts: not_in_channel since Mon").
    """
    blocks: list[Block] = [
        header("Your SLA desk"),
        actions([button("Refresh", ActionId.HOME_REFRESH)]),
    ]
    parts: list[tuple[str, Sequence[TicketView], str]] = [
        ("Your open tickets", user_tickets, "Nothing assigned to you. 🎉"),
        ("🔴 Breached (team)", team_breached, "No breached tickets."),
        ("🟠 At risk (team)", team_at_risk, "Nothing at risk."),
    ]
    # Fixed blocks: header+refresh (2), per part divider+header+(empty|more) (3 each),
    # compliance divider+header+section (3), admin divider+header+section (3).
    fixed = 2 + 3 * len(parts) + 3 + (3 if admin_alerts is not None else 0)
    budget = MAX_BLOCKS["home"] - fixed
    per_part = min(PART_MAX, budget // len(parts))
    for title, tickets, empty in parts:
        blocks += [divider(), header(f"{title} · {len(tickets)}" if tickets else title)]
        if not tickets:
            blocks.append(context(empty))
            continue
        ordered = sorted(tickets, key=lambda t: ticket_urgency(t, now))
        for ticket in ordered[:per_part]:
            blocks.append(
                section(
                    ticket_text(ticket, now), accessory=ticket_button("Explain", ActionId.EXPLAIN, ticket.ref)
                )
            )
        if len(ordered) > per_part:
            blocks.append(context(f"… and {len(ordered) - per_part} more — `/sla status` lists them all"))
    blocks += [divider(), header("This week's compliance")]
    if compliance_lines:
        blocks.append(section(_lines(compliance_lines)))
    else:
        blocks.append(context("No tickets closed this week yet."))
    if admin_alerts is not None:
        blocks += [divider(), header("⚠️ Alerts that could not be delivered")]
        if admin_alerts:
            blocks.append(section(_lines(admin_alerts) + "\n_`/sla admin alerts` for details_"))
        else:
            blocks.append(context("All alerts delivered."))
    return {"type": "home", "blocks": blocks[: MAX_BLOCKS["home"]]}


def _lines(lines: Sequence[str]) -> str:
    """Bulleted, escaped, cut to one section with a count of what did not fit."""
    out: list[str] = []
    size = 0
    for i, line in enumerate(lines):
        item = "• " + escape(truncate_text(" ".join(line.split()), 300))
        rest = len(lines) - i - 1
        if size + len(item) + 40 > SECTION_TEXT_MAX and rest >= 0:
            out.append(f"… and {len(lines) - i} more")
            break
        out.append(item)
        size += len(item) + 1
    return "\n".join(out)
