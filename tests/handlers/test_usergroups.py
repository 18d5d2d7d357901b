"""The user-group roster behind every permission check is read once, without retry sleeps: it is read
inside listeners, and a Retry-After of 20 s (three times) made presses miss Bolt's 3-second ack."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.app import slack_client
from bot.sandbox.emulator.server import SlackEmulator
from handlers.usergroups import usergroup_members

TEAM = "T0EMULATOR"


@pytest.fixture
def slack() -> Iterator[SlackEmulator]:
    with SlackEmulator() as emulator:
        emulator.add_usergroup("S0LEADS", "leads", ["U0LEAD1", "U0LEAD2"])
        yield emulator


def test_the_roster_is_read_through_the_workspace_client(slack: SlackEmulator) -> None:
    members = usergroup_members(lambda _team: slack_client(slack.url, "xoxb-roster"))
    assert members(TEAM, "S0LEADS") == frozenset({"U0LEAD1", "U0LEAD2"})
    [call] = slack.calls_to("usergroups.users.list")
    assert call.args["usergroup"] == "S0LEADS"


def test_a_rate_limited_roster_is_asked_once_not_retried_after_retry_after(slack: SlackEmulator) -> None:
    slack.rate_limit("usergroups.users.list", count=5, retry_after=20)
    # the workspace's client retries 429 three times, sleeping Retry-After each time: not here
    members = usergroup_members(lambda _team: slack_client(slack.url, "xoxb-roster", retries=3))
    assert members(TEAM, "S0LEADS") is None  # AgentDirectory keeps the last known members
    assert [c.status for c in slack.calls_to("usergroups.users.list")] == [429]


def test_no_workspace_client_no_roster() -> None:
    assert usergroup_members(lambda _team: None)(TEAM, "S0LEADS") is None
