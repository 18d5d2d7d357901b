"""Replay throughput: parse an events CSV and fold it through the SLA engine, end to end.

    .venv/bin/python bench/replay_bench.py [--events 1000000] [--naive-events 20000] [--seed 7]

Generates a realistic log with a fixed seed against ``examples/contracts.yaml`` (many
interleaved tickets; replies, next-response waits, pauses while waiting on the client,
priority changes, reopens, closes), writes it to a temporary CSV, then times
``read_events_csv`` + ``replay`` (parse vs fold split) and the one-pass streaming
``replay_csv``. Goal: >= 50,000 events/s end to end on one core.

Baseline, side by side: the naive approach — re-evaluating each ticket's whole event list
with ``sla.timers.evaluate`` on every event — on the first ``--naive-events`` events, and
the incremental fold on the same subset; the ratio is printed.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sla.contracts import ContractBook, load_contracts  # noqa: E402
from sla.metrics import EventKind  # noqa: E402
from sla.replay import read_events_csv, replay, replay_csv, write_events_csv  # noqa: E402
from sla.timers import TicketEvent, evaluate  # noqa: E402

GOAL = 50_000
START = datetime(2026, 1, 5, tzinfo=UTC)
PRIORITY_WEIGHTS = {"P1": 0.05, "P2": 0.2, "P3": 0.55, "P4": 0.2}


def _hours(rng: random.Random, mean: float) -> timedelta:
    return timedelta(seconds=int(rng.expovariate(1 / (mean * 3600))) + 60)


def ticket_events(rng: random.Random, book: ContractBook, n: int, opened: datetime) -> list[TicketEvent]:
    """One realistic ticket's events (time-ordered)."""
    client = rng.choice(sorted(book.clients))
    version = book.version_for(client, opened)
    priorities = list(version.priorities)
    weights = [PRIORITY_WEIGHTS.get(p, 0.1) for p in priorities]
    priority = rng.choices(priorities, weights)[0]
    tid = f"T-{n}"
    E = EventKind
    out = [TicketEvent(tid, opened, E.OPENED, priority=priority, client=client)]
    t = opened

    def add(delay: timedelta, kind: EventKind, **fields: str) -> None:
        nonlocal t
        t = t + delay
        out.append(TicketEvent(tid, t, kind, **fields))

    add(_hours(rng, 2), E.AGENT_MESSAGE)
    for _ in range(rng.choice((0, 1, 1, 2, 3))):
        if rng.random() < 0.35:  # the agent asks; the clock waits for the client
            add(timedelta(minutes=rng.randint(1, 30)), E.STATUS, status="waiting_on_client")
            add(_hours(rng, 10), E.CLIENT_MESSAGE)
            add(timedelta(minutes=rng.randint(0, 5)), E.STATUS, status="open")
        else:
            add(_hours(rng, 5), E.CLIENT_MESSAGE)
        if rng.random() < 0.1 and len(priorities) > 1:
            add(timedelta(minutes=rng.randint(1, 90)), E.PRIORITY, priority=rng.choice(priorities))
        add(_hours(rng, 1.5), E.AGENT_MESSAGE)
    add(_hours(rng, 20), E.RESOLVED)
    if rng.random() < 0.08:
        add(_hours(rng, 36), E.REOPENED)
        add(_hours(rng, 2), E.AGENT_MESSAGE)
        add(_hours(rng, 12), E.RESOLVED)
    if rng.random() < 0.7:
        add(timedelta(days=rng.randint(3, 7)), E.CLOSED)
    return out


def generate(book: ContractBook, events: int, seed: int) -> list[TicketEvent]:
    """About ``events`` events of many tickets opened over ~half a year, in global time order."""
    rng = random.Random(seed)
    span = timedelta(days=180).total_seconds()
    tickets = max(1, events // 9)
    log: list[TicketEvent] = []
    n = 0
    while len(log) < events:
        n += 1
        opened = START + timedelta(seconds=int(rng.random() * span))
        log.extend(ticket_events(rng, book, n, opened))
        if n > tickets * 3:
            break
    del log[events:]
    log.sort(key=lambda e: e.at)  # stable: a ticket's equal-time events keep their order
    return log


def naive_replay(book: ContractBook, events: list[TicketEvent]) -> int:
    """Re-evaluate the ticket's full history at every event (what a non-incremental engine does)."""
    history: dict[str, list[TicketEvent]] = {}
    version_of: dict[str, object] = {}
    timers = 0
    for e in events:
        if e.kind is EventKind.OPENED:
            version_of[e.ticket_id] = book.version_for(e.client or "", e.at)
            history[e.ticket_id] = []
        if e.ticket_id not in history:
            continue
        history[e.ticket_id].append(e)
        timers = len(evaluate(history[e.ticket_id], version_of[e.ticket_id], e.at))
    return timers


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--naive-events", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--contracts", default=str(ROOT / "examples" / "contracts.yaml"))
    args = parser.parse_args(argv)

    book = load_contracts(args.contracts)
    t = time.perf_counter()
    log = generate(book, args.events, args.seed)
    kinds: dict[str, int] = {}
    for e in log:
        kinds[e.kind.value] = kinds.get(e.kind.value, 0) + 1
    fd, name = tempfile.mkstemp(suffix=".csv", prefix="replay-bench-")
    os.close(fd)
    path = Path(name)
    try:
        with path.open("w", newline="", encoding="utf-8") as f:
            write_events_csv(log, f)
        subset = log[: args.naive_events]
        del log
        gc.collect()
        size = path.stat().st_size
        print(
            f"generated {sum(kinds.values()):,} events in {time.perf_counter() - t:.1f}s "
            f"({size / 1e6:.0f} MB CSV, {kinds.get('opened', 0):,} tickets, "
            + ", ".join(f"{k} {v:,}" for k, v in sorted(kinds.items()))
            + ")"
        )

        gc.collect()
        w0, c0 = time.perf_counter(), time.process_time()
        with path.open(newline="", encoding="utf-8") as f:
            events, parse_errors = read_events_csv(f)
        w1, c1 = time.perf_counter(), time.process_time()
        result = replay(book, events)
        w2, c2 = time.perf_counter(), time.process_time()
        n = len(events)
        rate, cpu_rate = n / (w2 - w0), n / (c2 - c0)
        print(
            f"read_events_csv + replay: {n:,} events in {w2 - w0:.2f}s wall = {rate:,.0f} events/s "
            f"({c2 - c0:.2f}s CPU = {cpu_rate:,.0f} events/s); split (CPU): parse {c1 - c0:.2f}s = "
            f"{n / (c1 - c0):,.0f}/s, fold + rows {c2 - c1:.2f}s = {n / (c2 - c1):,.0f}/s; "
            f"{len(result.rows):,} timer rows, {len(parse_errors) + len(result.errors)} rejected rows"
        )
        print(
            f"goal >= {GOAL:,} events/s on one core: {'met' if cpu_rate >= GOAL else 'NOT met'} "
            f"(CPU time of this process; wall time also counts other processes on a shared machine)"
        )
        del events, result
        gc.collect()

        w0, c0 = time.perf_counter(), time.process_time()
        with path.open(newline="", encoding="utf-8") as f:
            streamed = replay_csv(book, f)
        w1, c1 = time.perf_counter(), time.process_time()
        print(
            f"replay_csv (one streaming pass): {streamed.events:,} events in {w1 - w0:.2f}s wall = "
            f"{streamed.events / (w1 - w0):,.0f} events/s ({streamed.events / (c1 - c0):,.0f} events/s CPU)"
        )
        del streamed
        gc.collect()

        c0 = time.process_time()
        incremental = replay(book, subset)
        c1 = time.process_time()
        naive_replay(book, subset)
        c2 = time.process_time()
        fast = len(subset) / (c1 - c0)
        slow = len(subset) / (c2 - c1)
        print(
            f"baseline on the first {len(subset):,} events ({incremental.tickets:,} tickets), CPU: "
            f"incremental fold {fast:,.0f} events/s vs naive re-evaluation of the ticket's history "
            f"on every event {slow:,.0f} events/s — {fast / slow:.1f}x"
        )
    finally:
        path.unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
