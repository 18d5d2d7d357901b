"""Who may do what, where: slabot's one table of roles (docs/contracts.md#roles).

Pure: the adapters work out *who* asks (a :class:`Person`, from the contract file's ``agents:``,
``roles:`` and clients, ``SLABOT_ADMINS`` and Slack's user-group members) and *where* (a
:class:`Where`: the client the request is about, the client whose channel it is asked in, the
ticket's requester), and ask :func:`may`. Every command, button, modal, App Home view and CLI command
asks here; nothing else decides a permission.

The roles:

- **client** — anyone who is none of the below; a client *of* the client whose channel they write in,
  and of every client that lists them in ``contacts``. A client reads only its own client's things,
  and of tickets only the ones it asked for.
- **agent** — ``agents:`` (listed users and the user group's members): works tickets of every client.
- **lead**, **manager** — ``roles.leads`` / ``roles.managers`` for every client, or a client's own
  ``roles.leads`` / ``roles.managers`` (and its ``lead:``) for that client: read everything of their
  clients (status, reports, contracts, reviews, feedback), change no ticket.
- **admin** — ``roles.admins`` and ``SLABOT_ADMINS``: approve contract revisions, link channels, see
  delivery problems. With no admin at all, agents may link channels and see delivery problems (a new
  install must be usable), but nobody approves a revision.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType


class Role(StrEnum):
    CLIENT = "client"
    AGENT = "agent"
    LEAD = "lead"
    MANAGER = "manager"
    ADMIN = "admin"


#: our side: never a client, never opens a ticket by writing
STAFF = frozenset({Role.AGENT, Role.LEAD, Role.MANAGER, Role.ADMIN})


class Action(StrEnum):
    """Everything a person can ask slabot to do (commands, buttons, modals, views, CLI)."""

    HELP = "help"
    STATUS = "status"  # a ticket, or a list of tickets
    EXPLAIN = "explain"
    CONTRACT = "contract"  # the contract, client-safe
    CONTRACT_FULL = "contract.full"  # with alert channels, leads, escalation
    REPORT = "report"  # read a report (ephemeral)
    REPORT_POST = "report.post"  # post a report in a channel
    FEEDBACK = "feedback"
    REVIEW = "review"  # read the SLA review
    REVIEW_PROPOSE = "review.propose"
    REVIEW_APPROVE = "review.approve"  # approve or discard a revision draft
    TICKET_START = "ticket.start"  # /sla start, the "Track as SLA ticket" shortcut and its modal
    TICKET_WORK = "ticket.work"  # reply, pause, resume, priority, resolve, reopen, assign, take
    TICKET_DISMISS = "ticket.dismiss"  # /sla dismiss, the "Not a ticket" button
    INCIDENT = "incident"  # /sla incident start|resolve|maintenance|list|credits
    CHANNEL_LINK = "channel.link"
    ADMIN_ALERTS = "admin.alerts"  # /sla admin alerts, the App Home's delivery problems
    HOME_TEAM = "home.team"  # the App Home's team part (at risk, breached, compliance)
    SURVEY_ANSWER = "survey.answer"  # the survey's rating buttons and comment modal


@dataclass(frozen=True)
class Rule:
    roles: frozenset[Role]
    #: when nobody is an admin: who stands in for them (empty: nobody)
    without_admins: frozenset[Role] = frozenset()
    #: what to tell someone refused
    refusal: str = ""


_ALL = frozenset(Role)
_READ = frozenset({Role.CLIENT, *STAFF})

#: the one table: action → who may
RULES: Mapping[Action, Rule] = MappingProxyType(
    {
        Action.HELP: Rule(_ALL),
        Action.STATUS: Rule(_READ, refusal="I can't find that ticket among your requests."),
        Action.EXPLAIN: Rule(_READ, refusal="I can't find that ticket among your requests."),
        Action.CONTRACT: Rule(_READ, refusal="You can see the contract of your own organisation only."),
        Action.CONTRACT_FULL: Rule(STAFF),
        Action.REPORT: Rule(_READ, refusal="You can see the report of your own organisation only."),
        Action.REPORT_POST: Rule(STAFF, refusal="Only the support team can post reports in a channel."),
        Action.FEEDBACK: Rule(
            frozenset({Role.AGENT, Role.LEAD, Role.MANAGER, Role.ADMIN}),
            refusal="Only support agents, leads and managers can see feedback figures.",
        ),
        Action.REVIEW: Rule(
            STAFF,
            refusal="SLA reviews are for the support team: ask your account lead for this quarter's review.",
        ),
        Action.REVIEW_PROPOSE: Rule(
            frozenset({Role.AGENT, Role.ADMIN}),
            refusal="Only support agents and admins can propose contract revisions.",
        ),
        Action.REVIEW_APPROVE: Rule(
            frozenset({Role.ADMIN}),
            refusal="Only slabot admins can approve or discard contract revisions. Admins are the users "
            "listed in SLABOT_ADMINS or the contract file's roles.admins; ask one of them.",
        ),
        Action.TICKET_START: Rule(
            frozenset({Role.AGENT}), refusal="Only support agents can start SLA tickets."
        ),
        Action.TICKET_WORK: Rule(
            frozenset({Role.AGENT}),
            refusal="Only support agents can change tickets. Ask an agent in this channel, or your account lead.",
        ),
        Action.TICKET_DISMISS: Rule(
            frozenset({Role.AGENT}),
            refusal="Only support agents can dismiss tickets. Ask an agent in this channel, or your account lead.",
        ),
        Action.INCIDENT: Rule(
            frozenset({Role.AGENT}),
            refusal="Only support agents can record incidents or see uptime and credits.",
        ),
        Action.CHANNEL_LINK: Rule(
            frozenset({Role.ADMIN}),
            without_admins=frozenset({Role.AGENT}),
            refusal="Only slabot's admins (SLABOT_ADMINS or roles.admins) can link channels to clients.",
        ),
        Action.ADMIN_ALERTS: Rule(
            frozenset({Role.ADMIN}),
            without_admins=frozenset({Role.AGENT}),
            refusal="Only slabot's admins (SLABOT_ADMINS or roles.admins) can see delivery problems.",
        ),
        Action.HOME_TEAM: Rule(STAFF),
        Action.SURVEY_ANSWER: Rule(_ALL, refusal="This survey is for the person who asked for help."),
    }
)


@dataclass(frozen=True)
class ClientRoles:
    """A client's own leads and managers (``clients.<key>.roles`` and its ``lead:``)."""

    leads: frozenset[str] = frozenset()
    managers: frozenset[str] = frozenset()
    contacts: frozenset[str] = frozenset()


@dataclass(frozen=True)
class RoleTable:
    """Who holds which role, as the contract file and the settings say (user ids or user-group ids)."""

    agents: frozenset[str] = frozenset()
    admins: frozenset[str] = frozenset()
    leads: frozenset[str] = frozenset()
    managers: frozenset[str] = frozenset()
    clients: Mapping[str, ClientRoles] = field(default_factory=dict)

    def _named(self) -> set[str]:
        """Every id named with a staff role (users and user groups)."""
        ids = set(self.agents | self.admins | self.leads | self.managers)
        for c in self.clients.values():
            ids |= c.leads | c.managers
        return ids

    def groups(self) -> frozenset[str]:
        """The user-group ids (``S…``) named anywhere in the table (their members hold the role)."""
        return frozenset(i for i in self._named() if i.startswith("S"))

    def staff_ids(self) -> frozenset[str]:
        """Every user id (not group) named with a staff role."""
        return frozenset(i for i in self._named() if not i.startswith("S"))


@dataclass(frozen=True)
class Person:
    """One user as the role table sees them."""

    user_id: str
    roles: frozenset[Role] = frozenset()
    #: roles held for some clients only (lead, manager)
    client_roles: Mapping[str, frozenset[Role]] = field(default_factory=dict)
    #: clients that list the user in ``contacts``
    contact_of: frozenset[str] = frozenset()
    #: False when nobody at all is an admin (``Rule.without_admins`` applies)
    admins_exist: bool = True

    @property
    def is_staff(self) -> bool:
        return bool(self.roles & STAFF) or any(r & STAFF for r in self.client_roles.values())

    @property
    def is_agent(self) -> bool:
        return Role.AGENT in self.roles

    def clients_of_staff(self) -> frozenset[str]:
        return frozenset(k for k, r in self.client_roles.items() if r & STAFF)


@dataclass(frozen=True)
class Where:
    """Where a request is made and what it is about."""

    #: the client the request is about (the ticket's, the report's, the contract's); None: every client
    client: str | None = None
    #: the client whose channel the request is typed in (None: an internal channel, a DM, the terminal)
    channel_client: str | None = None
    #: a request about one ticket: its requester (a client sees only its own requests)
    ticket: bool = False
    requester: str | None = None


def person(table: RoleTable, user_id: str | None, *, groups: Iterable[str] = ()) -> Person:
    """The roles of ``user_id``; ``groups`` are the user groups of the table it is a member of."""
    uid = user_id or ""
    mine = {uid, *groups} - {""}

    def holds(ids: frozenset[str]) -> bool:
        return bool(ids & mine)

    roles = {
        role
        for role, ids in (
            (Role.AGENT, table.agents),
            (Role.ADMIN, table.admins),
            (Role.LEAD, table.leads),
            (Role.MANAGER, table.managers),
        )
        if holds(ids)
    }
    per_client: dict[str, frozenset[Role]] = {}
    contact_of = set()
    for key, c in table.clients.items():
        held = {r for r, ids in ((Role.LEAD, c.leads), (Role.MANAGER, c.managers)) if holds(ids)}
        if held:
            per_client[key] = frozenset(held)
        if uid and uid in c.contacts:
            contact_of.add(key)
    return Person(
        user_id=uid,
        roles=frozenset(roles),
        client_roles=MappingProxyType(per_client),
        contact_of=frozenset(contact_of),
        admins_exist=bool(table.admins),
    )


def roles_at(who: Person, where: Where) -> frozenset[Role]:
    """The roles ``who`` holds for ``where``: global ones, the client's own, and client of its channel."""
    held = set(who.roles)
    if where.client is not None:
        held |= who.client_roles.get(where.client, frozenset())
    if not who.is_staff:
        mine = who.contact_of | ({where.channel_client} if where.channel_client else set())
        if where.client is not None and where.client in mine:
            held.add(Role.CLIENT)
    return frozenset(held)


def may(who: Person, action: Action, where: Where = Where()) -> bool:
    """May ``who`` do ``action`` here? (The one answer every surface asks for.)"""
    rule = RULES[action]
    allowed = rule.roles | (rule.without_admins if not who.admins_exist else frozenset())
    if Role.CLIENT in allowed and not who.is_staff:
        if action is Action.HELP or action is Action.SURVEY_ANSWER:
            return True
        if where.ticket:  # a ticket (or a list of them): the client's own requests only, anywhere
            return bool(who.user_id) and where.requester == who.user_id
        return Role.CLIENT in roles_at(who, where)
    return bool(roles_at(who, where) & allowed)


def refusal(action: Action) -> str:
    """What to tell someone :func:`may` said no to."""
    return RULES[action].refusal or "You can't do that here."


__all__ = [
    "RULES",
    "STAFF",
    "Action",
    "ClientRoles",
    "Person",
    "Role",
    "RoleTable",
    "Rule",
    "Where",
    "may",
    "person",
    "refusal",
    "roles_at",
]
