"""The words of ``/sla``: tokens (quotes, Slack entities, escapes) and the small readers every command
shares (a ticket ref, a priority, a person, a channel, a period, a maintenance window), plus the
"did you mean" suggestions. Each returns a value, an error message or None; none raises."""

from __future__ import annotations

import difflib
import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.grammar.values import ChannelRef, MaintenanceSpec, PeriodSpec, UserRef
from bot.services.ticket_keys import ticket_key
from sla import periods

# --------------------------------------------------------------------------- tokens


@dataclass(frozen=True)
class Token:
    text: str
    quoted: bool = False
    #: a Slack entity as Slack sent it (``<@U1|ana>``, ``<#C1>``, ``<!here>``, ``<https://x|y>``)
    entity: bool = False

    @property
    def low(self) -> str:
        return self.text.lower()


_QUOTES = {'"': '"', "'": "'", "“": "”", "‘": "’", "«": "»", "„": "“"}


def tokenize(text: str) -> list[Token]:
    """Split on whitespace; quotes group words; ``<…>`` Slack entities stay whole. Never raises."""
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
            continue
        if ch in _QUOTES:
            close = text.find(_QUOTES[ch], i + 1)
            if close == -1 and ch == "“":
                close = text.find("“", i + 1)
            if close != -1:
                tokens.append(Token(_unescape(text[i + 1 : close]), quoted=True))
                i = close + 1
                continue
        if ch == "<":
            close = text.find(">", i + 1)
            if close != -1 and not any(c.isspace() and c != " " for c in text[i:close]):
                tokens.append(Token(text[i : close + 1], entity=True))
                i = close + 1
                continue
        j = i
        while j < n and not text[j].isspace():
            j += 1
        tokens.append(Token(_unescape(text[i:j])))
        i = j
    return tokens


def _unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _join(tokens: list[Token]) -> str | None:
    """Free text (a title, a reason) as a person reads it: a mention is its name, never a live entity."""
    joined = " ".join(_words_of(t.text) if t.entity else t.text for t in tokens).strip()
    return joined or None


def _words_of(entity: str) -> str:
    """``<@U1|ana>`` → ``@ana``, ``<#C1|support>`` → ``#support``, ``<!here>`` → ``@here``,
    ``<https://x|docs>`` → ``docs (https://x)``."""
    target, _, label = entity[1:-1].partition("|")
    if target[:1] in ("@", "#"):
        return target[0] + (label.lstrip(target[0]) or target[1:])
    if target.startswith("!"):
        return "@" + (label.lstrip("@") or target[1:].split("^")[-1])
    return f"{label} ({target})" if label and label not in target else target


# --------------------------------------------------------------------------- small readers

_REF = re.compile(r"(?:t-?|#)?0*([1-9][0-9]{0,8})", re.IGNORECASE | re.ASCII)
_PRIORITY = re.compile(r"p([1-9])", re.IGNORECASE | re.ASCII)
_PRIORITYISH = re.compile(r"p-?[0-9]+", re.IGNORECASE | re.ASCII)
_USER = re.compile(r"<@([UW][A-Z0-9]+)(?:\|([^>]*))?>", re.ASCII)
_CHANNEL = re.compile(r"<#([CGD][A-Z0-9]+)(?:\|([^>]*))?>", re.ASCII)
_AT_NAME = re.compile(r"@([\w.\-]+)")
_HASH_NAME = re.compile(r"#([\w\-]+)")

PRIORITY_HINT = "priorities are written `P1` (most urgent) to `P9`"


def parse_ticket_ref(text: str) -> str | None:
    """slabot's own reference: ``T-12``, ``t-12``, ``T12``, ``#12`` or ``12`` → ``"T-12"``; anything
    else → None (``/sla start T-12``, where a helpdesk's id would be read as a title)."""
    m = _REF.fullmatch(text.strip())
    return f"T-{m.group(1)}" if m else None


def parse_ticket(text: str) -> str | None:
    """A ticket as a command takes it: slabot's ``T-12`` or a helpdesk's id (``35436``, ``#35436``,
    ``ZD-35436``, ``GLX-7``, ``zendesk:35436``), as :func:`bot.services.ticket_keys.ticket_key` reads
    it (the resolver finds the ticket); None when the text cannot name one."""
    return ticket_key(text)


def parse_priority(text: str) -> str | None:
    m = _PRIORITY.fullmatch(text.strip())
    return f"P{m.group(1)}" if m else None


def _looks_like_priority(text: str) -> bool:
    return bool(_PRIORITYISH.fullmatch(text)) or text.lower() in (
        "urgent",
        "high",
        "medium",
        "normal",
        "low",
        "critical",
    )


def parse_user(text: str) -> UserRef | None:
    """``<@U123>``, ``<@U123|maria>``, ``@maria`` or ``me``."""
    if m := _USER.fullmatch(text):
        return UserRef(user_id=m.group(1), name=(m.group(2) or None))
    if m := _AT_NAME.fullmatch(text):
        return UserRef(name=m.group(1))
    if text.lower() == "me":
        return UserRef(me=True)
    return None


def parse_channel(text: str) -> ChannelRef | None:
    """``<#C123|support>``, ``<#C123>`` or ``#support`` (not ``#12``: that is a ticket)."""
    if m := _CHANNEL.fullmatch(text):
        return ChannelRef(channel_id=m.group(1), name=(m.group(2) or None))
    if (m := _HASH_NAME.fullmatch(text)) and not text[1:].isdigit():
        return ChannelRef(name=m.group(1))
    return None


PERIOD_HINT = (
    "periods are `week`, `month`, `quarter` (the last complete one), `this-week`, `last-month`, "
    "`2026-11`, `2026-W47`, `2026-Q4`, `2026` or `2026-11-01..2026-11-30`"
)
_PERIOD_SHAPE = re.compile(r"[0-9]{4}(?:[-.].*)?", re.ASCII)
_PERIOD_WHY = re.compile(r"not a period: .*? \((.+)\) — ")
_PROBE_NOWS = (datetime(2001, 6, 15, 12, tzinfo=UTC), datetime(2003, 2, 10, 12, tzinfo=UTC))


def parse_period(text: str) -> PeriodSpec | str | None:
    """A period (checked with ``sla.periods``), an error message when it looks like a period but is
    not a valid one, or None when it is not period-like at all (e.g. a client's name)."""
    low = text.strip().lower().replace("_", "-")
    try:
        first = periods.parse_period(low, now=_PROBE_NOWS[0], tz="UTC")
        second = periods.parse_period(low, now=_PROBE_NOWS[1], tz="UTC")
    except (ValueError, OverflowError) as exc:
        if _PERIOD_SHAPE.fullmatch(low):
            found = _PERIOD_WHY.match(str(exc)) if isinstance(exc, periods.PeriodError) else None
            why = (
                f": {found.group(1)}"
                if found
                else ("" if isinstance(exc, periods.PeriodError) else ": out of range")
            )
            return f"'{_shorten(text)}' is not a period{why} — {PERIOD_HINT}"
        return None
    relative = first.start != second.start
    return PeriodSpec(text=low, label=low if relative else first.label, kind=first.kind, relative=relative)


def _shorten(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def suggest(word: str, known: Collection[str]) -> str | None:
    """The closest of ``known`` to ``word`` (a unique prefix wins over spelling similarity), or None."""
    low = word.lower()
    by_low = {k.lower(): k for k in known}
    if len(low) >= 2:
        prefixed = [k for k in by_low if k.startswith(low)]
        if len(prefixed) == 1:
            return by_low[prefixed[0]]
    near = difflib.get_close_matches(low, list(by_low), n=1, cutoff=0.6)
    return by_low[near[0]] if near else None


def _unknown(kind: str, word: str, known: list[str]) -> str:
    near = suggest(word, known)
    hint = f" — did you mean '{near}'?" if near else ""
    listing = ", ".join(f"`{k}`" for k in sorted(known)[:20])
    return f"I don't know the {kind} '{_shorten(word)}'{hint}" + (f" Known: {listing}." if known else "")


_WINDOW_START = re.compile(
    r"(\d{4}-\d{2}-\d{2})[t ](\d{1,2}:\d{2})(z|[+-]\d{2}:?\d{2})?", re.IGNORECASE | re.ASCII
)
_WINDOW_END = re.compile(
    r"(?:(\d{4}-\d{2}-\d{2})[t ])?(\d{1,2}:\d{2})(z|[+-]\d{2}:?\d{2})?", re.IGNORECASE | re.ASCII
)
WINDOW_HINT = (
    "write the window as `2026-12-05T02:00..04:00` or `2026-12-05T22:00..2026-12-06T02:00` "
    "(times of the client's zone; add `Z` or `+01:00` for another)"
)


def _when(day: str, clock: str, zone: str | None) -> datetime:
    hour, minute = clock.split(":")
    text = f"{day}T{int(hour):02d}:{minute}"
    if zone:
        text += "+00:00" if zone.lower() == "z" else zone
    return datetime.fromisoformat(text)


def parse_window(text: str) -> MaintenanceSpec | str | None:
    """``<from>..<to>`` → a window; an error message when it looks like one but is not valid; None
    when it is not window-like. A time-only end is on the start's date (the next day if earlier)
    and takes the start's offset."""
    left, sep, right = text.strip().partition("..")
    if not sep or not left[:4].isdigit():
        return None
    a = _WINDOW_START.fullmatch(left)
    b = _WINDOW_END.fullmatch(right)
    if a is None or b is None:
        return f"'{_shorten(text)}' is not a maintenance window — {WINDOW_HINT}"
    try:
        start = _when(a.group(1), a.group(2), a.group(3))
        end = _when(b.group(1) or a.group(1), b.group(2), b.group(3) or a.group(3))
    except ValueError:
        return f"'{_shorten(text)}' is not a real date and time — {WINDOW_HINT}"
    if (start.tzinfo is None) != (end.tzinfo is None):
        return f"'{_shorten(text)}': give an offset on both ends or on neither — {WINDOW_HINT}"
    if b.group(1) is None and end <= start:
        end += timedelta(days=1)
    if end <= start:
        return f"'{_shorten(text)}': the window ends before it starts — {WINDOW_HINT}"
    return MaintenanceSpec(start, end)


__all__ = [
    "PERIOD_HINT",
    "PRIORITY_HINT",
    "WINDOW_HINT",
    "Token",
    "parse_channel",
    "parse_period",
    "parse_priority",
    "parse_ticket",
    "parse_ticket_ref",
    "parse_user",
    "parse_window",
    "suggest",
    "tokenize",
]
