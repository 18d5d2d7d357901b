"""Sweep cost against the number of active timers, and delivery throughput under Slack's pacing.

    .venv/bin/python bench/sweep_bench.py                         # 10k and 100k active timers, SQLite
    .venv/bin/python bench/sweep_bench.py --full                  # also 1,000,000
    .venv/bin/python bench/sweep_bench.py --backend postgresql    # on a throwaway PostgreSQL cluster
    .venv/bin/python bench/sweep_bench.py --sizes 2000 --due 100  # quick

1. **Sweep**: N active timers whose next alert is in the future, plus D real tickets whose warning is
   due. One ``Sweeper.run_once()`` is timed with D = 0 and D = 1,000: the cost should follow D (the
   claim uses the ``next_alert_at`` index), not N. The D = 1,000 sweep runs ``--rounds`` times each,
   alternating, batched (today's sweep: a claim batch's tickets in one transaction, notifications
   inserted in bulk) and the baseline ticket by ticket (``Sweeper(batched=False)``, the sweep before
   batching), the database put back between runs. Goals (issue 16): 1,000 due alerts enqueued in
   < 0.5 s; flat from 10,000 to 1,000,000 active timers (<= 2x).
2. **Delivery**: C channels × M alerts each through the Slack emulator with its per-channel limit
   on (1/s, bursts of 3), the clock advanced one simulated second between notifier runs. Reports
   messages posted, digests, simulated seconds and wall-clock throughput, and any 429.

First version's figures (2 shared cores, SQLite): idle sweep 1.0 ms at 10k and 0.6 ms at 100k
active timers; 1,000 due: 4.0 s at 10k, 4.3 s at 100k (~4 ms per due timer: one transaction and
one event fold per ticket); delivery 10 channels x 20 alerts: 200 messages in 19 simulated
seconds, 86 messages/s wall, no HTTP 429.
"""

from __future__ import annotations

import argparse
import functools
import os
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests.support.postgres

from sqlalchemy import bindparam, delete, func, insert, select, text, update  # noqa: E402

from bot.clock import ManualClock  # noqa: E402
from bot.sandbox.emulator import SlackEmulator  # noqa: E402
from bot.services.alerts import Sweeper  # noqa: E402
from bot.services.tickets import TicketService  # noqa: E402
from handlers.notifier import Notifier, notifier_web_client  # noqa: E402
from sla.contracts import load_contracts_text  # noqa: E402
from storage.db import make_engine, migrate  # noqa: E402
from storage.models import MetricTimerRow, Notification, Ticket  # noqa: E402
from storage.uow import UnitOfWork  # noqa: E402
from tests.support.contract_file import contract_file  # noqa: E402
from tests.support.postgres import PostgresCluster  # noqa: E402

TEAM = "T0BENCH001"
START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
CONTRACTS = contract_file(
    gold="""
        calendar: 24x7
        warn_at: ["50%", "75%", "90%"]
        alerts: {channel: C0ALERTS01, thread: false}
        default_priority: P1
        targets:
          P1: {first_response: 20m, resolution: 8h}
    """
)


def seed_background(uow: UnitOfWork, count: int, far: datetime) -> None:
    """``count`` active timers (on count/2 tickets) whose next alert is far in the future."""
    with uow.begin() as tx:
        tx.workspaces.upsert(team_id=TEAM, name="bench", installed_at=START)
    tickets = (count + 1) // 2
    chunk = 20_000
    for base in range(0, tickets, chunk):
        n = min(chunk, tickets - base)
        with uow.begin() as tx:
            session = tx.session
            ids = list(
                session.scalars(
                    insert(Ticket).returning(Ticket.id),
                    [
                        {
                            "team_id": TEAM,
                            "number": 1_000_000 + base + i,
                            "ref": f"B-{base + i}",
                            "source": "import",
                            "status": "open",
                            "client_key": "acme",
                            "opened_at": START,
                            "updated_at": START,
                            "is_open": True,
                            "has_breach": False,
                            "event_seq": 1,
                        }
                        for i in range(n)
                    ],
                )
            )
            rows = []
            for ticket_id in ids:
                for metric in ("first_response", "resolution"):
                    if len(rows) + (base * 2) >= count:
                        break
                    rows.append(
                        {
                            "team_id": TEAM,
                            "ticket_id": ticket_id,
                            "metric": metric,
                            "cycle": 1,
                            "priority": "P1",
                            "state": "running",
                            "target_seconds": 1200.0,
                            "calendar_name": "24x7",
                            "started_at": START,
                            "due_at": far,
                            "business_elapsed_seconds": 0.0,
                            "paused_for_seconds": 0.0,
                            "resumed_at": START,
                            "elapsed_at_resume_seconds": 0.0,
                            "next_alert_at": far,
                            "updated_at": START,
                        }
                    )
            session.execute(insert(MetricTimerRow), rows)


def _due_state(uow: UnitOfWork, now: datetime) -> list[tuple[int, datetime]]:
    """The due timers' ``next_alert_at`` before a sweep (to put them back for the other side)."""
    with uow.begin(read_only=True) as tx:
        m = MetricTimerRow
        return list(tx.session.execute(select(m.id, m.next_alert_at).where(m.next_alert_at <= now)))


def _reset(uow: UnitOfWork, due: list[tuple[int, datetime]]) -> None:
    """Undo a sweep: its notifications dropped, the due timers' instants and leases as before."""
    with uow.begin() as tx:
        tx.session.execute(delete(Notification).where(Notification.kind.in_(["warning", "breach"])))
        table = MetricTimerRow.__table__
        tx.session.execute(
            update(table)
            .where(table.c.id == bindparam("b_id"))
            .values(next_alert_at=bindparam("b_at"), lease_until=None, claimed_by=None),
            [{"b_id": timer_id, "b_at": at} for timer_id, at in due],
        )


def bench_sweep(url: str, sizes: list[int], due: int, rounds: int) -> None:
    print(f"\n== sweep cost ({url.split(':')[0]}) — one run_once(), median of {rounds} ==")
    print(
        "baseline: the same sweep ticket by ticket (Sweeper(batched=False): one transaction, one fold and "
        "one insert per notification for each ticket, the path before batching), same database, alternating"
    )
    print(
        f"{'active timers':>14} {'due':>6} {'batched s':>10} {'per due':>9} {'baseline s':>11} {'ratio':>7}"
        f" {'batched CPU s':>14}"
    )
    book = load_contracts_text(CONTRACTS)
    results: dict[int, float] = {}
    cpu: dict[int, float] = {}
    for size in sizes:
        engine = make_engine(url_for(url, size))
        migrate(engine)
        uow = UnitOfWork.from_engine(engine)
        clock = ManualClock(START)
        tickets = TicketService(uow=uow, book=book, clock=clock)
        seed_background(uow, size, START + timedelta(days=365))
        if engine.dialect.name == "postgresql":  # as autovacuum would after a bulk load: fresh planner stats
            with engine.connect() as conn:
                conn.execute(text("ANALYZE"))
                conn.commit()

        # a fresh sweeper each run: no folds cached from the other side
        sweeper = functools.partial(
            Sweeper, uow=uow, book=book, tickets=tickets, clock=clock, worker_id="bench"
        )

        clock.set(START + timedelta(minutes=11))
        idle = statistics.median(timed(sweeper(batched=True).run_once)[0] for _ in range(3))
        print(f"{size:>14,} {0:>6} {idle:>10.4f} {'-':>9} {'-':>11} {'-':>7}")
        clock.set(START)
        for _ in range(due):
            tickets.open(team_id=TEAM, client_key="acme", source="slash_command", title="bench")
        clock.set(START + timedelta(minutes=11))  # every new ticket's 50 % warning is due
        before = _due_state(uow, clock.now())
        times: dict[bool, list[float]] = {True: [], False: []}
        cpu_times: list[float] = []
        for _ in range(rounds):
            for batched in (False, True):
                run = sweeper(batched=batched)
                wall, spent = timed(run.run_once)
                times[batched].append(wall)
                if batched:
                    cpu_times.append(spent)
                with uow.begin(read_only=True) as tx:
                    queued = tx.session.scalar(
                        select(func.count()).select_from(Notification).where(Notification.kind == "warning")
                    )
                assert queued == due, (batched, queued)
                _reset(uow, before)
        busy, base = statistics.median(times[True]), statistics.median(times[False])
        results[size], cpu[size] = busy, statistics.median(cpu_times)
        per = f"{busy / max(due, 1) * 1000:.2f} ms"
        print(
            f"{size:>14,} {due:>6} {busy:>10.4f} {per:>9} {base:>11.4f} {base / busy:>6.1f}x {cpu[size]:>14.4f}"
        )
        engine.dispose()
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"load average {load} on {os.cpu_count()} cores")
    worst, worst_cpu = max(results.values()), max(cpu.values())
    print(
        f"goal {due:,} due alerts enqueued < 0.5 s: {'met' if worst < 0.5 else 'NOT met'} "
        f"(slowest {worst:.3f} s wall); on CPU time: {'met' if worst_cpu < 0.5 else 'NOT met'} "
        f"(slowest {worst_cpu:.3f} s)"
    )
    if len(results) > 1:
        small, large = min(results), max(results)
        wall_ratio, cpu_ratio = results[large] / results[small], cpu[large] / cpu[small]
        print(
            f"goal flat from {small:,} to {large:,} active timers (<= 2x): "
            f"{'met' if wall_ratio <= 2 else 'NOT met'} on wall time ({wall_ratio:.2f}x); "
            f"{'met' if cpu_ratio <= 2 else 'NOT met'} on CPU time ({cpu_ratio:.2f}x)"
        )


def bench_delivery(url: str, channels: int, per_channel: int) -> None:
    print(
        f"\n== delivery: {channels} channels × {per_channel} alerts, emulator limit 1/s per channel, burst 3 =="
    )
    clients_text = "\n".join(
        f"  c{n}: {{name: C{n}, channels: [C0SUP{n:05d}], contract: k{n}}}" for n in range(channels)
    )
    contracts_text = "\n".join(
        f"""  k{n}:
    versions:
      - effective: 2026-01-01
        calendar: 24x7
        warn_at: ["50%"]
        alerts: {{channel: C0ALR{n:05d}, thread: false}}
        default_priority: P1
        targets:
          P1: {{first_response: {20 + 2 * i}m}}"""
        for n in range(channels)
        for i in range(1)
    )
    book = load_contracts_text(f"clients:\n{clients_text}\ncontracts:\n{contracts_text}\n")
    engine = make_engine(url_for(url, -1))
    migrate(engine)
    uow = UnitOfWork.from_engine(engine)
    clock = ManualClock(START)
    tickets = TicketService(uow=uow, book=book, clock=clock)
    for i in range(per_channel):
        for n in range(channels):
            tickets.open(team_id=TEAM, client_key=f"c{n}", source="slash_command", title=f"t{i}")
        clock.advance(timedelta(seconds=1))  # 50 % warnings fall due one per channel per second
    with SlackEmulator(clock=clock, auto_create_channels=True) as slack:
        slack.enforce_channel_rate(1.0, burst=3)
        client = notifier_web_client("xoxb-test", base_url=slack.url)
        sweeper = Sweeper(uow=uow, book=book, tickets=tickets, clock=clock, worker_id="s")
        notifier = Notifier(
            uow=uow, book=book, tickets=tickets, clients=lambda _t: client, clock=clock, worker_id="n"
        )
        clock.set(START + timedelta(minutes=10))
        started = time.perf_counter()
        posted = digests = sent = 0
        simulated = 0
        while True:
            sweeper.run_once()
            stats = notifier.run_once()
            posted, digests, sent = posted + stats.posted, digests + stats.digests, sent + stats.sent
            if sent >= channels * per_channel or simulated > 3600:
                break
            clock.advance(timedelta(seconds=1))
            simulated += 1
        wall = time.perf_counter() - started
        limited = sum(1 for c in slack.calls_to("chat.postMessage") if c.status == 429)
    engine.dispose()
    print(f"alerts delivered {sent:,} in {posted:,} messages ({digests} digests), {simulated} simulated s")
    print(
        f"wall {wall:.2f} s → {sent / wall:,.0f} alerts/s, {posted / wall:,.0f} messages/s; HTTP 429 seen: {limited}"
    )
    if url == "sqlite" and (channels, per_channel) == (10, 20):
        print("baseline: 200 alerts in 200 messages, 19 simulated s, 86 messages/s wall, HTTP 429 seen: 0")


_TMP = Path(tempfile.mkdtemp(prefix="sweep-bench-"))
_PG: PostgresCluster | None = None


def url_for(backend_url: str, size: int) -> str:
    if backend_url == "sqlite":
        return f"sqlite:///{_TMP / f'bench-{size}.db'}"
    assert _PG is not None
    return _PG.create_database(f"bench_{size if size >= 0 else 'delivery'}")


def timed(func: object) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process) of one call: the sweep runs in this process, so its
    CPU time is the sweep's own whatever else the machine runs; wall time adds waiting for the CPU and
    for the disk (SQLite's WAL checkpoints)."""
    started, spent = time.perf_counter(), time.process_time()
    func()  # type: ignore[operator]
    return time.perf_counter() - started, time.process_time() - spent


def main() -> None:
    global _PG
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--full", action="store_true", help="also 1,000,000 active timers")
    parser.add_argument("--sizes", type=int, nargs="*", help="active timer counts (default 10k 100k)")
    parser.add_argument("--due", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3, help="alternating runs of each side (median)")
    parser.add_argument("--channels", type=int, default=10)
    parser.add_argument("--per-channel", type=int, default=20)
    args = parser.parse_args()
    sizes = args.sizes or [10_000, 100_000, *([1_000_000] if args.full else [])]
    with ExitStack() as stack:
        if args.backend == "postgresql":
            _PG = stack.enter_context(PostgresCluster())
        bench_sweep(args.backend, sizes, args.due, args.rounds)
        bench_delivery(args.backend, args.channels, args.per_channel)


if __name__ == "__main__":
    main()
