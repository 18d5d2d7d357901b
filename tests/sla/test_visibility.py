"""Who reads a destination (sla.visibility): alert channels and staff DMs are internal; a client's
channels, unknown channels and DMs to anyone else are client-facing; a channel named both ways is
the client's, and ``contracts check`` says so."""

from __future__ import annotations

from sla.contracts import ContractFileError, check_contracts, load_contracts_text
from sla.contracts.checks import alert_lines
from sla.visibility import Audience, Directory, channel_audience

FILE = """
agents: {users: [U0AGENT001]}
clients:
  acme: {name: Acme, channels: [C0ACME0001], contract: gold, lead: U0LEAD0001}
  globex: {name: Globex, channels: [C0GLOBEX01], contract: silver}
contracts:
  gold:
    versions:
      - effective: 2026-01-01
        alerts:
          channel: C0ALERTS01
          escalation: [{after: 30m, notify: [U0MANAGER1], channel: C0ESCALATE}]
        targets: {P1: {first_response: 1h}}
  silver:
    versions:
      - effective: 2026-01-01
        alerts: {channel: C0GLOBEX01, client_thread: none}
        targets: {P1: {first_response: 1h}}
"""


def test_alert_channels_and_staff_are_internal_everything_else_is_client_facing() -> None:
    book = load_contracts_text(FILE)
    directory = Directory.of(book)
    assert directory.audience("C0ALERTS01") is Audience.INTERNAL
    assert directory.audience("C0ESCALATE") is Audience.INTERNAL
    assert directory.audience("C0ACME0001") is Audience.CLIENT
    assert directory.audience("C0UNKNOWN1") is Audience.CLIENT  # fail-safe: not named as internal
    assert directory.audience(None) is Audience.CLIENT
    for staff in ("U0AGENT001", "U0LEAD0001", "U0MANAGER1"):
        assert directory.audience(staff) is Audience.INTERNAL
    assert channel_audience(book, "U0ACME0001") is Audience.CLIENT  # a DM to a client


def test_a_channel_both_a_clients_and_an_alert_channel_is_the_clients_and_check_warns() -> None:
    book = load_contracts_text(FILE)
    assert Directory.of(book).audience("C0GLOBEX01") is Audience.CLIENT
    assert Directory.of(book).shared_channels() == {"C0GLOBEX01"}
    warnings = [w for w in check_contracts(book) if "C0GLOBEX01" in w.message]
    assert (
        len(warnings) == 1 and "globex" in warnings[0].message and warnings[0].path.endswith("alerts.channel")
    )
    assert book.contracts["silver"].versions[0].alerts.client_thread == "none"
    assert alert_lines(book) == [
        "gold: staff alerts in C0ALERTS01 (warnings also in a ticket's thread when the thread is internal); "
        "a client's thread: the ticket's status card (client-safe)",
        "silver: staff alerts in C0GLOBEX01 (warnings also in a ticket's thread when the thread is internal); "
        "a client's thread: nothing (client_thread: none)",
    ]


def test_client_thread_takes_none_or_status_only() -> None:
    try:
        load_contracts_text(FILE.replace("client_thread: none", "client_thread: everything"))
    except ContractFileError as exc:
        assert any("client_thread" in str(e) for e in exc.errors)
    else:
        raise AssertionError("client_thread: everything was accepted")
