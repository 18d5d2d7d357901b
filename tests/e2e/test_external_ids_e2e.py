"""Helpdesk ids end to end (issue 13, item 5): real Zendesk and Jira deliveries (``tests/payloads``)
signed as each sender signs them, then signed ``/sla`` commands naming the tickets by what the
helpdesk calls them — ``35436``, ``ZD-35436``, ``GLX-7`` — answered from the app through the emulator."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.emulator import inbound
from handlers import commands
from tests.e2e.corpus_harness import TEAM, WebhookApp, webhook_app
from tests.handlers.test_escaping_property import assert_inert
from tests.payloads.corpus import payloads

NOW = datetime(2026, 11, 24, 9, 0, 5, tzinfo=UTC)
AGENT, SUPPORT, SIGNING = "U0AGENT001", "C0SUPPORT1", "corpus-signing-secret"
ZENDESK, JIRA = payloads("zendesk"), payloads("jira")


@pytest.fixture
def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[WebhookApp]:
    monkeypatch.setattr(commands, "ACK_BUDGET_SECONDS", 30.0)  # a loaded CI machine must not time out
    with webhook_app(tmp_path, now=NOW) as running:
        yield running


def sla(app: WebhookApp, text: str, user: str = AGENT, channel: str = SUPPORT) -> dict[str, Any]:
    """``/sla <text>`` as Slack sends it, signed: the ephemeral answer."""
    status, _headers, body = inbound.post_to_app(
        app.url, *inbound.slash_command(text, user, channel), SIGNING
    )
    assert status == 200, body
    answer = json.loads(body)
    assert answer["response_type"] == "ephemeral"
    assert_inert({"text": answer["text"], "blocks": answer.get("blocks", [])})
    return answer


def shown(answer: dict[str, Any]) -> str:
    return answer["text"] + json.dumps(answer.get("blocks", []), ensure_ascii=False)


def jira_issue(key: str, summary: str) -> bytes:
    """Jira Server's real ``jira:issue_created`` delivery, for another project's issue."""
    payload = json.loads(JIRA["server_issue_created.json"].bytes())
    payload["issue"]["key"] = key
    payload["issue"]["fields"]["project"]["key"] = key.split("-")[0]
    payload["issue"]["fields"]["summary"] = summary
    return json.dumps(payload).encode()


def test_a_zendesk_ticket_answers_to_its_zendesk_id(app: WebhookApp) -> None:
    status, answer = app.zendesk(ZENDESK["rendered_trigger_1_new_ticket.json"].bytes())
    assert status == 200, answer
    ref = answer["results"][0]["ref"]
    ticket = app.ticket("zendesk:35436")
    assert ticket is not None and ticket.ref == ref
    assert (ticket.external_system, ticket.external_id, ticket.title) == (
        "zendesk",
        "35436",
        "Help, my printer is on fire!",
    )
    for typed in ("35436", "ZD-35436", "zd-35436", "#35436", ref):
        text = shown(sla(app, f"status {typed}"))
        assert ref in text and "can't find" not in text, (typed, text)
    explained = shown(sla(app, "explain ZD-35436"))
    assert f"Why {ref}" in explained
    assert "can't find ticket ZD-99" in shown(sla(app, "status ZD-99"))


def test_a_jira_issue_is_assigned_by_its_key(app: WebhookApp) -> None:
    status, answer = app.jira(jira_issue("GLX-7", "Globex portal login loops"))
    assert status == 200, answer
    ticket = app.ticket("jira:GLX-7")
    assert ticket is not None
    assert (ticket.external_system, ticket.external_id, ticket.title) == (
        "jira",
        "GLX-7",
        "Globex portal login loops",
    )
    done = shown(sla(app, f"assign GLX-7 <@{AGENT}|agent>"))
    assert f"{ticket.ref} assigned to <@{AGENT}>" in done
    assert app.ticket("jira:GLX-7").assignee == AGENT
    assert ticket.ref in shown(sla(app, "status glx-7"))


def test_a_jira_comment_without_a_reporter_opens_a_ticket_with_its_key_and_summary(app: WebhookApp) -> None:
    # Cloud's comment_created carries no fields.reporter: the issue opens from its fields first
    status, answer = app.jira(JIRA["cloud_comment_created.json"].bytes())
    assert status == 200, answer
    ticket = app.ticket("jira:TEST-24")
    assert ticket is not None
    assert (ticket.external_system, ticket.external_id, ticket.title) == ("jira", "TEST-24", "test")
    assert app.events("jira:TEST-24") == [("opened", "P3"), ("client_message", None)]
    assert ticket.ref in shown(sla(app, "status TEST-24"))


def test_an_id_two_tickets_answer_to_is_listed_not_guessed(app: WebhookApp) -> None:
    app.zendesk(ZENDESK["rendered_trigger_1_new_ticket.json"].bytes())  # T-1 = ZD-35436
    body = json.loads(ZENDESK["rendered_trigger_1_new_ticket.json"].bytes())
    body |= {"ticket_id": "1", "title": "Second <!channel> ticket"}
    status, answer = app.zendesk(json.dumps(body).encode())
    assert status == 200, answer
    second = answer["results"][0]["ref"]
    listed = shown(sla(app, "status 1"))  # slabot's T-1, or Zendesk's ticket 1?
    assert "1 could be 2 tickets" in listed and "T-1" in listed and second in listed
    assert "ZD-1" in listed and "Second &lt;!channel&gt; ticket" in listed  # escaped: never a live mention
    assert second in shown(sla(app, "status ZD-1")) and "could be" not in shown(sla(app, "status T-1"))
    assert "could be" in shown(sla(app, "resolve 1"))  # nothing is changed on a guess
    assert app.ticket("zendesk:1").resolved_at is None and app.ticket("zendesk:35436").resolved_at is None


def test_the_resolver_stays_in_its_workspace(app: WebhookApp) -> None:
    app.zendesk(ZENDESK["rendered_trigger_1_new_ticket.json"].bytes())
    status, _headers, body = inbound.post_to_app(
        app.url, *inbound.slash_command("status 35436", AGENT, SUPPORT, team_id="T0ELSEWHERE"), SIGNING
    )
    assert status == 200 and TEAM != "T0ELSEWHERE"
    assert "T-1" not in json.loads(body)["text"]
