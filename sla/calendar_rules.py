"""The business calendar's rules as the contract file writes them: time zones, weekly hours,
holidays — parsed and checked with a :class:`CalendarConfigError` that names the key at fault —
and the units they are in (seconds of a local day, epoch seconds). :mod:`sla.calendar` turns the
rules into open time."""

import difflib
import importlib.util
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache, lru_cache
from pathlib import Path as Path_
from types import ModuleType
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

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


def _country_holidays(country: str, subdivision: str | None, year: int) -> frozenset[date]:
    """The public holidays of ``country`` (and ``subdivision``) in ``year``: the dates
    ``holidays.country_holidays(country, subdiv=subdivision, years=year)`` gives.

    Until something has imported the package ``holidays.countries``, the country's class is read
    from its own module (:func:`_country_module`): that package's ``__init__`` imports all ~280
    country modules, about 60 ms of CPU on the first lookup, for the one country a calendar needs."""
    lib = _holidays_lib()
    entity = None if "holidays.countries" in sys.modules else _country_entity(country)
    if entity is None:
        return frozenset(lib.country_holidays(country, subdiv=subdivision, years=year))
    return frozenset(entity(years=year, subdiv=subdivision))


@cache
def _country_entity(country: str) -> Any:
    """The ``holidays`` class of a country code, from :func:`_country_module` (None when the
    package's layout is not the one expected: then ``country_holidays`` answers)."""
    try:
        from holidays.registry import COUNTRIES

        for module, names in COUNTRIES.items():
            if country in names[1:]:
                return getattr(_country_module(module), country)
    except Exception:  # noqa: BLE001 - any surprise of another holidays layout: the library's own path
        return None
    return None


def _country_module(module: str) -> ModuleType:
    """``holidays.countries.<module>`` executed from its file as a module of its own (not entered
    in ``sys.modules``), without running the package ``holidays.countries``' ``__init__``."""
    lib = _holidays_lib()
    path = Path_(lib.__file__).parent / "countries" / f"{module}.py"
    spec = importlib.util.spec_from_file_location(f"holidays.countries.{module}", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"no module file {path}")
    loaded = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(loaded)
    return loaded


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
