"""Reporting periods: the weeks, months, quarters and date ranges reports are asked for.

A :class:`Period` is a half-open interval ``[start, end)`` of aware instants (stored in UTC)
together with the time zone whose calendar defined it, so "November" means November in the
client's (or the workspace's) zone, not in UTC.

Words people type (``/sla report week``) and what they mean, with ``now`` and ``tz`` given:

===================  ============================================================
``week``             the last **complete** ISO week (Monday 00:00 – Monday 00:00);
                     same as ``last-week``
``this-week``        the current ISO week so far (Monday 00:00 – ``now``)
``month``            the last complete calendar month; same as ``last-month``
``this-month``       the current month so far
``quarter``          the last complete calendar quarter; same as ``last-quarter``
``this-quarter``     the current quarter so far
``yesterday``        the previous calendar day; ``today`` = today so far
``2026-11``          a calendar month
``2026-W47``         an ISO week
``2026-Q4``          a calendar quarter
``2026``             a calendar year
``2026-11-05``       one day
``2026-11-01..2026-11-30``  a date range, **both dates included**
``last-30-days``     the last 30 calendar days **including today** (``30d`` too)
===================  ============================================================

"Complete" periods are chosen for the bare words because a weekly summary posted on Monday
morning is about the week that has just ended. A period may reach into the future (``2026-12``
asked on 3 December); report code measures up to ``now`` where that matters (uptime does).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

PeriodKind = Literal["day", "week", "month", "quarter", "year", "range"]

ACCEPTED_FORMS = (
    "week (last complete week)",
    "this-week",
    "last-week",
    "month (last complete month)",
    "this-month",
    "last-month",
    "quarter (last complete quarter)",
    "this-quarter",
    "last-quarter",
    "yesterday",
    "today",
    "2026-11 (a month)",
    "2026-W47 (an ISO week)",
    "2026-Q4",
    "2026 (a year)",
    "2026-11-05 (a day)",
    "2026-11-01..2026-11-30 (dates included)",
    "last-30-days (today included)",
)


class PeriodError(ValueError):
    """A period the user typed that cannot be read; the message lists what is accepted."""


@dataclass(frozen=True)
class Period:
    """``[start, end)`` in UTC, defined on the calendar of ``tz``."""

    start: datetime
    end: datetime
    label: str
    tz: ZoneInfo = field(default=ZoneInfo("UTC"))
    kind: PeriodKind = "range"
    complete: bool = True
    """False for "so far" periods (``this-week``): the end is ``now``, not the unit's end."""
    text: str | None = field(default=None, compare=False)
    """What was typed (``2026-11``, ``this-month``), when the period was read from text: the same
    words read on another client's calendar give that client's period (:func:`in_zone`)."""

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("a period needs timezone-aware start and end")
        if self.end <= self.start:
            raise ValueError(f"a period must end after it starts: {self.start} .. {self.end}")
        object.__setattr__(self, "start", self.start.astimezone(UTC))
        object.__setattr__(self, "end", self.end.astimezone(UTC))

    @property
    def duration(self) -> timedelta:
        return self.end - self.start

    def contains(self, t: datetime) -> bool:
        return self.start <= t < self.end

    @property
    def first_day(self) -> date:
        return self.start.astimezone(self.tz).date()

    @property
    def last_day(self) -> date:
        """The last local date the period touches (the end is exclusive)."""
        return (self.end - timedelta(microseconds=1)).astimezone(self.tz).date()

    def describe(self) -> str:
        """``2026-W47 (Mon 16 Nov – Sun 22 Nov 2026, Europe/Berlin)``."""
        a, b = self.first_day, self.last_day
        span = _fmt_day(a) if a == b else f"{_fmt_day(a, year=a.year != b.year)} – {_fmt_day(b)}"
        so_far = ", so far" if not self.complete else ""
        return f"{self.label} ({span}{so_far}, {self.tz.key})"


def _fmt_day(d: date, *, year: bool = True) -> str:
    text = f"{d:%a} {d.day} {d:%b}"
    return f"{text} {d.year}" if year else text


def _zone(tz: ZoneInfo | str) -> ZoneInfo:
    if isinstance(tz, ZoneInfo):
        return tz
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise PeriodError(f"unknown time zone {tz!r} — use an IANA name such as Europe/Berlin") from exc


def _midnight(d: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(d, time(0), tzinfo=tz).astimezone(UTC)


def _add_months(year: int, month: int, n: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + n
    return index // 12, index % 12 + 1


def _unit_start(kind: PeriodKind, d: date) -> date:
    if kind == "day":
        return d
    if kind == "week":
        return d - timedelta(days=d.weekday())
    if kind == "month":
        return d.replace(day=1)
    if kind == "quarter":
        return date(d.year, (d.month - 1) // 3 * 3 + 1, 1)
    if kind == "year":
        return date(d.year, 1, 1)
    raise ValueError(kind)


def _shift(kind: PeriodKind, d: date, n: int) -> date:
    """The unit start ``n`` units after the unit starting at ``d``."""
    if kind == "day":
        return d + timedelta(days=n)
    if kind == "week":
        return d + timedelta(weeks=n)
    months = {"month": 1, "quarter": 3, "year": 12}[kind]
    y, m = _add_months(d.year, d.month, n * months)
    return date(y, m, 1)


def _label(kind: PeriodKind, d: date) -> str:
    if kind == "day":
        return d.isoformat()
    if kind == "week":
        iso = d.isocalendar()
        return f"{iso.year}-W{iso.week:02d}"
    if kind == "month":
        return f"{d.year}-{d.month:02d}"
    if kind == "quarter":
        return f"{d.year}-Q{(d.month - 1) // 3 + 1}"
    if kind == "year":
        return str(d.year)
    raise ValueError(kind)


def unit(kind: PeriodKind, start_day: date, tz: ZoneInfo | str) -> Period:
    """The whole calendar unit (day/week/month/quarter/year) that starts on ``start_day``."""
    zone = _zone(tz)
    first = _unit_start(kind, start_day)
    return Period(
        _midnight(first, zone), _midnight(_shift(kind, first, 1), zone), _label(kind, first), zone, kind
    )


def _so_far(kind: PeriodKind, now: datetime, tz: ZoneInfo) -> Period:
    first = _unit_start(kind, now.astimezone(tz).date())
    start = _midnight(first, tz)
    if now <= start:
        raise PeriodError(f"the {kind} has only just begun: nothing to report yet — try last-{kind}")
    return Period(start, now, f"{_label(kind, first)} (to date)", tz, kind, complete=False)


def _last_complete(kind: PeriodKind, now: datetime, tz: ZoneInfo) -> Period:
    current = _unit_start(kind, now.astimezone(tz).date())
    return unit(kind, _shift(kind, current, -1), tz)


_WORDS: dict[str, tuple[str, PeriodKind]] = {
    "week": ("last", "week"),
    "last-week": ("last", "week"),
    "this-week": ("this", "week"),
    "month": ("last", "month"),
    "last-month": ("last", "month"),
    "this-month": ("this", "month"),
    "quarter": ("last", "quarter"),
    "last-quarter": ("last", "quarter"),
    "this-quarter": ("this", "quarter"),
    "year": ("last", "year"),
    "last-year": ("last", "year"),
    "this-year": ("this", "year"),
    "yesterday": ("last", "day"),
    "today": ("this", "day"),
}
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_WEEK = re.compile(r"^(\d{4})-w(\d{1,2})$")
_QUARTER = re.compile(r"^(\d{4})-q(\d)$")
_YEAR = re.compile(r"^(\d{4})$")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _usage(text: str, why: str = "") -> PeriodError:
    reason = f" ({why})" if why else ""
    return PeriodError(f"not a period: {text!r}{reason} — use one of: " + ", ".join(ACCEPTED_FORMS))


def _read_date(text: str, original: str) -> date:
    if not _DAY.match(text):
        raise _usage(original, f"{text!r} is not a date like 2026-11-05")
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise _usage(original, f"{text!r} is not a real date") from exc


def parse_period(text: str, *, now: datetime, tz: ZoneInfo | str) -> Period:
    """Read a period as people type it (see the module docstring), on the calendar of ``tz``.

    ``now`` must be aware. Raises :class:`PeriodError` with a message for the user.
    """
    return replace(_parse(text, now=now, tz=tz), text=text.strip())


def in_zone(period: Period, tz: ZoneInfo | str, *, now: datetime) -> Period:
    """``period`` on the calendar of ``tz``: the same words read there (each client's month is its
    own month), or the same instants when the period was not read from words."""
    if period.text is None:
        zone = _zone(tz)
        return replace(period, tz=zone)
    return parse_period(period.text, now=now, tz=tz)


def last_days(days: int, *, now: datetime, tz: ZoneInfo | str) -> Period:
    """The last ``days`` local calendar days **including today** (to the end of today), in ``tz``."""
    if days < 1:
        raise PeriodError("a number of days must be at least 1")
    zone = _zone(tz)
    today = now.astimezone(zone).date()
    start = today - timedelta(days=days - 1)
    label = "today" if days == 1 else f"last {days} days"
    return Period(
        _midnight(start, zone),
        _midnight(today + timedelta(days=1), zone),
        label,
        zone,
        "range",
        complete=False,
        text=f"last-{days}-days",
    )


_LAST_DAYS = re.compile(r"^(?:last-?)?(\d{1,4})-?(?:d|days?)$")


def _parse(text: str, *, now: datetime, tz: ZoneInfo | str) -> Period:
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    zone = _zone(tz)
    original = text
    s = text.strip().lower().replace("–", "..").replace(" ", "")
    if not s:
        raise _usage(original, "empty")
    if s in _WORDS:
        which, kind = _WORDS[s]
        return _so_far(kind, now, zone) if which == "this" else _last_complete(kind, now, zone)
    if ".." in s:
        left, _, right = s.partition("..")
        a, b = _read_date(left, original), _read_date(right, original)
        if b < a:
            raise _usage(original, "the range ends before it starts")
        if a == b:
            return unit("day", a, zone)
        return Period(
            _midnight(a, zone),
            _midnight(b + timedelta(days=1), zone),
            f"{a.isoformat()}..{b.isoformat()}",
            zone,
        )
    if m := _WEEK.match(s):
        year, week = int(m[1]), int(m[2])
        try:
            monday = date.fromisocalendar(year, week, 1)
        except ValueError as exc:
            raise _usage(original, f"{year} has no ISO week {week}") from exc
        return unit("week", monday, zone)
    if m := _QUARTER.match(s):
        year, q = int(m[1]), int(m[2])
        if not 1 <= q <= 4:
            raise _usage(original, "quarters are Q1 to Q4")
        return unit("quarter", date(year, 3 * q - 2, 1), zone)
    if m := _MONTH.match(s):
        year, month = int(m[1]), int(m[2])
        if not 1 <= month <= 12:
            raise _usage(original, "months are 01 to 12")
        return unit("month", date(year, month, 1), zone)
    if m := _YEAR.match(s):
        return unit("year", date(int(m[1]), 1, 1), zone)
    if _DAY.match(s):
        return unit("day", _read_date(s, original), zone)
    if m := _LAST_DAYS.match(s):
        return last_days(int(m[1]), now=now, tz=zone)
    raise _usage(original)


def previous(period: Period) -> Period:
    """The period to compare with, for trends.

    - a whole calendar unit → the previous unit (October for November: lengths may differ);
    - a unit so far (``this-week`` up to Wednesday 14:00) → the same stretch of the previous
      unit (last Monday 00:00 up to last Wednesday 14:00, by elapsed time);
    - a date range → the range of the same length immediately before.
    """
    if period.kind == "range":
        return Period(
            period.start - period.duration,
            period.start,
            f"before {period.label}",
            period.tz,
            "range",
        )
    first = period.first_day
    prev_first = _shift(period.kind, _unit_start(period.kind, first), -1)
    whole = unit(period.kind, prev_first, period.tz)
    if period.complete:
        return whole
    end = min(whole.start + period.duration, whole.end)
    return Period(whole.start, end, f"{whole.label} (same stretch)", period.tz, period.kind, complete=False)


def months_in(period: Period) -> list[Period]:
    """The calendar months (in the period's zone) the period touches, each clipped to it."""
    out: list[Period] = []
    first = _unit_start("month", period.first_day)
    while True:
        month = unit("month", first, period.tz)
        if month.start >= period.end:
            break
        start, end = max(month.start, period.start), min(month.end, period.end)
        if start == month.start and end == month.end:
            out.append(month)
        else:
            complete = period.complete or end < period.end
            out.append(Period(start, end, month.label, period.tz, "range", complete=complete))
        first = _shift("month", first, 1)
    return out


def window_period(window: str, *, at: datetime, tz: ZoneInfo | str) -> Period:
    """The whole calendar ``window`` ("week", "month", "quarter", "year") containing ``at``."""
    if window not in ("day", "week", "month", "quarter", "year"):
        raise ValueError(f"unknown window {window!r}: use week, month or quarter")
    zone = _zone(tz)
    return unit(window, at.astimezone(zone).date(), zone)  # type: ignore[arg-type]
