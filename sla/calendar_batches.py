"""Batch queries of a business calendar with numpy (optional): ``add_many`` and ``elapsed_many`` over
arrays or long lists answer in one vectorised pass over the calendar's precomputed open time.
:class:`sla.calendar.BusinessCalendar` calls these; ``cal`` below is one (typed ``Any`` here so the
two modules do not import each other)."""

from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sla.calendar_rules import (
    _EPOCH_UTC,
    _MICROSECOND,
)

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


def _arrays(ot: Any, np: Any) -> tuple[Any, Any, Any]:
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


def _add_epoch(np: Any, cal: Any, s: Any, us: Any, total: Any) -> tuple[Any, Any, list[int]]:
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
    np: Any, cal: Any, starts: Sequence[datetime], durations: Sequence[timedelta]
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


def _add_many_array(np: Any, cal: Any, starts: Any, durations: Any) -> Any:
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


def _elapsed_many_array(np: Any, cal: Any, starts: Any, ends: Any) -> Any:
    a_us = _array_micros(np, starts, "M", "starts")
    b_us = _array_micros(np, np.asarray(ends), "M", "ends")
    if cal.is_24x7 or not a_us.size:
        return np.maximum(b_us - a_us, 0).astype("m8[us]")
    return _elapsed_epoch(
        np, cal, a_us // 1_000_000, a_us % 1_000_000, b_us // 1_000_000, b_us % 1_000_000
    ).astype("m8[us]")


def _elapsed_many_numpy(
    np: Any, cal: Any, starts: Sequence[datetime], ends: Sequence[datetime]
) -> list[timedelta]:
    try:
        a, a_us = _epochs_numpy(np, starts)
        b, b_us = _epochs_numpy(np, ends)
    except TypeError:
        raise ValueError("a naive datetime") from None  # the single calls say which
    return list(_elapsed_epoch(np, cal, a, a_us, b, b_us).astype("m8[us]").astype(object))


def _elapsed_epoch(np: Any, cal: Any, a: Any, a_us: Any, b: Any, b_us: Any) -> Any:
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
