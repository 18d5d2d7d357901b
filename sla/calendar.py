"""Business calendars: when the SLA clock runs.

A :class:`BusinessCalendar` says, for every instant, whether the support team is *open*
(business time accrues) or *closed* (it does not). It is built from one ``calendars:``
entry of the contract file::

    timezone: Europe/Berlin            # IANA name
    hours:                             # or the string "24x7"; a missing day is closed
      mon: ["09:00-12:00", "13:00-17:30"]
      tue-fri: "09:00-17:30"           # day ranges and a single string are fine too
      fri: ["22:00-24:00"]             # (a day may appear only once, here it would clash)
      sat: ["00:00-06:00"]             # overnight shift = two windows on two days
    holidays:
      country: DE                      # public holidays from the `holidays` package (optional)
      subdivision: BY                  # optional
      dates: ["2026-12-24"]            # extra closed days
      special: {"2026-12-31": ["09:00-13:00"]}   # a day with other hours than usual

Day keys are ``mon`` .. ``sun`` or full names (any case), or ranges of them (``mon-fri``,
``sat-sun``, ``fri-mon`` wraps round the week). A value is a window ``"HH:MM-HH:MM"``, a list of
windows, or an empty list / ``closed`` for a closed day. Windows run from ``00:00`` to ``24:00``;
a window that ends at ``24:00`` and one that starts at ``00:00`` on the next day form one
continuous open stretch (no gap at midnight). Overlapping or touching windows of one day are
**merged** (``09:00-13:00`` + ``12:00-17:00`` = ``09:00-17:00``). ``hours: 24x7`` opens every
day from ``00:00`` to ``24:00``.

Semantics (wall clock)
----------------------
An instant is **open** iff its wall-clock reading in the calendar's time zone falls inside a
window of that local date, and that date is not a holiday. A date listed under ``special`` uses
its special windows instead of the weekday's (even if it is also a public holiday; an empty list
closes it). Consequences:

* on a spring-forward day a window that covers the skipped hour is one hour shorter
  (``01:00-04:00`` on 2026-03-29 in Berlin is open for two hours);
* on a fall-back day a window that covers the repeated hour is longer: both occurrences of
  the repeated wall-clock hour are open;
* nothing raises on ambiguous or non-existent local times.

Business time
-------------
``elapsed(a, b)`` is the open time inside ``[a, b)``. ``add(start, d)`` is the **earliest** instant
``t >= start`` with ``elapsed(start, t) == d``: a target that ends exactly at closing time is due
at closing time, not at the next opening. ``add(start, 0)`` is ``start``, open or not.
All arguments must be timezone-aware (a naive datetime raises ``ValueError``); results are UTC.
Arithmetic is exact (integer seconds and microseconds).

How it is fast
--------------
The open time is precomputed lazily, by chunks of years extended on demand in both directions,
as flat sorted lists of merged open intervals in epoch seconds with prefix sums of open seconds;
every query is one or two ``bisect`` calls, so a 30-day target costs what a 30-minute one
costs. A calendar that is open all the time (``24x7`` without holidays) is plain arithmetic.
Searches give up after 50 years (a calendar without any open time raises ``ValueError``).
"""

from __future__ import annotations

import threading
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from itertools import accumulate
from operator import sub
from typing import Any
from zoneinfo import ZoneInfo

from sla.calendar_batches import (
    _NUMPY_MIN_BATCH,
    _add_many_array,
    _add_many_numpy,
    _broadcast,
    _elapsed_many_array,
    _elapsed_many_numpy,
    _numpy,
)
from sla.calendar_rules import (
    _DAY,
    _DAY_TITLES,
    _EPOCH_ORDINAL,
    _EPOCH_UTC,
    _FAR_FUTURE,
    _HOLIDAY_KEYS,
    _MAX_SEARCH_YEARS,
    _MAX_YEAR,
    _MIN_YEAR,
    _TOP_KEYS,
    _ZERO,
    CalendarConfigError,
    Window,
    _country_holidays,
    _epoch_seconds,
    _format_windows,
    _from_epoch,
    _merge_windows,
    _parse_country,
    _parse_date,
    _parse_hours,
    _parse_subdivision,
    _parse_timezone,
    _parse_windows,
    _Rules,
    _unknown_key,
)

__all__ = ["BusinessCalendar", "CalendarConfigError", "Window"]


# --------------------------------------------------------------------------- the precomputed open time


class _OpenTime:
    """Merged open intervals [starts[i], ends[i]) in epoch seconds for local years [year_lo, year_hi).

    ``cum[i]`` = open seconds before ``starts[i]`` (counted from the first interval);
    queries are exact for instants in [safe_lo, safe_hi). Never changed once built (a wider
    one replaces it), except ``arrays``: the same three lists as numpy arrays, made on first need.
    """

    __slots__ = ("arrays", "cum", "ends", "safe_hi", "safe_lo", "starts", "year_hi", "year_lo")

    def __init__(
        self,
        year_lo: int,
        year_hi: int,
        safe_lo: int,
        safe_hi: int,
        starts: list[int],
        ends: list[int],
        cum: list[int],
    ) -> None:
        self.year_lo, self.year_hi, self.safe_lo, self.safe_hi = year_lo, year_hi, safe_lo, safe_hi
        self.starts, self.ends, self.cum = starts, ends, cum
        self.arrays: tuple[Any, Any, Any] | None = None


def _local_epoch(d: date) -> int:
    return (d.toordinal() - _EPOCH_ORDINAL) * _DAY


def _offset_at(zone: ZoneInfo, t: int) -> int:
    off = datetime.fromtimestamp(t, zone).utcoffset()
    assert off is not None
    return off.days * _DAY + off.seconds


def _offset_segments(zone: ZoneInfo, lo: int, hi: int) -> list[tuple[int, int, int]]:
    """Stretches [a, b) of constant UTC offset covering [lo, hi), found by sampling every 6 hours.

    (The samples are compared as the ``utcoffset()`` values themselves, inline: this runs
    ~1,500 times a year of open time built.)"""
    step = 6 * 3600
    segments: list[tuple[int, int, int]] = []
    fromtimestamp = datetime.fromtimestamp
    a, off = lo, _offset_at(zone, lo)
    current = fromtimestamp(lo, zone).utcoffset()
    t = lo
    while t < hi:
        nxt = t + step
        if nxt > hi:
            nxt = hi
        if fromtimestamp(nxt, zone).utcoffset() != current:
            left, right = t, nxt  # offset at left == off, at right != off
            while right - left > 1:
                mid = (left + right) // 2
                if _offset_at(zone, mid) == off:
                    left = mid
                else:
                    right = mid
            segments.append((a, right, off))
            a, off = right, _offset_at(zone, right)
            current = fromtimestamp(right, zone).utcoffset()
            t = right
            continue
        t = nxt
    segments.append((a, hi + 1, off))
    return segments


def _joined(parts: Sequence[_OpenTime]) -> tuple[list[int], list[int]] | None:
    """The merged intervals of open times built for adjacent year ranges, in order, as one list —
    what one build of the whole range gives; None when they do not join in order (then build it whole)."""
    starts: list[int] = []
    ends: list[int] = []
    for part in parts:
        p_starts, p_ends = part.starts, part.ends
        k = 0
        if ends and p_starts:
            if p_starts[0] < starts[-1]:
                return None
            last = ends[-1]
            n = len(p_starts)
            while k < n and p_starts[k] <= last:  # touching or overlapping across the junction: one interval
                if p_ends[k] > last:
                    last = p_ends[k]
                k += 1
            ends[-1] = last
        starts += p_starts[k:] if k else p_starts
        ends += p_ends[k:] if k else p_ends
    return starts, ends


def _open_time(year_lo: int, year_hi: int, starts: list[int], ends: list[int]) -> _OpenTime:
    """The open time of local years [year_lo, year_hi) from its merged intervals (prefix sums added)."""
    lo_local, hi_local = _local_epoch(date(year_lo, 1, 1)), _local_epoch(date(year_hi, 1, 1))
    cum = list(accumulate(map(sub, ends, starts), initial=0))
    return _OpenTime(year_lo, year_hi, lo_local + _DAY, hi_local - _DAY, starts, ends, cum)


def _require_aware(t: Any) -> None:
    """Raise what a query raises for ``t`` when it is not an aware datetime (ValueError for a naive one)."""
    tz = t.tzinfo
    if tz is None or (tz is not UTC and tz.__class__ is not ZoneInfo and t.utcoffset() is None):
        raise ValueError(f"naive datetime {t!r}: pass a timezone-aware datetime")


# --------------------------------------------------------------------------- the calendar


class BusinessCalendar:
    """When business time runs for a contract; see the module docstring for the exact rules."""

    __slots__ = ("_holiday_years", "_lock", "_open", "_rules", "is_24x7", "name", "timezone")

    def __init__(
        self,
        *,
        timezone: ZoneInfo | str = "UTC",
        weekly: Sequence[Iterable[Window]] | None = None,
        country: str | None = None,
        subdivision: str | None = None,
        dates: Iterable[date] = (),
        special: Mapping[date, Iterable[Window]] | None = None,
        name: str | None = None,
    ) -> None:
        """Build from already-parsed rules; prefer :meth:`from_config` or :meth:`always`.

        ``weekly`` has seven entries (Monday first) of windows in seconds after local midnight;
        ``None`` means 24x7.
        """
        zone = timezone if isinstance(timezone, ZoneInfo) else _parse_timezone(timezone, ("timezone",))
        week = (
            tuple(((0, _DAY),) for _ in range(7))
            if weekly is None
            else tuple(_merge_windows(w) for w in weekly)
        )
        if len(week) != 7:
            raise ValueError("weekly must have seven entries, Monday first")
        for day in week:
            for s, e in day:
                if not 0 <= s < e <= _DAY:
                    raise ValueError(f"window {(s, e)} must satisfy 0 <= start < end <= 86400")
        special_rules = tuple(sorted((d, _merge_windows(w)) for d, w in (special or {}).items()))
        self._rules = _Rules(
            timezone=zone.key,
            weekly=week,
            country=country,
            subdivision=subdivision,
            dates=frozenset(dates),
            special=special_rules,
        )
        self.name = name
        self.timezone = zone
        self.is_24x7 = (
            all(w == ((0, _DAY),) for w in week)
            and not country
            and not self._rules.dates
            and not special_rules
        )
        self._open: _OpenTime | None = None
        self._holiday_years: dict[int, frozenset[date]] = {}
        self._lock = threading.Lock()

    # ---------------------------------------------------------------- construction

    @classmethod
    def always(cls, timezone: str | ZoneInfo = "UTC", *, name: str | None = None) -> BusinessCalendar:
        """A calendar that is open around the clock, every day."""
        return cls(timezone=timezone, weekly=None, name=name)

    @classmethod
    def from_config(cls, mapping: Mapping[str, Any], *, name: str | None = None) -> BusinessCalendar:
        """Build a calendar from one ``calendars:`` entry; raises :class:`CalendarConfigError`."""
        if not isinstance(mapping, Mapping):
            raise CalendarConfigError(
                f"a calendar must be a mapping, got {mapping!r}",
                (),
                'e.g. {timezone: Europe/Berlin, hours: {mon-fri: "09:00-17:00"}}',
            )
        for key in mapping:
            if key not in _TOP_KEYS:
                raise _unknown_key(key, _TOP_KEYS, ())
        if "timezone" not in mapping:
            raise CalendarConfigError(
                "a calendar needs a timezone", ("timezone",), "add e.g. timezone: Europe/Berlin (or UTC)"
            )
        zone = _parse_timezone(mapping["timezone"], ("timezone",))
        if "hours" not in mapping:
            raise CalendarConfigError(
                "a calendar needs opening hours",
                ("hours",),
                'add e.g. hours: {mon-fri: "09:00-17:00"} or hours: 24x7',
            )
        weekly, _ = _parse_hours(mapping["hours"], ("hours",))
        country = subdivision = None
        dates: set[date] = set()
        special: dict[date, tuple[Window, ...]] = {}
        hol = mapping.get("holidays")
        if hol is not None:
            if not isinstance(hol, Mapping):
                raise CalendarConfigError(
                    f"holidays must be a mapping, got {hol!r}",
                    ("holidays",),
                    'e.g. holidays: {country: DE, subdivision: BY, dates: ["2026-12-24"]}',
                )
            for key in hol:
                if key not in _HOLIDAY_KEYS:
                    raise _unknown_key(key, _HOLIDAY_KEYS, ("holidays",))
            if hol.get("country") is not None:
                country = _parse_country(hol["country"], ("holidays", "country"))
                if hol.get("subdivision") is not None:
                    subdivision = _parse_subdivision(country, hol["subdivision"], ("holidays", "subdivision"))
            elif hol.get("subdivision") is not None:
                raise CalendarConfigError(
                    "a holiday subdivision needs a country",
                    ("holidays", "subdivision"),
                    "add the country code, e.g. country: DE",
                )
            raw_dates = hol.get("dates") or []
            if isinstance(raw_dates, str | date):
                raw_dates = [raw_dates]
            if not isinstance(raw_dates, Sequence):
                raise CalendarConfigError(
                    f"holiday dates must be a list, got {raw_dates!r}",
                    ("holidays", "dates"),
                    'e.g. dates: ["2026-12-24", "2026-12-31"]',
                )
            for i, d in enumerate(raw_dates):
                dates.add(_parse_date(d, ("holidays", "dates", i)))
            raw_special = hol.get("special") or {}
            if not isinstance(raw_special, Mapping):
                raise CalendarConfigError(
                    f"special hours must be a mapping of dates to windows, got {raw_special!r}",
                    ("holidays", "special"),
                    'e.g. special: {"2026-12-31": ["09:00-13:00"]}',
                )
            for key, windows in raw_special.items():
                day = _parse_date(key, ("holidays", "special", key))
                special[day] = _parse_windows(windows, ("holidays", "special", key))
        return cls(
            timezone=zone,
            weekly=weekly,
            country=country,
            subdivision=subdivision,
            dates=dates,
            special=special,
            name=name,
        )

    # ---------------------------------------------------------------- plain words

    def describe(self) -> list[str]:
        """Plain-words lines for ``/sla contract``."""
        r = self._rules
        zone = r.timezone
        if all(w == ((0, _DAY),) for w in r.weekly):
            lines = [f"Around the clock, every day ({zone})"]
        else:
            lines = []
            i = 0
            while i < 7:
                j = i
                while j + 1 < 7 and r.weekly[j + 1] == r.weekly[i]:
                    j += 1
                if r.weekly[i]:
                    days = _DAY_TITLES[i] if i == j else f"{_DAY_TITLES[i]}–{_DAY_TITLES[j]}"
                    lines.append(f"{days} {_format_windows(r.weekly[i])}")
                i = j + 1
            if lines:
                lines[0] += f" ({zone})"
            else:
                lines.append(f"Never open on a regular day ({zone})")
        closed: list[str] = []
        if r.country:
            region = f"{r.country}-{r.subdivision}" if r.subdivision else r.country
            closed.append(f"public holidays of {region}")
        if r.dates:
            closed.append(", ".join(d.isoformat() for d in sorted(r.dates)))
        if closed:
            lines.append("Closed on " + ", and ".join(closed))
        for d, windows in r.special:
            lines.append(f"{d.isoformat()}: {_format_windows(windows) if windows else 'closed'}")
        return lines

    def open_per_week(self) -> timedelta:
        """Nominal open time of a regular week (no holidays, no DST shifts)."""
        return timedelta(seconds=sum(e - s for day in self._rules.weekly for s, e in day))

    def open_seconds_per_week(self) -> int:
        """Nominal open seconds of a regular week (no holidays, no DST shifts)."""
        return sum(e - s for day in self._rules.weekly for s, e in day)

    def windows_on(self, day: date) -> tuple[Window, ...]:
        """The open windows of one local date (seconds after local midnight), holidays applied."""
        for d, windows in self._rules.special:
            if d == day:
                return windows
        if day in self._rules.dates or day in self._holidays_of(day.year):
            return ()
        return self._rules.weekly[day.weekday()]

    def __repr__(self) -> str:
        summary = "; ".join(self.describe())
        return f"BusinessCalendar(name={self.name!r}, {summary})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, BusinessCalendar):
            return NotImplemented
        return self._rules == other._rules

    def __hash__(self) -> int:
        return hash(self._rules)

    # ---------------------------------------------------------------- holidays and precomputation

    def _holidays_of(self, year: int) -> frozenset[date]:
        cached = self._holiday_years.get(year)
        if cached is not None:
            return cached
        r = self._rules
        found: frozenset[date] = frozenset()
        if r.country:
            try:
                found = _country_holidays(r.country, r.subdivision, year)
            except (NotImplementedError, KeyError, ValueError):  # pragma: no cover - validated at load
                found = frozenset()
        self._holiday_years[year] = found
        return found

    def _build(self, year_lo: int, year_hi: int) -> _OpenTime:
        zone = self.timezone
        first, last = date(year_lo, 1, 1), date(year_hi, 1, 1)
        lo_local, hi_local = _local_epoch(first), _local_epoch(last)
        segments = _offset_segments(zone, lo_local - 2 * _DAY, hi_local + 2 * _DAY)
        seg_starts = [s[0] for s in segments]
        offsets = [s[2] for s in segments]
        off_min, off_max = min(offsets), max(offsets)
        raw: list[tuple[int, int]] = []
        weekly = self._rules.weekly
        special = dict(self._rules.special)
        extra = self._rules.dates
        holidays_by_year = {y: self._holidays_of(y) for y in range(year_lo, year_hi)}
        ordinal = first.toordinal()
        day_local = lo_local
        weekday = first.weekday()
        while day_local < hi_local:
            d = date.fromordinal(ordinal)
            if d in special:
                windows = special[d]
            elif d in extra or d in holidays_by_year[d.year]:
                windows = ()
            else:
                windows = weekly[weekday]
            for ws, we in windows:
                la, lb = day_local + ws, day_local + we
                k = max(bisect_right(seg_starts, la - off_max) - 1, 0)
                stop = bisect_left(seg_starts, lb - off_min)
                while k < stop:
                    a, b, off = segments[k]
                    lo, hi = max(la - off, a), min(lb - off, b)
                    if lo < hi:
                        raw.append((lo, hi))
                    k += 1
            ordinal += 1
            day_local += _DAY
            weekday = (weekday + 1) % 7
        raw.sort()
        starts: list[int] = []
        ends: list[int] = []
        for s, e in raw:
            if ends and s <= ends[-1]:
                if e > ends[-1]:
                    ends[-1] = e
            else:
                starts.append(s)
                ends.append(e)
        return _open_time(year_lo, year_hi, starts, ends)

    def _covering(self, t: int) -> _OpenTime:
        """The open time, extended (if need be) so that instant ``t`` is exact."""
        ot = self._open
        if ot is not None and ot.safe_lo <= t < ot.safe_hi:
            return ot
        year = datetime.fromtimestamp(min(max(t, -62_000_000_000), 253_000_000_000), UTC).year
        return self._extend(year - 1, year + 2)

    def _extend(self, year_lo: int, year_hi: int) -> _OpenTime:
        year_lo, year_hi = max(year_lo, _MIN_YEAR), min(year_hi, _MAX_YEAR)
        with self._lock:
            ot = self._open
            if ot is None:
                ot = self._build(year_lo, year_hi)
            elif not (ot.year_lo <= year_lo and year_hi <= ot.year_hi):
                ot = self._widened(ot, min(year_lo, ot.year_lo), max(year_hi, ot.year_hi))
            self._open = ot
            return ot

    def _widened(self, ot: _OpenTime, year_lo: int, year_hi: int) -> _OpenTime:
        """``_build(year_lo, year_hi)`` for a range that contains ``ot``'s: only the years ``ot`` lacks
        are built, and joined to it (a replay that reaches years later rebuilds none it had)."""
        parts = [ot]
        if year_lo < ot.year_lo:
            parts.insert(0, self._build(year_lo, ot.year_lo))
        if ot.year_hi < year_hi:
            parts.append(self._build(ot.year_hi, year_hi))
        joined = _joined(parts)
        if joined is None:  # pragma: no cover - open time that does not join in order: build it whole
            return self._build(year_lo, year_hi)
        return _open_time(year_lo, year_hi, *joined)

    def _grow_forward(self, ot: _OpenTime, from_year: int) -> _OpenTime:
        span = max(ot.year_hi - ot.year_lo, 2)
        hi = min(ot.year_hi + span, from_year + _MAX_SEARCH_YEARS + 2)
        if hi <= ot.year_hi or ot.year_hi >= _MAX_YEAR:
            raise ValueError(self._never_open_message(from_year))
        return self._extend(ot.year_lo, hi)

    def _never_open_message(self, from_year: int) -> str:
        label = f"calendar '{self.name}'" if self.name else "this calendar"
        return (
            f"{label} has no open time within {_MAX_SEARCH_YEARS} years after {from_year} — "
            "check its hours and holidays (a due time can never be reached)"
        )

    # ---------------------------------------------------------------- queries
    #
    # Every query works in whole epoch seconds plus microseconds; datetimes are read once on the
    # way in (``t - epoch``: exact integers, no float, and a naive datetime refused by the
    # subtraction itself) and built once on the way out. The hot ones (add, elapsed) are kept
    # flat on purpose: about 1 µs per call, most of it the datetime conversions at the edges.

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The earliest instant whose business time since ``start`` equals ``duration`` (UTC)."""
        try:
            since = start - _EPOCH_UTC  # exact, and refused for a naive datetime
        except TypeError:
            _require_aware(start)
            raise
        dsec = duration.days * _DAY + duration.seconds
        dus = duration.microseconds
        if dsec < 0:
            raise ValueError(f"cannot add a negative business duration ({duration})")
        if self.is_24x7:
            return start.astimezone(UTC) + duration
        if not dsec and not dus:
            return start.astimezone(UTC)
        s = since.days * _DAY + since.seconds
        us = since.microseconds
        ot = self._open
        if ot is None or not ot.safe_lo <= s < ot.safe_hi:
            ot = self._covering(s)
        while True:
            starts, cum = ot.starts, ot.cum
            i = bisect_right(starts, s) - 1
            if i >= 0 and s < ot.ends[i]:
                target = cum[i] + s - starts[i] + dsec  # whole business seconds to reach ...
                frac = us + dus  # ... and then this many microseconds more
                j = i
            else:
                target = cum[i + 1] + dsec
                frac = dus
                j = i + 1
            if frac >= 1_000_000:
                frac -= 1_000_000
                target += 1
            # cum[j + 1] is the open time at the end of interval j; with a fraction left the
            # instant must lie strictly inside an interval, else closing time is the earliest.
            # Most targets end in the interval the search starts from; others are bisected for.
            n = len(starts)
            if j < n:
                end_cum = cum[j + 1]
                if end_cum < target or (frac and end_cum == target):
                    j = (bisect_right(cum, target, j + 1) if frac else bisect_left(cum, target, j + 1)) - 1
                    end_cum = cum[j + 1] if j < n else 0
                if j < n:
                    t = ot.ends[j] - (end_cum - target)
                    if t < ot.safe_hi:
                        return _EPOCH_UTC + timedelta(0, t, frac) if frac else _from_epoch(t, UTC)
            ot = self._grow_forward(ot, datetime.fromtimestamp(s, UTC).year)

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        """Business time in ``[start, end)``; zero when ``end <= start``."""
        try:
            since_a = start - _EPOCH_UTC  # exact, and refused for a naive datetime
        except TypeError:
            _require_aware(start)
            raise
        try:
            since_b = end - _EPOCH_UTC
        except TypeError:
            _require_aware(end)
            raise
        if since_b <= since_a:
            return _ZERO
        if self.is_24x7:
            return end - start
        a = since_a.days * _DAY + since_a.seconds
        a_us = since_a.microseconds
        b = since_b.days * _DAY + since_b.seconds
        b_us = since_b.microseconds
        ot = self._open
        if ot is None or not (ot.safe_lo <= a and b < ot.safe_hi):
            ot = self._covering_both(a, b)
        starts, ends, cum = ot.starts, ot.ends, ot.cum
        i = bisect_right(starts, a) - 1
        if i >= 0 and a < ends[i]:
            if b < ends[i]:  # both inside one open interval: wall time
                return end - start
            pa, pa_us = cum[i] + a - starts[i], a_us
        else:
            pa, pa_us = cum[i + 1], 0
        k = bisect_right(starts, b, i + 1 if i >= 0 else 0) - 1
        if k >= 0 and b < ends[k]:
            return timedelta(0, cum[k] + b - starts[k] - pa, b_us - pa_us)
        return timedelta(0, cum[k + 1] - pa, -pa_us)

    def is_open(self, t: datetime) -> bool:
        """Whether business time runs at instant ``t``."""
        s = _epoch_seconds(t)
        if self.is_24x7:
            return True
        ot = self._covering(s)
        i = bisect_right(ot.starts, s) - 1
        return i >= 0 and s < ot.ends[i]

    def next_open(self, t: datetime) -> datetime:
        """``t`` itself (in UTC) when open, else the next opening; ValueError if none within 50 years."""
        s = _epoch_seconds(t)
        if self.is_24x7:
            return t.astimezone(UTC)
        ot = self._covering(s)
        while True:
            i = bisect_right(ot.starts, s) - 1
            if i >= 0 and s < ot.ends[i]:
                return t.astimezone(UTC)
            if i + 1 < len(ot.starts) and ot.starts[i + 1] < ot.safe_hi:
                return _from_epoch(ot.starts[i + 1], UTC)
            ot = self._grow_forward(ot, datetime.fromtimestamp(s, UTC).year)

    def next_close(self, t: datetime) -> datetime:
        """End of the open stretch containing ``t``; ``t`` itself (in UTC) when closed.

        A calendar that never closes (24x7, or no closing within 50 years) gives
        ``datetime.max`` in UTC.
        """
        s = _epoch_seconds(t)
        if self.is_24x7:
            return _FAR_FUTURE
        ot = self._covering(s)
        while True:
            i = bisect_right(ot.starts, s) - 1
            if not (i >= 0 and s < ot.ends[i]):
                return t.astimezone(UTC)
            if ot.ends[i] < ot.safe_hi:
                return _from_epoch(ot.ends[i], UTC)
            try:
                ot = self._grow_forward(ot, datetime.fromtimestamp(s, UTC).year)
            except ValueError:
                return _FAR_FUTURE

    # ---------------------------------------------------------------- batches

    def add_many(self, starts: Any, durations: Any) -> Any:
        """``[add(s, d) for s, d in zip(starts, durations)]`` in one pass (``durations`` may be one value).

        Same results and errors as :meth:`add`, element by element. With numpy installed a large
        batch is searched as arrays (the datetimes are still read and built one by one); without
        it, or for a small batch, it is the plain loop of single calls.

        Arrays in, arrays out (numpy): ``starts`` a ``datetime64`` array of UTC instants and
        ``durations`` a ``timedelta64`` array or one ``timedelta`` give a ``datetime64[us]``
        array, without building a datetime per element.
        """
        np = _numpy()
        if np is None or not isinstance(starts, np.ndarray):  # (an array takes one timedelta as it is)
            durations = _broadcast(durations, len(starts))
        return self._batch(np, starts, durations, _add_many_array, _add_many_numpy, self.add)

    def elapsed_many(self, starts: Any, ends: Any) -> Any:
        """``[elapsed(a, b) for a, b in zip(starts, ends)]`` in one pass; see :meth:`add_many`.

        Two ``datetime64`` arrays (UTC) give a ``timedelta64[us]`` array.
        """
        if len(starts) != len(ends):
            raise ValueError(f"elapsed_many needs as many ends as starts ({len(ends)} != {len(starts)})")
        return self._batch(_numpy(), starts, ends, _elapsed_many_array, _elapsed_many_numpy, self.elapsed)

    def _batch(
        self,
        np: Any,
        firsts: Any,
        seconds: Any,
        arrays: Callable[..., Any],
        searched: Callable[..., Any],
        one: Callable[[Any, Any], Any],
    ) -> Any:
        """How :meth:`add_many` and :meth:`elapsed_many` compute ``one`` over pairs: arrays in, arrays
        out (numpy); a large batch searched as arrays; else — or when ``searched`` meets a bad element,
        so that the error is the one the single call raises, for the same element — the plain loop."""
        if np is not None and isinstance(firsts, np.ndarray):
            return arrays(np, self, firsts, seconds)
        if np is not None and len(firsts) >= _NUMPY_MIN_BATCH and not self.is_24x7:
            try:
                return searched(np, self, firsts, seconds)
            except ValueError:  # raised again below, for the same element as the single call would
                pass
        return [one(a, b) for a, b in zip(firsts, seconds, strict=True)]

    def _covering_both(self, a: int, b: int) -> _OpenTime:
        """The open time, extended so that instants ``a <= b`` are both exact."""
        ot = self._covering(a)
        if not ot.safe_lo <= b < ot.safe_hi:
            ot = self._extend(ot.year_lo, datetime.fromtimestamp(min(b, 253_000_000_000), UTC).year + 2)
        return ot
