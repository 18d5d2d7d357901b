"""Requests as Slack sends them to the app: signing, payload shapes, and delivery to a real Bolt app over HTTP."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient
from slack_sdk.signature import SignatureVerifier

from bot.emulator import SlackEmulator, inbound, sign_request
from bot.emulator.spec import REPO_ROOT

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
ACME = "C0ACME0001"
AGENT = "U0AGENT001"
EVENT_WRAPPER_SCHEMA = (
    REPO_ROOT.parent / "shared" / "slack-api-specs" / "events-api" / "slack_common_event_wrapper_schema.json"
)


class _FixedClock:
    def __init__(self, now: float) -> None:
        self._now = now

    def now(self) -> float:
        return self._now


# --- signing ----------------------------------------------------------------------------------


def test_signature_matches_slacks_documented_example() -> None:
    # https://api.slack.com/authentication/verifying-requests-from-slack (worked example)
    body = (
        "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V"
        "&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text="
        "&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN"
        "&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
    )
    assert sign_request(SECRET, body, 1531420618) == {
        "X-Slack-Request-Timestamp": "1531420618",
        "X-Slack-Signature": "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503",
    }


def test_slack_sdk_verifier_accepts_our_signature_and_rejects_tampering_and_old_timestamps() -> None:
    body, _ = inbound.slash_command("status T-12", AGENT, ACME)
    headers = sign_request(SECRET, body, 1_772_442_000)
    verifier = SignatureVerifier(SECRET, clock=_FixedClock(1_772_442_000 + 10))
    assert verifier.is_valid_request(body, headers)
    assert verifier.is_valid_request(body.encode(), sign_request(SECRET, body.encode(), 1_772_442_000))
    assert not verifier.is_valid_request(body.replace("T-12", "T-13"), headers)
    assert not SignatureVerifier("another-secret", clock=_FixedClock(1_772_442_000)).is_valid_request(
        body, headers
    )
    late = SignatureVerifier(SECRET, clock=_FixedClock(1_772_442_000 + 6 * 60))
    assert not late.is_valid_request(body, headers)


def test_default_timestamp_is_now() -> None:
    headers = sign_request(SECRET, "x")
    assert abs(int(headers["X-Slack-Request-Timestamp"]) - time.time()) < 5
    assert SignatureVerifier(SECRET).is_valid_request("x", headers)


# --- payload shapes -----------------------------------------------------------------------------


def payload_of(body: str) -> dict[str, Any]:
    return json.loads(parse_qs(body)["payload"][0])


def test_slash_command_is_form_encoded_with_slacks_fields() -> None:
    body, content_type = inbound.slash_command(
        "status T-12", AGENT, ACME, response_url="https://r", trigger_id="1.2.3"
    )
    fields = {k: v[0] for k, v in parse_qs(body, keep_blank_values=True).items()}
    assert content_type == "application/x-www-form-urlencoded"
    assert fields["command"] == "/sla" and fields["text"] == "status T-12"
    assert (fields["user_id"], fields["channel_id"], fields["team_id"]) == (
        AGENT,
        ACME,
        inbound.DEFAULT_TEAM_ID,
    )
    assert (fields["response_url"], fields["trigger_id"]) == ("https://r", "1.2.3")
    assert {"token", "team_domain", "channel_name", "user_name", "api_app_id"} <= fields.keys()


def test_block_actions_payload() -> None:
    body, _ = inbound.block_actions(
        "ticket_take", "T-12", AGENT, ACME, "1772442000.000100", trigger_id="9.9.9", block_id="ticket_actions"
    )
    payload = payload_of(body)
    assert payload["type"] == "block_actions" and payload["trigger_id"] == "9.9.9"
    assert payload["container"] == {
        "type": "message",
        "message_ts": "1772442000.000100",
        "channel_id": ACME,
        "is_ephemeral": False,
    }
    [action] = payload["actions"]
    assert (action["action_id"], action["block_id"], action["value"]) == (
        "ticket_take",
        "ticket_actions",
        "T-12",
    )
    assert payload["user"]["id"] == AGENT and payload["team"]["id"] == inbound.DEFAULT_TEAM_ID


def test_view_submission_and_message_shortcut_payloads() -> None:
    values = {"priority": {"choose": {"type": "static_select", "selected_option": {"value": "P1"}}}}
    view = payload_of(inbound.view_submission("ticket_start", values, '{"channel":"C0ACME0001"}', AGENT)[0])
    assert view["type"] == "view_submission"
    assert view["view"]["callback_id"] == "ticket_start" and view["view"]["state"]["values"] == values
    assert view["view"]["private_metadata"] == '{"channel":"C0ACME0001"}'
    message = {"ts": "1772442000.000100", "user": "U0CLIENT01", "text": "export broken"}
    shortcut = payload_of(inbound.message_shortcut("track_ticket", message, ACME, AGENT)[0])
    assert shortcut["type"] == "message_action" and shortcut["callback_id"] == "track_ticket"
    assert shortcut["message_ts"] == message["ts"] and shortcut["message"]["text"] == "export broken"
    assert shortcut["channel"]["id"] == ACME


def test_event_envelope_has_every_field_the_events_api_schema_requires() -> None:
    if not EVENT_WRAPPER_SCHEMA.is_file():
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but {EVENT_WRAPPER_SCHEMA} is missing")
        pytest.skip(
            f"../shared is absent ({EVENT_WRAPPER_SCHEMA} not found): cannot check the event envelope"
        )
    schema = json.loads(EVENT_WRAPPER_SCHEMA.read_text(encoding="utf-8"))
    event = inbound.message_event(ACME, "U0CLIENT01", "help", "1772442000.000100")
    body, content_type = inbound.event_callback(event, event_id="Ev123", event_time=1772442000)
    envelope = json.loads(body)
    assert content_type == "application/json"
    assert set(schema["required"]) <= envelope.keys()
    assert set(schema["properties"]["event"]["required"]) <= envelope["event"].keys()
    assert envelope["authorizations"][0]["team_id"] == inbound.DEFAULT_TEAM_ID
    assert envelope["event_context"] and envelope["api_app_id"] == inbound.DEFAULT_APP_ID
    assert (envelope["event_id"], envelope["event_time"]) == ("Ev123", 1772442000)


def test_event_helpers() -> None:
    reply = inbound.message_event(ACME, AGENT, "on it", "2.000000", thread_ts="1.000000")
    assert reply["thread_ts"] == "1.000000" and reply["channel_type"] == "channel"
    reaction = inbound.reaction_added_event(AGENT, ":white_check_mark:", ACME, "1.000000")
    assert reaction["reaction"] == "white_check_mark" and reaction["item"] == {
        "type": "message",
        "channel": ACME,
        "ts": "1.000000",
    }
    home = inbound.app_home_opened_event(AGENT)
    assert home["type"] == "app_home_opened" and home["tab"] == "home" and home["channel"].startswith("D")


# --- through a real Bolt app over HTTP ----------------------------------------------------------


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        return


@pytest.fixture
def bolt_app() -> Iterator[tuple[str, SlackEmulator, list[tuple[str, Any]]]]:
    seen: list[tuple[str, Any]] = []
    with SlackEmulator() as slack:
        slack.add_channel(ACME, "support-acme")
        slack.add_user(AGENT, "ana")
        app = App(
            signing_secret=SECRET,
            client=WebClient(base_url=slack.url, token="xoxb-test"),
            process_before_response=True,
        )

        @app.command("/sla")
        def sla(ack: Any, command: dict[str, Any], client: WebClient) -> None:
            ack(f"got {command['text']}")
            seen.append(("command", command))
            client.chat_postMessage(channel=command["channel_id"], text=f"status of {command['text']}")

        @app.action("ticket_take")
        def take(ack: Any, body: dict[str, Any]) -> None:
            ack()
            seen.append(("action", body))

        @app.view("ticket_start")
        def submit(ack: Any, view: dict[str, Any]) -> None:
            ack()
            seen.append(("view", view))

        @app.shortcut("track_ticket")
        def track(ack: Any, shortcut: dict[str, Any]) -> None:
            ack()
            seen.append(("shortcut", shortcut))

        @app.event("message")
        def message(event: dict[str, Any]) -> None:
            seen.append(("message", event))

        @app.event("app_home_opened")
        def home(event: dict[str, Any], client: WebClient) -> None:
            client.views_publish(user_id=event["user"], view={"type": "home", "blocks": []})

        server: WSGIServer = make_server(
            "127.0.0.1", 0, SlackRequestHandler(app), handler_class=_QuietHandler
        )
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_port}", slack, seen
        finally:
            server.shutdown()
            server.server_close()


def test_signed_slash_command_reaches_bolt_and_its_answer_reaches_the_emulator(
    bolt_app: tuple[str, SlackEmulator, list[tuple[str, Any]]],
) -> None:
    url, slack, seen = bolt_app
    status, headers, body = inbound.post_to_app(
        url, *inbound.slash_command("status T-12", AGENT, ACME), SECRET
    )
    assert status == 200 and body == "got status T-12"
    assert seen[0][1]["text"] == "status T-12"
    assert [m["text"] for m in slack.messages(ACME)] == ["status of status T-12"]


def test_forged_or_stale_requests_are_refused_with_401(
    bolt_app: tuple[str, SlackEmulator, list[tuple[str, Any]]],
) -> None:
    url, _, seen = bolt_app
    body, content_type = inbound.slash_command("status", AGENT, ACME)
    assert inbound.post_to_app(url, body, content_type, "wrong-secret")[0] == 401
    assert inbound.post_to_app(url, body, content_type, SECRET, timestamp=int(time.time()) - 600)[0] == 401
    assert seen == []


def test_interactivity_and_events_reach_their_listeners(
    bolt_app: tuple[str, SlackEmulator, list[tuple[str, Any]]],
) -> None:
    url, slack, seen = bolt_app
    requests = [
        inbound.block_actions("ticket_take", "T-12", AGENT, ACME, "1772442000.000100"),
        inbound.view_submission(
            "ticket_start", {"b": {"a": {"type": "plain_text_input", "value": "x"}}}, "", AGENT
        ),
        inbound.message_shortcut("track_ticket", {"ts": "1772442000.000100", "text": "help"}, ACME, AGENT),
        inbound.event_callback(inbound.message_event(ACME, "U0CLIENT01", "help", "1772442000.000200")),
        inbound.event_callback(inbound.app_home_opened_event(AGENT)),
    ]
    statuses = [
        inbound.post_to_app(url + "/slack/events", body, ctype, SECRET)[0] for body, ctype in requests
    ]
    assert statuses == [200] * 5
    assert [kind for kind, _ in seen] == ["action", "view", "shortcut", "message"]
    assert seen[0][1]["actions"][0]["value"] == "T-12"
    assert seen[3][1]["text"] == "help"
    assert slack.home_view(AGENT) is not None


def test_retried_event_carries_slacks_retry_headers(
    bolt_app: tuple[str, SlackEmulator, list[tuple[str, Any]]],
) -> None:
    url, _, seen = bolt_app
    body, ctype = inbound.event_callback(
        inbound.message_event(ACME, "U0CLIENT01", "again", "1772442000.000300")
    )
    status, _, _ = inbound.post_to_app(url, body, ctype, SECRET, retry_num=1)
    assert status == 200
    assert seen[-1][1]["text"] == "again"
