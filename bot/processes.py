"""The long-running processes: ``slabot run`` (the Slack app, with the scheduler unless
``SLABOT_SCHEDULER=false``) and ``slabot worker`` (the scheduler and a health listener).

Both build the whole app before they listen (so the first request is answered at once), serve
``/livez`` ``/readyz`` ``/metrics``, and stop gracefully on SIGTERM (:mod:`bot.ops.lifecycle`).
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from typing import Any

from bot import features
from bot.app import bootstrap, socket_mode_handler
from bot.ops.lifecycle import Deadline, freeze_built, shut_down, stop_on_signals
from bot.ops.listener import OpsApp, listen, ops_routes, start_metrics_listener
from bot.scheduler import runtime_workers, start_scheduler
from bot.server import serve
from bot.settings import Settings

log = logging.getLogger(__name__)


def start_scheduler_for(runtime: Any, *, always: bool = False) -> Any | None:
    """The sweep, notifier and report jobs, when this process should run them (``SLABOT_SCHEDULER``, or
    ``always``: the worker exists to run them); readiness then includes the scheduler. None when it
    does not run here (or another process holds the SQLite scheduler lock)."""
    if not (always or runtime.settings.scheduler):
        return None

    sweeper, notifier = runtime_workers(runtime)
    running = start_scheduler(runtime.settings, sweeper, notifier, features.jobs_all(runtime))
    if running is not None:
        runtime.services.ops.health.add("scheduler", running.check)
    return running


def run_app(settings: Settings) -> int:
    """``slabot run``: HTTP (waitress) on ``SLABOT_HOST:PORT``, or Socket Mode with ``SLACK_APP_TOKEN``."""
    runtime = bootstrap(settings)
    health = runtime.services.ops.health
    stop = threading.Event()
    with stop_on_signals(stop, health.stopping.set):
        metrics_listener = start_metrics_listener(runtime)
        scheduler = start_scheduler_for(runtime)
        freeze_built()  # everything above lives as long as the process
        deadline: Deadline | None = None
        try:
            if settings.socket_mode:
                handler = socket_mode_handler(runtime)
                handler.connect()
                print("slabot: connected to Slack in Socket Mode", file=sys.stderr, flush=True)
                stop.wait()
                health.stopping.set()
                deadline = Deadline(settings.shutdown_seconds)
                handler.close()  # no new events; those being handled finish below
            else:

                def listening(host: str, port: int) -> None:
                    print(f"slabot: serving POST /slack/events on {host}:{port}", file=sys.stderr, flush=True)

                serve(
                    runtime.web,
                    settings.host,
                    settings.port,
                    stop=stop,
                    grace=settings.shutdown_seconds,
                    on_listening=listening,
                )
        finally:
            health.stopping.set()
            clean = shut_down(
                runtime,
                scheduler=scheduler,
                servers=(metrics_listener,),
                deadline=deadline or Deadline(settings.shutdown_seconds),
            )
    return _exit(clean)


def run_worker_process(settings: Settings) -> int:
    """``slabot worker``: the scheduler until SIGTERM, with ``/livez`` ``/readyz`` ``/metrics`` on
    ``SLABOT_HOST:PORT`` when ``PORT`` is set (``/metrics`` there needs ``SLABOT_METRICS_TOKEN``, as on
    the web port). Without ``PORT`` there is no listener, so several workers can share a machine."""
    runtime = bootstrap(settings)
    ops = runtime.services.ops
    health = ops.health
    stop = threading.Event()
    with stop_on_signals(stop, health.stopping.set):
        health_listener = None
        if "port" in settings.model_fields_set:  # several workers may share a machine: only when asked
            health_listener = listen(
                OpsApp(ops_routes(ops, metrics=ops.metrics_guarded)),
                settings.host,
                settings.port,
                variable="PORT",
            )
        metrics_listener = start_metrics_listener(runtime)
        scheduler = start_scheduler_for(runtime, always=True)
        if scheduler is None:
            reason = "another slabot process already runs the scheduler for this SQLite database"
            log.error("not starting the worker", extra={"reason": reason})
            shut_down(runtime, servers=(health_listener, metrics_listener), deadline=Deadline(1.0))
            return 1
        freeze_built()  # everything above lives as long as the process
        where = (
            f"health checks on {settings.host}:{health_listener.port}"
            if health_listener is not None
            else "no health listener (set PORT for /livez, /readyz and /metrics)"
        )
        print(f"slabot: worker running; {where}", file=sys.stderr, flush=True)
        stop.wait()
        health.stopping.set()
        clean = shut_down(
            runtime,
            scheduler=scheduler,
            servers=(metrics_listener, health_listener),
            deadline=Deadline(settings.shutdown_seconds),
        )
    return _exit(clean)


def _exit(clean: bool) -> int:
    if clean:
        return 0
    # a job or request still runs past SLABOT_SHUTDOWN_SECONDS: leave now (its leases expire) instead of
    # letting the interpreter wait for its thread
    logging.shutdown()
    sys.stderr.flush()
    os._exit(1)
