"""The delivery use case's ports and vocabulary (:mod:`bot.services.delivery` uses them; the Slack
adapter, :mod:`handlers.notifier`, fills them in): the metadata slabot's messages carry, how a failed
Slack call is described, what a rendering offers, and the failed notifications admins are shown."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, Protocol

from bot.services.notices import AlertItem
from sla.countdown import TicketView
from storage.uow import UnitOfWork

EVENT_TYPE: Final = "slabot_alert"
#: metadata event type of generic messages (kind ``message``) posted without caller metadata.
MESSAGE_EVENT_TYPE: Final = "slabot_message"
#: key added to a caller's own ``event_payload`` so the message can be found again before a re-post.
METADATA_KEY: Final = "slabot_key"
#: prefix of ``last_error`` when an attempt may have posted (timeout, 5xx): the next one checks first.
UNCONFIRMED: Final = "unconfirmed: "


class Failure(Protocol):
    """How a Slack call failed (:class:`handlers.slack_errors.SlackFailure`)."""

    kind: str  # "ratelimited" | "transient" | "permanent"
    error: str
    retry_after: float | None
    #: Slack's error code when Slack answered; None when the call got no answer
    code: str | None


#: ``(exception, attempts so far) -> Failure``, or None for an exception that is not Slack's (a bug)
Classify = Callable[[BaseException, int], Failure | None]


class DeliveryStop(Exception):
    """A Slack call failed: the unit is recorded failed (permanent) or the channel/run stops (retryable)."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.error)
        self.failure = failure


class Rendered(Protocol):
    """A message ready for ``chat.postMessage`` / ``chat.update`` (``handlers.blocks.Message``)."""

    def as_kwargs(self) -> dict[str, Any]: ...


class AlertRendering(Protocol):
    """What the notices look like (:class:`handlers.notifier.SlackRendering`). ``mention`` lists the
    user/group ids (or ``"here"``/``"channel"``) a notice calls on."""

    def alert(self, item: AlertItem, now: datetime, *, mention: Sequence[str]) -> Rendered: ...

    def digest(self, items: Sequence[AlertItem], now: datetime, *, mention: Sequence[str]) -> Rendered: ...

    def page(self, item: AlertItem, now: datetime, *, mention: Sequence[str]) -> Rendered:
        """The short reply, in an updated alert's thread, that notifies the people it calls on."""
        ...

    def card(self, view: TicketView, now: datetime, *, client: bool = False) -> Rendered:
        """The live status card; ``client``: the client-safe form for a thread a client reads (the
        ticket's own status and countdown, no assignee, no assignment prompt)."""
        ...


@dataclass(frozen=True)
class FailedAlert:
    """A notification that could not be delivered and will not be retried (for admins)."""

    ref: str | None
    kind: str
    channel_id: str | None
    error: str
    attempts: int
    created_at: datetime
    idempotency_key: str


def failed_alerts(uow: UnitOfWork, team_id: str, *, limit: int = 50) -> list[FailedAlert]:
    """Undeliverable alerts of a workspace, newest first (``/sla admin alerts``, App Home)."""
    with uow.begin(read_only=True) as tx:
        rows = tx.outbox.list_failed(team_id=team_id, limit=limit)
    return [
        FailedAlert(
            ref=(row.payload or {}).get("ref"),
            kind=row.kind,
            channel_id=row.channel_id,
            error=row.last_error or "unknown error",
            attempts=row.attempts,
            created_at=row.created_at,
            idempotency_key=row.idempotency_key,
        )
        for row in rows
    ]
