"""Ticket sources and /metrics: import throughput, and the scrape's cost against open tickets.

    .venv/bin/python bench/sources_bench.py                  # import 2,000 rows; scrape at 10k and 100k tickets
    .venv/bin/python bench/sources_bench.py --rows 500 --sizes 10000   # quick
    .venv/bin/python bench/sources_bench.py --real 100000 --sizes      # + 100k real events, no scrape

1. **Import**: a generated history (tickets of 5 events each: opened, client, agent, status,
   resolved) through ``import_events`` into SQLite; rows/s for the first run and for a re-run
   (every row a duplicate: the resume path), for the batched path (``slabot import``: one
   transaction per batch) beside the per-event baseline (``--per-event``: one transaction per
   event through ``TicketService.record``), same input.
   ``--real N``: N events of the shared real logs (``../shared/data/tickets``: BPIC 2013 Volvo
   and ServiceNow, converted by ``sla.datasets``, tickets repeated with new ids up to N rows,
   sorted by time so that tickets span batches), batched; the per-event baseline on its first
   ``--real-baseline`` rows (the whole slice would take hours).
2. **Scrape**: N open tickets (bulk-inserted, spread over 3 clients x 4 priorities), one
   ``/metrics`` exposition timed (median of 5) against the baseline a naive exporter would use:
   load every open ticket and count in Python.

Baseline (2 shared cores under a load average of ~17 — the whole test suite ran beside it —,
SQLite, first version; expect several times faster on an idle machine):

    import first run                 1,000 rows   171.01 s         6 rows/s
    import re-run (all duplicates)   1,000 rows     3.66 s       273 rows/s
    scrape   10,000 open tickets  /metrics (aggregate SQL)   median    150.4 ms
    scrape   10,000 open tickets  baseline: load + count     median   2993.6 ms
    scrape  100,000 open tickets  /metrics (aggregate SQL)   median   1645.7 ms
    scrape  100,000 open tickets  baseline: load + count     median  35745.4 ms

Same machine at a load average of ~10 (``--rows 300 --sizes 10000``):

    import first run                   300 rows    13.05 s        23 rows/s
    import re-run (all duplicates)     300 rows     0.36 s       823 rows/s
    scrape   10,000 open tickets  /metrics (aggregate SQL)   median     46.6 ms
    scrape   10,000 open tickets  baseline: load + count     median    825.7 ms

The per-event path's cost is ``TicketService.record`` per event (fold the ticket, append, rewrite
its timer projection, commit). The batched path (``slabot import``'s default since) stores a batch
per transaction: one fold and one projection per touched ticket, bulk inserts, folded clocks kept
between batches. Same machine, load average ~4 (``--rows 2000 --sizes --real 100000``):

    import generated  per-event first run                  2,000 rows     19.70 s       101 rows/s
    import generated  batched   first run                  2,000 rows      0.35 s     5,777 rows/s
    import generated  speed-up batched / per-event, first run                  56.9x
    import real       batched   first run                 99,998 rows     79.90 s     1,252 rows/s
    import real       batched   re-run (all duplicates)   99,998 rows     19.62 s     5,096 rows/s
    import real-head  per-event first run                  1,000 rows     21.48 s        47 rows/s
    import real       speed-up batched / per-event, first run                  26.9x

The real slice is sorted by time, so nearly every batch touches ~1,500 tickets already stored
(a timer projection rewrite and a ticket update each), which is where its time goes now.
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import statistics
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, select

from bot.clock import ManualClock
from bot.ops.metrics import exposition, registry_for
from bot.services.tickets import TicketService
from bot.sources.importer import import_events
from bot.sources.ingest import TicketIngest
from sla.contracts import ContractBook, load_contracts, load_contracts_text
from sla.datasets import bpic2013_events, servicenow_events
from sla.replay import write_events_csv
from sla.timers import TicketEvent
from storage.db import make_engine, migrate
from storage.models import Ticket, TicketSource, Workspace
from storage.uow import UnitOfWork

ROOT = Path(__file__).resolve().parents[1]
BOOK = load_contracts(ROOT / "examples" / "contracts.yaml")
T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
TEAM = "T0BENCH001"


def history(rows: int) -> str:
    lines = ["ticket_id,timestamp,event,priority,status,client"]
    steps = [
        ("opened", "P2", "", "acme"),
        ("client_message", "", "", ""),
        ("agent_message", "", "", ""),
        ("status", "", "waiting_on_client", ""),
        ("resolved", "", "", ""),
    ]
    for n in range(rows // len(steps)):
        start = T0 + timedelta(minutes=7 * n)
        for i, (event, priority, status, client) in enumerate(steps):
            at = (start + timedelta(minutes=10 * i)).isoformat()
            lines.append(f"B-{n},{at},{event},{priority},{status},{client}")
    return "\n".join(lines) + "\n"


def _import(
    text: str, tmp: Path, name: str, *, batched: bool, book: ContractBook = BOOK, batch: int = 2000
) -> dict[str, float]:
    engine = make_engine(f"sqlite:///{tmp / f'{name}-{batched}.db'}")
    migrate(engine)
    uow = UnitOfWork.from_engine(engine)
    service = TicketService(uow=uow, book=book, clock=ManualClock(datetime(2030, 1, 1, tzinfo=UTC)))
    service.listeners.clear()
    service.after_commit.clear()
    ingest = TicketIngest(service, kind=TicketSource.import_)
    path = "batched  " if batched else "per-event"
    rates: dict[str, float] = {}
    for label in ("first run", "re-run (all duplicates)"):
        started = time.perf_counter()
        summary = import_events(io.StringIO(text), ingest=ingest, team_id=TEAM, batched=batched, batch=batch)
        seconds = time.perf_counter() - started
        rates[label] = summary.rows / seconds
        print(
            f"import {name:10s} {path} {label:24s} {summary.rows:7,} rows  {seconds:8.2f} s  "
            f"{summary.rows / seconds:8,.0f} rows/s  (stored {summary.events_created:,}, "
            f"duplicates {summary.duplicates:,}, rejected {len(summary.rejected)})",
            flush=True,
        )
    engine.dispose()
    return rates


def bench_import(rows: int, tmp: Path) -> None:
    text = history(rows)
    base = _import(text, tmp, "generated", batched=False)
    fast = _import(text, tmp, "generated", batched=True)
    for label in base:
        print(
            f"import generated  speed-up batched / per-event, {label:24s} {fast[label] / base[label]:6.1f}x"
        )


def real_history(data: Path, rows: int) -> str:
    """``rows`` events of the shared real logs, tickets repeated with new ids, sorted by time."""
    with (data / "bpic2013_volvo_incidents.xes.gz").open("rb") as f:
        logs = [bpic2013_events(f, client="volvo-24x7").events]
    with (data / "servicenow_incident_event_log_sample.csv").open(encoding="utf-8", newline="") as f:
        logs.append(servicenow_events(f, client="servicenow-24x7").events)
    events: list[TicketEvent] = []
    copy = 0
    while len(events) < rows:
        for log in logs:
            events.extend(replace(e, ticket_id=f"{e.ticket_id}~{copy}") for e in log)
        copy += 1
    # whole tickets up to ``rows`` (a cut ticket would only lose its last events), then by time
    by_ticket: dict[str, list[TicketEvent]] = {}
    for e in events:
        by_ticket.setdefault(e.ticket_id, []).append(e)
    chosen: list[TicketEvent] = []
    for ticket_events in by_ticket.values():
        if len(chosen) + len(ticket_events) > rows:
            break
        chosen.extend(ticket_events)
    chosen.sort(key=lambda e: e.at)  # stable: a ticket's equal instants keep their order
    out = io.StringIO()
    write_events_csv(chosen, out)
    return out.getvalue()


def bench_real(rows: int, baseline_rows: int, tmp: Path) -> None:
    data = ROOT.parent / "shared" / "data" / "tickets"
    if not data.is_dir():
        print(f"real logs: {data} not found, skipped")
        return
    spec = importlib.util.spec_from_file_location("replay_real_logs", ROOT / "bench" / "replay_real_logs.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    book = load_contracts_text(module.CONTRACTS)
    text = real_history(data, rows)
    lines = text.splitlines(keepends=True)
    fast = _import(text, tmp, "real", batched=True, book=book)
    base = _import("".join(lines[: baseline_rows + 1]), tmp, "real-head", batched=False, book=book)
    for label in base:
        print(
            f"import real       speed-up batched / per-event, {label:24s} {fast[label] / base[label]:6.1f}x"
        )


def bench_scrape(size: int, tmp: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp / f'scrape{size}.db'}")
    migrate(engine)
    clients, priorities = ["acme", "globex", "initech"], ["P1", "P2", "P3", "P4"]
    with engine.begin() as conn:
        conn.execute(insert(Workspace).values(team_id=TEAM, installed_at=T0, ticket_seq=size))
        rows = []
        for n in range(size):
            rows.append(
                {
                    "team_id": TEAM,
                    "number": n + 1,
                    "ref": f"T-{n + 1}",
                    "source": "import",
                    "client_key": clients[n % 3],
                    "priority": priorities[n % 4],
                    "status": "open",
                    "opened_at": T0,
                    "updated_at": T0,
                    "is_open": True,
                    "has_breach": n % 7 == 0,
                    "next_due_at": T0 + timedelta(minutes=n % 500),
                    "next_risk_at": T0 + timedelta(minutes=n % 300),
                    "event_seq": 1,
                }
            )
            if len(rows) == 10_000:
                conn.execute(insert(Ticket), rows)
                rows = []
        if rows:
            conn.execute(insert(Ticket), rows)
    uow = UnitOfWork.from_engine(engine)
    registry = registry_for(uow, ManualClock(T0 + timedelta(hours=2)))

    def scrape() -> None:
        exposition(registry)

    def naive() -> None:
        with uow.begin(read_only=True) as tx:
            counts: dict[tuple[str | None, str | None], int] = {}
            for t in tx.session.scalars(select(Ticket).where(Ticket.is_open.is_(True))):
                counts[(t.client_key, t.priority)] = counts.get((t.client_key, t.priority), 0) + 1

    for label, fn in (("/metrics (aggregate SQL)", scrape), ("baseline: load + count", naive)):
        times = []
        for _ in range(5):
            started = time.perf_counter()
            fn()
            times.append(time.perf_counter() - started)
        print(f"scrape {size:8,} open tickets  {label:26s} median {statistics.median(times) * 1000:8.1f} ms")
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--sizes", type=int, nargs="*", default=[10_000, 100_000])
    parser.add_argument("--real", type=int, default=0, help="also import N events of the shared real logs")
    parser.add_argument(
        "--real-baseline", type=int, default=1000, help="rows of them for the per-event baseline"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        bench_import(args.rows, Path(tmp))
        if args.real:
            bench_real(args.real, args.real_baseline, Path(tmp))
        for size in args.sizes:
            bench_scrape(size, Path(tmp))


if __name__ == "__main__":
    main()
