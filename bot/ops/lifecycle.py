"""Start and graceful stop of a slabot process (``slabot run``, ``slabot worker``, gunicorn's master).

On SIGTERM (or SIGINT) a process stops taking work, lets what it started finish, and exits:

1. readiness turns 503 at once (``/readyz``), so load balancers stop sending requests;
2. the HTTP server stops accepting and finishes the requests in flight (``bot.server.serve``), or the
   Socket Mode connection is closed;
3. listener work that runs after Slack's ack (Bolt's listener executor) is finished;
4. the scheduler stops: no new sweep, delivery or report starts, and the running ones finish, so the
   rows they claimed are marked sent or handed back for a retry; a job still running when
   ``SLABOT_SHUTDOWN_SECONDS`` is over is abandoned — its rows' leases expire and another process (or
   this one after a restart) takes them over, nothing is sent twice;
5. the extra listeners close and the database pool is released.
"""

from __future__ import annotations

import gc
import logging
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

log = logging.getLogger(__name__)

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def freeze_built() -> None:
    """Take what the process built before it serves (modules, the contract book, the app and its
    caches) out of the cyclic garbage collector's sight for good (``gc.freeze``): it lives as long as
    the process, and a full collection walking it stopped every thread for ~60 ms (uncached
    ``/sla status`` at 16 concurrent with 100,000 open tickets: p99 142 ms, 84 ms frozen,
    ``bench/http_bench.py``). What is made later is collected as before. In gunicorn's master
    (``--preload``) it also spares the workers copying those pages when a collection would touch them
    (the ``gc.freeze`` documentation's advice before ``fork``)."""
    gc.collect()
    gc.freeze()


@contextmanager
def stop_on_signals(stop: threading.Event, *also: Callable[[], None]) -> Iterator[threading.Event]:
    """While inside, SIGTERM and SIGINT set ``stop`` (and call ``also``) instead of killing the process.
    Outside the main thread (tests) nothing is installed."""
    previous: dict[int, Any] = {}

    def handler(signum: int, _frame: Any) -> None:
        if not stop.is_set():
            log.info("stopping", extra={"signal": signal.Signals(signum).name})
        stop.set()
        for call in also:
            call()

    if threading.current_thread() is threading.main_thread():
        for signum in STOP_SIGNALS:
            previous[signum] = signal.signal(signum, handler)
    try:
        yield stop
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)


class Deadline:
    """The time left of the shutdown grace period."""

    def __init__(self, seconds: float) -> None:
        self.end = time.monotonic() + seconds

    def left(self) -> float:
        return max(0.0, self.end - time.monotonic())


def finish(what: str, call: Callable[[], object], deadline: Deadline) -> bool:
    """Run ``call`` (a blocking stop) on a helper thread for at most the time left; False if it is
    still running then (logged)."""
    thread = threading.Thread(target=call, name=f"stop-{what}", daemon=True)
    thread.start()
    thread.join(deadline.left())
    if thread.is_alive():
        log.warning("shutdown: gave up waiting", extra={"what": what})
        return False
    return True


def shut_down(
    runtime: Any, *, scheduler: Any = None, servers: tuple[Any, ...] = (), deadline: Deadline
) -> bool:
    """Steps 3–5 above for ``runtime``; True when everything finished within the deadline."""
    clean = True
    executor = getattr(getattr(runtime.app, "_listener_runner", None), "listener_executor", None)
    if executor is not None and hasattr(executor, "shutdown"):
        clean &= finish("listener work", lambda: executor.shutdown(wait=True), deadline)
    if scheduler is not None:
        clean &= finish("scheduler jobs", lambda: scheduler.shutdown(wait=True), deadline)
    for server in servers:
        if server is not None:
            finish("listener", server.close, deadline)
    runtime.engine.dispose()
    log.info("stopped", extra={"clean": clean})
    return clean
