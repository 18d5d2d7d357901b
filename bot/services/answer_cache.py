"""A short-lived cache of rendered answers (``/sla status``), per workspace.

Agents type ``/sla status`` many times a day, often the same one in the same channel, while the
answer for 100,000 open tickets costs tens of milliseconds of CPU to query and render. The rendered
answer is kept for a few seconds (:data:`DEFAULT_TTL`) per (team, filter, caller scope) key and
dropped at once when any ticket of the team changes (``TicketService.after_commit`` calls
:meth:`AnswerCache.invalidate`), so a change is visible in the very next answer of this process.

- Time moves countdowns: an entry lives at most ``ttl`` (measured on the injected clock), so a
  countdown is never more than a few seconds old.
- Several processes (PostgreSQL): a change made by another process is seen once the entry
  expires, i.e. within ``ttl``.
- Single flight: when an entry is missing, one caller computes it and the others wanting the same
  key wait for that result instead of all computing it at once (a burst at expiry stays cheap).
- Errors are not cached: ``compute`` raising leaves the key empty (and the waiters compute it themselves).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Generic, TypeVar

from bot.clock import Clock

T = TypeVar("T")

DEFAULT_TTL = timedelta(seconds=3)
#: how long a caller waits for another caller's computation of the same key before computing it itself
WAIT_FOR_OTHERS_SECONDS = 5.0


@dataclass
class _Entry(Generic[T]):
    generation: int
    expires_at: datetime
    value: T


@dataclass
class _Flight(Generic[T]):
    done: threading.Event = field(default_factory=threading.Event)
    value: T | None = None
    ok: bool = False


class AnswerCache(Generic[T]):
    def __init__(self, clock: Clock, *, ttl: timedelta = DEFAULT_TTL, max_entries: int = 2048) -> None:
        self.clock = clock
        self.ttl = ttl
        self.max_entries = max_entries
        self._lock = threading.Lock()
        self._generation: dict[str, int] = {}
        self._entries: OrderedDict[tuple[str, Hashable], _Entry[T]] = OrderedDict()
        self._flights: dict[tuple[str, Hashable], _Flight[T]] = {}
        self.hits = 0
        self.misses = 0

    def invalidate(self, team_id: str) -> None:
        """Forget every answer of ``team_id`` (a ticket of the team changed). O(1): runs after every
        ticket change; the new generation makes the team's entries stale (replaced on their next miss)."""
        with self._lock:
            self._generation[team_id] = self._generation.get(team_id, 0) + 1

    def clear(self) -> None:
        with self._lock:
            for team_id in list(self._generation):
                self._generation[team_id] += 1
            self._entries.clear()

    def get_or_compute(self, team_id: str, key: Hashable, compute: Callable[[], T]) -> T:
        full_key = (team_id, key)
        now = self.clock.now()
        with self._lock:
            generation = self._generation.get(team_id, 0)
            entry = self._entries.get(full_key)
            if entry is not None and entry.generation == generation and now < entry.expires_at:
                self.hits += 1
                return entry.value
            self.misses += 1
            flight = self._flights.get(full_key)
            owner = flight is None
            if flight is None:
                flight = self._flights[full_key] = _Flight()
        if not owner:
            if flight.done.wait(WAIT_FOR_OTHERS_SECONDS) and flight.ok:
                return flight.value  # type: ignore[return-value]
            return compute()
        try:
            value = compute()
            flight.value, flight.ok = value, True
        finally:
            with self._lock:
                self._flights.pop(full_key, None)
                if flight.ok and self._generation.get(team_id, 0) == generation:
                    self._entries[full_key] = _Entry(generation, now + self.ttl, value)
                    self._entries.move_to_end(full_key)
                    while len(self._entries) > self.max_entries:
                        self._entries.popitem(last=False)
            flight.done.set()
        return value
