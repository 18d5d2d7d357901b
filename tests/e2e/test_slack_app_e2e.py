"""The Slack app end to end: signed requests into the real HTTP endpoint, Web API calls into the emulator."""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest

from bot.emulator import inbound
from handlers import commands
from tests.e2e.slack_harness import SlackApp, support_app

SECRET = "e2e-signing-secret"
AGENT, CLIENT, OUTSIDER = "U0AGENT001", "U0ACME0001", "U0STRANGER"
SUPPORT, TEAM = "C0SUPPORT1", inbound.DEFAULT_TEAM_ID


@dataclass
class Harness(SlackApp):
    def command(self, text: str, user: str = AGENT, channel: str = SUPPORT) -> dict:
        return super().command(text, user, channel)

    def event(self, event: dict, *, event_id: str | None = None, retry_num: int | None = None) -> None:
        status, body = self.post(inbound.event_callback(event, TEAM, event_id=event_id), retry_num=retry_num)
        assert status == 200, body


@pytest.fixture
def harness(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Harness]:
    with support_app(tmp_path, monkeypatch, secret=SECRET, harness=Harness, users=(OUTSIDER,)) as app:
        yield app


def _ephemeral_text(answer: dict) -> str:
    assert answer["response_type"] == "ephemeral"
    return answer["text"] + json.dumps(answer.get("blocks", []))


def test_forged_or_stale_requests_get_401(harness: Harness) -> None:
    body = inbound.slash_command("status", AGENT, SUPPORT)
    assert harness.post(body, secret="not-the-secret")[0] == 401
    stale = int(time.time()) - 6 * 60
    assert harness.post(body, timestamp=stale)[0] == 401
    assert harness.post(body)[0] == 200


def test_healthz(harness: Harness) -> None:
    with urllib.request.urlopen(harness.url + "/healthz") as response:
        assert json.loads(response.read()) == {"ok": True}


def test_help_and_a_helpful_hint_for_a_typo(harness: Harness) -> None:
    assert "/sla status" in _ephemeral_text(harness.command("help"))
    hint = _ephemeral_text(harness.command("stauts"))
    assert "did you mean" in hint and "status" in hint
    assert "needs a ticket" in _ephemeral_text(harness.command("pause")) or "T-12" in _ephemeral_text(
        harness.command("pause")
    )


def test_a_client_message_opens_a_ticket_and_an_agent_reply_is_the_first_response(harness: Harness) -> None:
    ts = harness.slack.post_user_message(SUPPORT, CLIENT, "The dashboard is down for everyone")["ts"]
    harness.event(
        inbound.message_event(SUPPORT, CLIENT, "The dashboard is down for everyone", ts), event_id="Ev1"
    )
    harness.wait_for(lambda: len(harness.slack.thread(SUPPORT, ts)) >= 2, deliver=True)
    note = harness.slack.thread(SUPPORT, ts)[-1]["text"]
    assert "T-1" in note
    # Slack retries the same event: still one ticket
    harness.event(
        inbound.message_event(SUPPORT, CLIENT, "The dashboard is down for everyone", ts),
        event_id="Ev1",
        retry_num=1,
    )

    status = _ephemeral_text(harness.command("status T-1"))
    assert "first response" in status and "left" in status

    harness.clock.advance(timedelta(minutes=10))
    reply_ts = harness.slack.post_user_message(SUPPORT, AGENT, "Looking into it", thread_ts=ts)["ts"]
    harness.event(
        inbound.message_event(SUPPORT, AGENT, "Looking into it", reply_ts, thread_ts=ts), event_id="Ev2"
    )
    harness.wait_for(lambda: "met" in _ephemeral_text(harness.command("status T-1")))
    state = harness.runtime.services.tickets.state(team_id=TEAM, ref="T-1")
    first = next(t for t in state.timers if t.metric == "first_response")
    assert str(first.state) == "met"
    with harness.runtime.services.uow.begin(read_only=True) as tx:
        assert tx.status.open_tickets(team_id=TEAM, now=harness.clock.now()).total == 1


def test_agents_change_tickets_and_others_are_refused(harness: Harness) -> None:
    started = _ephemeral_text(harness.command("start P2 acme Printer on fire"))
    assert "T-1" in started
    refused = _ephemeral_text(harness.command("resolve T-1", user=OUTSIDER))
    assert "Only support agents" in refused
    assert harness.runtime.services.tickets.state(team_id=TEAM, ref="T-1").ticket.status == "open"

    paused = _ephemeral_text(harness.command("pause T-1 waiting for logs"))
    assert "paused" in paused.lower()
    assert (
        harness.runtime.services.tickets.state(team_id=TEAM, ref="T-1").ticket.status == "waiting_on_client"
    )
    harness.command("resume T-1")
    harness.command("priority T-1 P1")
    assert harness.runtime.services.tickets.state(team_id=TEAM, ref="T-1").ticket.priority == "P1"
    assert "resolved" in _ephemeral_text(harness.command("resolve T-1")).lower()
    again = _ephemeral_text(harness.command("resolve T-1"))
    assert "already resolved" in again
    timeline = _ephemeral_text(harness.command("explain T-1"))
    assert "resolution" in timeline


def test_a_forged_button_value_changes_nothing(harness: Harness) -> None:
    harness.command("start P3 acme Slow exports")
    body = inbound.block_actions(
        "ticket_resolve", '{"t":"T-1","x":"DROP TABLE"}', AGENT, SUPPORT, "1700000000.000100"
    )
    assert harness.post(body)[0] == 200
    harness.wait_for(
        lambda: any("not one of slabot" in e.get("text", "") for e in harness.slack.ephemerals())
    )
    assert harness.runtime.services.tickets.state(team_id=TEAM, ref="T-1").ticket.status == "open"

    good = inbound.block_actions("ticket_resolve", '{"t":"T-1"}', AGENT, SUPPORT, "1700000000.000100")
    assert harness.post(good)[0] == 200
    harness.wait_for(
        lambda: harness.runtime.services.tickets.state(team_id=TEAM, ref="T-1").ticket.status == "resolved"
    )


def test_app_home_is_published(harness: Harness) -> None:
    harness.command("start P1 acme Checkout broken")
    harness.command("take T-1")
    harness.event(inbound.app_home_opened_event(AGENT), event_id="EvHome")
    harness.wait_for(lambda: harness.slack.home_view(AGENT) is not None)
    assert "T-1" in json.dumps(harness.slack.home_view(AGENT))


def test_status_lists_are_cut_within_slack_limits(harness: Harness) -> None:
    tickets = harness.runtime.services.tickets
    for n in range(60):
        tickets.open(team_id=TEAM, client_key="acme", source="import", priority="P3", title=f"issue {n}")
    answer = harness.command("status client acme")
    assert len(answer["blocks"]) <= 50
    assert "more" in json.dumps(answer["blocks"])


def test_status_is_cached_until_a_ticket_changes_from_any_source(harness: Harness) -> None:
    cache = harness.runtime.services.answers
    assert "No open tickets" in _ephemeral_text(harness.command("status"))
    assert "No open tickets" in _ephemeral_text(harness.command("status"))
    assert cache.hits >= 1
    # a ticket opened by a client's message (not by a command) shows in the very next answer
    ts = harness.slack.post_user_message(SUPPORT, CLIENT, "Exports fail")["ts"]
    harness.event(inbound.message_event(SUPPORT, CLIENT, "Exports fail", ts), event_id="EvCache1")
    harness.wait_for(lambda: "T-1" in _ephemeral_text(harness.command("status")))
    # countdowns move: after a few seconds the answer is computed again
    first = _ephemeral_text(harness.command("status"))
    harness.clock.advance(timedelta(minutes=7))
    later = _ephemeral_text(harness.command("status"))
    assert first != later


def test_a_client_sees_only_their_own_requests(harness: Harness) -> None:
    tickets = harness.runtime.services.tickets
    for n in range(45):  # other people's tickets, more urgent than the client's own
        tickets.open(team_id=TEAM, client_key="acme", source="import", priority="P1", title=f"other {n}")
    tickets.open(
        team_id=TEAM, client_key="acme", source="slack_thread", priority="P3", title="Mine", requester=CLIENT
    )
    own = _ephemeral_text(harness.command("status", user=CLIENT))
    assert "Mine" in own and "other 1" not in own
    assert "T-46" in own
    assert "can't find ticket T-1" in _ephemeral_text(harness.command("status T-1", user=CLIENT))


def test_app_home_is_refreshed_when_a_ticket_changes(harness: Harness) -> None:
    harness.event(inbound.app_home_opened_event(AGENT), event_id="EvHome2")
    harness.wait_for(lambda: harness.slack.home_view(AGENT) is not None)
    assert "T-1" not in json.dumps(harness.slack.home_view(AGENT))
    harness.command("start P1 acme Checkout broken")
    harness.command("take T-1")
    harness.wait_for(lambda: "T-1" in json.dumps(harness.slack.home_view(AGENT)))
    # every later change refreshes it again
    harness.command("resolve T-1")
    harness.wait_for(lambda: "Checkout broken" not in json.dumps(harness.slack.home_view(AGENT)))


def test_a_slow_answer_is_acked_at_once_and_sent_to_the_response_url(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    import http.server
    import threading

    from bot import grammar as g

    received: list[dict] = []

    class Hook(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: object) -> None:
            return None

    hook = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=hook.serve_forever, daemon=True).start()
    slow_help = harness.runtime.services.commands[g.Help]

    def slow(services, caller, command):  # type: ignore[no-untyped-def]
        time.sleep(0.6)
        return slow_help(services, caller, command)

    monkeypatch.setattr(commands, "ACK_BUDGET_SECONDS", 0.1)
    monkeypatch.setitem(harness.runtime.services.commands, g.Help, slow)
    try:
        started = time.monotonic()
        body = inbound.slash_command(
            "help", AGENT, SUPPORT, response_url=f"http://127.0.0.1:{hook.server_port}/hook"
        )
        status, text = harness.post(body)
        assert status == 200 and time.monotonic() - started < 0.5
        assert json.loads(text)["text"] == commands.WORKING_TEXT
        harness.wait_for(lambda: bool(received))
        assert received[0]["response_type"] == "ephemeral" and "/sla status" in received[0]["text"]
    finally:
        hook.shutdown()
        hook.server_close()


def test_an_admin_links_a_channel_and_client_messages_there_open_tickets(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    new_channel = "C0NEWACME1"
    harness.slack.add_channel(new_channel, "acme-escalations", members=[AGENT, CLIENT])
    monkeypatch.setattr(harness.runtime.services.settings, "admin_ids", "U0AGENT002")
    refused = _ephemeral_text(harness.command(f"link <#{new_channel}|acme-escalations> acme"))
    assert "Only slabot's admins" in refused
    linked = _ephemeral_text(
        harness.command(f"link <#{new_channel}|acme-escalations> acme", user="U0AGENT002")
    )
    assert "Linked" in linked
    ts = harness.slack.post_user_message(new_channel, CLIENT, "URGENT: checkout is down")["ts"]
    harness.event(
        inbound.message_event(new_channel, CLIENT, "URGENT: checkout is down", ts), event_id="EvLink"
    )
    harness.wait_for(lambda: len(harness.slack.thread(new_channel, ts)) >= 2, deliver=True)
    state = harness.runtime.services.tickets.state_by_thread(
        team_id=TEAM, channel_id=new_channel, thread_ts=ts
    )
    assert state is not None and state.ticket.client_key == "acme"
    ts2 = harness.slack.post_user_message(new_channel, CLIENT, "invoices missing")["ts"]
    harness.event(inbound.message_event(new_channel, CLIENT, "invoices missing", ts2), event_id="EvLink2")
    harness.wait_for(lambda: len(harness.slack.thread(new_channel, ts2)) >= 2, deliver=True)
    second = harness.runtime.services.tickets.state_by_thread(
        team_id=TEAM, channel_id=new_channel, thread_ts=ts2
    )
    assert second is not None
    # an agent's ✅ on the client's message resolves it
    harness.event(
        inbound.reaction_added_event(AGENT, "white_check_mark", new_channel, ts2), event_id="EvLink3"
    )
    harness.wait_for(
        lambda: (
            harness.runtime.services.tickets.state(team_id=TEAM, ref=second.ticket.ref).ticket.status
            == "resolved"
        )
    )


def test_every_other_command_end_to_end(harness: Harness) -> None:
    harness.command("start P2 acme Printer on fire")
    harness.command("start P1 acme Checkout down")
    assert "T-1" in _ephemeral_text(harness.command("reply T-1"))
    assigned_answer = harness.command("assign T-1 <@U0AGENT002|agent2>")
    assert "assigned to <@U0AGENT002>" in _ephemeral_text(assigned_answer)
    headline = assigned_answer["blocks"][0]["text"]["text"]
    assert "assigned to <@U0AGENT002>" in headline  # a mention in Slack, not the escaped raw id
    assert "T-1" in _ephemeral_text(harness.command("status <@U0AGENT002|agent2>"))
    assert "T-1" not in _ephemeral_text(harness.command("status mine"))
    assert "T-2" in _ephemeral_text(harness.command(f"status <#{SUPPORT}|acme-support>"))
    assert "Tickets at risk" in _ephemeral_text(harness.command("status at-risk"))
    harness.clock.advance(timedelta(hours=5))  # P1's 15-minute first response is long gone
    breached = _ephemeral_text(harness.command("status breached"))
    assert "T-2" in breached and "breached" in breached
    harness.command("resolve T-1")
    assert "reopened" in _ephemeral_text(harness.command("reopen T-1")).lower()
    contract = _ephemeral_text(harness.command("contract acme"))
    assert "Contract of Acme" in contract and "P1" in contract
    assert "Contract of Acme" in _ephemeral_text(harness.command("contract"))  # this channel's client
    assert "did you mean" in _ephemeral_text(harness.command("status breachd"))


def test_track_as_sla_ticket_shortcut_opens_a_modal_and_its_submission_starts_the_ticket(
    harness: Harness,
) -> None:
    ts = harness.slack.post_user_message(SUPPORT, CLIENT, "Exports are empty since Monday")["ts"]
    message = {"ts": ts, "user": CLIENT, "text": "Exports are empty since Monday"}
    assert harness.post(inbound.message_shortcut("track_as_sla_ticket", message, SUPPORT, AGENT))[0] == 200
    harness.wait_for(lambda: bool(harness.slack.calls_to("views.open")))
    modal = harness.slack.calls_to("views.open")[0].args["view"]
    if isinstance(modal, str):
        modal = json.loads(modal)
    values = {
        "start_title": {"start_title": {"type": "plain_text_input", "value": "Exports are empty"}},
        "start_client": {"start_client": {"type": "static_select", "selected_option": {"value": "acme"}}},
        "start_priority": {"start_priority": {"type": "static_select", "selected_option": {"value": "P2"}}},
        "start_assignee": {"start_assignee": {"type": "users_select", "selected_user": AGENT}},
    }
    submitted = inbound.view_submission("start_modal", values, modal["private_metadata"], AGENT)
    assert harness.post(submitted)[0] == 200

    def assigned() -> bool:  # the ticket is opened, then assigned, after the ack
        found = harness.runtime.services.tickets.state_by_thread(
            team_id=TEAM, channel_id=SUPPORT, thread_ts=ts
        )
        return found is not None and found.ticket.assignee is not None

    harness.wait_for(assigned)
    state = harness.runtime.services.tickets.state_by_thread(team_id=TEAM, channel_id=SUPPORT, thread_ts=ts)
    assert state is not None
    assert (state.ticket.title, state.ticket.priority, state.ticket.assignee) == (
        "Exports are empty",
        "P2",
        AGENT,
    )
