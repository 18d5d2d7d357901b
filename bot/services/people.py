"""Who is an agent: the contract file's listed users, plus the members of its agent user group.

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

CACHE_FOR = timedelta(minutes=5)


#: ``(team_id, usergroup) -> member ids``, or None when Slack cannot be asked (no installation, an error)
MembersOf = Callable[[str, str], frozenset[str] | None]


class AgentDirectory:
    def __init__(self, book: ContractBook, clock: Clock, members_of: MembersOf) -> None:
        self.book = book
        self.clock = clock
        self.members_of = members_of
        self._members: dict[str, tuple[datetime, frozenset[str]]] = {}
        self._lock = threading.Lock()

    def is_agent(self, team_id: str, user_id: str | None) -> bool:
        if not user_id:
            return False
        if user_id in self.book.agents.users:
            return True
        return user_id in self._group_members(team_id)

    def _group_members(self, team_id: str) -> frozenset[str]:
        group = self.book.agents.usergroup
        if not group:
            return frozenset()
        now = self.clock.now()
        with self._lock:
            cached = self._members.get(team_id)
        if cached and now - cached[0] < CACHE_FOR:
            return cached[1]
        users = self.members_of(team_id, group)
        if users is None:
            return cached[1] if cached else frozenset()
        with self._lock:
            self._members[team_id] = (now, users)
        return users
