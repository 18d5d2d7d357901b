"""Shared data for the report tests: a small 24x7 contract and a hand-computed fortnight of tickets.

Import it with ``from tests.bot import reports_fixtures as F`` (pytest's importlib mode: ``tests`` is a
namespace package)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.clock import ManualClock
from bot.services.tickets import TicketService
from sla.contracts import ContractBook, load_contracts_text
from sla.metrics import EventKind
from storage.db import make_engine, migrate
from storage.uow import UnitOfWork
from tests.support.contract_file import contract_file

TEAM = "T0REPORTS1"
CONTRACT = contract_file(
    agents="{users: [U0AGENT001]}",
    calendars="always: {timezone: UTC, hours: 24x7}",
    clients="""
        acme: {name: Acme Corp, channels: [C0ACME0001], contract: gold, lead: U0LEAD0001, timezone: UTC}
        globex: {name: Globex, channels: [C0GLOBEX01], contract: gold}
    """,
    gold="""
        calendar: always
        pause_on: [waiting_on_client]
        default_priority: P2
        targets:
          P1: {first_response: 30m, resolution: 4h}
          P2: {first_response: 1h, resolution: 8h}
        objectives:
          - {metric: first_response, priority: P1, target: "90%", window: month}
    """,
)


def book() -> ContractBook:
    return load_contracts_text(CONTRACT)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


def ticket(
    tickets: TicketService,
    clock: ManualClock,
    *,
    client: str,
    priority: str,
    opened: datetime,
    steps: list[tuple[datetime, EventKind, dict]],
    channel: str | None = None,
    thread_ts: str | None = None,
    team: str = TEAM,
) -> str:
    clock.set(opened)
    state = tickets.open(
        team_id=team,
        client_key=client,
        source="slash_command",
        priority=priority,
        title="Report test",
        channel_id=channel,
        thread_ts=thread_ts,
        actor="U0AGENT001",
    )
    ref = state.ticket.ref
    for when, kind, extra in steps:
        clock.set(when)
        tickets.record(team_id=team, ref=ref, kind=kind, actor="U0AGENT001", **extra)
    return ref


def fortnight(
    uow: UnitOfWork, clock: ManualClock, contract: ContractBook | None = None, team: str = TEAM
) -> TicketService:
    """Week 46 (one P1, all met) and week 47 of 2026 (hand-computed figures in the tests)."""
    tickets = TicketService(uow=uow, book=contract or book(), clock=clock)
    reply, resolve = EventKind.AGENT_MESSAGE, EventKind.RESOLVED

    def add(**kwargs: Any) -> str:
        return ticket(tickets, clock, team=team, **kwargs)

    # week 46: acme P1 first response 5m (met), resolution 30m (met)
    add(
        client="acme",
        priority="P1",
        opened=at(9, 9),
        steps=[(at(9, 9, 5), reply, {}), (at(9, 9, 30), resolve, {})],
    )
    # week 47
    add(
        client="acme",
        priority="P1",
        opened=at(16, 9),
        steps=[(at(16, 9, 10), reply, {}), (at(16, 10), resolve, {})],
        channel="C0ACME0001",
        thread_ts="1763283600.000100",
    )  # FR 10m met, resolution 1h met
    add(
        client="acme",
        priority="P1",
        opened=at(17, 9),
        steps=[(at(17, 10), reply, {}), (at(17, 12), resolve, {})],
        channel="C0ACME0001",
        thread_ts="1763370000.000200",
    )  # FR 60m: breached at 09:30, 30m late; resolution 3h met
    add(
        client="acme",
        priority="P2",
        opened=at(18, 9),
        steps=[
            (at(18, 9, 20), reply, {}),
            (at(18, 10), EventKind.STATUS, {"status": "waiting_on_client"}),
            (at(18, 12), EventKind.STATUS, {"status": "open"}),
            (at(18, 14), resolve, {}),
        ],
    )  # FR 20m met; resolution 3h business (5h wall − 2h paused) met
    add(
        client="globex",
        priority="P2",
        opened=at(19, 9),
        steps=[(at(19, 9, 45), reply, {})],
    )
    # globex FR 45m met; its resolution is still running (not in the report)
    return tickets


def fortnight_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str) -> Path:
    """A SQLite database ``tmp_path/name`` holding :func:`fortnight`, the contract file beside it, and
    the environment of a ``slabot`` command reading both (run from ``tmp_path``: no stray .env)."""
    url = f"sqlite:///{tmp_path / name}"
    engine = make_engine(url)
    migrate(engine)
    fortnight(UnitOfWork.from_engine(engine), ManualClock(at(9, 8)))
    engine.dispose()
    contracts = tmp_path / "contracts.yaml"
    contracts.write_text(CONTRACT, encoding="utf-8")
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("SLABOT_CONTRACTS", str(contracts))
    monkeypatch.delenv("SLABOT_TEAM_ID", raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path
