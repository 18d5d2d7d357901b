"""Readiness checks (deadlines, Slack's verdict cached, refused vs unreachable) and the HTTP server's
graceful drain: requests in flight are answered, new connections are not taken, it ends in time."""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
from typing import Any

import pytest
from slack_sdk.errors import SlackApiError

from bot.ops.health import CheckResult, Health, SlackAuthCheck, contracts_check
from bot.server import serve


def test_liveness_does_no_io_and_readiness_reports_each_check() -> None:
    calls: list[str] = []

    def database() -> CheckResult:
        calls.append("db")
        raise ConnectionError("database is down")

    health = Health({"database": database, "contracts": lambda: CheckResult(True, {"file": "c.yaml"})})
    assert health.live().status == 200 and calls == []
    response = health.ready()
    body = json.loads(response.body)
    assert response.status == 503 and calls == ["db"]
    assert body["checks"] == {
        "database": {"ok": False, "error": "ConnectionError"},
        "contracts": {"ok": True, "file": "c.yaml"},
    }


def test_a_hanging_check_answers_within_its_deadline_and_is_not_started_twice() -> None:
    release = threading.Event()
    started: list[int] = []

    def hangs() -> CheckResult:
        started.append(1)
        release.wait(10)
        return CheckResult(True)

    health = Health({"database": hangs}, timeout=0.2)
    began = time.monotonic()
    first = json.loads(health.ready().body)
    second = json.loads(health.ready().body)
    assert time.monotonic() - began < 2
    assert first["checks"]["database"] == {"ok": False, "error": "no answer within 0.2 s"}
    assert second["checks"]["database"]["error"] == "the previous check has not returned yet"
    assert started == [1]
    release.set()


def test_while_stopping_readiness_is_503_and_liveness_200() -> None:
    health = Health({"database": lambda: CheckResult(True)})
    health.stopping.set()
    assert health.ready().status == 503 and json.loads(health.ready().body) == {"ok": False, "stopping": True}
    assert health.live().status == 200


class FakeSlack:
    def __init__(self, *answers: Any) -> None:
        self.answers = list(answers)
        self.calls = 0

    def auth_test(self) -> dict[str, str]:
        self.calls += 1
        answer = self.answers.pop(0)
        if isinstance(answer, BaseException):
            raise answer
        return answer


def refused(error: str) -> SlackApiError:
    return SlackApiError("refused", {"ok": False, "error": error})


def test_slack_refusing_the_token_is_not_ready_but_slack_unreachable_is() -> None:
    now = [0.0]
    revoked = SlackAuthCheck(FakeSlack(refused("token_revoked")), clock=lambda: now[0])
    assert revoked() == CheckResult(False, {"error": "token_revoked"})
    down = SlackAuthCheck(FakeSlack(ConnectionError("no route")), clock=lambda: now[0])
    assert down() == CheckResult(True, {"reachable": False, "warning": "ConnectionError"})


def test_slacks_verdict_is_cached_good_news_longer_than_bad() -> None:
    now = [0.0]
    slack = FakeSlack(
        refused("invalid_auth"), {"team_id": "T1", "user_id": "U1"}, {"team_id": "T1", "user_id": "U1"}
    )
    check = SlackAuthCheck(slack, clock=lambda: now[0])
    assert not check().ok
    now[0] = 10.0
    assert not check().ok and slack.calls == 1  # cached 15 s
    now[0] = 16.0
    assert check() == CheckResult(True, {"team": "T1", "bot_user": "U1"}) and slack.calls == 2
    now[0] = 300.0
    assert check().ok and slack.calls == 2  # cached 5 minutes
    now[0] = 317.0
    assert check().ok and slack.calls == 3


def test_the_contract_check_tells_when_the_file_changed_since_start(tmp_path) -> None:
    import hashlib

    path = tmp_path / "contracts.yaml"
    path.write_text("a: 1\n", encoding="utf-8")
    check = contracts_check(path, hashlib.sha256(b"a: 1\n").hexdigest())
    assert check().detail["changed_on_disk"] is False
    path.write_text("a: 2\n", encoding="utf-8")
    assert check().ok and check().detail["changed_on_disk"] is True


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_drains_requests_in_flight_and_takes_no_new_ones() -> None:
    port = _free_port()
    entered = threading.Event()

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        if environ["PATH_INFO"] == "/slow":
            entered.set()
            time.sleep(1.0)
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "4")])
        return [b"done"]

    stop = threading.Event()
    listening = threading.Event()
    server = threading.Thread(
        target=serve,
        args=(app, "127.0.0.1", port),
        kwargs={"stop": stop, "grace": 5.0, "on_listening": lambda h, p: listening.set()},
        daemon=True,
    )
    server.start()
    assert listening.wait(10)
    idle = http.client.HTTPConnection("127.0.0.1", port, timeout=10)  # a keep-alive connection left idle
    idle.request("GET", "/fast")
    assert idle.getresponse().read() == b"done"
    results: list[tuple[int, bytes]] = []

    def slow() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", "/slow")
        response = conn.getresponse()
        results.append((response.status, response.read()))

    client = threading.Thread(target=slow)
    client.start()
    assert entered.wait(10)
    began = time.monotonic()
    stop.set()  # what SIGTERM does in slabot run
    client.join(10)
    server.join(10)
    assert results == [(200, b"done")]  # the request in flight got its whole answer
    assert not server.is_alive() and time.monotonic() - began < 4
    with pytest.raises(OSError):
        fresh = socket.create_connection(("127.0.0.1", port), timeout=2)
        fresh.sendall(b"GET /fast HTTP/1.1\r\nHost: x\r\n\r\n")
        if not fresh.recv(1):
            raise ConnectionResetError("closed without an answer")


def test_a_port_in_use_is_one_line_naming_port() -> None:
    from bot.settings import SettingsError

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        with pytest.raises(SettingsError) as info:
            serve(lambda e, s: [], "127.0.0.1", taken.getsockname()[1])
    assert info.value.problems[0].startswith("PORT: cannot listen on 127.0.0.1:")
