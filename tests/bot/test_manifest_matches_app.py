"""manifest.yaml is what a newcomer pastes into Slack: it must ask for what the app uses."""

from __future__ import annotations

from pathlib import Path

import yaml

from bot.app import BOT_SCOPES
from handlers.ids import CallbackId

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = yaml.safe_load((ROOT / "manifest.yaml").read_text(encoding="utf-8"))


def test_scopes_are_the_ones_the_oauth_install_asks_for() -> None:
    assert sorted(MANIFEST["oauth_config"]["scopes"]["bot"]) == sorted(BOT_SCOPES)


def test_one_url_for_commands_events_interactivity_and_the_oauth_redirect() -> None:
    settings, features = MANIFEST["settings"], MANIFEST["features"]
    urls = {
        settings["event_subscriptions"]["request_url"],
        settings["interactivity"]["request_url"],
        *(c["url"] for c in features["slash_commands"]),
    }
    assert urls == {"https://slabot.example.com/slack/events"}
    assert MANIFEST["oauth_config"]["redirect_urls"] == ["https://slabot.example.com/slack/oauth_redirect"]


def test_the_command_shortcut_events_and_home_the_listeners_expect() -> None:
    features = MANIFEST["features"]
    assert [c["command"] for c in features["slash_commands"]] == ["/sla"]
    assert [s["callback_id"] for s in features["shortcuts"]] == [CallbackId.TRACK_SHORTCUT.value]
    assert features["app_home"]["home_tab_enabled"] is True
    events = set(MANIFEST["settings"]["event_subscriptions"]["bot_events"])
    assert {"app_home_opened", "message.channels", "message.groups", "reaction_added"} <= events
    # every event needs its scope
    scopes = set(BOT_SCOPES)
    assert {"channels:history", "groups:history", "reactions:read", "usergroups:read"} <= scopes
