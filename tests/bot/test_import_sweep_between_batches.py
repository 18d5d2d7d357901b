"""A sweep that runs between two batches of ``slabot import`` (the import of a live helpdesk's recent
history, with the worker running) records a breach on a ticket the import folded in an earlier batch,
without an event. When a later batch brings that ticket's next events, the stored timers and ticket are
what the import alone stores: the sweep's breach of a timer the history shows was met does not stay."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from bot.clock import ManualClock
from bot.services.alerts import Sweeper
from bot.services.tickets import TicketService
from bot.sources.importer import import_events
from bot.sources.ingest import TicketIngest
from sla.contracts import load_contracts
from storage.db import make_engine, migrate
from storage.models import MetricTimerRow, Ticket, TicketSource
from storage.uow import UnitOfWork

ROOT = Path(__file__).resolve().parents[2]
BOOK = load_contracts(ROOT / "examples" / "contracts.yaml")
TEAM = "T0SWEEPIMP"
T0 = datetime(2026, 3, 10, 8, 0, tzinfo=UTC)
BATCH = 10


def _history() -> str:
    """LONG (P1: first response 15 min, always open) opened first; forty short tickets after it; LONG's
    first answer (at 40 s, in time) comes eight batches later, then its resolution."""
    lines = ["ticket_id,timestamp,event,priority,status,client"]

    def row(ticket: str, second: float, kind: str, priority: str = "") -> None:
        at = (T0 + timedelta(seconds=second)).isoformat()
        lines.append(f"{ticket},{at},{kind},{priority},,{'acme' if kind == 'opened' else ''}")

    row("LONG", 0, "opened", "P1")
    for n in range(40):
        row(f"S-{n}", 0.5 + n * 0.5, "opened", "P2")
        row(f"S-{n}", 0.75 + n * 0.5, "closed")
    row("LONG", 40, "agent_message")
    row("LONG", 41, "resolved")
    return "\n".join(lines) + "\n"


def _run(tmp_path: Path, name: str, *, sweep: bool) -> list[tuple]:
    engine = make_engine(f"sqlite:///{tmp_path / name}")
    migrate(engine)
    uow = UnitOfWork.from_engine(engine)
    clock = ManualClock(T0 + timedelta(minutes=1))
    service = TicketService(uow=uow, book=BOOK, clock=clock)
    service.listeners.clear()
    service.after_commit.clear()
    sweeper = Sweeper(uow=uow, book=BOOK, tickets=service, clock=clock, worker_id="sweep-1")
    swept = []

    def after_batch(_summary, _line) -> None:  # type: ignore[no-untyped-def]
        if sweep and not swept:
            clock.set(T0 + timedelta(minutes=30))  # LONG's first response is 15 minutes past due
            swept.append(sweeper.run_once())

    summary = import_events(
        io.StringIO(_history()),
        ingest=TicketIngest(service, kind=TicketSource.import_),
        team_id=TEAM,
        batch=BATCH,
        after_batch=after_batch,
    )
    assert summary.ok, summary.rejected
    if sweep:
        assert swept and swept[0].recorded >= 1, swept  # the sweep did record LONG's breach
    with uow.begin(read_only=True) as tx:
        s = tx.session
        rows = s.execute(
            select(
                Ticket.external_ref,
                Ticket.status,
                Ticket.has_breach,
                MetricTimerRow.metric,
                MetricTimerRow.cycle,
                MetricTimerRow.state,
                MetricTimerRow.breached_at,
                MetricTimerRow.stopped_at,
            )
            .join(Ticket, Ticket.id == MetricTimerRow.ticket_id)
            .where(Ticket.external_ref == "import:LONG")
            .order_by(MetricTimerRow.metric, MetricTimerRow.cycle)
        ).all()
    engine.dispose()
    return [tuple(r) for r in rows]


def test_a_breach_the_sweep_recorded_between_batches_gives_way_to_the_history(tmp_path: Path) -> None:
    alone = _run(tmp_path, "alone.db", sweep=False)
    first_response = [r for r in alone if r[3] == "first_response"]
    assert first_response and first_response[0][5] != "breached" and first_response[0][6] is None
    assert _run(tmp_path, "swept.db", sweep=True) == alone
