"""Who reads a destination: every place slabot writes to is **internal** (alert and escalation
channels, DMs to staff) or **client-facing** (a client's channels and their threads, DMs to anyone
else). Staff content — assignment prompts, warnings, breach notices with their mentions, escalations,
other clients, credits — goes to internal destinations only; a client-facing one gets at most the
client-safe status card of its own ticket, when the contract's ``alerts.client_thread`` says so.

The rule is fail-safe: a channel the contract file does not name as an alert channel is taken to be
client-facing (an unlisted Slack Connect channel is still a client's), and a channel listed both as a
client's and as an alert channel is the client's (``slabot contracts check`` warns about it).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final, Literal

from sla.contracts.model import ContractBook

#: ``alerts.client_thread``: what a ticket's thread in a client-facing channel shows.
ClientThread = Literal["none", "status"]
CLIENT_THREAD_VALUES: Final[tuple[ClientThread, ...]] = ("none", "status")
DEFAULT_CLIENT_THREAD: Final[ClientThread] = "status"


class Audience(StrEnum):
    INTERNAL = "internal"
    CLIENT = "client"


@dataclass(frozen=True)
class Directory:
    """The channels and people a contract file names, by audience (built once per contract file)."""

    client_channels: frozenset[str]
    internal_channels: frozenset[str]
    staff: frozenset[str]

    @classmethod
    def of(cls, book: ContractBook) -> Directory:
        client_channels = frozenset(c for client in book.clients.values() for c in client.channels)
        internal: set[str] = set()
        roles = book.roles
        staff: set[str] = set(book.agents.users) | roles.admins | roles.leads | roles.managers
        for client in book.clients.values():
            if client.lead:
                staff.add(client.lead)
            staff.update(client.leads | client.managers)
        for contract in book.contracts.values():
            staff.update(contract.conversation.intake.internal_users)
            for version in contract.versions:
                alerts = version.alerts
                if alerts.channel:
                    internal.add(alerts.channel)
                for level in alerts.escalation:
                    if level.channel:
                        internal.add(level.channel)
                    staff.update(n for n in level.notify if n[:1] in ("U", "W"))
                staff.update(who for who in (alerts.lead, version.review.lead) if who)
        return cls(client_channels, frozenset(internal), frozenset(staff))

    def audience(self, destination: str | None) -> Audience:
        """The audience of a channel id (``C…``/``G…``/``D…``) or a user id (``U…``/``W…``: a DM)."""
        if not destination:
            return Audience.CLIENT
        if destination[:1] in ("U", "W"):
            return Audience.INTERNAL if destination in self.staff else Audience.CLIENT
        if destination in self.client_channels:
            return Audience.CLIENT
        return Audience.INTERNAL if destination in self.internal_channels else Audience.CLIENT

    def is_internal(self, destination: str | None) -> bool:
        return self.audience(destination) is Audience.INTERNAL

    def shared_channels(self) -> frozenset[str]:
        """Channels named both as a client's and as an alert channel (treated as the client's)."""
        return self.client_channels & self.internal_channels


def channel_audience(book: ContractBook, destination: str | None) -> Audience:
    """Whether ``destination`` (a channel or user id) is read by staff only or by a client too (builds
    the :class:`Directory`; hold one from :meth:`Directory.of` to ask many times)."""
    return Directory.of(book).audience(destination)
