"""Feedback surveys end to end: signed Slack requests into the app, Web API calls into the emulator,
the outbox delivered by the real notifier."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.clock import ManualClock
from bot.emulator import inbound
from bot.features.feedback import run_survey_jobs, service_of
from bot.services.surveys import nps_key, nps_period
from handlers.notifier import Notifier, notifier_web_client
from storage.models import Survey
from tests.e2e.slack_harness import SlackApp, running_app
from tests.support.threads import open_from_thread

SECRET = "feedback-signing-secret"
AGENT, CLIENT, COLLEAGUE, OUTSIDER, LEAD = (
    "U0AGENT001",
    "U0ACME0001",
    "U0ACME0002",
    "U0STRANGER",
    "U0LEAD0001",
)
SUPPORT, ALERTS, TEAM = "C0SUPPORT1", "C0ALERTS01", inbound.DEFAULT_TEAM_ID


@dataclass
class Harness(SlackApp):
    notifier: Notifier

    WAIT_SECONDS = 30.0

    def command(self, text: str, user: str = AGENT, channel: str = SUPPORT) -> dict[str, Any]:
        return super().command(text, user, channel)

    def deliver(self) -> None:
        for _ in range(5):
            self.notifier.run_once()
            self.clock.advance(timedelta(seconds=2))

    def open_ticket(
        self, requester: str = CLIENT, text: str = "Exports are failing since this morning"
    ) -> tuple[str, str]:
        ts = self.slack.post_user_message(SUPPORT, requester, text)["ts"]
        tickets = self.runtime.services.tickets
        state = open_from_thread(tickets, TEAM, SUPPORT, ts, title=text, requester=requester, actor=requester)
        return state.ticket.ref, ts

    def survey(self, ref: str) -> Survey:
        with self.runtime.services.uow.begin(read_only=True) as tx:
            ticket = tx.tickets.get_by_ref(team_id=TEAM, ref=ref)
            assert ticket is not None
            survey = tx.surveys.get_for_ticket(team_id=TEAM, ticket_id=ticket.id)
            assert survey is not None
            tx.session.expunge(survey)
            return survey

    def survey_message(self, thread_ts: str) -> dict[str, Any]:
        found = [
            m
            for m in self.slack.thread(SUPPORT, thread_ts)
            if "survey_rate_" in json.dumps(m.get("blocks", []))
        ]
        assert len(found) == 1, found
        return found[0]

    def click(
        self,
        message: dict[str, Any],
        action_id: str,
        user: str,
        value: str | None = None,
        channel: str = SUPPORT,
    ) -> int:
        if value is None:
            value = _button(message, action_id)["value"]
        body = inbound.block_actions(
            action_id, value, user, channel, message["ts"], thread_ts=message.get("thread_ts")
        )
        status, _ = self.post(body)
        return status

    def ephemerals_for(self, user: str) -> list[str]:
        return [e.get("text", "") for e in self.slack.ephemerals() if e.get("recipient") == user]


def _button(message: dict[str, Any], action_id: str) -> dict[str, Any]:
    for block in message.get("blocks", []):
        for element in block.get("elements", []):
            if element.get("action_id") == action_id:
                return element
    raise AssertionError(f"no {action_id} button in {message.get('text')!r}")


@pytest.fixture
def harness(tmp_path: Path) -> Iterator[Harness]:
    clock = ManualClock(datetime(2026, 11, 24, 9, 0, tzinfo=UTC))
    with running_app(
        tmp_path,
        clock=clock,
        secret=SECRET,
        users=(AGENT, "U0AGENT002", CLIENT, COLLEAGUE, OUTSIDER, LEAD),
        channels={
            SUPPORT: ("acme-support", [AGENT, CLIENT, COLLEAGUE, OUTSIDER]),
            ALERTS: ("acme-alerts", [AGENT, LEAD]),
        },
        database="feedback.db",
    ) as (runtime, slack, url):
        client = notifier_web_client("xoxb-e2e", base_url=slack.url)
        services = runtime.services
        notifier = Notifier(
            uow=services.uow,
            book=services.book,
            tickets=services.tickets,
            clients=lambda _team: client,
            clock=clock,
            worker_id="feedback-e2e",
        )
        yield Harness(runtime, slack, url, clock, SECRET, notifier)


def test_resolve_survey_rate_comment_alert_and_a_late_click(harness: Harness) -> None:
    ref, thread = harness.open_ticket()
    harness.clock.advance(timedelta(minutes=20))
    assert "resolved" in harness.command(f"resolve {ref}")["text"].lower()
    harness.deliver()
    survey_msg = harness.survey_message(thread)
    assert f"<@{CLIENT}>" in json.dumps(survey_msg["blocks"])
    assert harness.survey(ref).message_ts is None  # read back from the outbox on the first click

    # someone else, and an agent, are refused; nothing changes
    assert harness.click(survey_msg, "survey_rate_1", OUTSIDER) == 200
    harness.wait_for(lambda: any("only they can answer" in t for t in harness.ephemerals_for(OUTSIDER)))
    assert harness.click(survey_msg, "survey_rate_1", AGENT) == 200
    harness.wait_for(lambda: any("agents can't answer" in t for t in harness.ephemerals_for(AGENT)))
    assert harness.survey(ref).rating is None

    # forged values: another survey id, an unknown key, a rating the scale does not have
    for forged in ('{"s":"999","r":"1"}', '{"s":"1","r":"1","x":"DROP TABLE"}', '{"s":"1","r":"good"}'):
        assert harness.click(survey_msg, "survey_rate_1", CLIENT, value=forged) == 200
    harness.wait_for(lambda: sum("not one of slabot's" in t for t in harness.ephemerals_for(CLIENT)) == 3)
    # a genuine value replayed on a different message
    genuine = _button(survey_msg, "survey_rate_1")["value"]
    other = harness.slack.post_user_message(SUPPORT, CLIENT, "unrelated")
    assert harness.click(other, "survey_rate_1", CLIENT, value=genuine) == 200
    harness.wait_for(lambda: sum("not one of slabot's" in t for t in harness.ephemerals_for(CLIENT)) == 4)
    assert harness.survey(ref).rating is None

    # the requester clicks 2: stored, and the message thanks them
    assert harness.click(survey_msg, "survey_rate_2", CLIENT) == 200
    harness.wait_for(lambda: harness.survey(ref).rating == 2)
    harness.wait_for(lambda: "Thank you" in harness.survey_message(thread)["text"])
    updated = harness.survey_message(thread)
    assert "2/5" in json.dumps(updated["blocks"])
    assert harness.survey(ref).message_ts == survey_msg["ts"]

    # the lead is alerted in the alert channel, with the ticket link and how the SLA went
    harness.deliver()
    alerts = [m for m in harness.slack.messages(ALERTS) if "Negative feedback" in m.get("text", "")]
    assert len(alerts) == 1
    alert = json.dumps(alerts[0]["blocks"])
    assert ref in alert and f"<@{LEAD}>" in alert and "2/5" in alert
    assert "SLA: met" in alert or "SLA: breached" in alert
    assert f"/archives/{SUPPORT}/p{thread.replace('.', '')}" in alert

    # "Add a comment" opens the modal; the submission is stored and scored
    views_before = len(harness.slack.calls_to("views.open"))
    assert harness.click(updated, "survey_comment", CLIENT) == 200
    harness.wait_for(lambda: len(harness.slack.calls_to("views.open")) == views_before + 1)
    view = next(v for v in harness.slack.views.values() if v.get("callback_id") == "survey_comment_modal")
    comment = "Nobody told us what was going on and the fix took far too long. Very frustrating."
    submission = inbound.view_submission(
        "survey_comment_modal",
        {"comment": {"comment_text": {"type": "plain_text_input", "value": comment}}},
        private_metadata=view["private_metadata"],
        user_id=CLIENT,
    )
    assert harness.post(submission)[0] == 200
    harness.wait_for(lambda: harness.survey(ref).comment == comment)
    stored = harness.survey(ref)
    assert stored.sentiment_label == "negative" and stored.sentiment_polarity is not None
    assert stored.sentiment_polarity < 0
    assert stored.sentiment_scorer and stored.sentiment_version
    harness.wait_for(lambda: "Your comment" in json.dumps(harness.survey_message(thread)["blocks"]))
    harness.deliver()  # one alert per survey, even though the comment is negative too
    assert len([m for m in harness.slack.messages(ALERTS) if "Negative feedback" in m.get("text", "")]) == 1

    # the same modal submitted by someone else (forged private_metadata or not) changes nothing
    forged = inbound.view_submission(
        "survey_comment_modal",
        {"comment": {"comment_text": {"type": "plain_text_input", "value": "all great!"}}},
        private_metadata=view["private_metadata"],
        user_id=OUTSIDER,
    )
    status, body = harness.post(forged)
    assert status == 200 and "only they can answer" in body
    assert harness.survey(ref).comment == comment

    # the answer can change while the survey is open
    assert harness.click(updated, "survey_rate_3", CLIENT) == 200
    harness.wait_for(lambda: harness.survey(ref).rating == 3)

    # /sla feedback shows the figures
    answer = harness.command("feedback acme")
    text = answer["text"]
    assert "CSAT 0 %" in text and "average rating 3.0/5" in text
    assert "Response rate 100 %" in text and "1 negative" in text
    assert ref in text  # among the most negative comments
    refused = harness.command("feedback acme", user=CLIENT)
    assert "Only support agents" in refused["text"]

    # after the window (7 days) a click is refused politely and nothing changes
    harness.clock.advance(timedelta(days=8))
    assert harness.click(updated, "survey_rate_5", CLIENT) == 200
    harness.wait_for(lambda: any("closed" in t and "Thank you" in t for t in harness.ephemerals_for(CLIENT)))
    assert harness.survey(ref).rating == 3
    run_survey_jobs(service_of(harness.runtime))


def test_one_reminder_after_a_day_and_fatigue(harness: Harness) -> None:
    service = service_of(harness.runtime)
    ref, thread = harness.open_ticket()
    harness.command(f"resolve {ref}")
    harness.deliver()
    assert run_survey_jobs(service)["reminded"] == 0  # not yet: 24 h
    harness.clock.advance(timedelta(hours=25))
    assert run_survey_jobs(service)["reminded"] == 1
    assert run_survey_jobs(service)["reminded"] == 0  # idempotent
    harness.deliver()
    reminders = [m for m in harness.slack.thread(SUPPORT, thread) if "reminder" in m.get("text", "").lower()]
    assert len(reminders) == 1

    # same requester, another ticket within min_interval (14d): no second survey
    ref2, thread2 = harness.open_ticket(text="Second problem")
    harness.command(f"resolve {ref2}")
    harness.deliver()
    assert not [
        m for m in harness.slack.thread(SUPPORT, thread2) if "survey_rate_" in json.dumps(m.get("blocks", []))
    ]
    # a colleague is not fatigued
    ref3, thread3 = harness.open_ticket(requester=COLLEAGUE, text="Third problem")
    harness.command(f"resolve {ref3}")
    harness.deliver()
    harness.survey_message(thread3)
    harness.clock.advance(timedelta(hours=25))
    assert run_survey_jobs(service)["reminded"] == 1  # the colleague's; the first one had its reminder
    # after 14 days the first requester is asked again
    harness.clock.advance(timedelta(days=14))
    ref4, thread4 = harness.open_ticket(text="Fourth problem")
    harness.command(f"resolve {ref4}")
    harness.deliver()
    harness.survey_message(thread4)
    # an answered survey gets no reminder
    harness.click(harness.survey_message(thread4), "survey_rate_5", CLIENT)
    harness.wait_for(lambda: harness.survey(ref4).rating == 5)
    harness.clock.advance(timedelta(hours=25))
    assert run_survey_jobs(service) == {"reminded": 0, "closed": 2}  # thread3 and thread's expired
    harness.deliver()
    assert not [m for m in harness.slack.thread(SUPPORT, thread4) if "reminder" in m.get("text", "").lower()]


def test_nps_once_per_period_to_contacts_by_dm(harness: Harness) -> None:
    service = service_of(harness.runtime)
    harness.open_ticket()  # the workspace exists once something happened in it
    assert service.send_nps() >= 2  # acme's two contacts (quarterly)
    assert service.send_nps() == 0  # once per client and period
    harness.deliver()
    label = nps_period("quarterly", harness.clock.now(), ZoneInfo("Europe/Berlin")).label
    with harness.runtime.services.uow.begin(read_only=True) as tx:
        rows = {
            u: tx.outbox.get_by_key(team_id=TEAM, idempotency_key=nps_key("acme", label, u))
            for u in (CLIENT, COLLEAGUE)
        }
    assert all(r is not None and r.slack_ts for r in rows.values())
    call = next(
        c for c in harness.slack.calls_to("chat.postMessage") if c.response.get("ts") == rows[CLIENT].slack_ts
    )
    assert "recommend" in call.args["text"]
    dm_channel = call.response["channel"]
    assert dm_channel.startswith("D")
    message = harness.slack.messages(dm_channel)[-1]
    assert harness.click(message, "nps_rate_9", CLIENT, channel=dm_channel) == 200
    harness.wait_for(lambda: _nps_scores(harness) == [9])
    assert harness.click(message, "nps_rate_6", CLIENT, channel=dm_channel) == 200  # changed, not added
    harness.wait_for(lambda: _nps_scores(harness) == [6])
    # the colleague cannot answer on the client's behalf with the client's message
    assert harness.click(message, "nps_rate_10", COLLEAGUE, channel=dm_channel) == 200
    harness.wait_for(
        lambda: any(
            "not one of slabot's" in t or "someone else" in t for t in harness.ephemerals_for(COLLEAGUE)
        )
    )
    assert _nps_scores(harness) == [6]

    # a comment through the modal, scored for sentiment
    message = harness.slack.messages(dm_channel)[-1]
    assert harness.click(message, "nps_comment", CLIENT, channel=dm_channel) == 200
    harness.wait_for(
        lambda: any(v.get("callback_id") == "nps_comment_modal" for v in harness.slack.views.values())
    )
    view = next(v for v in harness.slack.views.values() if v.get("callback_id") == "nps_comment_modal")
    submission = inbound.view_submission(
        "nps_comment_modal",
        {"comment": {"comment_text": {"type": "plain_text_input", "value": "Great team, thank you!"}}},
        private_metadata=view["private_metadata"],
        user_id=CLIENT,
    )
    assert harness.post(submission)[0] == 200

    def nps_answer() -> tuple[str | None, str | None, str | None]:
        with harness.runtime.services.uow.begin(read_only=True) as tx:
            a = tx.surveys.nps_of(team_id=TEAM, user_id=CLIENT, client_key="acme", period_key=label)
            return (a.comment, a.sentiment_label, a.sentiment_scorer) if a else (None, None, None)

    harness.wait_for(lambda: nps_answer()[0] == "Great team, thank you!")
    assert nps_answer()[1] == "positive" and nps_answer()[2]


def _nps_scores(harness: Harness) -> list[int]:
    start = harness.clock.now() - timedelta(days=1)
    with harness.runtime.services.uow.begin(read_only=True) as tx:
        return [
            r.score
            for r in tx.surveys.nps_between(
                team_id=TEAM, start=start, end=harness.clock.now() + timedelta(days=1)
            )
        ]
