"""TicketService tells its listeners about every change: inside the transaction (so a feature's
rows commit or roll back with the change) and after the commit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.clock import ManualClock
from bot.services.tickets import TicketChange, TicketError, TicketService
from sla.contracts import load_contracts_text
from sla.metrics import EventKind
from storage.uow import Transaction, UnitOfWork
from tests.support.contract_file import contract_file

TEAM = "T0TEAM0001"
CONTRACTS = contract_file(
    gold="""
        calendar: 24x7
        default_priority: P2
        targets:
          P2: {first_response: 1h, resolution: 16h}
    """
)


def test_listeners_see_each_change_in_its_transaction_and_after_commit(uow: UnitOfWork) -> None:
    clock = ManualClock(datetime(2026, 3, 2, 8, 0, tzinfo=UTC))
    tickets = TicketService(uow=uow, book=load_contracts_text(CONTRACTS), clock=clock)
    inside: list[tuple[str, str]] = []
    committed: list[TicketChange] = []

    def in_tx(tx: Transaction, change: TicketChange) -> None:
        # the change is visible to the listener's own queries in the same transaction
        row = tx.tickets.get_by_ref(team_id=change.team_id, ref=change.ticket.ref)
        assert row is not None
        inside.append((change.kind, row.ref))

    tickets.listeners.append(in_tx)
    tickets.after_commit.append(committed.append)

    ref = tickets.open(team_id=TEAM, client_key="acme", source="slash_command", actor="U1").ticket.ref
    clock.advance(timedelta(minutes=10))
    tickets.record(team_id=TEAM, ref=ref, kind=EventKind.AGENT_MESSAGE, actor="U2")
    tickets.assign(team_id=TEAM, ref=ref, assignee="U2", actor="U2")
    clock.advance(timedelta(minutes=10))
    tickets.record(team_id=TEAM, ref=ref, kind=EventKind.RESOLVED, actor="U2")

    assert [k for k, _ in inside] == ["opened", "agent_message", "assigned", "resolved"]
    assert [c.kind for c in committed] == ["opened", "agent_message", "assigned", "resolved"]
    resolved = committed[-1]
    assert resolved.now == clock.now() and resolved.actor == "U2"
    assert all(t.stopped_at is not None for t in resolved.timers)


def test_a_failing_listener_rolls_the_change_back(uow: UnitOfWork) -> None:
    clock = ManualClock(datetime(2026, 3, 2, 8, 0, tzinfo=UTC))
    tickets = TicketService(uow=uow, book=load_contracts_text(CONTRACTS), clock=clock)
    ref = tickets.open(team_id=TEAM, client_key="acme", source="slash_command").ticket.ref

    def broken(tx: Transaction, change: TicketChange) -> None:
        raise RuntimeError("feature failed")

    tickets.listeners.append(broken)
    with pytest.raises(RuntimeError):
        tickets.record(team_id=TEAM, ref=ref, kind=EventKind.RESOLVED)
    tickets.listeners.remove(broken)
    assert tickets.state(team_id=TEAM, ref=ref).ticket.resolved_at is None
    with pytest.raises(TicketError):
        tickets.record(team_id=TEAM, ref=ref, kind=EventKind.REOPENED)  # still open: nothing to reopen
