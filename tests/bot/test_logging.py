"""Logs: one line per record in logfmt or JSON, whatever the text; secrets masked; APScheduler quiet."""

from __future__ import annotations

import io
import json
import logging
import re
import time
from collections.abc import Iterator

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.logging_setup import REQUEST_ID, StructuredFormatter, configure_logging, mask_secrets

_PAIR = re.compile(r'([A-Za-z0-9_.-]+)=("(?:[^"\\]|\\.)*"|[^ ]*)')


def parse_logfmt(line: str) -> dict[str, str]:
    """A strict reader of the lines slabot writes (the escapes of ``logfmt_value`` undone)."""
    out: dict[str, str] = {}
    pos = 0
    while pos < len(line):
        match = _PAIR.match(line, pos)
        assert match, f"not logfmt at {pos}: {line[pos : pos + 40]!r}"
        key, raw = match.groups()
        if raw.startswith('"'):
            raw = re.sub(
                r"\\(u[0-9a-f]{4}|U[0-9a-f]{8}|.)",
                lambda m: (
                    chr(int(m[1][1:], 16))
                    if m[1][0] in "uU" and len(m[1]) > 1
                    else {"n": "\n", "r": "\r", "t": "\t"}.get(m[1], m[1])
                ),
                raw[1:-1],
            )
        out[key] = raw
        pos = match.end()
        if pos < len(line):
            assert line[pos] == " ", line
            pos += 1
    return out


def record(msg: str, *args: object, exc: bool = False, **extra: object) -> logging.LogRecord:
    rec = logging.LogRecord("slabot.test", logging.WARNING, __file__, 1, msg, args, None)
    if exc:
        try:
            raise ValueError("boom\nforged=line")
        except ValueError:
            import sys

            rec.exc_info = sys.exc_info()
    for key, value in extra.items():
        setattr(rec, key, value)
    return rec


@settings(max_examples=150, deadline=None)
@given(text=st.text(), value=st.text())
@example(text="\U0001bca0", value="\U0001bca00")  # a format character beyond U+FFFF (was read back as 'ᯊ0')
def test_no_text_can_split_or_forge_a_logfmt_line(text: str, value: str) -> None:
    line = StructuredFormatter("logfmt").format(record("client wrote %s", text, detail=value))
    assert len(line.splitlines()) == 1 and "\n" not in line
    fields = parse_logfmt(line)
    assert list(fields)[:5] == ["ts", "level", "logger", "request_id", "msg"]
    assert fields["msg"] == mask_secrets(f"client wrote {text}")
    assert fields["detail"] == mask_secrets(value)
    assert fields["level"] == "warning" and fields["logger"] == "slabot.test"


@settings(max_examples=150, deadline=None)
@given(text=st.text())
def test_no_text_can_split_a_json_line(text: str) -> None:
    line = StructuredFormatter("json").format(record("%s", text, ticket="T-1"))
    assert len(line.splitlines()) == 1
    data = json.loads(line)
    assert data["ticket"] == "T-1" and data["level"] == "warning"
    assert data["msg"] == mask_secrets(text)


def test_a_forged_record_in_user_text_stays_inside_its_value() -> None:
    evil = 'Thanks!\nts=2026-01-01T00:00:00Z level=error logger=bot.web msg="admin deleted"'
    line = StructuredFormatter("logfmt").format(record("title=%s", evil))
    fields = parse_logfmt(line)
    assert list(fields) == ["ts", "level", "logger", "request_id", "msg"] and fields["level"] == "warning"
    assert fields["msg"] == "title=" + evil and len(line.splitlines()) == 1


def test_exceptions_and_extras_are_fields_of_the_same_line() -> None:
    token = REQUEST_ID.set("req-7")
    try:
        line = StructuredFormatter("logfmt").format(record("failed", exc=True, ticket="T-9", ms=12.5))
    finally:
        REQUEST_ID.reset(token)
    fields = parse_logfmt(line)
    assert fields["request_id"] == "req-7" and fields["ticket"] == "T-9" and fields["ms"] == "12.5"
    assert fields["exc"].startswith("Traceback") and "forged=line" in fields["exc"]
    assert len(line.splitlines()) == 1


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("bot xoxb-123-456-abcDEF", "bot xoxb-***"),
        ("user xoxp-1-2-3", "user xoxp-***"),
        ("app-level xapp-1-A0-123-abc", "app-level xapp-***"),
        ("refresh xoxe-1-My4xLTEyMzQ1", "refresh xoxe-***"),
        ("rotated xoxe.xoxb-1-MTIzNDU2", "rotated xoxe.xoxb-***"),
        ("rotated user xoxe.xoxp-1-abc", "rotated user xoxe.xoxp-***"),
        (
            "X-Slack-Signature: v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503",
            "X-Slack-Signature: v0=***",
        ),
        ("X-Hub-Signature: sha256=deadbeef", "X-Hub-Signature: sha256=***"),
        ("Authorization: Bearer s3cr3t-token", "Authorization: Bearer ***"),
        ("Authorization: Basic dXNlcjpwYXNz", "Authorization: Basic ***"),
        ("postgresql://slabot:hunter2@db:5432/slabot", "postgresql://slabot:***@db:5432/slabot"),
    ],
)
def test_tokens_signatures_and_passwords_are_masked(text: str, masked: str) -> None:
    assert mask_secrets(text) == masked
    line = StructuredFormatter("json").format(record("%s", text, exc=False, url=text))
    assert json.loads(line)["msg"] == masked and json.loads(line)["url"] == masked


def test_configured_secrets_are_masked_everywhere_even_in_tracebacks() -> None:
    secret = "8f742231b10e8888abcd99yyyzzz85a5"  # a signing secret has no recognisable prefix
    formatter = StructuredFormatter("logfmt", secrets=[secret, "short"])
    rec = record("verifying with %s", secret, exc=True, detail=f"key={secret}")
    try:
        raise RuntimeError(f"bad secret {secret}")
    except RuntimeError:
        import sys

        rec.exc_info = sys.exc_info()
    line = formatter.format(rec)
    assert secret not in line and line.count("***") >= 3


def test_settings_list_every_secret_to_mask() -> None:
    from bot.settings import Settings

    settings = Settings(
        SLACK_SIGNING_SECRET="signing-secret-value",
        SLABOT_WEBHOOK_SECRETS="zendesk=zendesk-secret-1,jira=jira-secret-22",
        SLABOT_TASKS_TOKEN="tasks-token-333",
        DATABASE_URL="sqlite://",
    )
    assert {"signing-secret-value", "zendesk-secret-1", "jira-secret-22", "tasks-token-333"} <= set(
        settings.secret_values()
    )


@pytest.fixture
def root_logging() -> Iterator[None]:
    root = logging.getLogger()
    saved = (root.handlers[:], root.level, logging.getLogger("apscheduler").level)
    yield
    root.handlers[:], root.level = saved[0], saved[1]
    logging.getLogger("apscheduler").setLevel(saved[2])


def test_apscheduler_runs_leave_no_info_lines(root_logging: None) -> None:
    from apscheduler.schedulers.background import BackgroundScheduler

    stream = io.StringIO()
    configure_logging("INFO", "logfmt", stream=stream)
    ran = []
    scheduler = BackgroundScheduler()
    scheduler.add_job(lambda: ran.append(1), "interval", seconds=0.05)
    scheduler.start()
    try:
        deadline = time.monotonic() + 5
        while len(ran) < 3 and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        scheduler.shutdown()
    assert len(ran) >= 3
    logging.getLogger("slabot.test").info("still %s", "here")
    lines = stream.getvalue().splitlines()
    assert not [line for line in lines if "logger=apscheduler" in line], lines
    assert parse_logfmt(lines[-1])["msg"] == "still here"


def test_json_format_is_one_object_per_line(root_logging: None) -> None:
    stream = io.StringIO()
    configure_logging("DEBUG", "json", stream=stream, secrets=["super-secret-value"])
    logging.getLogger("bot.web").info("http", extra={"path": "/x\ny", "status": "200"})
    logging.getLogger("bot.x").warning("leaked super-secret-value")
    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert first["msg"] == "http" and first["path"] == "/x\ny" and first["status"] == "200"
    assert second["msg"] == "leaked ***" and second["level"] == "warning"
