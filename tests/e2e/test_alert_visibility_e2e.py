"""Who sees which alert, end to end (issue 13, item 3): a client opens a ticket with a message in its
own channel (a signed Slack event), time passes through the warnings, the breach and the first
escalation (the real sweeper and notifier against the emulator). Every post and update slabot made in
the client's channel and thread is client-safe — the ticket's own status card at most — and every
staff alert is in the internal alert channel."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.clock import ManualClock
from bot.emulator import inbound
from sla.contracts import load_contracts
from tests.e2e.slack_harness import AGENTS, ROOT, SlackApp, emulator_workers, running_app

SECRET = "visibility-signing-secret"
TEAM = inbound.DEFAULT_TEAM_ID
CLIENT = "U0ACME0001"
ACME, ALERTS, ESCALATE = "C0SUPPORT1", "C0ALERTS01", "C0ESCALATE"
# Tuesday 2026-03-03 02:50 UTC: Berlin is asleep, but P1 runs on the 24x7 "always" calendar
START = datetime(2026, 3, 3, 2, 50, tzinfo=UTC)

#: what only staff may read: assignment prompts, alerts, mentions of leads/managers/groups, the alert
#: channels, escalations, other clients, credit terms
STAFF_ONLY = (
    "take it",
    "ticket_take",
    "unassigned",
    "sla warning",
    "sla breached",
    "sla escalation",
    "escalation",
    "u0lead0001",
    "s0leads001",
    "u0manager1",
    "c0alerts01",
    "c0escalate",
    "globex",
    "initech",
    "per_breach",
    "monthly_fee",
)


class Visibility(SlackApp):
    def open_by_client(self, text: str) -> dict[str, Any]:
        ts = self.slack.post_user_message(ACME, CLIENT, text)["ts"]
        status, body = self.post(
            inbound.event_callback(inbound.message_event(ACME, CLIENT, text, ts), TEAM, event_id="EvVis1")
        )
        assert status == 200, body
        tickets = self.runtime.services.tickets
        self.wait_for(lambda: tickets.state_by_thread(team_id=TEAM, channel_id=ACME, thread_ts=ts))
        return tickets.state_by_thread(team_id=TEAM, channel_id=ACME, thread_ts=ts)

    def run_until(self, end: datetime, step: timedelta = timedelta(seconds=30)) -> None:
        sweeper, notifier = emulator_workers(self.runtime, self.slack.url, worker_id="visibility")
        while self.clock.now() < end:
            self.clock.advance(step)
            sweeper.run_once()
            notifier.run_once()

    def writes_to(self, channel: str) -> list[str]:
        """Every chat.postMessage / chat.update slabot made in ``channel`` (its threads included), as text."""
        calls = [
            c
            for c in self.slack.calls
            if c.method in ("chat.postMessage", "chat.update") and c.args.get("channel") == channel
        ]
        return [json.dumps(c.args, ensure_ascii=False) for c in calls]


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Visibility]:
    clock = ManualClock(START)
    people = (CLIENT, *AGENTS, "U0LEAD0001", "U0MANAGER1")
    with running_app(
        tmp_path,
        clock=clock,
        secret=SECRET,
        users=people,
        channels={
            ACME: ("acme-support", [CLIENT, *AGENTS]),
            ALERTS: ("sla-alerts", list(AGENTS)),
            ESCALATE: ("sla-escalations", ["U0MANAGER1"]),
        },
    ) as (runtime, slack, url):
        yield Visibility(runtime, slack, url, clock, SECRET)


def test_a_clients_thread_gets_only_the_client_safe_card_and_staff_get_every_alert(app: Visibility) -> None:
    book = load_contracts(ROOT / "examples" / "contracts.yaml")
    routing = book.version_for("acme", START).alerts
    assert routing.thread is True and routing.client_thread == "status"  # the example's defaults
    state = app.open_by_client("The dashboard is down for all our users")
    ticket = state.ticket
    assert ticket.priority == "P1"
    app.run_until(START + timedelta(minutes=50))  # 4 warnings, the breach at 15m, escalation 1 at 45m

    client_side = app.writes_to(ACME)
    assert client_side, "the client's thread shows the ticket's status card"
    for written in client_side:
        found = [word for word in STAFF_ONLY if word in written.lower()]
        assert found == [], f"staff-only content in the client's channel: {found} in {written[:400]}"
        key = (json.loads(written).get("metadata") or {}).get("event_payload", {}).get("key", "")
        assert not key or key.endswith(":status") or ":note:" in key or key.startswith("notes")
    # what the client does see: its own ticket's status, countdown included, in its own thread
    cards = [m for m in app.slack.thread(ACME, ticket.thread_ts) if ":status" in str(m.get("metadata"))]
    assert len(cards) == 1 and "breached" in cards[0]["text"] and "T-1" in cards[0]["text"]
    assert all(m.get("thread_ts") == ticket.thread_ts for m in app.slack.messages(ACME) if m.get("bot_id"))

    staff = [
        m for m in app.slack.messages(ALERTS) if (m.get("metadata") or {}).get("event_type") == "slabot_alert"
    ]
    # everything staff were told, as posted and updated in the alert channel
    told = "\n".join(app.writes_to(ALERTS))
    assert "SLA warning" in told and "unassigned — take it?" in told
    assert "SLA breached" in told and "<!subteam^S0LEADS001>" in told and "<@U0LEAD0001>" in told
    assert "SLA escalation" in told and "<@U0MANAGER1>" in told
    top_level = [m for m in staff if not m["metadata"]["event_payload"]["key"].endswith("#page")]
    assert all(m.get("thread_ts") in (None, m["ts"]) for m in top_level), "alerts are top-level there"

    # one message for the timer (issue 19): posted at the first warning, then updated to the breach
    timer = f":{ticket.ref}:first_response:1:"
    posts = [
        c
        for c in app.slack.calls_to("chat.postMessage")
        if c.ok and c.args.get("channel") == ALERTS and timer in json.dumps(c.args.get("metadata"))
    ]
    top = [c for c in posts if not c.args.get("thread_ts")]
    assert len(top) == 2, [c.args["text"] for c in top]  # the timer's message and the escalation
    ts = top[0].response["ts"]
    assert ":escalation-1" in json.dumps(top[1].args["metadata"])  # other people: a post of its own
    updates = [c for c in app.slack.calls_to("chat.update") if c.ok and c.args["ts"] == ts]
    shown = [c.args["metadata"]["event_payload"]["key"].split(":")[-1] for c in updates]
    assert shown == ["50%", "75%", "90%", "breach"]  # the 10m-before warning was the post
    (message,) = [m for m in staff if m["ts"] == ts]
    assert "SLA breached" in message["text"] and "SLA warning" not in message["text"]  # the latest state
    assert [c.args["thread_ts"] for c in posts if c.args.get("thread_ts")] == [ts]  # the breach's page


def test_client_thread_none_posts_nothing_in_the_clients_thread_but_its_notes(
    app: Visibility, tmp_path: Path
) -> None:
    text = (ROOT / "examples" / "contracts.yaml").read_text()
    text = text.replace("client_thread: status", "client_thread: none", 1)
    path = tmp_path / "contracts.yaml"
    path.write_text(text)
    book = load_contracts(path)
    assert book.version_for("acme", START).alerts.client_thread == "none"
    services = app.runtime.services
    services.book = services.tickets.book = book
    state = app.open_by_client("The dashboard is down for all our users")
    app.run_until(START + timedelta(minutes=20))
    ticket = services.tickets.state(team_id=TEAM, ref=state.ticket.ref).ticket
    assert ticket.status_message_ts is None  # no card in the client's thread
    for written in app.writes_to(ACME):
        assert ":first_response:" not in written and "ticket_actions" not in written
    assert any("SLA breached" in m.get("text", "") for m in app.slack.messages(ALERTS))
