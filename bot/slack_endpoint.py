"""``POST /slack/events`` in front of Bolt: bounded, verified, normalised and stored before the ack.

Every request on the Slack path goes through :class:`SlackEndpoint` before Bolt sees it:

1. **Bounded**: only ``POST``; ``Content-Length`` is required and checked *before* the body is
   read (:data:`MAX_SLACK_BODY_BYTES`, 1 MB — Slack's bodies are a few kB): a 300 MB body is
   refused with 413 without being read, buffered or logged.
2. **Verified**: Slack's signature (``v0=`` HMAC-SHA256 of ``v0:timestamp:body``) and a timestamp
   within five minutes, checked on the raw bytes before anything parses them. A malformed header
   (a non-numeric or 30-digit timestamp, a signature that is not 64 hex digits) or a bad
   signature is a 401 — no traceback, and the body is never logged (Bolt's own check logged it).
3. **Normalised**: the payload is decoded (bad UTF-8, JSON that is not JSON or nests deeper than
   :data:`MAX_JSON_DEPTH` levels: 400) and every string passes :func:`bot.edge_text.storable`, so a
   NUL or a lone surrogate does not make the database refuse a client's message.
4. **Stored** (when an inbox is configured, :mod:`bot.inbox`): the request is written to the
   durable inbox, keyed by the event id (events) or the signature (commands, interactivity),
   before Bolt runs — storage down answers 503 so that Slack retries; a key seen before (Slack's
   redelivery, a replayed signed request) is answered 200 once more without being processed again.

Bolt's own signature check is switched off (``request_verification_enabled=False``): this class
checks every request that reaches Bolt over HTTP, and a stored request is processed again later
(after a crash) without the five-minute window.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qsl, urlencode

from slack_bolt import App, BoltRequest, BoltResponse

from bot.edge_text import MAX_JSON_DEPTH, json_depth_ok, storable_payload
from bot.inbox import Inbox, SlackRequest, StorageUnavailable
from bot.web import status_line

log = logging.getLogger(__name__)

MAX_SLACK_BODY_BYTES = 1_000_000
WINDOW_SECONDS = 5 * 60
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")


class Refused(Exception):
    """A request answered with ``status`` and a short reason (never the request's content)."""

    def __init__(self, status: int, reason: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.headers = headers or {}


def content_length(environ: dict[str, Any], limit: int) -> int:
    """The declared body length, refused (411/400/413) before a byte of the body is read."""
    raw = str(environ.get("CONTENT_LENGTH") or "").strip()
    if not raw:
        raise Refused(411, "Content-Length is required")
    if not raw.isascii() or not raw.isdigit() or len(raw) > 15:
        raise Refused(400, "malformed Content-Length")
    length = int(raw)
    if length > limit:
        raise Refused(413, f"request body too large (at most {limit:,} bytes)", {"Connection": "close"})
    return length


def read_body(environ: dict[str, Any], length: int) -> bytes:
    body = environ["wsgi.input"].read(length) if length else b""
    if len(body) != length:
        raise Refused(400, "request body shorter than its Content-Length")
    return body


def request_headers(environ: dict[str, Any]) -> dict[str, str]:
    headers = {
        key[5:].replace("_", "-").lower(): str(value)
        for key, value in environ.items()
        if key.startswith("HTTP_")
    }
    if environ.get("CONTENT_TYPE"):
        headers["content-type"] = str(environ["CONTENT_TYPE"])
    return headers


def verify_slack_signature(secret: str, headers: dict[str, str], body: bytes, now: float) -> None:
    """Slack's request signature, strictly: malformed headers are refused before any arithmetic."""
    stamp = headers.get("x-slack-request-timestamp", "").strip()
    signature = headers.get("x-slack-signature", "").strip()
    if not _TIMESTAMP.fullmatch(stamp):
        raise Refused(401, "missing or malformed X-Slack-Request-Timestamp")
    if not _SIGNATURE.fullmatch(signature):
        raise Refused(401, "missing or malformed X-Slack-Signature")
    if abs(now - int(stamp)) > WINDOW_SECONDS:
        raise Refused(401, "stale X-Slack-Request-Timestamp")
    expected = (
        "v0=" + hmac.new(secret.encode(), b"v0:" + stamp.encode() + b":" + body, hashlib.sha256).hexdigest()
    )
    if not secret or not hmac.compare_digest(expected, signature):
        raise Refused(401, "invalid request signature")


def parse_json(text: str) -> Any:
    if not json_depth_ok(text):
        raise Refused(400, f"JSON nested more than {MAX_JSON_DEPTH} levels")
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        raise Refused(400, "malformed JSON") from None


def normalise(body: bytes, content_type: str) -> tuple[str, Any]:
    """The body as text Bolt can parse, every string storable; and the decoded payload."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise Refused(400, "the body is not UTF-8") from None
    if content_type.split(";", 1)[0].strip().lower() == "application/json":
        payload, changed = storable_payload(parse_json(text) if text else {})
        return (json.dumps(payload, ensure_ascii=False) if changed else text), payload
    pairs = parse_qsl(text, keep_blank_values=True)
    fields, changed = storable_payload([list(pair) for pair in pairs])
    form = dict(fields)
    if "payload" in form:  # interactivity: a JSON document in a form field
        inner, inner_changed = storable_payload(parse_json(form["payload"]))
        if inner_changed:
            form["payload"] = json.dumps(inner, ensure_ascii=False)
            fields = [[k, form["payload"] if k == "payload" else v] for k, v in fields]
            changed = True
        return (_form(fields) if changed else text), {**form, "payload": inner}
    return (_form(fields) if changed else text), form


def _form(fields: list[list[str]]) -> str:
    return urlencode([(key, value) for key, value in fields])


def inbox_key(payload: Any, signature: str) -> tuple[str, str, str | None]:
    """``(key, kind, team_id)``: an Events API delivery by its event id, anything else by its signature
    (a replay of a signed command or button press is the same signature: answered once)."""
    doc = (
        payload.get("payload")
        if isinstance(payload, dict) and isinstance(payload.get("payload"), dict)
        else payload
    )
    if not isinstance(doc, dict):
        return f"sig:{signature}", "request", None
    kind = str(doc.get("type") or ("command" if "command" in doc else "request"))[:32]
    team = doc.get("team_id")
    if not team and isinstance(doc.get("team"), dict):
        team = doc["team"].get("id")
    team_id = str(team)[:32] if team else None
    if kind == "event_callback" and isinstance(doc.get("event_id"), str):
        return f"event:{doc['event_id'][:100]}", kind, team_id
    return f"sig:{signature}", kind, team_id


class SlackEndpoint:
    """The WSGI application of the Slack path (see the module docstring)."""

    def __init__(
        self,
        app: App,
        *,
        signing_secret: str,
        inbox: Inbox | None = None,
        now: Callable[[], float] = time.time,
        max_body: int = MAX_SLACK_BODY_BYTES,
    ) -> None:
        self.app = app
        self.secret = signing_secret
        self.inbox = inbox
        self.now = now
        self.max_body = max_body
        if inbox is not None:
            inbox.bind(self.dispatch)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        try:
            status, headers, body = self.handle(environ)
        except Refused as refused:
            log.info("slack request refused", extra={"status": refused.status, "reason": refused.reason})
            status, headers, body = (
                refused.status,
                {**refused.headers, "Content-Type": "text/plain; charset=utf-8"},
                (refused.reason + "\n").encode(),
            )
        out = [(k, v) for k, v in headers.items() if k.lower() != "content-length"]
        out.append(("Content-Length", str(len(body))))
        start_response(status_line(status), out)
        return [body]

    def handle(self, environ: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
        if str(environ.get("REQUEST_METHOD", "GET")).upper() != "POST":
            raise Refused(405, "use POST", {"Allow": "POST"})
        body = read_body(environ, content_length(environ, self.max_body))
        headers = request_headers(environ)
        if body == b"ssl_check=1" or body.startswith(b"ssl_check=1&"):
            return 200, {}, b""  # Slack's certificate check: nothing to do
        verify_slack_signature(self.secret, headers, body, self.now())
        text, payload = normalise(body, headers.get("content-type", ""))
        key, kind, team_id = inbox_key(payload, headers["x-slack-signature"].strip())
        request = SlackRequest(text, headers, str(environ.get("QUERY_STRING", "")), key, kind, team_id)
        if self.inbox is None:
            return self.dispatch(request)
        try:
            return self.inbox.accept(request, self.dispatch)
        except StorageUnavailable:
            raise Refused(503, "storage unavailable: retry later", {"Retry-After": "5"}) from None

    def dispatch(self, request: SlackRequest) -> tuple[int, dict[str, str], bytes]:
        """Bolt handles the request (its listeners' work after the ack runs on Bolt's pool)."""
        bolt_request = BoltRequest(body=request.body, query=request.query, headers=dict(request.headers))
        response: BoltResponse = self.app.dispatch(bolt_request)
        headers = {
            k: ", ".join(v) if isinstance(v, list | tuple) else str(v) for k, v in response.headers.items()
        }
        body = response.body.encode("utf-8") if isinstance(response.body, str) else (response.body or b"")
        return response.status, headers, body
