"""Socket Mode end to end: ``apps.connections.open`` (emulator) hands out the URL of a local WebSocket
server that plays Slack's side; slack_sdk's own Socket Mode client connects to it, receives a slash
command envelope and answers with the same listener as over HTTP (the ack's payload)."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import signal
import socket
import struct
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qsl

import pytest

from bot import cli
from bot.app import bootstrap, socket_mode_handler
from bot.clock import ManualClock
from bot.emulator import inbound
from bot.emulator.server import SlackEmulator
from bot.settings import Settings
from handlers import commands
from tests.support.settings import example_settings

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
AGENT, SUPPORT = "U0AGENT001", "C0SUPPORT1"


class FakeSlackSocket:
    """One WebSocket connection, as Slack's Socket Mode server speaks it: ``hello``, then envelopes."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.url = f"ws://127.0.0.1:{self.port}/link/?ticket=emulated"
        self.connected = threading.Event()
        self.replies: list[dict] = []
        self.replied = threading.Condition()
        self.conn: socket.socket | None = None
        self.handshake = ""
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        conn, _ = self.listener.accept()
        request = b""
        while b"\r\n\r\n" not in request:
            request += conn.recv(4096)
        self.handshake = request.decode()
        key = next(
            line.split(":", 1)[1].strip()
            for line in self.handshake.split("\r\n")
            if line.lower().startswith("sec-websocket-key:")
        )
        accept = base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()
        conn.sendall(
            (
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Accept: {accept}\r\n\r\n"
            ).encode()
        )
        self.conn = conn
        self.send({"type": "hello", "num_connections": 1, "debug_info": {"host": "emulated"}})
        self.connected.set()
        try:
            while True:
                opcode, payload = self._read_frame(conn)
                if opcode == 0x1:
                    with self.replied:
                        self.replies.append(json.loads(payload))
                        self.replied.notify_all()
                elif opcode == 0x9:  # ping → pong
                    self._write_frame(0xA, payload)
                elif opcode == 0x8:
                    return
        except OSError:
            return

    def send(self, message: dict) -> None:
        self._write_frame(0x1, json.dumps(message).encode())

    def _write_frame(self, opcode: int, data: bytes) -> None:
        assert self.conn is not None
        header = bytes([0x80 | opcode])
        if len(data) < 126:
            header += bytes([len(data)])
        elif len(data) < 65536:
            header += bytes([126]) + struct.pack("!H", len(data))
        else:
            header += bytes([127]) + struct.pack("!Q", len(data))
        self.conn.sendall(header + data)

    @staticmethod
    def _read_exact(conn: socket.socket, n: int) -> bytes:
        data = b""
        while len(data) < n:
            chunk = conn.recv(n - len(data))
            if not chunk:
                raise OSError("closed")
            data += chunk
        return data

    def _read_frame(self, conn: socket.socket) -> tuple[int, bytes]:
        first, second = self._read_exact(conn, 2)
        length = second & 0x7F
        if length == 126:
            length = struct.unpack("!H", self._read_exact(conn, 2))[0]
        elif length == 127:
            length = struct.unpack("!Q", self._read_exact(conn, 8))[0]
        mask = self._read_exact(conn, 4) if second & 0x80 else b"\0\0\0\0"
        data = bytes(b ^ mask[i % 4] for i, b in enumerate(self._read_exact(conn, length)))
        return first & 0x0F, data

    def wait_reply(self, envelope_id: str, timeout: float = 10.0) -> dict:
        with self.replied:
            ok = self.replied.wait_for(
                lambda: any(r.get("envelope_id") == envelope_id for r in self.replies), timeout
            )
            assert ok, f"no reply to {envelope_id}: {self.replies}"
            return next(r for r in self.replies if r.get("envelope_id") == envelope_id)

    def close(self) -> None:
        for s in (self.conn, self.listener):
            if s is not None:
                with contextlib.suppress(OSError):
                    s.close()


@pytest.fixture
def slack() -> Iterator[SlackEmulator]:
    with SlackEmulator(clock=ManualClock(datetime(2026, 11, 24, 9, 0, tzinfo=UTC))) as emulator:
        emulator.add_user(AGENT, "agent")
        yield emulator


def _settings(slack: SlackEmulator, tmp_path: Path) -> Settings:
    return example_settings(
        tmp_path / "socket.db",
        SLACK_BOT_TOKEN="xoxb-socket",
        SLACK_SIGNING_SECRET="unused-in-socket-mode",
        SLACK_APP_TOKEN="xapp-1-socket",
        SLACK_API_URL=slack.url,
    )


def test_a_slash_command_over_socket_mode_reaches_the_same_listener(
    slack: SlackEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(commands, "ACK_BUDGET_SECONDS", 30.0)
    fake = FakeSlackSocket()
    slack.socket_mode_url = fake.url
    runtime = bootstrap(
        _settings(slack, tmp_path), clock=ManualClock(datetime(2026, 11, 24, 9, 0, tzinfo=UTC))
    )
    handler = socket_mode_handler(runtime)
    try:
        handler.connect()
        assert fake.connected.wait(10)
        opened = slack.calls_to("apps.connections.open")
        assert len(opened) == 1
        body, _ = inbound.slash_command("start P2 acme Printer on fire", AGENT, SUPPORT)
        fake.send(
            {
                "envelope_id": "env-1",
                "type": "slash_commands",
                "accepts_response_payload": True,
                "payload": dict(parse_qsl(body)),
            }
        )
        reply = fake.wait_reply("env-1")
        assert reply["payload"]["response_type"] == "ephemeral"
        assert "Started T-1" in reply["payload"]["text"]
        state = runtime.services.tickets.state(team_id=inbound.DEFAULT_TEAM_ID, ref="T-1")
        assert state.ticket.title == "Printer on fire"
    finally:
        handler.close()
        fake.close()


def test_slabot_run_uses_socket_mode_when_an_app_token_is_set(
    slack: SlackEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[object] = []

    closed: list[bool] = []

    class Recorder:
        def __init__(self, runtime: object) -> None:
            self.runtime = runtime

        def connect(self) -> None:
            started.append(self.runtime)
            os.kill(os.getpid(), signal.SIGTERM)  # what the platform sends to stop slabot run

        def close(self) -> None:
            closed.append(True)

    import bot.processes

    # where `slabot run` looks them up (bot.processes binds both names when first imported: patching
    # bot.app alone worked only when this test ran before anything imported bot.processes)
    monkeypatch.setattr(bot.processes, "socket_mode_handler", Recorder)
    monkeypatch.setattr(bot.processes, "serve", lambda *a, **k: pytest.fail("served HTTP in Socket Mode"))
    settings = _settings(slack, tmp_path)
    for name, value in {
        "SLACK_BOT_TOKEN": "xoxb-socket",
        "SLACK_SIGNING_SECRET": "s",
        "SLACK_APP_TOKEN": "xapp-1-socket",
        "SLACK_API_URL": slack.url,
        "DATABASE_URL": settings.database_url,
        "SLABOT_CONTRACTS": str(settings.contracts),
        "SLABOT_SCHEDULER": "false",
    }.items():
        monkeypatch.setenv(name, value)
    assert cli.main(["run"]) == 0  # SIGTERM: the connection is closed and slabot exits cleanly
    assert len(started) == 1 and closed == [True]
