"""Serving the web app.

- ``serve``: waitress (a production WSGI server with a thread pool) for ``slabot run``.
- ``BackgroundServer``: a threaded stdlib server on a free port in a daemon thread, with a clean
  shutdown — for tests, benchmarks and the demo.
"""

from __future__ import annotations

import contextlib
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


#: a request (head and body) must arrive completely within this many seconds of its first byte: a
#: client trickling a byte every few seconds is cut off instead of holding a connection for ever
REQUEST_READ_SECONDS = 10.0
#: an idle keep-alive connection is closed after this many seconds
IDLE_SECONDS = 30
#: open connections in all; and from one client address (a proxy in front is one address: raise it there)
CONNECTION_LIMIT = 1000
CONNECTIONS_PER_CLIENT = 200
#: request bodies above this are refused by waitress before they are buffered (the app's routes
#: check the same on Content-Length: bot.web, bot.slack_endpoint)
MAX_REQUEST_BODY_BYTES = 1_000_000
MAX_REQUEST_HEADER_BYTES = 64 * 1024


def served_server(web: Any, host: str, port: int, threads: int) -> Any:
    """A waitress server for ``web`` with the limits above: a per-request read deadline (checked every
    second), an idle timeout, a connection limit in all and per client, body and header size limits."""
    from waitress import create_server
    from waitress.channel import HTTPChannel

    counts: dict[str, int] = {}

    class GuardedChannel(HTTPChannel):  # type: ignore[misc]
        reading_since: float | None = None

        def __init__(self, server: Any, sock: Any, addr: Any, adj: Any, map: Any = None) -> None:
            self.client = str(addr[0]) if isinstance(addr, tuple) and addr else str(addr)
            counts[self.client] = counts.get(self.client, 0) + 1
            super().__init__(server, sock, addr, adj, map)
            if counts[self.client] > CONNECTIONS_PER_CLIENT:
                self.will_close = True  # closed at the next loop, before it is read

        def received(self, data: bytes) -> bool:
            if self.request is None and data:
                self.reading_since = time.monotonic()
            done = super().received(data)
            if self.request is None:  # the request is complete (or none is started)
                self.reading_since = None
            return done

        def del_channel(self, map: Any = None) -> None:  # every close passes here once
            if self.client is not None:
                counts[self.client] = max(0, counts.get(self.client, 1) - 1)
                self.client = None  # type: ignore[assignment]
            super().del_channel(map)

    server = create_server(
        web,
        host=host,
        port=port,
        threads=threads,
        channel_timeout=IDLE_SECONDS,
        cleanup_interval=1,
        connection_limit=CONNECTION_LIMIT,
        max_request_body_size=MAX_REQUEST_BODY_BYTES,
        max_request_header_size=MAX_REQUEST_HEADER_BYTES,
        asyncore_use_poll=True,  # select() cannot watch more than 1024 sockets
    )
    server.channel_class = GuardedChannel
    plain_maintenance = server.maintenance

    def maintenance(now: float) -> None:
        plain_maintenance(now)
        cutoff = time.monotonic() - REQUEST_READ_SECONDS
        for channel in list(server.active_channels.values()):
            since = getattr(channel, "reading_since", None)
            if since is not None and since < cutoff and not channel.requests:
                channel.will_close = True  # a request still not complete: a slow client

    server.maintenance = maintenance
    return server


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
    from waitress import wasyncore  # the production server: only when serving

    stop = stop or threading.Event()
    try:
        server = served_server(web, host, port, threads)
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
    # the loop is sleeping in poll(): make it look at ``stop`` now — unless it saw ``stop`` first and
    # has closed the server (and its trigger) already: an OSError then, and nothing to wake
    with contextlib.suppress(OSError):
        server.pull_trigger()
