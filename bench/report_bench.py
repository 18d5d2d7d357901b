"""Building the report of a month with 100,000 tickets (SQLite by default).

    .venv/bin/python bench/report_bench.py                       # 100,000 tickets in March 2026, SQLite
    .venv/bin/python bench/report_bench.py --tickets 20000       # quick
    .venv/bin/python bench/report_bench.py --backend postgresql

Seeds one workspace of the example contracts (acme in Berlin, globex in New York, initech in London)
with ``--tickets`` tickets opened across the month — each with a first response and a resolution
timer, met or breached, a tenth of them still open with a breach recorded by the sweep — and the
month before (the trend). Then times ``ReportService.build(period="2026-03")`` twice in one process
(all clients, each client's month on its own calendar, previous period, at risk, objectives, uptime
and credits), beside two references in the same run: the report's SQL statement with the driver's
tuples only (the floor: what reading the rows costs before any Python object of ours) and the same
rows loaded as ORM entities (what the report built its rows from before issue 12's rework, which read
them about ten times a report). Every figure is wall-clock and CPU seconds of this process, with the
1-minute load average: on a shared machine the CPU figure is what the code costs.
Goal (issue 12): the report built in under 5 s on SQLite.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests.support.postgres for --backend postgresql

from bot.clock import ManualClock  # noqa: E402
from bot.services.incidents import UptimeService  # noqa: E402
from bot.services.reports import ReportService  # noqa: E402
from sla.contracts import load_contracts  # noqa: E402
from storage.db import make_engine, migrate  # noqa: E402
from storage.models import MetricTimerRow, Ticket  # noqa: E402
from storage.uow import UnitOfWork  # noqa: E402
from tests.support.postgres import PostgresCluster  # noqa: E402

TEAM = "T0REPORT01"
MONTH_START = datetime(2026, 2, 1, tzinfo=UTC)  # February (the trend) and March
CLIENTS = {"acme": ("P1", "P2", "P3"), "globex": ("P1", "P2", "P3"), "initech": ("P1", "P2", "P3")}


def seed(uow: UnitOfWork, tickets: int) -> None:
    rnd = random.Random(12)
    with uow.begin() as tx:
        tx.workspaces.upsert(team_id=TEAM, name="bench", installed_at=MONTH_START)
    span = (datetime(2026, 4, 1, tzinfo=UTC) - MONTH_START).total_seconds()
    chunk = 10_000
    for base in range(0, tickets, chunk):
        n = min(chunk, tickets - base)
        specs = []
        for i in range(n):
            client = rnd.choice(list(CLIENTS))
            priority = rnd.choice(CLIENTS[client])
            opened = MONTH_START + timedelta(seconds=rnd.uniform(0, span - 86_400))
            specs.append((base + i, client, priority, opened, rnd.random()))
        with uow.begin() as tx:
            ids = list(
                tx.session.scalars(
                    insert(Ticket).returning(Ticket.id),
                    [
                        {
                            "team_id": TEAM,
                            "number": number + 1,
                            "ref": f"T-{number + 1}",
                            "source": "import",
                            "status": "open" if luck < 0.1 else "resolved",
                            "client_key": client,
                            "priority": priority,
                            "opened_at": opened,
                            "updated_at": opened,
                            "is_open": luck < 0.1,
                            "has_breach": luck < 0.3,
                            "event_seq": 3,
                        }
                        for number, client, priority, opened, luck in specs
                    ],
                )
            )
            rows = []
            for ticket_id, (_, _client, priority, opened, luck) in zip(ids, specs, strict=True):
                for metric, target in (("first_response", 3600.0), ("resolution", 8 * 3600.0)):
                    breached = luck < 0.3
                    elapsed = target * (1.4 if breached else rnd.uniform(0.0, 0.9))
                    still_open = luck < 0.1 and metric == "resolution"
                    due = opened + timedelta(seconds=target)
                    rows.append(
                        {
                            "team_id": TEAM,
                            "ticket_id": ticket_id,
                            "metric": metric,
                            "cycle": 1,
                            "priority": priority,
                            "state": "breached" if breached else "met",
                            "target_seconds": target,
                            "calendar_name": "always",
                            "started_at": opened,
                            "due_at": due,
                            "stopped_at": None if still_open else opened + timedelta(seconds=elapsed),
                            "breached_at": due if breached else None,
                            "business_elapsed_seconds": elapsed,
                            "paused_for_seconds": 0.0,
                            "resumed_at": opened if still_open else None,
                            "elapsed_at_resume_seconds": 0.0,
                            "updated_at": opened,
                        }
                    )
            tx.session.execute(insert(MetricTimerRow), rows)


def _load() -> str:
    return f"load {os.getloadavg()[0]:.1f}"


def _timed(work: Callable[[], Any]) -> tuple[Any, float, float]:
    """``work()``, its wall-clock and its CPU seconds (this process): on a shared machine the CPU
    figure is what the code costs, the wall figure what a user would wait."""
    wall, cpu = time.perf_counter(), time.process_time()
    out = work()
    return out, time.perf_counter() - wall, time.process_time() - cpu


def references(uow: UnitOfWork, span: tuple[datetime, datetime], now: datetime) -> list[str]:
    """Two reads of the rows the report reads, for scale: its SQL statement with the driver's
    tuples only (no Python object of ours: the floor) and the same rows as ORM entities with their
    tickets' columns (what the report built its rows from before, about ten reads per report)."""
    lines = []
    with uow.begin(read_only=True) as tx:
        stmt = tx.reports.decided_query(team_id=TEAM, start=span[0], end=span[1], now=now)
        conn = tx.session.connection()
        bare, wall, cpu = _timed(lambda: conn.execute(stmt).cursor.fetchall())
        lines.append(
            f"reference: the report's SQL, driver tuples only, {len(bare):,} rows: "
            f"{wall:.3f} s, cpu {cpu:.3f} s, {_load()}"
        )
        m, t = MetricTimerRow, Ticket
        ids = select(stmt.subquery().c.id)
        entities = select(m, t.ref, t.client_key, t.channel_id, t.thread_ts).join(t, t.id == m.ticket_id)
        orm, wall, cpu = _timed(lambda: tx.session.execute(entities.where(m.id.in_(ids))).all())
        lines.append(
            f"reference: the same {len(orm):,} rows as ORM entities (the old path read them ~10 times "
            f"a report): {wall:.3f} s, cpu {cpu:.3f} s, {_load()}"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tickets", type=int, default=100_000, help="tickets over February and March")
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="report-bench-"))
    cluster = PostgresCluster().__enter__() if args.backend == "postgresql" else None
    url = cluster.create_database("report_bench") if cluster else f"sqlite:///{tmp / 'report.db'}"
    try:
        clock = ManualClock(datetime(2026, 4, 2, 9, 0, tzinfo=UTC))
        engine = make_engine(url)
        migrate(engine)
        uow = UnitOfWork.from_engine(engine)
        book = load_contracts(ROOT / "examples" / "contracts.yaml")
        uptime = UptimeService(uow=uow, book=book, clock=clock)
        service = ReportService(uow=uow, book=book, clock=clock, extras={"uptime": uptime})
        started = time.perf_counter()
        seed(uow, args.tickets)
        seeded = time.perf_counter() - started
        period = service.period("2026-03")
        span = (service.period("2026-02").start - timedelta(hours=14), period.end + timedelta(hours=14))
        print(
            f"== report of 2026-03 ({args.backend}): {args.tickets:,} tickets over Feb-Mar, "
            f"seeded in {seeded:.1f} s, {_load()} =="
        )
        for line in references(uow, span, clock.now()):
            print(line)
        verdict = None
        for run in ("first", "second"):
            report, wall, cpu = _timed(lambda: service.build(team_id=TEAM, period="2026-03"))
            verdict = verdict or ("met" if wall < 5 else "MISSED")
            print(
                f"report built, {run} in this process (all clients, trend, at risk, objectives, uptime, "
                f"credits): {wall:.3f} s, cpu {cpu:.3f} s, {_load()}"
            )
        decided = sum(line.decided for line in report.lines)
        march = len({r.ticket_id for r in report.rows})
        print(
            f"  {len(report.lines)} lines, {decided:,} decided timers of {march:,} tickets; "
            f"goal < 5 s (first build, wall): {verdict}"
        )
        engine.dispose()
    finally:
        if cluster is not None:
            cluster.__exit__(None, None, None)


if __name__ == "__main__":
    main()
