"""UptimeService on a real database: incidents from commands and alerts, planned maintenance, monthly
uptime and credits, all computed by hand (November 2026 has 30 days = 2,592,000 s)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from bot.clock import ManualClock
from bot.services.incidents import AlertInput, IncidentError, UptimeService
from bot.services.tickets import TicketService
from sla.contracts import ContractBook, load_contracts_text
from sla.metrics import EventKind
from storage.uow import UnitOfWork
from tests.support.contract_file import contract_file

TEAM = "T0UPTIME01"
CONTRACTS = contract_file(
    agents="{users: [U0AGENT001]}",
    calendars="always: {timezone: UTC, hours: 24x7}",
    clients="""
        acme: {name: Acme, channels: [C0ACME0001], contract: gold, monthly_fee: 10000, currency: EUR, timezone: UTC}
        beta: {name: Beta, channels: [C0BETA0001], contract: silver, monthly_fee: 2000, currency: USD}
    """,
    gold="""
        calendar: always
        services:
          - {name: API, description: the public API, uptime_target: 99.9}
          - {name: Shared DB, description: the database both clients use}
        alerts: {channel: C0ALERTSA1}
        default_priority: P2
        targets:
          P1: {first_response: 15m, resolution: 4h}
          P2: {first_response: 1h}
        uptime:
          target: 99.5
          maintenance:
            - {start: "2026-11-10T00:00:00Z", end: "2026-11-10T06:00:00Z", services: [API], reason: kernel}
        credits:
          uptime_tiers: [{below: 99.9, credit: 10}, {below: 99, credit: 25}]
          per_breach: {P1: 5, P2: 1}
          cap: 20
          claim_within: 30d
    """,
    silver="""
        calendar: always
        services:
          - {name: Shared DB, description: the database both clients use, uptime_target: 99}
        alerts: {channel: C0ALERTSB1}
        default_priority: P2
        targets:
          P2: {first_response: 1h}
        credits:
          uptime_tiers: [{below: 99, credit: 50}]
    """,
)
NOV_S = 30 * 86400
#: the rules are the same on both databases; only the worked month and alert idempotency run on PostgreSQL too
sqlite_only = pytest.mark.parametrize("db_backend", ["sqlite"], indirect=True)


def utc(month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def book() -> ContractBook:
    return load_contracts_text(CONTRACTS)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(utc(10, 31, 23))


@pytest.fixture
def service(uow: UnitOfWork, book: ContractBook, clock: ManualClock) -> UptimeService:
    return UptimeService(uow=uow, book=book, clock=clock)


def alert(
    fp: str, start: datetime, end: datetime | None, service: str = "API", client: str | None = "acme"
) -> AlertInput:
    return AlertInput(
        fp, "resolved" if end else "firing", start, end, service, client, f"{service} probe failed"
    )


def november(service: UptimeService, clock: ManualClock, uow: UnitOfWork, book: ContractBook) -> None:
    """The month of the worked example (see the test below for the arithmetic)."""
    # an incident spanning October → November: 23:00–01:00, one hour in each month
    service.start(team_id=TEAM, service="api", reason="deploy went wrong", actor="U0AGENT001")
    clock.set(utc(11, 1, 1))
    service.resolve(team_id=TEAM, service="API", actor="U0AGENT001")
    # two overlapping incidents: 10:00–11:00 by hand, 10:30–12:00 from Alertmanager → 2 h once
    clock.set(utc(11, 3, 10))
    service.start(team_id=TEAM, service="API", actor="U0AGENT001")
    clock.set(utc(11, 3, 11))
    service.resolve(team_id=TEAM, service="API", actor="U0AGENT001")
    service.apply_alerts(team_id=TEAM, alerts=[alert("aa01", utc(11, 3, 10, 30), utc(11, 3, 12))])
    # ticket SLAs: a P1 missing both targets, a P2 missing its first response
    tickets = TicketService(uow=uow, book=book, clock=clock)
    clock.set(utc(11, 5, 9))
    p1 = tickets.open(team_id=TEAM, client_key="acme", source="slash_command", priority="P1").ticket.ref
    clock.advance(timedelta(minutes=20))
    tickets.record(team_id=TEAM, ref=p1, kind=EventKind.AGENT_MESSAGE, actor="U0AGENT001")
    clock.advance(timedelta(hours=5))
    tickets.record(team_id=TEAM, ref=p1, kind=EventKind.RESOLVED, actor="U0AGENT001")
    clock.set(utc(11, 6, 9))
    p2 = tickets.open(team_id=TEAM, client_key="acme", source="slash_command", priority="P2").ticket.ref
    clock.advance(timedelta(hours=2))
    tickets.record(team_id=TEAM, ref=p2, kind=EventKind.AGENT_MESSAGE, actor="U0AGENT001")
    b = tickets.open(team_id=TEAM, client_key="beta", source="slash_command", priority="P2").ticket.ref
    clock.advance(timedelta(hours=2))
    tickets.record(
        team_id=TEAM, ref=b, kind=EventKind.AGENT_MESSAGE, actor="U0AGENT001"
    )  # beta's, not acme's
    # down during the contract's maintenance window (10 Nov 00:00–06:00): not counted
    service.apply_alerts(team_id=TEAM, alerts=[alert("aa02", utc(11, 10, 1), utc(11, 10, 2))])
    # the shared database, down 12 h for both clients
    clock.set(utc(11, 15, 0))
    service.start(team_id=TEAM, service="shared db", reason="disk full", actor="U0AGENT001")
    clock.set(utc(11, 15, 12))
    service.resolve(team_id=TEAM, service="Shared DB", actor="U0AGENT001")
    # maintenance declared the day before; an incident overlapping its end counts from 04:00 only
    clock.set(utc(11, 19, 12))
    service.declare_maintenance(
        team_id=TEAM,
        service="API",
        start=datetime(2026, 11, 20, 2),
        end=datetime(2026, 11, 20, 4),
        reason="db upgrade",
    )
    service.apply_alerts(team_id=TEAM, alerts=[alert("aa03", utc(11, 20, 3), utc(11, 20, 5))])
    clock.set(utc(12, 2, 9))


def test_the_worked_month(
    service: UptimeService, clock: ManualClock, uow: UnitOfWork, book: ContractBook
) -> None:
    november(service, clock, uow, book)
    month = service.month("acme", "2026-11")
    acme = service.uptime(team_id=TEAM, client_key="acme", period=month)
    api, db = acme.figures
    # measured: the month minus 6 h (contract window) minus 2 h (declared) = 2,563,200 s
    assert api.total_seconds == NOV_S - 6 * 3600 - 2 * 3600 == 2_563_200
    # down: 1 h (1 Nov) + 2 h (3 Nov, union) + 1 h (20 Nov 04:00–05:00); 10 Nov is maintenance
    assert api.downtime_seconds == 4 * 3600
    assert api.exact_percent == Decimal(2_548_800) * 100 / Decimal(2_563_200)  # 99.438…
    assert api.met is False and api.target_percent == 99.9
    # the shared DB: 12 h of the whole month, against the version-wide 99.5 % target
    assert (db.service, db.total_seconds, db.downtime_seconds, db.target_percent) == (
        "Shared DB",
        NOV_S,
        43200,
        99.5,
    )

    statement = service.credits(team_id=TEAM, client_key="acme", month=month)
    assert [line.basis for line in statement.lines] == [
        "uptime:API",
        "uptime:Shared DB",
        "breaches:P1:first_response",
        "breaches:P1:resolution",
        "breaches:P2:first_response",
    ]
    assert [line.percent for line in statement.lines] == [10, 25, 5, 5, 1]
    assert (
        statement.lines[0].description == "API uptime 99.44 % < 99.9 % → 10 % of EUR 10,000.00 = EUR 1,000.00"
    )
    assert (statement.total_percent, statement.total_amount, statement.capped) == (
        20,
        Decimal("2000.00"),
        True,
    )
    assert statement.claim_deadline.isoformat() == "2026-12-30" and not statement.provisional
    text = statement.text()
    assert "Sum 46 %" in text and "cap 20 % reached" in text and "Claim by 2026-12-30" in text

    beta = service.credits(team_id=TEAM, client_key="beta", month=service.month("beta", "2026-11"))
    assert [(line.basis, line.percent, line.amount) for line in beta.lines] == [
        ("uptime:Shared DB", 50, Decimal("1000.00"))
    ]  # the shared incident counts for beta too; beta's ticket breach has no per-breach rate
    assert "1 P2 first response breach: no per-breach penalty for P2" in beta.text()


@sqlite_only
def test_october_gets_only_its_hour_of_the_spanning_incident(
    service: UptimeService, clock: ManualClock, uow: UnitOfWork, book: ContractBook
) -> None:
    november(service, clock, uow, book)
    october = service.uptime(team_id=TEAM, client_key="acme", period=service.month("acme", "2026-10"))
    api = october.figures[0]
    assert (api.total_seconds, api.downtime_seconds) == (31 * 86400, 3600)
    assert api.met is False  # 1 h of 744 h = 99.866 % < 99.9 %
    assert api.exact_percent == Decimal(31 * 86400 - 3600) * 100 / Decimal(31 * 86400)


@sqlite_only
def test_a_month_in_progress_is_measured_up_to_now_and_provisional(
    service: UptimeService, clock: ManualClock
) -> None:
    clock.set(utc(11, 2, 0))
    service.start(team_id=TEAM, service="API", actor="U0AGENT001")
    clock.set(utc(11, 2, 6))  # still open: counts up to now
    figure = service.uptime(team_id=TEAM, client_key="acme", period=service.month("acme", None)).figures[0]
    assert (figure.total_seconds, figure.downtime_seconds) == (30 * 3600, 6 * 3600)
    assert figure.uptime_percent == pytest.approx(80.0)
    statement = service.credits(team_id=TEAM, client_key="acme", month=service.month("acme", "this-month"))
    assert statement.provisional and "Provisional" in statement.text()


@sqlite_only
def test_credits_for_a_quarter_are_one_statement_per_month(
    service: UptimeService, clock: ManualClock
) -> None:
    from sla.periods import parse_period

    clock.set(utc(12, 2))
    q4 = parse_period("2026-Q4", now=clock.now(), tz="UTC")
    assert [
        s.month.label for s in service.credits_for_period(team_id=TEAM, client_key="acme", period=q4)
    ] == [
        "2026-10",
        "2026-11",
        "2026-12",
    ]


@sqlite_only
def test_each_change_is_audited(service: UptimeService, clock: ManualClock, uow: UnitOfWork) -> None:
    clock.set(utc(11, 3, 10))
    started = service.start(team_id=TEAM, service="API", reason="5xx", actor="U0AGENT001")
    clock.advance(timedelta(minutes=30))
    service.resolve(team_id=TEAM, service="API", actor="U0AGENT002")
    maint = service.declare_maintenance(
        team_id=TEAM, service="API", start=utc(11, 4, 2), end=utc(11, 4, 3), actor="U0AGENT001"
    )
    with uow.begin(read_only=True) as tx:
        first = tx.audit.list(team_id=TEAM, target=f"incident:{started.id}")
        second = tx.audit.list(team_id=TEAM, target=f"incident:{maint.id}")
    assert [(e.action, e.actor) for e in first] == [
        ("incident.resolve", "U0AGENT002"),
        ("incident.start", "U0AGENT001"),
    ]
    assert first[0].after["ended_at"] == "2026-11-03T10:30:00+00:00"
    assert [(e.action, e.after["planned"]) for e in second] == [("incident.maintenance", True)]


@sqlite_only
def test_users_mistakes_are_messages(service: UptimeService, clock: ManualClock) -> None:
    clock.set(utc(11, 3, 10))
    with pytest.raises(IncidentError, match="did you mean 'API'"):
        service.start(team_id=TEAM, service="APO")
    with pytest.raises(IncidentError, match="No open incident on API"):
        service.resolve(team_id=TEAM, service="API")
    service.start(team_id=TEAM, service="API")
    with pytest.raises(IncidentError, match="already down since Tue 03 Nov 10:00 UTC"):
        service.start(team_id=TEAM, service="API")
    with pytest.raises(IncidentError, match="declared before it starts"):
        service.declare_maintenance(team_id=TEAM, service="API", start=utc(11, 3, 9), end=utc(11, 3, 12))
    with pytest.raises(IncidentError, match="per calendar month"):
        service.month("acme", "2026-W45")
    with pytest.raises(IncidentError, match="unknown client"):
        service.uptime(team_id=TEAM, client_key="acne", period=service.month(None, "2026-11"))


@sqlite_only
def test_unquoted_multiword_service_names_are_found_longest_first(
    service: UptimeService, clock: ManualClock
) -> None:
    clock.set(utc(11, 3, 10))
    view = service.start(team_id=TEAM, service="Shared", reason="DB disk full again")
    assert (view.service, view.reason, view.client_key) == (
        "Shared DB",
        "disk full again",
        None,
    )  # shared by both
    assert service.open_incidents(team_id=TEAM)[0].id == view.id
    assert service.overview(team_id=TEAM, client_key="beta").open[0].id == view.id


@sqlite_only
def test_naive_maintenance_times_are_the_clients_wall_clock(uow: UnitOfWork, clock: ManualClock) -> None:
    book = load_contracts_text(CONTRACTS.replace("timezone: UTC}", "timezone: Europe/Berlin}", 1))
    service = UptimeService(uow=uow, book=book, clock=clock)
    clock.set(utc(11, 3, 10))
    view = service.declare_maintenance(
        team_id=TEAM, service="API", start=datetime(2026, 11, 5, 2), end=datetime(2026, 11, 5, 4)
    )
    assert (view.started_at, view.ended_at) == (utc(11, 5, 1), utc(11, 5, 3))  # CET = UTC+1
    assert service.maintenance_ahead(team_id=TEAM)[0].id == view.id


def test_alerts_are_idempotent_and_a_stale_firing_never_reopens(
    service: UptimeService, clock: ManualClock
) -> None:
    clock.set(utc(11, 3, 12))
    firing = alert("ff01", utc(11, 3, 10), None)
    first = service.apply_alerts(team_id=TEAM, alerts=[firing, firing])
    assert (first.opened, first.unchanged) == (1, 1)
    resolved = alert("ff01", utc(11, 3, 10), utc(11, 3, 11))
    second = service.apply_alerts(team_id=TEAM, alerts=[resolved])
    assert second.resolved == 1 and second.incidents[0].id == first.incidents[0].id
    third = service.apply_alerts(team_id=TEAM, alerts=[firing, resolved])
    assert (third.unchanged, third.opened, third.resolved) == (2, 0, 0)
    assert service.open_incidents(team_id=TEAM) == []
    # the same alert firing again later (a new startsAt) is a new incident
    again = service.apply_alerts(team_id=TEAM, alerts=[alert("ff01", utc(11, 3, 11, 30), None)])
    assert again.opened == 1 and again.incidents[0].id != first.incidents[0].id


@sqlite_only
def test_each_incident_event_is_announced_once_in_the_alert_channels_concerned(
    uow: UnitOfWork, book: ContractBook, clock: ManualClock
) -> None:
    from handlers.blocks.incidents import incident_notice

    service = UptimeService(uow=uow, book=book, clock=clock, notice=incident_notice)
    clock.set(utc(11, 3, 10))
    shared = service.start(team_id=TEAM, service="Shared DB", reason="disk full")
    clock.advance(timedelta(hours=1))
    service.resolve(team_id=TEAM, service="Shared DB")
    api = service.apply_alerts(team_id=TEAM, alerts=[alert("n1", utc(11, 3, 10), None)]).incidents[0]
    service.apply_alerts(
        team_id=TEAM, alerts=[alert("n1", utc(11, 3, 10), None)]
    )  # a repeat: no second notice
    with uow.begin(read_only=True) as tx:

        def text(key: str) -> str | None:
            row = tx.outbox.get_by_key(team_id=TEAM, idempotency_key=key)
            return None if row is None else row.payload["text"]

        assert text(f"incident:{shared.id}:opened:C0ALERTSA1") == text(
            f"incident:{shared.id}:opened:C0ALERTSB1"
        )
        assert (text(f"incident:{shared.id}:opened:C0ALERTSA1") or "").startswith(
            "Incident: Shared DB (shared) down since Tue 03 Nov 10:00 UTC"
        )
        assert (text(f"incident:{shared.id}:resolved:C0ALERTSB1") or "").startswith(
            "Resolved: Shared DB (shared) down Tue 03 Nov 10:00 UTC → Tue 03 Nov 11:00 UTC (1h)"
        )
        assert text(f"incident:{api.id}:opened:C0ALERTSA1") is not None  # acme's API: acme's channel only
        assert text(f"incident:{api.id}:opened:C0ALERTSB1") is None
