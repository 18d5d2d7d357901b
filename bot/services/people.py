"""Who is an agent: the contract file's listed users, plus the members of its agent user group.

User-group membership is read from Slack (``usergroups.users.list``) and cached for a few
minutes per workspace, so ``/sla`` answers stay fast; if Slack cannot be asked, the last
known members (or only the listed users) count — never an exception in a listener.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.clock import Clock
from sla.contracts import ContractBook

log = logging.getLogger(__name__)

CACHE_FOR = timedelta(minutes=5)


class AgentDirectory:
    def __init__(
        self, book: ContractBook, clock: Clock, client_for: Callable[[str], WebClient | None]
    ) -> None:
        self.book = book
        self.clock = clock
        self.client_for = client_for
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
        client = self.client_for(team_id)
        if client is None:
            return cached[1] if cached else frozenset()
        try:
            users = frozenset(client.usergroups_users_list(usergroup=group).get("users") or ())
        except (SlackApiError, OSError) as exc:
            log.warning("could not read agent user group %s of %s: %s", group, team_id, exc)
            return cached[1] if cached else frozenset()
        with self._lock:
            self._members[team_id] = (now, users)
        return users
