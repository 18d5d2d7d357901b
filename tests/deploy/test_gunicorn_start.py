"""gunicorn as the Procfile, app.yaml and Dockerfile run it: the app is built in the master *before* the
port opens, so the first signed request is answered by a ready app; each worker runs the scheduler when
SLABOT_SCHEDULER is on (App Engine: the sweep used never to start under gunicorn); SIGTERM stops it
cleanly; a bad setting is one line and exit 2, not a traceback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.sandbox.emulator import inbound
from bot.sandbox.emulator.server import SlackEmulator
from bot.sandbox.emulator.signing import sign_request
from tests.support.postgres import free_port

ROOT = Path(__file__).resolve().parents[2]
SECRET = "gunicorn-test-secret"
DEADLINE = 240.0  # seconds: a loaded CI machine imports slowly; nothing here asserts a duration


@pytest.fixture(scope="module")
def slack() -> Iterator[SlackEmulator]:
    with SlackEmulator(auto_create_channels=True) as emulator:
        yield emulator


def gunicorn(tmp_path: Path, port: int, **env: str) -> subprocess.Popen[str]:
    environment = {
        **{
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("SLACK_", "SLABOT_")) and k != "DATABASE_URL"
        },
        "DATABASE_URL": f"sqlite:///{tmp_path / 'g.db'}",
        "SLABOT_CONTRACTS": str(ROOT / "examples" / "contracts.yaml"),
        "SLACK_SIGNING_SECRET": SECRET,
        **env,
    }
    command = [
        sys.executable, "-m", "gunicorn", "--config", "python:bot.gunicorn_conf", "--preload",
        "--bind", f"127.0.0.1:{port}", "--workers", "1", "--threads", "4", "bot.wsgi:application",
    ]  # fmt: skip
    log = (tmp_path / "gunicorn.log").open("w")
    return subprocess.Popen(
        command, cwd=tmp_path, env=environment, stdout=log, stderr=subprocess.STDOUT, text=True
    )


def wait_for(predicate, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + DEADLINE
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.05)


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def signed_help(port: int) -> tuple[int, str]:
    body, content_type = inbound.slash_command("help", "U0AGENT001", "C0SUPPORT1")
    headers = {"Content-Type": content_type, **sign_request(SECRET, body)}
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/slack/events", data=body.encode(), headers=headers
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status, response.read().decode()


@pytest.mark.slow
def test_the_app_is_built_before_the_port_opens_and_the_worker_sweeps(
    tmp_path: Path, slack: SlackEmulator
) -> None:
    port = free_port()
    server = gunicorn(
        tmp_path, port, SLACK_BOT_TOKEN="xoxb-gunicorn", SLACK_API_URL=slack.url, SLABOT_SWEEP_SECONDS="1"
    )
    log = tmp_path / "gunicorn.log"
    try:
        wait_for(lambda: port_open(port) or server.poll() is not None, "the port")
        assert server.poll() is None, log.read_text()
        text = log.read_text()
        assert "app built" in text  # …already, when the port first accepts a connection
        assert text.index("app built") < text.index("Listening at")
        status, body = signed_help(port)  # the first request: answered by the built app
        assert status == 200 and "/sla" in body
        wait_for(lambda: "scheduler started" in log.read_text(), "the worker's scheduler")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=30) as response:
            assert b'"scheduler": {"ok": true' in response.read()
    finally:
        server.terminate()
        code = server.wait(timeout=DEADLINE)
    text = log.read_text()
    assert code == 0, text[-3000:]
    assert "msg=stopped clean=True" in text  # the worker let its jobs finish, then released the pool
    assert "Traceback" not in text


def test_a_bad_setting_stops_gunicorn_with_one_line_and_exit_2(tmp_path: Path) -> None:
    server = gunicorn(tmp_path, free_port(), SLABOT_CONTRACTS=str(tmp_path / "missing.yaml"))
    code = server.wait(timeout=DEADLINE)
    text = (tmp_path / "gunicorn.log").read_text()
    assert code == 2, text[-3000:]
    assert "SLABOT_CONTRACTS: no such file" in text and "Traceback" not in text
    assert "Listening at" not in text  # it never opened the port
