"""A small HTTP listener for operations only: ``/livez``, ``/readyz``, ``/healthz`` and ``/metrics``.

``slabot worker`` serves it on ``SLABOT_HOST:PORT`` (its health checks; ``/metrics`` there needs the
token like on the web port), and every process opens a second one on ``SLABOT_METRICS_ADDRESS`` when
that is set (no token: the address is meant to be private). It runs on a few daemon threads beside the
process's real work; probes are cheap (liveness does no I/O, readiness checks have deadlines).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from bot.server import BackgroundServer
from bot.settings import SettingsError
from bot.web import HttpRequest, HttpResponse, _respond

log = logging.getLogger(__name__)

Route = Callable[[HttpRequest], HttpResponse]


class OpsApp:
    """A WSGI app with a handful of GET routes (no Slack, no body)."""

    def __init__(self, routes: dict[str, Route]) -> None:
        self.routes = dict(routes)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "") or "/"
        method = environ.get("REQUEST_METHOD", "GET").upper()
        handler = self.routes.get(path)
        if handler is None:
            return _respond(start_response, HttpResponse(404, "not found\n"))
        if method not in ("GET", "HEAD"):
            return _respond(start_response, HttpResponse(405, "use GET\n", headers={"Allow": "GET"}))
        headers = {k[5:].replace("_", "-").lower(): v for k, v in environ.items() if k.startswith("HTTP_")}
        request = HttpRequest(method, path, environ.get("QUERY_STRING", ""), headers, b"")
        try:
            return _respond(start_response, handler(request))
        except Exception:
            log.exception("ops listener: %s failed", path)
            return _respond(start_response, HttpResponse(500, "internal error\n"))


def ops_routes(ops: Any, *, metrics: Route | None) -> dict[str, Route]:
    """The health routes of a runtime (its ``services.ops``) plus ``metrics`` when given."""
    health = ops.health
    routes: dict[str, Route] = {"/livez": health.live, "/healthz": health.live, "/readyz": health.ready}
    if metrics is not None:
        routes["/metrics"] = metrics
    return routes


def listen(app: OpsApp, host: str, port: int, *, variable: str) -> BackgroundServer:
    """Start ``app`` on ``host:port`` in the background; a :class:`SettingsError` naming ``variable``
    when the address cannot be used (in use, not an address of this machine, ...)."""
    try:
        server = BackgroundServer(app, host, port)  # type: ignore[arg-type]  # any WSGI app
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise SettingsError([f"{variable}: cannot listen on {host}:{port} ({reason})"]) from None
    server.__enter__()
    log.info(
        "ops listener started", extra={"address": f"{host}:{server.port}", "paths": ",".join(app.routes)}
    )
    return server


def start_metrics_listener(runtime: Any) -> BackgroundServer | None:
    """The ``SLABOT_METRICS_ADDRESS`` listener of a runtime (None when the setting is unset)."""
    address = runtime.settings.metrics_listen
    if address is None:
        return None
    ops = runtime.services.ops
    app = OpsApp(ops_routes(ops, metrics=ops.metrics))
    return listen(app, address[0], address[1], variable="SLABOT_METRICS_ADDRESS")
