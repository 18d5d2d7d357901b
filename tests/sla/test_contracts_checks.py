"""SMART warnings: valid files that promise something vague, unreachable or unalertable."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from sla.contract_file import ConfigIssue
from sla.contracts import check_contracts, format_check_report, load_contracts_text
from tests.support.contract_file import contract_file

# 40 open hours a week (Mon-Fri 09:00-17:00), no days written anywhere: no warning at all.
CLEAN = contract_file(
    calendars="""
        office:
          timezone: Europe/London
          hours: {mon: ["09:00-17:00"], tue: ["09:00-17:00"], wed: ["09:00-17:00"], thu: ["09:00-17:00"], fri: ["09:00-17:00"]}
    """,
    clients="acme: {name: Acme, channels: [C0SUPPORT1], contract: gold}",
    gold="""
        services: [{name: Support, description: Slack support for the platform}]
        calendar: office
        warn_at: ["50%", "90%", "15m"]
        alerts: {channel: C0ALERTS01}
        targets:
          P1: {first_response: 30m, resolution: 4h, calendar: 24x7}
          P2: {first_response: 2h, resolution: 16h}
          P3: {first_response: 8h, resolution: 40h}
    """,
)


def warnings_of(text: str, **kwargs: timedelta) -> list[ConfigIssue]:
    issues = check_contracts(load_contracts_text(text, filename="c.yaml"), **kwargs)
    assert all(i.severity == "warning" and i.file == "c.yaml" and i.line for i in issues)
    return issues


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), start=1) if needle in line)


def test_clean_file_has_no_warning() -> None:
    assert warnings_of(CLEAN) == []


def test_more_urgent_priority_with_a_looser_target() -> None:
    text = CLEAN.replace("P2: {first_response: 2h", "P2: {first_response: 20m")
    [w] = warnings_of(text)
    assert w.path == "contracts.gold.versions[0].targets.P1.first_response"
    assert w.line == line_of(text, "P1:")
    assert "looser than P2" in w.message and "most urgent first" in (w.hint or "")


#: warnings whose message says it all: the edit, the field warned about (in the gold version),
#: what the message must say and what it must not
MESSAGES = {
    "percent_threshold_at_the_due_instant": (
        '"90%", "15m"',
        '"90%", "100%", "15m"',
        "warn_at[2]",
        ("'100%'", "never warns"),
        (),
    ),
    "time_before_due_longer_than_a_target": (
        '"15m"',
        '"45m"',
        "warn_at[2]",
        ("P1 first_response (30m)",),
        ("P2",),
    ),
    "target_longer_than_a_week_of_open_hours": (
        "resolution: 40h",
        "resolution: 41h",
        "targets.P3.resolution",
        ("40h", "one week"),
        (),
    ),
}


@pytest.mark.parametrize(("old", "new", "field", "said", "unsaid"), MESSAGES.values(), ids=MESSAGES.keys())
def test_the_warning_says_what_is_wrong(
    old: str, new: str, field: str, said: tuple[str, ...], unsaid: tuple[str, ...]
) -> None:
    [w] = warnings_of(CLEAN.replace(old, new))
    assert w.path == f"contracts.gold.versions[0].{field}"
    assert all(words in w.message for words in said) and not any(words in w.message for words in unsaid)


def test_business_target_written_in_days() -> None:
    [w] = warnings_of(CLEAN.replace("resolution: 16h", "resolution: 1d"))
    assert w.path == "contracts.gold.versions[0].targets.P2.resolution"
    assert w.hint == "1d = 24 business hours, i.e. 3 working days of 8h — write 8h for one working day"


def test_days_on_a_24x7_calendar_are_fine() -> None:
    text = CLEAN.replace("resolution: 4h, calendar: 24x7", "resolution: 1d, calendar: 24x7")
    assert warnings_of(text.replace("resolution: 16h", "resolution: 24h")) == []


def test_target_shorter_than_the_sweep() -> None:
    text = CLEAN.replace("first_response: 30m", "first_response: 5s").replace('"15m"', '"2s"')
    [w] = warnings_of(text)
    assert w.path == "contracts.gold.versions[0].targets.P1.first_response"
    assert "sweep interval (10s)" in w.message
    assert warnings_of(text, sweep_interval=timedelta(seconds=1)) == []


def test_client_without_channel() -> None:
    text = CLEAN.replace("channels: [C0SUPPORT1], ", "")
    [w] = warnings_of(text)
    assert w.path == "clients.acme.channels" and w.line == line_of(text, "acme:")


def test_version_without_services_or_description() -> None:
    no_services = CLEAN.replace(
        "        services: [{name: Support, description: Slack support for the platform}]\n", ""
    )
    [w] = warnings_of(no_services)
    assert w.path == "contracts.gold.versions[0].services" and "no services" in w.message
    undescribed = CLEAN.replace(", description: Slack support for the platform", "")
    [w] = warnings_of(undescribed)
    assert w.path == "contracts.gold.versions[0].services[0]" and "'Support' has no description" in w.message


def test_no_alert_channel() -> None:
    [w] = warnings_of(CLEAN.replace("        alerts: {channel: C0ALERTS01}\n", ""))
    assert w.path == "contracts.gold.versions[0].alerts" and "nowhere" in w.message


def test_report_valid_with_warnings(tmp_path: Path) -> None:
    f = tmp_path / "c.yaml"
    f.write_text(CLEAN.replace("resolution: 16h", "resolution: 1d"), encoding="utf-8")
    code, text = format_check_report(f)
    assert code == 0
    lines = text.splitlines()
    assert lines[0] == "Warnings:" and "targets.P2.resolution" in lines[1]
    assert lines[-1] == f"{f}: 1 client, 1 contract (1 version) — valid, 1 warning"


def test_report_invalid_lists_every_error(tmp_path: Path) -> None:
    f = tmp_path / "c.yaml"
    bad = CLEAN.replace("Europe/London", "Europe/Londn").replace("4h,", "4 hours,")
    f.write_text(bad, encoding="utf-8")
    code, text = format_check_report(f)
    assert code == 1
    lines = text.splitlines()
    assert lines[0] == "Errors:"
    assert lines[1].startswith(f"  {f}:{line_of(bad, 'Londn')}: calendars.office.timezone: unknown time zone")
    assert lines[2].startswith(
        f"  {f}:{line_of(bad, '4 hours')}: contracts.gold.versions[0].targets.P1.resolution:"
    )
    assert lines[-1] == f"{f}: invalid, 2 errors"


def test_report_missing_file(tmp_path: Path) -> None:
    code, text = format_check_report(tmp_path / "nope.yaml")
    assert code == 1 and "no such file" in text
