"""Real Jira deliveries (``tests/payloads/jira``) through the real app, signed as Jira signs them
(``X-Hub-Signature``), in the order Jira sends them; the ticket's events after each one.

Each scenario is a fresh app. A step is (file, the ticket it is about, its events afterwards,
the intake reasons the delivery reports). The reporter's own comment is never the agent's
response; a comment delivered twice (``comment_created`` and ``jira:issue_updated``) counts once;
a Russian-language Jira records the same events as an English one; a value nothing maps is
reported and the rest is recorded."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.e2e.corpus_harness import CONTRACTS, WebhookApp, webhook_app
from tests.payloads.corpus import payloads

CORPUS = payloads("jira")
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)

Step = tuple[str, str, list[tuple[str, object]], list[str]]
OPENED_P3 = ("opened", "P3")
SCENARIOS: dict[str, list[Step]] = {
    # Jira Server: TEST-4 created by admin, then admin's own comment — delivered as comment_created
    # without any issue, then again inside jira:issue_updated (and as DC's issue_commented)
    "server_reporter_comments_own_issue": [
        ("server_issue_created.json", "jira:TEST-4", [OPENED_P3], []),
        (
            "server_comment_created_without_issue.json",
            "jira:TEST-4",
            [OPENED_P3, ("client_message", None)],
            [],
        ),
        ("server_issue_updated_with_comment.json", "jira:TEST-4", [OPENED_P3, ("client_message", None)], []),
        (
            "adapted_dc_issue_updated_issue_commented.json",
            "jira:TEST-4",
            [OPENED_P3, ("client_message", None)],
            [],
        ),
    ],
    # a comment for an issue slabot never saw, without the issue: nothing to attach it to
    "server_comment_for_an_unknown_issue": [
        ("server_comment_created_without_issue.json", "jira:TEST-4", [], ["not_covered"]),
    ],
    # Jira Cloud comment_created (no fields.reporter, no accountType): opens the issue; nothing tells
    # who wrote, so it is the client's message (never a response counted by mistake)
    "cloud_comment_on_a_new_issue": [
        ("cloud_comment_created.json", "jira:TEST-24", [OPENED_P3, ("client_message", None)], []),
        ("cloud_comment_created.json", "jira:TEST-24", [OPENED_P3, ("client_message", None)], []),  # a retry
    ],
    "cloud_jsm_customer_then_internal_note_and_automation": [
        (
            "adapted_cloud_comment_created_jsm_customer.json",
            "jira:TEST-24",
            [OPENED_P3, ("client_message", None)],
            [],
        ),
        (
            "adapted_cloud_comment_created_internal_note.json",
            "jira:TEST-24",
            [OPENED_P3, ("client_message", None)],
            ["internal_note"],
        ),
        (
            "adapted_cloud_comment_created_by_app.json",
            "jira:TEST-24",
            [OPENED_P3, ("client_message", None)],
            ["bot"],
        ),
    ],
    "server_issue_resolved": [
        ("server_issue_updated_status_done.json", "jira:TEST-11", [("opened", "P1"), ("resolved", None)], []),
    ],
    "russian_jira": [
        ("adapted_server_issue_created_russian.json", "jira:TEST-4", [OPENED_P3], []),
        (
            "adapted_server_issue_updated_status_russian.json",
            "jira:TEST-11",
            [("opened", "P1"), ("resolved", None)],
            [],
        ),
    ],
    # a site-defined priority nothing maps: the issue still opens (the contract's default), reported
    "custom_priority_unmapped": [
        ("adapted_server_issue_created_custom_priority.json", "jira:TEST-4", [OPENED_P3], ["unmapped_value"]),
    ],
}


def test_every_jira_file_is_in_a_scenario() -> None:
    used = {step[0] for steps in SCENARIOS.values() for step in steps}
    assert used == set(CORPUS)


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_jira_scenario(tmp_path: Path, name: str) -> None:
    with webhook_app(tmp_path, now=NOW) as app:
        for file, ref, expected, reasons in SCENARIOS[name]:
            before = app.ignored("jira")
            status, answer = app.jira(CORPUS[file].bytes())
            assert status == 200, (file, answer)
            assert app.events(ref) == expected, file
            assert [i["reason"] for i in answer.get("ignored", [])] == reasons, file
            assert app.ignored("jira") == before + len(reasons)


def _check(app: WebhookApp, file: str) -> dict:
    status, answer = app.jira(CORPUS[file].bytes())
    assert status == 200, answer
    return answer


def test_the_requester_is_stored_and_decides_later_comments(tmp_path: Path) -> None:
    with webhook_app(tmp_path, now=NOW) as app:
        _check(app, "server_issue_created.json")
        ticket = app.ticket("jira:TEST-4")
        assert ticket is not None and ticket.requester == "admin"  # the reporter's key, from fields.reporter
        assert ticket.priority == "P3" and ticket.title == "a"


def test_a_contract_mapping_names_a_site_defined_priority_and_status(tmp_path: Path) -> None:
    mapped = tmp_path / "contracts.yaml"
    text = CONTRACTS.read_text(encoding="utf-8").replace(
        "    name: Gold\n",
        "    name: Gold\n    sources:\n      jira:\n        priorities: {'10100': P1}\n"
        "        statuses: {'10001': closed}\n",
    )
    mapped.write_text(text, encoding="utf-8")
    with webhook_app(tmp_path, now=NOW, contracts=mapped) as app:
        answer = _check(app, "adapted_server_issue_created_custom_priority.json")
        assert "ignored" not in answer
        assert app.events("jira:TEST-4") == [("opened", "P1")]
        _check(app, "adapted_server_issue_updated_status_russian.json")  # Готово (id 10001) → closed
        assert app.events("jira:TEST-11") == [("opened", "P1"), ("resolved", None), ("closed", None)]
