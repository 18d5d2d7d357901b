"""Building the report of a month with 100,000 tickets (SQLite by default).

    .venv/bin/python bench/report_bench.py                       # 100,000 tickets in March 2026, SQLite
    .venv/bin/python bench/report_bench.py --tickets 20000       # quick
    .venv/bin/python bench/report_bench.py --backend postgresql

Seeds one workspace of the example contracts (acme in Berlin, globex in New York, initech in London)
with ``--tickets`` tickets opened across the month — each with a first response and a resolution
timer, met or breached, a tenth of them still open with a breach recorded by the sweep — and the
month before (the trend). Then times ``ReportService.build(period="2026-03")`` (all clients, each
client's month on its own calendar, previous period, at-risk, objectives, uptime and credits) and, in the same run as the reference, the bare SQL read of the
month's settled timers that the report starts from. Goal (issue 12): under 5 s on SQLite.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

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
        started = time.perf_counter()
        with uow.begin(read_only=True) as tx:
            settled = tx.reports.timers_in_period(
                team_id=TEAM, start=period.start, end=period.end, now=clock.now()
            )
        read = time.perf_counter() - started
        started = time.perf_counter()
        report = service.build(team_id=TEAM, period="2026-03")
        built = time.perf_counter() - started
        decided = sum(line.decided for line in report.lines)
        march = sum(1 for _ in {r.ticket_id for r in report.rows})
        print(
            f"== report of 2026-03 ({args.backend}): {args.tickets:,} tickets over Feb-Mar, seeded in {seeded:.1f} s =="
        )
        print(f"reference: SQL read of the month's {len(settled):,} settled timers: {read:.3f} s")
        print(f"report built (all clients, trend, at risk, objectives, uptime, credits): {built:.3f} s")
        print(
            f"  {len(report.lines)} lines, {decided:,} decided timers of {march:,} tickets; goal < 5 s: "
            f"{'met' if built < 5 else 'MISSED'}"
        )
        engine.dispose()
    finally:
        if cluster is not None:
            cluster.__exit__(None, None, None)


if __name__ == "__main__":
    main()
