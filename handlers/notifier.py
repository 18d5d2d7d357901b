"""The notifier's Slack side: what alerts, digests and status cards look like, and what a failed
Slack call means. :class:`Notifier` is :class:`bot.services.delivery.OutboxDelivery` with these
two ports filled in (rendering with ``handlers.blocks``, failures by :mod:`handlers.slack_errors`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from slack_sdk import WebClient

from bot.services.delivery import (
    EVENT_TYPE,
    MESSAGE_EVENT_TYPE,
    METADATA_KEY,
    UNCONFIRMED,
    AlertRendering,
    Classify,
    DeliveryStats,
    FailedAlert,
    OutboxDelivery,
    failed_alerts,
)
from bot.services.notices import AlertItem
from handlers import slack_errors
from handlers.blocks import Message, mention
from handlers.blocks.alerts import (
    breach_message,
    digest_message,
    escalation_message,
    met_message,
    page_message,
    warning_message,
)
from handlers.blocks.tickets import ticket_card
from handlers.slack_errors import PERMANENT_ERRORS, TRANSIENT_ERRORS, UNKNOWN_ERROR_ATTEMPTS
from sla.countdown import TicketView


def notifier_web_client(token: str, *, base_url: str, timeout: int = 15) -> WebClient:
    """A ``WebClient`` for the notifier: no retry handlers (the outbox retries, without blocking)."""
    return WebClient(token=token, base_url=base_url, timeout=timeout, retry_handlers=[])


def mentions(who: Sequence[str]) -> str | None:
    """``<@U1> <!subteam^S1>`` for a notice's mention list (None when it names nobody)."""
    return " ".join(mention(w, specials=True) for w in who if w) or None


class SlackRendering:
    """Alerts, digests and the live status card as Block Kit messages (``handlers.blocks``)."""

    def alert(self, item: AlertItem, now: datetime, *, mention: Sequence[str]) -> Message:
        who = mentions(mention)
        if item.kind == "warning":
            return warning_message(item.ticket, item.timer, item.threshold, now, late_by=item.late_by)
        if item.kind == "breach":
            return breach_message(item.ticket, item.timer, now, mention=who, late_by=item.late_by)
        if item.kind == "escalation":
            return escalation_message(
                item.ticket, item.timer, now, level=item.level or 1, mention=who, late_by=item.late_by
            )
        return met_message(item.ticket, item.timer, now)

    def digest(self, items: Sequence[AlertItem], now: datetime, *, mention: Sequence[str]) -> Message:
        return digest_message(list(items), now, mention=mentions(mention))

    def page(self, item: AlertItem, now: datetime, *, mention: Sequence[str]) -> Message:
        return page_message(item, now, mention=mentions(mention))

    def card(self, view: TicketView, now: datetime, *, client: bool = False) -> Message:
        return ticket_card(view, now, client=client)


class Notifier(OutboxDelivery):
    """Delivers outbox rows to Slack (see :mod:`bot.services.delivery` for how)."""

    def __init__(
        self,
        *,
        rendering: AlertRendering | None = None,
        classify: Classify | None = None,
        **options: Any,
    ) -> None:
        super().__init__(
            rendering=rendering or SlackRendering(),
            classify=classify or slack_errors.classify,
            **options,
        )


__all__ = [
    "EVENT_TYPE",
    "MESSAGE_EVENT_TYPE",
    "METADATA_KEY",
    "PERMANENT_ERRORS",
    "TRANSIENT_ERRORS",
    "UNCONFIRMED",
    "UNKNOWN_ERROR_ATTEMPTS",
    "DeliveryStats",
    "FailedAlert",
    "Notifier",
    "SlackRendering",
    "failed_alerts",
    "mentions",
    "notifier_web_client",
]
