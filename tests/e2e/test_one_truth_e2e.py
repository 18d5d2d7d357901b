"""Issue 12's scenarios through the real app: signed Slack requests (messages, slash commands, button
clicks) against the running app, its Web API calls into the emulator, the sweep and the notifier on a
manual clock, and the answers read where people read them — the card in the thread, the notice in the
alert channel, the report posted by ``/sla report``, ``/sla incident credits``, ``/sla feedback``."""

from __future__ import annotations

import csv
import io
import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.clock import ManualClock
from bot.emulator import inbound
from bot.services.alerts import Sweeper
from bot.services.notifier import Notifier
from tests.e2e.slack_harness import SlackApp, emulator_workers, running_app

SECRET = "one-truth-signing-secret"
AGENT, CLIENT, GLOBEX_CLIENT = "U0AGENT001", "U0ACME0001", "U0GLOBEX01"
ACME, GLOBEX, ALERTS, MANAGERS = "C0SUPPORT1", "C0GLOBEX01", "C0ALERTS01", "C0MANAGERS"
TEAM = inbound.DEFAULT_TEAM_ID
_EVENTS = itertools.count(1)


@dataclass
class Harness(SlackApp):
    sweeper: Sweeper
    notifier: Notifier

    WAIT_SECONDS = 30.0

    def say(self, channel: str, user: str, text: str, thread_ts: str | None = None) -> str:
        """A person's message, posted in Slack and delivered to the app as Slack does; returns its ts."""
        before = self._seq(channel, thread_ts) if thread_ts else None
        posted = self.slack.post_user_message(channel, user, text, thread_ts=thread_ts)
        event = inbound.message_event(channel, user, text, posted["ts"], thread_ts=thread_ts)
        status, body = self.post(inbound.event_callback(event, TEAM, event_id=f"EvTruth{next(_EVENTS)}"))
        assert status == 200, body
        if thread_ts:  # listeners run after the ack: wait until the reply is one of the ticket's events
            self.wait_for(lambda: self._seq(channel, thread_ts) > before)
        else:  # ... or until the message opened its ticket
            self.ticket(channel, posted["ts"])
        return posted["ts"]

    def _seq(self, channel: str, thread_ts: str) -> int:
        with self.runtime.services.uow.begin(read_only=True) as tx:
            ticket = tx.tickets.get_by_thread(team_id=TEAM, channel_id=channel, thread_ts=thread_ts)
            return ticket.event_seq if ticket is not None else 0

    def ticket(self, channel: str, ts: str) -> Any:
        tickets = self.runtime.services.tickets
        self.wait_for(lambda: tickets.state_by_thread(team_id=TEAM, channel_id=channel, thread_ts=ts))
        return tickets.state_by_thread(team_id=TEAM, channel_id=channel, thread_ts=ts)

    def run(self) -> None:
        """One sweep and the notifier until nothing is left (the clock does not move)."""
        self.sweeper.run_once()
        for _ in range(3):
            self.notifier.run_once()

    def report(self, text: str, channel: str = MANAGERS) -> tuple[str, list[Any]]:
        """``/sla report <text>``: the posted report's text, and the files uploaded into its thread."""
        before = len(self.slack.messages(channel))
        uploads = len(self._files(channel))
        answer = self.command(f"report {text}", AGENT, channel)
        assert "Building the SLA report" in answer["text"], answer
        self.wait_for(lambda: len(self._files(channel)) > uploads)  # built and posted after the ack
        posted = self.slack.messages(channel)[before:]
        assert posted, "no report was posted"
        text = "\n".join(json.dumps(m.get("blocks") or m.get("text"), ensure_ascii=False) for m in posted)
        return text, self._files(channel)

    def _files(self, channel: str) -> list[Any]:
        return [f for f in self.slack.files if channel in f.channels and f.filename.endswith(".csv")]

    def card(self, ref: str, channel: str) -> dict[str, Any]:
        key = f"{TEAM}:{ref}:status"
        [card] = [
            m
            for m in self.slack.messages(channel)
            if (m.get("metadata") or {}).get("event_payload", {}).get("key") == key
        ]
        return card

    def notices(self, channel: str = ALERTS) -> list[dict[str, Any]]:
        return [
            m
            for m in self.slack.messages(channel)
            if (m.get("metadata") or {}).get("event_type") == "slabot_alert"
        ]


@pytest.fixture
def harness(tmp_path: Path) -> Iterator[Harness]:
    clock = ManualClock(datetime(2026, 3, 2, 8, 0, tzinfo=UTC))  # Monday 2 March, 09:00 in Berlin
    with running_app(
        tmp_path,
        clock=clock,
        secret=SECRET,
        users=(AGENT, "U0AGENT002", CLIENT, GLOBEX_CLIENT, "U0LEAD0001"),
        channels={
            ACME: ("acme-support", [AGENT, CLIENT]),
            GLOBEX: ("globex-support", [AGENT, GLOBEX_CLIENT]),
            ALERTS: ("acme-alerts", [AGENT]),
            "C0ALERTS02": ("globex-alerts", [AGENT]),
            MANAGERS: ("managers", [AGENT]),
        },
        database="truth.db",
    ) as (runtime, slack, url):
        sweeper, notifier = emulator_workers(runtime, slack.url, worker_id="truth-e2e")
        yield Harness(runtime, slack, url, clock, SECRET, sweeper, notifier)


def test_an_unanswered_p1_breaches_with_nobody_running_and_the_report_and_credits_count_it(
    harness: Harness,
) -> None:
    opened_at = harness.clock.now()
    ts = harness.say(
        ACME, CLIENT, "The platform is down for everyone"
    )  # P1: 15m first response, 4h resolution
    ref = harness.ticket(ACME, ts).ticket.ref
    harness.clock.set(opened_at + timedelta(days=3))  # slabot was not running for three days
    harness.run()

    with harness.runtime.services.uow.begin(read_only=True) as tx:
        ticket = tx.tickets.get_by_ref(team_id=TEAM, ref=ref)
        timers = {r.metric: r for r in tx.timers.list_for_ticket(team_id=TEAM, ticket_id=ticket.id)}
    assert ticket.has_breach
    assert (timers["first_response"].state, timers["first_response"].breached_at) == (
        "breached",
        opened_at + timedelta(minutes=15),
    )
    assert timers["resolution"].breached_at == opened_at + timedelta(hours=4)
    keys = [n["metadata"]["event_payload"]["key"] for n in harness.notices()]
    assert f"{TEAM}:{ref}:first_response:1:breach" in keys

    text, _ = harness.report("2026-03-02 acme")
    assert "P1 first response: 0 % · 0 met, 1 breached" in text
    assert "P1 resolution: 0 % · 0 met, 1 breached" in text
    credits = harness.command("incident credits acme 2026-03", AGENT, MANAGERS)["text"]
    assert "1 P1 first response breach × 5 % = 5 % of EUR 12,000.00 = EUR 600.00" in credits
    assert "1 P1 resolution breach × 5 % = 5 % of EUR 12,000.00 = EUR 600.00" in credits
    assert "Total: 10 % of EUR 12,000.00 = EUR 1,200.00" in credits


def test_a_reply_outside_business_hours_reports_a_0s_median(harness: Harness) -> None:
    harness.clock.set(datetime(2026, 3, 7, 15, 0, tzinfo=UTC))  # Saturday, 10:00 in New York
    ts = harness.say(GLOBEX, GLOBEX_CLIENT, "How do I export last month's orders?")  # P3, NY office hours
    harness.ticket(GLOBEX, ts)
    harness.clock.advance(timedelta(minutes=20))
    harness.say(GLOBEX, AGENT, "Reports → Orders → Export, pick the month", thread_ts=ts)
    harness.clock.set(datetime(2026, 3, 9, 15, 0, tzinfo=UTC))
    text, files = harness.report("2026-03-07 globex")
    assert "P3 first response: 100 % · 1 met, 0 breached · median 0s" in text
    assert "0s" in text.split("first resp.")[1].split("\\n")[0]  # the table's median and p90
    [table] = [f for f in files if f.filename.endswith(".csv")]
    [row] = [
        r for r in csv.DictReader(io.StringIO(table.content.decode())) if r["metric"] == "first_response"
    ]
    assert (row["median_to_meet_seconds"], row["p90_to_meet_seconds"]) == ("0", "0")


def test_a_reply_on_the_due_second_reads_breached_on_the_card_the_notice_and_the_report(
    harness: Harness,
) -> None:
    ts = harness.say(ACME, CLIENT, "The dashboard is down")  # P1, first response due in 15 minutes
    state = harness.ticket(ACME, ts)
    due = state.ticket.opened_at + timedelta(minutes=15)
    harness.clock.set(due)
    harness.run()  # the breach notice goes out on the due second
    harness.say(ACME, AGENT, "Looking into it now", thread_ts=ts)  # ... and the reply lands on it too
    harness.run()

    [notice] = [
        n
        for n in harness.notices()
        if n["metadata"]["event_payload"]["key"].endswith(":first_response:1:breach")
    ]
    assert "breach" in notice["text"].lower()
    card = json.dumps(harness.card(state.ticket.ref, ACME), ensure_ascii=False)
    assert "first response · breached on the due second" in card and "met in" not in card
    harness.clock.advance(timedelta(hours=1))
    text, _ = harness.report("2026-03-02 acme")
    assert "P1 first response: 0 % · 0 met, 1 breached" in text


def test_the_csv_counts_tickets_and_cycles(harness: Harness) -> None:
    ts = harness.say(ACME, CLIENT, "Exports are broken")  # P2: next response 2h
    harness.ticket(ACME, ts)
    for minutes in (10, 20, 30, 40, 50):
        harness.clock.advance(timedelta(minutes=10))
        who = AGENT if minutes in (10, 30, 50) else CLIENT
        harness.say(ACME, who, f"message at +{minutes}m", thread_ts=ts)
    harness.clock.advance(timedelta(hours=1))
    _, files = harness.report("2026-03-02 acme")
    [table] = [f for f in files if f.filename.endswith(".csv")]
    rows = {r["metric"]: r for r in csv.DictReader(io.StringIO(table.content.decode()))}
    nxt = rows["next_response"]
    assert (nxt["tickets"], nxt["cycles"], nxt["met"], nxt["breached"]) == ("1", "2", "2", "0")


def test_a_45_minute_incident_on_the_2nd_is_provisionally_the_10_percent_tier(harness: Harness) -> None:
    harness.clock.set(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))  # 10:00 in Berlin on the 2nd
    assert (
        "down"
        in harness.command('incident start "Platform support" DNS outage', AGENT, MANAGERS)["text"].lower()
    )
    harness.clock.advance(timedelta(minutes=45))
    harness.command('incident resolve "Platform support"', AGENT, MANAGERS)
    harness.clock.set(datetime(2026, 3, 2, 13, 0, tzinfo=UTC))
    text = harness.command("incident credits acme", AGENT, MANAGERS)["text"]
    # March in Berlin minus the contract's 2 h of maintenance: 44,520 measured minutes, 45 down
    assert (
        "Platform support uptime 99.899 % for the month (97.92 % to date) &lt; 99.9 % → 10 % of EUR 12,000.00"
        in text
    )
    assert "Provisional" in text and "25 %" not in text
    listing = harness.command("incident list acme", AGENT, MANAGERS)["text"]
    assert "97.92 % to date · 99.899 % for the month if nothing else goes down" in listing


def test_the_all_client_report_cuts_each_clients_month_on_its_own_calendar(harness: Harness) -> None:
    # Acme's reply at 00:30 on 1 April in Berlin (22:30 UTC on 31 March): Acme's April
    harness.clock.set(datetime(2026, 3, 31, 22, 20, tzinfo=UTC))
    ts = harness.say(ACME, CLIENT, "Is the April price list out?")
    harness.clock.set(datetime(2026, 3, 31, 22, 30, tzinfo=UTC))
    harness.say(ACME, AGENT, "Yes, attached", thread_ts=ts)
    # Globex's reply at 22:00 on 31 March in New York (02:00 UTC on 1 April): Globex's March
    harness.clock.set(datetime(2026, 4, 1, 1, 50, tzinfo=UTC))
    ts = harness.say(GLOBEX, GLOBEX_CLIENT, "Can you confirm the March invoice?")
    harness.clock.set(datetime(2026, 4, 1, 2, 0, tzinfo=UTC))
    harness.say(GLOBEX, AGENT, "Confirmed", thread_ts=ts)
    harness.clock.set(datetime(2026, 4, 2, 12, 0, tzinfo=UTC))
    march, _ = harness.report("2026-03")
    april, _ = harness.report("2026-04")
    assert "globex P3 first response: 100 %" in march and "acme P3 first response" not in march
    assert "acme P3 first response: 100 %" in april and "globex P3 first response" not in april


def test_feedback_over_the_last_30_days_includes_an_answer_given_today(harness: Harness) -> None:
    ts = harness.say(ACME, CLIENT, "Please reset my password")
    ref = harness.ticket(ACME, ts).ticket.ref
    harness.clock.advance(timedelta(minutes=5))
    harness.command(f"resolve {ref}", AGENT, ACME)
    harness.run()  # the survey is posted in the thread at this very instant ...
    [survey] = [
        m for m in harness.slack.thread(ACME, ts) if "survey_rate_" in json.dumps(m.get("blocks", []))
    ]
    button = next(
        e for b in survey["blocks"] for e in b.get("elements", []) if e.get("action_id") == "survey_rate_5"
    )
    status, _ = harness.post(
        inbound.block_actions("survey_rate_5", button["value"], CLIENT, ACME, survey["ts"], thread_ts=ts)
    )
    assert status == 200
    surveys = harness.runtime.services.feedback
    harness.wait_for(lambda: surveys.figures_for(TEAM, "acme", _today(harness)).responses == 1)
    answer = harness.command("feedback acme", AGENT, ACME)["text"]  # ... and asked about in the same second
    assert "last 30 days" in answer and "Response rate 100 %" in answer and "CSAT 100 %" in answer


def _today(harness: Harness) -> Any:
    from sla.periods import last_days

    return last_days(1, now=harness.clock.now(), tz="Europe/Berlin")
