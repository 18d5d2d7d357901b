"""Every statement a ticket's day runs finds its rows through the index of what it looks for, never by
walking the whole workspace.

SQLite plans without statistics (slabot never runs ``ANALYZE``): for ``team_id = ? AND ticket_id IN
(...)`` it took any index that starts with ``team_id`` over the ticket's own and read every row of the
workspace — invisible with a hundred tickets, 0.7 s per query with a million timers (the sweep ran two
such queries per batch). The plans are the same on an empty database as on a large one (no statistics),
so a small day shows them: each statement of it is explained, and none may search a table by
``team_id`` alone when it names the rows it wants."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from bot.clock import ManualClock
from storage.uow import UnitOfWork
from tests.bot.conftest import MONDAY_9_BERLIN, TEAM, World
from tests.bot.test_import_batched import MIXED, ingest_for, run
from tests.bot.test_webhook_store import FIRST, SECOND
from tests.bot.test_webhook_store import T0 as HOOK_T0
from tests.bot.test_webhook_store import TEAM as HOOK_TEAM
from tests.bot.test_webhook_store import ev as hook_event
from tests.bot.test_webhook_store import service as hook_service

#: a plan step that walks every row of the workspace: an index used for ``team_id=?`` and nothing else
TEAM_WIDE = re.compile(r"USING (?:COVERING )?INDEX (\S+) \(team_id=\?\)$")
#: the statement names the rows it wants (by id or ticket id)
BY_ROW_IDS = re.compile(r"\b(?:id|ticket_id)\s*(?:=|IN)\s*[(?]", re.IGNORECASE)


@contextmanager
def recorded(engine: Engine) -> Iterator[list[tuple[str, Any]]]:
    """The reading and changing statements run on ``engine`` meanwhile, with their first parameters."""
    seen: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, sql: str, params: Any, context: Any, executemany: bool) -> None:
        if sql.lstrip().upper().startswith(("SELECT", "UPDATE", "DELETE", "WITH")):
            seen.append((sql, params[0] if executemany and params else params))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


@pytest.fixture
def sqlite_only(db_backend: str) -> None:
    if db_backend != "sqlite":
        pytest.skip("PostgreSQL plans from the statistics it keeps; SQLite has none")


@pytest.fixture
def statements(world: World, engine: Engine, sqlite_only: None) -> Iterator[list[tuple[str, Any]]]:
    with recorded(engine) as seen:
        yield seen


def team_wide_lookups(engine: Engine, statements: list[tuple[str, Any]]) -> list[str]:
    found = []
    with engine.connect() as conn:
        raw = conn.connection.driver_connection
        for sql, params in {sql: params for sql, params in statements}.items():
            if not BY_ROW_IDS.search(sql):
                continue
            plan = raw.execute(f"EXPLAIN QUERY PLAN {sql}", params or ()).fetchall()
            for *_, detail in plan:
                if TEAM_WIDE.search(detail):
                    found.append(f"{detail}\n    {sql}")
    return found


def test_a_ticket_day_finds_its_rows_by_their_ids(
    world: World, engine: Engine, statements: list[tuple[str, Any]]
) -> None:
    # sixty tickets: the sweep reads their timers and events with IN lists of sixty ids (SQLite's choice
    # between indexes depends on the list's length: three ids went through the right index, fifty not)
    refs = [world.open(p, thread=False) for p in ("P1", "P2", "P1")]
    refs += [world.open("P1", thread=False) for _ in range(57)]
    world.clock.advance(timedelta(minutes=5))
    world.tickets.record(team_id=TEAM, ref=refs[0], kind="agent_message", actor="U0AGENT001")
    world.tickets.record(team_id=TEAM, ref=refs[1], kind="status", status="waiting_on_client")
    world.tickets.record(team_id=TEAM, ref=refs[2], kind="priority", priority="P2")
    for minutes in (20, 40, 120):  # warnings, breaches, escalations, each due for many tickets at once
        world.clock.set(MONDAY_9_BERLIN + timedelta(minutes=minutes))
        world.run()
    world.tickets.open_page(team_id=TEAM)
    world.tickets.record(team_id=TEAM, ref=refs[0], kind="resolved", actor="U0AGENT001")
    world.run()
    assert len(statements) > 50  # the day ran: tickets, timers, events, the outbox
    walks = team_wide_lookups(engine, statements)
    assert walks == [], "\n".join(walks)


def test_an_import_and_its_resume_find_their_rows_by_their_ids(engine: Engine, sqlite_only: None) -> None:
    """``slabot import``'s batches read the stored events and timers of the tickets they touch: by
    those tickets' ids (the events' walk through the idempotency key made a 1,000,000-event import
    re-read the whole history for every batch)."""
    uow = UnitOfWork.from_engine(engine)
    with recorded(engine) as statements:
        for _ in range(2):  # a fresh import, then its resume over the stored history
            run(ingest_for(uow), MIXED, batch=60)
    assert len(statements) > 50
    walks = team_wide_lookups(engine, statements)
    assert walks == [], "\n".join(walks)


def test_the_check_sees_a_team_wide_lookup(world: World, engine: Engine, statements: list[Any]) -> None:
    """The rule can fail: the plain ``team_id = ? AND ticket_id IN (...)`` is such a lookup."""
    world.open("P1")
    bad = "SELECT id FROM metric_timers WHERE team_id = ? AND ticket_id IN (?, ?, ?)"
    assert team_wide_lookups(engine, [(bad, (TEAM, 1, 2, 3))]) != []


def test_webhook_deliveries_find_their_rows_by_their_ids(engine: Engine, sqlite_only: None) -> None:
    """A webhook delivery (``TicketIngest.store``: Jira, Zendesk, a CRM) reads the stored tickets, events
    and timers of what it touches by their ids: sixty new tickets, then a second delivery over them and
    the shared example's FIRST/SECOND conversations (duplicates, unchanged events, a reopen, a dismissal)."""
    clock = ManualClock(HOOK_T0 + timedelta(minutes=20))
    ingest = hook_service(UnitOfWork.from_engine(engine), clock)
    opened = [
        hook_event(f"o{i}", f"HD-{100 + i}", i % 10, "opened", client="acme", priority="P2", title="Down")
        for i in range(60)
    ]
    answered = [
        hook_event(f"r{i}", f"HD-{100 + i}", 15, "agent_message", actor="U0AGENT001") for i in range(60)
    ]
    with recorded(engine) as statements:
        for delivery in (opened, FIRST, answered, SECOND):
            ingest.store(team_id=HOOK_TEAM, source="crm", events=delivery)
            clock.advance(timedelta(minutes=10))
    assert len({sql for sql, _ in statements if BY_ROW_IDS.search(sql)}) >= 5  # lookups by id were explained
    walks = team_wide_lookups(engine, statements)
    assert walks == [], "\n".join(walks)
