"""Bad contract files: every problem is reported at once with file:line, the field path and a hint."""

from __future__ import annotations

import pytest

from sla.contract_file import ConfigIssue
from sla.contracts import ContractFileError, load_contracts_text
from tests.support.contract_file import contract_file

BASE = contract_file(
    agents="{users: [U0AGENT001]}",
    calendars="""
        us-support:
          timezone: America/New_York
          hours: {mon: ["09:00-17:00"], tue: ["09:00-17:00"]}
        always: {timezone: UTC, hours: 24x7}
    """,
    clients="""
        acme:
          name: Acme Corp
          channels: [C0SUPPORT1]
          contract: gold
    """,
    gold="""
        services:
          - {name: Platform support, description: Slack support}
        calendar: us-support
        default_priority: P2
        targets:
          P1:
            first_response: 15m
            resolution: 4h
            calendar: always
          P2:
            first_response: 1h
            resolution: 8h
    """,
)


def errors_of(text: str) -> list[ConfigIssue]:
    with pytest.raises(ContractFileError) as err:
        load_contracts_text(text, filename="c.yaml")
    assert str(err.value) == "\n".join(str(e) for e in err.value.errors)
    return err.value.errors


def only_error(text: str) -> ConfigIssue:
    errors = errors_of(text)
    assert len(errors) == 1, errors
    return errors[0]


def edited(old: str, new: str) -> tuple[str, ConfigIssue]:
    """The base file with ``old`` written ``new``, and its only error."""
    bad = BASE.replace(old, new)
    return bad, only_error(bad)


def line_of(text: str, needle: str) -> int:
    for i, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return i
    raise AssertionError(needle)


def test_base_is_valid() -> None:
    load_contracts_text(BASE)


def test_typo_key_names_line_path_and_suggestion() -> None:
    bad, e = edited("        calendar: us-support", "        calender: us-support")
    assert (e.file, e.line, e.path) == (
        "c.yaml",
        line_of(bad, "calender:"),
        "contracts.gold.versions[0].calender",
    )
    assert e.message == "unknown key 'calender'"
    assert e.hint == "did you mean 'calendar'?"
    assert (
        str(e)
        == f"c.yaml:{e.line}: contracts.gold.versions[0].calender: unknown key 'calender' — did you mean 'calendar'?"
    )


def test_typo_metric_in_targets() -> None:
    bad, e = edited("            first_response: 1h", "            first_responce: 1h")
    assert e.path == "contracts.gold.versions[0].targets.P2.first_responce"
    assert e.line == line_of(bad, "first_responce")
    assert e.hint == "did you mean 'first_response'?"


def test_unknown_calendar_suggests_the_closest() -> None:
    bad, e = edited("calendar: us-support", "calendar: us-suport")
    assert e.line == line_of(bad, "us-suport")
    assert e.path == "contracts.gold.versions[0].calendar"
    assert f"{e.message} — {e.hint}" == "unknown calendar 'us-suport' — did you mean 'us-support'?"


def test_unknown_target_calendar() -> None:
    _, e = edited("            calendar: always", "            calendar: alway")
    assert e.path == "contracts.gold.versions[0].targets.P1.calendar"
    assert e.hint == "did you mean 'always'?"


def test_bad_duration_carries_the_parser_message() -> None:
    bad, e = edited("resolution: 4h", "resolution: 4 hours")
    assert e.path == "contracts.gold.versions[0].targets.P1.resolution"
    assert e.line == line_of(bad, "4 hours")
    assert "not a duration: '4 hours'" in e.message
    assert e.hint is not None and "15m" in e.hint


def test_duration_without_unit_is_refused() -> None:
    e = only_error(BASE.replace("resolution: 8h", "resolution: 8"))
    assert e.path == "contracts.gold.versions[0].targets.P2.resolution"
    assert "no unit" in e.message and "8h" in (e.hint or "")


def test_long_form_target_bad_duration_points_inside() -> None:
    bad, e = edited("resolution: 8h", "resolution: {target: 8x, calendar: always}")
    assert e.path == "contracts.gold.versions[0].targets.P2.resolution.target"
    assert e.line == line_of(bad, "8x")


def test_bad_timezone_at_its_line() -> None:
    bad, e = edited("America/New_York", "America/New_Yrok")
    assert e.line == line_of(bad, "New_Yrok")
    assert e.path == "calendars.us-support.timezone"
    assert e.hint and "America/New_York" in e.hint


def test_bad_hours_at_the_window_line() -> None:
    bad, e = edited('tue: ["09:00-17:00"]', 'tue: ["09:00-25:00"]')
    assert e.path.startswith("calendars.us-support.hours")
    assert e.line == line_of(bad, "25:00")


def test_duplicate_key_reported_at_the_second() -> None:
    bad, e = edited(
        "            resolution: 8h\n", "            resolution: 8h\n            first_response: 2h\n"
    )
    assert e.line == line_of(bad, "first_response: 2h")
    assert e.path == "contracts.gold.versions[0].targets.P2.first_response"
    assert "appears twice" in e.message and f"line {line_of(bad, 'first_response: 1h')}" in e.message
    assert e.hint and "last one" in e.hint


def test_yaml_syntax_error_line() -> None:
    bad, e = edited("    name: Acme Corp", "    name: [Acme Corp")
    assert e.message.startswith("YAML syntax error")
    assert line_of(bad, "[Acme Corp") <= e.line <= line_of(bad, "[Acme Corp") + 2
    assert e.hint


def test_tab_indentation_hint() -> None:
    bad, e = edited("    name: Acme Corp", "\tname: Acme Corp")
    assert e.line == line_of(bad, "\tname")
    assert "tab" in (e.hint or "").lower()


@pytest.mark.parametrize("text", ["", "   \n# only a comment\n"])
def test_empty_file(text: str) -> None:
    e = only_error(text)
    assert e.line == 1 and "empty" in e.message


@pytest.mark.parametrize("text", ["- a\n- b\n", "just words\n"])
def test_top_level_not_a_mapping(text: str) -> None:
    e = only_error(text)
    assert e.line == 1 and "top level must be a mapping" in e.message
    assert "contracts:" in (e.hint or "")


def test_missing_section_and_typo_at_top_level() -> None:
    bad = BASE.replace("contracts:\n  gold:", "contract:\n  gold:")
    errors = errors_of(bad)
    messages = {(e.path, e.message, e.hint) for e in errors}
    assert ("contracts", "'contracts' is missing", "add 'contracts:' here") in messages
    assert ("contract", "unknown key 'contract'", "did you mean 'contracts'?") in messages
    # the client refers to a contract that is no longer defined
    assert any(e.path == "clients.acme.contract" and "unknown contract 'gold'" in e.message for e in errors)


def test_unknown_priority_in_default_priority() -> None:
    bad, e = edited("default_priority: P2", "default_priority: P3")
    assert e.path == "contracts.gold.versions[0].default_priority"
    assert e.line == line_of(bad, "default_priority")
    assert e.message == "unknown priority 'P3'"
    assert e.hint == "priorities in targets: P1, P2"


def test_unknown_contract_of_client() -> None:
    _, e = edited("contract: gold", "contract: golden")
    assert e.path == "clients.acme.contract" and e.hint == "did you mean 'gold'?"


def _with_second_version(effective: str) -> str:
    return BASE + (
        f"      - effective: {effective}\n"
        "        services: [{name: Platform support, description: Slack support}]\n"
        "        targets: {P1: {first_response: 10m}}\n"
    )


@pytest.mark.parametrize(("effective", "word"), [("2025-06-01", "before"), ("2026-01-01", "same day")])
def test_unsorted_or_duplicate_versions(effective: str, word: str) -> None:
    bad = _with_second_version(effective)
    e = only_error(bad)
    assert e.path == "contracts.gold.versions[1].effective"
    last = max(i for i, line in enumerate(bad.splitlines(), start=1) if f"effective: {effective}" in line)
    assert e.line == last
    assert word in e.message and "oldest first" in (e.hint or "")


def test_channel_listed_for_two_clients() -> None:
    bad, e = edited(
        "contracts:\n", "  globex:\n    channels: [C0SUPPORT2, C0SUPPORT1]\n    contract: gold\ncontracts:\n"
    )
    assert e.path == "clients.globex.channels[1]"
    assert e.line == line_of(bad, "C0SUPPORT2, C0SUPPORT1")
    assert "already listed for client 'acme'" in e.message


def test_channel_name_instead_of_id() -> None:
    e = only_error(BASE.replace("channels: [C0SUPPORT1]", "channels: ['#support']"))
    assert e.path == "clients.acme.channels[0]"
    assert "not a Slack id" in e.message and "Copy ID" in (e.hint or "")


def test_bad_literal_suggests_allowed_value() -> None:
    bad, e = edited(
        "        default_priority: P2\n", "        default_priority: P2\n        survey: {via: thred}\n"
    )
    assert e.path == "contracts.gold.versions[0].survey.via"
    assert e.hint == "did you mean 'thread'?"


def test_unknown_pause_status_and_objective_priority() -> None:
    bad = BASE.replace(
        "        default_priority: P2\n",
        "        default_priority: P2\n"
        "        pause_on: [waiting_on_clent]\n"
        "        objectives: [{metric: first_response, priority: P7, target: 95%}]\n",
    )
    errors = errors_of(bad)
    assert [(e.path, e.hint) for e in errors] == [
        ("contracts.gold.versions[0].pause_on.waiting_on_clent", "did you mean 'waiting_on_client'?"),
        ("contracts.gold.versions[0].objectives[0].priority", "priorities in targets: P1, P2, all"),
    ]


def test_all_errors_at_once_in_file_order() -> None:
    bad = (
        BASE.replace("America/New_York", "Mars/Olympus")
        .replace("contract: gold", "contract: gould")
        .replace("resolution: 4h", "resolution: soon")
        .replace("        calendar: us-support", "        calender: us-support")
        .replace("default_priority: P2", "default_priority: P9")
    )
    errors = errors_of(bad)
    assert [e.path for e in errors] == [
        "calendars.us-support.timezone",
        "clients.acme.contract",
        "contracts.gold.versions[0].calender",
        "contracts.gold.versions[0].default_priority",
        "contracts.gold.versions[0].targets.P1.resolution",
    ]
    # one pass: the reference to an unknown priority shows beside the version's own field errors, and
    # fixing those reveals nothing new
    fixed = bad.replace("calender", "calendar").replace("soon", "4h")
    assert [e.path for e in errors_of(fixed)] == [
        "calendars.us-support.timezone",
        "clients.acme.contract",
        "contracts.gold.versions[0].default_priority",
    ]
    assert [e.line for e in errors] == sorted(e.line or 0 for e in errors)
    assert all(e.file == "c.yaml" and e.severity == "error" and e.hint for e in errors)


def test_a_bad_version_does_not_hide_the_next_one() -> None:
    bad = BASE.replace("resolution: 4h", "resolution: x") + (
        "      - effective: 2026-06-01\n        targets: {P1: {first_response: y}}\n"
    )
    paths = [e.path for e in errors_of(bad)]
    assert paths == [
        "contracts.gold.versions[0].targets.P1.resolution",
        "contracts.gold.versions[1].targets.P1.first_response",
    ]


def test_monthly_fee_needs_a_currency() -> None:
    e = only_error(BASE.replace("    contract: gold\n", "    contract: gold\n    monthly_fee: 1200\n"))
    assert e.path == "clients.acme" and "currency" in e.message and e.hint == "add e.g. currency: EUR"


def test_naive_maintenance_timestamp_is_refused() -> None:
    _, e = edited(
        "        default_priority: P2\n",
        "        default_priority: P2\n"
        "        uptime: {maintenance: [{start: 2026-03-01 02:00:00, end: 2026-03-01T04:00:00Z}]}\n",
    )
    assert e.path == "contracts.gold.versions[0].uptime.maintenance[0].start"
    assert "no time zone" in e.message and "+01:00" in (e.hint or "")
