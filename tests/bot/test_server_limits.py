"""The served configuration (``slabot run``: waitress through ``bot.server.serve``) against one client
trying to take it down: slow sockets that trickle a byte now and then are cut off at the read
deadline and never keep legitimate requests out; bodies over the limit are refused unread."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
import urllib.request
from collections.abc import Iterator

import pytest

from bot import server as served

SLOW_SOCKETS = 150  # more than waitress's default connection limit (100)


def _app(environ, start_response):  # a tiny WSGI app: the limits are the server's
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
    return [b"ok"]


@pytest.fixture
def url(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setattr(served, "REQUEST_READ_SECONDS", 1.0)
    stop = threading.Event()
    bound: list[int] = []
    listening = threading.Event()

    def on_listening(host: str, port: int) -> None:
        bound.append(port)
        listening.set()

    thread = threading.Thread(
        target=served.serve,
        args=(_app, "127.0.0.1", 0, 4),
        kwargs={"stop": stop, "grace": 1.0, "on_listening": on_listening},
        daemon=True,
    )
    thread.start()
    assert listening.wait(10)
    try:
        yield f"http://127.0.0.1:{bound[0]}"
    finally:
        stop.set()
        thread.join(10)


def _slow_socket(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    sock.sendall(b"POST /slack/events HTTP/1.1\r\nHost: x\r\n")
    return sock


def test_slow_clients_are_cut_off_and_legitimate_requests_answered(url: str) -> None:
    port = int(url.rsplit(":", 1)[1])
    slow = [_slow_socket(port) for _ in range(SLOW_SOCKETS)]
    stop = threading.Event()

    def trickle() -> None:
        while not stop.is_set():
            for sock in slow:
                with contextlib.suppress(OSError):
                    sock.send(b"X")
            stop.wait(0.3)

    trickler = threading.Thread(target=trickle, daemon=True)
    trickler.start()
    try:
        for _ in range(10):  # every legitimate request is answered while the slow sockets are open
            with urllib.request.urlopen(url + "/livez", timeout=10) as response:
                assert response.read() == b"ok"
        # the trickling sockets are closed by the server at the read deadline, though they keep sending
        deadline = time.monotonic() + 15
        closed = 0
        while time.monotonic() < deadline and closed < SLOW_SOCKETS:
            closed = 0
            for sock in slow:
                sock.settimeout(0.01)
                try:
                    closed += sock.recv(1) == b""
                except (TimeoutError, BlockingIOError):
                    pass
                except OSError:
                    closed += 1
        assert closed == SLOW_SOCKETS
    finally:
        stop.set()
        trickler.join(5)
        for sock in slow:
            sock.close()


def test_a_body_over_the_limit_is_refused_before_it_is_sent(url: str) -> None:
    port = int(url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Length: 314572800\r\n\r\n")
        sock.sendall(b"x" * 65536)
        answer = sock.recv(4096)
    assert answer.startswith(b"HTTP/1.1 413")


def test_a_stop_after_the_server_closed_wakes_nothing_and_raises_nothing() -> None:
    """The serve loop can see ``stop`` on its own poll timeout and close the server (and waitress's
    trigger) before the watcher thread pulls that trigger: the closed trigger's EBADF is not an error."""

    class Closed:
        pulls = 0

        def pull_trigger(self) -> None:
            self.pulls += 1
            raise OSError(9, "Bad file descriptor")

    stop, server = threading.Event(), Closed()
    stop.set()
    served._wake_on(stop, server)
    assert server.pulls == 1
