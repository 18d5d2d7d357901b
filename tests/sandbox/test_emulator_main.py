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
