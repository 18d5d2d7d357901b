"""The values of the SLA timer fold (``sla.timers``): the events it takes (:class:`TicketEvent`,
rejected with :class:`EventError`), where each clock stands (:class:`MetricTimer`, its
:class:`RunningStretch` es) and the lines of a ticket's SLA story (:class:`TimelineEntry`).

All are frozen slots dataclasses; :func:`slot_builder` builds them positionally on hot paths that
have checked their values already (the fold, the CSV reader).
"""

from __future__ import annotations

from dataclasses import MISSING, dataclass, field, fields
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from sla.metrics import EventKind, Metric, TimerState


class CalendarLike(Protocol):
    """What the timers need of a business calendar (``sla.calendar.BusinessCalendar``)."""

    def add(self, start: datetime, duration: timedelta) -> datetime: ...

    def elapsed(self, start: datetime, end: datetime) -> timedelta: ...


class EventError(ValueError):
    """An event that cannot be applied to the ticket; the message says why, for a person."""


def utc_instant(at: datetime, what: str) -> datetime:
    """``at`` in UTC (the same object when it already is); :class:`EventError` names ``what`` when it is
    not an aware datetime."""
    if at.__class__ is datetime and at.tzinfo is UTC:
        return at
    if not isinstance(at, datetime):
        raise EventError(f"{what} must be a datetime, got {at!r}")
    if at.tzinfo is None or at.utcoffset() is None:
        raise EventError(f"{what} {at.isoformat()} has no timezone; give an offset such as +00:00")
    return at if at.tzinfo is UTC else at.astimezone(UTC)


def slot_builder(cls: type) -> Any:
    """A positional constructor for the frozen slots dataclass ``cls`` that fills its slots directly.

    ``slot_builder(C)(*values) == C(*values)``, the same object, built two to six times as fast: a
    frozen dataclass's ``__init__`` goes through ``object.__setattr__`` (a lookup by name) for
    every field. The object is made as an instance of a plain class with the very same slots
    (plain attribute stores) and then becomes a ``cls`` (``__class__`` assignment, which Python
    allows between classes of one layout); a class whose slots are not exactly its fields is
    filled through its slot descriptors instead. It skips ``__post_init__``, so it is for values
    already checked: the fold's and the CSV reader's hot paths.
    """
    names = [f.name for f in fields(cls)]
    namespace: dict[str, Any] = {"new": object.__new__, "cls": cls}
    trailing = []  # the last fields with plain defaults may be left out, as with ``cls(...)``
    for f in reversed(fields(cls)):
        if f.default is MISSING:
            break
        trailing.append(f)
    namespace |= {f"default_{f.name}": f.default for f in trailing}
    params = ", ".join(f"{n}=default_{n}" if f"default_{n}" in namespace else n for n in names)
    twin = _slot_twin(cls, names)
    if twin is not None:
        namespace["twin"] = twin
        body = "    obj = new(twin)\n" + "".join(f"    obj.{n} = {n}\n" for n in names)
        body += "    obj.__class__ = cls\n"
    else:
        namespace |= {f"set_{n}": getattr(cls, n).__set__ for n in names}
        body = "    obj = new(cls)\n" + "".join(f"    set_{n}(obj, {n})\n" for n in names)
    exec(f"def build({params}):\n{body}    return obj\n", namespace)
    build = namespace["build"]
    build.__qualname__ = build.__name__ = f"build_{cls.__name__}"
    return build


def _slot_twin(cls: type, names: list[str]) -> type | None:
    """A plain class with exactly ``cls``'s slots (so that an instance of it may become a ``cls``),
    or None when ``cls`` is not a slots class of its fields alone under ``object`` (its subclasses that
    add no slot, ``__slots__ = ()``, are: they share its layout)."""
    chain = cls.__mro__[:-1]
    if any("__slots__" not in vars(c) for c in chain):  # a class without __slots__ has a __dict__
        return None
    if tuple(s for c in reversed(chain) for s in c.__slots__) != tuple(names):
        return None
    twin = type(f"_{cls.__name__}Slots", (), {"__slots__": tuple(names)})
    probe = object.__new__(twin)
    try:
        probe.__class__ = cls
    except TypeError:  # another layout after all (e.g. a __weakref__ slot)
        return None
    return twin


@dataclass(frozen=True, slots=True)
class TicketEvent:
    """One thing that happened to a ticket. ``at`` must be timezone-aware (kept in UTC)."""

    ticket_id: str
    at: datetime
    kind: EventKind
    priority: str | None = None
    status: str | None = None
    client: str | None = None
    actor: str | None = None
    note: str | None = None
    #: what the source says of the ticket on this row — its title and its id in the helpdesk it came
    #: from (the events CSV's ``subject`` and ``external_id``, read on ``opened``); the clocks ignore both
    subject: str | None = None
    external_id: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "at", utc_instant(self.at, f"event time of ticket {self.ticket_id}"))
        if not isinstance(self.kind, EventKind):
            try:
                object.__setattr__(self, "kind", EventKind(self.kind))
            except ValueError:
                known = ", ".join(k.value for k in EventKind)
                raise EventError(f"unknown event {self.kind!r}; use one of: {known}") from None


@dataclass(frozen=True, slots=True)
class RunningStretch:
    """A stretch of time during which a timer ran on one calendar.

    ``end``/``elapsed_at_end`` are None for the stretch still running.
    """

    start: datetime
    elapsed_at_start: timedelta
    end: datetime | None = None
    elapsed_at_end: timedelta | None = None
    calendar: Any = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class MetricTimer:
    """Where one metric's clock of one ticket stands at ``now`` (one cycle).

    - ``due_at``: when business elapsed reaches ``target`` if nothing pauses it; None while
      paused; for a stopped timer the due instant it had when it stopped (its breach instant
      if breached, None if it stopped while paused in time).
    - ``business_elapsed`` counts up to ``stopped_at`` or ``now``; ``remaining`` is negative
      when over; ``paused_for`` is wall time spent paused.
    - ``breached_at``: the instant business elapsed reached the target (never before
      ``target_since``, the instant the current target took effect), also for a timer
      stopped late; None otherwise.
    - ``resumed_at`` / ``elapsed_at_resume``: start of the current running stretch and the
      business elapsed at that instant (``resumed_at`` is None when paused or stopped).
    - ``stretches`` / ``calendar``: the running stretches and the target's calendar, used by
      :func:`alert_points`; a timer rebuilt from stored columns may leave them empty/None.
    """

    metric: Metric
    cycle: int
    priority: str
    target: timedelta
    calendar_name: str | None
    started_at: datetime
    due_at: datetime | None
    stopped_at: datetime | None
    business_elapsed: timedelta
    paused_for: timedelta
    remaining: timedelta
    percent_used: float
    state: TimerState
    breached_at: datetime | None
    pause_reason: str | None
    resumed_at: datetime | None
    elapsed_at_resume: timedelta
    ticket_id: str | None = None
    target_since: datetime | None = None
    stretches: tuple[RunningStretch, ...] = ()
    calendar: Any = field(default=None, compare=False, repr=False)


trusted_event = slot_builder(TicketEvent)
"""``TicketEvent(...)`` for a reader that has already checked the values: ``at`` an aware
datetime in UTC (``tzinfo is UTC``), ``kind`` an :class:`EventKind` (positional, in field order)."""


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One line of a ticket's SLA story: what happened to which clock, and why."""

    at: datetime
    event: str
    metric: Metric | None
    effect: str
    detail: str
