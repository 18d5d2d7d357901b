"""The suite's throwaway PostgreSQL server does not outlive the run that started it, however it ends."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.postgres import PostgresCluster

ROOT = Path(__file__).resolve().parents[2]
STARTER = (
    "import time\n"
    "from tests.support.postgres import PostgresCluster\n"
    "cluster = PostgresCluster().start()\n"
    "print(cluster.root, flush=True)\n"
    "time.sleep(600)\n"
)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.postgres
def test_a_killed_run_leaves_no_server_and_no_directory_behind(pg_cluster: PostgresCluster) -> None:
    # pg_cluster: only so that a machine without PostgreSQL skips (or, in CI, fails) like the rest
    starter = subprocess.Popen([sys.executable, "-c", STARTER], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert starter.stdout is not None
        root = Path(starter.stdout.readline().strip())
        postmaster = int((root / "data" / "postmaster.pid").read_text().split()[0])
        assert _alive(postmaster)
    finally:
        starter.send_signal(signal.SIGKILL)  # no teardown, no atexit: as `timeout -s KILL` or the OOM killer
        starter.wait(timeout=30)
    deadline = time.monotonic() + 60
    while (_alive(postmaster) or root.exists()) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(postmaster), "the server outlived the run that started it"
    assert not root.exists(), "the cluster's directory outlived the run that started it"


@pytest.mark.postgres
def test_a_cluster_stopped_normally_releases_its_watchdog(pg_cluster: PostgresCluster) -> None:
    with PostgresCluster() as cluster:
        watchdog = cluster._watchdog
        assert watchdog is not None and watchdog.poll() is None
        root = cluster.root
    assert watchdog.poll() is not None  # gone with the cluster, not left waiting
    assert root is not None and not root.exists()
