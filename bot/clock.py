"""The one clock of slabot.

Domain code (``sla/``) never reads the time: use cases receive a :class:`Clock` and pass
``clock.now()`` down. Tests and the demo use :class:`ManualClock` to travel in time.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware, in UTC."""
        ...


class SystemClock:
    """Wall-clock time."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that only moves when told to (tests, replays, the demo). Thread-safe."""

    def __init__(self, start: datetime) -> None:
        _require_aware(start)
        self._now = start.astimezone(UTC)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def set(self, instant: datetime) -> None:
        _require_aware(instant)
        with self._lock:
            self._now = instant.astimezone(UTC)

    def advance(self, delta: timedelta) -> datetime:
        with self._lock:
            self._now += delta
            return self._now


class AcceleratedClock:
    """Runs ``speed`` times faster than wall time from ``start`` (the demo's clock)."""

    def __init__(self, start: datetime, speed: float, *, base: Clock | None = None) -> None:
        _require_aware(start)
        self._start = start.astimezone(UTC)
        self._base = base or SystemClock()
        self._t0 = self._base.now()
        self.speed = speed

    def now(self) -> datetime:
        return self._start + (self._base.now() - self._t0) * self.speed


def _require_aware(instant: datetime) -> None:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"naive datetime {instant!r}: slabot only takes timezone-aware datetimes")
