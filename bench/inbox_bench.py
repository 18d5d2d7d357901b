"""The Slack inbox (ack means stored): requests stored per second before their ack, 1 and 16 concurrent.

    .venv/bin/python bench/inbox_bench.py [--requests 2000] [--concurrency 1,16] [--backend sqlite|postgresql|both]

Every verified Slack request is written to ``slack_inbox`` before Slack gets its 200
(:class:`bot.inbox.Inbox`). This times ``Inbox.accept`` of slash commands (distinct signatures, a
dispatch that answers at once) from N threads, as the web server's threads call it: accepts/s wall,
CPU per accept (the process's), p50/p99 latency. Baseline, same run, fresh database: the same with
``Inbox(group_commit=False)`` — one write transaction per request, as before group commit.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.clock import ManualClock  # noqa: E402
from bot.inbox import Inbox, SlackRequest  # noqa: E402
from storage.db import make_engine, migrate  # noqa: E402
from storage.uow import UnitOfWork  # noqa: E402


def run(
    url: str, *, group_commit: bool, requests: int, concurrency: int
) -> tuple[float, float, float, float]:
    """(accepts/s wall, ms CPU per accept, p50 ms, p99 ms)."""
    engine = make_engine(url)
    migrate(engine)
    inbox = Inbox(
        UnitOfWork.from_engine(engine),
        ManualClock(datetime(2026, 12, 3, 12, tzinfo=UTC)),
        group_commit=group_commit,
    )

    def one(i: int) -> float:
        request = SlackRequest("", {}, "", f"sig:{concurrency}-{i}", "command", "T0BENCH001")
        started = time.perf_counter()
        inbox.accept(request, lambda _r: (200, {}, b"ok"))
        return time.perf_counter() - started

    cpu, wall = time.process_time(), time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        latencies = sorted(pool.map(one, range(requests)))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    engine.dispose()
    return (
        requests / wall,
        1000 * cpu / requests,
        1000 * latencies[requests // 2],
        1000 * latencies[int(requests * 0.99)],
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", default="1,16")
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="sqlite")
    args = parser.parse_args()
    from bench._common import Databases, backends_of

    backends = backends_of(args.backend)
    print(
        f"inbox bench: Inbox.accept of {args.requests:,} slash commands; baseline Inbox(group_commit=False)"
    )
    with Databases(backends, prefix="slabot-inbox-bench-") as dbs:
        n = 0
        for backend in backends:
            for concurrency in (int(c) for c in args.concurrency.split(",")):
                figures = {}
                for group_commit in (False, True):
                    n += 1
                    url = dbs.url(backend, f"inbox{n}")
                    figures[group_commit] = run(
                        url, group_commit=group_commit, requests=args.requests, concurrency=concurrency
                    )
                load = " ".join(f"{x:.1f}" for x in os.getloadavg())
                for group_commit, (rate, cpu, p50, p99) in figures.items():
                    label = "group commit " if group_commit else "one tx each  "
                    print(
                        f"[{backend}] {concurrency:2d} concurrent  {label} {rate:7,.0f} accepts/s  "
                        f"{cpu:6.3f} ms CPU each  p50 {p50:7.1f} ms  p99 {p99:7.1f} ms"
                    )
                print(
                    f"[{backend}] {concurrency:2d} concurrent  ratio {figures[True][0] / figures[False][0]:.1f}x "
                    f"accepts/s  (load {load})"
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
