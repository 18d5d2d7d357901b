"""``slabot import``'s batched path (``import_events(batched=True)``): one transaction per batch,
ending in exactly the state the per-event path (``TicketService.open``/``record``, one transaction
per event) reaches — tickets, events, timer projection, audit — on SQLite and PostgreSQL, with
duplicates, rejected rows in the middle of a batch, and resuming after an interruption."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import inspect, select

from bot.cli import main
from bot.clock import ManualClock
from bot.services.tickets import TicketService
from bot.sources.importer import RowIds, import_events
from bot.sources.ingest import TicketIngest
from bot.sources.schema import SourceEvent
from sla.contracts import load_contracts
from sla.metrics import EventKind
from sla.replay import RowError, iter_events_csv
from storage.db import make_engine, migrate
from storage.models import AuditEntry, MetricTimerRow, Ticket, TicketEventRow, TicketSource
from storage.uow import UnitOfWork

ROOT = Path(__file__).resolve().parents[2]
BOOK = load_contracts(ROOT / "examples" / "contracts.yaml")
TEAM = "T0BATCH001"
NOW = datetime(2026, 4, 1, tzinfo=UTC)


def mixed_history() -> str:
    """examples/events.csv (pauses, a priority change, a reopen, closes) plus generated tickets
    interleaved in time, so that tickets span batches: waits on the client, holds, priority ups and
    downs, resolve/reopen cycles, identical rows, and four bad rows spread through the file."""
    lines = (ROOT / "examples" / "events.csv").read_text().splitlines()
    t0 = datetime(2026, 3, 10, 8, 0, tzinfo=UTC)
    rows: list[tuple[datetime, int, str]] = []
    scripts = [
        [
            ("opened", "P2", "", "acme"),
            ("agent_message", "", "", ""),
            ("status", "", "waiting_on_client", ""),
            ("client_message", "", "", ""),
            ("status", "", "open", ""),
            ("priority", "P1", "", ""),
            ("resolved", "", "", ""),
            ("reopened", "", "", ""),
            ("agent_message", "", "", ""),
            ("resolved", "", "", ""),
        ],
        [
            ("opened", "P3", "", "globex"),
            ("client_message", "", "", ""),
            ("status", "", "on_hold", ""),
            ("priority", "P2", "", ""),
            ("status", "", "open", ""),
            ("agent_message", "", "", ""),
            ("agent_message", "", "", ""),
            ("closed", "", "", ""),
        ],
        [
            ("opened", "P4", "", "acme"),
            ("priority", "P3", "", ""),
            ("priority", "P3", "", ""),
            ("status", "", "open", ""),
            ("client_message", "", "", ""),
            ("client_message", "", "", ""),
        ],
    ]
    for n in range(30):
        script = scripts[n % len(scripts)]
        for i, (event, priority, status, client) in enumerate(script):
            at = t0 + timedelta(minutes=13 * n + 47 * i)
            rows.append((at, len(rows), f"M-{n},{at.isoformat()},{event},{priority},{status},{client}"))
    rows.sort()
    body = [r[2] for r in rows]
    body.insert(17, "M-5,2026-03-10T00:00:00+00:00,agent_message,,,")  # out of order
    body.insert(40, "M-99,2026-03-10T09:00:00+00:00,resolved,,,")  # never opened
    body.insert(61, "M-98,2026-03-10T09:00:00+00:00,opened,P9,,acme")  # unknown priority
    body.insert(75, "M-97,2026-03-10T09:00:00+00:00,opened,P2,,nobody")  # unknown client
    return "\n".join([*lines, *body]) + "\n"


MIXED = mixed_history()


def ingest_for(uow: UnitOfWork, cls: type[TicketIngest] = TicketIngest) -> TicketIngest:
    tickets = TicketService(uow=uow, book=BOOK, clock=ManualClock(NOW))
    tickets.listeners.clear()
    tickets.after_commit.clear()
    return cls(tickets, kind=TicketSource.import_)


def run(ingest: TicketIngest, text: str, **kw: Any):
    return import_events(io.StringIO(text), ingest=ingest, team_id=TEAM, **kw)


def rejected_rows(summary: Any) -> list[tuple[int, str]]:
    """Lines and messages; a message names a ticket by its T-number once stored, by the file's id
    while opened in the same batch, so the name is left out."""
    return sorted((e.line, re.sub(r"^Ticket \S+", "Ticket", e.message)) for e in summary.rejected)


def _columns(row: Any, skip: set[str]) -> tuple[Any, ...]:
    return tuple((a.key, getattr(row, a.key)) for a in inspect(row).mapper.column_attrs if a.key not in skip)


def state(uow: UnitOfWork) -> dict[str, Any]:
    """Every row the import writes, without surrogate ids."""
    with uow.begin(read_only=True) as tx:
        s = tx.session
        tickets = {t.id: t for t in s.scalars(select(Ticket).order_by(Ticket.number))}
        ref = {i: t.ref for i, t in tickets.items()}
        return {
            "tickets": [_columns(t, {"id", "contract_version_id"}) for t in tickets.values()],
            "events": sorted(
                (ref[e.ticket_id], _columns(e, {"id", "ticket_id"}))
                for e in s.scalars(select(TicketEventRow))
            ),
            "timers": sorted(
                (ref[m.ticket_id], _columns(m, {"id", "ticket_id"}))
                for m in s.scalars(select(MetricTimerRow))
            ),
            "audit": sorted(_columns(a, {"id"}) for a in s.scalars(select(AuditEntry))),
        }


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], list[tuple[int, str]]]:
    """The per-event path's final state and rejected rows on the mixed file."""
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('ref') / 'ref.db'}")
    migrate(engine)
    uow = UnitOfWork.from_engine(engine)
    summary = run(ingest_for(uow), MIXED, batch=50)
    assert summary.events_created > 200 and len(summary.rejected) == 4
    out = state(uow), rejected_rows(summary)
    engine.dispose()
    return out


@pytest.mark.parametrize("batch", [9, 1000])
def test_batched_import_ends_in_the_per_event_state(uow: UnitOfWork, reference, batch: int) -> None:
    expected, rejected = reference
    summary = run(ingest_for(uow), MIXED, batch=batch, batched=True)
    assert rejected_rows(summary) == rejected
    assert state(uow) == expected
    again = run(ingest_for(uow), MIXED, batch=batch, batched=True)  # every good row is a duplicate now
    assert again.events_created == 0 and again.duplicates == summary.events_created
    assert state(uow) == expected


def test_batches_continue_tickets_of_earlier_runs_and_of_the_per_event_path(
    uow: UnitOfWork, reference
) -> None:
    expected, _ = reference
    lines = MIXED.splitlines(keepends=True)
    head = "".join(lines[: len(lines) // 3])
    middle = "".join(lines[: 2 * len(lines) // 3])
    run(ingest_for(uow), head, batch=50)  # the per-event path starts the history
    run(ingest_for(uow), middle, batch=25, batched=True)
    summary = run(ingest_for(uow), MIXED, batch=40, batched=True)
    assert summary.duplicates > 0 and summary.tickets_opened < len(expected["tickets"])
    assert state(uow) == expected


def test_a_rejected_row_in_the_middle_of_a_batch_keeps_the_rest(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'r.db'}")
    migrate(engine)
    uow = UnitOfWork.from_engine(engine)
    text = (
        "ticket_id,timestamp,event,priority,status,client\n"
        "R-1,2026-03-02T09:00:00+01:00,opened,P2,,acme\n"
        "R-1,2026-03-02T09:20:00+01:00,agent_message,,,\n"
        "R-1,2026-03-02T09:10:00+01:00,client_message,,,\n"  # line 4: out of order
        "R-1,2026-03-02T09:30:00+01:00,priority,P7,,\n"  # line 5: unknown priority
        "R-2,2026-03-02T09:31:00+01:00,opened,P1,,acme\n"
        "R-1,2026-03-02T09:40:00+01:00,resolved,,,\n"
        "R-1,2026-03-02T09:40:00+01:00,resolved,,,\n"  # line 8: already resolved
    )
    summary = run(ingest_for(uow), text, batched=True)
    assert sorted(e.line for e in summary.rejected) == [4, 5, 8]
    messages = {e.line: e.message for e in summary.rejected}
    assert "out of order" in messages[4] and "P7" in messages[5] and "already resolved" in messages[8]
    assert (summary.events_created, summary.tickets_opened) == (4, 2)
    with uow.begin(read_only=True) as tx:
        r1 = tx.tickets.get_by_ref(team_id=TEAM, ref="T-1")
        assert r1 is not None and r1.status == "resolved" and not r1.is_open
        kinds = [e.kind for e in tx.events.list_for_ticket(team_id=TEAM, ticket_id=r1.id)]
        assert kinds == ["opened", "agent_message", "resolved"]
    engine.dispose()


class Interrupted(Exception):
    pass


class DiesInBatch(TicketIngest):
    """Dies after writing its ``fail_at``-th batch, before the commit (as a kill would)."""

    fail_at = 0

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.batches = 0

    def _store(self, tx, **kw):  # type: ignore[no-untyped-def,override]
        out = super()._store(tx, **kw)
        self.batches += 1
        if self.batches == self.fail_at:
            raise Interrupted(f"killed in batch {self.batches}")
        return out


@pytest.mark.parametrize("fail_at", [1, 4, 11])
def test_an_interrupted_batched_import_resumes_to_the_same_state(
    uow: UnitOfWork, reference, fail_at: int
) -> None:
    expected, _ = reference
    DiesInBatch.fail_at = fail_at
    dying = ingest_for(uow, DiesInBatch)
    batch = 30
    with pytest.raises(Interrupted):
        run(dying, MIXED, batch=batch, batched=True)
    partial = state(uow)
    with uow.begin(read_only=True) as tx:
        stored = tx.session.query(TicketEventRow).count()
    # the batches before the kill are stored, nothing of the one being written
    assert (stored == 0) == (fail_at == 1)
    assert len(partial["events"]) == stored < len(expected["events"])
    resumed = run(ingest_for(uow), MIXED, batch=batch, batched=True)
    assert resumed.duplicates == stored
    assert state(uow) == expected


def test_cli_imports_in_batches_and_the_per_event_path_stays_available(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    csv = tmp_path / "mixed.csv"
    csv.write_text("".join(MIXED.splitlines(keepends=True)[:110]))  # two bad rows
    monkeypatch.setenv("SLABOT_CONTRACTS", str(ROOT / "examples" / "contracts.yaml"))
    monkeypatch.setenv("SLABOT_TEAM_ID", TEAM)
    results = []
    for name, extra in (("batched", []), ("per-event", ["--per-event"])):
        monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / name}.db")
        assert main(["import", str(csv), "--batch", "500", "--no-progress", *extra]) == 1  # 4 bad rows
        out, _ = capsys.readouterr()
        results.append(out.split("\n", 1)[1])  # the summary, without the database's name
    assert results[0] == results[1] and "rejected rows:      2" in results[0]


def test_clocks_kept_between_batches_are_dropped_when_someone_else_changed_the_ticket(
    uow: UnitOfWork, reference
) -> None:
    """One importer over several runs reuses its folded clocks; a change made meanwhile by another
    path (here the per-event one) bumps the ticket's seq, so the clock is folded again."""
    expected, _ = reference
    lines = MIXED.splitlines(keepends=True)
    importer = ingest_for(uow)
    run(importer, "".join(lines[: len(lines) // 2]), batch=20, batched=True)
    assert importer._folded  # noqa: SLF001  (the clocks of the tickets stored so far)
    run(ingest_for(uow), "".join(lines[: len(lines) // 2 + 40]), batch=20)  # someone else goes on
    summary = run(importer, MIXED, batch=20, batched=True)
    assert summary.duplicates > 0
    assert state(uow) == expected


class CountsFolds(TicketService):
    """The ticket service, counting the tickets it folds from their stored events."""

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.folded: list[str] = []

    def fold(self, tx, ticket, **kw):  # type: ignore[no-untyped-def,override]
        self.folded.append(ticket.external_ref)
        return super().fold(tx, ticket, **kw)


def unstored(uow: UnitOfWork, text: str) -> set[str]:
    """The tickets (``import:<id>``) of the file's rows that are not stored (unchanged or rejected)."""
    ids = RowIds()
    rows = [
        (e.ticket_id, ids(e)) for _, e in iter_events_csv(io.StringIO(text)) if not isinstance(e, RowError)
    ]
    with uow.begin(read_only=True) as tx:
        stored = set(tx.session.scalars(select(TicketEventRow.external_id)))
    return {f"import:{ticket}" for ticket, xid in rows if f"import:{xid}" not in stored}


def test_a_resumed_import_folds_only_the_tickets_with_new_events(uow: UnitOfWork, reference) -> None:
    """Rows already stored cost no fold: a re-run of the file folds only the tickets of rows that
    were not stored (an unchanged status, a rejected row); a longer file those and the tickets its
    new rows continue; and it ends in the state of an uninterrupted import."""
    expected, rejected = reference
    lines = MIXED.splitlines(keepends=True)
    head = "".join(lines[: len(lines) - 12])
    first = run(ingest_for(uow), head, batch=25, batched=True)
    tickets = CountsFolds(uow=uow, book=BOOK, clock=ManualClock(NOW))
    tickets.listeners.clear()
    again = run(TicketIngest(tickets, kind=TicketSource.import_), head, batch=25, batched=True)
    assert (again.events_created, again.duplicates) == (0, first.events_created)
    assert set(tickets.folded) <= unstored(uow, head)
    assert 0 < len(set(tickets.folded)) < len(again.tickets) / 2
    tickets.folded.clear()
    continued = {f"import:{line.split(',', 1)[0]}" for line in lines[len(lines) - 12 :]}
    summary = run(TicketIngest(tickets, kind=TicketSource.import_), MIXED, batch=25, batched=True)
    assert continued <= set(tickets.folded) <= continued | unstored(uow, head)
    assert summary.events_created == len(expected["events"]) - first.events_created
    assert state(uow) == expected
    assert [line for line, _ in rejected_rows(summary)] == [line for line, _ in rejected]


def test_a_delivery_of_stored_events_only_answers_with_their_tickets(uow: UnitOfWork) -> None:
    """Every event already stored: the outcomes are duplicates naming the stored ticket, and the
    ticket is not folded (nor locked) for them."""
    tickets = CountsFolds(uow=uow, book=BOOK, clock=ManualClock(NOW))
    tickets.listeners.clear()
    ingest = TicketIngest(tickets, kind=TicketSource.import_)
    at = NOW - timedelta(hours=2)
    events = [
        SourceEvent("e1", "HD-1", at, EventKind.OPENED, priority="P2", client="acme"),
        SourceEvent("e2", "HD-1", at + timedelta(minutes=5), EventKind.AGENT_MESSAGE),
    ]
    _plan, outcomes = ingest.ingest_batch(team_id=TEAM, source="hd", events=events)
    assert [(o.status, o.ref) for o in outcomes] == [("created", "T-1"), ("created", "T-1")]
    again = TicketIngest(tickets, kind=TicketSource.import_)  # without the clocks kept by the first
    _plan, outcomes = again.ingest_batch(team_id=TEAM, source="hd", events=events[1:])
    assert [(o.status, o.ref) for o in outcomes] == [("duplicate", "T-1")]
    assert tickets.folded == []


def test_row_ids_number_the_copies_of_a_row_and_only_those() -> None:
    """The same row always gets the same id; its n-th copy the id with ``-n`` (what a resumed import
    recognises), whatever rows come between."""
    row = "A-1,2026-03-10T08:00:00+00:00,agent_message,,,\n"
    other = "A-1,2026-03-10T08:00:01+00:00,agent_message,,,\n"
    text = "ticket_id,timestamp,event,priority,status,client\n" + row + other + row + row + other
    ids = RowIds()
    got = [ids(e) for _, e in iter_events_csv(io.StringIO(text)) if not isinstance(e, RowError)]
    assert [len(x.split("-")[0]) for x in got] == [32] * 5
    a, b = got[0], got[1]
    assert got == [a, b, f"{a}-1", f"{a}-2", f"{b}-1"] and a != b
    again = RowIds()
    assert [again(e) for _, e in iter_events_csv(io.StringIO(text)) if not isinstance(e, RowError)] == got
