"""Installations end to end through OAuth and the emulator: uninstall and revocation clean up the
store, expiring tokens are rotated (by Bolt for requests, by slabot for the notifier) and an org-wide
Enterprise Grid install keeps one owner (the enterprise id) for all its workspaces."""

from __future__ import annotations

import json
import logging
import time
import urllib.parse
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.app import BOT_SCOPES, bootstrap
from bot.clock import ManualClock
from bot.emulator import inbound
from bot.emulator.server import SlackEmulator
from bot.scheduler import runtime_workers
from bot.server import BackgroundServer
from handlers import commands
from handlers.blocks.help import DM_ANSWER
from tests.e2e.slack_harness import SlackApp
from tests.e2e.test_oauth_install_e2e import OAuthApp, _authorize_url, oauth_settings

SECRET = "oauth-signing-secret"
AGENT, CLIENT, SUPPORT = "U0AGENT001", "U0ACME0001", "C0SUPPORT1"  # SUPPORT: acme's channel in the examples
TEAM_A, TEAM_B = "T0ALPHA001", "T0BRAVO001"
ORG, ORG_TEAM = "E0GLOBAL01", "T0GLOBAL01"


class Installed(OAuthApp):
    def event(self, event: dict[str, Any], team_id: str, **kw: Any) -> tuple[int, str]:
        body, content_type = inbound.event_callback(event, team_id, **kw)
        status, _headers, text = inbound.post_to_app(self.url, body, content_type, SECRET)
        return status, text

    def dm(self, team_id: str, **kw: Any) -> tuple[int, str]:
        """A client's DM to the bot: answered with chat.postMessage (a Web API call with the team's token)."""
        ts = self.slack.post_user_message(CLIENT, CLIENT, "hello?")["ts"]
        return self.event(inbound.message_event("D" + CLIENT[1:], CLIENT, "hello?", ts), team_id, **kw)

    def bot_of(self, owner: str) -> Any:
        store = self.runtime.app.installation_store
        return store.find_bot_of(owner)

    def wait_for(self, predicate: Any, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            assert time.monotonic() < deadline, "condition not met in time"
            time.sleep(0.02)


def _tokens(calls: list[Any]) -> list[str]:
    return [c.headers.get("Authorization", "").removeprefix("Bearer ") for c in calls]


@pytest.fixture
def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Installed]:
    monkeypatch.setattr(commands, "ACK_BUDGET_SECONDS", 30.0)
    clock = ManualClock(datetime(2026, 11, 24, 9, 0, tzinfo=UTC))
    with SlackEmulator(clock=clock, auto_create_channels=True, scopes=BOT_SCOPES) as slack:
        for user in (AGENT, CLIENT):
            slack.add_user(user, user.lower())
        slack.add_channel(SUPPORT, "acme-support", members=[AGENT, CLIENT])
        slack.add_usergroup("S0AGENTS01", "agents", [AGENT, "U0AGENT002"])
        runtime = bootstrap(
            oauth_settings(slack, tmp_path / "installs.db", SLABOT_HOME_REFRESH_SECONDS=0), clock=clock
        )
        with BackgroundServer(runtime.web) as server:
            yield Installed(runtime, slack, server.url)


# ---- app_uninstalled / tokens_revoked ------------------------------------------------------------


def test_app_uninstalled_deletes_that_workspaces_installation_only(app: Installed) -> None:
    app.install(TEAM_A, "code-a")
    app.install(TEAM_B, "code-b")
    assert app.bot_of(TEAM_A) is not None

    assert app.event({"type": "app_uninstalled", "event_ts": "1.2"}, TEAM_A)[0] == 200
    app.wait_for(lambda: app.bot_of(TEAM_A) is None)
    store = app.runtime.app.installation_store
    assert store.find_installation(enterprise_id=None, team_id=TEAM_A) is None
    assert app.runtime.services.client_for(TEAM_A) is None  # the notifier has nothing to post with
    assert app.command("help", TEAM_A)[0] != 200  # Bolt: no installation for the team
    # the other workspace keeps its installation and is answered
    assert app.bot_of(TEAM_B) is not None and app.command("help", TEAM_B)[0] == 200


def test_tokens_revoked_deletes_the_bot_token(app: Installed) -> None:
    app.install(TEAM_A, "code-a")
    revoked = {"type": "tokens_revoked", "tokens": {"oauth": [], "bot": ["U0SLABOT01"]}, "event_ts": "1.2"}
    assert app.event(revoked, TEAM_A)[0] == 200
    app.wait_for(lambda: app.bot_of(TEAM_A) is None)
    assert app.runtime.services.client_for(TEAM_A) is None


def test_a_revocation_of_users_tokens_keeps_the_bot(app: Installed) -> None:
    app.install(TEAM_A, "code-a")
    revoked = {"type": "tokens_revoked", "tokens": {"oauth": ["U0SOMEONE1"], "bot": []}, "event_ts": "1.2"}
    assert app.event(revoked, TEAM_A)[0] == 200
    assert app.command("help", TEAM_A)[0] == 200
    assert app.bot_of(TEAM_A) is not None


def test_single_token_mode_logs_the_uninstall(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.e2e.slack_harness import running_app

    clock = ManualClock(datetime(2026, 11, 24, 9, 0, tzinfo=UTC))
    caplog.set_level(logging.WARNING, logger="handlers.installations")
    with running_app(tmp_path, clock=clock, secret=SECRET, users=(AGENT,), channels={}) as (
        runtime,
        slack,
        url,
    ):
        body, content_type = inbound.event_callback({"type": "app_uninstalled", "event_ts": "1.2"})
        assert inbound.post_to_app(url, body, content_type, SECRET)[0] == 200
        SlackApp(runtime, slack, url, clock, SECRET).wait_for(
            lambda: "SLACK_BOT_TOKEN no longer works" in caplog.text
        )


# ---- token rotation -----------------------------------------------------------------------------


def test_an_expiring_token_is_rotated_for_requests_and_for_the_notifier(app: Installed) -> None:
    app.slack.enable_token_rotation(lifetime_seconds=600)  # < Bolt's 120 minutes: due at every use
    app.install(TEAM_A, "code-a")
    first = app.bot_of(TEAM_A)
    assert first.bot_token.startswith("xoxe.xoxb-") and first.bot_refresh_token.startswith("xoxe-1-")
    app.slack.expire_token(first.bot_token)

    # a request: Bolt's authorize exchanges the refresh token, and the DM is answered with the new token
    assert app.dm(TEAM_A)[0] == 200
    app.wait_for(lambda: app.slack.calls_to("chat.postMessage"))
    (answer,) = app.slack.calls_to("chat.postMessage")
    assert answer.ok and answer.args["text"] == DM_ANSWER
    second = app.bot_of(TEAM_A)
    assert _tokens([answer]) == [second.bot_token] and second.bot_token != first.bot_token
    app.slack.expire_token(second.bot_token)

    # outside a request (notifier, App Home refresh): rotated again with the refresh token Bolt saved
    client = app.runtime.services.client_for(TEAM_A)
    third = app.bot_of(TEAM_A)
    assert client.token == third.bot_token not in (first.bot_token, second.bot_token)
    assert client.auth_test()["ok"]
    refreshes = [
        c for c in app.slack.calls_to("oauth.v2.access") if c.args.get("grant_type") == "refresh_token"
    ]
    assert [c.args["refresh_token"] for c in refreshes] == [first.bot_refresh_token, second.bot_refresh_token]
    assert all(c.ok for c in refreshes)


def test_a_fresh_token_is_not_rotated(app: Installed) -> None:
    app.slack.enable_token_rotation(lifetime_seconds=43_200)  # 12 hours: nothing to do yet
    app.install(TEAM_A, "code-a")
    token = app.bot_of(TEAM_A).bot_token
    assert app.runtime.services.client_for(TEAM_A).token == token
    assert app.dm(TEAM_A)[0] == 200
    app.wait_for(lambda: app.slack.calls_to("chat.postMessage"))
    assert _tokens(app.slack.calls_to("chat.postMessage")) == [token]
    assert [c.args.get("grant_type") for c in app.slack.calls_to("oauth.v2.access")] == [None]  # the install


# ---- Enterprise Grid ----------------------------------------------------------------------------


def test_an_org_wide_install_owns_its_workspaces_tickets_under_the_enterprise_id(app: Installed) -> None:
    app.slack.grant_oauth_code("code-org", team_id=ORG_TEAM, enterprise_id=ORG, org_wide=True)
    status, headers, page = app.get("/slack/install")
    state = urllib.parse.parse_qs(urllib.parse.urlsplit(_authorize_url(page)).query)["state"][0]
    cookie = headers["Set-Cookie"].split(";", 1)[0]
    assert app.get(f"/slack/oauth_redirect?code=code-org&state={state}", cookie)[0] == 200
    org_bot = app.bot_of(ORG)
    assert org_bot is not None and org_bot.is_enterprise_install and org_bot.team_id is None

    # a client writes in a support channel of one of the org's workspaces: the event's authorization
    # names the enterprise and no team
    ts = app.slack.post_user_message(SUPPORT, CLIENT, "Checkout fails for every customer")["ts"]
    message = inbound.message_event(
        SUPPORT, CLIENT, "Checkout fails for every customer", ts, team_id=ORG_TEAM
    )
    assert app.event(message, ORG_TEAM, enterprise_id=ORG, is_enterprise_install=True)[0] == 200
    services = app.runtime.services
    app.wait_for(lambda: services.tickets.state_by_thread(team_id=ORG, channel_id=SUPPORT, thread_ts=ts))

    # an agent's /sla in the same org sees it; the notifier posts the thread note with the org's token
    body, content_type = inbound.slash_command(
        "status client acme", AGENT, SUPPORT, ORG_TEAM, enterprise_id=ORG, is_enterprise_install=True
    )
    status, _headers, answer = inbound.post_to_app(app.url, body, content_type, SECRET)
    assert status == 200 and "Checkout fails" in json.dumps(json.loads(answer))
    _, notifier = runtime_workers(app.runtime)
    notifier.run_once()
    notes = [c for c in app.slack.calls_to("chat.postMessage") if c.args.get("thread_ts") == ts]
    assert notes and all(c.ok for c in notes) and set(_tokens(notes)) == {org_bot.bot_token}
    assert services.client_for(ORG).token == org_bot.bot_token
    assert services.client_for(ORG_TEAM) is None  # no workspace-level install of that team
