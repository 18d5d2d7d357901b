"""The contract's ``sources`` value mappings: checked against every version, kept out of the hash."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from sla.contracts import ContractFileError, SourceValues, load_contracts_text

BASE = (Path(__file__).resolve().parents[1] / "payloads" / "contracts.yaml").read_text(encoding="utf-8")
AT = datetime(2026, 3, 2, tzinfo=UTC)


def with_sources(block: str) -> str:
    return BASE.replace("    name: Gold\n", "    name: Gold\n    sources:\n" + block)


def test_a_mapping_reaches_every_version_and_ids_are_text() -> None:
    book = load_contracts_text(
        with_sources(
            "      jira:\n        priorities: {10100: P1}\n        statuses: {'10200': waiting_on_client}\n"
        ),
        filename="c.yaml",
    )
    version = book.version_for("acme", AT)
    assert version.sources == {"jira": SourceValues({"10100": "P1"}, {"10200": "waiting_on_client"})}
    plain = load_contracts_text(BASE, filename="c.yaml").version_for("acme", AT)
    assert plain.sources == {} and plain.sha256 == version.sha256  # a mapping is not a promise


def test_unknown_priorities_and_statuses_are_errors_with_their_line() -> None:
    text = with_sources(
        "      jira:\n        priorities: {'1': P9}\n        statuses: {'2': waiting_on_clinet}\n"
    )
    with pytest.raises(ContractFileError) as info:
        load_contracts_text(text, filename="c.yaml")
    messages = [str(e) for e in info.value.errors]
    assert any("c.yaml:20:" in m and "'P9' is not a priority of version(s) 1" in m for m in messages), (
        messages
    )
    assert any("c.yaml:21:" in m and "unknown status 'waiting_on_clinet'" in m for m in messages), messages
