"""Keeps published App Home tabs current: when a ticket changes, the Home of each user of that
workspace who opened it is published again — later, in a background thread, debounced.

- ``opened(team, user)`` remembers a viewer (``app_home_opened``); at most ``max_viewers`` per
  process are kept, the least recently opened forgotten first.
- ``changed(change)`` is a ``TicketService.after_commit`` listener: it only marks the team dirty and
  wakes the thread, so the request that changed the ticket never waits for Slack.
- The thread waits ``debounce`` seconds after the first change, so a burst of changes (an import, a
  sweep of breaches) costs one publish per viewer, then publishes every viewer of each dirty team.
  Every agent's Home shows the team's at-risk and breached tickets, so any ticket change of the team
  may move it. A failed publish is logged and skipped (the next change or opening publishes again).
- Viewers live in this process's memory: after a restart, a user's next opening registers them again.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

Publish = Callable[[str, str], None]  # (team_id, user_id) -> publish that user's Home


class HomeRefresher:
    def __init__(self, publish: Publish, *, debounce: float = 2.0, max_viewers: int = 2000) -> None:
        self.publish = publish
        self.debounce = debounce
        self.max_viewers = max_viewers
        self._viewers: OrderedDict[tuple[str, str], None] = OrderedDict()
        self._viewer_count: dict[str, int] = {}  # per team: ``mark`` runs after every ticket change
        self._dirty: set[str] = set()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._idle = threading.Event()
        self._idle.set()
        self._stopped = False
        self._thread: threading.Thread | None = None
        self.published = 0

    def opened(self, team_id: str, user_id: str) -> None:
        if not team_id or not user_id:
            return
        with self._lock:
            if (team_id, user_id) not in self._viewers:
                self._viewer_count[team_id] = self._viewer_count.get(team_id, 0) + 1
            self._viewers[(team_id, user_id)] = None
            self._viewers.move_to_end((team_id, user_id))
            while len(self._viewers) > self.max_viewers:
                (team, _), _ = self._viewers.popitem(last=False)
                self._viewer_count[team] -= 1

    def viewers(self, team_id: str) -> list[str]:
        with self._lock:
            return [user for (team, user) in self._viewers if team == team_id]

    def changed(self, change: Any) -> None:
        """``TicketService.after_commit`` listener: never blocks, never raises."""
        self.mark(change.team_id)

    def mark(self, team_id: str) -> None:
        with self._lock:
            if self._stopped or not self._viewer_count.get(team_id):
                return
            self._dirty.add(team_id)
            self._idle.clear()
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="slabot-home-refresh", daemon=True)
                self._thread.start()
        self._wake.set()

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """Until every pending refresh went out (tests, shutdown)."""
        return self._idle.wait(timeout)

    def close(self) -> None:
        with self._lock:
            self._stopped = True
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while True:
            self._wake.wait()
            if self._stopped:
                self._idle.set()
                return
            if self.debounce > 0:
                threading.Event().wait(self.debounce)  # let a burst of changes collapse into one refresh
            with self._lock:
                self._wake.clear()
                teams, self._dirty = self._dirty, set()
            for team_id in sorted(teams):
                for user_id in self.viewers(team_id):
                    try:
                        self.publish(team_id, user_id)
                        self.published += 1
                    except Exception:
                        log.exception("could not refresh the App Home of %s in %s", user_id, team_id)
            with self._lock:
                if not self._dirty:
                    self._idle.set()
