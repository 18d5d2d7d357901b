"""Who someone is: an agent (the contract file's listed users, plus the members of its agent user
group), a lead, manager or admin (``roles:``, each client's ``lead``/``roles``, ``SLABOT_ADMINS``), or
a client — as a :class:`sla.roles.Person`, which :func:`sla.roles.may` judges.

User-group membership is read from Slack (``usergroups.users.list``, through the Slack adapter's
:func:`handlers.usergroups.usergroup_members`) and cached for a few minutes per workspace, so
``/sla`` answers stay fast; if Slack cannot be asked, the last known members (or only the listed
users) count — never an exception in a listener.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from bot.clock import Clock
from sla.contracts import ContractBook
from sla.conversation import Writer
from sla.roles import Person, RoleTable, person

CACHE_FOR = timedelta(minutes=5)


#: ``(team_id, usergroup) -> member ids``, or None when Slack cannot be asked (no installation, an error)
MembersOf = Callable[[str, str], frozenset[str] | None]


class AgentDirectory:
    def __init__(
        self,
        book: ContractBook,
        clock: Clock,
        members_of: MembersOf,
        admins: Callable[[], frozenset[str]] = frozenset,
    ) -> None:
        self.book = book
        self.clock = clock
        self.members_of = members_of
        self._admins = admins  # SLABOT_ADMINS, read when asked (settings can change under a test)
        self._table: tuple[frozenset[str], RoleTable] | None = None
        self._members: dict[str, tuple[datetime, frozenset[str]]] = {}
        self._lock = threading.Lock()

    @property
    def roles(self) -> RoleTable:
        """The role table: the contract file's roles with ``SLABOT_ADMINS`` among the admins."""
        admins = self._admins()
        table = self._table
        if table is None or table[0] != admins:
            table = self._table = (admins, self.book.role_table(admins))
        return table[1]

    def person(self, team_id: str, user_id: str | None) -> Person:
        """``user_id``'s roles (the user groups of the role table asked of Slack, cached)."""
        if not user_id:
            return person(self.roles, None)
        groups = [g for g in sorted(self.roles.groups()) if user_id in self._group_members(team_id, g)]
        return person(self.roles, user_id, groups=groups)

    def is_agent(self, team_id: str, user_id: str | None) -> bool:
        if not user_id:
            return False
        if user_id in self.book.agents.users:
            return True
        group = self.book.agents.usergroup
        return bool(group) and user_id in self._group_members(team_id, group)

    def writer(self, team_id: str, user_id: str, client_key: str | None) -> Writer:
        """Who ``user_id`` is in a conversation of ``client_key``'s: an agent, other staff (a lead,
        manager, admin, a user or user-group member the contract lists as internal), or the client."""
        if self.is_agent(team_id, user_id):
            return Writer.AGENT
        if user_id in self._staff_ids() or self.person(team_id, user_id).is_staff:
            return Writer.STAFF
        if client_key is not None and client_key in self.book.clients:
            intake = self.book.conversation_for(client_key).intake
            if user_id in intake.internal_users:
                return Writer.STAFF
            for group in sorted(intake.internal_usergroups):
                if user_id in self._group_members(team_id, group):
                    return Writer.STAFF
        return Writer.CLIENT

    def _staff_ids(self) -> frozenset[str]:
        """Everyone the contract file names on our side (leads, escalation contacts, reviewers)."""
        ids: set[str] = set(self.roles.staff_ids())
        for client in self.book.clients.values():
            if client.lead:
                ids.add(client.lead)
        for version in self.book.all_versions():
            ids.update(x for x in (version.alerts.lead, version.review.lead) if x)
            for level in version.alerts.escalation:
                ids.update(level.notify)
        return frozenset(i for i in ids if i[:1] in ("U", "W"))

    def _group_members(self, team_id: str, group: str) -> frozenset[str]:
        now = self.clock.now()
        key = f"{team_id}:{group}"
        with self._lock:
            cached = self._members.get(key)
        if cached and now - cached[0] < CACHE_FOR:
            return cached[1]
        users = self.members_of(team_id, group)
        if users is None:  # Slack could not say: the last known members, asked again after CACHE_FOR
            users = cached[1] if cached else frozenset()
        with self._lock:
            self._members[key] = (now, users)
        return users
