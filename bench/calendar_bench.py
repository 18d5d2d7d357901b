"""Due-time throughput of ``BusinessCalendar.add`` against pandas and a naive minute walk.

Run alone: ``.venv/bin/python bench/calendar_bench.py`` (pandas comes with the ``bench`` extra).

Workload: 10,000 random (start, duration) pairs, fixed seed, on a Mon–Fri 09:00–17:00
Europe/Berlin calendar with German public holidays; starts are random UTC minutes in
2026–2027 (as storage hands them over), durations 15 minutes to 30 working days (240 business
hours) on a 15-minute grid. Baselines:

* pandas ``CustomBusinessHour(start="09:00", end="17:00", holidays=...)`` on naive local
  Berlin time (pandas has no zone support for business hours). It takes whole hours only, so
  it runs on the pairs whose duration is a whole number of hours; its results are compared
  with ours on those pairs (the semantics agree there: the windows never touch a DST gap).
* the naive reference: walk minute by minute, read the local wall clock (a small subset).

Batches: ``add_many`` / ``elapsed_many`` on the same pairs (numpy when installed; the plain
loop of single calls otherwise), checked equal to the single calls. Goals: single calls
>= 100x pandas on the same job, batches >= 1,000,000 pairs/s.
"""

from __future__ import annotations

import random
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import holidays  # noqa: E402

from sla.calendar import BusinessCalendar  # noqa: E402

BERLIN = ZoneInfo("Europe/Berlin")
PAIRS = 10_000
PANDAS_PAIRS = 1_000
NAIVE_PAIRS = 20
SEED = 20260101


def make_pairs(rng: random.Random) -> list[tuple[datetime, timedelta]]:
    base = datetime(2026, 1, 1, tzinfo=UTC)
    pairs = []
    for _ in range(PAIRS):
        start = base + timedelta(minutes=rng.randrange(2 * 365 * 24 * 60))
        duration = timedelta(minutes=15 * rng.randint(1, 240 * 4))
        pairs.append((start, duration))
    return pairs


def rate(count: int, seconds: float) -> float:
    return count / seconds if seconds > 0 else float("inf")


def time_ours(cal: BusinessCalendar, pairs: list[tuple[datetime, timedelta]], repeat: int = 5) -> float:
    add = cal.add
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        for start, duration in pairs:
            add(start, duration)
        best = min(best, time.perf_counter() - t0)
    return rate(len(pairs), best)


def time_batch(run, count: int, repeat: int = 5) -> float:  # noqa: ANN001
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - t0)
    return rate(count, best)


def naive_add(start: datetime, duration: timedelta, closed: set[date]) -> datetime:
    """Walk minute by minute, checking the wall clock in Berlin (the deliberately slow way)."""
    need = duration // timedelta(minutes=1)
    t = start
    while need:
        local = t.astimezone(BERLIN)
        if (
            local.weekday() < 5
            and local.date() not in closed
            and 9 * 60 <= local.hour * 60 + local.minute < 17 * 60
        ):
            need -= 1
        t += timedelta(minutes=1)
    return t


def main() -> None:
    rng = random.Random(SEED)
    pairs = make_pairs(rng)
    config = {"timezone": "Europe/Berlin", "hours": {"mon-fri": "09:00-17:00"}, "holidays": {"country": "DE"}}
    cal = BusinessCalendar.from_config(config, name="berlin-office")

    t0 = time.perf_counter()
    cal.add(pairs[0][0], timedelta(minutes=1))
    build = time.perf_counter() - t0
    ours_results = [cal.add(s, d) for s, d in pairs]  # warm: every year the pairs reach is precomputed
    ours = time_ours(cal, pairs)
    print(
        f"workload: {PAIRS:,} pairs, Mon–Fri 09:00–17:00 Europe/Berlin + DE holidays, 15m..240 business hours"
    )
    print(f"first use (precompute 3 years): {build * 1000:.1f} ms")
    print(f"ours (UTC starts): {ours:,.0f} add/s")
    zoned = [(s.astimezone(BERLIN), d) for s, d in pairs]
    print(f"ours (Europe/Berlin starts): {time_ours(cal, zoned):,.0f} add/s")

    short = [(s, timedelta(minutes=30)) for s, _ in pairs]
    long = [(s, timedelta(days=30)) for s, _ in pairs]
    print(
        f"ours 30m target: {time_ours(cal, short):,.0f} add/s; 30d target (720 business hours): {time_ours(cal, long):,.0f} add/s"
    )

    starts = [s for s, _ in pairs]
    lengths = [d for _, d in pairs]
    assert cal.add_many(starts, lengths) == ours_results
    assert cal.elapsed_many(starts, ours_results) == lengths
    elapsed = cal.elapsed
    single_elapsed = time_batch(
        lambda: [elapsed(a, b) for a, b in zip(starts, ours_results, strict=True)], PAIRS
    )
    batch_add = time_batch(lambda: cal.add_many(starts, lengths), PAIRS)
    batch_elapsed = time_batch(lambda: cal.elapsed_many(starts, ours_results), PAIRS)
    from sla import calendar as calendar_module

    np = calendar_module._numpy()
    engine = "numpy" if np is not None else "plain loop (numpy not installed)"
    print(
        f"batches of datetimes ({engine}): add_many {batch_add:,.0f} pairs/s ({batch_add / ours:.1f}x single add); "
        f"elapsed_many {batch_elapsed:,.0f} pairs/s vs single elapsed {single_elapsed:,.0f}/s "
        f"({batch_elapsed / single_elapsed:.1f}x); equal to the single calls: yes"
    )
    array_add = array_elapsed = 0.0
    if np is not None:
        epoch, micro = datetime(1970, 1, 1, tzinfo=UTC), timedelta(microseconds=1)
        start_array = np.array([(s - epoch) // micro for s in starts], dtype=np.int64).astype("M8[us]")
        length_array = np.array([d // micro for d in lengths], dtype=np.int64).astype("m8[us]")
        due_array = cal.add_many(start_array, length_array)
        assert due_array.astype(np.int64).tolist() == [(d - epoch) // micro for d in ours_results]
        array_add = time_batch(lambda: cal.add_many(start_array, length_array), PAIRS)
        array_elapsed = time_batch(lambda: cal.elapsed_many(start_array, due_array), PAIRS)
        print(
            f"batches of numpy datetime64/timedelta64 arrays: add_many {array_add:,.0f} pairs/s, "
            f"elapsed_many {array_elapsed:,.0f} pairs/s; equal to the single calls: yes"
        )

    closed = {d for d, _ in holidays.country_holidays("DE", years=range(2025, 2031)).items()}
    subset = pairs[:NAIVE_PAIRS]
    t0 = time.perf_counter()
    naive_results = [naive_add(s, d, closed) for s, d in subset]
    naive = rate(len(subset), time.perf_counter() - t0)
    naive_mismatch = sum(a != b for a, b in zip(naive_results, ours_results[:NAIVE_PAIRS], strict=True))
    print(
        f"naive minute walk ({len(subset)} pairs): {naive:,.1f} add/s; mismatches with ours: {naive_mismatch}"
    )
    print(f"ours / naive = {ours / naive:,.0f}x")

    try:
        import pandas as pd
    except ImportError:
        print("pandas not installed (pip install -e '.[bench]'): baseline skipped")
        return
    whole_hours = [(i, s, d) for i, (s, d) in enumerate(pairs) if d % timedelta(hours=1) == timedelta(0)]
    whole_hours = whole_hours[:PANDAS_PAIRS]
    hour = timedelta(hours=1)
    cbh = pd.offsets.CustomBusinessHour(start="09:00", end="17:00", holidays=sorted(closed))

    def pandas_job() -> list[tuple[int, datetime]]:
        """The same job as ours: aware UTC start in, aware UTC due out (via naive local time)."""
        out = []
        for i, s, d in whole_hours:
            local = pd.Timestamp(s.astimezone(BERLIN).replace(tzinfo=None))
            due = (local + (d // hour) * cbh).tz_localize(BERLIN).tz_convert("UTC")
            out.append((i, due.to_pydatetime()))
        return out

    offsets = {h: cbh * h for h in {d // hour for _, _, d in whole_hours}}
    prepared = [pd.Timestamp(s.astimezone(BERLIN).replace(tzinfo=None)) for _, s, _ in whole_hours]
    prepared_offsets = [offsets[d // hour] for _, _, d in whole_hours]

    def pandas_core() -> None:
        """pandas arithmetic alone: starts already naive local, offsets prebuilt, results left naive."""
        for ts, off in zip(prepared, prepared_offsets, strict=True):
            ts + off

    best_job = best_core = float("inf")
    pandas_results: list[tuple[int, datetime]] = []
    for _ in range(3):
        t0 = time.perf_counter()
        pandas_results = pandas_job()
        best_job = min(best_job, time.perf_counter() - t0)
        t0 = time.perf_counter()
        pandas_core()
        best_core = min(best_core, time.perf_counter() - t0)
    job_rate, core_rate = rate(len(whole_hours), best_job), rate(len(whole_hours), best_core)
    ours_sub = time_ours(cal, [(s, d) for _, s, d in whole_hours])
    agree = mismatches = closing_vs_opening = 0
    for i, theirs in pandas_results:
        mine = ours_results[i]
        local = mine.astimezone(BERLIN)
        if (
            (local.hour, local.minute, local.second) == (17, 0, 0)
            and theirs > mine
            and cal.elapsed(mine, theirs) == timedelta(0)
        ):
            closing_vs_opening += 1  # ours: due at closing time; pandas: at the next opening
        elif theirs == mine:
            agree += 1
        else:
            mismatches += 1
    print(f"pandas CustomBusinessHour, same job ({len(whole_hours)} whole-hour pairs): {job_rate:,.0f} add/s")
    print(
        f"pandas CustomBusinessHour, arithmetic only (pre-converted, offsets prebuilt): {core_rate:,.0f} add/s"
    )
    print(f"ours on the same {len(whole_hours)} pairs: {ours_sub:,.0f} add/s")
    print(
        f"ours / pandas = {ours_sub / job_rate:,.0f}x (same job); {ours_sub / core_rate:,.0f}x (pandas arithmetic only)"
    )
    print(
        f"ours == pandas on {agree} of {len(pandas_results)} pairs; mismatches where the semantics agree: {mismatches}; "
        f"pairs due exactly at closing time (ours: closing time, pandas: next opening): {closing_vs_opening}"
    )
    import os

    load = os.getloadavg()
    print(f"load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} on {os.cpu_count()} cores")
    single_met = ours_sub / job_rate >= 100
    print(
        f"goal single calls >= 100x pandas on the same job: {'met' if single_met else 'NOT met'} "
        f"({ours_sub / job_rate:,.0f}x; {ours_sub / core_rate:,.0f}x against pandas' arithmetic alone)"
    )
    print(
        f"goal batches >= 1,000,000 pairs/s: datetimes {'met' if batch_add >= 1_000_000 else 'NOT met'} "
        f"(add_many {batch_add:,.0f}/s, elapsed_many {batch_elapsed:,.0f}/s); "
        f"arrays {'met' if array_add >= 1_000_000 else 'NOT met'} "
        f"(add_many {array_add:,.0f}/s, elapsed_many {array_elapsed:,.0f}/s)"
    )


if __name__ == "__main__":
    main()
