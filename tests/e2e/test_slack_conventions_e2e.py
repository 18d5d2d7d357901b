"""Slack's conventions end to end (issue 19, item 4): signed requests into the real endpoint, Web API
calls into the emulator, whose bot token holds exactly the manifest's scopes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.emulator import inbound
from handlers.blocks.help import DM_ANSWER
from tests.e2e.slack_harness import SlackApp, support_app

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = yaml.safe_load((ROOT / "manifest.yaml").read_text(encoding="utf-8"))
SECRET = "conventions-signing-secret"
AGENT, CLIENT = "U0AGENT001", "U0ACME0001"
SUPPORT, TEAM = "C0SUPPORT1", inbound.DEFAULT_TEAM_ID
DM = "D" + CLIENT[1:]


@dataclass
class Conventions(SlackApp):
    def event(self, event: dict[str, Any], **kw: Any) -> tuple[int, str]:
        return self.post(inbound.event_callback(event, TEAM, **kw))


@pytest.fixture
def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Conventions]:
    with support_app(tmp_path, monkeypatch, secret=SECRET, harness=Conventions) as app:
        yield app


# one realistic event per subscription of the manifest (message.* are all ``message`` events)
def _sample(name: str) -> dict[str, Any]:
    ts = "1764000000.000100"
    samples: dict[str, dict[str, Any]] = {
        "app_home_opened": inbound.app_home_opened_event(AGENT),
        "app_mention": {
            "type": "app_mention",
            "user": AGENT,
            "text": "<@U0SLABOT01> hi",
            "ts": ts,
            "channel": SUPPORT,
            "event_ts": ts,
        },
        "message.channels": inbound.message_event(SUPPORT, AGENT, "hello", ts),
        "message.groups": inbound.message_event("G0PRIVATE1", AGENT, "hello", ts, channel_type="group"),
        "message.im": inbound.message_event(DM, CLIENT, "hello?", ts),
        "reaction_added": inbound.reaction_added_event(AGENT, "eyes", SUPPORT, ts),
        "app_uninstalled": {"type": "app_uninstalled", "event_ts": ts},
        "tokens_revoked": {
            "type": "tokens_revoked",
            "tokens": {"oauth": [], "bot": ["U0SLABOT01"]},
            "event_ts": ts,
        },
    }
    return samples[name]


@pytest.mark.parametrize("name", MANIFEST["settings"]["event_subscriptions"]["bot_events"])
def test_every_subscribed_event_has_a_listener(app: Conventions, name: str) -> None:
    # Bolt answers 404 to an event no listener matches: Slack counts those as failures
    status, body = app.event(_sample(name))
    assert status == 200, f"{name}: {status} {body}"


def test_an_event_nobody_subscribed_is_not_listened_to(app: Conventions) -> None:
    removed = {
        "type": "reaction_removed",
        "user": AGENT,
        "reaction": "white_check_mark",
        "item": {"type": "message", "channel": SUPPORT, "ts": "1764000000.000100"},
        "event_ts": "1.2",
    }
    assert "reaction_removed" not in MANIFEST["settings"]["event_subscriptions"]["bot_events"]
    assert app.event(removed)[0] == 404


def test_a_direct_message_gets_one_short_helpful_answer(app: Conventions) -> None:
    ts = app.slack.post_user_message(CLIENT, CLIENT, "hi, is anyone there? our login is broken")["ts"]
    assert (
        app.event(inbound.message_event(DM, CLIENT, "hi, is anyone there? our login is broken", ts))[0] == 200
    )
    app.wait_for(lambda: app.slack.calls_to("chat.postMessage"))
    (answer,) = app.slack.calls_to("chat.postMessage")
    assert answer.ok and answer.args["channel"] == DM
    assert "/sla help" in answer.args["text"] and answer.args["text"] == DM_ANSWER
    # a DM opens no ticket
    assert "No open tickets" in json.dumps(app.command("status", AGENT, SUPPORT))


def test_another_bots_dm_and_an_edit_are_not_answered(app: Conventions) -> None:
    # (slabot's own messages never reach a listener: Bolt drops the app's own events)
    own = {**inbound.message_event(DM, "U0OTHERBOT", "beep", "1764000000.000200"), "bot_id": "B0OTHERBOT"}
    edit = {**inbound.message_event(DM, CLIENT, "typo", "1764000000.000300"), "subtype": "message_changed"}
    assert app.event(own)[0] == 200 and app.event(edit)[0] == 200
    intake = app.runtime.services.intake
    app.wait_for(lambda: intake.count("slack", "bot") == 1 and intake.count("slack", "edited") == 1)
    assert app.slack.calls_to("chat.postMessage") == []


# ---- interaction replies: respond(), threads kept -------------------------------------------------


def _buttons(blocks: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {
        element["action_id"]: element
        for block in blocks
        if block.get("type") == "actions"
        for element in block["elements"]
    }


def _open_ticket_in_a_thread(app: Conventions) -> str:
    """A client's top-level message in the support channel opens T-1; returns the thread's ts."""
    text = "Exports have been failing since this morning"
    ts = app.slack.post_user_message(SUPPORT, CLIENT, text)["ts"]
    assert app.event(inbound.message_event(SUPPORT, CLIENT, text, ts))[0] == 200
    services = app.runtime.services
    app.wait_for(lambda: services.tickets.state_by_thread(team_id=TEAM, channel_id=SUPPORT, thread_ts=ts))
    return ts


def _click(app: Conventions, action_id: str, ref: str, thread_ts: str | None, **kw: Any) -> tuple[int, str]:
    from handlers.ids import TicketAction

    card_ts = app.slack.post_user_message(SUPPORT, AGENT, "(the card)", thread_ts=thread_ts)["ts"]
    url = app.slack.response_url(channel=SUPPORT, user=AGENT, message_ts=card_ts, thread_ts=thread_ts)
    value = TicketAction(ticket_ref=ref).encode()
    return app.post(
        inbound.block_actions(
            action_id, value, AGENT, SUPPORT, card_ts, TEAM, thread_ts=thread_ts, response_url=url, **kw
        )
    )


def test_resolve_asks_for_confirmation_first(app: Conventions) -> None:
    from handlers.ids import ActionId

    started = app.command("start P2 acme Printer on fire", AGENT, SUPPORT)
    resolve = _buttons(started["blocks"])[ActionId.RESOLVE.value]
    confirm = resolve["confirm"]
    assert confirm["title"]["text"] == "Resolve T-1?" and "survey" in confirm["text"]["text"]
    assert confirm["confirm"]["text"] == "Resolve" and confirm["deny"]["text"] == "Cancel"
    # Take it, Pause, Explain ask nothing (only Resolve and "Not a ticket" undo something for others)
    asking = {a for a, b in _buttons(started["blocks"]).items() if "confirm" in b}
    assert ActionId.TAKE_IT.value not in asking and ActionId.EXPLAIN.value not in asking


def test_a_click_in_a_thread_is_answered_in_that_thread_through_respond(app: Conventions) -> None:
    from handlers.ids import ActionId

    thread = _open_ticket_in_a_thread(app)
    assert _click(app, ActionId.EXPLAIN.value, "T-1", thread)[0] == 200
    app.wait_for(lambda: app.slack.responses)
    (answer,) = app.slack.ephemerals(SUPPORT)
    assert answer["via_response_url"] and answer["recipient"] == AGENT
    assert answer["thread_ts"] == thread  # not in the channel
    assert "T-1" in answer["text"]
    assert app.slack.calls_to("chat.postEphemeral") == []


def test_a_forged_button_value_is_answered_through_respond_too(app: Conventions) -> None:
    from handlers.ids import ActionId

    card_ts = app.slack.post_user_message(SUPPORT, AGENT, "(the card)")["ts"]
    url = app.slack.response_url(channel=SUPPORT, user=AGENT, message_ts=card_ts)
    body = inbound.block_actions(
        ActionId.RESOLVE.value, "not-ours", AGENT, SUPPORT, card_ts, response_url=url
    )
    assert app.post(body)[0] == 200
    app.wait_for(lambda: app.slack.responses)
    assert "not one of slabot's" in app.slack.responses[0]["payload"]["text"]
    assert app.slack.calls_to("chat.postEphemeral") == []


def test_a_click_in_app_home_has_no_response_url_and_is_answered_in_a_dm(app: Conventions) -> None:
    from handlers.ids import ActionId, TicketAction

    app.command("start P2 acme Printer on fire", AGENT, SUPPORT)
    payload = json.loads(
        __import__("urllib.parse").parse.parse_qs(
            inbound.block_actions(
                ActionId.EXPLAIN.value, TicketAction(ticket_ref="T-1").encode(), AGENT, "", "1.000001"
            )[0]
        )["payload"][0]
    )
    payload.pop("response_url")
    payload.pop("channel")
    payload["container"] = {"type": "view", "view_id": "V0HOME0001"}
    body = __import__("urllib.parse").parse.urlencode({"payload": json.dumps(payload)})
    assert app.post((body, inbound.FORM))[0] == 200
    app.wait_for(lambda: app.slack.calls_to("chat.postMessage"))
    (dm,) = app.slack.calls_to("chat.postMessage")
    assert dm.ok and dm.args["channel"] == AGENT and "T-1" in dm.args["text"]


# ---- the message shortcut ---------------------------------------------------------------------------


def _shortcut(app: Conventions, user: str, message: dict[str, Any]) -> tuple[int, str]:
    thread = message.get("thread_ts")
    url = app.slack.response_url(
        channel=SUPPORT, user=user, message_ts=message["ts"], thread_ts=thread or message["ts"]
    )
    return app.post(
        inbound.message_shortcut("track_as_sla_ticket", message, SUPPORT, user, TEAM, response_url=url)
    )


def test_the_shortcut_on_an_already_tracked_thread_says_which_ticket_it_is(app: Conventions) -> None:
    thread = _open_ticket_in_a_thread(app)
    reply = app.slack.post_user_message(SUPPORT, CLIENT, "any news?", thread_ts=thread)
    for message in (
        {"ts": thread, "text": "Exports have been failing", "user": CLIENT},
        {**reply, "thread_ts": thread},
    ):
        before = len(app.slack.responses)
        assert _shortcut(app, AGENT, message)[0] == 200
        app.wait_for(lambda n=before: len(app.slack.responses) == n + 1)
        text = app.slack.responses[-1]["payload"]["text"]
        assert "already tracked as *T-1*" in text and "/sla status T-1" in text
    assert app.slack.calls_to("views.open") == []  # no modal that would start a second ticket
    assert [e["thread_ts"] for e in app.slack.ephemerals(SUPPORT)] == [thread, thread]


def test_the_shortcut_on_a_new_message_opens_the_modal(app: Conventions) -> None:
    ts = app.slack.post_user_message(SUPPORT, CLIENT, "Our invoices are wrong")["ts"]
    assert _shortcut(app, AGENT, {"ts": ts, "text": "Our invoices are wrong", "user": CLIENT})[0] == 200
    app.wait_for(lambda: app.slack.calls_to("views.open"))
    assert app.slack.responses == []


def test_the_shortcut_by_a_non_agent_is_refused_through_respond(app: Conventions) -> None:
    ts = app.slack.post_user_message(SUPPORT, CLIENT, "Our invoices are wrong")["ts"]
    assert _shortcut(app, CLIENT, {"ts": ts, "text": "Our invoices are wrong", "user": CLIENT})[0] == 200
    app.wait_for(lambda: app.slack.responses)
    assert "Only support agents" in app.slack.responses[0]["payload"]["text"]
    assert app.slack.calls_to("chat.postEphemeral") == [] and app.slack.calls_to("views.open") == []


def test_a_start_modal_submitted_after_the_thread_got_tracked_opens_nothing(app: Conventions) -> None:
    from handlers.blocks.tickets import StartPrefill  # noqa: F401  (the modal's metadata shape)
    from handlers.ids import CallbackId

    ts = app.slack.post_user_message(SUPPORT, CLIENT, "Our invoices are wrong")["ts"]
    assert _shortcut(app, AGENT, {"ts": ts, "text": "Our invoices are wrong", "user": CLIENT})[0] == 200
    app.wait_for(lambda: app.slack.calls_to("views.open"))
    view = app.slack.calls_to("views.open")[0].args["view"]
    # meanwhile the client's message was delivered and opened T-1 in the same thread
    assert app.event(inbound.message_event(SUPPORT, CLIENT, "Our invoices are wrong", ts))[0] == 200
    services = app.runtime.services
    app.wait_for(lambda: services.tickets.state_by_thread(team_id=TEAM, channel_id=SUPPORT, thread_ts=ts))
    values = {
        b["block_id"]: {b["element"]["action_id"]: _filled(b["element"])}
        for b in view["blocks"]
        if b.get("type") == "input"
    }
    status, body = app.post(
        inbound.view_submission(CallbackId.START_MODAL.value, values, view.get("private_metadata", ""), AGENT)
    )
    assert status == 200 and json.loads(body)["response_action"] == "errors"
    assert "already tracked as T-1" in json.dumps(json.loads(body)["errors"])
    assert "T-2" not in json.dumps(app.command("status", AGENT, SUPPORT))


def _filled(element: dict[str, Any]) -> dict[str, Any]:
    kind = element["type"]
    if kind == "plain_text_input":
        return {"type": kind, "value": element.get("initial_value") or "Invoices wrong"}
    if kind in ("static_select", "external_select"):
        option = element.get("initial_option") or element["options"][0]
        return {"type": kind, "selected_option": option}
    if kind == "users_select":
        return {"type": kind, "selected_user": element.get("initial_user")}
    return {"type": kind}


# ---- Slack Connect: a channel shared with the client's own organisation -----------------------------

EXTERNAL, CLIENT_ORG = "U0EXTCLI01", "T0CLIENTCO"


def _external(event: dict[str, Any]) -> dict[str, Any]:
    """The event as Slack delivers it from a shared channel: the sender's team is the client's."""
    return {**event, "team": CLIENT_ORG, "user_team": CLIENT_ORG, "source_team": CLIENT_ORG}


def _from_shared_channel(app: Conventions, event: dict[str, Any]) -> tuple[int, str]:
    # the envelope names the sender's organisation; the authorization, the workspace slabot is installed in
    return app.post(
        inbound.event_callback(event, CLIENT_ORG, installed_team_id=TEAM, is_ext_shared_channel=True)
    )


def test_slack_connect_an_external_clients_message_is_a_ticket_of_the_installing_workspace(
    app: Conventions,
) -> None:
    app.slack.add_user(EXTERNAL, "pat.external")
    text = "Our SSO login loops back to the start page"
    ts = app.slack.post_user_message(SUPPORT, EXTERNAL, text)["ts"]
    assert _from_shared_channel(app, _external(inbound.message_event(SUPPORT, EXTERNAL, text, ts)))[0] == 200
    tickets = app.runtime.services.tickets
    app.wait_for(lambda: tickets.state_by_thread(team_id=TEAM, channel_id=SUPPORT, thread_ts=ts))
    state = tickets.state_by_thread(team_id=TEAM, channel_id=SUPPORT, thread_ts=ts)
    assert state.ticket.client_key == "acme" and state.ticket.requester == EXTERNAL
    # nothing under the client's organisation (its team id is not a workspace of slabot's)
    assert tickets.state_by_thread(team_id=CLIENT_ORG, channel_id=SUPPORT, thread_ts=ts) is None
    assert "SSO login" in json.dumps(app.command("status client acme", AGENT, SUPPORT))

    # our agent answers in the thread (an event of our own workspace): the first response
    reply = app.slack.post_user_message(SUPPORT, AGENT, "Looking at it", thread_ts=ts)["ts"]
    assert app.event(inbound.message_event(SUPPORT, AGENT, "Looking at it", reply, thread_ts=ts))[0] == 200
    app.wait_for(
        lambda: any(
            t.metric == "first_response" and str(t.state) == "met"
            for t in tickets.state(team_id=TEAM, ref=state.ticket.ref).timers
        )
    )
    # the external client writes again in the thread: a client message (it is not an agent of ours)
    again = app.slack.post_user_message(SUPPORT, EXTERNAL, "still looping", thread_ts=ts)["ts"]
    event = _external(inbound.message_event(SUPPORT, EXTERNAL, "still looping", again, thread_ts=ts))
    assert _from_shared_channel(app, event)[0] == 200
    app.wait_for(lambda: _kinds(app, state.ticket.id)[-1:] == ["client_message"])
    assert _kinds(app, state.ticket.id).count("agent_message") == 1


def _kinds(app: Conventions, ticket_id: int) -> list[str]:
    from sqlalchemy import select

    from storage.models import TicketEventRow

    with app.runtime.services.uow.begin(read_only=True) as tx:
        rows = tx.session.scalars(
            select(TicketEventRow.kind)
            .where(TicketEventRow.ticket_id == ticket_id)
            .order_by(TicketEventRow.seq)
        )
        return [str(kind) for kind in rows]


def test_slack_connect_the_bot_answers_with_the_installing_workspaces_token(app: Conventions) -> None:
    """A thread note for the shared channel's ticket goes out through our workspace's client."""
    app.slack.add_user(EXTERNAL, "pat.external")
    text = "Webhooks stopped arriving"
    ts = app.slack.post_user_message(SUPPORT, EXTERNAL, text)["ts"]
    assert _from_shared_channel(app, _external(inbound.message_event(SUPPORT, EXTERNAL, text, ts)))[0] == 200
    app.wait_for(lambda: len(app.slack.thread(SUPPORT, ts)) >= 2, deliver=True)
    note = app.slack.thread(SUPPORT, ts)[-1]
    assert "T-1" in note["text"] and note["user"] == "U0SLABOT01"


def test_when_the_response_url_fails_the_answer_still_comes_in_the_thread(app: Conventions) -> None:
    from handlers.ids import ActionId, TicketAction

    thread = _open_ticket_in_a_thread(app)
    card_ts = app.slack.post_user_message(SUPPORT, AGENT, "(the card)", thread_ts=thread)["ts"]
    dead = app.slack.root_url + "response/R-expired"  # answers 404, as an expired response URL does
    value = TicketAction(ticket_ref="T-1").encode()
    body = inbound.block_actions(
        ActionId.EXPLAIN.value, value, AGENT, SUPPORT, card_ts, TEAM, thread_ts=thread, response_url=dead
    )
    assert app.post(body)[0] == 200
    app.wait_for(lambda: app.slack.calls_to("chat.postEphemeral"))
    (fallback,) = app.slack.calls_to("chat.postEphemeral")
    assert fallback.ok and fallback.args["thread_ts"] == thread and fallback.args["user"] == AGENT
    assert "T-1" in fallback.args["text"]
