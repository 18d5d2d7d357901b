"""Helpdesk-grade conversations end to end (issue 13): signed Slack requests into the real app, its Web
API calls into the emulator. Who may do what, what reaches a client's channel, what a person's message
does, and that no user text becomes a live mention."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.clock import ManualClock
from bot.emulator import inbound
from handlers import commands
from tests.e2e.slack_harness import SlackApp, running_app
from tests.handlers.test_escaping_property import assert_inert

SECRET = "helpdesk-signing-secret"
AGENT, AGENT2, CLIENT, CLIENT2, GLOBEX = "U0AGENT001", "U0AGENT002", "U0ACME0001", "U0ACME0002", "U0GLOBEX01"
SUPPORT, GLOBEX_SUPPORT, TEAM = "C0SUPPORT1", "C0GLOBEX01", inbound.DEFAULT_TEAM_ID


@dataclass
class Helpdesk(SlackApp):
    serial: int = 0

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
        return ts

    def bot_calls(self) -> list[Any]:
        writes = ("chat.postMessage", "chat.update", "chat.postEphemeral", "views.publish", "views.open")
        return [c for c in self.slack.calls if c.method in writes]

    def state(self, ref: str = "T-1") -> Any:
        return self.runtime.services.tickets.state(team_id=TEAM, ref=ref)


@pytest.fixture
def desk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Helpdesk]:
    monkeypatch.setattr(commands, "ACK_BUDGET_SECONDS", 30.0)
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
        yield Helpdesk(runtime, slack, url, clock, SECRET)


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
