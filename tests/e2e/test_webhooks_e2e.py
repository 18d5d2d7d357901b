"""Ticket webhooks end to end: signed HTTP requests into the real web app (slabot JSON, Zendesk,
Jira), the tickets they open visible to ``/sla status`` in Slack, and every refusal."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.app import Runtime, bootstrap
from bot.clock import ManualClock
from bot.emulator import inbound
from bot.emulator.server import SlackEmulator
from bot.server import BackgroundServer
from bot.settings import Settings
from bot.sources.signing import sign_jira, sign_slabot, sign_zendesk
from storage.models import Ticket, TicketEventRow
from tests.support.http import json_call

ROOT = Path(__file__).resolve().parents[2]
SLACK_SECRET = "e2e-signing-secret"
CRM, ZENDESK, JIRA = "crm-s3cret", "zendesk-s3cret", "jira-s3cret"
AGENT, SUPPORT, TEAM = "U0AGENT001", "C0SUPPORT1", inbound.DEFAULT_TEAM_ID
START = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # a Tuesday, 10:00 in Berlin


@dataclass
class Web:
    runtime: Runtime
    url: str
    clock: ManualClock

    def post(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict]:
        return json_call(self.url + path, data=body, headers={"Content-Type": "application/json", **headers})

    def tickets(self, payload: object, *, secret: str = CRM, at: datetime | None = None) -> tuple[int, dict]:
        body = json.dumps(payload).encode()
        stamp = int((at or self.clock.now()).timestamp())
        return self.post("/webhooks/tickets", body, sign_slabot(secret, body, stamp))

    def zendesk(self, payload: dict, *, query: str = "") -> tuple[int, dict]:
        body = json.dumps(payload).encode()
        stamp = self.clock.now().strftime("%Y-%m-%dT%H:%M:%SZ")
        return self.post("/webhooks/zendesk" + query, body, sign_zendesk(ZENDESK, body, stamp))

    def jira(self, payload: dict, *, query: str = "") -> tuple[int, dict]:
        body = json.dumps(payload).encode()
        return self.post("/webhooks/jira" + query, body, sign_jira(JIRA, body))

    def status(self, text: str = "status") -> str:
        status, _h, body = inbound.post_to_app(
            self.url, *inbound.slash_command(text, AGENT, SUPPORT), SLACK_SECRET
        )
        assert status == 200, body
        answer = json.loads(body)
        return answer["text"] + json.dumps(answer.get("blocks", []))

    def counts(self) -> tuple[int, int]:
        with self.runtime.services.uow.begin(read_only=True) as tx:
            return (
                int(tx.session.scalar(select(func.count()).select_from(Ticket)) or 0),
                int(tx.session.scalar(select(func.count()).select_from(TicketEventRow)) or 0),
            )


@pytest.fixture
def web(tmp_path: Path) -> Iterator[Web]:
    clock = ManualClock(START)
    with SlackEmulator(clock=clock, auto_create_channels=True) as slack:
        slack.add_user(AGENT, "agent")
        slack.add_channel(SUPPORT, "acme-support", members=[AGENT])
        settings = Settings(
            SLACK_BOT_TOKEN="xoxb-e2e",
            SLACK_SIGNING_SECRET=SLACK_SECRET,
            SLACK_API_URL=slack.url,
            DATABASE_URL=f"sqlite:///{tmp_path / 'hooks.db'}",
            SLABOT_CONTRACTS=str(ROOT / "examples" / "contracts.yaml"),
            SLABOT_SCHEDULER=False,
            SLABOT_WEBHOOK_SECRETS=f"crm={CRM},zendesk={ZENDESK},jira={JIRA}",
            SLABOT_TEAM_ID=TEAM,
        )
        runtime = bootstrap(settings, clock=clock)
        with BackgroundServer(runtime.web) as server:
            yield Web(runtime, server.url, clock)


def _ms(at: datetime) -> int:
    return int(at.timestamp() * 1000)


def event(i: str, minutes: int, kind: str, ticket: str = "HD-1", **fields: str) -> dict:
    at = START + timedelta(minutes=minutes)
    return {"id": i, "ticket_id": ticket, "timestamp": at.isoformat(), "event": kind, **fields}


def test_slabot_json_events_open_a_ticket_slack_can_see(web: Web) -> None:
    opened = event("e1", 0, "opened", client="acme", priority="P2", title="Exports fail since 9:00")
    status, answer = web.tickets(opened)
    assert status == 200 and answer["status"] == "created", answer
    ref = answer["results"][0]["ref"]
    assert ref == "T-1"
    shown = web.status()
    assert ref in shown and "Exports fail" in shown  # linked to acme's channel: listed there

    web.clock.advance(timedelta(minutes=20))
    batch = {
        "events": [
            event("e2", 15, "agent_message", actor="alex"),
            event("e3", 18, "status", status="waiting_on_client"),
        ]
    }
    status, answer = web.tickets(batch)
    assert status == 200 and [r["status"] for r in answer["results"]] == ["created", "created"]
    state = web.runtime.services.tickets.state(team_id=TEAM, ref=ref)
    assert state.ticket.status == "waiting_on_client"
    assert {str(t.metric): str(t.state) for t in state.timers if t.cycle == 1}["first_response"] == "met"

    # a retry of the same delivery: 200, "duplicate", nothing new
    before = web.counts()
    status, answer = web.tickets(opened)
    assert (status, answer["status"], answer["duplicate"]) == (200, "duplicate", 1)
    assert web.counts() == before


def test_unsigned_forged_or_stale_requests_get_401_and_store_nothing(web: Web) -> None:
    opened = event("e1", 0, "opened", client="acme")
    assert web.tickets(opened, secret="guess")[0] == 401
    assert web.tickets(opened, at=START - timedelta(minutes=6))[0] == 401
    body = json.dumps(opened).encode()
    status, answer = web.post("/webhooks/tickets", body, {})
    assert status == 401 and "X-Slabot-Signature" in answer["error"]
    assert web.post("/webhooks/zendesk", body, sign_zendesk("wrong", body, "2026-11-24T09:00:00Z"))[0] == 401
    assert web.post("/webhooks/jira", body, sign_jira(ZENDESK, body))[0] == 401  # another source's secret
    assert web.counts() == (0, 0)


def test_a_bad_batch_is_refused_whole_with_the_reason(web: Web) -> None:
    batch = {
        "events": [
            event("e1", 0, "opened", client="acme", priority="P2"),
            event("e2", 5, "status"),  # no status
        ]
    }
    status, answer = web.tickets(batch)
    assert status == 400 and answer["stored"] == 0
    assert answer["problems"] == ["events[1](id=e2): a 'status' event needs 'status'"]
    batch = {
        "events": [
            event("e1", 0, "opened", client="acme", priority="P2"),
            event("e2", 5, "priority", priority="P7"),
        ]
    }
    status, answer = web.tickets(batch)
    assert (
        status == 400
        and "event 1 (id=e2, ticket HD-1)" in answer["problems"][0]
        and "P7" in answer["problems"][0]
    )
    status, answer = web.post(
        "/webhooks/tickets", b"{oops", sign_slabot(CRM, b"{oops", int(START.timestamp()))
    )
    assert status == 400 and answer["problems"][0].startswith("body: not JSON")
    assert web.counts() == (0, 0)


def zendesk_body(status: str, updated: str, **extra: object) -> dict:
    return {
        "ticket_id": "35436",
        "title": "Printer on fire",
        "status": status,
        "priority": "Urgent",
        "created_at": "2026-11-24T09:00Z",
        "updated_at": updated,
        "client": "acme",
        "actor": "carla@acme.example",
        "actor_role": "end-user",
        "comment": False,
        **extra,
    }


def test_zendesk_trigger_bodies_drive_a_ticket(web: Web) -> None:
    status, answer = web.zendesk(zendesk_body("New", "2026-11-24T09:00Z"))
    assert status == 200 and [r["status"] for r in answer["results"]] == ["created"], answer
    ref = answer["results"][0]["ref"]
    assert web.runtime.services.tickets.state(team_id=TEAM, ref=ref).ticket.priority == "P1"
    # the agent replies publicly and sets the ticket to pending: two triggers fire for one update
    update = zendesk_body("Pending", "2026-11-24T09:10:00Z", actor="alex@us.example", actor_role="agent")
    assert web.zendesk(update)[0] == 200
    status, answer = web.zendesk({**update, "comment": True})
    assert status == 200 and [r["status"] for r in answer["results"]] == ["unchanged", "created"]
    ticket = web.runtime.services.tickets.state(team_id=TEAM, ref=ref).ticket
    assert ticket.status == "waiting_on_client"
    assert web.zendesk(zendesk_body("Solved", "2026-11-24T09:30:00Z", actor_role="agent"))[0] == 200
    state = web.runtime.services.tickets.state(team_id=TEAM, ref=ref)
    assert state.ticket.resolved_at is not None
    with web.runtime.services.uow.begin(read_only=True) as tx:
        kinds = [r.kind for r in tx.events.list_for_ticket(team_id=TEAM, ticket_id=state.ticket.id)]
    assert kinds == ["opened", "status", "agent_message", "resolved"]


def test_jira_service_management_webhooks(web: Web) -> None:
    issue = {
        "id": "10002",
        "key": "ACME-12",
        "fields": {
            "summary": "Export fails",
            "created": "2026-11-24T10:00:00.000+0100",
            "status": {"name": "Waiting for support"},
            "priority": {"name": "High"},
            "project": {"key": "ACME"},
            "reporter": {"accountId": "cust-1", "accountType": "customer"},
        },
    }
    created = {"timestamp": _ms(START), "webhookEvent": "jira:issue_created", "issue": issue}
    status, answer = web.jira(created)  # the project key ACME names the client acme
    assert status == 200 and answer["status"] == "created", answer
    ref = answer["results"][0]["ref"]
    comment = {
        "timestamp": _ms(START + timedelta(minutes=10)),
        "webhookEvent": "comment_created",
        "comment": {
            "id": "10100",
            "author": {"accountId": "agent-1", "accountType": "atlassian"},
            "created": "2026-11-24T10:10:00.000+0100",
            "jsdPublic": True,
        },
        "issue": issue,
    }
    assert web.jira(comment)[1]["status"] == "created"
    resolved = {
        "timestamp": _ms(START + timedelta(hours=1)),
        "webhookEvent": "jira:issue_updated",
        "issue": issue,
        "changelog": {
            "id": "10090",
            "items": [{"field": "status", "fromString": "In Progress", "toString": "Resolved"}],
        },
    }
    assert web.jira(resolved)[1]["status"] == "created"
    assert web.jira(resolved)[1]["status"] == "duplicate"  # Jira retries a delivery
    state = web.runtime.services.tickets.state(team_id=TEAM, ref=ref)
    assert state.ticket.resolved_at is not None and state.ticket.external_ref == "jira:ACME-12"
    first = next(t for t in state.timers if str(t.metric) == "first_response")
    assert str(first.state) == "met"
    unknown = {
        **created,
        "issue": {
            **issue,
            "id": "7",
            "key": "ZZZ-1",
            "fields": {**issue["fields"], "project": {"key": "ZZZ"}},
        },
    }
    status, answer = web.jira(unknown)
    assert status == 400 and "?client=" in answer["problems"][0]
    assert web.jira(unknown, query="?client=globex")[0] == 200


def test_a_bad_secrets_setting_stops_slabot_before_it_starts() -> None:
    # a typo in SLABOT_WEBHOOK_SECRETS used to leave every webhook answering 503 behind a healthy app
    from bot.settings import SettingsError

    with pytest.raises(SettingsError) as info:
        Settings(SLABOT_WEBHOOK_SECRETS="zendesk")  # no "=secret"
    assert info.value.problems == [
        "SLABOT_WEBHOOK_SECRETS: item 1 is not name=secret (write e.g. zendesk=s3cret,jira=0ther)"
    ]
