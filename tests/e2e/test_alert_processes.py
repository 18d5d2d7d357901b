"""Real ``slabot worker`` processes against the Slack emulator, on a contract whose targets are
seconds long (``first_response: 12s``, ``SLABOT_SWEEP_SECONDS=1``), on the wall clock:

- SQLite: the worker (``slabot worker``, or ``slabot run`` for every fourth life) is killed with SIGKILL at random (seeded) points of its life and restarted, over
  and over while tickets fall due; every warning, breach and escalation appears exactly once (a
  warning whose instant *and* the next point's both passed while no worker ran is recorded as
  superseded, by design: one late notice, not two);
- PostgreSQL: three workers at once on one database, while the emulator answers 503 to every call for
  a few seconds: no duplicates, nothing lost. (Order within a channel is guaranteed per notifier, and
  tested in-process through a 10-minute outage in tests/bot/test_notifier.py; across processes it is not.)

Marked ``slow``: together about 40 s of wall time when idle (``-m "not slow"`` skips them). On a
loaded machine a worker takes seconds to start, so the waits for start-up and settling are generous
(:data:`SETTLE_SECONDS`) while the amount of work stays small."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.clock import SystemClock
from bot.emulator import SlackEmulator
from bot.services.alerts import alert_key
from bot.services.tickets import TicketService
from sla.contracts import load_contracts
from sla.timers import alert_points
from storage.db import make_engine, migrate
from storage.models import Notification, NotificationState
from storage.uow import UnitOfWork
from tests.support.postgres import PostgresCluster, free_port

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
CLIENTS = {"acme": "C0ALERTSAC", "globex": "C0ALERTSGL", "initech": "C0ALERTSIN"}
READY = "scheduler started"
#: how long the test waits for a worker to start, and for every alert to be delivered, at most: a
#: bound for a loaded CI machine (2 cores, the rest of the suite alongside), not the expected time.
START_SECONDS = 120.0
SETTLE_SECONDS = 120.0


def contract_yaml(target_seconds: int, escalate_after: int) -> str:
    lines = ["clients:"]
    for client in CLIENTS:
        lines.append(f"  {client}: {{name: {client.title()}, contract: {client}}}")
    lines.append("contracts:")
    for client, channel in CLIENTS.items():
        lines += [
            f"  {client}:",
            "    versions:",
            "      - effective: 2026-01-01",
            "        calendar: 24x7",
            '        warn_at: ["25%", "50%", "75%"]',
            f"        alerts: {{channel: {channel}, lead: U0LEAD0001, thread: false,"
            f" escalation: [{{after: {escalate_after}s, notify: [U0MANAGER1]}}]}}",
            "        default_priority: P1",
            "        targets:",
            f"          P1: {{first_response: {target_seconds}s}}",
        ]
    return "\n".join(lines) + "\n"


@dataclass
class Day:
    """The emulator, the database and the contract shared by the test and its worker processes."""

    tmp: Path
    slack: SlackEmulator
    database_url: str
    contracts: Path
    tickets: TicketService
    uow: UnitOfWork
    expected: dict[str, float] = field(default_factory=dict)  # key -> instant (epoch seconds)

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "SLABOT_", "DATABASE_"))}
        env.update(
            DATABASE_URL=self.database_url,
            SLACK_BOT_TOKEN="xoxb-processes",
            SLACK_SIGNING_SECRET="processes-secret",
            SLACK_API_URL=self.slack.url,
            SLABOT_CONTRACTS=str(self.contracts),
            SLABOT_SWEEP_SECONDS="1",
            SLABOT_LOG_LEVEL="DEBUG",  # APScheduler's job lines (completed_sweeps) are DEBUG-only
            PYTHONUNBUFFERED="1",
        )
        return env

    def spawn(self, name: str, command: str = "worker") -> Worker:
        """``slabot worker`` (or ``slabot run``: the HTTP app with the scheduler, on a free port)."""
        log = (self.tmp / f"{name}.log").open("w", encoding="utf-8")
        env = self.env()
        if command == "run":
            env.update(PORT=str(free_port()), SLABOT_SCHEDULER="true")
        proc = subprocess.Popen(
            [sys.executable, "-c", f"from bot.cli import main; raise SystemExit(main([{command!r}]))"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        return Worker(proc, self.tmp / f"{name}.log", log)

    def open_tickets(self, per_client: int, every: float) -> None:
        """One ticket per client every ``every`` seconds; records each one's alert instants."""
        for _ in range(per_client):
            started = time.monotonic()
            for client in CLIENTS:
                state = self.tickets.open(
                    team_id=self.slack.team_id, client_key=client, source="import", title="down"
                )
                for timer in state.timers:
                    for point in alert_points(timer, state.version):
                        key = alert_key(self.slack.team_id, state.ticket.ref, point.key)
                        self.expected[key] = point.at.timestamp()
            time.sleep(max(0.0, every - (time.monotonic() - started)))

    def delivered(self) -> dict[str, list[tuple[str, str]]]:
        """Alert keys sent per channel, in sending order: channel -> [(key, message ts)]. Read from
        the posts and updates Slack accepted: a timer's later points update the message of its first
        (whose metadata then names the latest point only), so each point is one accepted call."""
        out: dict[str, list[tuple[str, str]]] = {}
        places = set(CLIENTS.values())
        calls = self.slack.calls_to("chat.postMessage") + self.slack.calls_to("chat.update")
        for call in sorted(calls, key=lambda c: c.at):
            channel = call.args.get("channel")
            meta = call.args.get("metadata") or {}
            if (
                not call.response.get("ok")
                or channel not in places
                or meta.get("event_type") != "slabot_alert"
            ):
                continue
            body = meta["event_payload"]
            for key in body.get("keys") or [body["key"]]:
                if key.endswith("#page"):  # a breach's page in its message's thread, not an alert point
                    continue
                out.setdefault(channel, []).append((key, str(call.response.get("ts") or call.args.get("ts"))))
        return out

    def delivered_keys(self) -> Counter[str]:
        return Counter(key for pairs in self.delivered().values() for key, _ in pairs)

    def rows(self) -> list[Notification]:
        with self.uow.begin(read_only=True) as tx:
            return list(tx.session.scalars(select(Notification)))

    def settled(self) -> bool:
        """Every expected key sent or superseded (no row pending or claimed)."""
        rows = {r.idempotency_key: r for r in self.rows()}
        done = (NotificationState.sent.value, NotificationState.cancelled.value)
        return all(key in rows and rows[key].state in done for key in self.expected)

    def wait_settled(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not self.settled():
            if time.monotonic() >= deadline:
                rows = {r.idempotency_key: r for r in self.rows()}
                left = {
                    key: (rows[key].state, rows[key].not_before, rows[key].last_error)
                    if key in rows
                    else None
                    for key in self.expected
                    if key not in rows or rows[key].state not in ("sent", "cancelled")
                }
                raise AssertionError(f"not all alerts delivered in {timeout}s: {left}")
            time.sleep(0.25)


def completed_sweeps(folder: Path) -> list[float]:
    """Start instants (epoch seconds) of the sweeps that completed, in every worker's log."""
    starts: list[float] = []
    for path in folder.glob("*.log"):
        started: float | None = None
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            if "logger=apscheduler" not in line or "alert sweep (" not in line or not line.startswith("ts="):
                continue
            stamp = datetime.fromisoformat(line[3:26] + "+00:00").timestamp()  # ts=2026-11-24T09:00:01.204Z
            if "Running job" in line:
                started = stamp
            elif "executed successfully" in line and started is not None:
                starts.append(started)
                started = None
    return sorted(starts)


def next_point(expected: dict[str, float], key: str) -> float:
    """The instant of the next alert point of the same timer (``team:ref:metric:cycle:``)."""
    prefix = key.rsplit(":", 1)[0] + ":"
    at = expected[key]
    return min(t for k, t in expected.items() if k.startswith(prefix) and t > at)


@dataclass
class Worker:
    proc: subprocess.Popen[bytes]
    log_path: Path
    log: Any

    def ready(self) -> bool:
        return READY in self.log_path.read_text(encoding="utf-8", errors="replace")

    def wait_ready(self, timeout: float = START_SECONDS) -> None:
        deadline = time.monotonic() + timeout
        while not self.ready():
            assert self.proc.poll() is None, self.log_path.read_text(encoding="utf-8")[-3000:]
            assert time.monotonic() < deadline, "the worker did not start"
            time.sleep(0.02)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)
        self.log.close()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.log.close()


def make_day(tmp_path: Path, database_url: str, target: int, escalate_after: int) -> Iterator[Day]:
    contracts = tmp_path / "contracts.yaml"
    contracts.write_text(contract_yaml(target, escalate_after), encoding="utf-8")
    migrate(database_url)
    engine = make_engine(database_url)
    uow = UnitOfWork.from_engine(engine)
    tickets = TicketService(uow=uow, book=load_contracts(contracts), clock=SystemClock())
    with SlackEmulator() as slack:
        for client, channel in CLIENTS.items():
            slack.add_channel(channel, f"sla-{client}")
        try:
            yield Day(tmp_path, slack, database_url, contracts, tickets, uow)
        finally:
            engine.dispose()


@pytest.fixture
def sqlite_day(tmp_path: Path) -> Iterator[Day]:
    yield from make_day(tmp_path, f"sqlite:///{tmp_path / 'slabot.db'}", target=12, escalate_after=3)


@pytest.fixture
def pg_day(tmp_path: Path, pg_cluster: PostgresCluster) -> Iterator[Day]:
    name = f"procs_{os.getpid()}_{int(time.time())}"
    url = pg_cluster.create_database(name)
    try:
        yield from make_day(tmp_path, url, target=8, escalate_after=2)
    finally:
        pg_cluster.drop_database(name)


#: kills wanted over the simulated day (the issue asks for 20); fewer when restarts are slow, see below
KILLS = 20
#: the window in which the worker is killed: the tickets' alert instants fall inside it
KILL_WINDOW_SECONDS = 18.0


def test_sigkill_at_random_points_and_restart_loses_and_duplicates_nothing(sqlite_day: Day) -> None:
    day = sqlite_day
    rng = random.Random(20260302)
    kills: list[tuple[float, int]] = []  # (uptime before the kill, messages posted so far)
    stop_killing = threading.Event()
    current: list[Worker] = []
    failures: list[BaseException] = []

    def killer() -> None:
        try:
            life = 0
            while True:  # ends with a life that is not killed (below), even if the window closed meanwhile
                command = "run" if life % 4 == 0 else "worker"  # `slabot run` every other ready kill
                worker = day.spawn(f"{command}-{life}", command)
                current[:] = [worker]
                last = stop_killing.is_set() or len(kills) >= KILLS
                if life % 2 == 1 and not last:  # a random point of its start-up (migration, reclaim, ...)
                    uptime = rng.uniform(0.1, 1.0)
                else:  # a random point after its first sweep and delivery began
                    worker.wait_ready()
                    if stop_killing.is_set() or len(kills) >= KILLS:
                        return  # the last life runs on and delivers the rest
                    uptime = rng.uniform(0.2, 1.2)
                time.sleep(uptime)
                worker.kill()
                kills.append((uptime, len(day.slack.calls_to("chat.postMessage"))))
                life += 1
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            failures.append(exc)

    started = time.monotonic()
    thread = threading.Thread(target=killer, daemon=True)
    thread.start()
    day.open_tickets(per_client=4, every=1.0)  # 12 tickets over 4 s; points at 3/6/9/12/15 s each
    while time.monotonic() - started < KILL_WINDOW_SECONDS and thread.is_alive():
        time.sleep(0.1)
    stop_killing.set()
    thread.join(START_SECONDS + 10)
    try:
        assert not failures, failures
        assert not thread.is_alive(), "the last worker did not start"
        day.wait_settled(timeout=SETTLE_SECONDS)
        time.sleep(1.5)  # one more sweep and delivery: anything duplicated would show now
    finally:
        for worker in current:
            worker.stop()

    delivered = day.delivered_keys()
    rows = {r.idempotency_key: r for r in day.rows()}
    superseded = {k for k, r in rows.items() if r.state == NotificationState.cancelled.value}
    duplicated = {k: n for k, n in delivered.items() if n > 1}
    assert not duplicated, f"posted twice: {duplicated}"
    assert set(delivered) | superseded == set(day.expected), "every alert delivered or superseded"
    assert not set(delivered) & superseded
    runs = completed_sweeps(day.tmp)
    for key in superseded:  # only a warning overtaken by a later point while no sweep ran
        assert ":breach" not in key and ":escalation" not in key, key
        assert (rows[key].last_error or "").startswith("superseded by"), rows[key].last_error
        at, until = day.expected[key], next_point(day.expected, key)
        ran = [r for r in runs if at + 0.05 <= r < until - 0.05]
        assert not ran, f"{key}: a sweep completed at {ran[0] - at:.2f}s after its instant, yet superseded"
    assert not [r for r in rows.values() if r.state == NotificationState.failed.value]
    lives_that_posted = sum(1 for a, b in zip([(0, 0), *kills], kills, strict=False) if b[1] > a[1])
    print(
        f"\n{len(kills)} SIGKILLs in {KILL_WINDOW_SECONDS:.0f}s, {lives_that_posted} of them after the"
        f" killed life had posted; {sum(delivered.values())} alerts delivered once,"
        f" {len(superseded)} superseded, {len(day.expected)} expected"
    )
    # About 10 kills fit in the 18 s window when a worker starts in ~1 s; on a loaded machine (a start then
    # takes several seconds: importing the app dominates) fewer do, so the bar is below the aim.
    assert len(kills) >= 2, "restarts too slow to kill the worker several times"


@pytest.mark.postgres
def test_three_workers_on_postgresql_through_a_slack_outage_no_duplicates_none_lost(pg_day: Day) -> None:
    day = pg_day
    workers = [day.spawn(f"pg-worker-{n}") for n in range(3)]
    try:
        for worker in workers:
            worker.wait_ready()
        day.open_tickets(per_client=4, every=0.5)  # 12 tickets; points at 2/4/6/8/10 s each
        time.sleep(3.0)
        day.slack.outage_for(4.0, status=503)  # every call fails for 4 s, mid-day
        day.wait_settled(timeout=SETTLE_SECONDS)
        time.sleep(1.5)
    finally:
        for worker in workers:
            worker.stop()
    delivered = day.delivered_keys()
    assert not {k: n for k, n in delivered.items() if n > 1}, "no alert posted twice"
    rows = {r.idempotency_key: r for r in day.rows()}
    lost = [k for k in day.expected if k not in delivered and rows[k].state != "cancelled"]
    assert not lost
    claimed_by = {(r.claimed_by or "").split(":")[1] for r in rows.values() if r.claimed_by}
    assert len(claimed_by) >= 2, "the three processes shared the work"
