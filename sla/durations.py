"""Durations as people write them in contracts and commands: ``90s``, ``15m``, ``4h``, ``1h30m``, ``3d``.

The one parser and the one formatter of durations in slabot.

A ``d`` is **24 hours of the clock that applies** (as ServiceNow counts it): on a 24x7
calendar that is one calendar day; on a business-hours calendar it is 24 *business*
hours, e.g. three 8-hour working days. Write ``8h`` if you mean "one working day of
8 hours". ``w`` is 7 ``d``.
"""

from __future__ import annotations

import re
from datetime import timedelta

_UNITS = {"w": 7 * 86400, "d": 86400, "h": 3600, "m": 60, "s": 1}
_TOKEN = re.compile(r"(\d+)\s*([wdhms])")
_WHOLE = re.compile(r"^\s*(?:\d+\s*[wdhms]\s*)+$")


class DurationError(ValueError):
    """A duration string that cannot be read; the message says what is accepted."""


def parse_duration(text: str | int | float) -> timedelta:
    """Parse ``"1h30m"`` into ``timedelta(hours=1, minutes=30)``.

    Plain integers are seconds. Units must be lower-case and may repeat only in
    descending order (``1d4h``, not ``4h1d``). Zero or negative durations are rejected.
    """
    if isinstance(text, bool):
        raise DurationError(f"not a duration: {text!r}")
    if isinstance(text, int | float):
        if text <= 0:
            raise DurationError(f"a duration must be positive, got {text!r}")
        return timedelta(seconds=text)
    s = str(text).strip().lower()
    if not _WHOLE.match(s):
        raise DurationError(
            f"not a duration: {text!r} — write a number and a unit, e.g. 90s, 15m, 4h, 1h30m, 3d"
        )
    seconds = 0
    last_rank = -1
    order = list(_UNITS)
    for number, unit in _TOKEN.findall(s):
        rank = order.index(unit)
        if rank <= last_rank:
            raise DurationError(f"not a duration: {text!r} — give units from largest to smallest, once each")
        last_rank = rank
        seconds += int(number) * _UNITS[unit]
    if seconds <= 0:
        raise DurationError(f"a duration must be positive, got {text!r}")
    return timedelta(seconds=seconds)


def format_duration(delta: timedelta, *, precision: int = 2) -> str:
    """Format for humans: ``1h 10m``, ``3d 2h``, ``45s``, ``0s``.

    Shows at most ``precision`` (>= 1) non-zero units, largest first, truncating the rest.
    Negative durations are formatted by magnitude (callers say "ago"/"late").
    """
    if precision < 1:
        raise ValueError(f"precision must be at least 1, got {precision}")
    total = abs(int(delta.total_seconds()))
    if total < 60:  # the usual answers first, without building the parts (every countdown prints some)
        return f"{total}s"
    if precision == 2 and total < 86400:
        minutes, seconds = divmod(total, 60)
        if minutes < 60:
            return f"{minutes}m {seconds}s" if seconds else f"{minutes}m"
        hours, minutes = divmod(minutes, 60)
        if minutes:
            return f"{hours}h {minutes}m"
        return f"{hours}h {seconds}s" if seconds else f"{hours}h"
    minutes, seconds = divmod(total, 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    parts = [f"{n}{unit}" for n, unit in ((days, "d"), (hours, "h"), (minutes, "m"), (seconds, "s")) if n]
    return " ".join(parts[:precision])


def compact_duration(delta: timedelta) -> str:
    """Format in the contract-file form that ``parse_duration`` reads back: ``1h30m``."""
    total = int(delta.total_seconds())
    if total <= 0:
        raise DurationError("only positive durations have a contract form")
    out = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        n, total = divmod(total, size)
        if n:
            out.append(f"{n}{unit}")
    return "".join(out)
