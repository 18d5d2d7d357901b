"""Start-up while Slack is down starts (and /readyz reports Slack unreachable); a token Slack refuses stops it with one line.

Bolt's own token check (``auth.test`` while the App is constructed) used to turn a Slack outage at
deploy time into a crash (``URLError``: no process, no /readyz, a restart loop)."""

from __future__ import annotations

import json
import socket
import sys
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest

from bot.app import bootstrap
from bot.cli import main
from bot.sandbox.emulator.server import SlackEmulator
from bot.settings import Settings, SettingsError

ROOT = Path(__file__).resolve().parents[2]
CONTRACTS = str(ROOT / "examples" / "contracts.yaml")


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A local port nothing listens on (bound, never listening: connections are refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


def _settings(tmp_path: Path, api_url: str, token: str = "xoxb-start") -> Settings:
    return Settings(
        SLACK_BOT_TOKEN=token,
        SLACK_SIGNING_SECRET="s",
        SLACK_API_URL=api_url,
        DATABASE_URL=f"sqlite:///{tmp_path / 'start.db'}",
        SLABOT_CONTRACTS=CONTRACTS,
        SLABOT_SCHEDULER=False,
    )


def _get(web: Any, path: str) -> tuple[str, dict[str, Any]]:
    seen: dict[str, str] = {}

    def start_response(status: str, headers: list[tuple[str, str]], *_: Any) -> None:
        seen["status"] = status

    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "wsgi.input": BytesIO(b""),
        "CONTENT_LENGTH": "0",
        "SERVER_NAME": "test",
        "SERVER_PORT": "80",
        "wsgi.url_scheme": "http",
    }
    body = b"".join(web(environ, start_response))
    return seen["status"], json.loads(body or b"{}")


def test_slack_unreachable_at_start_up_starts_and_readyz_reports_it(tmp_path: Path, closed_port: int) -> None:
    runtime = bootstrap(_settings(tmp_path, f"http://127.0.0.1:{closed_port}/api/"))
    try:
        live, _ = _get(runtime.web, "/livez")
        ready, body = _get(runtime.web, "/readyz")
    finally:
        runtime.engine.dispose()
    assert live.startswith("200")
    # ready all the same (bot.ops.health: webhooks and the outbox keep working, delivered later)
    assert ready.startswith("200")
    assert '"reachable": false' in json.dumps(body)


def test_a_token_slack_refuses_is_one_settings_error_naming_the_variable(tmp_path: Path) -> None:
    with SlackEmulator(tokens={"xoxb-good"}) as slack:
        with pytest.raises(SettingsError) as caught:
            bootstrap(_settings(tmp_path, slack.url, token="xoxb-revoked"))
        runtime = bootstrap(_settings(tmp_path, slack.url, token="xoxb-good"))  # the right one starts
        runtime.engine.dispose()
    [line] = caught.value.problems
    assert line.startswith("SLACK_BOT_TOKEN: Slack refuses this token (invalid_auth)")


def test_slabot_run_with_a_refused_token_exits_2_with_that_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with SlackEmulator(tokens={"xoxb-good"}) as slack:
        for name, value in {
            "SLACK_BOT_TOKEN": "xoxb-revoked",
            "SLACK_SIGNING_SECRET": "s",
            "SLACK_API_URL": slack.url,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'run.db'}",
            "SLABOT_CONTRACTS": CONTRACTS,
            "PORT": "3999",
        }.items():
            monkeypatch.setenv(name, value)
        monkeypatch.setattr(sys, "argv", ["slabot", "run"])
        assert main(["run"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("SLACK_BOT_TOKEN: Slack refuses this token (invalid_auth)")
