"""Tickets opened from Slack threads, for the tests that need one without going through Slack."""

from __future__ import annotations

from typing import Any

from bot.services.tickets import TicketService, TicketState


def open_from_thread(
    tickets: TicketService, team_id: str, channel_id: str, thread_ts: str, **fields: Any
) -> TicketState:
    """The ticket a client's message at ``thread_ts`` in the support channel ``channel_id`` opens
    (source ``slack_thread``; client ``acme`` unless ``client_key`` is given), as the message
    listener opens it; ``fields``: the rest of ``TicketService.open``'s arguments."""
    fields.setdefault("client_key", "acme")
    return tickets.open(
        team_id=team_id, source="slack_thread", channel_id=channel_id, thread_ts=thread_ts, **fields
    )
