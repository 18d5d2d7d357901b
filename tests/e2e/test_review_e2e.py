"""The SLA review end to end: a quarter of tickets in the database, `/sla review` through a signed
request, "Propose revision", refused and forged approvals, an admin's approval → a new contract
version with its audit row; Web API calls go to the emulator."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.clock import ManualClock
from bot.emulator import inbound
from handlers import commands
from handlers.ids import ActionId, ReviewAction, ReviewPropose
from sla.metrics import EventKind
from storage.models import Notification, ReviewDraft
from tests.e2e.slack_harness import SlackApp, running_app

SECRET = "e2e-review-secret"
AGENT, ADMIN, CLIENT = "U0AGENT001", "U0ADMIN001", "U0ACME0001"
SUPPORT, TEAM = "C0SUPPORT1", inbound.DEFAULT_TEAM_ID
BERLIN = ZoneInfo("Europe/Berlin")


@dataclass
class Harness(SlackApp):
    def command(self, text: str, user: str = AGENT, channel: str = SUPPORT) -> dict:
        return super().command(text, user, channel)

    def click(self, action: ActionId, value: str, user: str) -> dict:
        """Click a button and return the ephemeral answer the clicker got."""
        seen = len(self.slack.ephemerals(SUPPORT))
        status, text = self.post(
            inbound.block_actions(action.value, value, user, SUPPORT, "1790000000.000100")
        )
        assert status == 200, text
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            new = self.slack.ephemerals(SUPPORT)[seen:]
            if new:
                return new[0]
            time.sleep(0.02)
        raise AssertionError("no answer to the click")


@pytest.fixture
def harness(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Harness]:
    # a loaded test machine must not turn answers into placeholders sent to Slack's response_url
    monkeypatch.setattr(commands, "ACK_BUDGET_SECONDS", 30.0)
    clock = ManualClock(datetime(2026, 7, 1, tzinfo=UTC))
    with running_app(
        tmp_path,
        clock=clock,
        secret=SECRET,
        users=(AGENT, "U0AGENT002", ADMIN, CLIENT, "U0LEAD0001", "U0LEAD0002"),
        channels={SUPPORT: ("acme-support", [AGENT, ADMIN, CLIENT])},
        database="review.db",
        SLABOT_ADMINS=ADMIN,
    ) as (runtime, slack, url):
        yield Harness(runtime, slack, url, clock, SECRET)


def seed_quarter(h: Harness) -> None:
    """24 P2 tickets of Acme in 2026-Q3 (gold v2: first response 45m, Berlin office hours), opened on
    Tuesdays and Thursdays at 10:00 Berlin for 12 weeks and answered after 20, 30, 40, 60, 70 and 90
    minutes in turn: 12 met, 12 breached, in every other week — enough tickets and a trend."""
    tickets = h.runtime.services.tickets
    first = datetime(2026, 7, 7, 10, tzinfo=BERLIN)
    for n in range(24):
        minutes = (20, 30, 40, 60, 70, 90)[n % 6]
        opened = first + timedelta(weeks=n // 2, days=2 * (n % 2))
        h.clock.set(opened)
        ref = tickets.open(team_id=TEAM, client_key="acme", source="slash_command", priority="P2").ticket.ref
        h.clock.set(opened + timedelta(minutes=minutes))
        tickets.record(team_id=TEAM, ref=ref, kind=EventKind.AGENT_MESSAGE, actor=AGENT)
        h.clock.set(opened + timedelta(hours=3))
        tickets.record(team_id=TEAM, ref=ref, kind=EventKind.RESOLVED, actor=AGENT)
    h.clock.set(datetime(2026, 10, 5, 9, tzinfo=UTC))


def test_review_propose_and_approve_through_slack(harness: Harness) -> None:
    seed_quarter(harness)

    refused = harness.command("review acme 2026-Q3", user=CLIENT)
    assert "for the support team" in refused["text"]

    answer = harness.command("review acme 2026-Q3")
    blocks = json.dumps(answer["blocks"], ensure_ascii=False)
    assert answer["response_type"] == "ephemeral"
    assert answer["text"] == "SLA review — Acme Corp, 2026-Q3"
    assert "P2 first response* — target 45m · met 50 % (12/24) · median 50m" in blocks
    assert "loosen the target to 3h" in blocks
    assert "P2 first response: 45m → 3h (loosen) — on 24 tickets (24 timers: 12 met, 12 breached)" in blocks
    button = next(b for b in answer["blocks"] if b["type"] == "actions")["elements"][0]
    assert button["action_id"] == ActionId.REVIEW_PROPOSE
    assert ReviewPropose.decode(button["value"]) == ReviewPropose(client="acme", quarter="2026-Q3")

    draft_answer = harness.click(ActionId.REVIEW_PROPOSE, button["value"], AGENT)
    text = json.dumps(draft_answer["blocks"], ensure_ascii=False)
    assert "gold v2 → v3" in text and "+    first_response: 3h" in text
    assert "P2 first response: 50.0 % → 100.0 % (+50.0 pp), breaches 12 → 0" in text
    assert "review_approve" not in text  # the agent is not an admin: no Approve button for them
    with harness.runtime.services.uow.begin(read_only=True) as tx:
        draft = tx.session.scalars(select(ReviewDraft)).one()
        dm = tx.session.scalars(select(Notification).where(Notification.kind == "message")).one()
    assert (draft.state, draft.created_by, dm.channel_id) == ("draft", AGENT, ADMIN)
    assert "review_approve" in json.dumps(dm.payload["blocks"])  # the admin's copy can be approved

    value = ReviewAction(review_id=str(draft.id)).encode()
    not_admin = harness.click(ActionId.REVIEW_APPROVE, value, AGENT)
    assert "Only slabot admins can approve" in not_admin["text"]
    forged = harness.click(ActionId.REVIEW_APPROVE, ReviewAction(review_id=str(draft.id + 7)).encode(), ADMIN)
    assert "can't find that revision draft" in forged["text"]
    garbage = harness.click(ActionId.REVIEW_APPROVE, '{"r":"1; DROP TABLE"}', ADMIN)
    assert "not one of slabot's" in garbage["text"]

    approved = harness.click(ActionId.REVIEW_APPROVE, value, ADMIN)
    assert "Approved: gold v3 (from 2027-01-01)" in approved["text"]
    assert "contract file stays the source of truth" in approved["text"]
    assert "first_response: 3h" in json.dumps(approved["blocks"])
    with harness.runtime.services.uow.begin(read_only=True) as tx:
        versions = {v.number: v for v in tx.contracts.list_versions(team_id=TEAM, contract_key="gold")}
        assert versions[3].effective.isoformat() == "2027-01-01"
        assert [a.action for a in tx.audit.list(team_id=TEAM, target="gold v3")] == ["contract.revise"]
        assert tx.reviews.get_draft(team_id=TEAM, draft_id=draft.id).state == "approved"

    again = harness.click(ActionId.REVIEW_REJECT, value, AGENT)
    assert "already approved" in again["text"]


def test_review_reminder_reaches_the_leads_once(harness: Harness) -> None:
    from bot.cli import _alert_workers
    from bot.features.reviews import REMINDER_JOB_ID, jobs, remind_leads

    seed_quarter(harness)  # 5 October 2026: the Q3 reviews are due
    assert [job.id for job in jobs(harness.runtime)] == [REMINDER_JOB_ID]
    # acme (review.lead) and globex (the client's lead); initech has no lead
    assert remind_leads(harness.runtime) == 2
    harness.clock.advance(timedelta(hours=1))
    assert remind_leads(harness.runtime) == 0
    _sweeper, notifier = _alert_workers(harness.runtime)
    notifier.run_once()
    opened = {
        c.args["users"]: c.response["channel"]["id"] for c in harness.slack.calls_to("conversations.open")
    }
    acme = [m["text"] for m in harness.slack.messages(opened["U0LEAD0001"])]
    assert acme == [
        "Time for the quarterly SLA review of Acme Corp (2026-Q3): run `/sla review acme 2026-Q3` to see "
        "targets against actuals and recommendations, and propose a revised contract if needed."
    ]
    assert len(harness.slack.messages(opened["U0LEAD0002"])) == 1
