"""The names the SLA engine shares: which clocks exist, what can happen to a ticket, and a timer's states.

Kept in a tiny module of its own so that ``sla.contracts`` and ``sla.timers`` can both
import it without importing each other (``sla.timers`` re-exports these names).
"""

from __future__ import annotations

from enum import StrEnum


class Metric(StrEnum):
    """A clock a contract can put a target on."""

    FIRST_RESPONSE = "first_response"
    NEXT_RESPONSE = "next_response"
    PERIODIC_UPDATE = "periodic_update"
    RESOLUTION = "resolution"


class EventKind(StrEnum):
    """Something that happened to a ticket."""

    OPENED = "opened"
    CLIENT_MESSAGE = "client_message"
    AGENT_MESSAGE = "agent_message"
    STATUS = "status"
    PRIORITY = "priority"
    RESOLVED = "resolved"
    REOPENED = "reopened"
    CLOSED = "closed"
    #: not a request after all ("Not a ticket", ``/sla dismiss``): final, and every clock of the
    #: ticket — met and breached ones too — is cancelled, so it counts in no report or credit
    DISMISSED = "dismissed"


class TicketStatus(StrEnum):
    """A ticket's built-in statuses (a contract may name more in ``statuses``/``pause_on``: those stay
    plain strings). ``resolved``, ``closed`` and ``dismissed`` are reached by events of their own,
    never set with a ``status`` event. Members are strings, so stored values and comparisons read as
    before."""

    OPEN = "open"
    WAITING_ON_CLIENT = "waiting_on_client"
    ON_HOLD = "on_hold"
    RESOLVED = "resolved"
    CLOSED = "closed"
    #: not a ticket after all (``/sla dismiss``): every clock cancelled
    DISMISSED = "dismissed"

    @property
    def is_final(self) -> bool:
        """Resolved or closed: the ticket's clocks are stopped."""
        return self in FINAL_STATUSES


#: statuses a ``status`` event may set without the contract naming them
SETTABLE_STATUSES: frozenset[TicketStatus] = frozenset(
    {TicketStatus.OPEN, TicketStatus.WAITING_ON_CLIENT, TicketStatus.ON_HOLD}
)
#: statuses reached by their own event, never set with a ``status`` event (``resolved``, ``closed``)
EVENT_STATUSES: frozenset[TicketStatus] = frozenset({TicketStatus.RESOLVED, TicketStatus.CLOSED})
#: statuses of a ticket that is done: its clocks are stopped (resolved, closed, dismissed)
FINAL_STATUSES: frozenset[TicketStatus] = EVENT_STATUSES | {TicketStatus.DISMISSED}


def is_final_status(status: str | None) -> bool:
    """A stored status (a string, maybe a contract's own) is resolved or closed."""
    return (status or "").lower() in FINAL_STATUSES


class TimerState(StrEnum):
    """Where one metric's clock stands."""

    RUNNING = "running"
    PAUSED = "paused"
    MET = "met"
    BREACHED = "breached"
    CANCELLED = "cancelled"
