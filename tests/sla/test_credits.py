"""Service credits, computed by hand: tiers, per-breach penalties, the cap, rounding, the deadline."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from sla.contracts import ContractBook, load_contracts_text
from sla.credits import Breach, breaches_from_rows, credits_for_month, money
from sla.periods import parse_period
from sla.uptime import Incident, UptimeFigure, uptime
from tests.support.contract_file import contract_file

CONTRACT = contract_file(
    calendars="always: {timezone: UTC, hours: 24x7}",
    clients="""
        acme: {name: Acme, channels: [C0SUPPORT1], contract: gold, monthly_fee: 12000, currency: EUR}
        free: {name: Free Ltd, channels: [C0SUPPORT2], contract: nocap}
    """,
    gold="""
        calendar: always
        services:
          - {name: Platform support, description: the platform, uptime_target: 99.9}
        targets:
          P1: {first_response: 15m, resolution: 4h}
          P2: {first_response: 1h}
          P3: {first_response: 4h}
        credits:
          uptime_tiers: [{below: 99.9, credit: 10}, {below: 99, credit: 25}, {below: 95, credit: 100}]
          per_breach: {P1: 2, P2: 1}
          cap: 30
          claim_within: 30d
    """,
    nocap="""
        calendar: always
        targets:
          P1: {first_response: 15m}
        credits:
          uptime_tiers: [{below: 99.9, credit: 10}, {below: 95, credit: 100}]
          per_breach: {P1: 5}
    """,
)

AFTER = datetime(2026, 12, 5, tzinfo=UTC)
NOV = parse_period("2026-11", now=AFTER, tz="UTC")
MONTH_S = 30 * 86400


@pytest.fixture(scope="module")
def book() -> ContractBook:
    return load_contracts_text(CONTRACT)


def down(seconds: float, service: str = "Platform support") -> UptimeFigure:
    start = datetime(2026, 11, 3, tzinfo=UTC)
    incident = Incident(service, start, start + timedelta(seconds=seconds))
    return uptime(service, [incident], [], NOV, AFTER, target_percent=99.9)


def p1_breaches(n: int, metric: str = "resolution") -> list[tuple[str, str, str, datetime]]:
    return [(f"T-{i}", "P1", metric, datetime(2026, 11, 10 + i, tzinfo=UTC)) for i in range(n)]


def statement(book: ContractBook, figures: list[UptimeFigure], breaches: list, client: str = "acme"):
    return credits_for_month(
        book.client(client), book.version_for(client, NOV.start), NOV, figures, breaches, AFTER
    )


def test_the_worked_example_line_by_line(book: ContractBook) -> None:
    # 0.48 % of 2,592,000 s = 12,441.6 s down → 99.52 % uptime
    s = statement(book, [down(12441.6)], p1_breaches(3))
    assert [line.description for line in s.lines] == [
        "Platform support uptime 99.52 % < 99.9 % → 10 % of EUR 12,000.00 = EUR 1,200.00",
        "3 P1 resolution breaches × 2 % = 6 % of EUR 12,000.00 = EUR 720.00",
    ]
    assert [line.amount for line in s.lines] == [Decimal("1200.00"), Decimal("720.00")]
    assert s.total_percent == Decimal(16)
    assert s.total_amount == Decimal("1920.00")
    assert s.currency == "EUR"
    assert not s.capped and not s.provisional
    assert s.claim_deadline == date(2026, 12, 30)
    assert s.explanation_lines == [
        "Service credits for acme, 2026-11:",
        "• Platform support uptime 99.52 % < 99.9 % → 10 % of EUR 12,000.00 = EUR 1,200.00",
        "• 3 P1 resolution breaches × 2 % = 6 % of EUR 12,000.00 = EUR 720.00",
        "Sum 16 %",
        "cap 30 % not reached",
        "Total: 16 % of EUR 12,000.00 = EUR 1,920.00",
        "Claim by 2026-12-30 (30 days after the month ends).",
    ]


def test_the_lowest_tier_reached_applies(book: ContractBook) -> None:
    # 98.5 % uptime is below 99.9 and 99: the 99 tier (25 %) applies, not 10 %
    s = statement(book, [down(MONTH_S * 0.015)], [])
    assert [line.percent for line in s.lines] == [Decimal(25)]
    assert s.total_amount == Decimal("3000.00")


def test_the_cap_limits_the_total(book: ContractBook) -> None:
    # 25 % (uptime 98.5 %) + 4 × 2 % = 33 % → capped at 30 %
    s = statement(book, [down(MONTH_S * 0.015)], p1_breaches(4))
    assert s.capped
    assert s.total_percent == Decimal(30)
    assert s.total_amount == Decimal("3600.00")
    assert "cap 30 % reached: credit limited to 30 %" in s.explanation_lines
    assert "Sum 33 %" in s.explanation_lines


def test_no_credit_when_everything_was_within_terms(book: ContractBook) -> None:
    s = statement(book, [down(600)], [])
    assert s.lines == []
    assert s.total_percent == 0 and s.total_amount == Decimal("0.00")
    assert not s.owed
    assert "No credit owed" in s.text()
    assert "Platform support uptime 99.98 % ≥ 99.9 %: no uptime credit" in s.text()


def test_exactly_on_the_threshold_is_not_below_it(book: ContractBook) -> None:
    exactly = statement(book, [down(2592)], [])  # 99.9 % exactly
    assert exactly.lines == []
    just_below = statement(book, [down(2593)], [])  # 99.89996 %
    assert [line.percent for line in just_below.lines] == [Decimal(10)]
    # the display never rounds up to the threshold it is below
    assert just_below.lines[0].description.startswith("Platform support uptime 99.89996 % < 99.9 %")


def test_below_95_is_the_whole_fee_and_never_more_without_a_cap(book: ContractBook) -> None:
    figure = uptime(
        "Platform",
        [Incident("Platform", NOV.start, NOV.start + timedelta(days=3))],
        [],
        NOV,
        AFTER,
    )  # 90 %
    s = credits_for_month(
        book.client("free"), book.version_for("free", NOV.start), NOV, [figure], p1_breaches(2), AFTER
    )
    assert [line.percent for line in s.lines] == [Decimal(100), Decimal(10)]
    assert s.total_percent == Decimal(100) and s.capped
    assert s.total_amount is None  # no fee in the contract file
    assert "credit limited to 100 % of the monthly fee" in s.explanation_lines
    assert (
        "No monthly fee in the contract file: credits are shown as percentages only." in s.explanation_lines
    )
    assert s.lines[1].description == "2 P1 resolution breaches × 5 % = 10 % of the monthly fee"


def test_breaches_outside_the_month_repeats_and_unpriced_priorities(book: ContractBook) -> None:
    breaches = [
        ("T-1", "P2", "first_response", datetime(2026, 11, 2, tzinfo=UTC)),
        Breach(
            "T-1", "P2", "first_response", datetime(2026, 11, 2, 5, tzinfo=UTC)
        ),  # same ticket+metric: once
        ("T-2", "P2", "first_response", datetime(2026, 10, 31, 23, 59, tzinfo=UTC)),  # October
        ("T-3", "P2", "first_response", datetime(2026, 12, 1, tzinfo=UTC)),  # December (end is exclusive)
        ("T-4", "P3", "first_response", datetime(2026, 11, 20, tzinfo=UTC)),  # P3 has no rate
        ("T-5", "P1", "first_response", datetime(2026, 11, 21, tzinfo=UTC)),
    ]
    s = statement(book, [], breaches)
    assert [line.description for line in s.lines] == [
        "1 P1 first response breach × 2 % = 2 % of EUR 12,000.00 = EUR 240.00",
        "1 P2 first response breach × 1 % = 1 % of EUR 12,000.00 = EUR 120.00",
    ]
    assert "• 1 P3 first response breach: no per-breach penalty for P3" in s.explanation_lines
    assert s.total_amount == Decimal("360.00")


def test_amounts_round_half_up_to_cents() -> None:
    class Client:
        key = "tiny"
        monthly_fee = Decimal("0.50")
        currency = "USD"

    class Terms:
        uptime_tiers = ()
        per_breach = {"P1": 1}
        cap = None
        claim_within = timedelta(days=1)

    class Version:
        credits = Terms()
        priorities = ("P1",)

    s = credits_for_month(Client(), Version(), NOV, [], p1_breaches(1), AFTER)
    assert s.lines[0].amount == Decimal("0.01")  # 0.005 rounds half-up
    assert s.claim_deadline == date(2026, 12, 1)
    assert money(Decimal("1234567.125"), "USD") == "USD 1,234,567.13"


def test_a_month_not_over_is_provisional(book: ContractBook) -> None:
    now = datetime(2026, 11, 20, tzinfo=UTC)
    s = credits_for_month(book.client("acme"), book.version_for("acme", now), NOV, [], p1_breaches(1), now)
    assert s.provisional
    assert s.explanation_lines[-1] == (
        "Provisional: the month is not over yet — uptime on the whole month's minutes, if nothing else goes down."
    )


def test_a_45_minute_incident_on_the_2nd_is_provisionally_the_10_percent_tier(book: ContractBook) -> None:
    start = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
    now = datetime(2026, 11, 2, 14, 0, tzinfo=UTC)  # 38 hours into November
    incident = Incident("Platform support", start, start + timedelta(minutes=45))
    figure = uptime("Platform support", [incident], [], NOV, now, target_percent=99.9)
    assert round(figure.uptime_percent, 2) == 98.03  # to date
    assert figure.provisional and figure.period_percent == Decimal(43200 - 45) * 100 / 43200
    s = credits_for_month(book.client("acme"), book.version_for("acme", now), NOV, [figure], [], now)
    [line] = s.lines
    assert line.percent == 10  # 99.896 % of the month, not the 25 % tier of 98 % so far
    assert line.description == (
        "Platform support uptime 99.896 % for the month (98.03 % to date) < 99.9 % → "
        "10 % of EUR 12,000.00 = EUR 1,200.00"
    )
    after = credits_for_month(
        book.client("acme"),
        book.version_for("acme", now),
        NOV,
        [uptime("Platform support", [incident], [], NOV, AFTER, target_percent=99.9)],
        [],
        AFTER,
    )
    assert not after.provisional and after.lines[0].percent == 10
    assert after.lines[0].description.startswith("Platform support uptime 99.896 % < 99.9 %")


def test_breaches_from_rows_picks_the_month_and_client() -> None:
    class Row:
        def __init__(self, ticket: str, client: str, at: datetime | None) -> None:
            self.ticket_id, self.client, self.priority, self.metric, self.breached_at = (
                ticket,
                client,
                "P1",
                "resolution",
                at,
            )

    rows = [
        Row("T-1", "acme", datetime(2026, 11, 5, tzinfo=UTC)),
        Row("T-2", "acme", None),
        Row("T-3", "other", datetime(2026, 11, 5, tzinfo=UTC)),
        Row("T-4", "acme", datetime(2026, 12, 5, tzinfo=UTC)),
    ]
    assert [b.ticket_id for b in breaches_from_rows(rows, NOV, client="acme")] == ["T-1"]
