"""``slabot import``: history into the database, a summary, rejected rows by line, and resuming
after an interruption ending in the very state of an uninterrupted run."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy import Engine

from bot.cli import main
from bot.clock import ManualClock
from bot.services.tickets import TicketService
from bot.sources.importer import import_events
from bot.sources.ingest import TicketIngest
from sla.contracts import load_contracts
from storage.db import make_engine, migrate
from storage.models import TicketSource
from storage.repositories import ALL_TEAMS  # noqa: F401  (the repositories module must import)
from storage.uow import UnitOfWork

ROOT = Path(__file__).resolve().parents[2]
EVENTS = ROOT / "examples" / "events.csv"
BOOK = load_contracts(ROOT / "examples" / "contracts.yaml")
TEAM = "T0IMPORT01"


class Interrupted(Exception):
    pass


class FlakyTickets(TicketService):
    """Dies (as a kill would) when it is about to store its ``fail_at``-th event."""

    def __init__(self, *args, fail_at: int, **kw) -> None:
        super().__init__(*args, **kw)
        self.calls = 0
        self.fail_at = fail_at

    def _tick(self) -> None:
        self.calls += 1
        if self.calls == self.fail_at:
            raise Interrupted(f"killed at event {self.calls}")

    def open(self, **kw):  # type: ignore[override]
        self._tick()
        return super().open(**kw)

    def record(self, **kw):  # type: ignore[override]
        self._tick()
        return super().record(**kw)


def database(tmp_path: Path, name: str) -> tuple[Engine, UnitOfWork]:
    engine = make_engine(f"sqlite:///{tmp_path / name}")
    migrate(engine)
    return engine, UnitOfWork.from_engine(engine)


def service(uow: UnitOfWork, cls: type[TicketService] = TicketService, **kw) -> TicketIngest:
    from datetime import UTC, datetime

    tickets = cls(uow=uow, book=BOOK, clock=ManualClock(datetime(2026, 3, 20, tzinfo=UTC)), **kw)
    return TicketIngest(tickets, kind=TicketSource.import_)


def snapshot(uow: UnitOfWork) -> dict[str, object]:
    """Everything the import wrote, keyed by the file's ticket ids (not by row ids or T-numbers)."""
    out: dict[str, object] = {}
    with uow.begin(read_only=True) as tx:
        from sqlalchemy import select

        from storage.models import Ticket

        for ticket in tx.session.scalars(select(Ticket).order_by(Ticket.external_ref)):
            events = [
                (e.seq, e.kind, e.at, e.priority, e.status, e.client, e.external_id)
                for e in tx.events.list_for_ticket(team_id=ticket.team_id, ticket_id=ticket.id)
            ]
            timers = [
                (
                    t.metric,
                    t.cycle,
                    t.state,
                    t.due_at,
                    t.stopped_at,
                    t.breached_at,
                    t.business_elapsed_seconds,
                )
                for t in tx.timers.list_for_ticket(team_id=ticket.team_id, ticket_id=ticket.id)
            ]
            out[ticket.external_ref or ""] = (
                ticket.status,
                ticket.priority,
                ticket.client_key,
                ticket.resolved_at,
                ticket.is_open,
                events,
                sorted(timers),
            )
    return out


def run(ingest: TicketIngest, text: str, **kw):
    return import_events(io.StringIO(text), ingest=ingest, team_id=TEAM, **kw)


BAD_ROWS = (
    "ticket_id,timestamp,event,priority,status,client\n"
    "X-1,2026-03-02T09:00:00+01:00,opened,P2,,acme\n"
    "X-1,2026-03-02T09:30:00,agent_message,,,\n"  # line 3: no offset
    "X-1,2026-03-02T09:20:00+01:00,agent_message,,,\n"
    "X-1,2026-03-02T09:10:00+01:00,client_message,,,\n"  # line 5: out of order
    "X-2,2026-03-02T09:00:00+01:00,opened,P2,,nobody\n"  # line 6: unknown client
    "X-2,2026-03-02T09:05:00+01:00,agent_message,,,\n"  # line 7: its ticket was never opened
    "X-3,2026-03-02T09:00:00+01:00,shouted,,,\n"  # line 8: unknown event
    "X-1,2026-03-02T10:00:00+01:00,resolved,,,\n"
)


def test_import_reports_rejected_rows_by_line_and_keeps_the_rest(tmp_path: Path) -> None:
    _engine, uow = database(tmp_path, "a.db")
    summary = run(service(uow), BAD_ROWS, batch=3)
    assert [e.line for e in sorted(summary.rejected, key=lambda e: e.line)] == [3, 5, 6, 7, 8]
    messages = {e.line: e.message for e in summary.rejected}
    assert "UTC offset" in messages[3] and "out of order" in messages[5]
    assert "nobody" in messages[6] and "unknown ticket X-2" in messages[7] and "shouted" in messages[8]
    assert (summary.rows, summary.events_created, summary.tickets_opened, summary.duplicates) == (8, 3, 1, 0)
    state = snapshot(uow)
    assert list(state) == ["import:X-1"]
    assert state["import:X-1"][0] == "resolved"


def test_importing_twice_only_skips(tmp_path: Path) -> None:
    _engine, uow = database(tmp_path, "b.db")
    text = EVENTS.read_text()
    first = run(service(uow), text, batch=25)
    assert first.ok and first.events_created == 62 and first.tickets_opened == 14
    before = snapshot(uow)
    again = run(service(uow), text, batch=7)
    assert (again.events_created, again.duplicates, again.tickets_opened) == (0, 62, 0)
    assert snapshot(uow) == before
    # a longer file (history grew) only adds the new rows
    longer = text + "N-1,2026-03-20T09:00:00+01:00,opened,P2,,acme\n"
    grown = run(service(uow), longer)
    assert (grown.events_created, grown.duplicates) == (1, 62)


def test_identical_rows_are_distinct_events(tmp_path: Path) -> None:
    _engine, uow = database(tmp_path, "c.db")
    text = (
        "ticket_id,timestamp,event,priority,status,client\n"
        "D-1,2026-03-02T09:00:00+01:00,opened,P2,,acme\n"
        "D-1,2026-03-02T09:05:00+01:00,client_message,,,\n"
        "D-1,2026-03-02T09:05:00+01:00,client_message,,,\n"
    )
    assert run(service(uow), text).events_created == 3
    assert run(service(uow), text).duplicates == 3


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    _engine, reference = database(tmp_path_factory.mktemp("reference"), "reference.db")
    assert run(service(reference), EVENTS.read_text(), batch=10).ok
    return snapshot(reference)


@pytest.mark.parametrize("fail_at", [1, 37, 62])
def test_an_interrupted_import_resumes_to_the_same_state(
    tmp_path: Path, fail_at: int, uninterrupted: dict[str, object]
) -> None:
    text = EVENTS.read_text()
    _e2, uow = database(tmp_path, "resumed.db")
    with pytest.raises(Interrupted):
        run(service(uow, FlakyTickets, fail_at=fail_at), text, batch=10)
    partial = snapshot(uow)
    assert sum(len(v[5]) for v in partial.values()) == fail_at - 1  # every event before the kill is stored
    resumed = run(service(uow), text, batch=10)
    assert resumed.ok and resumed.duplicates == fail_at - 1
    assert resumed.events_created == 62 - (fail_at - 1)
    assert snapshot(uow) == uninterrupted


def test_interrupted_between_batches(tmp_path: Path) -> None:
    text = EVENTS.read_text()
    _e, uow = database(tmp_path, "between.db")

    def stop(summary, line: int) -> None:
        if line >= 21:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run(service(uow), text, batch=10, after_batch=stop)
    assert run(service(uow), text, batch=10).duplicates == 20


def test_cli_summary_exit_status_and_progress(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    db = tmp_path / "cli.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{db}")
    monkeypatch.setenv("SLABOT_CONTRACTS", str(ROOT / "examples" / "contracts.yaml"))
    monkeypatch.delenv("SLABOT_TEAM_ID", raising=False)
    assert main(["import", str(EVENTS), "--batch", "20", "--no-progress"]) == 0
    out, err = capsys.readouterr()
    assert "events stored:      62" in out and "tickets:            14 (14 opened by this run)" in out
    assert "rejected rows:      0" in out and err == ""

    bad = tmp_path / "bad.csv"
    bad.write_text(BAD_ROWS)
    assert main(["import", str(bad), "--progress"]) == 1
    out, err = capsys.readouterr()
    assert "line 3:" in out and "line 8:" in out
    assert "bad.csv" in err and "row" in err  # the bar goes to stderr
    assert main(["import", str(tmp_path / "missing.csv")]) == 2
    assert main(["import", str(EVENTS), "--batch", "0"]) == 2


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty"),
        (b"number,sys_updated_on,incident_state\nINC0000045,29/2/2016 01:23,New\n", "not an events CSV"),
    ],
)
def test_cli_a_file_that_is_not_an_events_csv_exits_2_and_imports_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys, content: bytes, message: str
) -> None:
    db = tmp_path / "cli.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{db}")
    monkeypatch.setenv("SLABOT_CONTRACTS", str(ROOT / "examples" / "contracts.yaml"))
    monkeypatch.delenv("SLABOT_TEAM_ID", raising=False)
    wrong = tmp_path / "export.csv"
    wrong.write_bytes(content)
    assert main(["import", str(wrong), "--no-progress"]) == 2
    out, err = capsys.readouterr()
    assert message in err and "nothing was imported" in err and out == ""


def test_cli_bom_windows_line_ends_and_a_cut_off_last_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("SLABOT_CONTRACTS", str(ROOT / "examples" / "contracts.yaml"))
    monkeypatch.delenv("SLABOT_TEAM_ID", raising=False)
    lines = EVENTS.read_text(encoding="utf-8").splitlines()
    windows = tmp_path / "excel.csv"
    windows.write_bytes(("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8"))
    assert main(["import", str(windows), "--no-progress"]) == 0
    assert "events stored:      62" in capsys.readouterr().out
    cut = tmp_path / "cut.csv"
    cut.write_text("\n".join([*lines, "Z-1,2026-03-02T09:0"]), encoding="utf-8")
    assert main(["import", str(cut), "--no-progress"]) == 1
    out, _err = capsys.readouterr()
    assert f"line {len(lines) + 1}:" in out and "was it cut off?" in out
    assert "skipped duplicates: 62" in out  # the rest was read (and was already stored)
