"""How the contract file's values are read: durations (``15m``), percents (``95%``), fractions,
alert thresholds (``"15m before"``), Slack ids, time zones, money, names, aware timestamps and
``pause_on``.

Each ``read_*`` function takes what YAML gave and returns the value or raises ``ValueError`` with a
message for the person who wrote the file; each annotated type (``Duration``, ``Percent``, ...) is
the pydantic field type of ``sla.contracts.file``'s schema that applies its reader and tells an
editor its JSON schema (``slabot contracts schema``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema

from sla.durations import DurationError, compact_duration, parse_duration
from sla.metrics import Metric


def value_kind(value: object) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, int | float | Decimal):
        return "a number"
    if isinstance(value, datetime):
        return "a timestamp"
    if isinstance(value, date):
        return "a date"
    return "text"


def read_duration(value: object) -> timedelta:
    """A contract duration: ``90s``, ``15m``, ``4h``, ``1h30m``, ``3d`` (a unit is required)."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError(
            f"expected a duration such as 15m, got {value_kind(value)} — write e.g. 90s, 15m, 4h, 1h30m, 3d"
        )
    if isinstance(value, int | float):
        raise ValueError(
            f"'{value}' has no unit — write {value}m for minutes, {value}h for hours or {value}s for seconds"
        )
    try:
        return parse_duration(value)
    except DurationError as exc:
        raise ValueError(str(exc)) from None


def read_percent(value: object) -> float:
    """``"95%"``, ``"99.9%"``, ``95`` or ``95.5`` -> percentage points (``95.0``)."""
    if isinstance(value, bool):
        raise ValueError("expected a percentage such as 95%, got true/false — write e.g. 95%")
    if isinstance(value, int | float | Decimal):
        number = float(value)
    elif isinstance(value, str):
        text = value.strip().removesuffix("%").strip()
        try:
            number = float(text)
        except ValueError:
            raise ValueError(f"not a percentage: {value!r} — write e.g. 95% or 99.9%") from None
    else:
        raise ValueError(f"expected a percentage, got {value_kind(value)} — write e.g. 95%")
    if not math.isfinite(number) or number <= 0 or number > 100:
        raise ValueError(f"a percentage must be above 0% and at most 100%, got {value!r} — write e.g. 95%")
    return number


def read_fraction(value: object) -> float:
    """A share: ``0.25`` or ``"25%"`` -> ``0.25`` (0 < share <= 1)."""
    if isinstance(value, str) and value.strip().endswith("%"):
        return read_percent(value) / 100
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise ValueError(f"expected a share between 0 and 1 such as 0.5 or 50%, got {value!r}")
    number = float(value)
    if not math.isfinite(number) or number <= 0 or number > 1:
        raise ValueError(f"a share must be above 0 and at most 1, got {value!r} — write e.g. 0.5 or 50%")
    return number


_BEFORE = re.compile(r"^\s*(?P<d>[0-9wdhms\s]+?)\s*(?:-?\s*before(?:\s+due)?)?\s*$", re.IGNORECASE)


def read_threshold(value: object) -> tuple[float | None, timedelta | None]:
    """A warning threshold: ``"75%"`` (of the target) or ``"15m"`` / ``"15m before"`` (before due)."""
    if isinstance(value, bool) or not isinstance(value, str):
        if isinstance(value, int | float) and not isinstance(value, bool):
            raise ValueError(
                f"'{value}' is ambiguous — write {value}% for a share of the target, or {value}m before due"
            )
        raise ValueError(f"expected a threshold such as 75% or 15m, got {value_kind(value)}")
    text = value.strip()
    if text.endswith("%"):
        percent = text[:-1].strip()
        try:
            number = float(percent)
        except ValueError:
            raise ValueError(f"not a threshold: {value!r} — write e.g. 75% or 15m") from None
        if not math.isfinite(number) or number <= 0:
            raise ValueError(f"a threshold percentage must be above 0%, got {value!r} — write e.g. 75%")
        return number, None
    m = _BEFORE.match(text)
    if not m:
        raise ValueError(
            f"not a threshold: {value!r} — write a share of the target (75%) or a time before due (15m)"
        )
    try:
        return None, parse_duration(m.group("d"))
    except DurationError:
        raise ValueError(
            f"not a threshold: {value!r} — write a share of the target (75%) or a time before due (15m)"
        ) from None


def hours_form(delta: timedelta) -> str:
    """A duration in the file form, counted in hours at most: ``40h``, ``1h30m``, ``90s``."""
    total = int(delta.total_seconds())
    hours, rest = divmod(total, 3600)
    if not hours:
        return compact_duration(delta)
    return f"{hours}h" + (compact_duration(timedelta(seconds=rest)) if rest else "")


def threshold_text(percent: float | None, before: timedelta | None) -> str:
    """The file form of a threshold: ``"75%"`` or ``"15m"``."""
    if percent is not None:
        return f"{percent:g}%"
    assert before is not None
    return compact_duration(before)


def read_slack_id(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError(
            f"expected a Slack id such as C0123456789, got {value_kind(value)} — put it in quotes"
        )
    text = value.strip()
    if not text or text[0] in "#@" or any(c.isspace() for c in text):
        raise ValueError(
            f"{value!r} is not a Slack id — write the id (C… for a channel, U… for a user, S… for a user "
            "group), not the name; Slack shows it under 'Copy ID' in the channel or profile details"
        )
    return text


def read_timezone(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected an IANA time zone such as Europe/Berlin, got {value_kind(value)}")
    try:
        ZoneInfo(value.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {value!r} — use an IANA name such as Europe/Berlin or America/New_York"
        ) from None
    return value.strip()


def read_money(value: object) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise ValueError(f"expected an amount such as 12000, got {value_kind(value)}")
    try:
        amount = Decimal(str(value).replace("_", "").strip())
    except InvalidOperation:
        raise ValueError(
            f"not an amount: {value!r} — write a plain number such as 12000 or 12000.50"
        ) from None
    if not amount.is_finite() or amount < 0:
        raise ValueError(f"an amount must be zero or more, got {value!r}")
    return amount


def _read_name(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"expected a name, got {value_kind(value)} — put it in quotes")
    return value.strip()


def _read_aware(value: object) -> datetime:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"not a timestamp: {value!r} — write e.g. 2026-03-01T02:00:00+01:00") from None
    if not isinstance(value, datetime):
        raise ValueError(f"expected a timestamp such as 2026-03-01T02:00:00+01:00, got {value_kind(value)}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(
            f"timestamp {value.isoformat()} has no time zone — add an offset such as +01:00 or Z"
        )
    return value


# What an editor is told about each value type (``slabot contracts schema``); the readers above decide.
DURATION_SCHEMA = {
    "type": "string",
    "pattern": r"^\s*(\d+(\.\d+)?\s*[wdhms]\s*)+$",
    "description": "a duration with units: 90s, 15m, 4h, 1h30m, 3d, 1w",
    "examples": ["15m", "4h", "1h30m"],
}
_PERCENT_SCHEMA = {
    "anyOf": [
        {"type": "string", "pattern": r"^\s*\d+(\.\d+)?\s*%?\s*$"},
        {"type": "number", "exclusiveMinimum": 0, "maximum": 100},
    ],
    "description": "a percentage such as 95% or 99.9%",
}
_FRACTION_SCHEMA = {
    "anyOf": [
        {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
        {"type": "string", "pattern": r"^\s*\d+(\.\d+)?\s*%\s*$"},
    ],
    "description": "a share: 0.25 or 25%",
}
_SLACK_ID_SCHEMA = {
    "type": "string",
    "pattern": r"^[^#@\s]\S*$",
    "description": "a Slack id (C… channel, U… user, S… user group), not a name",
}
_MONEY_SCHEMA = {"anyOf": [{"type": "number", "minimum": 0}, {"type": "string"}], "description": "an amount"}
_THRESHOLD_SCHEMA = {
    "type": "string",
    "description": "a share of the target (75%) or a time before due (15m, 15m before)",
    "examples": ["75%", "15m"],
}

Duration = Annotated[
    timedelta,
    BeforeValidator(read_duration),
    PlainSerializer(compact_duration),
    WithJsonSchema(DURATION_SCHEMA),
]
Percent = Annotated[
    float,
    BeforeValidator(read_percent),
    PlainSerializer(lambda p: f"{p:g}%"),
    WithJsonSchema(_PERCENT_SCHEMA),
]
Fraction = Annotated[float, BeforeValidator(read_fraction), WithJsonSchema(_FRACTION_SCHEMA)]
SlackId = Annotated[str, BeforeValidator(read_slack_id), WithJsonSchema(_SLACK_ID_SCHEMA)]
Name = Annotated[str, BeforeValidator(_read_name), WithJsonSchema({"type": "string", "minLength": 1})]
TimezoneName = Annotated[
    str,
    BeforeValidator(read_timezone),
    WithJsonSchema({"type": "string", "description": "an IANA time zone such as Europe/Berlin"}),
]
Money = Annotated[
    Decimal,
    BeforeValidator(read_money),
    PlainSerializer(lambda d: float(d) if d % 1 else int(d)),
    WithJsonSchema(_MONEY_SCHEMA),
]
AwareTimestamp = Annotated[
    datetime,
    BeforeValidator(_read_aware),
    WithJsonSchema({"type": "string", "description": "a timestamp with offset: 2026-03-01T02:00:00+01:00"}),
]


def _threshold_spec(value: object) -> str:
    return threshold_text(*read_threshold(value))


ThresholdText = Annotated[str, BeforeValidator(_threshold_spec), WithJsonSchema(_THRESHOLD_SCHEMA)]
Cadence = Literal["monthly", "quarterly", "yearly"]


# --------------------------------------------------------------------------- pause_on

ALL_METRICS: tuple[Metric, ...] = tuple(Metric)


def _pause_on_form(value: object) -> object:
    if isinstance(value, str):
        value = [value]
    if isinstance(value, list) and all(isinstance(status, str) for status in value):
        return {status: "all" for status in value}
    return value  # anything else is reported by the schema on its line (``[[]]`` used to raise)


def _pause_metrics(value: object) -> object:
    if value == "all" or value is None or (isinstance(value, list) and "all" in value):
        return list(ALL_METRICS)
    if isinstance(value, str):
        return [value]
    return value


_METRIC_NAMES = [m.value for m in Metric]
_PAUSE_ON_SCHEMA = {
    "description": "statuses that pause the clocks: [waiting_on_client], or {status: all | [metric, ...]}",
    "anyOf": [
        {"type": "string"},
        {"type": "array", "items": {"type": "string"}},
        {
            "type": "object",
            "additionalProperties": {
                "anyOf": [
                    {"const": "all"},
                    {"type": "string", "enum": _METRIC_NAMES},
                    {"type": "array", "items": {"type": "string", "enum": [*_METRIC_NAMES, "all"]}},
                ]
            },
        },
    ],
}


#: ``pause_on``: statuses that pause the clocks, each with the metrics it pauses (``all`` for every one)
PauseOn = Annotated[
    dict[Name, Annotated[list[Metric], BeforeValidator(_pause_metrics)]],
    BeforeValidator(_pause_on_form),
    WithJsonSchema(_PAUSE_ON_SCHEMA),
]


def pause_on_file_form(value: dict[str, list[Metric]]) -> Any:
    """``pause_on`` as a file writes it: a list of statuses when each pauses every metric."""
    if all(set(metrics) == set(ALL_METRICS) for metrics in value.values()):
        return list(value)
    return {s: ("all" if set(m) == set(ALL_METRICS) else [x.value for x in m]) for s, m in value.items()}
