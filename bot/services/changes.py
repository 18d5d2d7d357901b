"""What just happened to a ticket, as the ticket use cases tell their listeners (kept apart from
:mod:`bot.services.tickets` so that listeners such as :mod:`bot.services.notices` need not import it)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sla.contracts import ContractVersion
from sla.timers import MetricTimer
from storage.models import Ticket
from storage.uow import Transaction


@dataclass(frozen=True)
class TicketChange:
    """What just happened to a ticket, for listeners (live status card, surveys, caches, App Home).

    ``kind`` is the event kind (``opened``, ``resolved``, ...) or ``"assigned"``; ``timers`` are the
    ticket's clocks at ``now`` after the change."""

    team_id: str
    ticket: Ticket
    version: ContractVersion
    kind: str
    timers: list[MetricTimer]
    now: datetime
    actor: str | None = None
    at: datetime | None = None


#: runs inside the change's transaction (write outbox rows, survey rows ... atomically with it)
ChangeListener = Callable[[Transaction, TicketChange], None]
#: runs after the commit (invalidate caches, refresh views); failures are logged, never raised
CommitListener = Callable[[TicketChange], None]
