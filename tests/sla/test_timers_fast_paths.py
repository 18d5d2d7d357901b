"""The fold's fast paths give what their reference paths give.

- ``slot_builder(C)(*values)`` is ``C(*values)``: equal, equally hashed and printed, of class ``C``
  and still frozen, for every value class the fold and the readers build that way.
- The events reader's inline check of a row's cells accepts exactly the rows whose kind has the
  cells ``_NEEDS`` names (the others are read the long way, and refused with the same message).
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from itertools import product

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sla.metrics import EventKind, Metric, TimerState
from sla.replay import _NEEDS, ReplayRow, RowError, iter_events_csv
from sla.timer_values import MetricTimer, RunningStretch, TicketEvent, TimelineEntry, slot_builder

texts = st.none() | st.text(max_size=8)
instants = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2040, 1, 1), timezones=st.just(UTC)
)
spans = st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=90))


def _values(cls: type) -> st.SearchStrategy[tuple[object, ...]]:
    """Values of every field of ``cls`` (of the field's kind, loosely: a builder checks nothing)."""
    kinds = {
        datetime: instants,
        timedelta: spans,
        int: st.integers(0, 10**6),
        float: st.floats(0, 500, allow_nan=False),
        Metric: st.sampled_from(Metric),
        EventKind: st.sampled_from(EventKind),
        TimerState: st.sampled_from(TimerState),
    }
    draws = []
    for f in dataclasses.fields(cls):
        kind = next((k for k in kinds if k.__name__ in str(f.type)), None)
        base = kinds[kind] if kind is not None else texts
        draws.append(st.none() | base if "None" in str(f.type) else base)
    return st.tuples(*draws)


@pytest.mark.parametrize("cls", [TicketEvent, RunningStretch, MetricTimer, TimelineEntry, ReplayRow])
@settings(deadline=None, max_examples=60)
@given(data=st.data())
def test_slot_builder_builds_what_the_constructor_builds(cls: type, data: st.DataObject) -> None:
    values = data.draw(_values(cls))
    built = slot_builder(cls)(*values)
    expected = object.__new__(cls)  # the constructor without __post_init__'s conversions
    for f, value in zip(dataclasses.fields(cls), values, strict=True):
        object.__setattr__(expected, f.name, value)
    assert type(built) is cls
    assert built == expected and hash(built) == hash(expected) and repr(built) == repr(expected)
    assert all(getattr(built, f.name) is v for f, v in zip(dataclasses.fields(cls), values, strict=True))
    with pytest.raises(dataclasses.FrozenInstanceError):
        built.__setattr__(dataclasses.fields(cls)[0].name, None)
    assert dataclasses.replace(built) == built


def test_slot_builder_leaves_out_trailing_defaults_as_the_constructor_does() -> None:
    t0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
    assert slot_builder(TicketEvent)("T-1", t0, EventKind.OPENED) == TicketEvent("T-1", t0, EventKind.OPENED)
    assert slot_builder(RunningStretch)(t0, timedelta(0)) == RunningStretch(t0, timedelta(0))


def test_a_class_of_another_layout_is_built_through_its_slot_descriptors() -> None:
    @dataclasses.dataclass(frozen=True, slots=True, weakref_slot=True)
    class Weak:
        a: int
        b: str = "x"

    @dataclasses.dataclass(frozen=True, slots=True)
    class Child(Weak):
        c: int = 0

    assert slot_builder(Weak)(1) == Weak(1)
    assert slot_builder(Child)(1, "y", 2) == Child(1, "y", 2)


HEADER = "ticket_id,timestamp,event,priority,status,client\n"


@pytest.mark.parametrize("kind", list(EventKind))
def test_the_inline_cell_check_accepts_the_rows_needs_accepts(kind: EventKind) -> None:
    for priority, status, client in product(("", "P1"), ("", "waiting_on_client"), ("", "acme")):
        row = f"T-1,2026-03-02T09:00:00+00:00,{kind.value},{priority},{status},{client}\n"
        ((_, item),) = list(iter_events_csv([HEADER, row]))
        cells = {"priority": priority, "status": status, "client": client}
        complete = all(cells[name] for name in _NEEDS.get(kind, ()))
        assert (type(item) is not RowError) == complete, (kind, cells, item)
        if not complete:
            assert isinstance(item, RowError) and "needs" in item.message


def test_a_stopped_timer_read_again_is_the_same_value_until_the_ticket_is_dismissed() -> None:
    """timers() keeps a stopped timer's value (nothing later changes it) — but a dismissal voids it,
    and a ticket id given later is shown: both rebuild the value."""
    from sla.timers import TicketClock, evaluate
    from tests.sla.timers_fakes import at, make_version

    version = make_version({"P1": {"first_response": "1h", "resolution": "1d"}})
    events = [
        TicketEvent("T-9", at(2, 9), EventKind.OPENED, priority="P1"),
        TicketEvent("T-9", at(2, 11), EventKind.AGENT_MESSAGE),  # first_response stops breached
    ]
    clock = TicketClock(version, record_timeline=False)
    for event in events:
        clock.apply(event)
    first = clock.timers(at(2, 12))
    again = clock.timers(at(3, 12))
    stopped = [t for t in first if t.stopped_at is not None]
    assert stopped and all(any(a is t for a in again) for t in stopped)
    assert again == evaluate(events, version, at(3, 12))
    dismissal = TicketEvent("T-9", at(3, 13), EventKind.DISMISSED, note="spam")
    clock.apply(dismissal)
    voided = clock.timers(at(3, 14))
    assert voided == evaluate([*events, dismissal], version, at(3, 14))
    assert all(t.state is TimerState.CANCELLED and t.breached_at is None for t in voided)
    clock.ticket_id = "T-10"  # as the import names a ticket once it is stored
    assert all(t.ticket_id == "T-10" for t in clock.timers(at(3, 14)))
