"""A ticket named by what its helpdesk calls it (issue 13, item 5): how a typed key is read, the one
resolver every command goes through (team-scoped; several matches are listed), the ids every
intake path stores (per event and in bulk), and migration 0009's backfill — on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Column, MetaData, Table, insert, select

from bot.clock import ManualClock
from bot.services.ticket_keys import ExternalKey, external_label, lookup, ticket_key
from bot.services.tickets import AmbiguousTicket, Candidate, TicketError, TicketService, ambiguity_message
from bot.sources.ingest import TicketIngest
from bot.sources.schema import parse_body
from sla.contracts import load_contracts
from storage.db import make_engine, migrate
from storage.models import Ticket, Workspace
from storage.uow import UnitOfWork

ROOT = Path(__file__).resolve().parents[2]
TEAM, OTHER = "T0KEYS0001", "T0KEYS0002"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("T-12", "T-12"),
        ("t012", "T-12"),
        ("12", "12"),
        ("#35436", "35436"),
        ("zd-35436", "ZD-35436"),
        ("GLX-7", "GLX-7"),
        ("glx-7", "glx-7"),
        ("zendesk:35436", "zendesk:35436"),
        ("Zendesk:35436", "zendesk:35436"),
        ("P-2", None),  # a priority, never a ticket
        ("at-risk", None),
        ("acme", None),
        ("<!channel>", None),
    ],
)
def test_what_can_name_a_ticket(typed: str, key: str | None) -> None:
    assert ticket_key(typed) == key


def test_where_each_key_may_point() -> None:
    assert lookup("T-12").ref == "T-12" and lookup("T-12").ref_first
    bare = lookup("12")
    assert (bare.ref, bare.ref_first, bare.external_ids) == ("T-12", False, ["12"])
    zd = lookup("ZD-35436")
    assert zd.ref is None and zd.matches("zendesk", "35436") and not zd.matches("jira", "35436")
    assert zd.matches("crm", "ZD-35436")  # a webhook whose ids are literally ZD-…
    assert lookup("glx-7").matches("jira", "GLX-7")
    assert lookup("zendesk:35436").matches("zendesk", "35436")
    assert not lookup("zendesk:35436").matches("import", "35436")
    assert lookup("12345678901").ref is None  # beyond any T- number: only a helpdesk's id


def test_labels_are_what_a_person_can_type_back() -> None:
    assert ExternalKey("zendesk", "35436").label == "ZD-35436"
    assert ExternalKey("jira", "GLX-7").label == "GLX-7"
    assert ExternalKey("import", "A-101").label == "A-101"
    assert external_label(None, None) is None
    assert ExternalKey.of_ref("zendesk:35436") == ExternalKey("zendesk", "35436")
    assert ExternalKey.of_ref("no-colon") is None
    for shown in ("ZD-35436", "GLX-7", "A-101"):
        assert ticket_key(shown) is not None


# ------------------------------------------------------------------ the resolver, on both backends


@pytest.fixture
def tickets(uow: UnitOfWork) -> TicketService:
    book = load_contracts(ROOT / "examples" / "contracts.yaml")
    return TicketService(uow=uow, book=book, clock=ManualClock(T0 + timedelta(hours=1)))


def _event(i: str, ticket: str, title: str | None = None) -> dict:
    out = {"id": i, "ticket_id": ticket, "timestamp": T0.isoformat(), "event": "opened", "client": "acme"}
    return {**out, "title": title} if title else out


def _deliver(tickets: TicketService, team: str, source: str, *events: dict, bulk: bool = True) -> list[str]:
    ingest = TicketIngest(tickets)
    parsed = parse_body(json.dumps({"events": list(events)}).encode())
    if bulk:
        _plan, outcomes = ingest.store(team_id=team, source=source, events=parsed)
    else:
        outcomes = ingest.apply(
            team_id=team, source=source, plan=ingest.plan(team_id=team, source=source, events=parsed)
        )
    assert all(o.status == "created" for o in outcomes), outcomes
    return [o.ref or "" for o in outcomes]


def _find(tickets: TicketService, key: str, team: str = TEAM) -> str:
    with tickets.uow.begin(read_only=True) as tx:
        return tickets.find(tx, team_id=team, ref=key).ref


@pytest.mark.parametrize("bulk", [True, False], ids=["bulk", "per-event"])
def test_every_intake_path_keeps_the_id_and_the_title(tickets: TicketService, bulk: bool) -> None:
    [ref] = _deliver(tickets, TEAM, "crm", _event("e1", "HD-42", "Exports <!channel> fail"), bulk=bulk)
    with tickets.uow.begin(read_only=True) as tx:
        ticket = tx.tickets.get_by_ref(team_id=TEAM, ref=ref)
        assert ticket is not None
        assert (ticket.external_system, ticket.external_id, ticket.external_ref, ticket.title) == (
            "crm",
            "HD-42",
            "crm:HD-42",
            "Exports <!channel> fail",
        )
    assert _find(tickets, "HD-42") == _find(tickets, "hd-42") == _find(tickets, "crm:HD-42") == ref
    assert _find(tickets, ref) == ref


def test_a_bare_number_names_slabots_ticket_or_the_helpdesks_and_says_so_when_both(
    tickets: TicketService,
) -> None:
    first = _deliver(tickets, TEAM, "crm", *(_event(f"e{n}", f"HD-{n}") for n in range(1, 4)))
    assert first == ["T-1", "T-2", "T-3"]
    [zd3] = _deliver(tickets, TEAM, "zendesk", _event("z1", "3", "Printer on fire"))
    [zd35436] = _deliver(tickets, TEAM, "zendesk", _event("z2", "35436"))
    assert _find(tickets, "35436") == _find(tickets, "ZD-35436") == _find(tickets, "#35436") == zd35436
    assert _find(tickets, "ZD-3") == zd3
    assert _find(tickets, "T-3") == "T-3"  # slabot's own spelling is never ambiguous
    with pytest.raises(AmbiguousTicket) as info, tickets.uow.begin(read_only=True) as tx:
        tickets.find(tx, team_id=TEAM, ref="3")
    message = str(info.value)
    assert info.value.refs == ["T-3", zd3]
    assert message.startswith("3 could be 2 tickets: T-3 (crm HD-3 · acme); ")
    assert f"{zd3} (ZD-3 · acme · “Printer on fire”)" in message
    assert "`/sla status T-3`" in message
    with pytest.raises(TicketError, match="can't find ticket ZD-9"), tickets.uow.begin(read_only=True) as tx:
        tickets.find(tx, team_id=TEAM, ref="ZD-9")


def test_the_resolver_is_scoped_to_the_team(tickets: TicketService) -> None:
    [mine] = _deliver(tickets, TEAM, "zendesk", _event("z1", "35436"))
    [theirs] = _deliver(tickets, OTHER, "zendesk", _event("z1", "35436"))
    assert _find(tickets, "35436") == mine
    assert _find(tickets, "ZD-35436", OTHER) == theirs
    with pytest.raises(TicketError, match="can't find"), tickets.uow.begin(read_only=True) as tx:
        tickets.find(tx, team_id="T0NOBODY01", ref="35436")


def test_the_same_id_from_two_systems_is_listed(tickets: TicketService) -> None:
    [zd] = _deliver(tickets, TEAM, "zendesk", _event("z1", "500"))
    [imported] = _deliver(tickets, TEAM, "import", _event("i1", "500"))
    with pytest.raises(AmbiguousTicket) as info, tickets.uow.begin(read_only=True) as tx:
        tickets.find(tx, team_id=TEAM, ref="500")
    assert info.value.refs == [zd, imported]
    assert "import 500" in str(info.value)
    assert _find(tickets, "ZD-500") == zd and _find(tickets, "import:500") == imported


# ------------------------------------------------------------------ migration 0009


def _tickets_at_0008() -> Table:
    """The tickets table as revision 0008 has it (without the columns 0009 adds)."""
    new = {"external_system", "external_id"}
    return Table(
        "tickets", MetaData(), *(Column(c.name, c.type) for c in Ticket.__table__.c if c.name not in new)
    )


def test_migration_0009_reads_the_ids_of_stored_tickets_from_external_ref(db_url: str) -> None:
    migrate(db_url, "0008")
    engine = make_engine(db_url)
    try:
        with engine.begin() as conn:
            conn.execute(insert(Workspace.__table__).values(team_id=TEAM, ticket_seq=3, installed_at=T0))
            base = {"team_id": TEAM, "source": "webhook", "status": "open", "opened_at": T0, "updated_at": T0}
            base |= {"is_open": True, "has_breach": False, "event_seq": 0}
            conn.execute(
                insert(_tickets_at_0008()),
                [
                    {**base, "number": 1, "ref": "T-1", "external_ref": "zendesk:35436"},
                    {**base, "number": 2, "ref": "T-2", "external_ref": "jira:GLX-7"},
                    {**base, "number": 3, "ref": "T-3", "external_ref": None, "source": "slack_thread"},
                ],
            )
        migrate(db_url)
        with engine.connect() as conn:
            rows = conn.execute(
                select(Ticket.ref, Ticket.external_system, Ticket.external_id).order_by(Ticket.number)
            ).all()
    finally:
        engine.dispose()
    assert [tuple(r) for r in rows] == [
        ("T-1", "zendesk", "35436"),
        ("T-2", "jira", "GLX-7"),
        ("T-3", None, None),
    ]


def test_the_list_can_be_worded_for_the_candidates_one_may_see() -> None:
    mine = Candidate("T-7", "acme", "U0CLIENT01", "T-7 (ZD-12 · acme)")
    theirs = Candidate("T-12", "globex", None, "T-12 (opened in Slack · globex)")
    assert (
        ambiguity_message("12", [mine])
        == "12 is T-7 (ZD-12 · acme): name it by its reference, `/sla status T-7`."
    )
    assert ambiguity_message("12", [theirs, mine]).startswith("12 could be 2 tickets: T-12 (opened in Slack")
