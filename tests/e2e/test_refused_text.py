"""Text the databases refuse — a NUL (PostgreSQL) or a lone surrogate (both, and UTF-8 itself) — in a
client's message or a ``/sla start`` title: the ticket opens on both backends, the text kept as its
visible escape (it used to drop the message, and ``/sla start`` apologised)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.emulator import inbound
from tests.e2e.slack_harness import AGENTS, SlackApp, support_app

SECRET = "refused-text-secret"
CLIENT, SUPPORT, TEAM = "U0ACME0001", "C0SUPPORT1", inbound.DEFAULT_TEAM_ID


@pytest.fixture
def app(migrated_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SlackApp]:
    with support_app(tmp_path, monkeypatch, secret=SECRET, database_url=migrated_url) as app:
        yield app


def _titles(app: SlackApp) -> list[str]:
    with app.runtime.services.uow.begin(read_only=True) as tx:
        return [t.title or "" for t in tx.tickets.page(team_id=TEAM)]


def test_a_nul_and_a_lone_surrogate_reach_a_ticket_on_both_backends(app: SlackApp) -> None:
    text = "Printer\x00 on fire \ud83d since 9"
    ts = app.slack.post_user_message(SUPPORT, CLIENT, "Printer on fire")["ts"]
    status, _ = app.post(inbound.event_callback(inbound.message_event(SUPPORT, CLIENT, text, ts), TEAM))
    assert status == 200
    app.wait_for(lambda: len(_titles(app)) == 1)
    assert _titles(app) == ["Printer\\u0000 on fire \\ud83d since 9"]
    answer = app.command("start P2 acme Label\x00 printer", AGENTS[0], SUPPORT)
    assert "Started T-2" in json.dumps(answer)
    assert "Label\\u0000 printer" in _titles(app)
