"""Listener-pool starvation: while Slack rate-limits every call (Retry-After 20 s), buttons whose
answers go to Slack after the ack must not keep ``/sla`` commands from being answered within
Slack's 3-second deadline (they used to: five listener threads slept on retries, commands got 404)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.emulator import inbound
from tests.e2e.slack_harness import SlackApp, support_app

SECRET = "slow-slack-secret"
AGENT, CLIENT = "U0AGENT001", "U0ACME0001"
SUPPORT = "C0SUPPORT1"


@pytest.fixture
def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SlackApp]:
    with support_app(tmp_path, monkeypatch, secret=SECRET, SLABOT_LISTENER_THREADS=2) as app:
        yield app


def test_commands_are_answered_while_slack_rate_limits_button_answers(app: SlackApp) -> None:
    app.command("start P3 acme Slow exports", AGENT, SUPPORT)
    app.slack.rate_limit_for(3600, retry_after=20)  # every Web API call: 429, retry in 20 s
    presses = [
        inbound.block_actions(
            "ticket_resolve", '{"t":"T-1","x":"forged"}', AGENT, SUPPORT, "1700000000.000100"
        )
        for _ in range(8)
    ]
    statuses: list[int] = []
    threads = [threading.Thread(target=lambda b=b: statuses.append(app.post(b)[0])) for b in presses]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    # Presses beyond the listener pool may miss Bolt's 3-second ack while the pool's threads wait on
    # rate-limited answers (respond() since the Slack-conventions change): Slack shows those clicks
    # as failed and nothing is changed by them. Known limit, in the closing note; what must hold is
    # that no press errors and the commands below are still answered.
    assert len(statuses) == 8 and set(statuses) <= {200, 404}, statuses
    assert statuses.count(200) >= 2  # at least the pool's worth acknowledged at once
    for _ in range(5):
        status, body = app.post(inbound.slash_command("help", AGENT, SUPPORT), timeout=10)
        assert status == 200, (status, body)
        assert "/sla status" in json.dumps(json.loads(body))
