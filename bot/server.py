"""Serving the web app.

- ``serve``: waitress (a production WSGI server with a thread pool) for ``slabot run``.
- ``BackgroundServer``: a threaded stdlib server on a free port in a daemon thread, with a clean
  shutdown — for tests, benchmarks and the demo.
"""

from __future__ import annotations

import threading
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from bot.web import WebApp


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    request_queue_size = 128


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # access logs are not needed here
        return None


class BackgroundServer:
    """The web app on ``host:port`` (0 = a free port) in a daemon thread."""

    def __init__(self, web: WebApp, host: str = "127.0.0.1", port: int = 0) -> None:
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


def serve(web: WebApp, host: str, port: int, threads: int = 16) -> None:
    """Serve until interrupted (SIGINT/SIGTERM)."""
    from waitress import serve as waitress_serve

    waitress_serve(web, host=host, port=port, threads=threads, channel_timeout=30)
