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

import difflib
import re
import threading
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

__all__ = ["BusinessCalendar", "CalendarConfigError", "Window"]

Path = tuple[str | int, ...]

_DAY = 86400
_WEEK = 7 * _DAY
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_MAX_SEARCH_YEARS = 50
_MIN_YEAR = 2  # datetime cannot represent instants around year 1
_MAX_YEAR = 9998
_FAR_FUTURE = datetime.max.replace(tzinfo=UTC)
_EPOCH_UTC = datetime(1970, 1, 1, tzinfo=UTC)
_ZERO = timedelta(0)
_MICROSECOND = timedelta(microseconds=1)
_from_epoch = datetime.fromtimestamp

_DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY_TITLES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_FULL_DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_DAY_INDEX = {n: i for i, n in enumerate(_DAY_NAMES)} | {n: i for i, n in enumerate(_FULL_DAY_NAMES)}
_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")
_WINDOW_SPLIT = re.compile(r"\s*[-–—]\s*")
_24X7 = {"24x7", "24/7", "24*7"}
_TOP_KEYS = ("timezone", "hours", "holidays", "description")
_HOLIDAY_KEYS = ("country", "subdivision", "dates", "special")

Window = tuple[int, int]
"""An open window of one local day: (start, end) in seconds after local midnight, 0 <= start < end <= 86400."""


class CalendarConfigError(ValueError):
    """A ``calendars:`` entry that cannot be used.

    ``path`` is the key path inside the calendar mapping (e.g. ``("hours", "mon", 0)``),
    ``problem`` what is wrong and ``hint`` how to fix it; ``str()`` is ``"problem — hint"``.
    """

    def __init__(self, problem: str, path: Path = (), hint: str | None = None) -> None:
        self.problem = problem
        self.path: Path = tuple(path)
        self.hint = hint
        super().__init__(f"{problem} — {hint}" if hint else problem)


# --------------------------------------------------------------------------- config parsing


@lru_cache(maxsize=1)
def _all_zone_names() -> tuple[str, ...]:
    return tuple(sorted(available_timezones()))


@lru_cache(maxsize=256)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def _parse_timezone(value: Any, path: Path) -> ZoneInfo:
    if isinstance(value, ZoneInfo):
        return value
    if not isinstance(value, str) or not value.strip():
        raise CalendarConfigError(
            f"timezone must be an IANA time zone name, got {value!r}", path, "e.g. timezone: Europe/Berlin"
        )
    name = value.strip()
    try:
        return _zone(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        pass
    names = _all_zone_names()
    by_lower = {n.lower(): n for n in names}
    guesses: list[str] = []
    if name.lower() in by_lower:
        guesses.append(by_lower[name.lower()])
    guesses += [by_lower[g] for g in difflib.get_close_matches(name.lower(), list(by_lower), n=3, cutoff=0.6)]
    # also match on the city part alone ("Berlin" -> "Europe/Berlin")
    cities = {n.rsplit("/", 1)[-1].lower(): n for n in names}
    guesses += [cities[g] for g in difflib.get_close_matches(name.lower(), list(cities), n=2, cutoff=0.7)]
    unique = list(dict.fromkeys(guesses))[:3]
    hint = (
        "did you mean " + " or ".join(f"'{g}'" for g in unique) + "?"
        if unique
        else "use an IANA name such as Europe/Berlin, America/New_York or UTC"
    )
    raise CalendarConfigError(f"unknown time zone '{name}'", path, hint)


def _parse_time(text: str, path: Path, window: str) -> int:
    m = _TIME.match(text.strip())
    if m:
        h, mi = int(m.group(1)), int(m.group(2))
        if mi < 60 and (h < 24 or (h == 24 and mi == 0)):
            return h * 3600 + mi * 60
    raise CalendarConfigError(
        f"'{text.strip()}' in window '{window}' is not a time of day",
        path,
        'write times as HH:MM from 00:00 to 24:00, e.g. "09:00-17:30"',
    )


def _parse_window(value: Any, path: Path) -> Window:
    if not isinstance(value, str):
        raise CalendarConfigError(
            f'an opening window must be a string like "09:00-17:00", got {value!r}',
            path,
            'quote it in YAML: "09:00-17:00" (unquoted 09:00 is read as a number)',
        )
    parts = _WINDOW_SPLIT.split(value.strip())
    if len(parts) != 2:
        raise CalendarConfigError(
            f"'{value}' is not an opening window", path, 'write it as "HH:MM-HH:MM", e.g. "09:00-17:00"'
        )
    start, end = _parse_time(parts[0], path, value), _parse_time(parts[1], path, value)
    if start >= end:
        raise CalendarConfigError(
            f"window '{value}' does not end after it starts",
            path,
            "the end must be later than the start on the same day; an overnight shift is two windows, "
            'e.g. fri: ["22:00-24:00"] and sat: ["00:00-06:00"]',
        )
    return (start, end)


def _merge_windows(windows: Iterable[Window]) -> tuple[Window, ...]:
    merged: list[list[int]] = []
    for s, e in sorted(windows):
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    return tuple((s, e) for s, e in merged)


def _parse_windows(value: Any, path: Path) -> tuple[Window, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        if value.strip().lower() in ("closed", ""):
            return ()
        if value.strip().lower() in _24X7 or value.strip().lower() in ("24h", "all day"):
            return ((0, _DAY),)
        return (_parse_window(value, path),)
    if isinstance(value, Sequence):
        return _merge_windows(_parse_window(v, (*path, i)) for i, v in enumerate(value))
    raise CalendarConfigError(
        f"opening hours must be a window or a list of windows, got {value!r}",
        path,
        'e.g. mon: ["09:00-12:00", "13:00-17:00"] or mon-fri: "09:00-17:00"',
    )


def _day_index(name: str, path: Path) -> int:
    key = name.strip().lower()
    if key in _DAY_INDEX:
        return _DAY_INDEX[key]
    close = difflib.get_close_matches(key, list(_DAY_INDEX), n=1, cutoff=0.6)
    hint = f"did you mean '{close[0]}'? " if close else ""
    raise CalendarConfigError(
        f"unknown day '{name}'",
        path,
        hint + "days are mon, tue, wed, thu, fri, sat, sun (or full names), ranges like mon-fri",
    )


def _parse_days(key: Any, path: Path) -> list[int]:
    if not isinstance(key, str):
        raise CalendarConfigError(f"unknown day {key!r}", path, "days are mon .. sun, or ranges like mon-fri")
    lowered = key.strip().lower()
    if lowered in ("daily", "every day", "everyday", "all"):
        return list(range(7))
    if lowered == "weekdays":
        return list(range(5))
    if lowered in ("weekend", "weekends"):
        return [5, 6]
    parts = _WINDOW_SPLIT.split(lowered)
    if len(parts) == 1:
        return [_day_index(parts[0], path)]
    if len(parts) == 2:
        first, last = _day_index(parts[0], path), _day_index(parts[1], path)
        return [(first + k) % 7 for k in range((last - first) % 7 + 1)]
    raise CalendarConfigError(f"unknown day range '{key}'", path, "write a range as first-last, e.g. mon-fri")


def _parse_hours(value: Any, path: Path) -> tuple[tuple[tuple[Window, ...], ...], bool]:
    """Weekly windows (index 0 = Monday) and whether the hours are 24x7."""
    if isinstance(value, str) and value.strip().lower() in _24X7:
        return tuple(((0, _DAY),) for _ in range(7)), True
    if not isinstance(value, Mapping):
        raise CalendarConfigError(
            f"hours must be a mapping of days to windows or the string 24x7, got {value!r}",
            path,
            'e.g. hours: {mon-fri: "09:00-17:00"} or hours: 24x7',
        )
    week: list[tuple[Window, ...] | None] = [None] * 7
    given_by: dict[int, str] = {}
    for key, windows in value.items():
        kpath = (*path, key)
        days = _parse_days(key, kpath)
        parsed = _parse_windows(windows, kpath)
        for d in days:
            if d in given_by:
                raise CalendarConfigError(
                    f"{_DAY_NAMES[d]} is given twice (in '{given_by[d]}' and '{key}')",
                    kpath,
                    "give each day once; use a list for several windows on one day",
                )
            given_by[d] = str(key)
            week[d] = parsed
    weekly = tuple(w or () for w in week)
    return weekly, all(w == ((0, _DAY),) for w in weekly)


def _parse_date(value: Any, path: Path) -> date:
    if isinstance(value, datetime):
        raise CalendarConfigError(
            f"{value!r} is a date and time, a holiday is a whole day", path, "write the date only: 2026-12-24"
        )
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise CalendarConfigError(f"'{value}' is not a date", path, "write dates as YYYY-MM-DD, e.g. 2026-12-24")


def _unknown_key(key: Any, allowed: Sequence[str], path: Path) -> CalendarConfigError:
    close = difflib.get_close_matches(str(key), allowed, n=1)
    hint = f"did you mean '{close[0]}'?" if close else "allowed keys: " + ", ".join(allowed)
    return CalendarConfigError(f"unknown key '{key}'", (*path, key), hint)


def _holidays_lib() -> Any:
    """The ``holidays`` package, imported on first need (a calendar without public holidays never pays for it)."""
    import holidays

    return holidays


@lru_cache(maxsize=1)
def _country_codes() -> frozenset[str]:
    """The country codes ``holidays`` supports (aliases included), read from its registry.

    The same keys as ``holidays.list_supported_countries()``, which imports every country
    module to list their subdivisions (about 0.2 s at start-up, for one lookup).
    """
    lib = _holidays_lib()
    try:
        from holidays.registry import EntityLoader

        return frozenset(EntityLoader.get_country_codes())
    except (ImportError, AttributeError):  # pragma: no cover - another holidays layout
        return frozenset(lib.list_supported_countries())


def _parse_country(value: Any, path: Path) -> str:
    supported = _country_codes()
    if isinstance(value, str) and value.strip().upper() in supported:
        return value.strip().upper()
    close = difflib.get_close_matches(str(value).upper(), sorted(supported), n=3)
    hint = ("did you mean " + " or ".join(close) + "? " if close else "") + (
        "use an ISO 3166-1 alpha-2 code the `holidays` package knows, e.g. DE, GB, US, FR"
    )
    raise CalendarConfigError(f"no public holidays are known for country code '{value}'", path, hint)


def _parse_subdivision(country: str, value: Any, path: Path) -> str:
    lib = _holidays_lib()
    subdivisions = [str(s) for s in getattr(getattr(lib, country, None), "subdivisions", ())]
    text = str(value).strip()
    for candidate in (text, text.upper()):
        if candidate in subdivisions:
            return candidate
        try:
            lib.country_holidays(country, subdiv=candidate)
            return candidate
        except (NotImplementedError, KeyError, ValueError):
            continue
    if subdivisions:
        hint = f"{country} has subdivisions " + ", ".join(subdivisions)
    else:
        hint = f"{country} has no subdivisions in the `holidays` package; remove the subdivision"
    raise CalendarConfigError(f"unknown subdivision '{value}' of {country}", path, hint)


@dataclass(frozen=True, slots=True)
class _Rules:
    timezone: str
    weekly: tuple[tuple[Window, ...], ...]
    country: str | None
    subdivision: str | None
    dates: frozenset[date]
    special: tuple[tuple[date, tuple[Window, ...]], ...]


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
    """Stretches [a, b) of constant UTC offset covering [lo, hi), found by sampling every 6 hours."""
    step = 6 * 3600
    segments: list[tuple[int, int, int]] = []
    a, off = lo, _offset_at(zone, lo)
    t = lo
    while t < hi:
        nxt = min(t + step, hi)
        off_n = _offset_at(zone, nxt)
        if off_n != off:
            left, right = t, nxt  # offset at left == off, at right != off
            while right - left > 1:
                mid = (left + right) // 2
                if _offset_at(zone, mid) == off:
                    left = mid
                else:
                    right = mid
            segments.append((a, right, off))
            a, off = right, _offset_at(zone, right)
            t = right
            continue
        t = nxt
    segments.append((a, hi + 1, off))
    return segments


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
                found = frozenset(
                    _holidays_lib().country_holidays(r.country, subdiv=r.subdivision, years=year)
                )
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
        cum = [0] * (len(starts) + 1)
        total = 0
        for i, (s, e) in enumerate(zip(starts, ends, strict=True)):
            cum[i] = total
            total += e - s
        cum[len(starts)] = total
        return _OpenTime(year_lo, year_hi, lo_local + _DAY, hi_local - _DAY, starts, ends, cum)

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
            if ot is not None:
                if ot.year_lo <= year_lo and year_hi <= ot.year_hi:
                    return ot
                year_lo, year_hi = min(year_lo, ot.year_lo), max(year_hi, ot.year_hi)
            ot = self._build(year_lo, year_hi)
            self._open = ot
            return ot

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
    # way in and built once on the way out. The hot ones (add, elapsed) are kept flat on purpose:
    # about 1 µs per call, most of it the datetime conversions at the edges.

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The earliest instant whose business time since ``start`` equals ``duration`` (UTC)."""
        tz = start.tzinfo
        if tz is None or (tz is not UTC and tz.__class__ is not ZoneInfo and start.utcoffset() is None):
            raise ValueError(f"naive datetime {start!r}: pass a timezone-aware datetime")
        dsec = duration.days * _DAY + duration.seconds
        dus = duration.microseconds
        if dsec < 0:
            raise ValueError(f"cannot add a negative business duration ({duration})")
        if self.is_24x7:
            return start.astimezone(UTC) + duration
        if not dsec and not dus:
            return start.astimezone(UTC)
        us = start.microsecond
        s = round(start.timestamp() - us / 1_000_000) if us else int(start.timestamp())
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
        tz = start.tzinfo
        if tz is None or (tz is not UTC and tz.__class__ is not ZoneInfo and start.utcoffset() is None):
            raise ValueError(f"naive datetime {start!r}: pass a timezone-aware datetime")
        tz = end.tzinfo
        if tz is None or (tz is not UTC and tz.__class__ is not ZoneInfo and end.utcoffset() is None):
            raise ValueError(f"naive datetime {end!r}: pass a timezone-aware datetime")
        if end <= start:
            return _ZERO
        if self.is_24x7:
            return end - start
        a_us = start.microsecond
        a = round(start.timestamp() - a_us / 1_000_000) if a_us else int(start.timestamp())
        b_us = end.microsecond
        b = round(end.timestamp() - b_us / 1_000_000) if b_us else int(end.timestamp())
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
        if np is not None and isinstance(starts, np.ndarray):
            return _add_many_array(np, self, starts, durations)
        durations = _broadcast(durations, len(starts))
        if np is not None and len(starts) >= _NUMPY_MIN_BATCH and not self.is_24x7:
            try:
                return _add_many_numpy(np, self, starts, durations)
            except ValueError:  # raised again below, for the same element as add would
                pass
        add = self.add
        return [add(s, d) for s, d in zip(starts, durations, strict=True)]

    def elapsed_many(self, starts: Any, ends: Any) -> Any:
        """``[elapsed(a, b) for a, b in zip(starts, ends)]`` in one pass; see :meth:`add_many`.

        Two ``datetime64`` arrays (UTC) give a ``timedelta64[us]`` array.
        """
        if len(starts) != len(ends):
            raise ValueError(f"elapsed_many needs as many ends as starts ({len(ends)} != {len(starts)})")
        np = _numpy()
        if np is not None and isinstance(starts, np.ndarray):
            return _elapsed_many_array(np, self, starts, ends)
        if np is not None and len(starts) >= _NUMPY_MIN_BATCH and not self.is_24x7:
            try:
                return _elapsed_many_numpy(np, self, starts, ends)
            except ValueError:  # raised again below, for the same element as elapsed would
                pass
        elapsed = self.elapsed
        return [elapsed(a, b) for a, b in zip(starts, ends, strict=True)]

    def _covering_both(self, a: int, b: int) -> _OpenTime:
        """The open time, extended so that instants ``a <= b`` are both exact."""
        ot = self._covering(a)
        if not ot.safe_lo <= b < ot.safe_hi:
            ot = self._extend(ot.year_lo, datetime.fromtimestamp(min(b, 253_000_000_000), UTC).year + 2)
        return ot


# --------------------------------------------------------------------------- batches with numpy

_NUMPY_MIN_BATCH = 64
"""Below this many pairs the plain loop is as fast as building arrays."""


@lru_cache(maxsize=1)
def _numpy() -> Any:
    """numpy if installed (an optional speed-up of the batch queries), else None."""
    try:
        import numpy
    except ImportError:  # pragma: no cover - numpy comes with matplotlib
        return None
    return numpy


def _broadcast(durations: timedelta | Sequence[timedelta], n: int) -> Sequence[timedelta]:
    if isinstance(durations, timedelta):
        return [durations] * n
    if len(durations) != n:
        raise ValueError(f"add_many needs as many durations as starts ({len(durations)} != {n})")
    return durations


def _epochs_numpy(np: Any, instants: Sequence[datetime]) -> tuple[Any, Any]:
    """Whole epoch seconds and microseconds of aware datetimes as int64 arrays (as the single calls read them).

    ``t - epoch`` is exact integer arithmetic and refuses a naive datetime (TypeError: the
    caller then runs the single calls, which say which one).
    """
    epoch, micro = _EPOCH_UTC, _MICROSECOND
    total = np.array([(t - epoch) // micro for t in instants], dtype=np.int64)
    return total // 1_000_000, total % 1_000_000


def _arrays(ot: _OpenTime, np: Any) -> tuple[Any, Any, Any]:
    arrays = ot.arrays
    if arrays is None:
        arrays = ot.arrays = (
            np.array(ot.starts, dtype=np.int64),
            np.array(ot.ends, dtype=np.int64),
            np.array(ot.cum, dtype=np.int64),
        )
    return arrays


def _utc_datetimes(np: Any, seconds: Any, micros: Any) -> list[datetime]:
    """Aware UTC datetimes of epoch (seconds, microseconds) arrays: numpy makes the timedeltas, one add each."""
    deltas = (seconds * 1_000_000 + micros).astype("m8[us]").astype(object)
    epoch = _EPOCH_UTC
    return [epoch + d for d in deltas]


def _add_epoch(np: Any, cal: BusinessCalendar, s: Any, us: Any, total: Any) -> tuple[Any, Any, list[int]]:
    """``add`` on arrays: epoch seconds and microseconds of the starts and the durations in microseconds
    (non-negative) give the due instants' seconds and microseconds, and the positions whose due
    instant lies beyond the precomputed years (left for the single call)."""
    dsec, dus = total // 1_000_000, total % 1_000_000
    lo, hi = int(s.min()), int(s.max())
    ot = cal._covering(lo)
    if not ot.safe_lo <= hi < ot.safe_hi:
        ot = cal._covering_both(lo, hi)
    a_starts, a_ends, a_cum = _arrays(ot, np)
    n = len(a_starts)
    if not n:
        return s, us, np.flatnonzero(total != 0).tolist()  # no open time at all: the single calls say so
    i = np.searchsorted(a_starts, s, side="right") - 1
    ic = np.maximum(i, 0)
    inside = (i >= 0) & (s < a_ends[ic])
    target = np.where(inside, a_cum[ic] + s - a_starts[ic], a_cum[i + 1]) + dsec
    frac = np.where(inside, us, 0) + dus
    carry = frac >= 1_000_000
    frac -= carry * 1_000_000
    target += carry
    later = a_cum[1:]
    j = np.where(
        frac > 0, np.searchsorted(later, target, side="right"), np.searchsorted(later, target, side="left")
    )
    found = j < n
    jc = np.minimum(j, n - 1)
    t = a_ends[jc] - (a_cum[jc + 1] - target)
    found &= t < ot.safe_hi
    same = total == 0  # add(start, 0) is start itself, open or not
    t = np.where(same, s, t)
    frac = np.where(same, us, frac)
    missing = np.flatnonzero(~(found | same)).tolist()
    if missing:
        t[missing] = 0
        frac[missing] = 0
    return t, frac, missing


def _add_many_numpy(
    np: Any, cal: BusinessCalendar, starts: Sequence[datetime], durations: Sequence[timedelta]
) -> list[datetime]:
    try:
        s, us = _epochs_numpy(np, starts)
    except TypeError:
        raise ValueError("a naive datetime") from None  # the single calls say which
    micro = _MICROSECOND
    total = np.array([d // micro for d in durations], dtype=np.int64)
    if (total < 0).any():
        raise ValueError("a negative duration")  # the single calls say which
    t, frac, missing = _add_epoch(np, cal, s, us, total)
    result = _utc_datetimes(np, t, frac)
    for k in missing:  # beyond the precomputed years: one by one
        result[k] = cal.add(starts[k], durations[k])
    return result


def _as_utc_datetime(np: Any, instant: Any) -> datetime:
    return _EPOCH_UTC + timedelta(microseconds=int(instant.astype("M8[us]").astype(np.int64)))


def _array_micros(np: Any, values: Any, kind: str, what: str) -> Any:
    """int64 microseconds of a datetime64 (``kind`` "M") or timedelta64 ("m") array; ValueError otherwise."""
    if values.dtype.kind != kind:
        expected = "datetime64" if kind == "M" else "timedelta64"
        raise ValueError(f"{what} must be a numpy {expected} array, got dtype {values.dtype}")
    if np.isnat(values).any():
        raise ValueError(f"{what} holds NaT (not a time)")
    return values.astype(f"{kind}8[us]").astype(np.int64)


def _add_many_array(np: Any, cal: BusinessCalendar, starts: Any, durations: Any) -> Any:
    start_us = _array_micros(np, starts, "M", "starts")
    if isinstance(durations, timedelta):
        total = np.full(start_us.shape, durations // _MICROSECOND, dtype=np.int64)
    else:
        durations = np.asarray(durations)
        total = np.broadcast_to(_array_micros(np, durations, "m", "durations"), start_us.shape)
    negative = np.flatnonzero(total < 0)
    if negative.size:
        raise ValueError(
            f"cannot add a negative business duration ({timedelta(microseconds=int(total[negative[0]]))})"
        )
    if cal.is_24x7 or not start_us.size:
        return (start_us + total).astype("M8[us]")
    t, frac, missing = _add_epoch(np, cal, start_us // 1_000_000, start_us % 1_000_000, total)
    out = t * 1_000_000 + frac
    for k in missing:
        due = cal.add(_as_utc_datetime(np, starts[k]), timedelta(microseconds=int(total[k])))
        out[k] = (due - _EPOCH_UTC) // _MICROSECOND
    return out.astype("M8[us]")


def _elapsed_many_array(np: Any, cal: BusinessCalendar, starts: Any, ends: Any) -> Any:
    a_us = _array_micros(np, starts, "M", "starts")
    b_us = _array_micros(np, np.asarray(ends), "M", "ends")
    if cal.is_24x7 or not a_us.size:
        return np.maximum(b_us - a_us, 0).astype("m8[us]")
    return _elapsed_epoch(
        np, cal, a_us // 1_000_000, a_us % 1_000_000, b_us // 1_000_000, b_us % 1_000_000
    ).astype("m8[us]")


def _elapsed_many_numpy(
    np: Any, cal: BusinessCalendar, starts: Sequence[datetime], ends: Sequence[datetime]
) -> list[timedelta]:
    try:
        a, a_us = _epochs_numpy(np, starts)
        b, b_us = _epochs_numpy(np, ends)
    except TypeError:
        raise ValueError("a naive datetime") from None  # the single calls say which
    return list(_elapsed_epoch(np, cal, a, a_us, b, b_us).astype("m8[us]").astype(object))


def _elapsed_epoch(np: Any, cal: BusinessCalendar, a: Any, a_us: Any, b: Any, b_us: Any) -> Any:
    """``elapsed`` on arrays of epoch seconds and microseconds: the business microseconds, int64."""
    lo, hi = int(a.min()), int(np.maximum(a, b).max())
    ot = cal._covering_both(lo, hi)
    a_starts, a_ends, a_cum = _arrays(ot, np)
    if not len(a_starts):
        return np.zeros(a.shape, dtype=np.int64)  # never open

    def position_us(x: Any, x_us: Any) -> Any:
        i = np.searchsorted(a_starts, x, side="right") - 1
        ic = np.maximum(i, 0)
        inside = (i >= 0) & (x < a_ends[ic])
        return np.where(inside, (a_cum[ic] + x - a_starts[ic]) * 1_000_000 + x_us, a_cum[i + 1] * 1_000_000)

    total = position_us(b, b_us) - position_us(a, a_us)
    later = (b > a) | ((b == a) & (b_us > a_us))
    return np.where(later, total, 0)


def _format_windows(windows: Sequence[Window]) -> str:
    return ", ".join(f"{_hhmm(s)}–{_hhmm(e)}" for s, e in windows)


def _hhmm(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


def _epoch_seconds(t: datetime) -> int:
    """Whole epoch seconds of an aware datetime (exactly); ValueError for a naive one."""
    tz = t.tzinfo
    if tz is None or (tz is not UTC and tz.__class__ is not ZoneInfo and t.utcoffset() is None):
        raise ValueError(f"naive datetime {t!r}: pass a timezone-aware datetime")
    us = t.microsecond
    return round(t.timestamp() - us / 1_000_000) if us else int(t.timestamp())
