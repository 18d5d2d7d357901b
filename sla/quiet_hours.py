"""Quiet hours: when alerts that do not page wait (``alerts.quiet_hours`` of a contract version).

During quiet hours a warning — and a breach of a priority that does not page — is held until they
end, then delivered (merged into a digest when several are due for one channel). What pages still
goes out at once: every escalation, and breaches of the priorities listed in ``page`` (by default
the contract's most urgent priority). Business-hours targets need none of this: their calendar is
closed at night, so they have no alert instants then; quiet hours are for targets on ``24x7``-like
calendars.

Pure: the instant is an argument (no clock is read here).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Final
from zoneinfo import ZoneInfo

_SPAN: Final = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


def parse_span(text: str) -> tuple[time, time]:
    """``"22:00-07:00"`` → (22:00, 07:00); ``ValueError`` with a hint otherwise. The span may wrap
    past midnight; start and end must differ."""
    m = _SPAN.match(text or "")
    if not m:
        raise ValueError(f"quiet hours look like '22:00-07:00' (from-to, local time), not {text!r}")
    h1, m1, h2, m2 = (int(g) for g in m.groups())
    if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59 or (h2 == 24 and m2):
        raise ValueError(f"{text!r} is not a time of day span — write e.g. '22:00-07:00'")
    start, end = time(h1, m1), time(0, 0) if h2 == 24 else time(h2, m2)
    if start == end:
        raise ValueError(f"{text!r} starts where it ends — quiet hours need a from and a different to")
    return start, end


@dataclass(frozen=True)
class QuietHours:
    """Local ``start``–``end`` (wrapping past midnight when ``end <= start``) in ``timezone``;
    ``page``: the priorities whose breaches still go out during quiet hours."""

    start: time
    end: time
    timezone: ZoneInfo
    page: frozenset[str]
    text: str = ""

    def _window(self, day: date) -> tuple[datetime, datetime]:
        begin = datetime.combine(day, self.start, tzinfo=self.timezone)
        finish_day = day + timedelta(days=1) if self.end <= self.start else day
        finish = datetime.combine(finish_day, self.end, tzinfo=self.timezone)
        return begin, finish

    def release_at(self, at: datetime) -> datetime | None:
        """The end of the quiet hours ``at`` falls in (UTC), or None when ``at`` is not in quiet hours."""
        if at.tzinfo is None:
            raise ValueError("at must be timezone-aware")
        local = at.astimezone(self.timezone)
        for day in (local.date() - timedelta(days=1), local.date()):
            begin, finish = self._window(day)
            if begin <= local < finish:
                return finish.astimezone(ZoneInfo("UTC"))
        return None

    def pages(self, kind: str, priority: str | None) -> bool:
        """Whether an alert of ``kind`` (warning, breach, escalation) for ``priority`` goes out anyway."""
        if kind == "escalation":
            return True
        return kind == "breach" and priority in self.page

    def held_until(self, kind: str, priority: str | None, at: datetime) -> datetime | None:
        """When an alert due ``at`` may go out: None = now; else the end of these quiet hours."""
        if self.pages(kind, priority):
            return None
        return self.release_at(at)
