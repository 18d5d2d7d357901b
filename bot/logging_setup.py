"""Structured, secret-free logs: one line per record, logfmt (default) or JSON (``SLABOT_LOG_FORMAT``).

Every value is quoted and escaped, so no text — a ticket title, a Slack message, an exception —
can end a line early or forge another record: a newline in user text is written ``\\n``. Tokens
(``xoxb-``, ``xoxp-``, ``xapp-``, ``xoxe-`` refresh tokens, ``xoxe.xoxb-`` rotated tokens, …),
request signatures, bearer credentials, URL passwords and the configured secrets themselves are
masked in the whole line, tracebacks included.

Keys: ``ts`` (UTC, ISO 8601), ``level``, ``logger``, ``request_id`` (the HTTP request being served,
``-`` outside one), ``msg``, then the record's ``extra={...}`` fields, then ``exc`` (a traceback).
"""

from __future__ import annotations

import json
import logging
import re
import sys
import unicodedata
from collections.abc import Iterable
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import IO, Any

#: the id of the HTTP request being served (set by ``bot.web.WebApp``; "-" outside a request).
REQUEST_ID: ContextVar[str] = ContextVar("slabot_request_id", default="-")

#: Slack tokens (bot, user, app-level, legacy, refresh ``xoxe-``, rotated ``xoxe.xoxb-``), request
#: signatures and credentials: the recognisable prefix is kept, the rest becomes ``***``.
_SECRET = re.compile(
    r"(?P<keep>\b(?:xoxe\.)?xox[a-z]-|\bxapp-|\bsha256=|\bv0=|\b[Bb]earer\s+|\b[Bb]asic\s+)"
    r"[A-Za-z0-9+/=._-]+"
)
_URL_PASSWORD = re.compile(r"(?P<keep>[a-z][a-z0-9+.-]*://[^/\s:@]*:)[^@/\s]+(?=@)")
MASK = "***"

#: the LogRecord attributes that are not ``extra={...}`` fields
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", "request_id"}
_KEY = re.compile(r"[^A-Za-z0-9_.-]")
_BARE = re.compile(r"[A-Za-z0-9_.:/@+,-]+")
FORMATS = ("logfmt", "json")
QUIET_LOGGERS = ("apscheduler",)


def mask_secrets(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with tokens, signatures, credentials and each of ``secrets`` replaced by ``***``."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, MASK)
    text = _SECRET.sub(lambda m: m.group("keep") + MASK, text)
    return _URL_PASSWORD.sub(lambda m: m.group("keep") + MASK, text)


def _escape_char(char: str) -> str:
    named = {"\n": "\\n", "\r": "\\r", "\t": "\\t", '"': '\\"', "\\": "\\\\"}
    if char in named:
        return named[char]
    if unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp"):
        code = ord(char)  # beyond U+FFFF (e.g. U+1BCA0, a format character) eight digits, as Python writes it
        return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"
    return char


def logfmt_value(value: Any) -> str:
    """One logfmt value: bare when it is plain, else double-quoted with every control, line or
    paragraph separator escaped (``\\n``, ``\\u2028``, ``\\U0001bca0``, …) — it can never span two lines."""
    text = value if isinstance(value, str) else str(value)
    if text and _BARE.fullmatch(text):
        return text
    return '"' + "".join(_escape_char(c) for c in text) + '"'


def _json_safe(text: str) -> str:
    # json.dumps escapes U+0000–U+001F; a log reader may also split on U+0085, U+2028, U+2029
    return "".join(f"\\u{ord(c):04x}" if unicodedata.category(c) in ("Cc", "Zl", "Zp") else c for c in text)


class StructuredFormatter(logging.Formatter):
    """A record as one logfmt or JSON line, secrets masked."""

    def __init__(self, fmt: str = "logfmt", secrets: Iterable[str] = ()) -> None:
        super().__init__()
        if fmt not in FORMATS:
            raise ValueError(f"log format must be one of {', '.join(FORMATS)}, not {fmt!r}")
        self.fmt = fmt
        self.secrets = tuple(sorted({s for s in secrets if s and len(s) >= 6}, key=len, reverse=True))

    def fields(self, record: logging.LogRecord) -> list[tuple[str, Any]]:
        ts = datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds")
        pairs: list[tuple[str, Any]] = [
            ("ts", ts.replace("+00:00", "Z")),
            ("level", record.levelname.lower()),
            ("logger", record.name),
            ("request_id", getattr(record, "request_id", None) or REQUEST_ID.get()),
            ("msg", record.getMessage()),
        ]
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                pairs.append((_KEY.sub("_", key) or "_", value))
        if record.exc_info:
            pairs.append(("exc", self.formatException(record.exc_info)))
        elif record.exc_text:
            pairs.append(("exc", record.exc_text))
        if record.stack_info:
            pairs.append(("stack", self.formatStack(record.stack_info)))
        return pairs

    def format(self, record: logging.LogRecord) -> str:
        pairs = [
            (k, v if isinstance(v, str | int | float | bool) or v is None else str(v))
            for k, v in self.fields(record)
        ]
        pairs = [(k, mask_secrets(v, self.secrets) if isinstance(v, str) else v) for k, v in pairs]
        if self.fmt == "json":
            return _json_safe(json.dumps(dict(pairs), ensure_ascii=False, default=str))
        return " ".join(f"{key}={logfmt_value('' if value is None else value)}" for key, value in pairs)


def configure_logging(
    level: str = "INFO", fmt: str = "logfmt", *, secrets: Iterable[str] = (), stream: IO[str] | None = None
) -> logging.Handler:
    """Route every logger to one structured handler on stderr (``stream``); APScheduler's chatter
    (two INFO lines per job run) stays at WARNING unless the level is DEBUG."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(StructuredFormatter(fmt, secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG if level.upper() == "DEBUG" else logging.WARNING)
    return handler


def configure_for(settings: Any) -> logging.Handler:
    """:func:`configure_logging` from ``Settings`` (level, format, and every configured secret masked)."""
    return configure_logging(settings.log_level, settings.log_format, secrets=settings.secret_values())
