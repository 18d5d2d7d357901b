"""WSGI entry point for gunicorn and App Engine.

Run it as the ``Procfile``, ``app.yaml`` and ``Dockerfile`` do::

    gunicorn --config python:bot.gunicorn_conf --preload 'bot.wsgi:application'

With :mod:`bot.gunicorn_conf` the whole app is built in gunicorn's master *before it opens the port*
(:func:`build`, from the ``on_starting`` hook; a bad setting stops it there with one line per problem and
exit status 2), so the first request after a start or a scale-up is answered at once instead of paying
for the build. Each worker, right after the fork, leaves the database connections it inherited to the
master and opens its own, and starts the alert scheduler when ``SLABOT_SCHEDULER`` is on
(:func:`after_fork`); on shutdown it stops taking work and lets the running jobs finish
(:func:`stop`). A server that loads ``application`` without that config (a bare
``gunicorn bot.wsgi:application``, another WSGI server) gets the same app built on its first call,
scheduler included.

The module imports nothing heavy: the app, its settings and the scheduler load when built.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from bot.ops.lifecycle import freeze_built  # standard library only: the module stays light

log = logging.getLogger(__name__)
_lock = threading.Lock()
_runtime: Any = None
_scheduler: Any = None
_scheduler_started = False


def build() -> Any:
    """The runtime of this process, built once from the environment's settings (thread-safe)."""
    global _runtime
    if _runtime is None:
        with _lock:
            if _runtime is None:
                from bot.app import bootstrap
                from bot.logging_setup import configure_for
                from bot.settings import Settings

                started = time.perf_counter()
                settings = Settings()
                configure_for(settings)
                _runtime = bootstrap(settings)
                freeze_built()  # in gunicorn's master (--preload): before the workers fork
                log.info("app built", extra={"seconds": round(time.perf_counter() - started, 3)})
    return _runtime


def build_or_exit() -> Any:
    """:func:`build`, or the settings' problems on stderr (one line each) and exit status 2."""
    from bot.settings import SettingsError

    try:
        return build()
    except SettingsError as exc:
        for line in exc.problems:
            print(line, file=sys.stderr)
        raise SystemExit(2) from None


def after_fork() -> None:
    """In a fresh worker process: drop the pooled connections inherited from the master (without closing
    them: they are the master's) and start the scheduler here when this process should run it."""
    if _runtime is None:
        return
    _runtime.engine.dispose(close=False)
    _start_scheduler()


def _start_scheduler() -> None:
    global _scheduler, _scheduler_started
    with _lock:
        if _scheduler_started or _runtime is None:
            return
        _scheduler_started = True
        from bot.processes import start_scheduler_for

        _scheduler = start_scheduler_for(_runtime)


def stop() -> bool:
    """Graceful stop of this process's app: readiness 503, the listener work after acks and the running
    jobs finish within ``SLABOT_SHUTDOWN_SECONDS``, the pool is released. True when all finished."""
    if _runtime is None:
        return True
    from bot.ops.lifecycle import Deadline, shut_down

    _runtime.services.ops.health.stopping.set()
    deadline = Deadline(_runtime.settings.shutdown_seconds)
    return shut_down(_runtime, scheduler=_scheduler, deadline=deadline)


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    if not _scheduler_started:  # built before the fork (bot.gunicorn_conf), or here on the first call
        build()
        _start_scheduler()
    return _runtime.web(environ, start_response)
