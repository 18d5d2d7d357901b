"""Minimal scopes: every OAuth scope the app asks for is needed by a Web API call the code makes or an
event the manifest subscribes to, and every such call and event has its scope granted.

The need is read from Slack's own specs (``../shared/slack-api-specs``: the Web API's ``slackAuth``
security of each method, the Events API's ``x-scopes-required`` of each event), and the calls from the
source: every ``<something>.<WebClient method>(...)`` in the app's packages, followed into slack_sdk
where a helper calls other methods (``files_upload_v2`` → ``files.getUploadURLExternal`` ...).
"""

from __future__ import annotations

import ast
import inspect
import json
import os
import re
from functools import cache
from pathlib import Path

import pytest
import yaml
from slack_sdk import WebClient

from bot.app import BOT_SCOPES
from bot.emulator.spec import load_methods

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = yaml.safe_load((ROOT / "manifest.yaml").read_text(encoding="utf-8"))
EVENTS_SPEC = ROOT.parent / "shared" / "slack-api-specs" / "events-api" / "slack_events_api_async_v1.json"
APP_PACKAGES = ("bot", "handlers", "storage", "sla")
NOT_THE_APP = ("bot/sandbox", "bot/emulator")  # the emulator and the demo's scripted users are not the app

# Events the October 2020 snapshot lacks or gets wrong, with what Slack documents today.
EVENT_SCOPES_TODAY: dict[str, list[str]] = {
    "app_home_opened": [],  # https://api.slack.com/events/app_home_opened: no scope (newer than the snapshot)
    "app_mention": ["app_mentions:read"],  # the snapshot lists none; Slack requires app_mentions:read
}
# Features of the manifest that need a scope without a Web API call or an event behind them.
FEATURE_SCOPES = {"commands": "the /sla command and the message shortcut (features.slash_commands/shortcuts)"}


def _api_name(method: object) -> str | None:
    match = re.search(r'api_call\(\s*"([^"]+)"', inspect.getsource(method))  # type: ignore[arg-type]
    return match.group(1) if match else None


@cache
def _api_names(client_method: str) -> frozenset[str]:
    """The Web API methods one WebClient method calls: its own, or those of the methods it calls."""
    method = getattr(WebClient, client_method)
    name = _api_name(method)
    if name:
        return frozenset({name})
    inner = set(re.findall(r"self\.([a-z]+_[A-Za-z_]+)\(", inspect.getsource(method)))
    return frozenset().union(*(_api_names(m) for m in inner if hasattr(WebClient, m) and m != client_method))


def _client_methods() -> set[str]:
    return {
        name
        for name, member in vars(WebClient).items()
        if callable(member) and not name.startswith("_") and "_" in name and name != "api_call"
    }


def calls_in_code() -> dict[str, set[str]]:
    """Web API method → the files (relative) that call it."""
    names = _client_methods()
    found: dict[str, set[str]] = {}
    for package in APP_PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if relative.startswith(NOT_THE_APP):
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and node.func.attr in names
                ):
                    for api in _api_names(node.func.attr):
                        found.setdefault(api, set()).add(relative)
    return found


def event_scopes() -> dict[str, list[str]]:
    if not EVENTS_SPEC.is_file():
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but Slack's Events API spec is missing at {EVENTS_SPEC}")
        pytest.skip(f"../shared is absent ({EVENTS_SPEC} not found): cannot read the events' scopes")
    topics = json.loads(EVENTS_SPEC.read_text(encoding="utf-8"))["topics"]
    scopes = {}
    for event in MANIFEST["settings"]["event_subscriptions"]["bot_events"]:
        if event in EVENT_SCOPES_TODAY:
            scopes[event] = EVENT_SCOPES_TODAY[event]
            continue
        topic = topics.get(event) or topics.get(event.replace("_", "."))
        assert topic is not None, f"{event} is not an event of Slack's Events API"
        scopes[event] = topic["subscribe"].get("x-scopes-required", [])
    return scopes


def test_the_scan_sees_the_calls_it_must() -> None:
    """The scan itself can fail: these calls are known to be made (and helpers are followed)."""
    calls = calls_in_code()
    assert {"chat.postMessage", "chat.update", "conversations.open", "usergroups.users.list"} <= set(calls)
    assert {"files.getUploadURLExternal", "files.completeUploadExternal"} <= set(calls)  # files_upload_v2
    assert "handlers/report_delivery.py" in calls["files.completeUploadExternal"]


def test_every_call_the_code_makes_has_a_granted_scope() -> None:
    table, granted = load_methods(), set(BOT_SCOPES)
    missing = {
        api: sorted(table[api].scopes)
        for api in calls_in_code()
        if api != "apps.connections.open"  # the app-level (xapp-) token's, not the bot's
        and table[api].lacks_scope(granted)
    }
    assert missing == {}, f"calls whose scope is not granted (needs one of): {missing}"


def test_every_subscribed_event_has_its_scope_granted() -> None:
    granted = set(BOT_SCOPES)
    missing = {e: s for e, s in event_scopes().items() if s and not set(s) & granted}
    assert missing == {}


def test_every_granted_scope_is_used_by_a_call_an_event_or_a_feature() -> None:
    table = load_methods()
    needed: set[str] = set(FEATURE_SCOPES)
    for api in calls_in_code():
        needed |= table[api].scopes
    for scopes in event_scopes().values():
        needed |= set(scopes)
    unused = sorted(set(BOT_SCOPES) - needed)
    assert unused == [], f"scopes nothing in the code needs: {unused}"


def test_the_scopes_the_issue_found_unused_are_gone() -> None:
    dropped = {
        "channels:read",
        "groups:read",
        "im:read",
        "users:read",
        "reactions:write",
        "chat:write.public",
    }
    assert dropped.isdisjoint(BOT_SCOPES)
    assert dropped.isdisjoint(MANIFEST["oauth_config"]["scopes"]["bot"])


def test_the_scope_check_would_catch_a_scope_too_many_and_one_too_few() -> None:
    """The same rule applied to a wrong list fails, so the tests above can fail."""
    table = load_methods()
    assert table["users.info"].lacks_scope(set(BOT_SCOPES))  # a users.info call would need users:read
    assert not table["chat.postMessage"].lacks_scope({"chat:write"})  # chat:write:bot in the 2020 spec
    assert table["files.getUploadURLExternal"].scopes == {"files:write"}
