"""The Slack emulator through the real slack_sdk.WebClient: state, Slack's errors, Block Kit limits, files, recording."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.clock import ManualClock
from bot.emulator import UPLOAD_CALL, SlackEmulator, check_blocks

ACME = "C0ACME0001"
OLD = "C0OLD00001"
AGENT = "U0AGENT001"
CLIENT = "U0CLIENT01"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(256)) * 4
METADATA = {"event_type": "sla_alert", "event_payload": {"key": "T-12:first_response:1:75%"}}


@pytest.fixture
def slack(clock: ManualClock) -> Iterator[SlackEmulator]:
    with SlackEmulator(clock=clock) as emulator:
        emulator.add_user(AGENT, "ana", real_name="Ana Agent", email="ana@support.example")
        emulator.add_user(CLIENT, "carl", real_name="Carl Client", email="carl@acme.example")
        emulator.add_usergroup("S0AGENTS01", "support-agents", [AGENT])
        emulator.add_channel(ACME, "support-acme", members=[AGENT, CLIENT])
        emulator.add_channel(OLD, "support-old", archived=True)
        yield emulator


@pytest.fixture
def client(slack: SlackEmulator) -> WebClient:
    return WebClient(base_url=slack.url, token="xoxb-test")


def slack_error(call: Any) -> SlackApiError:
    with pytest.raises(SlackApiError) as raised:
        call()
    return raised.value


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


# --- messages ---------------------------------------------------------------------------------


def test_post_message_returns_the_message_and_records_decoded_blocks_and_metadata(
    client: WebClient, slack: SlackEmulator, clock: ManualClock
) -> None:
    blocks = [section("*T-12* first response due in 15m")]
    response = client.chat_postMessage(channel=ACME, text="T-12 due soon", blocks=blocks, metadata=METADATA)
    assert response["channel"] == ACME
    assert response["ts"] == f"{int(clock.now().timestamp())}.000000"
    assert response["message"]["text"] == "T-12 due soon"
    assert response["message"]["bot_id"] == slack.bot_id
    [call] = slack.calls_to("chat.postMessage")
    assert call.args["blocks"] == blocks
    assert call.args["metadata"] == METADATA
    assert call.at == clock.now()
    assert call.headers["Authorization"] == "Bearer xoxb-test"
    assert call.ok and call.response["ts"] == response["ts"]
    assert [m["text"] for m in slack.messages(ACME)] == ["T-12 due soon"]


def test_form_encoded_json_fields_are_decoded_like_json_bodies(
    client: WebClient, slack: SlackEmulator
) -> None:
    blocks = [section("hello")]
    client.api_call("chat.postMessage", params={"channel": ACME, "blocks": json.dumps(blocks), "text": "x"})
    assert slack.calls_to("chat.postMessage")[0].args["blocks"] == blocks
    assert slack.messages(ACME)[0]["blocks"] == blocks


def test_channel_may_be_named_and_a_user_id_posts_into_the_dm(
    client: WebClient, slack: SlackEmulator
) -> None:
    assert client.chat_postMessage(channel="#support-acme", text="by name")["channel"] == ACME
    dm = client.chat_postMessage(channel=AGENT, text="psst")["channel"]
    assert dm.startswith("D")
    assert client.conversations_open(users=AGENT)["channel"]["id"] == dm


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")
def test_message_needs_text_blocks_or_attachments(client: WebClient) -> None:
    assert slack_error(lambda: client.chat_postMessage(channel=ACME)).response["error"] == "no_text"


def test_text_over_40000_characters_is_too_long(client: WebClient) -> None:
    error = slack_error(lambda: client.chat_postMessage(channel=ACME, text="x" * 40_001))
    assert error.response["error"] == "msg_too_long"


def test_thread_replies_update_the_parent_and_come_back_from_conversations_replies(
    client: WebClient, slack: SlackEmulator
) -> None:
    parent = slack.post_user_message(ACME, CLIENT, "The export is broken")
    client.chat_postMessage(channel=ACME, thread_ts=parent["ts"], text="Ticket T-1 opened")
    client.chat_postMessage(channel=ACME, thread_ts=parent["ts"], text="Looking into it")
    replies = client.conversations_replies(channel=ACME, ts=parent["ts"])["messages"]
    assert [m["text"] for m in replies] == ["The export is broken", "Ticket T-1 opened", "Looking into it"]
    assert replies[0]["reply_count"] == 2 and replies[0]["reply_users"] == [slack.bot_user_id]
    history = client.conversations_history(channel=ACME)["messages"]
    assert [m["text"] for m in history] == ["The export is broken"]  # replies stay in the thread
    error = slack_error(lambda: client.conversations_replies(channel=ACME, ts="1.000000"))
    assert error.response["error"] == "thread_not_found"
    nested = client.chat_postMessage(channel=ACME, thread_ts=replies[1]["ts"], text="nested")
    assert nested["message"]["thread_ts"] == parent["ts"]  # a reply to a reply joins the root's thread
    error = slack_error(lambda: client.chat_postMessage(channel=ACME, thread_ts="1.000000", text="x"))
    assert error.response["error"] == "thread_not_found"


def test_history_filters_by_oldest_pages_by_limit_and_shows_metadata_only_on_request(
    client: WebClient, slack: SlackEmulator, clock: ManualClock
) -> None:
    sent = []
    for i in range(5):
        sent.append(client.chat_postMessage(channel=ACME, text=f"m{i}", metadata=METADATA)["ts"])
        clock.advance(timedelta(seconds=1))
    newest_first = client.conversations_history(channel=ACME)["messages"]
    assert [m["ts"] for m in newest_first] == sent[::-1]
    assert all("metadata" not in m for m in newest_first)
    with_meta = client.conversations_history(channel=ACME, include_all_metadata=True, oldest=sent[2])
    assert [m["text"] for m in with_meta["messages"]] == ["m4", "m3"]
    assert with_meta["messages"][0]["metadata"] == METADATA
    first = client.conversations_history(channel=ACME, limit=2)
    assert [m["text"] for m in first["messages"]] == ["m4", "m3"] and first["has_more"]
    second = client.conversations_history(
        channel=ACME, limit=2, cursor=first["response_metadata"]["next_cursor"]
    )
    assert [m["text"] for m in second["messages"]] == ["m2", "m1"]


def test_update_changes_a_message_in_place_and_needs_it_to_exist(
    client: WebClient, slack: SlackEmulator
) -> None:
    ts = client.chat_postMessage(channel=ACME, text="T-12: 1h left")["ts"]
    updated = client.chat_update(channel=ACME, ts=ts, text="T-12: 30m left", metadata=METADATA)
    assert updated["ts"] == ts and updated["message"]["edited"]["user"] == slack.bot_user_id
    [message] = slack.messages(ACME)
    assert message["text"] == "T-12: 30m left" and message["metadata"] == METADATA
    error = slack_error(lambda: client.chat_update(channel=ACME, ts="1700000000.000001", text="x"))
    assert error.response["error"] == "message_not_found"


def test_bot_cannot_edit_or_delete_a_persons_message(client: WebClient, slack: SlackEmulator) -> None:
    theirs = slack.post_user_message(ACME, CLIENT, "help")
    assert slack_error(lambda: client.chat_update(channel=ACME, ts=theirs["ts"], text="x")).response[
        "error"
    ] == ("cant_update_message")
    assert slack_error(lambda: client.chat_delete(channel=ACME, ts=theirs["ts"])).response["error"] == (
        "cant_delete_message"
    )


def test_delete_removes_the_message(client: WebClient, slack: SlackEmulator) -> None:
    ts = client.chat_postMessage(channel=ACME, text="oops")["ts"]
    assert client.chat_delete(channel=ACME, ts=ts)["ts"] == ts
    assert slack.messages(ACME) == []
    assert (
        slack_error(lambda: client.chat_delete(channel=ACME, ts=ts)).response["error"] == "message_not_found"
    )


def test_ephemeral_messages_are_recorded_but_not_in_history(client: WebClient, slack: SlackEmulator) -> None:
    response = client.chat_postEphemeral(channel=ACME, user=AGENT, text="Only you can see this")
    assert response["message_ts"]
    assert slack.messages(ACME) == []
    [ephemeral] = slack.ephemerals(ACME)
    assert ephemeral["recipient"] == AGENT and ephemeral["text"] == "Only you can see this"
    assert slack_error(lambda: client.chat_postEphemeral(channel=ACME, user="U0NOBODY01", text="x")).response[
        "error"
    ] == ("user_not_found")


def test_permalink_points_at_the_message_and_its_thread(client: WebClient, slack: SlackEmulator) -> None:
    parent = client.chat_postMessage(channel=ACME, text="parent")["ts"]
    reply = client.chat_postMessage(channel=ACME, text="reply", thread_ts=parent)["ts"]
    link = client.chat_getPermalink(channel=ACME, message_ts=parent)["permalink"]
    assert link == f"https://{slack.team_domain}.slack.com/archives/{ACME}/p{parent.replace('.', '')}"
    reply_link = client.chat_getPermalink(channel=ACME, message_ts=reply)["permalink"]
    assert reply_link.endswith(f"?thread_ts={parent}&cid={ACME}")


def test_reactions_are_added_once_and_removed(client: WebClient, slack: SlackEmulator) -> None:
    ts = slack.post_user_message(ACME, CLIENT, "fixed, thanks")["ts"]
    client.reactions_add(channel=ACME, timestamp=ts, name="white_check_mark")
    assert slack.messages(ACME)[0]["reactions"] == [
        {"name": "white_check_mark", "users": [slack.bot_user_id], "count": 1}
    ]
    error = slack_error(lambda: client.reactions_add(channel=ACME, timestamp=ts, name="white_check_mark"))
    assert error.response["error"] == "already_reacted"
    client.reactions_remove(channel=ACME, timestamp=ts, name="white_check_mark")
    assert "reactions" not in slack.messages(ACME)[0] or slack.messages(ACME)[0]["reactions"] == []
    error = slack_error(lambda: client.reactions_remove(channel=ACME, timestamp=ts, name="white_check_mark"))
    assert error.response["error"] == "no_reaction"


# --- channels, auth and the workspace ----------------------------------------------------------


def test_unknown_channel_is_channel_not_found(client: WebClient) -> None:
    error = slack_error(lambda: client.chat_postMessage(channel="C0NOWHERE1", text="x"))
    assert error.response["error"] == "channel_not_found"


def test_archived_channel_is_is_archived(client: WebClient) -> None:
    assert (
        slack_error(lambda: client.chat_postMessage(channel=OLD, text="x")).response["error"] == "is_archived"
    )


def test_not_in_channel_until_the_bot_joins(client: WebClient, slack: SlackEmulator) -> None:
    slack.remove_bot_from(ACME)
    assert slack_error(lambda: client.chat_postMessage(channel=ACME, text="x")).response["error"] == (
        "not_in_channel"
    )
    assert (
        slack_error(lambda: client.conversations_history(channel=ACME)).response["error"] == "not_in_channel"
    )
    assert client.conversations_info(channel=ACME)["channel"]["is_member"] is False
    client.conversations_join(channel=ACME)
    assert client.chat_postMessage(channel=ACME, text="hello")["ok"]


def test_channel_info_and_members(client: WebClient, slack: SlackEmulator) -> None:
    info = client.conversations_info(channel=ACME)["channel"]
    assert info["name"] == "support-acme" and info["is_member"] and not info["is_archived"]
    members = client.conversations_members(channel=ACME)["members"]
    assert set(members) == {AGENT, CLIENT, slack.bot_user_id}


def test_missing_token_is_not_authed() -> None:
    with SlackEmulator() as slack:
        error = slack_error(lambda: WebClient(base_url=slack.url).auth_test())
    assert error.response["error"] == "not_authed"


def test_unknown_token_is_invalid_auth_when_tokens_are_configured() -> None:
    with SlackEmulator(tokens=["xoxb-good"]) as slack:
        error = slack_error(lambda: WebClient(base_url=slack.url, token="xoxb-bad").auth_test())
        assert error.response["error"] == "invalid_auth"
        assert WebClient(base_url=slack.url, token="xoxb-good").auth_test()["user_id"] == slack.bot_user_id


def test_token_may_be_passed_as_an_argument(slack: SlackEmulator) -> None:
    response = WebClient(base_url=slack.url).api_call("auth.test", params={"token": "xoxb-test"})
    assert response["team_id"] == slack.team_id
    assert "token" not in slack.calls[-1].args


def test_workspace_lookups(client: WebClient, slack: SlackEmulator) -> None:
    assert client.team_info()["team"]["id"] == slack.team_id
    assert client.users_info(user=AGENT)["user"]["real_name"] == "Ana Agent"
    assert client.users_lookupByEmail(email="carl@acme.example")["user"]["id"] == CLIENT
    assert {u["id"] for u in client.users_list()["members"]} == {AGENT, CLIENT, slack.bot_user_id}
    assert client.usergroups_users_list(usergroup="S0AGENTS01")["users"] == [AGENT]
    assert client.usergroups_list()["usergroups"][0]["handle"] == "support-agents"
    assert slack_error(lambda: client.users_info(user="U0NOBODY01")).response["error"] == "user_not_found"
    assert (
        slack_error(lambda: client.users_lookupByEmail(email="x@y.z")).response["error"] == "users_not_found"
    )
    assert slack_error(lambda: client.usergroups_users_list(usergroup="S0NONE")).response["error"] == (
        "no_such_subteam"
    )


# --- views -------------------------------------------------------------------------------------


def test_home_view_is_published_and_replaced(client: WebClient, slack: SlackEmulator) -> None:
    first = client.views_publish(user_id=AGENT, view={"type": "home", "blocks": [section("2 open tickets")]})
    second = client.views_publish(user_id=AGENT, view={"type": "home", "blocks": [section("1 open ticket")]})
    assert first["view"]["id"] == second["view"]["id"]
    home = slack.home_view(AGENT)
    assert home is not None and home["blocks"] == [section("1 open ticket")]


def test_view_without_blocks_or_with_the_wrong_type_is_invalid_arguments(client: WebClient) -> None:
    error = slack_error(lambda: client.views_publish(user_id=AGENT, view={"type": "home"}))
    assert error.response["error"] == "invalid_arguments"
    assert error.response["response_metadata"]["messages"] == [
        "[ERROR] missing required field: blocks [json-pointer:/view]"
    ]
    modal = {"type": "modal", "title": {"type": "plain_text", "text": "x"}, "blocks": []}
    assert slack_error(lambda: client.views_publish(user_id=AGENT, view=modal)).response["error"] == (
        "invalid_arguments"
    )


def test_modal_needs_a_trigger_and_can_be_updated_and_pushed(client: WebClient, slack: SlackEmulator) -> None:
    modal = {
        "type": "modal",
        "callback_id": "ticket_start",
        "title": {"type": "plain_text", "text": "Track as SLA ticket"},
        "blocks": [section("Priority?")],
    }
    assert slack_error(lambda: client.views_open(trigger_id="", view=modal)).response["error"] == (
        "invalid_trigger_id"
    )
    opened = client.views_open(trigger_id="123.456.abc", view=modal)["view"]
    assert opened["callback_id"] == "ticket_start"
    updated = client.views_update(view_id=opened["id"], view={**modal, "blocks": [section("P1?")]})["view"]
    assert updated["id"] == opened["id"] and slack.views[opened["id"]]["blocks"] == [section("P1?")]
    error = slack_error(lambda: client.views_update(view_id=opened["id"], hash="stale", view=modal))
    assert error.response["error"] == "hash_conflict"
    assert (
        slack_error(lambda: client.views_update(view_id="V0NONE", view=modal)).response["error"]
        == "not_found"
    )
    assert client.views_push(trigger_id="123.456.abd", view=modal)["view"]["id"] != opened["id"]
    long_title = {**modal, "title": {"type": "plain_text", "text": "x" * 25}}
    error = slack_error(lambda: client.views_open(trigger_id="1.2.3", view=long_title))
    assert error.response["response_metadata"]["messages"] == [
        "[ERROR] must be less than 25 characters [json-pointer:/view/title/text]"
    ]


# --- Block Kit limits -------------------------------------------------------------------------

BUTTON = {
    "type": "button",
    "text": {"type": "plain_text", "text": "Take it"},
    "action_id": "take",
    "value": "T-1",
}


@pytest.mark.parametrize(
    ("blocks", "message"),
    [
        ([section("x")] * 51, "[ERROR] no more than 50 items allowed [json-pointer:/blocks]"),
        (
            [section("x" * 3001)],
            "[ERROR] must be less than 3001 characters [json-pointer:/blocks/0/text/text]",
        ),
        (
            [{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}],
            "[ERROR] must be less than 151 characters [json-pointer:/blocks/0/text/text]",
        ),
        (
            [{"type": "actions", "elements": [{**BUTTON, "text": {"type": "plain_text", "text": "b" * 76}}]}],
            "[ERROR] must be less than 76 characters [json-pointer:/blocks/0/elements/0/text/text]",
        ),
        (
            [{"type": "actions", "elements": [{**BUTTON, "action_id": "a" * 256}]}],
            "[ERROR] must be less than 256 characters [json-pointer:/blocks/0/elements/0/action_id]",
        ),
        (
            [{**section("x"), "block_id": "b" * 256}],
            "[ERROR] must be less than 256 characters [json-pointer:/blocks/0/block_id]",
        ),
        (
            [{**section("x"), "accessory": {**BUTTON, "text": {"type": "plain_text", "text": "b" * 76}}}],
            "[ERROR] must be less than 76 characters [json-pointer:/blocks/0/accessory/text/text]",
        ),
        (
            [{"type": "section", "fields": [{"type": "mrkdwn", "text": "f"}] * 11}],
            "[ERROR] no more than 10 items allowed [json-pointer:/blocks/0/fields]",
        ),
        (
            [{"text": {"type": "mrkdwn", "text": "no type"}}],
            "[ERROR] missing required field: type [json-pointer:/blocks/0]",
        ),
    ],
)
def test_block_kit_limits_answer_invalid_blocks(
    client: WebClient, slack: SlackEmulator, blocks: list[dict[str, Any]], message: str
) -> None:
    error = slack_error(lambda: client.chat_postMessage(channel=ACME, text="x", blocks=blocks))
    assert error.response["error"] == "invalid_blocks"
    assert error.response["response_metadata"]["messages"] == [message]
    assert slack.messages(ACME) == []


def test_blocks_at_the_limits_are_accepted(client: WebClient) -> None:
    at_limit = [section("x" * 3000)] * 49 + [
        {
            "type": "actions",
            "block_id": "b" * 255,
            "elements": [{**BUTTON, "text": {"type": "plain_text", "text": "b" * 75}}],
        }
    ]
    assert check_blocks(at_limit) == []
    assert client.chat_postMessage(channel=ACME, text="x", blocks=at_limit)["ok"]


def test_views_allow_100_blocks_but_not_101(client: WebClient) -> None:
    assert client.views_publish(user_id=AGENT, view={"type": "home", "blocks": [section("x")] * 100})["ok"]
    error = slack_error(
        lambda: client.views_publish(user_id=AGENT, view={"type": "home", "blocks": [section("x")] * 101})
    )
    assert error.response["error"] == "invalid_arguments"
    assert error.response["response_metadata"]["messages"] == [
        "[ERROR] no more than 100 items allowed [json-pointer:/view/blocks]"
    ]


# --- files ------------------------------------------------------------------------------------


def test_files_upload_v2_runs_all_three_steps_and_keeps_the_bytes(
    client: WebClient, slack: SlackEmulator
) -> None:
    response = client.files_upload_v2(
        channel=ACME,
        content=PNG,
        filename="compliance-2026-W10.png",
        title="Compliance W10",
        initial_comment="Weekly",
    )
    assert response["file"]["title"] == "Compliance W10" and response["file"]["mimetype"] == "image/png"
    assert [c.method for c in slack.calls] == [
        "files.getUploadURLExternal",
        UPLOAD_CALL,
        "files.completeUploadExternal",
    ]
    assert slack.calls_to("files.getUploadURLExternal")[0].args["length"] in (len(PNG), str(len(PNG)))
    [uploaded] = slack.files
    assert uploaded.content == PNG and uploaded.content.startswith(b"\x89PNG")
    assert (uploaded.size, uploaded.channel, uploaded.initial_comment) == (len(PNG), ACME, "Weekly")
    [message] = slack.messages(ACME)
    assert message["text"] == "Weekly" and message["files"][0]["id"] == uploaded.id


def test_completing_an_upload_that_never_happened_is_file_not_found(client: WebClient) -> None:
    file_id = client.files_getUploadURLExternal(filename="a.csv", length=3)["file_id"]
    error = slack_error(lambda: client.files_completeUploadExternal(files=[{"id": file_id}], channel_id=ACME))
    assert error.response["error"] == "file_not_found"


def test_upload_to_an_unknown_channel_is_channel_not_found(client: WebClient) -> None:
    error = slack_error(
        lambda: client.files_upload_v2(channel="C0NOWHERE1", content=b"a,b\n", filename="r.csv")
    )
    assert error.response["error"] == "channel_not_found"


# --- recording --------------------------------------------------------------------------------


def test_transcript_writes_every_call_as_a_json_line(tmp_path: Path, clock: ManualClock) -> None:
    path = tmp_path / "transcript.jsonl"
    with SlackEmulator(clock=clock, transcript=path) as slack:
        slack.add_channel(ACME, "support-acme")
        client = WebClient(base_url=slack.url, token="xoxb-secret")
        client.chat_postMessage(channel=ACME, text="hello", metadata=METADATA)
        slack_error(lambda: client.chat_postMessage(channel="C0NOWHERE1", text="x"))
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert [(line["method"], line["response"]["ok"]) for line in lines] == [
        ("chat.postMessage", True),
        ("chat.postMessage", False),
    ]
    assert lines[0]["args"]["metadata"] == METADATA and lines[0]["time"] == clock.now().isoformat()
    assert lines[1]["response"]["error"] == "channel_not_found"
    assert "xoxb-secret" not in path.read_text(encoding="utf-8")


def test_clear_forgets_calls_and_content_but_keeps_the_workspace(
    client: WebClient, slack: SlackEmulator
) -> None:
    client.chat_postMessage(channel=ACME, text="hello")
    slack.fail_next("auth.test")
    slack.clear()
    assert slack.calls == [] and slack.messages(ACME) == []
    assert client.auth_test()["ok"]
    assert client.conversations_info(channel=ACME)["channel"]["name"] == "support-acme"


def test_eight_threads_posting_at_once_get_distinct_increasing_ts(
    client: WebClient, slack: SlackEmulator
) -> None:
    barrier = threading.Barrier(8)
    results: dict[int, str] = {}

    def post(i: int) -> None:
        barrier.wait()
        results[i] = WebClient(base_url=slack.url, token="xoxb-test").chat_postMessage(
            channel=ACME, text=str(i)
        )["ts"]

    threads = [threading.Thread(target=post, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert len(set(results.values())) == 8
    history = slack.messages(ACME)
    assert [m["ts"] for m in history] == sorted(results.values(), key=float)
    assert sorted(int(m["text"]) for m in history) == list(range(8))
    # All posted at the same ManualClock instant: ts still strictly increase, microsecond by microsecond.
    assert [float(m["ts"]) for m in history] == sorted({float(m["ts"]) for m in history})
