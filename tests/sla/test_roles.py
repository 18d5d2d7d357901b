"""The role table (sla.roles): who may do what, where."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from sla.contracts import load_contracts_text
from sla.roles import RULES, STAFF, Action, ClientRoles, Person, Role, RoleTable, Where, may, person, refusal

TABLE = RoleTable(
    agents=frozenset({"U0AGENT", "S0AGENTS"}),
    admins=frozenset({"U0ADMIN"}),
    leads=frozenset({"U0LEADALL"}),
    managers=frozenset({"U0MGR"}),
    clients={
        "acme": ClientRoles(leads=frozenset({"U0ACMELEAD"}), contacts=frozenset({"U0ACME1"})),
        "globex": ClientRoles(managers=frozenset({"U0GLOBEXMG"}), contacts=frozenset({"U0GLOBEX1"})),
    },
)
CLIENTS = ("acme", "globex", None)
STAFF_ACTIONS = [a for a, rule in RULES.items() if Role.CLIENT not in rule.roles]
WORK = (Action.TICKET_START, Action.TICKET_WORK, Action.TICKET_DISMISS, Action.INCIDENT)


def test_roles_come_from_every_place_of_the_table() -> None:
    assert person(TABLE, "U0AGENT").roles == {Role.AGENT}
    assert person(TABLE, "U0SOMEONE", groups=["S0AGENTS"]).is_agent
    assert person(TABLE, "U0ADMIN").roles == {Role.ADMIN}
    assert person(TABLE, "U0ACMELEAD").client_roles == {"acme": {Role.LEAD}}
    assert person(TABLE, "U0ACME1").contact_of == {"acme"} and not person(TABLE, "U0ACME1").is_staff
    assert person(TABLE, None) == Person("", admins_exist=True)


def test_a_client_reads_its_own_client_only() -> None:
    client = person(TABLE, "U0RANDOM")
    in_acme = Where(client="acme", channel_client="acme")
    assert may(client, Action.CONTRACT, in_acme) and may(client, Action.REPORT, in_acme)
    assert not may(client, Action.CONTRACT, Where(client="globex", channel_client="acme"))
    assert not may(client, Action.REPORT, Where(client=None, channel_client="acme"))  # every client
    assert not may(client, Action.CONTRACT, Where(client="acme"))  # a DM: a stranger to acme
    contact = person(TABLE, "U0ACME1")
    assert may(contact, Action.CONTRACT, Where(client="acme"))  # a contact of acme, anywhere
    assert not may(contact, Action.CONTRACT, Where(client="globex"))
    # whoever writes in a client's channel is that client's (a shared channel is its conversation)
    assert may(contact, Action.CONTRACT, Where(client="globex", channel_client="globex"))
    assert not may(contact, Action.CONTRACT_FULL, in_acme) and not may(contact, Action.REPORT_POST, in_acme)


def test_a_client_sees_its_own_requests_only() -> None:
    client = person(TABLE, "U0ACME1")
    assert may(client, Action.STATUS, Where(client="acme", ticket=True, requester="U0ACME1"))
    assert not may(client, Action.STATUS, Where(client="acme", ticket=True, requester="U0ACME2"))
    assert not may(person(TABLE, None), Action.STATUS, Where(ticket=True, requester=None))


def test_leads_and_managers_read_but_change_nothing() -> None:
    for who in ("U0LEADALL", "U0MGR"):
        p = person(TABLE, who)
        for action in (Action.REPORT, Action.CONTRACT_FULL, Action.REVIEW, Action.FEEDBACK, Action.STATUS):
            assert may(p, action, Where(client=None)), (who, action)
        for action in (*WORK, Action.REVIEW_APPROVE, Action.CHANNEL_LINK):
            assert not may(p, action, Where(client="acme")), (who, action)


def test_a_lead_of_one_client_reads_that_client_only() -> None:
    lead = person(TABLE, "U0ACMELEAD")
    assert may(lead, Action.REPORT, Where(client="acme")) and may(
        lead, Action.CONTRACT_FULL, Where(client="acme")
    )
    assert not may(lead, Action.REPORT, Where(client="globex"))
    assert not may(lead, Action.REPORT, Where(client=None))  # every client's
    assert not may(lead, Action.STATUS, Where(client="globex", ticket=True, requester="U0GLOBEX1"))
    assert not may(lead, Action.HOME_TEAM)


def test_admins_and_the_no_admin_fallback() -> None:
    assert may(person(TABLE, "U0ADMIN"), Action.REVIEW_APPROVE)
    assert not may(person(TABLE, "U0AGENT"), Action.REVIEW_APPROVE)
    assert not may(person(TABLE, "U0AGENT"), Action.CHANNEL_LINK)
    no_admins = RoleTable(agents=frozenset({"U0AGENT"}))
    assert may(person(no_admins, "U0AGENT"), Action.CHANNEL_LINK)
    assert may(person(no_admins, "U0AGENT"), Action.ADMIN_ALERTS)
    assert not may(person(no_admins, "U0AGENT"), Action.REVIEW_APPROVE)  # nobody approves
    assert not may(person(no_admins, "U0CLIENT"), Action.CHANNEL_LINK)


def test_every_action_has_a_rule_and_every_refusal_is_a_sentence() -> None:
    assert set(RULES) == set(Action)
    for action in Action:
        assert refusal(action).endswith(".")


users = st.sampled_from(
    [
        "U0AGENT",
        "U0ADMIN",
        "U0LEADALL",
        "U0MGR",
        "U0ACMELEAD",
        "U0GLOBEXMG",
        "U0ACME1",
        "U0GLOBEX1",
        "U0X",
        "",
    ]
)
wheres = st.builds(
    Where,
    client=st.sampled_from(CLIENTS),
    channel_client=st.sampled_from(CLIENTS),
    ticket=st.booleans(),
    requester=st.sampled_from(["U0ACME1", "U0GLOBEX1", "U0X", None]),
)


@given(users, st.sampled_from(list(Action)), wheres)
def test_no_client_ever_does_staff_things_or_reads_another_client(
    user: str, action: Action, where: Where
) -> None:
    who = person(TABLE, user)
    allowed = may(who, action, where)
    if who.is_staff:
        return
    if action in STAFF_ACTIONS:
        assert not allowed
    if allowed and action not in (Action.HELP, Action.SURVEY_ANSWER):
        if where.ticket:
            assert where.requester == user and user
        else:
            assert where.client is not None
            assert where.client == where.channel_client or where.client in who.contact_of


@given(users, st.sampled_from(WORK), wheres)
def test_only_agents_work_tickets(user: str, action: Action, where: Where) -> None:
    assert may(person(TABLE, user), action, where) == (user == "U0AGENT")


@given(users, st.sampled_from(list(Action)), wheres)
def test_staff_of_every_client_are_never_limited_by_where(user: str, action: Action, where: Where) -> None:
    who = person(TABLE, user)
    if who.roles & STAFF:
        assert may(who, action, where) == may(who, action, Where())


def test_the_contract_file_fills_the_table() -> None:
    book = load_contracts_text(
        """
agents: {users: [U0AGENT]}
roles: {admins: [U0ADMIN], managers: [S0MGRS]}
calendars: {}
clients:
  acme: {contract: gold, lead: U0LEAD, contacts: [U0ACME1], roles: {managers: [U0ACMEMG]}}
contracts:
  gold:
    versions:
      - effective: 2026-01-01
        calendar: 24x7
        targets: {P1: {first_response: 1h}}
"""
    )
    table = book.role_table(["U0ENVADMIN"])
    assert table.admins == {"U0ADMIN", "U0ENVADMIN"} and table.managers == {"S0MGRS"}
    assert table.clients["acme"] == ClientRoles(
        leads=frozenset({"U0LEAD"}), managers=frozenset({"U0ACMEMG"}), contacts=frozenset({"U0ACME1"})
    )
    assert table.groups() == {"S0MGRS"}
    assert person(table, "U0X", groups=["S0MGRS"]).roles == {Role.MANAGER}


def test_an_admin_by_user_group_approves_in_slack_and_not_from_the_terminal() -> None:
    from pathlib import Path
    from typing import Any

    from bot.services.reviews import ReviewService
    from sla.contracts import load_contracts

    book = load_contracts(Path(__file__).resolve().parents[2] / "examples" / "contracts.yaml")
    none: Any = None
    svc = ReviewService(uow=none, book=book, clock=none, tickets=none, admins=frozenset({"U0ADMIN001"}))
    table = RoleTable(admins=frozenset({"S0ADMINS"}))
    via_group = person(table, "U0GROUPED", groups=["S0ADMINS"])
    assert svc.is_admin("U0GROUPED", via_group)  # Slack's adapter knows the group's members
    assert not svc.is_admin("U0GROUPED")  # the terminal does not
    assert svc.is_admin("U0ADMIN001") and svc.is_admin("U0ADMIN001", person(table, "U0ADMIN001"))
    assert not svc.is_admin(
        "U0AGENT001", person(table, "U0OTHER", groups=["S0ADMINS"])
    )  # someone else's roles
