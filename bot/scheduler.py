"""The periodic jobs: the alert sweep, the notifier, and whatever cron-style jobs the app adds.

APScheduler only *triggers* work; it holds no truth. Due instants live in indexed columns
(``metric_timers.next_alert_at``, ``notifications.not_before``), so a restart loses nothing and
the job store is in memory. Configured explicitly:

- fixed job ids (:data:`SWEEP_JOB_ID`, :data:`NOTIFY_JOB_ID`; ``replace_existing``), so a job is
  never registered twice;
- ``coalesce=True`` and ``max_instances=1``: a sweep that overruns its interval is not run twice at
  once, and a backlog of missed runs (process suspended, GC pause) collapses into one run;
- ``misfire_grace_time`` = one interval for the sweep/notifier (a run later than that is dropped:
  the next one is due anyway, and it catches up on everything because the truth is in the tables);
  one hour by default for cron jobs (a daily report should still go out after a short restart).

The sweep runs every ``SLABOT_SWEEP_SECONDS`` (first run at start: restart catch-up at once). The
notifier runs every ``min(SLABOT_SWEEP_SECONDS, 1 s)``: its claim is one indexed query, and it is
what makes status-card refreshes, paced messages and retries go out within a second.

How many schedulers: on PostgreSQL any number of processes may run them (claims use
``FOR UPDATE SKIP LOCKED``). On SQLite exactly one process may: :class:`SchedulerLock` holds an
exclusive ``flock`` on ``<db file>.scheduler.lock`` for the life of the scheduler; a second process
does not start its scheduler (``slabot run`` keeps serving, ``slabot worker`` exits with status 1).
"""

from __future__ import annotations

import fcntl
import logging
import math
import os
import signal
import socket
import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, timedelta
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.interval import IntervalTrigger
from slack_sdk import WebClient
from sqlalchemy.engine import make_url

from bot.clock import Clock, SystemClock
from bot.ops.health import CheckResult
from bot.ops.metrics import observe_delivery
from bot.services.alerts import Sweeper
from bot.services.tickets import TicketService
from bot.settings import Settings
from handlers.notifier import Notifier, notifier_web_client
from sla.contracts import ContractBook
from storage.db import normalise_url
from storage.uow import UnitOfWork

if TYPE_CHECKING:
    from bot.runtime import Runtime

log = logging.getLogger(__name__)

SWEEP_JOB_ID = "slabot.alerts.sweep"
NOTIFY_JOB_ID = "slabot.alerts.notify"
#: the notifier runs at least this often (status cards, paced messages, retries).
NOTIFY_MAX_SECONDS = 1.0
CRON_MISFIRE_GRACE_SECONDS = 3600


@dataclass(frozen=True)
class ScheduledJob:
    """A job the app adds (e.g. weekly reports): a fixed ``id``, a callable and an APScheduler trigger.

    Cron jobs must be idempotent per period themselves (``tx.report_runs.claim_report_run``), since
    several processes may run them on PostgreSQL.
    """

    id: str
    func: Callable[[], object]
    trigger: BaseTrigger
    misfire_grace_time: int | None = CRON_MISFIRE_GRACE_SECONDS
    name: str | None = None

    @classmethod
    def every(
        cls, seconds: float, id: str, func: Callable[[], object], *, name: str, grace: int | None = None
    ) -> ScheduledJob:
        """``func`` every ``seconds``. A run late by up to ``grace`` seconds (default: one interval)
        still runs; a later one is left to the next, due soon anyway."""
        grace = max(1, math.ceil(seconds)) if grace is None else grace
        return cls(id, func, IntervalTrigger(seconds=seconds, timezone=UTC), grace, name)


def default_worker_id() -> str:
    """``host:pid:random``: tells claims of different processes apart in the tables and the logs."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def alert_workers(
    *,
    settings: Settings,
    uow: UnitOfWork,
    book: ContractBook,
    tickets: TicketService,
    clock: Clock,
    clients: Callable[[str], WebClient],
    worker_id: str | None = None,
    observers: Sequence[Callable[[Any], None]] = (),
) -> tuple[Sweeper, Notifier]:
    """The sweeper and the notifier of one process, configured from ``settings``."""
    worker_id = worker_id or default_worker_id()
    interval = timedelta(seconds=settings.sweep_seconds)
    lease = max(timedelta(seconds=60), interval * 3)
    sweeper = Sweeper(
        uow=uow,
        book=book,
        tickets=tickets,
        clock=clock,
        worker_id=worker_id,
        lease=lease,
        sweep_interval=interval,
        observers=observers,
    )
    notifier = Notifier(
        uow=uow, book=book, tickets=tickets, clients=clients, clock=clock, worker_id=worker_id, lease=lease
    )
    return sweeper, notifier


def runtime_workers(
    runtime: Runtime,
    *,
    clients: Callable[[str], WebClient | None] | None = None,
    worker_id: str | None = None,
) -> tuple[Sweeper, Notifier]:
    """The sweeper and the notifier of one runtime: its services, its Slack clients (unless
    ``clients`` names others), its sweep observers (``slabot run``/``worker``, ``POST /tasks/sweep``)."""
    services = runtime.services
    return alert_workers(
        settings=runtime.settings,
        uow=services.uow,
        book=services.book,
        tickets=services.tickets,
        clock=runtime.clock,
        clients=clients or notifier_clients(runtime),
        worker_id=worker_id,
        observers=runtime.sweep_observers,
    )


def notifier_clients(runtime: Runtime) -> Callable[[str], WebClient | None]:
    """The notifier's WebClients have no retry handlers: the outbox retries (a blind retry could double-post)."""

    def client_for(team_id: str) -> WebClient | None:
        client = runtime.services.client_for(team_id)
        if client is None or not client.token:
            return None
        return notifier_web_client(client.token, base_url=runtime.settings.slack_api_url)

    return client_for


def build_scheduler(
    settings: Settings,
    sweeper: Sweeper,
    notifier: Notifier,
    extra_jobs: Sequence[ScheduledJob] = (),
) -> BackgroundScheduler:
    """A configured, not yet started ``BackgroundScheduler`` with the sweep, the notifier and ``extra_jobs``."""
    sweep_seconds = float(settings.sweep_seconds)
    notify_seconds = min(sweep_seconds, NOTIFY_MAX_SECONDS)
    scheduler = BackgroundScheduler(
        jobstores={"default": MemoryJobStore()},
        executors={"default": ThreadPoolExecutor(max_workers=2 + len(extra_jobs))},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": CRON_MISFIRE_GRACE_SECONDS},
        timezone=UTC,
    )
    now = SystemClock().now()  # APScheduler fires on wall time (first run at start); services use their Clock
    alert_jobs = (
        ScheduledJob.every(sweep_seconds, SWEEP_JOB_ID, sweeper.run_once, name="alert sweep"),
        ScheduledJob.every(
            notify_seconds,
            NOTIFY_JOB_ID,
            lambda: observe_delivery(notifier.run_once()),
            name="alert delivery",
        ),
    )
    at_start: dict[str, Any] = {"next_run_time": now}  # the alert jobs run at start, the others when due
    for job, first_run in [*((job, at_start) for job in alert_jobs), *((job, {}) for job in extra_jobs)]:
        scheduler.add_job(
            job.func,
            job.trigger,
            id=job.id,
            name=job.name or job.id,
            replace_existing=True,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=job.misfire_grace_time,
            **first_run,
        )
    return scheduler


class SchedulerLock:
    """At most one scheduler per SQLite database: an exclusive, non-blocking ``flock`` on
    ``<db file>.scheduler.lock``, held until :meth:`release` (or the process dies — the kernel
    drops it, so a ``kill -9`` never leaves a stale lock). PostgreSQL and in-memory SQLite need no
    lock (``acquire`` is always True): PostgreSQL claims rows with ``SKIP LOCKED``, and an in-memory
    database is private to its process."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self.path = lock_path(database_url)
        self._file: IO[str] | None = None

    def acquire(self) -> bool:
        if self.path is None or self._file is not None:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = self.path.open("a+", encoding="utf-8")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return False
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        self._file = handle
        return True

    def release(self) -> None:
        if self._file is not None:
            fcntl.flock(self._file.fileno(), fcntl.LOCK_UN)
            self._file.close()
            self._file = None

    @property
    def held(self) -> bool:
        return self._file is not None or self.path is None

    def __enter__(self) -> SchedulerLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def lock_path(database_url: str) -> Path | None:
    """``<db file>.scheduler.lock`` for a file-backed SQLite URL, else None."""
    url = make_url(normalise_url(database_url))
    if url.get_backend_name() != "sqlite":
        return None
    database = url.database or ""
    if (
        database in ("", ":memory:")
        or database.startswith("file::memory:")
        or url.query.get("mode") == "memory"
    ):
        return None
    return Path(database).expanduser().resolve().with_name(Path(database).name + ".scheduler.lock")


@dataclass
class RunningScheduler:
    scheduler: BackgroundScheduler
    lock: SchedulerLock

    def check(self) -> Any:
        """Readiness: the scheduler runs and has its jobs (``bot.ops.health``)."""

        if not self.scheduler.running:
            return CheckResult(False, {"error": "the scheduler is not running"})
        return CheckResult(True, {"jobs": len(self.scheduler.get_jobs())})

    def shutdown(self, *, wait: bool = True) -> None:
        try:
            if self.scheduler.running:
                self.scheduler.shutdown(wait=wait)
        finally:
            self.lock.release()


def start_scheduler(
    settings: Settings,
    sweeper: Sweeper,
    notifier: Notifier,
    extra_jobs: Sequence[ScheduledJob] = (),
) -> RunningScheduler | None:
    """Start the jobs in this process if it may (None when another process holds the SQLite lock)."""
    lock = SchedulerLock(settings.database_url)
    if not lock.acquire():
        log.warning(
            "another slabot process runs the scheduler for %s (lock %s); this one only serves requests",
            settings.database_url,
            lock.path,
        )
        return None
    if lock.path is not None:  # the only scheduler of this SQLite file: leases held now are a dead one's
        notifier.reclaim_after_restart()
    scheduler = build_scheduler(settings, sweeper, notifier, extra_jobs)
    scheduler.start()
    log.info("scheduler started: sweep every %ss", settings.sweep_seconds)
    return RunningScheduler(scheduler, lock)


def run_worker(
    settings: Settings,
    sweeper: Sweeper,
    notifier: Notifier,
    extra_jobs: Sequence[ScheduledJob] = (),
    *,
    stop: threading.Event | None = None,
) -> int:
    """``slabot worker``: run the jobs until SIGTERM/SIGINT (or ``stop``). Exit status 1 if the SQLite
    scheduler lock is held by another process."""
    stop = stop or threading.Event()
    running = start_scheduler(settings, sweeper, notifier, extra_jobs)
    if running is None:
        log.error("not starting: another slabot process already runs the scheduler for this SQLite database")
        return 1
    previous: dict[int, Any] = {}
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, signal.SIGINT):
            previous[signum] = signal.signal(signum, lambda *_: stop.set())
    try:
        stop.wait()
    finally:
        running.shutdown()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return 0
