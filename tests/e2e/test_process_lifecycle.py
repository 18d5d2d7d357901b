"""``slabot run`` and ``slabot worker`` as real processes: built before they listen, /livez /readyz
/metrics served, and a SIGTERM ends them cleanly (exit 0, scheduler stopped, requests in flight answered)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.sandbox.emulator import SlackEmulator, inbound
from bot.sandbox.emulator.signing import sign_request
from bot.sandbox.workspace import seed

ROOT = Path(__file__).resolve().parents[2]
SECRET = "lifecycle-signing-secret"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def slack() -> Iterator[SlackEmulator]:
    with SlackEmulator(auto_create_channels=True) as emulator:
        seed(emulator)
        yield emulator


def env_for(tmp_path: Path, slack: SlackEmulator, **extra: str) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "SLABOT_", "PORT", "DATABASE_URL"))
    }
    env.update(
        SLACK_BOT_TOKEN="xoxb-lifecycle",
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=slack.url,
        DATABASE_URL=f"sqlite:///{tmp_path / 'life.db'}",
        SLABOT_CONTRACTS=str(ROOT / "examples" / "contracts.yaml"),
        SLABOT_HOST="127.0.0.1",
        SLABOT_SWEEP_SECONDS="0.5",
        SLABOT_SHUTDOWN_SECONDS="5",
        **extra,
    )
    return env


class Process:
    def __init__(self, args: list[str], env: dict[str, str], cwd: Path) -> None:
        self.popen = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", *args],
            env=env,
            cwd=cwd,
            stderr=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            text=True,
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.popen.stderr is not None
        for line in self.popen.stderr:
            self.lines.append(line.rstrip("\n"))

    def wait_for(self, text: str, timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in self.lines:
                if text in line:
                    return line
            if self.popen.poll() is not None:
                break
            time.sleep(0.05)
        raise AssertionError(f"{text!r} not seen; output:\n" + "\n".join(self.lines))

    def stop(self, timeout: float = 30) -> int:
        self.popen.send_signal(signal.SIGTERM)
        code = self.popen.wait(timeout=timeout)
        self._reader.join(5)
        return code

    def kill(self) -> None:
        if self.popen.poll() is None:
            self.popen.kill()
            self.popen.wait(10)


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_run_serves_health_answers_slack_and_stops_cleanly_on_sigterm(
    tmp_path: Path, slack: SlackEmulator
) -> None:
    port, metrics_port = free_port(), free_port()
    env = env_for(tmp_path, slack, PORT=str(port), SLABOT_METRICS_ADDRESS=f"127.0.0.1:{metrics_port}")
    process = Process(["run"], env, tmp_path)
    try:
        process.wait_for(f"serving POST /slack/events on 127.0.0.1:{port}")
        base = f"http://127.0.0.1:{port}"
        assert get(base + "/livez") == (200, '{"ok": true}')
        assert get(base + "/healthz")[0] == 200
        status, body = get(base + "/readyz")
        checks = json.loads(body)["checks"]
        assert status == 200, body
        assert checks["database"]["ok"] and checks["contracts"]["ok"] and checks["scheduler"]["ok"]
        assert checks["slack"]["team"] == inbound.DEFAULT_TEAM_ID  # auth.test against the emulator
        assert checks["contracts"]["changed_on_disk"] is False
        assert get(base + "/metrics")[0] == 403  # never open on the main port without a token
        status, text = get(f"http://127.0.0.1:{metrics_port}/metrics")
        assert status == 200 and "slabot_database_up 1.0" in text, text
        form, content_type = inbound.slash_command("help", "U0AGENT001", "C0SUPPORT1")
        headers = {"Content-Type": content_type, **sign_request(SECRET, form)}
        request = urllib.request.Request(base + "/slack/events", data=form.encode(), headers=headers)
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 200
        code = process.stop()
    finally:
        process.kill()
    assert code == 0, "\n".join(process.lines)
    process.wait_for("msg=stopping signal=SIGTERM", timeout=1)
    process.wait_for("msg=stopped clean=True", timeout=1)
    assert not [line for line in process.lines if "Traceback" in line or "level=error" in line], process.lines


def test_worker_serves_health_and_metrics_and_stops_cleanly(tmp_path: Path, slack: SlackEmulator) -> None:
    port = free_port()
    env = env_for(tmp_path, slack, PORT=str(port), SLABOT_METRICS_TOKEN="worker-scrape")
    process = Process(["worker"], env, tmp_path)
    try:
        process.wait_for(f"health checks on 127.0.0.1:{port}")
        base = f"http://127.0.0.1:{port}"
        assert get(base + "/livez")[0] == 200
        status, body = get(base + "/readyz")
        assert status == 200 and json.loads(body)["checks"]["scheduler"]["jobs"] >= 2, body
        assert get(base + "/metrics")[0] == 401
        assert get(base + "/slack/events")[0] == 404  # the worker serves operations only
        deadline = time.monotonic() + 20
        while True:  # the worker's own sweeps are in its metrics
            status, text = get(base + "/metrics", {"Authorization": "Bearer worker-scrape"})
            if "slabot_sweep_duration_seconds_count 0.0" not in text or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert status == 200 and "slabot_sweep_duration_seconds_count" in text
        assert "slabot_sweep_duration_seconds_count 0.0" not in text
        code = process.stop()
    finally:
        process.kill()
    assert code == 0, "\n".join(process.lines)
    process.wait_for("msg=stopped clean=True", timeout=1)


def test_a_worker_without_a_free_port_says_so_in_one_line(tmp_path: Path, slack: SlackEmulator) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "bot.cli", "worker"],
            env=env_for(tmp_path, slack, PORT=str(port)),
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1].startswith(f"PORT: cannot listen on 127.0.0.1:{port}")
    assert "Traceback" not in done.stderr
