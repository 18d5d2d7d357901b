"""The ``/sla`` language's values: what a command names (people, channels, periods, targets) and the
frozen commands :func:`bot.grammar.parse` returns, with :class:`UsageError` for what it did not understand."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

from sla import periods
from sla.periods import Period

# --------------------------------------------------------------------------- values


@dataclass(frozen=True)
class UserRef:
    """A Slack user as typed: ``<@U123|maria>`` (id and name), ``@maria`` (name only), or ``me``."""

    user_id: str | None = None
    name: str | None = None
    me: bool = False


@dataclass(frozen=True)
class ChannelRef:
    """A channel as typed: ``<#C123|support>`` (id and name), ``<#C123>`` or ``#support`` (name only)."""

    channel_id: str | None = None
    name: str | None = None


@dataclass(frozen=True)
class PeriodSpec:
    """A reporting period as typed, checked by :func:`sla.periods.parse_period` (the one reading of
    periods). ``text`` is what to resolve later with :meth:`resolve` (``now`` and the client's zone
    decide what ``week`` means); ``label`` is the canonical form (``2026-W47``) or the word itself."""

    text: str
    label: str
    kind: str
    """``day`` / ``week`` / ``month`` / ``quarter`` / ``year`` / ``range`` (from ``sla.periods``)."""
    relative: bool
    """True for words such as ``week`` or ``last-month`` whose meaning depends on ``now``."""

    @property
    def is_quarter(self) -> bool:
        return self.kind == "quarter"

    def resolve(self, now: datetime, tz: ZoneInfo | str) -> Period:
        """The period as of ``now`` on the calendar of ``tz`` (raises ``sla.periods.PeriodError`` only if
        ``now`` pushes a date out of range)."""
        return periods.parse_period(self.text, now=now, tz=tz)


# --------------------------------------------------------------------------- status targets


@dataclass(frozen=True)
class DefaultTarget:
    """This channel's client, or my tickets in a DM."""


@dataclass(frozen=True)
class TicketTarget:
    ref: str


@dataclass(frozen=True)
class UserTarget:
    user: UserRef


@dataclass(frozen=True)
class ChannelTarget:
    channel: ChannelRef


@dataclass(frozen=True)
class ClientTarget:
    client: str


@dataclass(frozen=True)
class BreachedTarget:
    pass


@dataclass(frozen=True)
class AtRiskTarget:
    pass


@dataclass(frozen=True)
class MineTarget:
    pass


@dataclass(frozen=True)
class AllTarget:
    pass


StatusTarget = (
    DefaultTarget
    | TicketTarget
    | UserTarget
    | ChannelTarget
    | ClientTarget
    | BreachedTarget
    | AtRiskTarget
    | MineTarget
    | AllTarget
)

# --------------------------------------------------------------------------- commands


@dataclass(frozen=True)
class Help:
    topic: str | None = None


@dataclass(frozen=True)
class Status:
    target: StatusTarget = DefaultTarget()


@dataclass(frozen=True)
class Start:
    """``ref`` None: a new ticket gets the next ref. ``title`` None: take it from the message/thread."""

    ref: str | None = None
    priority: str | None = None
    client: str | None = None
    title: str | None = None


@dataclass(frozen=True)
class Reply:
    ref: str


@dataclass(frozen=True)
class Pause:
    ref: str
    reason: str | None = None


@dataclass(frozen=True)
class Resume:
    ref: str


@dataclass(frozen=True)
class Priority:
    ref: str
    priority: str


@dataclass(frozen=True)
class Assign:
    ref: str
    user: UserRef


@dataclass(frozen=True)
class Resolve:
    ref: str


@dataclass(frozen=True)
class Reopen:
    ref: str


@dataclass(frozen=True)
class Dismiss:
    """``dismiss T-12 [reason]``: not a request after all (no clock, no report, no credit)."""

    ref: str
    reason: str | None = None


@dataclass(frozen=True)
class Explain:
    ref: str


@dataclass(frozen=True)
class Contract:
    client: str | None = None


@dataclass(frozen=True)
class Report:
    period: PeriodSpec | None = None
    client: str | None = None
    #: ``post``: show it to the channel, not only to the asker (staff, in a client's channel)
    post: bool = False


@dataclass(frozen=True)
class Review:
    client: str
    quarter: PeriodSpec | None = None


@dataclass(frozen=True)
class Feedback:
    client: str | None = None
    period: PeriodSpec | None = None


@dataclass(frozen=True)
class MaintenanceSpec:
    """A planned-maintenance window as typed: ``2026-12-05T02:00..04:00`` (``end`` after ``start``).

    Naive datetimes are wall-clock times of the service's client (the use case resolves them);
    ``Z`` or an offset (``+01:00``) makes them absolute."""

    start: datetime
    end: datetime


@dataclass(frozen=True)
class Incident:
    """``incident start|resolve|maintenance <service> …``, ``incident list|credits [client] [month]``."""

    action: Literal["start", "resolve", "list", "maintenance", "credits"]
    service: str | None = None
    reason: str | None = None
    client: str | None = None
    period: PeriodSpec | None = None
    window: MaintenanceSpec | None = None


@dataclass(frozen=True)
class Link:
    channel: ChannelRef
    client: str


@dataclass(frozen=True)
class Admin:
    sub: Literal["alerts"]
    args: tuple[str, ...] = ()


Command = (
    Help
    | Status
    | Start
    | Reply
    | Pause
    | Resume
    | Priority
    | Assign
    | Resolve
    | Reopen
    | Dismiss
    | Explain
    | Contract
    | Report
    | Review
    | Feedback
    | Incident
    | Link
    | Admin
)


@dataclass(frozen=True)
class UsageError:
    """What went wrong, for the person who typed it, and the usage of the command concerned."""

    message: str
    usage: str

    @property
    def text(self) -> str:
        return f"{self.message}\n{self.usage}" if self.usage else self.message


__all__ = [
    "Admin",
    "AllTarget",
    "Assign",
    "AtRiskTarget",
    "BreachedTarget",
    "ChannelRef",
    "ChannelTarget",
    "ClientTarget",
    "Command",
    "Contract",
    "DefaultTarget",
    "Dismiss",
    "Explain",
    "Feedback",
    "Help",
    "Incident",
    "Link",
    "MaintenanceSpec",
    "MineTarget",
    "Pause",
    "PeriodSpec",
    "Priority",
    "Reopen",
    "Reply",
    "Report",
    "Resolve",
    "Resume",
    "Review",
    "Start",
    "Status",
    "StatusTarget",
    "TicketTarget",
    "UsageError",
    "UserRef",
    "UserTarget",
]
