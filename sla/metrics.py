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


class TimerState(StrEnum):
    """Where one metric's clock stands."""

    RUNNING = "running"
    PAUSED = "paused"
    MET = "met"
    BREACHED = "breached"
    CANCELLED = "cancelled"
