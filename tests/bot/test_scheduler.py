"""The scheduler's configuration, the SQLite scheduler lock (also across processes) and the worker loop."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, cast

import pytest
from apscheduler.triggers.interval import IntervalTrigger

from bot.scheduler import (
    NOTIFY_JOB_ID,
    SWEEP_JOB_ID,
    ScheduledJob,
    SchedulerLock,
    build_scheduler,
    lock_path,
    run_worker,
    start_scheduler,
)
from bot.services.alerts import Sweeper
from bot.settings import Settings
from handlers.notifier import Notifier


class Recorder:
    def __init__(self) -> None:
        self.calls = 0
        self.event = threading.Event()

    def run_once(self) -> None:
        self.calls += 1
        if self.calls >= 2:
            self.event.set()

    reclaimed = 0

    def reclaim_after_restart(self) -> int:
        self.reclaimed += 1
        return 0


def settings(tmp_path: Path, seconds: float = 10.0) -> Settings:
    return Settings(database_url=f"sqlite:///{tmp_path / 'slabot.db'}", sweep_seconds=seconds)


def workers() -> tuple[Recorder, Recorder]:
    return Recorder(), Recorder()


def test_jobs_have_fixed_ids_coalesce_one_instance_and_a_deliberate_grace(tmp_path: Path) -> None:
    sweeper, notifier = workers()
    report = ScheduledJob("slabot.reports.weekly", lambda: None, IntervalTrigger(days=7))
    scheduler = build_scheduler(
        settings(tmp_path, 10), cast(Sweeper, sweeper), cast(Notifier, notifier), [report]
    )
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs) == {SWEEP_JOB_ID, NOTIFY_JOB_ID, "slabot.reports.weekly"}
    for job in jobs.values():
        assert job.coalesce is True and job.max_instances == 1
    assert jobs[SWEEP_JOB_ID].trigger.interval.total_seconds() == 10
    assert jobs[NOTIFY_JOB_ID].trigger.interval.total_seconds() == 1
    assert jobs[SWEEP_JOB_ID].misfire_grace_time == 10
    assert jobs["slabot.reports.weekly"].misfire_grace_time == 3600


def test_started_scheduler_runs_sweep_and_notifier_and_stops_cleanly(tmp_path: Path) -> None:
    sweeper, notifier = workers()
    running = start_scheduler(settings(tmp_path, 0.05), cast(Sweeper, sweeper), cast(Notifier, notifier))
    assert running is not None
    try:
        assert sweeper.event.wait(5) and notifier.event.wait(5)
    finally:
        running.shutdown()
    assert not running.scheduler.running and not running.lock.held


def test_sqlite_lock_admits_one_scheduler_until_released(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'slabot.db'}"
    first, second = SchedulerLock(url), SchedulerLock(url)
    assert first.path == tmp_path / "slabot.db.scheduler.lock"
    assert first.acquire() is True
    assert second.acquire() is False
    first.release()
    assert second.acquire() is True
    second.release()


@pytest.mark.parametrize(
    "url", ["sqlite://", "sqlite:///:memory:", "postgresql://u@localhost/slabot", "postgres://u@h/db"]
)
def test_no_lock_needed_for_postgresql_or_memory(url: str) -> None:
    assert lock_path(url) is None
    assert SchedulerLock(url).acquire() is True


def test_lock_is_exclusive_across_processes_and_freed_when_the_holder_dies(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'slabot.db'}"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from bot.scheduler import SchedulerLock; "
            f"l = SchedulerLock({url!r}); print(l.acquire(), flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "True"
        assert SchedulerLock(url).acquire() is False
    finally:
        holder.kill()  # like kill -9: the kernel drops the flock
        holder.wait()
    lock = SchedulerLock(url)
    assert lock.acquire() is True
    lock.release()


def test_worker_refuses_to_start_when_another_holds_the_lock(tmp_path: Path) -> None:
    conf = settings(tmp_path)
    other = SchedulerLock(conf.database_url)
    assert other.acquire()
    try:
        sweeper, notifier = workers()
        assert run_worker(conf, cast(Sweeper, sweeper), cast(Notifier, notifier)) == 1
        assert sweeper.calls == 0
    finally:
        other.release()


def test_worker_runs_until_stopped(tmp_path: Path) -> None:
    sweeper, notifier = workers()
    stop = threading.Event()
    result: list[Any] = []
    thread = threading.Thread(
        target=lambda: result.append(
            run_worker(settings(tmp_path, 0.05), cast(Sweeper, sweeper), cast(Notifier, notifier), stop=stop)
        )
    )
    thread.start()
    assert sweeper.event.wait(5)
    stop.set()
    thread.join(5)
    assert result == [0]
    calls = sweeper.calls
    time.sleep(0.2)
    assert sweeper.calls == calls, "no job runs after the worker stopped"
    assert SchedulerLock(settings(tmp_path).database_url).acquire()


@pytest.mark.parametrize(
    ("url", "reclaims"),
    [("sqlite:///{tmp}/slabot.db", 1), ("sqlite://", 0), ("postgresql://u@127.0.0.1:1/none", 0)],
)
def test_the_sqlite_scheduler_ends_a_dead_predecessors_leases_at_start(
    tmp_path: Path, url: str, reclaims: int
) -> None:
    sweeper, notifier = workers()
    conf = Settings(database_url=url.format(tmp=tmp_path), sweep_seconds=30)
    running = start_scheduler(conf, cast(Sweeper, sweeper), cast(Notifier, notifier))
    assert running is not None
    running.shutdown(wait=False)
    assert notifier.reclaimed == reclaims  # only where this process is the one scheduler (file SQLite)
