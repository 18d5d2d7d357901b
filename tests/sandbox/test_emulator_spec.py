"""The emulator's method table: derived from Slack's OpenAPI spec, shipped in the package, allow-listed sparingly."""

from __future__ import annotations

import inspect
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.web.slack_response import SlackResponse

from bot.emulator import SlackEmulator
from bot.emulator.spec import (
    EXTRA_ARGS,
    EXTRA_METHODS,
    SHARED_SPEC,
    SHIPPED_METHODS,
    SPEC_ENV,
    extract_methods,
    load_methods,
    render_shipped,
    spec_source,
)

# WebClient methods slabot calls (the app, the notifier, reports, the demo).
USED_METHODS = (
    "auth_test",
    "team_info",
    "users_info",
    "users_list",
    "users_lookupByEmail",
    "usergroups_list",
    "usergroups_users_list",
    "conversations_info",
    "conversations_members",
    "conversations_join",
    "conversations_open",
    "conversations_history",
    "conversations_replies",
    "chat_postMessage",
    "chat_update",
    "chat_delete",
    "chat_postEphemeral",
    "chat_getPermalink",
    "reactions_add",
    "reactions_remove",
    "views_publish",
    "views_open",
    "views_update",
    "views_push",
    "files_getUploadURLExternal",
    "files_completeUploadExternal",
)


def shared_spec() -> dict[str, Any]:
    if not SHARED_SPEC.is_file():
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but Slack's Web API spec is missing at {SHARED_SPEC}")
        pytest.skip(f"../shared is absent ({SHARED_SPEC} not found): cannot compare against Slack's spec")
    return json.loads(SHARED_SPEC.read_text(encoding="utf-8"))


@pytest.fixture
def slack() -> Iterator[SlackEmulator]:
    with SlackEmulator() as emulator:
        emulator.add_channel("C0ACME0001", "support-acme")
        yield emulator


@pytest.fixture
def client(slack: SlackEmulator) -> WebClient:
    return WebClient(base_url=slack.url, token="xoxb-test")


def test_shipped_table_equals_a_fresh_extraction_of_the_shared_spec() -> None:
    fresh = render_shipped(extract_methods(shared_spec()))
    assert SHIPPED_METHODS.read_text(encoding="utf-8") == fresh, "run scripts/extract_slack_methods.py"


def test_shipped_table_says_where_it_comes_from_and_loads_like_the_spec() -> None:
    document = json.loads(SHIPPED_METHODS.read_text(encoding="utf-8"))
    assert "slackapi/slack-api-specs" in document["_note"] and "MIT" in document["_note"]
    assert load_methods(SHIPPED_METHODS) == load_methods(
        SHARED_SPEC if SHARED_SPEC.is_file() else SHIPPED_METHODS
    )


def test_extraction_keeps_argument_names_and_required_flags_of_the_spec() -> None:
    methods = extract_methods(shared_spec())
    assert methods["chat.update"] == {
        "args": ["as_user", "attachments", "blocks", "channel", "link_names", "parse", "text", "ts"],
        "required": ["channel", "ts"],
        "scopes": ["chat:write"],  # chat:write:bot / chat:write:user in the 2020 spec, granular today
    }
    assert "scopes" not in methods["views.open"]  # slackAuth: ["none"]
    assert methods["conversations.open"]["scopes"] == [
        "channels:write",
        "groups:write",
        "im:write",
        "mpim:write",
    ]
    assert methods["api.test"]["no_token"] is True
    assert "token" not in methods["conversations.history"]["args"]


def test_allow_list_only_adds_what_the_snapshot_lacks() -> None:
    methods = extract_methods(shared_spec())
    for name in EXTRA_METHODS:
        assert name not in methods, f"{name} is in the snapshot: drop it from EXTRA_METHODS"
    for name, args in EXTRA_ARGS.items():
        assert name in methods, f"{name} is not a method of the snapshot"
        already = set(args) & set(methods[name]["args"])
        assert not already, f"{name}: {already} already in the snapshot"


def test_allow_listed_arguments_are_accepted() -> None:
    table = load_methods(SHIPPED_METHODS)
    assert "metadata" in table["chat.postMessage"].args
    assert "metadata" in table["chat.update"].args
    assert "include_all_metadata" in table["conversations.history"].args
    assert table["files.getUploadURLExternal"].required == {"filename", "length"}
    assert table["files.completeUploadExternal"].required == {"files"}


def test_environment_variable_points_at_another_spec(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tiny = {
        "paths": {
            "/only.method": {"post": {"parameters": [{"name": "x", "in": "formData", "required": True}]}}
        }
    }
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(tiny), encoding="utf-8")
    monkeypatch.setenv(SPEC_ENV, str(path))
    assert spec_source() == path
    table = load_methods()
    assert table["only.method"].required == {"x"}
    assert table["only.method"].needs_token is False
    assert "chat.postMessage" not in table
    assert "files.completeUploadExternal" in table  # the allow-list applies to any source


class _Probe(WebClient):
    """Captures what the real WebClient would send, without sending it."""

    sent: list[tuple[str, dict[str, Any]]]

    def api_call(self, api_method: str, **kwargs: Any) -> SlackResponse:  # type: ignore[override]
        args: dict[str, Any] = {}
        for part in ("data", "params", "json"):
            args.update(kwargs.get(part) or {})
        self.sent.append((api_method, args))
        data = {"ok": True, "upload_url": "http://x", "file_id": "F1", "files": []}
        return SlackResponse(
            client=self, http_verb="POST", api_url="", req_args={}, data=data, headers={}, status_code=200
        )


@pytest.mark.parametrize("name", USED_METHODS)
def test_every_argument_the_web_client_can_send_is_in_the_table(name: str) -> None:
    probe = _Probe(token="xoxb-test")
    probe.sent = []
    method = getattr(probe, name)
    kwargs = {
        p.name: ([{"id": "F1", "title": "t"}] if p.name == "files" else "1")
        for p in inspect.signature(method).parameters.values()
        if p.kind is inspect.Parameter.KEYWORD_ONLY
    }
    method(**kwargs)
    api_method, args = probe.sent[-1]
    spec = load_methods(SHIPPED_METHODS)[api_method]
    assert spec.unknown(args) == []


def test_unknown_method_is_answered_like_slack(client: WebClient) -> None:
    with pytest.raises(SlackApiError) as raised:
        client.api_call("chat.postMesage", json={"channel": "C0ACME0001", "text": "typo"})
    assert raised.value.response["error"] == "unknown_method"


def test_unknown_argument_is_invalid_arguments_with_slack_style_message(
    client: WebClient, slack: SlackEmulator
) -> None:
    with pytest.raises(SlackApiError) as raised:
        client.api_call("chat.postMessage", params={"channel": "C0ACME0001", "text": "hi", "colour": "red"})
    assert raised.value.response["error"] == "invalid_arguments"
    assert raised.value.response["response_metadata"]["messages"] == ["[ERROR] unknown argument 'colour'"]
    assert slack.messages("C0ACME0001") == []


def test_missing_required_argument_is_invalid_arguments(client: WebClient) -> None:
    with pytest.raises(SlackApiError) as raised:
        client.api_call("chat.getPermalink", params={"channel": "C0ACME0001"})
    assert raised.value.response["error"] == "invalid_arguments"
    assert raised.value.response["response_metadata"]["messages"] == [
        "[ERROR] missing required field: message_ts"
    ]


def test_absent_channel_is_invalid_arguments_but_an_empty_one_is_channel_not_found(client: WebClient) -> None:
    with pytest.raises(SlackApiError) as absent:
        client.api_call("conversations.history", params={})
    assert absent.value.response["error"] == "invalid_arguments"
    with pytest.raises(SlackApiError) as empty:
        client.conversations_history(channel="")
    assert empty.value.response["error"] == "channel_not_found"


def test_team_id_that_bolts_per_request_client_adds_to_every_call_is_accepted(slack: SlackEmulator) -> None:
    bolt_like = WebClient(base_url=slack.url, token="xoxb-test", team_id=slack.team_id)
    assert bolt_like.chat_postMessage(channel="C0ACME0001", text="hi")["ok"]
    assert slack.calls_to("chat.postMessage")[0].args["team_id"] == slack.team_id


def test_a_bot_token_without_the_methods_scope_gets_missing_scope() -> None:
    with SlackEmulator(scopes=["chat:write"]) as slack:
        slack.add_channel("C0ACME0001", "support-acme")
        client = WebClient(base_url=slack.url, token="xoxb-test")
        assert client.chat_postMessage(channel="C0ACME0001", text="hi")["ok"]
        with pytest.raises(SlackApiError) as failure:
            client.usergroups_users_list(usergroup="S0AGENTS01")
        assert failure.value.response["error"] == "missing_scope"
        assert failure.value.response["needed"] == "usergroups:read"
        assert client.auth_test()["ok"]  # a method that needs no scope
