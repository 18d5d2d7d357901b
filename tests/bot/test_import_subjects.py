"""The events CSV's optional ``subject`` and ``external_id`` columns (issue 13, item 5): ``slabot
import`` keeps each ticket's title and helpdesk id (batched and event by event, on SQLite and
PostgreSQL), an older CSV without them imports as before (same row ids: a resumed import stays
exact), ``slabot export`` writes them and an export imports back to tickets found by their id;
``slabot replay`` reads either form to the same results."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.clock import ManualClock
from bot.services.export import write_export
from bot.services.tickets import TicketService
from bot.sources.importer import RowIds, import_events
from bot.sources.ingest import TicketIngest
from sla.contracts import load_contracts
from sla.replay import read_events_csv, replay_csv
from storage.db import make_engine, migrate
from storage.models import Ticket, TicketSource
from storage.uow import UnitOfWork

ROOT = Path(__file__).resolve().parents[2]
BOOK = load_contracts(ROOT / "examples" / "contracts.yaml")
OLD = (ROOT / "examples" / "events.csv").read_text(encoding="utf-8")
TEAM = "T0SUBJECT1"

WITH_SUBJECT = f"""ticket_id,timestamp,event,priority,status,client,subject,external_id
35436,2026-03-02T09:10:00+01:00,opened,P2,,acme,"Help, my printer is <!channel> on fire!",zendesk:35436
35436,2026-03-02T09:40:00+01:00,agent_message,,,,"Help, my printer is <!channel> on fire!",
GLX-7,2026-03-02T09:05:00-05:00,opened,P3,,globex,Portal login loops,
HD-9,2026-03-02T10:00:00+00:00,opened,P2,,initech,,
LONG-1,2026-03-02T10:00:00+00:00,opened,P2,,initech,,zendesk:{"9" * 150}
"""


def ingest(uow: UnitOfWork) -> TicketIngest:
    tickets = TicketService(uow=uow, book=BOOK, clock=ManualClock(datetime(2026, 3, 20, tzinfo=UTC)))
    return TicketIngest(tickets, kind=TicketSource.import_)


def stored(uow: UnitOfWork) -> dict[str, tuple[str | None, str | None, str | None]]:
    """external_ref → (system, helpdesk id, title)."""
    with uow.begin(read_only=True) as tx:
        rows = tx.session.scalars(select(Ticket).where(Ticket.team_id == TEAM))
        return {t.external_ref or "": (t.external_system, t.external_id, t.title) for t in rows}


def find(uow: UnitOfWork, key: str) -> str:
    service = ingest(uow).tickets
    with uow.begin(read_only=True) as tx:
        return service.find(tx, team_id=TEAM, ref=key).external_ref or ""


@pytest.mark.parametrize("batched", [True, False], ids=["batched", "per-event"])
def test_subject_and_external_id_are_kept(uow: UnitOfWork, batched: bool) -> None:
    summary = import_events(io.StringIO(WITH_SUBJECT), ingest=ingest(uow), team_id=TEAM, batched=batched)
    assert summary.tickets_opened == 3, summary.lines()
    assert [(e.line, e.message) for e in summary.rejected] == [
        (6, "the ticket's external id may have at most 150 characters")
    ]
    assert stored(uow) == {
        "import:35436": ("zendesk", "35436", "Help, my printer is <!channel> on fire!"),
        "import:GLX-7": ("import", "GLX-7", "Portal login loops"),
        "import:HD-9": ("import", "HD-9", None),
    }
    assert find(uow, "ZD-35436") == find(uow, "35436") == "import:35436"
    assert find(uow, "glx-7") == "import:GLX-7" and find(uow, "HD-9") == "import:HD-9"


def test_an_older_csv_without_them_imports_as_before(uow: UnitOfWork) -> None:
    summary = import_events(io.StringIO(OLD), ingest=ingest(uow), team_id=TEAM, batched=True)
    assert summary.ok and summary.tickets_opened > 0
    tickets = stored(uow)
    assert all(
        ref == f"import:{xid}" and system == "import" and title is None
        for ref, (system, xid, title) in tickets.items()
    )
    assert find(uow, "A-101") == "import:A-101"


def test_row_ids_of_files_without_the_columns_are_unchanged() -> None:
    """Resuming an import begun before the columns existed must skip what it stored, not repeat it."""
    events, errors = read_events_csv(io.StringIO(OLD))
    assert not errors
    ids = RowIds()
    # the content id as it was computed before subject and external_id existed
    import hashlib

    first = events[0]
    cells = (
        first.ticket_id,
        first.at.isoformat(),
        first.kind.value,
        first.priority or "",
        "",
        first.client or "",
        "",
        "",
    )
    assert ids(first) == hashlib.sha256("\x1f".join(cells).encode()).hexdigest()[:32]


def test_replay_reads_both_forms_to_the_same_figures() -> None:
    plain = "\n".join(",".join(line.split(",")[:6]) for line in WITH_SUBJECT.splitlines()[1:])
    header = "ticket_id,timestamp,event,priority,status,client\n"
    without = replay_csv(BOOK, io.StringIO(header + plain.replace('"Help', "Help")))
    with_them = replay_csv(BOOK, io.StringIO(WITH_SUBJECT))
    assert with_them.errors == [] and with_them.tickets == 4
    assert sorted(map(repr, with_them.rows)) == sorted(map(repr, without.rows))


def test_export_writes_them_and_imports_back(uow: UnitOfWork, tmp_path: Path) -> None:
    import_events(io.StringIO(WITH_SUBJECT), ingest=ingest(uow), team_id=TEAM, batched=True)
    out = io.StringIO()
    write_export(uow, out, team_id=TEAM)
    text = out.getvalue()
    lines = text.splitlines()
    assert lines[0] == "ticket_id,timestamp,event,priority,status,client,actor,note,subject,external_id"
    opened = [line for line in lines if ",opened," in line]
    assert any(line.endswith('"Help, my printer is <!channel> on fire!",zendesk:35436') for line in opened)
    assert any(line.endswith(",Portal login loops,import:GLX-7") for line in opened)
    assert all(",opened," in line or line.endswith(",,") for line in lines[1:])  # on the opened row only
    # into another database (SQLite here): found by the helpdesk id, with its title
    engine = make_engine(f"sqlite:///{tmp_path / 'again.db'}")
    migrate(engine)
    again = UnitOfWork.from_engine(engine)
    try:
        summary = import_events(io.StringIO(text), ingest=ingest(again), team_id=TEAM, batched=True)
        assert summary.ok, summary.lines()
        assert find(again, "ZD-35436").startswith("import:T-")
        titles = {title for _system, _id, title in stored(again).values()}
        assert titles == {"Help, my printer is <!channel> on fire!", "Portal login loops", None}
    finally:
        engine.dispose()
