"""The HTTP face of slabot: one WSGI application that any WSGI server can serve.

Routes:
- ``POST /slack/events`` — slash commands, interactivity and events (``bot.slack_endpoint``: at most
  1 MB, Slack's signature checked before anything is parsed — 401 otherwise —, stored in the inbox
  before the ack — 503 when storage is down, so Slack retries)
- ``GET /slack/install``, ``GET /slack/oauth_redirect`` — the OAuth install flow (when configured)
- ``GET /healthz`` — liveness and database reachability
- further routes registered by features (``/metrics``, ``/webhooks/...``)

``slabot run`` serves it with waitress; ``gunicorn bot.wsgi:application`` serves the same object.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler

from bot.edge_text import decode_json
from bot.logging_setup import REQUEST_ID

log = logging.getLogger(__name__)
_REQUEST_ID_OK = re.compile(r"[A-Za-z0-9._-]{1,64}")

#: every route's body limit, checked on Content-Length before reading (the Slack path: bot.slack_endpoint)
MAX_BODY_BYTES = 1_000_000
#: health probes: their successful answers are logged at DEBUG only (a probe every few seconds)
PROBE_PATHS = frozenset({"/livez", "/readyz", "/healthz"})
HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


@dataclass(frozen=True)
class HttpRequest:
    method: str
    path: str
    query: str
    headers: dict[str, str]  # lower-case names
    body: bytes

    def json(self) -> Any:
        """The body as JSON (``ValueError`` when it is not UTF-8, not JSON or nested too deep),
        every string storable (:mod:`bot.edge_text`)."""
        return decode_json(self.body)


@dataclass
class HttpResponse:
    status: int
    body: bytes | str = b""
    content_type: str = "text/plain; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, status: int, payload: Any) -> HttpResponse:
        return cls(status, json.dumps(payload), "application/json")


Route = Callable[[HttpRequest], HttpResponse]

_REASONS = {
    200: "OK",
    202: "Accepted",
    204: "No Content",
    302: "Found",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    411: "Length Required",
    413: "Payload Too Large",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


def status_line(status: int) -> str:
    """WSGI's status line for ``status``: ``"413 Payload Too Large"`` (every response slabot serves)."""
    return f"{status} {_REASONS.get(status, 'Status')}"


class WebApp:
    """A tiny WSGI router in front of Bolt's own WSGI adapter."""

    def __init__(
        self,
        bolt_app: App,
        *,
        events_path: str = "/slack/events",
        events: Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]] | None = None,
    ) -> None:
        """``events``: the WSGI app of ``events_path`` (``bot.slack_endpoint.SlackEndpoint``:
        bounded, verified, stored before the ack); without it Bolt's own adapter serves the path."""
        self._slack = SlackRequestHandler(bolt_app, path=events_path)
        self._events_path = events_path
        self._events = events
        self._slack_paths = {events_path}
        if bolt_app.oauth_flow is not None:
            self._slack_paths |= {bolt_app.oauth_flow.install_path, bolt_app.oauth_flow.redirect_uri_path}
        self._routes: dict[tuple[str, str], Route] = {}
        #: called after every request with (method, route, status, seconds): ``route`` is the path when
        #: it is one of the app's, else ``"other"`` (so a scan of random URLs adds no new series)
        self.observers: list[Callable[[str, str, str, float], None]] = []

    def route(self, method: str, path: str, handler: Route) -> None:
        self._routes[(method.upper(), path)] = handler

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        # every log line of the request carries its id (X-Request-Id when the proxy sent a sane one)
        given = environ.get("HTTP_X_REQUEST_ID", "")
        request_id = given if _REQUEST_ID_OK.fullmatch(given) else uuid.uuid4().hex[:16]
        token = REQUEST_ID.set(request_id)
        started = time.perf_counter()
        status: list[str] = []

        def start(status_line: str, headers: list[tuple[str, str]], *exc: Any) -> Any:
            status.append(status_line.split(" ", 1)[0])
            return start_response(status_line, [*headers, ("X-Request-Id", request_id)], *exc)

        try:
            return self._dispatch(environ, start)
        finally:
            self._finished(environ, status[0] if status else "-", time.perf_counter() - started)
            REQUEST_ID.reset(token)

    def _finished(self, environ: dict[str, Any], status: str, seconds: float) -> None:
        """The request's one ``http`` log line (health probes only at DEBUG) and its observers (metrics)."""
        method = environ.get("REQUEST_METHOD", "GET")
        path = environ.get("PATH_INFO", "") or "/"
        quiet = path in PROBE_PATHS and status == "200"
        log.log(
            logging.DEBUG if quiet else logging.INFO,
            "http",
            extra={
                "request_id": REQUEST_ID.get(),
                "method": method,
                "path": path,
                "status": status,
                "ms": round(seconds * 1000, 1),
            },
        )
        known = path in self._slack_paths or any(p == path for (_m, p) in self._routes)
        route = path if known else "other"
        for observe in self.observers:
            try:
                observe(method.upper() if method.upper() in HTTP_METHODS else "other", route, status, seconds)
            except Exception:  # an observer never fails a request
                log.exception("http observer failed")

    def _dispatch(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "") or "/"
        method = environ.get("REQUEST_METHOD", "GET").upper()
        if path == self._events_path and self._events is not None:
            return self._events(environ, start_response)
        if path in self._slack_paths:
            return self._slack(environ, start_response)
        handler = self._routes.get((method, path))
        if handler is None:
            allowed = sorted(m for (m, p) in self._routes if p == path)
            response = (
                HttpResponse(405, f"use {', '.join(allowed)}\n", headers={"Allow": ", ".join(allowed)})
                if allowed
                else HttpResponse(404, "not found\n")
            )
            return _respond(start_response, response)
        raw_length = str(environ.get("CONTENT_LENGTH") or "0").strip()
        if not raw_length.isascii() or not raw_length.isdigit() or len(raw_length) > 15:
            return _respond(start_response, HttpResponse(400, "malformed Content-Length\n"))
        length = int(raw_length)
        if length > MAX_BODY_BYTES:  # checked before a byte of the body is read
            return _respond(start_response, HttpResponse(413, "request body too large\n"))
        body = environ["wsgi.input"].read(length) if length else b""
        headers = {
            key[5:].replace("_", "-").lower(): value
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        if environ.get("CONTENT_TYPE"):
            headers["content-type"] = environ["CONTENT_TYPE"]
        request = HttpRequest(method, path, environ.get("QUERY_STRING", ""), headers, body)
        try:
            response = handler(request)
        except Exception:  # the one place an unexpected error becomes a 500, logged with its traceback
            log.exception("unhandled error on %s %s", method, path)
            response = HttpResponse(500, "internal error\n")
        return _respond(start_response, response)


def _respond(start_response: Callable[..., Any], response: HttpResponse) -> list[bytes]:
    body = response.body.encode("utf-8") if isinstance(response.body, str) else response.body
    headers = [("Content-Type", response.content_type), ("Content-Length", str(len(body)))]
    headers += list(response.headers.items())
    start_response(status_line(response.status), headers)
    return [body]
