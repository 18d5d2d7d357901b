"""The ingest use case: the JSON schema, the dry run (nothing stored from a bad batch), idempotency."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.clock import ManualClock
from bot.services.tickets import TicketService
from bot.sources.ingest import TicketIngest, resolve_team
from bot.sources.schema import PayloadError, parse_body
from sla.contracts import load_contracts
from storage.models import Ticket, TicketEventRow
from storage.uow import UnitOfWork

ROOT = Path(__file__).resolve().parents[2]
TEAM = "T0INGEST01"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def ev(i: str, ticket: str, minutes: int, event: str, **fields: str) -> dict:
    return {
        "id": i,
        "ticket_id": ticket,
        "timestamp": (T0 + timedelta(minutes=minutes)).isoformat(),
        "event": event,
        **fields,
    }


def body(*events: dict) -> bytes:
    return json.dumps({"events": list(events)}).encode()


@pytest.fixture
def ingest(uow: UnitOfWork) -> TicketIngest:
    book = load_contracts(ROOT / "examples" / "contracts.yaml")
    return TicketIngest(TicketService(uow=uow, book=book, clock=ManualClock(T0 + timedelta(hours=1))))


def counts(uow: UnitOfWork) -> tuple[int, int]:
    with uow.begin(read_only=True) as tx:
        tickets = tx.session.scalar(select(func.count()).select_from(Ticket))
        events = tx.session.scalar(select(func.count()).select_from(TicketEventRow))
    return int(tickets or 0), int(events or 0)


# ------------------------------------------------------------------------------------- schema


def test_one_event_or_a_batch() -> None:
    one = parse_body(json.dumps(ev("e1", "HD-1", 0, "opened", client="acme", priority="P2")).encode())
    assert [(e.event_id, e.kind.value, e.client) for e in one] == [("e1", "opened", "acme")]
    batch = parse_body(
        body(ev("e1", "HD-1", 0, "opened", client="acme"), ev("e2", "HD-1", 5, "agent_message"))
    )
    assert [e.event_id for e in batch] == ["e1", "e2"]


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (b"not json", "body: not JSON"),
        (b"[1, 2]", "expected one event object"),
        (body(), "events: List should have at least 1 item"),
        (body(ev("e1", "HD-1", 0, "opened")), "events[0](id=e1): an 'opened' event needs 'client'"),
        (body(ev("e1", "HD-1", 0, "status")), "a 'status' event needs 'status'"),
        (body(ev("e1", "HD-1", 0, "priority")), "a 'priority' event needs 'priority'"),
        (body(ev("e1", "HD-1", 0, "agent_message", title="x")), "belong to an 'opened' event only"),
        (
            body({**ev("e1", "HD-1", 0, "opened", client="acme"), "timestamp": "2026-03-02T09:00:00"}),
            "events[0](id=e1).timestamp: Input should have timezone info",
        ),
        (
            body(ev("e1", "HD-1", 0, "openned", client="acme")),
            "events[0](id=e1).event: Input should be 'opened'",
        ),
        (
            body({**ev("e1", "HD-1", 0, "opened", client="acme"), "priorty": "P1"}),
            "events[0](id=e1).priorty: Extra inputs",
        ),
        (
            body({"ticket_id": "HD-1", "timestamp": T0.isoformat(), "event": "opened", "client": "a"}),
            "events[0].id: Field required",
        ),
    ],
)
def test_bad_payloads_name_the_event_and_the_field(payload: bytes, expected: str) -> None:
    with pytest.raises(PayloadError) as info:
        parse_body(payload)
    assert any(expected in e for e in info.value.errors), info.value.errors


def test_every_bad_event_of_a_batch_is_listed() -> None:
    with pytest.raises(PayloadError) as info:
        parse_body(
            body(
                ev("ok", "HD-1", 0, "opened", client="acme"),
                ev("b1", "HD-1", 1, "status"),
                ev("b2", "HD-1", 2, "nope"),
            )
        )
    assert [e.split(":")[0] for e in info.value.errors] == ["events[1](id=b1)", "events[2](id=b2).event"]


# ------------------------------------------------------------------------------------- plan/apply


def test_a_batch_opens_and_moves_a_ticket(ingest: TicketIngest, uow: UnitOfWork) -> None:
    events = parse_body(
        body(
            ev("e1", "HD-1", 0, "opened", client="acme", priority="High", title="Export broken"),
            ev("e2", "HD-1", 10, "agent_message", actor="agent@example.com"),
            ev("e3", "HD-1", 20, "status", status="waiting_on_client"),
            ev("e4", "HD-1", 30, "priority", priority="Urgent"),
        )
    )
    plan = ingest.plan(team_id=TEAM, source="crm", events=events)
    assert plan.ok, plan.problems
    outcomes = ingest.apply(team_id=TEAM, source="crm", plan=plan)
    assert [o.status for o in outcomes] == ["created"] * 4
    ref = outcomes[0].ref
    assert ref and all(o.ref == ref for o in outcomes)
    with uow.begin(read_only=True) as tx:
        ticket = tx.tickets.get_by_external_ref(team_id=TEAM, external_ref="crm:HD-1")
        assert ticket is not None and ticket.ref == ref
        assert (ticket.priority, ticket.status, ticket.channel_id, ticket.source) == (
            "P1",
            "waiting_on_client",
            "C0SUPPORT1",
            "webhook",
        )
        rows = tx.events.list_for_ticket(team_id=TEAM, ticket_id=ticket.id)
        assert [(r.kind, r.external_id) for r in rows] == [
            ("opened", "crm:e1"),
            ("agent_message", "crm:e2"),
            ("status", "crm:e3"),
            ("priority", "crm:e4"),
        ]
    # the same request again: every event is a duplicate, nothing changes
    again = ingest.apply(
        team_id=TEAM, source="crm", plan=ingest.plan(team_id=TEAM, source="crm", events=events)
    )
    assert [o.status for o in again] == ["duplicate"] * 4 and all(o.ref == ref for o in again)
    assert counts(uow) == (1, 4)
    # another source may reuse the same ids: they are its own
    other = ingest.plan(team_id=TEAM, source="other", events=events[:1])
    assert [s.action for s in other.steps] == ["open"]


def test_a_batch_with_one_bad_event_stores_nothing(ingest: TicketIngest, uow: UnitOfWork) -> None:
    events = parse_body(
        body(
            ev("e1", "HD-2", 0, "opened", client="acme", priority="P2"),
            ev("e2", "HD-2", 10, "agent_message"),
            ev("e3", "HD-2", 5, "client_message"),  # out of order
            ev("e4", "HD-3", 0, "opened", client="nobody"),
            ev("e5", "HD-4", 0, "resolved"),
            ev("e6", "HD-2", 20, "priority", priority="P9"),
            ev("e7", "HD-2", 30, "status", status="sleeping"),
        )
    )
    plan = ingest.plan(team_id=TEAM, source="crm", events=events)
    problems = {p.event_id: p.message for p in plan.problems}
    assert set(problems) == {"e3", "e4", "e5", "e6", "e7"}
    assert "out of order" in problems["e3"]
    assert "unknown client 'nobody'" in problems["e4"] and "acme" in problems["e4"]
    assert "unknown ticket HD-4" in problems["e5"]
    assert "P9" in problems["e6"] and "P1" in problems["e6"]
    assert "sleeping" in problems["e7"]
    assert counts(uow) == (0, 0)  # a plan stores nothing


def test_repeats_inside_a_batch_and_no_op_changes(ingest: TicketIngest, uow: UnitOfWork) -> None:
    events = parse_body(
        body(
            ev("e1", "HD-5", 0, "opened", client="acme", priority="P2"),
            ev("e1", "HD-5", 0, "opened", client="acme", priority="P2"),
            ev("e2", "HD-5", 5, "priority", priority="High"),  # High is P2: unchanged
            ev("e3", "HD-5", 6, "status", status="open"),
            ev("e4", "HD-5", 7, "opened", client="acme"),
        )
    )
    plan = ingest.plan(team_id=TEAM, source="crm", events=events)
    assert [p.event_id for p in plan.problems] == ["e4"] and "already opened" in plan.problems[0].message
    plan.problems.clear()
    outcomes = ingest.apply(team_id=TEAM, source="crm", plan=plan)
    assert [o.status for o in outcomes] == ["created", "duplicate", "unchanged", "unchanged"]
    assert counts(uow) == (1, 1)


def test_resolve_team(uow: UnitOfWork, ingest: TicketIngest) -> None:
    assert resolve_team("T0CONFIG01", uow) == "T0CONFIG01"
    assert resolve_team(None, uow) == "T0SLABOT01"  # empty database: the CLI's default
    ingest.apply(
        team_id=TEAM,
        source="crm",
        plan=ingest.plan(
            team_id=TEAM, source="crm", events=parse_body(body(ev("e1", "HD-1", 0, "opened", client="acme")))
        ),
    )
    assert resolve_team(None, uow) == TEAM


def test_values_are_bounded_by_their_columns(ingest: TicketIngest, uow: UnitOfWork) -> None:
    with pytest.raises(PayloadError, match=r"id: String should have at most 150"):
        parse_body(json.dumps(ev("e" * 151, "HD-1", 0, "opened", client="acme")).encode())
    with pytest.raises(PayloadError, match=r"actor: String should have at most 64"):
        parse_body(json.dumps(ev("e1", "HD-1", 0, "opened", client="acme", actor="a" * 65)).encode())
    # the CSV import and the adapters are not bounded by the schema: the ingest keeps the columns safe
    from dataclasses import replace

    (opened,) = parse_body(json.dumps(ev("e1", "HD-9", 0, "opened", client="acme")).encode())
    long_actor = replace(opened, actor="x" * 300)
    too_long = replace(opened, event_id="y" * 199)
    plan = ingest.plan(team_id=TEAM, source="crm", events=[too_long, long_actor])
    assert [p.event_id for p in plan.problems] == ["y" * 199]
    plan.problems.clear()
    assert [o.status for o in ingest.apply(team_id=TEAM, source="crm", plan=plan)] == ["created"]
    with uow.begin(read_only=True) as tx:
        ticket = tx.tickets.get_by_external_ref(team_id=TEAM, external_ref="crm:HD-9")
        assert ticket is not None
        (row,) = tx.events.list_for_ticket(team_id=TEAM, ticket_id=ticket.id)
        assert row.actor == "x" * 64
