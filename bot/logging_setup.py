"""Structured, secret-free logs: one line per record, key=value, tokens masked."""

from __future__ import annotations

import logging
import re
from contextvars import ContextVar

_SECRET = re.compile(r"\b(xox[abposr]-|xapp-|sha256=)[A-Za-z0-9+/=-]+")

#: the id of the HTTP request being served (set by ``bot.web.WebApp``; "-" outside a request).
REQUEST_ID: ContextVar[str] = ContextVar("slabot_request_id", default="-")


class _RequestId(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = REQUEST_ID.get()
        return True


class _Redact(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if _SECRET.search(message):
            record.msg = _SECRET.sub(lambda m: m.group(1) + "***", message)
            record.args = ()
        return True


def configure_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(
        logging.Formatter(
            "ts=%(asctime)s level=%(levelname)s logger=%(name)s request_id=%(request_id)s msg=%(message)s"
        )
    )
    handler.addFilter(_Redact())
    handler.addFilter(_RequestId())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
