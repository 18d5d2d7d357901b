"""Property tests of business calendars against a deliberately naive reference.

The reference below shares no code with ``sla.calendar``: it walks minute by minute and
applies the wall-clock definition directly (read the local date and time of each UTC minute
with zoneinfo, look the date up in the holidays, check the windows of that date). Inputs
and windows are minute-aligned so that walking by minutes is exact; the zones have odd
offsets and DST rules (New York, Berlin, Lord Howe's 30-minute shift, Kolkata, UTC) and the
start instants cluster around the DST transitions of those zones.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from sla.calendar import BusinessCalendar

ZONES = ("America/New_York", "Europe/Berlin", "Australia/Lord_Howe", "Asia/Kolkata", "UTC")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MINUTE = timedelta(minutes=1)
REF_SPAN_MINUTES = 16 * 24 * 60  # the reference walks at most 16 days


def transitions_2026(zone: ZoneInfo) -> list[datetime]:
    """UTC instants in 2026 (to the hour) after which the zone's UTC offset differs."""
    found = []
    t = datetime(2026, 1, 1, tzinfo=UTC)
    before = t.astimezone(zone).utcoffset()
    while t.year == 2026:
        t += timedelta(hours=1)
        now = t.astimezone(zone).utcoffset()
        if now != before:
            found.append(t)
        before = now
    return found


TRANSITIONS = {name: transitions_2026(ZoneInfo(name)) for name in ZONES}


@dataclass(frozen=True)
class Case:
    """A random calendar as plain data, and the same calendar built by slabot."""

    zone: ZoneInfo
    weekly: tuple[tuple[tuple[int, int], ...], ...]  # minutes after local midnight, Monday first
    closed: frozenset[date]
    special: dict[date, tuple[tuple[int, int], ...]]
    calendar: BusinessCalendar
    anchor: datetime  # UTC, minute-aligned: an instant near which to start

    def ref_is_open(self, t: datetime) -> bool:
        local = t.astimezone(self.zone)
        day = local.date()
        minute = local.hour * 60 + local.minute
        if day in self.special:
            windows = self.special[day]
        elif day in self.closed:
            windows = ()
        else:
            windows = self.weekly[day.weekday()]
        return any(a <= minute < b for a, b in windows)

    def ref_open_minutes(self, start: datetime, count: int) -> list[bool]:
        return [self.ref_is_open(start + k * MINUTE) for k in range(count)]


def hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@st.composite
def day_windows(draw: st.DrawFn) -> tuple[tuple[int, int], ...]:
    """Sorted, disjoint, non-touching windows on a 15-minute grid (00:00 to 24:00)."""
    points = sorted(draw(st.lists(st.integers(0, 96), unique=True, max_size=6)))
    if len(points) % 2:
        points = points[:-1]
    return tuple((points[i] * 15, points[i + 1] * 15) for i in range(0, len(points), 2))


@st.composite
def cases(draw: st.DrawFn) -> Case:
    name = draw(st.sampled_from(ZONES))
    zone = ZoneInfo(name)
    weekly = tuple(draw(day_windows()) for _ in range(7))
    assume(any(weekly))
    if TRANSITIONS[name] and draw(st.booleans() | st.just(True)):
        near = draw(st.sampled_from(TRANSITIONS[name]))
    else:
        near = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(days=draw(st.integers(0, 364)))
    anchor = near + timedelta(minutes=draw(st.integers(-3 * 1440, 2 * 1440)))
    anchor_day = anchor.astimezone(zone).date()
    closed = frozenset(
        anchor_day + timedelta(days=k) for k in draw(st.lists(st.integers(-2, 14), max_size=4))
    )
    special = {
        anchor_day + timedelta(days=k): w
        for k, w in draw(st.dictionaries(st.integers(-2, 14), day_windows(), max_size=3)).items()
    }
    hours: dict[str, list[str]] = {
        DAYS[i]: [f"{hhmm(a)}-{hhmm(b)}" for a, b in w] for i, w in enumerate(weekly) if w
    }
    config: dict[str, object] = {
        "timezone": name,
        "hours": hours,
        "holidays": {
            "dates": [d.isoformat() for d in sorted(closed)],
            "special": {d: [f"{hhmm(a)}-{hhmm(b)}" for a, b in w] for d, w in special.items()},
        },
    }
    calendar = BusinessCalendar.from_config(config, name="random")
    return Case(zone, weekly, closed, special, calendar, anchor)


COMMON = settings(deadline=None, max_examples=60, suppress_health_check=[HealthCheck.too_slow])


@COMMON
@given(case=cases(), duration_minutes=st.integers(0, 2400))
def test_add_elapsed_is_open_match_the_naive_reference(case: Case, duration_minutes: int) -> None:
    cal = case.calendar
    start = case.anchor
    opens = case.ref_open_minutes(start, REF_SPAN_MINUTES)
    # is_open at every minute of the first three days
    for k in range(3 * 1440):
        t = start + k * MINUTE
        assert cal.is_open(t) == opens[k], t.astimezone(case.zone)
    # elapsed over prefixes
    prefix = 0
    for k, is_open in enumerate(opens):
        if k % 97 == 0:
            assert cal.elapsed(start, start + k * MINUTE) == prefix * MINUTE
        prefix += is_open
    # add: the end of the duration_minutes-th open minute
    due = cal.add(start, duration_minutes * MINUTE)
    if duration_minutes == 0:
        assert due == start
        return
    count = 0
    expected = None
    for k, is_open in enumerate(opens):
        count += is_open
        if count == duration_minutes:
            expected = start + (k + 1) * MINUTE
            break
    if expected is None:
        assert due > start + REF_SPAN_MINUTES * MINUTE
    else:
        assert due == expected


@COMMON
@given(case=cases(), data=st.data())
def test_next_open_and_next_close_match_the_reference(case: Case, data: st.DataObject) -> None:
    cal = case.calendar
    t = case.anchor + data.draw(st.integers(0, 3 * 1440)) * MINUTE
    opens = case.ref_open_minutes(t, REF_SPAN_MINUTES)
    if opens[0]:
        assert cal.next_open(t) == t
        closes = opens.index(False) if False in opens else None
        if closes is not None:
            assert cal.next_close(t) == t + closes * MINUTE
    else:
        assert cal.next_close(t) == t
        if True in opens:
            assert cal.next_open(t) == t + opens.index(True) * MINUTE


instants = st.integers(0, 364 * 86400 - 1).map(
    lambda s: datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=s)
)
precise = st.tuples(instants, st.integers(0, 999_999)).map(lambda p: p[0] + timedelta(microseconds=p[1]))
durations = st.integers(0, 40 * 86400).map(lambda s: timedelta(seconds=s))


@COMMON
@given(case=cases(), start=precise, duration=durations, extra=durations)
def test_laws_of_add_and_elapsed(case: Case, start: datetime, duration: timedelta, extra: timedelta) -> None:
    cal = case.calendar
    due = cal.add(start, duration)
    assert due.tzinfo is UTC
    # elapsed(s, add(s, d)) == d
    assert cal.elapsed(start, due) == duration
    # add is the earliest such instant
    if duration:
        assert due > start
        assert cal.elapsed(start, due - timedelta(microseconds=1)) < duration
        if due - timedelta(seconds=1) >= start:
            assert cal.elapsed(start, due - timedelta(seconds=1)) < duration
    # monotone in the duration
    assert cal.add(start, duration + extra) >= due
    # monotone in the start
    later = start + extra
    assert cal.add(later, duration) >= due
    # additivity of elapsed
    a, b, c = start, due, due + extra
    assert cal.elapsed(a, b) + cal.elapsed(b, c) == cal.elapsed(a, c)
    assert cal.elapsed(b, a) == timedelta(0)


@COMMON
@given(case=cases(), t=precise)
def test_open_close_laws(case: Case, t: datetime) -> None:
    cal = case.calendar
    opening = cal.next_open(t)
    assert opening >= t
    assert cal.is_open(opening)
    assert cal.elapsed(t, opening) == timedelta(0)
    closing = cal.next_close(t)
    if cal.is_open(t):
        assert opening == t
        assert closing > t
        if closing.year < 9999:
            assert not cal.is_open(closing)
            assert cal.elapsed(t, closing) == closing - t
    else:
        assert closing == t


@settings(deadline=None, max_examples=40)
@given(zone=st.sampled_from(ZONES), start=precise, duration=durations)
def test_24x7_is_plain_arithmetic_in_every_zone(zone: str, start: datetime, duration: timedelta) -> None:
    fast = BusinessCalendar.always(zone)
    slow = BusinessCalendar.from_config(
        {"timezone": zone, "hours": {"mon-sun": "00:00-24:00"}, "holidays": {"dates": ["1990-01-01"]}}
    )
    assert fast.add(start, duration) == start + duration == slow.add(start, duration)
    assert fast.elapsed(start, start + duration) == duration == slow.elapsed(start, start + duration)
    assert slow.is_open(start)


# --------------------------------------------------------------------------- batches


far = st.integers(-400 * 86400, 3 * 365 * 86400).map(
    lambda s: datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=s)
)
zoned = st.tuples(precise | far, st.sampled_from(ZONES)).map(lambda p: p[0].astimezone(ZoneInfo(p[1])))
batch_durations = durations | st.integers(0, 3).map(lambda us: timedelta(microseconds=us))


@settings(COMMON, max_examples=30)
@given(case=cases(), pairs=st.lists(st.tuples(zoned, batch_durations), min_size=64, max_size=100))
def test_add_many_and_elapsed_many_equal_the_single_calls(
    case: Case, pairs: list[tuple[datetime, timedelta]]
) -> None:
    """The batches (numpy and plain loop) give exactly the single calls' answers, element by element."""
    from sla import calendar as module

    cal = case.calendar
    starts = [s for s, _ in pairs]
    lengths = [d for _, d in pairs]
    single = [cal.add(s, d) for s, d in pairs]
    assert cal.add_many(starts, lengths) == single
    if module._numpy() is not None:
        assert module._add_many_numpy(module._numpy(), cal, starts, lengths) == single
    assert cal.add_many(starts, lengths[0]) == [cal.add(s, lengths[0]) for s in starts]
    ends = [s + d for s, d in pairs[1:]] + [starts[0]]  # some before their start: zero
    single_elapsed = [cal.elapsed(a, b) for a, b in zip(starts, ends, strict=True)]
    assert cal.elapsed_many(starts, ends) == single_elapsed
    assert cal.elapsed_many(starts, single) == lengths
    np = module._numpy()
    if np is not None:
        assert module._elapsed_many_numpy(np, cal, starts, ends) == single_elapsed
        # arrays in, arrays out: datetime64 / timedelta64 microseconds, the same instants
        as_array = lambda values: np.array([(v - EPOCH) // US for v in values], dtype=np.int64)  # noqa: E731
        due = cal.add_many(as_array(starts).astype("M8[us]"), as_array_td(np, lengths))
        assert due.dtype == np.dtype("M8[us]") and due.astype(np.int64).tolist() == as_array(single).tolist()
        spans = cal.elapsed_many(as_array(starts).astype("M8[us]"), as_array(ends).astype("M8[us]"))
        assert spans.astype(np.int64).tolist() == [e // US for e in single_elapsed]


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
US = timedelta(microseconds=1)


def as_array_td(np, values: list[timedelta]):  # noqa: ANN001, ANN201
    return np.array([v // US for v in values], dtype=np.int64).astype("m8[us]")


def test_batches_raise_what_the_single_calls_raise() -> None:
    cal = BusinessCalendar.from_config({"timezone": "Europe/Berlin", "hours": {"mon-fri": "09:00-17:00"}})
    t = datetime(2026, 3, 2, 8, tzinfo=UTC)
    starts = [t + timedelta(hours=k) for k in range(100)]
    hour = timedelta(hours=1)
    bad = [*starts[:70], datetime(2026, 3, 2, 9), *starts[71:]]
    for call in (lambda: cal.add_many(bad, hour), lambda: cal.elapsed_many(bad, starts)):
        try:
            call()
        except ValueError as exc:
            assert "naive datetime datetime.datetime(2026, 3, 2, 9, 0)" in str(exc)
        else:  # pragma: no cover
            raise AssertionError("a naive datetime must be refused")
    lengths = [hour] * 100
    lengths[5] = -hour
    try:
        cal.add_many(starts, lengths)
    except ValueError as exc:
        assert str(exc) == "cannot add a negative business duration (-1 day, 23:00:00)"
    else:  # pragma: no cover
        raise AssertionError("a negative duration must be refused")
    never = BusinessCalendar.from_config({"timezone": "UTC", "hours": {"mon": []}})
    assert never.elapsed_many(starts, starts[1:] + starts[:1])[:2] == [timedelta(0), timedelta(0)]


def test_batches_reach_beyond_the_precomputed_years() -> None:
    """Due times years ahead (a sparse calendar, long targets) are found as the single call finds them."""
    sparse = BusinessCalendar.from_config({"timezone": "Asia/Kolkata", "hours": {"wed": "10:00-11:00"}})
    starts = [datetime(2026, 1, 1, tzinfo=UTC) + timedelta(days=3 * k, minutes=7 * k) for k in range(80)]
    lengths = [timedelta(hours=5 * k, microseconds=k % 3) for k in range(80)]  # up to ~8 years ahead
    single = [sparse.add(s, d) for s, d in zip(starts, lengths, strict=True)]
    assert single[-1].year >= 2033
    fresh = BusinessCalendar.from_config({"timezone": "Asia/Kolkata", "hours": {"wed": "10:00-11:00"}})
    assert fresh.add_many(starts, lengths) == single
    assert fresh.elapsed_many(starts, single) == lengths
    np = pytest.importorskip("numpy")
    again = BusinessCalendar.from_config({"timezone": "Asia/Kolkata", "hours": {"wed": "10:00-11:00"}})
    instants = np.array([(s - EPOCH) // US for s in starts], dtype=np.int64).astype("M8[us]")
    due = again.add_many(instants, as_array_td(np, lengths))
    assert [EPOCH + timedelta(microseconds=int(x)) for x in due.astype(np.int64)] == single
    with pytest.raises(ValueError, match="NaT"):
        again.add_many(np.array(["NaT"], dtype="M8[us]"), timedelta(hours=1))
    with pytest.raises(ValueError, match="negative"):
        again.add_many(instants, -timedelta(hours=1))
    always = BusinessCalendar.always("Europe/Berlin")
    assert (always.add_many(instants, timedelta(hours=5)) == instants + np.timedelta64(5, "h")).all()
    assert always.elapsed_many(instants, instants[::-1]).astype(np.int64).tolist() == [
        always.elapsed(a, b) // US for a, b in zip(starts, starts[::-1], strict=True)
    ]
