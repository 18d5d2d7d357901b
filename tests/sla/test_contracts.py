"""The contract file: the minimal file of issue 2 loads into the domain objects it describes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from sla.contracts import (
    ContractBook,
    ContractFileError,
    Target,
    Threshold,
    load_contracts,
    load_contracts_text,
    render_contract_plain,
)
from sla.metrics import Metric

MINIMAL = """\
agents: {users: [U0AGENT001], usergroup: S0AGENTS01}   # who counts as an agent (Slack ids); either key may be absent
calendars:
  berlin-office: {timezone: Europe/Berlin, hours: {mon: ["09:00-17:00"], tue: ["09:00-17:00"], wed: ["09:00-17:00"], thu: ["09:00-17:00"], fri: ["09:00-17:00"]}, holidays: {country: DE, subdivision: BE}}
  always: {timezone: UTC, hours: 24x7}
clients:
  acme:
    name: Acme Corp
    channels: [C0SUPPORT1]          # Slack channel ids
    contract: gold
contracts:
  gold:
    versions:
      - effective: 2026-01-01
        services:
          - {name: Platform support, description: Slack and e-mail support for the Acme platform}
        calendar: berlin-office
        pause_on: [waiting_on_client]
        warn_at: ["50%", "75%", "90%", "15m"]     # "15m" = 15 minutes before the due instant
        alerts: {channel: C0ALERTS01, escalate_to: S0LEADS001}
        default_priority: P3
        targets:
          P1: {first_response: 15m, resolution: 4h, calendar: always}
          P2: {first_response: 1h, next_response: 2h, resolution: 1d}
          P3: {first_response: 4h, resolution: 3d}
"""

AT = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def book() -> ContractBook:
    return load_contracts_text(MINIMAL, filename="minimal.yaml")


def test_minimal_file_validates_into_the_book_it_describes(book: ContractBook) -> None:
    assert book.source == "minimal.yaml"
    assert len(book.sha256) == 64
    assert book.agents.users == frozenset({"U0AGENT001"})
    assert book.agents.usergroup == "S0AGENTS01"
    assert set(book.calendars) == {"berlin-office", "always"}
    acme = book.client("acme")
    assert (acme.name, acme.channels, acme.contract) == ("Acme Corp", ("C0SUPPORT1",), "gold")
    assert book.client_for_channel("C0SUPPORT1") is acme
    assert book.client_for_channel("C0OTHER") is None
    with pytest.raises(KeyError):
        book.client("acne")


def test_minimal_version_fields(book: ContractBook) -> None:
    v = book.version_for("acme", AT)
    assert (v.contract_key, v.number, v.effective) == ("gold", 1, date(2026, 1, 1))
    assert v.priorities == ("P1", "P2", "P3")
    assert v.default_priority == "P3"
    assert v.calendar_name == "berlin-office" and not v.calendar.is_24x7
    assert [s.name for s in v.services] == ["Platform support"]
    assert v.warn_at == (
        Threshold(percent=50),
        Threshold(percent=75),
        Threshold(percent=90),
        Threshold(before=timedelta(minutes=15)),
    )
    assert v.alerts.channel == "C0ALERTS01" and v.alerts.escalate_to == "S0LEADS001"
    assert v.alerts.thread is True and v.alerts.met_note is False


def test_targets_and_their_calendars(book: ContractBook) -> None:
    v = book.version_for("acme", AT)
    p1 = v.target_for("P1", Metric.FIRST_RESPONSE)
    assert isinstance(p1, Target)
    assert (p1.duration, p1.calendar_name, p1.calendar.is_24x7) == (timedelta(minutes=15), "always", True)
    p2 = v.target_for("P2", "resolution")
    assert p2 is not None and p2.duration == timedelta(days=1) and p2.calendar_name == "berlin-office"
    assert v.target_for("P3", Metric.NEXT_RESPONSE) is None
    assert v.target_for("P9", Metric.RESOLUTION) is None


def test_short_pause_list_pauses_every_metric(book: ContractBook) -> None:
    v = book.version_for("acme", AT)
    assert all(v.pauses("waiting_on_client", m) for m in Metric)
    assert not any(v.pauses("open", m) for m in Metric)
    assert not v.pauses("on_hold", Metric.RESOLUTION)


def test_version_is_immutable_and_hashable(book: ContractBook) -> None:
    v = book.version_for("acme", AT)
    with pytest.raises(AttributeError):
        v.number = 2  # type: ignore[misc]
    assert {v: 1}[v] == 1
    assert len(v.sha256) == 64


def test_version_to_yaml_reloads_to_the_same_content(book: ContractBook) -> None:
    v = book.version_for("acme", AT)
    text = MINIMAL.split("    versions:\n")[0] + "    versions:\n" + _indent(v.to_yaml(), 6)
    again = load_contracts_text(text).version_for("acme", AT)
    assert again.sha256 == v.sha256
    assert again.targets == v.targets


def test_the_same_content_hashes_the_same_and_an_edit_changes_it(book: ContractBook) -> None:
    v = book.version_for("acme", AT)
    respaced = load_contracts_text(MINIMAL.replace("# Slack channel ids", "")).version_for("acme", AT)
    assert respaced.sha256 == v.sha256
    edited = load_contracts_text(MINIMAL.replace("first_response: 4h", "first_response: 3h"))
    assert edited.version_for("acme", AT).sha256 != v.sha256


def test_load_contracts_reads_a_path(tmp_path: Path) -> None:
    f = tmp_path / "contracts.yaml"
    f.write_text(MINIMAL, encoding="utf-8")
    assert load_contracts(f).source == str(f)
    with pytest.raises(ContractFileError) as err:
        load_contracts(tmp_path / "missing.yaml")
    assert "no such file" in str(err.value)


def test_plain_words(book: ContractBook) -> None:
    text = "\n".join(render_contract_plain(book, "acme", AT))
    assert "Acme Corp" in text and "version 1" in text and "2026-01-01" in text
    assert "Platform support: Slack and e-mail support for the Acme platform" in text
    assert "P1 (around the clock): first response within 15m, resolution within 4h" in text
    assert "Mon–Fri" in text and "09:00" in text
    assert "waiting on client" in text
    assert "50%, 75%, 90% of each target and 15m before it is due" in text
    assert "<#C0ALERTS01>" in text and "<!subteam^S0LEADS001>" in text


def _indent(text: str, n: int) -> str:
    return "".join(" " * n + line + "\n" for line in text.splitlines())
