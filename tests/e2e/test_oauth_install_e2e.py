"""Multi-workspace install end to end: GET /slack/install → Slack's approval (the emulator grants a code)
→ GET /slack/oauth_redirect → the installation in our database → signed requests of that workspace
answered with its own token and its own data only."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.app import BOT_SCOPES, Runtime, bootstrap
from bot.clock import ManualClock
from bot.emulator import inbound
from bot.emulator.server import SlackEmulator
from bot.server import BackgroundServer
from bot.settings import Settings
from handlers import commands
from tests.support.settings import example_settings

SECRET = "oauth-signing-secret"
AGENT, SUPPORT = "U0AGENT001", "C0SUPPORT1"
TEAM_A, TEAM_B = "T0ALPHA001", "T0BRAVO001"


@dataclass
class OAuthApp:
    runtime: Runtime
    slack: SlackEmulator
    url: str

    def get(self, path: str, cookie: str | None = None) -> tuple[int, Any, str]:
        request = urllib.request.Request(self.url + path, headers={"Cookie": cookie} if cookie else {})
        opener = urllib.request.build_opener(_NoRedirect)
        try:
            with opener.open(request, timeout=10) as response:
                return response.status, response.headers, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.headers, error.read().decode()

    def install(self, team_id: str, code: str) -> str:
        """One user installs the app in ``team_id``; returns the success page."""
        status, headers, page = self.get("/slack/install")
        assert status == 200, page
        state = urllib.parse.parse_qs(urllib.parse.urlsplit(_authorize_url(page)).query)["state"][0]
        cookie = headers["Set-Cookie"].split(";", 1)[0]
        self.slack.grant_oauth_code(code, team_id=team_id, team_name=f"Team {team_id}")
        status, _headers, done = self.get(f"/slack/oauth_redirect?code={code}&state={state}", cookie)
        assert status == 200, done
        return done

    def command(self, text: str, team_id: str) -> tuple[int, str]:
        body, content_type = inbound.slash_command(text, AGENT, SUPPORT, team_id)
        status, _headers, answer = inbound.post_to_app(self.url, body, content_type, SECRET)
        return status, answer


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def _authorize_url(page: str) -> str:
    match = re.search(r'href="([^"]*oauth/v2/authorize[^"]*)"', page)
    assert match, page
    return match.group(1).replace("&amp;", "&")


def oauth_settings(slack: SlackEmulator, database: Path, **extra: Any) -> Settings:
    """An app installed by OAuth (no bot token of its own) against the emulator, on SQLite."""
    return example_settings(
        database,
        SLACK_CLIENT_ID="1111.2222",
        SLACK_CLIENT_SECRET="oauth-client-secret",
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=slack.url,
        **extra,
    )


@pytest.fixture
def oauth_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[OAuthApp]:
    # a loaded test machine must not turn answers into placeholders sent to Slack's response_url
    monkeypatch.setattr(commands, "ACK_BUDGET_SECONDS", 30.0)
    clock = ManualClock(datetime(2026, 11, 24, 9, 0, tzinfo=UTC))
    with SlackEmulator(clock=clock, auto_create_channels=True, scopes=BOT_SCOPES) as slack:
        slack.add_user(AGENT, "agent")
        runtime = bootstrap(oauth_settings(slack, tmp_path / "oauth.db"), clock=clock)
        with BackgroundServer(runtime.web) as server:
            yield OAuthApp(runtime, slack, server.url)


def test_install_flow_stores_each_workspace_and_scopes_its_data(oauth_app: OAuthApp) -> None:
    status, _headers, page = oauth_app.get("/slack/install")
    authorize = urllib.parse.urlsplit(_authorize_url(page))
    query = urllib.parse.parse_qs(authorize.query)
    assert query["client_id"] == ["1111.2222"]
    assert "commands" in query["scope"][0].split(",") and "chat:write" in query["scope"][0].split(",")

    # before the install, the workspace's requests are refused (no token for it)
    assert oauth_app.command("help", TEAM_A)[0] != 200

    oauth_app.install(TEAM_A, "code-alpha")
    oauth_app.install(TEAM_B, "code-bravo")
    exchanges = oauth_app.slack.calls_to("oauth.v2.access")
    assert [c.args.get("code") for c in exchanges] == ["code-alpha", "code-bravo"]

    store = oauth_app.runtime.services.client_for
    token_a, token_b = store(TEAM_A).token, store(TEAM_B).token
    assert token_a.startswith(f"xoxb-{TEAM_A}") and token_b.startswith(f"xoxb-{TEAM_B}")

    status, answer = oauth_app.command("start P2 acme Printer on fire", TEAM_A)
    assert status == 200 and "T-1" in json.loads(answer)["text"]
    a_status = json.loads(oauth_app.command("status client acme", TEAM_A)[1])
    b_status = json.loads(oauth_app.command("status client acme", TEAM_B)[1])
    assert "Printer on fire" in json.dumps(a_status["blocks"])
    assert "Printer on fire" not in json.dumps(b_status["blocks"])
    assert "No open tickets" in json.dumps(b_status["blocks"])


def test_a_redirect_without_our_state_installs_nothing(oauth_app: OAuthApp) -> None:
    oauth_app.slack.grant_oauth_code("code-forged", team_id=TEAM_A)
    status, _headers, _page = oauth_app.get("/slack/oauth_redirect?code=code-forged&state=made-up")
    assert status != 200
    assert oauth_app.slack.calls_to("oauth.v2.access") == []
    assert oauth_app.runtime.services.client_for(TEAM_A) is None
