"""Helpdesk-grade conversations end to end (issue 13): signed Slack requests into the real app, its Web
API calls into the emulator. Who may do what, what reaches a client's channel, what a person's message
does, and that no user text becomes a live mention."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.clock import ManualClock
from bot.emulator import inbound
from handlers import commands, events
from tests.e2e.slack_harness import SlackApp, running_app
from tests.handlers.test_escaping_property import assert_inert

SECRET = "helpdesk-signing-secret"
AGENT, AGENT2, CLIENT, CLIENT2, GLOBEX = "U0AGENT001", "U0AGENT002", "U0ACME0001", "U0ACME0002", "U0GLOBEX01"
SUPPORT, GLOBEX_SUPPORT, TEAM = "C0SUPPORT1", "C0GLOBEX01", inbound.DEFAULT_TEAM_ID


@dataclass
class Helpdesk(SlackApp):
    serial: int = 0
    #: message events handled so far (listeners run after the ack: ``say`` waits for its own)
    handled: list[str] = field(default_factory=list)

    def command(self, text: str, user: str = AGENT, channel: str = SUPPORT) -> dict[str, Any]:
        return super().command(text, user, channel)

    def event(self, event: dict[str, Any]) -> None:
        self.serial += 1
        status, body = self.post(inbound.event_callback(event, TEAM, event_id=f"EvHd{self.serial}"))
        assert status == 200, body

    def say(self, user: str, text: str, *, channel: str = SUPPORT, thread_ts: str | None = None) -> str:
        """A person writes in Slack: the message lands in the channel and slabot gets its event."""
        ts = self.slack.post_user_message(channel, user, text, thread_ts=thread_ts)["ts"]
        self.event(inbound.message_event(channel, user, text, ts, thread_ts=thread_ts))
        self.wait_for(lambda: ts in self.handled)
        return ts

    def bot_calls(self) -> list[Any]:
        writes = ("chat.postMessage", "chat.update", "chat.postEphemeral", "views.publish", "views.open")
        return [c for c in self.slack.calls if c.method in writes]

    def state(self, ref: str = "T-1") -> Any:
        return self.runtime.services.tickets.state(team_id=TEAM, ref=ref)


@pytest.fixture
def desk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Helpdesk]:
    monkeypatch.setattr(commands, "ACK_BUDGET_SECONDS", 30.0)
    handled: list[str] = []
    on_message = events.on_message

    def counted(services: Any, team_id: str, event: dict[str, Any], client: Any) -> None:
        try:
            on_message(services, team_id, event, client)
        finally:
            handled.append(event.get("ts", ""))

    monkeypatch.setattr(events, "on_message", counted)
    clock = ManualClock(datetime(2026, 11, 24, 9, 0, tzinfo=UTC))  # a Tuesday, 10:00 in Berlin
    with running_app(
        tmp_path,
        clock=clock,
        secret=SECRET,
        users=(AGENT, AGENT2, CLIENT, CLIENT2, GLOBEX, "U0LEAD0001", "U0MANAGER1"),
        channels={
            SUPPORT: ("acme-support", [AGENT, AGENT2, CLIENT, CLIENT2]),
            GLOBEX_SUPPORT: ("globex-support", [AGENT, GLOBEX]),
        },
        SLABOT_HOME_REFRESH_SECONDS=0,
    ) as (runtime, slack, url):
        yield Helpdesk(runtime, slack, url, clock, SECRET, handled=handled)


def _text(answer: dict[str, Any]) -> str:
    return answer["text"] + json.dumps(answer.get("blocks", []))


# ---- mention and link safety ------------------------------------------------------------------------


def test_a_clients_channel_ping_never_becomes_a_live_mention_anywhere(desk: Helpdesk) -> None:
    wire = "<!channel> the site is down, ask <@U0EVIL01> or see <https://evil.example|here> &lt;3"
    ts = desk.say(CLIENT, wire)
    desk.wait_for(lambda: len(desk.slack.thread(SUPPORT, ts)) >= 3, deliver=True)  # note + live card
    ticket = desk.state().ticket
    assert ticket.title == "@channel the site is down, ask @U0EVIL01 or see here (https://evil.example) <3"
    desk.command("pause T-1 waiting for <@U0EVIL02|boss> <!here>")
    answers = [desk.command("status T-1"), desk.command("explain T-1"), desk.command("status")]
    desk.event(inbound.app_home_opened_event(AGENT))
    desk.wait_for(lambda: desk.slack.home_view(AGENT) is not None, deliver=True)
    for answer in answers:
        assert_inert({"text": answer["text"], "blocks": answer.get("blocks", [])})
    calls = desk.bot_calls()
    assert len(calls) >= 5  # the opened note, the card, the pause note, the card update, App Home
    for call in calls:
        assert_inert({k: v for k, v in call.args.items() if k in ("text", "blocks", "view")})
    card = next(c for c in calls if c.method == "chat.postMessage" and "@channel the site" in c.args["text"])
    assert "&lt;3" in card.args["text"]
    assert f"<@{CLIENT}>" in json.dumps(card.args["blocks"])  # slabot's own mention of the requester works


# ---- conversation rules (sla.conversation) -----------------------------------------------------------

INITECH = "C0INITECH1"  # bronze: resume_on_client_reply off, reopen_within 2d, acknowledgements open tickets
LEAD, SALES = "U0LEAD0001", "U0SALES001"  # Acme's account lead; gold's contract-listed internal user


def _tickets(desk: Helpdesk) -> list[Any]:
    from sqlalchemy import select

    from storage.models import Ticket

    with desk.runtime.services.uow.begin(read_only=True) as tx:
        return list(tx.session.scalars(select(Ticket).order_by(Ticket.id)))


def _metric(desk: Helpdesk, metric: str, ref: str = "T-1") -> Any:
    timers = [t for t in desk.state(ref).timers if t.metric == metric]
    return timers[-1] if timers else None


def _note_in_thread(desk: Helpdesk, root: str, words: str) -> None:
    def posted() -> bool:
        desk.clock.advance(timedelta(seconds=1))  # the notifier paces posts to one channel
        return any(words in m.get("text", "") for m in desk.slack.thread(SUPPORT, root))

    desk.wait_for(posted, deliver=True)


def _resolved(desk: Helpdesk) -> str:
    """The client asks, an agent answers in the thread and resolves T-1."""
    root = desk.say(CLIENT, "The nightly export is broken")
    desk.say(AGENT, "Fixed, it runs again", thread_ts=root)
    desk.command("resolve T-1")
    return root


def _open_answered(desk: Helpdesk, channel: str = SUPPORT) -> str:
    """The client asks, an agent answers in the thread and pauses it waiting on the client."""
    root = desk.say(
        CLIENT if channel == SUPPORT else "U0INITECH01", "The nightly export is broken", channel=channel
    )
    desk.clock.advance(timedelta(minutes=5))
    desk.say(AGENT, "Can you send us the log file?", channel=channel, thread_ts=root)
    assert desk.command("pause T-1 waiting for the log", channel=channel)["text"].startswith("T-1: paused")
    assert desk.state().ticket.status == "waiting_on_client"
    return root


def test_a_clients_reply_resumes_a_ticket_waiting_on_the_client_and_starts_next_response(
    desk: Helpdesk,
) -> None:
    root = _open_answered(desk)
    desk.clock.advance(timedelta(hours=1))
    desk.say(CLIENT, "ok 👍", thread_ts=root)  # an acknowledgement is not the answer we wait for
    assert desk.state().ticket.status == "waiting_on_client"
    assert _metric(desk, "next_response") is None
    desk.say(CLIENT, "Here is the log: export.log", thread_ts=root)
    state = desk.state()
    assert state.ticket.status == "open"
    assert _metric(desk, "next_response").state == "running"
    _note_in_thread(desk, root, "Resumed")
    desk.say(CLIENT, "Here is the log: export.log", thread_ts=root)  # the same again changes nothing more
    assert [t.cycle for t in desk.state().timers if t.metric == "next_response"] == [1]


def test_without_resume_on_client_reply_the_ticket_stays_paused(desk: Helpdesk) -> None:
    desk.slack.add_user("U0INITECH01", "initech-bob")
    root = _open_answered(desk, channel=INITECH)
    desk.say("U0INITECH01", "Here is the log: export.log", channel=INITECH, thread_ts=root)
    assert desk.state().ticket.status == "waiting_on_client"


def test_a_clients_message_reopens_a_recently_resolved_ticket_and_thanks_does_not(desk: Helpdesk) -> None:
    root = _resolved(desk)
    desk.clock.advance(timedelta(minutes=10))
    desk.say(CLIENT, "thanks!", thread_ts=root)
    assert desk.state().ticket.status == "resolved" and len(_tickets(desk)) == 1
    desk.clock.advance(timedelta(days=2))
    desk.say(CLIENT, "It is broken again since this morning", thread_ts=root)
    state = desk.state()
    assert state.ticket.status == "open" and len(_tickets(desk)) == 1
    assert [t.cycle for t in state.timers if t.metric == "resolution"] == [1, 2]
    assert _metric(desk, "next_response").state == "running"
    _note_in_thread(desk, root, "Reopened")


def test_a_message_long_after_resolution_opens_a_new_ticket_that_links_the_old_one(desk: Helpdesk) -> None:
    root = _resolved(desk)
    desk.clock.advance(timedelta(days=8))
    desk.say(CLIENT, "The export failed again tonight", thread_ts=root)
    first, second = _tickets(desk)
    assert (first.ref, first.status) == ("T-1", "resolved")
    assert (second.ref, second.status, second.thread_ts) == ("T-2", "open", root)
    assert second.title == "The export failed again tonight"
    _note_in_thread(desk, root, "follows T-1")
    desk.say(AGENT, "Looking", thread_ts=root)  # the thread now answers the new ticket
    assert _metric(desk, "first_response", "T-2").state == "met"
    assert desk.state("T-1").ticket.status == "resolved"
    explained = desk.command("explain T-2")["text"]
    assert "follows T-1" in explained or "T-2" in explained


def test_bronze_reopens_within_two_days_only(desk: Helpdesk) -> None:
    desk.slack.add_user("U0INITECH01", "initech-bob")
    root = desk.say("U0INITECH01", "The printer is on fire", channel=INITECH)
    desk.command("resolve T-1", channel=INITECH)
    desk.clock.advance(timedelta(days=3))
    desk.say("U0INITECH01", "On fire again", channel=INITECH, thread_ts=root)
    assert [t.status for t in _tickets(desk)] == ["resolved", "open"]


def test_who_opens_a_ticket_from_a_top_level_message(desk: Helpdesk) -> None:
    for user, text in [
        (CLIENT, "thanks!"),
        (CLIENT, "ok 👍"),
        (CLIENT2, ":tada: :tada:"),
        (CLIENT, "🙏"),
        (AGENT, "Heads-up: we deploy at noon"),  # an agent
        (LEAD, "FYI: Acme renews next month"),  # the client's account lead
        (SALES, "Upsell call with Acme on Friday"),  # gold lists U0SALES001 as internal
        ("U0MANAGER1", "Reminder: quarterly review"),  # gold's escalation contact
    ]:
        desk.slack.add_user(user, user.lower())
        desk.say(user, text)
    assert _tickets(desk) == []
    assert desk.runtime.services.intake.count("slack", "acknowledgement") == 4
    assert desk.runtime.services.intake.count("slack", "staff") == 4
    desk.say(CLIENT, "The nightly export is broken")
    assert [t.title for t in _tickets(desk)] == ["The nightly export is broken"]


def test_a_contract_can_switch_the_acknowledgement_classifier_off(desk: Helpdesk) -> None:
    desk.slack.add_user("U0INITECH01", "initech-bob")
    desk.say("U0INITECH01", "thanks!", channel=INITECH)
    assert [t.title for t in _tickets(desk)] == ["thanks!"]


def test_an_internal_reply_in_a_thread_is_not_the_clients(desk: Helpdesk) -> None:
    root = desk.say(CLIENT, "The nightly export is broken")
    desk.say(AGENT, "Looking", thread_ts=root)
    desk.say(LEAD, "Adding context: they run v2", thread_ts=root)
    assert _metric(desk, "next_response") is None  # the lead is not the client: no wait starts
    desk.say(CLIENT, "thanks", thread_ts=root)
    assert _metric(desk, "next_response") is None  # nor does a client's thanks
    desk.say(CLIENT, "Still failing though", thread_ts=root)
    assert _metric(desk, "next_response").state == "running"


# ---- Not a ticket --------------------------------------------------------------------------------


def _click(desk: Helpdesk, action: str, ref: str, user: str, channel: str = SUPPORT) -> None:
    from handlers.ids import TicketAction

    value = TicketAction(ticket_ref=ref).encode()
    before = len(desk.slack.ephemerals()) + len(desk.slack.calls)
    status, body = desk.post(inbound.block_actions(action, value, user, channel, "1795510800.000000"))
    assert status == 200, body
    desk.wait_for(lambda: len(desk.slack.ephemerals()) + len(desk.slack.calls) > before)


def _audit(desk: Helpdesk, ref: str) -> list[Any]:
    with desk.runtime.services.uow.begin(read_only=True) as tx:
        return [(a.action, a.actor, a.after) for a in tx.audit.list(team_id=TEAM, target=ref)]


def test_an_agent_dismisses_a_non_request_and_it_leaves_every_report_and_credit(desk: Helpdesk) -> None:
    root = desk.say(CLIENT, "Our site is down, see the attachment")  # P1: first response 15m around the clock
    desk.clock.advance(timedelta(minutes=30))
    desk.say(AGENT, "Looking", thread_ts=root)  # late: first response breached
    assert _metric(desk, "first_response").state == "breached"
    credits = desk.command("incident credits acme 2026-11")["text"]
    assert "1 P1 first response breach" in credits

    # the client can neither type it nor click it: nothing changes
    refused = desk.command("dismiss T-1 spam", user=CLIENT)["text"]
    assert "Only support agents can dismiss tickets" in refused
    _click(desk, "ticket_dismiss", "T-1", CLIENT)
    assert desk.state().ticket.status == "open"
    assert [a for a in _audit(desk, "T-1") if a[0] == "ticket.dismiss"] == []

    _click(desk, "ticket_dismiss", "T-1", AGENT)
    state = desk.state()
    assert state.ticket.status == "dismissed" and not state.ticket.is_open
    assert {(t.state, t.breached_at) for t in state.timers} == {("cancelled", None)}
    assert {t.metric for t in state.timers} >= {"first_response", "resolution"}
    assert (
        "ticket.dismiss",
        AGENT,
        {"status": "dismissed", "reason": "marked on the card"},
    ) in _audit(desk, "T-1")
    with desk.runtime.services.uow.begin(read_only=True) as tx:
        stored = tx.tickets.get_by_ref(team_id=TEAM, ref="T-1")
        rows = tx.timers.list_for_ticket(team_id=TEAM, ticket_id=stored.id)
    assert not stored.has_breach and {r.state for r in rows} == {"cancelled"}
    assert all(r.breached_at is None for r in rows)
    credits = desk.command("incident credits acme 2026-11")["text"]
    assert "breach" not in credits and "No credit owed" in credits
    counts = desk.runtime.services.compliance_counts(
        team_id=TEAM,
        start=datetime(2026, 11, 1, tzinfo=UTC),
        end=datetime(2026, 12, 1, tzinfo=UTC),
        now=desk.clock.now(),
    )
    assert counts == []  # neither met nor breached: in no compliance figure
    assert "T-1" not in desk.command("status")["text"]
    _note_in_thread(desk, root, "Not a ticket")
    assert "dismissed" in desk.command("explain T-1")["text"].lower()
    assert "cannot follow it" in desk.command("reopen T-1")["text"]  # final


def test_dismiss_by_command_keeps_the_reason(desk: Helpdesk) -> None:
    desk.say(CLIENT, "FYI our office is closed on Friday")
    answer = desk.command("dismiss T-1 an announcement, not a request")
    assert "not a ticket" in answer["text"]
    assert (
        "ticket.dismiss",
        AGENT,
        {"status": "dismissed", "reason": "an announcement, not a request"},
    ) in _audit(desk, "T-1")
    assert "I can't find ticket T-9" in desk.command("dismiss T-9")["text"]
