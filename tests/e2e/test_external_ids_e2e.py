"""Helpdesk ids end to end (issue 13, item 5): real Zendesk and Jira deliveries (``tests/payloads``)
signed as each sender signs them, then signed ``/sla`` commands naming the tickets by what the
helpdesk calls them — ``35436``, ``ZD-35436``, ``GLX-7`` — answered from the app through the emulator."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.emulator import inbound
from bot.scheduler import alert_workers
from bot.sources.signing import sign_zendesk
from handlers import commands
from tests.e2e.corpus_harness import TEAM, WebhookApp, webhook_app
from tests.e2e.slack_harness import AGENTS, SUPPORT, TUESDAY_10_BERLIN, SlackApp, support_app
from tests.handlers.test_escaping_property import assert_inert
from tests.payloads.corpus import payloads

NOW = datetime(2026, 11, 24, 9, 0, 5, tzinfo=UTC)
AGENT, SIGNING, ALERTS = "U0AGENT001", "corpus-signing-secret", "C0ALERTS01"
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


def test_a_client_is_never_told_of_tickets_that_are_not_its_own(app: WebhookApp) -> None:
    app.zendesk(ZENDESK["rendered_trigger_1_new_ticket.json"].bytes())  # T-1 = ZD-35436
    body = json.loads(ZENDESK["rendered_trigger_1_new_ticket.json"].bytes())
    body |= {"ticket_id": "1", "title": "Someone else's outage"}
    app.zendesk(json.dumps(body).encode())  # T-2 = ZD-1: "1" names both
    assert "could be 2 tickets" in shown(sla(app, "status 1"))  # an agent gets the list
    told = shown(sla(app, "status 1", user="U0CLIENT99"))  # a client in Acme's channel, asker of neither
    assert "can't find ticket 1 among your requests" in told
    assert "outage" not in told and "printer" not in told and "T-2" not in told


def test_the_resolver_stays_in_its_workspace(app: WebhookApp) -> None:
    app.zendesk(ZENDESK["rendered_trigger_1_new_ticket.json"].bytes())
    status, _headers, body = inbound.post_to_app(
        app.url, *inbound.slash_command("status 35436", AGENT, SUPPORT, team_id="T0ELSEWHERE"), SIGNING
    )
    assert status == 200 and TEAM != "T0ELSEWHERE"
    assert "T-1" not in json.loads(body)["text"]


# ---- every surface shows the helpdesk's id and title ------------------------------------------------


@pytest.fixture
def desk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SlackApp]:
    with support_app(
        tmp_path, monkeypatch, secret="extids-signing", SLABOT_WEBHOOK_SECRETS="zendesk=zd-secret"
    ) as running:
        yield running


def zendesk_delivery(desk: SlackApp, payload: dict[str, Any]) -> dict[str, Any]:
    body = json.dumps(payload).encode()
    stamp = desk.clock.now().strftime("%Y-%m-%dT%H:%M:%SZ")
    request = urllib.request.Request(
        desk.url + "/webhooks/zendesk",
        data=body,
        headers={"Content-Type": "application/json", **sign_zendesk("zd-secret", body, stamp)},
        method="POST",
    )
    with urllib.request.urlopen(request) as response:
        return json.loads(response.read())


def _blocks(message: dict[str, Any]) -> str:
    return json.dumps(message["blocks"], ensure_ascii=False)


def test_card_status_lines_and_app_home_show_the_id_and_title(desk: SlackApp) -> None:
    payload = json.loads(ZENDESK["rendered_trigger_1_new_ticket.json"].bytes())
    payload["title"] = "Printer <!channel> on fire"  # a requester's subject: never a live mention
    answer = zendesk_delivery(desk, payload)
    ref = answer["results"][0]["ref"]
    named = f"{ref}* · ZD-35436"  # bold ref (linked or not), then the helpdesk's id
    # half its first-response time later, the warning card in the alert channel
    desk.clock.set(TUESDAY_10_BERLIN + timedelta(minutes=31))
    sweeper, _notifier = alert_workers(
        settings=desk.runtime.settings,
        uow=desk.runtime.services.uow,
        book=desk.runtime.services.book,
        tickets=desk.runtime.services.tickets,
        clock=desk.clock,
        clients=lambda _team: None,
        worker_id="extids-sweeper",
    )
    sweeper.run_once()
    desk.wait_for(lambda: desk.slack.messages(ALERTS), deliver=True)
    card = desk.slack.messages(ALERTS)[0]
    assert f"{ref} · ZD-35436 first response" in card["text"], card["text"]
    assert "Printer &lt;!channel&gt; on fire" in card["text"]
    assert named in _blocks(card) and "Printer &lt;!channel&gt; on fire" in _blocks(card)
    listed = desk.command("status all", AGENTS[0], SUPPORT)
    assert named in _blocks(listed) and "Printer &lt;!channel&gt; on fire" in _blocks(listed)
    detail = desk.command("status ZD-35436", AGENTS[0], SUPPORT)
    assert f"{ref} · ZD-35436 · Printer" in detail["blocks"][0]["text"]["text"]  # the header
    taken = desk.command("take ZD-35436", AGENTS[0], SUPPORT)  # App Home lists the agent's own tickets
    assert f"{ref} assigned to <@{AGENTS[0]}>" in taken["text"]
    desk.post(inbound.event_callback(inbound.app_home_opened_event(AGENTS[0]), inbound.DEFAULT_TEAM_ID))
    desk.wait_for(lambda: "ZD-35436" in json.dumps(desk.slack.home_view(AGENTS[0]) or {}), deliver=True)
    for shown_somewhere in (card, listed, detail, desk.slack.home_view(AGENTS[0])):
        assert_inert(shown_somewhere)
