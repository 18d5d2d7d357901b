"""Storage benchmark: event appends, claim cost vs. active timers, the /sla status query.

    .venv/bin/python bench/storage_bench.py --backend both --sizes 10000,100000,1000000

(a) events appended per second: ``tx.events.append_many`` (1,000 per transaction, bulk: the goal of issue 16 is
    >= 5,000/s on PostgreSQL) beside the baseline ``tx.events.append`` one by one (1,000 per transaction, and 1 per
    transaction), same run;
(b) time of one claim transaction (``claim_due(limit=100)``) with N active timers when 0 and when 100 are
    due — goal: flat (the largest N within 2x of the smallest) and the idle claim under 5 ms;
(c) ``tx.status.open_tickets`` p50/p99 with 100,000 open tickets — goal: p99 under 20 ms.

PostgreSQL runs on a throwaway cluster (``tests.support.postgres.PostgresCluster``, fsync off): figures are
about query plans and round trips, not disk durability. Rows for (b)/(c) are bulk-loaded (COPY on
PostgreSQL, executemany on SQLite) into one workspace, the worst case for team scoping.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import Engine, text  # noqa: E402

from bench._common import Databases, backends_of  # noqa: E402
from storage.db import make_engine, make_session_factory  # noqa: E402
from storage.repositories import ALL_TEAMS, NewEvent, Repositories  # noqa: E402
from storage.uow import UnitOfWork  # noqa: E402

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
TEAM = "TBENCH"
CHANNELS = [f"C{i:03d}" for i in range(50)]
STATUS_SIZE = 100_000


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


@contextlib.contextmanager
def database(backend: str, dbs: Databases) -> Iterator[Engine]:
    engine = make_engine(dbs.url(backend, migrated=True))
    try:
        yield engine
    finally:
        engine.dispose()


# --- (a) events ----------------------------------------------------------------------------------


def bench_events(engine: Engine, label: str) -> None:
    uow = UnitOfWork.from_engine(engine)
    with uow.begin() as tx:
        tickets = [tx.tickets.create(team_id="TEV", source="import", opened_at=NOW).id for _ in range(100)]

    def append(tx: Repositories, i: int) -> None:
        tx.events.append(
            team_id="TEV",
            ticket_id=tickets[i % len(tickets)],
            at=NOW + timedelta(seconds=i),
            kind="client_message",
            actor="U1",
            recorded_at=NOW,
        )

    batched_n = 10_000
    start = time.perf_counter()
    for batch in range(batched_n // 1000):
        with uow.begin() as tx:
            for i in range(batch * 1000, (batch + 1) * 1000):
                append(tx, i)
    batched = batched_n / (time.perf_counter() - start)
    single_n = 1_000
    start = time.perf_counter()
    for i in range(single_n):
        with uow.begin() as tx:
            append(tx, batched_n + i)
    single = single_n / (time.perf_counter() - start)
    start = time.perf_counter()
    first = batched_n + single_n
    for batch in range(batched_n // 1000):
        with uow.begin() as tx:
            tx.events.append_many(
                team_id="TEV",
                events=[
                    NewEvent(
                        ticket_id=tickets[i % len(tickets)],
                        at=NOW + timedelta(seconds=i),
                        kind="client_message",
                        actor="U1",
                    )
                    for i in range(first + batch * 1000, first + (batch + 1) * 1000)
                ],
                recorded_at=NOW,
            )
    bulk = batched_n / (time.perf_counter() - start)
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"[{label}] (a) events appended: {bulk:,.0f}/s append_many 1,000 per transaction (bulk); "
        f"baseline {batched:,.0f}/s append one by one, 1,000 per transaction ({bulk / batched:.1f}x); "
        f"{single:,.0f}/s one per transaction (load average {load})"
    )
    if label == "postgresql":
        print(
            f"[{label}] (a) goal event appends >= 5,000/s batched: "
            f"{'met' if bulk >= 5000 else 'NOT met'} ({bulk:,.0f}/s)"
        )


# --- bulk load -----------------------------------------------------------------------------------


def sqlite_stamp(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def load_rows(engine: Engine, start: int, stop: int, rng: random.Random) -> None:
    """Tickets ``start+1..stop`` (open, one running resolution timer each, alert in the future)."""
    tickets = []
    timers = []
    for n in range(start + 1, stop + 1):
        opened = NOW - timedelta(minutes=rng.randint(1, 60 * 24 * 5))
        due = NOW + timedelta(minutes=rng.randint(-600, 60 * 24 * 10))
        alert = NOW + timedelta(minutes=rng.randint(60, 60 * 24 * 30))
        channel = CHANNELS[n % len(CHANNELS)]
        tickets.append(
            (
                n,
                TEAM,
                n,
                f"T-{n}",
                "import",
                channel,
                f"U{n % 40}",
                "P2",
                "open",
                opened,
                opened,
                True,
                due,
                due < NOW,
                0,
            )
        )
        timers.append(
            (
                n,
                TEAM,
                n,
                "resolution",
                1,
                "P2",
                "breached" if due < NOW else "running",
                28800.0,
                opened,
                due,
                0.0,
                0.0,
                alert,
                opened,
            )
        )
    t_cols = (
        "id, team_id, number, ref, source, channel_id, assignee, priority, status, opened_at, updated_at, "
        "is_open, next_due_at, has_breach, event_seq"
    )
    m_cols = (
        "id, team_id, ticket_id, metric, cycle, priority, state, target_seconds, started_at, due_at, "
        "business_elapsed_seconds, paused_for_seconds, next_alert_at, updated_at"
    )
    raw = engine.raw_connection()
    try:
        if engine.dialect.name == "sqlite":

            def conv(row: tuple[object, ...]) -> tuple[object, ...]:
                return tuple(sqlite_stamp(v) if isinstance(v, datetime) else v for v in row)

            cur = raw.cursor()
            cur.execute("BEGIN IMMEDIATE")
            cur.executemany(
                f"INSERT INTO tickets ({t_cols}) VALUES ({','.join('?' * 15)})", map(conv, tickets)
            )
            cur.executemany(
                f"INSERT INTO metric_timers ({m_cols}) VALUES ({','.join('?' * 14)})", map(conv, timers)
            )
            cur.execute("UPDATE workspaces SET ticket_seq = ? WHERE team_id = ?", (stop, TEAM))
            cur.execute("COMMIT")
            cur.execute("ANALYZE")
        else:
            cur = raw.cursor()
            with cur.copy(f"COPY tickets ({t_cols}) FROM STDIN") as copy:  # type: ignore[attr-defined]
                for row in tickets:
                    copy.write_row(row)
            with cur.copy(f"COPY metric_timers ({m_cols}) FROM STDIN") as copy:  # type: ignore[attr-defined]
                for row in timers:
                    copy.write_row(row)
            cur.execute("UPDATE workspaces SET ticket_seq = %s WHERE team_id = %s", (stop, TEAM))
            cur.execute("SELECT setval(pg_get_serial_sequence('tickets', 'id'), %s)", (stop,))
            cur.execute("SELECT setval(pg_get_serial_sequence('metric_timers', 'id'), %s)", (stop,))
            raw.commit()
            raw.autocommit = True  # type: ignore[attr-defined]
            cur.execute("ANALYZE tickets")
            cur.execute("ANALYZE metric_timers")
            raw.autocommit = False  # type: ignore[attr-defined]
        cur.close()
    finally:
        raw.close()


# --- (b) claims and (c) status -------------------------------------------------------------------


def timed(fn: Callable[[], object], runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def claim_once(engine: Engine, expect: int) -> Callable[[], object]:
    factory = make_session_factory(engine)

    def run() -> None:
        with factory() as session:
            session.begin()
            rows = Repositories(session).timers.claim_due(
                team_id=ALL_TEAMS, now=NOW, worker="bench", lease=timedelta(minutes=1), limit=100
            )
            session.rollback()  # leave the rows due, so every run claims the same amount
        assert len(rows) == expect, (len(rows), expect)

    return run


def set_due(engine: Engine, ids: list[int], due: bool) -> None:
    when = NOW - timedelta(minutes=1) if due else NOW + timedelta(days=40)
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE metric_timers SET next_alert_at = :t WHERE id = :id"),
            [{"t": sqlite_stamp(when) if engine.dialect.name == "sqlite" else when, "id": i} for i in ids],
        )


def bench_status(engine: Engine, label: str, size: int) -> None:
    uow = UnitOfWork.from_engine(engine)
    rng = random.Random(7)

    def query(**kw: object) -> Callable[[], object]:
        def run() -> None:
            with uow.begin(read_only=True) as tx:
                page = tx.status.open_tickets(team_id=TEAM, now=NOW, limit=20, **kw)  # type: ignore[arg-type]
            assert page.items

        return run

    for name, kw in [
        ("all", {}),
        ("by channel", {"channel_id": rng.choice(CHANNELS)}),
        ("by assignee", {"assignee": "U7"}),
        ("breached", {"state": "breached"}),
    ]:
        query(**kw)()
        samples = timed(query(**kw), 200)
        p99 = percentile(samples, 0.99)
        print(
            f"[{label}] (c) status ({name}) with {size:,} open tickets: p50 {ms(percentile(samples, 0.5))}, "
            f"p99 {ms(p99)} (goal p99 < 20 ms: {'ok' if p99 < 0.020 else 'MISSED'})"
        )


def bench_claims_and_status(engine: Engine, label: str, sizes: list[int]) -> None:
    rng = random.Random(42)
    with UnitOfWork.from_engine(engine).begin() as tx:
        tx.workspaces.upsert(team_id=TEAM, name="bench", installed_at=NOW)
    loaded = 0
    results: dict[int, tuple[float, float]] = {}
    for size in sizes:
        start = time.perf_counter()
        load_rows(engine, loaded, size, rng)
        loaded = size
        load_s = time.perf_counter() - start
        idle = statistics.median(timed(claim_once(engine, 0), 40))
        due_ids = rng.sample(range(1, size + 1), 100)
        set_due(engine, due_ids, True)
        busy = statistics.median(timed(claim_once(engine, 100), 20))
        set_due(engine, due_ids, False)
        results[size] = (idle, busy)
        print(
            f"[{label}] (b) claim with {size:>9,} active timers: 0 due {ms(idle)}, 100 due {ms(busy)}  "
            f"(load {load_s:.1f} s)"
        )
        if size == STATUS_SIZE or (size == sizes[-1] and STATUS_SIZE not in sizes):
            bench_status(engine, label, size)
    small, large = min(results), max(results)
    idle_ratio = results[large][0] / results[small][0]
    busy_ratio = results[large][1] / results[small][1]
    worst_idle = max(v[0] for v in results.values())
    print(
        f"[{label}] (b) flatness {large:,} vs {small:,}: idle x{idle_ratio:.2f}, 100 due x{busy_ratio:.2f} "
        f"(goal <= 2x: {'ok' if max(idle_ratio, busy_ratio) <= 2 else 'MISSED'}); "
        f"idle claim worst {ms(worst_idle)} (goal < 5 ms: {'ok' if worst_idle < 0.005 else 'MISSED'})"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--sizes", default="10000,100000,1000000")
    args = parser.parse_args(argv)
    sizes = sorted(int(s.replace("_", "")) for s in args.sizes.split(","))
    backends = backends_of(args.backend)
    print(
        f"storage bench: sizes {', '.join(f'{s:,}' for s in sizes)}; baseline = goals of issue 3 "
        "(claim flat within 2x, idle claim < 5 ms, status p99 < 20 ms)"
    )
    with Databases(backends) as dbs:
        for backend in backends:
            label = backend
            with database(backend, dbs) as engine:
                bench_events(engine, label)
            with database(backend, dbs) as engine:
                bench_claims_and_status(engine, label, sizes)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
