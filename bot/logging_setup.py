"""Structured, secret-free logs: one line per record, key=value, tokens masked."""

from __future__ import annotations

import logging
import re

_SECRET = re.compile(r"\b(xox[abposr]-|xapp-)[A-Za-z0-9-]+")


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
        logging.Formatter("ts=%(asctime)s level=%(levelname)s logger=%(name)s msg=%(message)s")
    )
    handler.addFilter(_Redact())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
