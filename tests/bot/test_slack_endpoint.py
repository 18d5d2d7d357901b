"""The Slack path before Bolt (``bot.slack_endpoint``): bounded before reading, verified before
parsing, refused with a 4xx and one log line (never the body, never a traceback), text normalised."""

from __future__ import annotations

import io
import json
import logging
import threading
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlencode

import pytest
from pydantic import SecretStr

from bot.emulator.signing import sign_request
from bot.logging_setup import StructuredFormatter
from bot.slack_endpoint import MAX_SLACK_BODY_BYTES, SlackEndpoint
from bot.sources import signing

SECRET = "endpoint-secret"


class FakeBolt:
    def __init__(self) -> None:
        self.requests: list[Any] = []

    def dispatch(self, request: Any) -> Any:
        from slack_bolt import BoltResponse

        self.requests.append(request)
        return BoltResponse(status=200, body="")


class NoRead(io.RawIOBase):
    def read(self, *_: Any) -> bytes:  # pragma: no cover - the test fails if it is called
        raise AssertionError("the body was read")


def _environ(body: bytes, headers: dict[str, str], *, length: str | None = None, stream: Any = None) -> dict:
    env = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/slack/events",
        "QUERY_STRING": "",
        "CONTENT_LENGTH": str(len(body)) if length is None else length,
        "wsgi.input": stream if stream is not None else io.BytesIO(body),
    }
    for name, value in headers.items():
        if name.lower() == "content-type":
            env["CONTENT_TYPE"] = value
        else:
            env["HTTP_" + name.upper().replace("-", "_")] = value
    return env


def _call(endpoint: SlackEndpoint, env: dict) -> tuple[int, bytes]:
    seen: list[str] = []
    body = b"".join(endpoint(env, lambda status, headers, *exc: seen.append(status)))
    return int(seen[0].split()[0]), body


@pytest.fixture
def bolt() -> FakeBolt:
    return FakeBolt()


@pytest.fixture
def endpoint(bolt: FakeBolt) -> SlackEndpoint:
    return SlackEndpoint(bolt, signing_secret=SECRET)  # type: ignore[arg-type]


def _signed(body: bytes, content_type: str = "application/json", **extra: str) -> dict[str, str]:
    return {"Content-Type": content_type, **sign_request(SECRET, body), **extra}


def test_a_300_mb_body_is_refused_before_a_byte_is_read(endpoint: SlackEndpoint, bolt: FakeBolt) -> None:
    env = _environ(b"", {"Content-Type": "application/json"}, length=str(300 * 1024 * 1024), stream=NoRead())
    assert _call(endpoint, env)[0] == 413
    env = _environ(b"", {}, length=str(MAX_SLACK_BODY_BYTES + 1), stream=NoRead())
    assert _call(endpoint, env)[0] == 413
    assert _call(endpoint, _environ(b"", {}, length="", stream=NoRead()))[0] == 411
    assert _call(endpoint, _environ(b"", {}, length="1e9", stream=NoRead()))[0] == 400
    assert _call(endpoint, _environ(b"", {}, length="9" * 30, stream=NoRead()))[0] == 400
    assert not bolt.requests


MALFORMED_UNSIGNED = [
    (b"\xff\xfe{not utf-8", {"Content-Type": "application/json"}),
    (b"[" * 100_000 + b"]" * 100_000, {"Content-Type": "application/json"}),
    (b'{"type":"event_callback"}', {"Content-Type": "application/json", "X-Slack-Request-Timestamp": "soon"}),
    (
        b'{"type":"event_callback"}',
        {"X-Slack-Request-Timestamp": "9" * 30, "X-Slack-Signature": "v0=" + "0" * 64},
    ),
    (b'{"a":1}', {"X-Slack-Request-Timestamp": "١٢٣", "X-Slack-Signature": "v0=" + "0" * 64}),
    (b'{"a":1}', {"X-Slack-Request-Timestamp": str(int(time.time())), "X-Slack-Signature": "v0=zz"}),
    (b"payload=%7B%22deep%22%3A" + b"%5B" * 5000, {"Content-Type": "application/x-www-form-urlencoded"}),
    (
        b"command=/sla&text=\x00\n" + b"forged line level=error",
        {"Content-Type": "application/x-www-form-urlencoded"},
    ),
]


@pytest.mark.parametrize(("body", "headers"), MALFORMED_UNSIGNED)
def test_malformed_unsigned_requests_get_401_one_log_line_and_no_traceback(
    endpoint: SlackEndpoint, bolt: FakeBolt, body: bytes, headers: dict, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    status, answer = _call(endpoint, _environ(body, headers))
    assert status == 401
    assert b"Traceback" not in answer and len(answer) < 100
    assert not bolt.requests
    # the request's own lines: caplog also hears threads an earlier test of this worker left behind
    records = [r for r in caplog.records if r.thread == threading.get_ident()]
    assert records, "the refusal was not logged"
    assert all(r.exc_info is None and r.levelno < logging.ERROR for r in records)
    formatter = StructuredFormatter("logfmt")
    for record in records:
        line = formatter.format(record)
        assert "\n" not in line and "forged" not in line and "deep" not in line


def test_signed_but_undecodable_bodies_get_400(endpoint: SlackEndpoint, bolt: FakeBolt) -> None:
    for body in (b"\xff\xfe{", b"[" * 1000 + b"]" * 1000, b'{"type": '):
        assert _call(endpoint, _environ(body, _signed(body)))[0] == 400
    assert not bolt.requests


def test_stale_and_forged_signatures_get_401(endpoint: SlackEndpoint, bolt: FakeBolt) -> None:
    body = b'{"type":"event_callback","event_id":"Ev1"}'
    stale = {"Content-Type": "application/json", **sign_request(SECRET, body, int(time.time()) - 301)}
    assert _call(endpoint, _environ(body, stale))[0] == 401
    forged = {"Content-Type": "application/json", **sign_request("guess", body)}
    assert _call(endpoint, _environ(body, forged))[0] == 401
    assert _call(endpoint, _environ(body, _signed(body)))[0] == 200
    assert len(bolt.requests) == 1


def test_nul_and_lone_surrogates_reach_bolt_as_storable_text(endpoint: SlackEndpoint, bolt: FakeBolt) -> None:
    event = b'{"type":"event_callback","event_id":"Ev2","event":{"type":"message","text":"a\\u0000b \\ud83d c \\ud83d\\ude00"}}'
    assert _call(endpoint, _environ(event, _signed(event)))[0] == 200
    text = json.loads(bolt.requests[-1].raw_body)["event"]["text"]
    assert text == "a\\u0000b \\ud83d c \U0001f600"
    text.encode("utf-8")  # storable: no lone surrogate left
    form = urlencode({"command": "/sla", "text": "start P2 acme Printer\x00 on fire"}).encode()
    assert _call(endpoint, _environ(form, _signed(form, "application/x-www-form-urlencoded")))[0] == 200
    assert parse_qs(bolt.requests[-1].raw_body)["text"] == ["start P2 acme Printer\\u0000 on fire"]


def test_a_thirty_digit_webhook_timestamp_is_a_signature_error_not_a_crash() -> None:
    secrets = {"ci": SecretStr("webhook-secret")}
    for stamp in ("9" * 30, "١٢٣", "-5", ""):
        headers = {"x-slabot-timestamp": stamp, "x-slabot-signature": "sha256=" + "0" * 64}
        with pytest.raises(signing.SignatureError):
            signing.verify_slabot(secrets, headers, b"{}", datetime.now(UTC))
