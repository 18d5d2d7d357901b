"""Serving the web app.

- ``serve``: waitress (a production WSGI server with a thread pool) for ``slabot run``.
- ``BackgroundServer``: a threaded stdlib server on a free port in a daemon thread, with a clean
  shutdown — for tests, benchmarks and the demo.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from bot.settings import SettingsError
from bot.web import WebApp

log = logging.getLogger(__name__)


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    request_queue_size = 128


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # access logs are not needed here
        return None


class BackgroundServer:
    """The web app on ``host:port`` (0 = a free port) in a daemon thread."""

    def __init__(self, web: WebApp | Callable[..., Any], host: str = "127.0.0.1", port: int = 0) -> None:
        self._server = make_server(
            host, port, web, server_class=_ThreadingWSGIServer, handler_class=_QuietHandler
        )
        self.port: int = self._server.server_port
        self.url = f"http://{host}:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="slabot-http", daemon=True)

    def __enter__(self) -> BackgroundServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def serve(
    web: WebApp,
    host: str,
    port: int,
    threads: int = 16,
    *,
    stop: threading.Event | None = None,
    grace: float = 8.0,
    on_listening: Callable[[str, int], None] | None = None,
) -> None:
    """Serve ``web`` with waitress until ``stop`` is set (``slabot run`` sets it on SIGTERM/SIGINT),
    then shut down gracefully within ``grace`` seconds: stop accepting connections, let the requests
    in flight finish and their answers reach the client, close idle keep-alive connections, stop the
    worker threads. A port that cannot be used is a :class:`bot.settings.SettingsError` naming ``PORT``."""
    from waitress import create_server, wasyncore  # the production server: only when serving

    stop = stop or threading.Event()
    try:
        server = create_server(web, host=host, port=port, threads=threads, channel_timeout=30)
    except OSError as exc:
        problem = f"cannot listen on {host}:{port} ({exc.strerror or exc})"
        raise SettingsError([f"PORT: {problem} — choose a free port (or SLABOT_HOST)"]) from None
    socket_map = getattr(server, "_map", None) or server.map
    use_poll = server.adj.asyncore_use_poll
    threading.Thread(target=_wake_on, args=(stop, server), name="slabot-stop-watch", daemon=True).start()
    if on_listening is not None:
        on_listening(server.effective_host, server.effective_port)
    while not stop.is_set():
        wasyncore.loop(timeout=1.0, map=socket_map, use_poll=use_poll, count=1)
    deadline = time.monotonic() + grace
    server.accepting = False  # the listening socket is no longer polled: nothing new is accepted
    while time.monotonic() < deadline:
        busy = False
        for channel in list(server.active_channels.values()):
            if channel.requests or channel.request is not None or channel.total_outbufs_len:
                busy = True
            else:
                channel.will_close = True  # an idle keep-alive connection: closed at the next loop
        if not busy and not server.active_channels:
            break
        wasyncore.loop(timeout=0.05, map=socket_map, use_poll=use_poll, count=1)
    else:
        log.warning("shutdown: requests still in flight after the grace period", extra={"grace_s": grace})
    server.task_dispatcher.shutdown(cancel_pending=True, timeout=max(0.1, deadline - time.monotonic()))
    server.close()


def _wake_on(stop: threading.Event, server: Any) -> None:
    stop.wait()
    server.pull_trigger()  # the loop is sleeping in poll(): make it look at ``stop`` now
