"""The shipped examples/contracts.yaml: valid, SMART, and versions chosen by effective date."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from sla.contracts import (
    ContractBook,
    check_contracts,
    format_check_report,
    load_contracts,
    load_contracts_text,
)
from sla.metrics import Metric

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "contracts.yaml"


@pytest.fixture(scope="module")
def book() -> ContractBook:
    return load_contracts(EXAMPLE)


def test_example_is_valid_and_smart(book: ContractBook) -> None:
    assert check_contracts(book) == []
    code, text = format_check_report(EXAMPLE)
    assert code == 0
    assert text.endswith("3 clients, 3 contracts (4 versions) — valid, 0 warnings")


def test_version_for_picks_by_effective_date(book: ContractBook) -> None:
    # gold v2 is effective 2026-07-01 in Berlin, i.e. from 2026-06-30T22:00Z
    assert book.version_for("acme", datetime(2026, 6, 30, 21, 59, 59, tzinfo=UTC)).number == 1
    assert book.version_for("acme", datetime(2026, 6, 30, 22, 0, tzinfo=UTC)).number == 2
    assert book.version_for("acme", datetime(2027, 1, 1, tzinfo=UTC)).effective == date(2026, 7, 1)
    # before every version: the earliest one
    assert book.version_for("acme", datetime(2020, 1, 1, tzinfo=UTC)).number == 1
    with pytest.raises(ValueError):
        book.version_for("acme", datetime(2026, 8, 1))


def test_versions_differ_where_the_file_says(book: ContractBook) -> None:
    v1 = book.version_for("acme", datetime(2026, 2, 1, tzinfo=UTC))
    v2 = book.version_for("acme", datetime(2026, 8, 1, tzinfo=UTC))
    assert v1 != v2 and v1.sha256 != v2.sha256
    p2_first = Metric.FIRST_RESPONSE
    assert v1.target_for("P2", p2_first).duration == timedelta(hours=1)  # type: ignore[union-attr]
    assert v2.target_for("P2", p2_first).duration == timedelta(minutes=45)  # type: ignore[union-attr]
    assert v1.pauses("waiting_on_vendor", Metric.FIRST_RESPONSE)
    assert not v2.pauses("waiting_on_vendor", Metric.FIRST_RESPONSE)
    assert v2.pauses("waiting_on_vendor", Metric.RESOLUTION)
    assert v2.target_for("P1", Metric.PERIODIC_UPDATE) is not None
    assert v1.target_for("P1", Metric.PERIODIC_UPDATE) is None


def test_every_field_later_issues_use(book: ContractBook) -> None:
    acme = book.client("acme")
    assert acme.monthly_fee == Decimal(12000) and acme.currency == "EUR" and acme.lead == "U0LEAD0001"
    assert acme.contacts == ("U0ACME0001", "U0ACME0002")
    assert book.client_for_channel("C0GLOBEX02") is book.client("globex")
    v1 = book.version_for("acme", datetime(2026, 2, 1, tzinfo=UTC))
    assert v1.priorities == ("P1", "P2", "P3", "P4") and v1.default_priority == "P3"
    assert [lvl.after for lvl in v1.alerts.escalation] == [timedelta(minutes=30), timedelta(hours=2)]
    assert v1.alerts.escalation[1].channel == "C0ESCALATE"
    assert v1.services[0].uptime_target == 99.9 and v1.uptime.target == 99.9
    assert v1.uptime.maintenance[0].start == datetime(2026, 3, 1, 1, 0, tzinfo=UTC)
    assert [(t.below, t.credit) for t in v1.credits.uptime_tiers] == [
        (99.9, 10.0),
        (99.0, 25.0),
        (95.0, 100.0),
    ]
    assert dict(v1.credits.per_breach) == {"P1": 5.0, "P2": 2.0}
    assert v1.credits.cap == 30.0 and v1.credits.claim_within == timedelta(days=30)
    assert [(o.metric, o.priority, o.target, o.window) for o in v1.objectives] == [
        (Metric.FIRST_RESPONSE, "P1", 95.0, "month"),
        (Metric.RESOLUTION, None, 90.0, "quarter"),
    ]
    assert v1.review.cadence == "quarterly"
    s = v1.survey
    assert (s.via, s.scale, s.who, s.window, s.reminder_after, s.min_interval) == (
        "thread",
        "1-5",
        "requester",
        timedelta(days=7),
        timedelta(hours=24),
        timedelta(days=14),
    )
    assert s.nps is not None and s.nps.cadence == "quarterly"
    silver = book.version_for("globex", datetime(2026, 2, 1, tzinfo=UTC))
    assert (silver.survey.scale, silver.survey.who, silver.survey.sample_rate) == ("good-bad", "client", 0.5)
    assert silver.warn_at[0].key == "50%" and len(silver.warn_at) == 3  # the default thresholds
    bronze = book.version_for("initech", datetime(2026, 2, 1, tzinfo=UTC))
    assert bronze.default_priority == "P3" and bronze.alerts.thread is False and bronze.survey.via == "dm"


def test_priority_rules(book: ContractBook) -> None:
    v1 = book.version_for("acme", datetime(2026, 2, 1, tzinfo=UTC))
    assert v1.priority_for("The API is down since 9:00") == "P1"
    assert v1.priority_for("we had some data loss overnight") == "P1"
    assert v1.priority_for("export is broken", emoji=[":rotating_light:"]) == "P1"
    assert v1.priority_for("export is broken") == "P2"
    assert v1.priority_for("a question about downloads") == "P3"  # 'down' is a word, not a prefix


def test_every_version_round_trips_through_yaml(book: ContractBook) -> None:
    head = EXAMPLE.read_text(encoding="utf-8").split("\ncontracts:\n")[0]
    for contract in book.contracts.values():
        for version in contract.versions:
            body = "".join("      " + line + "\n" for line in version.to_yaml().splitlines())
            text = f"{head}\ncontracts:\n  {contract.key}:\n    versions:\n{body}"
            text += "".join(
                f"  {k}: {{versions: [{{effective: 2026-01-01, targets: {{P1: {{resolution: 1h}}}}}}]}}\n"
                for k in book.contracts
                if k != contract.key
            )
            again = load_contracts_text(text).contracts[contract.key].versions[0]
            assert again.sha256 == version.sha256
            assert again.targets == version.targets and again.pause_on == version.pause_on
