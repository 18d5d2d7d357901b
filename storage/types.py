"""Column types shared by the models.

SQLite has no timezone-aware timestamp: SQLAlchemy's ``DateTime`` silently drops the offset there,
so ``10:00+02:00`` would come back as ``10:00`` (naive) and compare wrongly. :class:`UTCDateTime`
refuses naive values, converts everything to UTC before storing and hands back aware UTC values on
both backends (``timestamptz`` on PostgreSQL, a fixed-width ISO text on SQLite, which sorts correctly).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from types import ModuleType
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Integer, dialects
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine


def require_aware(value: datetime, *, name: str = "datetime") -> datetime:
    """Return ``value`` in UTC; raise ``ValueError`` when it is naive."""
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"naive {name} {value!r}: slabot only stores timezone-aware datetimes")
    return value.astimezone(UTC)


def require_aware_or_none(value: datetime | None, *, name: str = "datetime") -> datetime | None:
    return None if value is None else require_aware(value, name=name)


#: "00" to "59": the two-digit fields of :func:`_sqlite_text`
_TWO_DIGITS = tuple(f"{n:02d}" for n in range(60))
#: the day part ("YYYY-MM-DD ") of each proleptic ordinal formatted so far (a few thousand days in any
#: history; emptied should it ever hold more than :data:`_DAYS_KEPT`)
_days: dict[int, str] = {}
_DAYS_KEPT = 100_000


def _sqlite_text(value: datetime) -> str:
    """The text :class:`UTCDateTime` stores on SQLite for an aware UTC ``datetime``: exactly
    ``value.isoformat(" ", "microseconds")`` without its ``+00:00`` (``YYYY-MM-DD HH:MM:SS.ffffff``),
    about three times cheaper: the day's text is looked up, the clock's fields come from a table
    (``isoformat`` goes through a printf-style formatter for each field, and an import formats a few
    timestamps per row)."""
    ordinal = value.toordinal()
    day = _days.get(ordinal)
    if day is None:
        if len(_days) >= _DAYS_KEPT:
            _days.clear()
        day = _days[ordinal] = value.date().isoformat() + " "
    two = _TWO_DIGITS
    micro = value.microsecond
    return (
        day
        + two[value.hour]
        + ":"
        + two[value.minute]
        + ":"
        + two[value.second]
        + (f".{micro:06d}" if micro else ".000000")
    )


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out; naive values are a ``ValueError``."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        utc = value if value.__class__ is datetime and value.tzinfo is UTC else require_aware(value)
        if dialect.name == "sqlite":
            return utc.replace(tzinfo=None)
        return utc

    def bind_processor(self, dialect: Dialect) -> Any:
        """On SQLite, one function does what ``process_bind_param`` and the SQLite ``DATETIME`` type's
        own processor do one after the other (the text ``YYYY-MM-DD HH:MM:SS.ffffff`` of the UTC
        instant), about five times faster: every bulk write passes each timestamp through here.

        The processor has a ``many`` attribute: the same processing of a whole column of values at
        once (a list, value for value what the processor returns, errors included) without a call per
        value, for the bulk writers (:mod:`storage.bulk`): an aware UTC ``datetime`` (or None) is
        formatted (SQLite) or passed through (the other dialects, whose ``DateTime`` sends it as it is)
        inline, anything else goes through the processor."""
        composed = super().bind_processor(dialect)
        if composed is None:
            return None
        if dialect.name != "sqlite":
            if self.impl_instance.dialect_impl(dialect).bind_processor(dialect) is not None:
                return composed  # the driver's type converts the value again: no shortcut

            def passed(values: Iterable[Any]) -> list[Any]:
                return [
                    v if v is None or (v.__class__ is datetime and v.tzinfo is UTC) else composed(v)
                    for v in values
                ]

            composed.many = passed  # type: ignore[attr-defined]
            return composed

        def process(value: Any) -> str | None:
            if value is None:
                return None
            if value.__class__ is datetime:
                return _sqlite_text(value if value.tzinfo is UTC else require_aware(value))
            return composed(value)  # subclasses, wrong types: the composed path (and its errors)

        def formatted(values: Iterable[Any]) -> list[Any]:
            text = _sqlite_text
            return [
                None if v is None else text(v) if v.__class__ is datetime and v.tzinfo is UTC else process(v)
                for v in values
            ]

        process.many = formatted  # type: ignore[attr-defined]
        return process

    def result_processor(self, dialect: Dialect, coltype: Any) -> Any:
        """On SQLite, the text this type writes (``YYYY-MM-DD HH:MM:SS.ffffff``, UTC) parsed straight
        into an aware UTC datetime, about five times faster than the SQLite ``DATETIME`` processor
        followed by ``process_result_value``: a report reads five timestamps of every timer of its
        period. Any other text takes the composed path."""
        composed = super().result_processor(dialect, coltype)
        if dialect.name != "sqlite" or composed is None:
            return composed
        parse = datetime.fromisoformat

        def process(value: Any) -> datetime | None:
            if value is None:
                return None
            if value.__class__ is str and len(value) == 26:
                try:
                    return parse(value + "+00:00")
                except ValueError:
                    pass
            return composed(value)

        return process

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def dialect_package(dialect: Dialect) -> ModuleType:
    """SQLAlchemy's package of ``dialect`` (``sqlalchemy.dialects.postgresql``, ``...sqlite``), for the
    constructs only that dialect has (JSONB, its ``INSERT ... ON CONFLICT``).

    The package is loaded already: SQLAlchemy's dialect registry imported it to make ``dialect`` (an
    engine for a URL loads the package the URL names). Taken from there, a dialect's constructs cost
    only the processes that use that dialect: a SQLite process (``slabot import``, the tests) never
    loads PostgreSQL's (~0.03 s of start-up, a tenth of ``slabot import``'s imports)."""
    return getattr(dialects, dialect.name)  # type: ignore[no-any-return]


class _JSONDocument(TypeDecorator[Any]):
    """JSON documents: JSONB on PostgreSQL (its own type, taken from the dialect in use), JSON text
    elsewhere; what ``JSON().with_variant(JSONB(), "postgresql")`` stores and reads, without loading
    the PostgreSQL dialect where it is not used (:func:`dialect_package`)."""

    impl = JSON
    cache_ok = True
    #: as :class:`~sqlalchemy.types.JSON` (flags a decorator does not take from its ``impl``): a
    #: document is not hashable, and ``None`` is stored as JSON ``null``, not left out of an ORM insert
    hashable = False
    should_evaluate_none = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(dialect_package(dialect).JSONB())
        return dialect.type_descriptor(JSON())


#: JSON documents: JSONB on PostgreSQL, JSON text elsewhere.
JSONDocument = _JSONDocument()

#: 64-bit surrogate keys; SQLite needs plain INTEGER for its rowid alias (autoincrement).
BigId = BigInteger().with_variant(Integer(), "sqlite")
