"""WSGI entry point for gunicorn and App Engine: ``gunicorn 'bot.wsgi:application'``.

The app is built on the first request (not at import), from the environment's settings.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

_lock = threading.Lock()
_web: Any = None


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    global _web
    if _web is None:
        with _lock:
            if _web is None:
                from bot.app import bootstrap
                from bot.logging_setup import configure_for
                from bot.settings import Settings

                settings = Settings()
                configure_for(settings)
                _web = bootstrap(settings).web
    return _web(environ, start_response)
