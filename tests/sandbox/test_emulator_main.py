"""``python -m bot.emulator``: the emulator in the foreground, for manual runs against ``slabot run``."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

from slack_sdk import WebClient

from bot.emulator.spec import REPO_ROOT


def test_module_prints_its_url_serves_and_writes_the_transcript(tmp_path: Path) -> None:
    transcript = tmp_path / "calls.jsonl"
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.emulator", "--transcript", str(transcript)],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        url = line.strip().split("SLACK_API_URL=", 1)[1]
        assert url.startswith("http://127.0.0.1:") and url.endswith("/api/")
        client = WebClient(base_url=url, token="xoxb-test")
        assert client.chat_postMessage(channel="C0ANYWHERE", text="hello")[
            "ok"
        ]  # channels appear on first use
    finally:
        process.send_signal(signal.SIGTERM)
        out, _ = process.communicate(timeout=10)
    assert process.returncode == 0 and "stopped after 1 calls" in out
    [record] = [json.loads(x) for x in transcript.read_text(encoding="utf-8").splitlines()]
    assert record["method"] == "chat.postMessage" and record["args"]["text"] == "hello"


def test_it_starts_with_the_example_workspace_so_slabot_finds_its_people(tmp_path: Path) -> None:
    from bot.sandbox.workspace import CHANNELS, PEOPLE
    from sla.contracts import load_contracts

    process = subprocess.Popen(
        [sys.executable, "-m", "bot.emulator"], cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip().split("SLACK_API_URL=", 1)[1]
        assert "example workspace" in process.stdout.readline()
        client = WebClient(base_url=url, token="xoxb-test")
        book = load_contracts(REPO_ROOT / "examples" / "contracts.yaml")
        named = set(book.agents.users) | {c for client in book.clients.values() for c in client.contacts}
        assert named <= set(PEOPLE)
        for user in sorted(named):
            assert client.users_info(user=user)["user"]["id"] == user  # was user_not_found
        channels = {c for client in book.clients.values() for c in client.channels}
        assert channels <= set(CHANNELS)
        for channel in sorted(channels):
            assert client.conversations_info(channel=channel)["channel"]["id"] == channel
        assert client.usergroups_users_list(usergroup=book.agents.usergroup)["users"]
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=10)
    assert process.returncode == 0
