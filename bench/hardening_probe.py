"""Issue 18's probe, in one run on loopback: slabot as ``slabot run`` serves it (waitress through
``bot.server.serve``), the Slack emulator for its Web API calls, requests signed like Slack's.

    .venv/bin/python bench/hardening_probe.py            # everything (PostgreSQL restart too, if installed)
    .venv/bin/python bench/hardening_probe.py --quick    # smaller numbers

It reports:

1. **slow-client attack**: ``--slow`` sockets that send a request head a byte every 5 s (and reconnect
   when cut off) while a legitimate client sends signed ``/sla help`` commands and ``GET /livez``:
   answered / sent and the p50 / p99 latency — against today's server configuration and, side by
   side, the configuration before issue 18 (waitress defaults with ``channel_timeout=30``);
2. **duplicate deliveries**: one client message delivered ``--duplicates`` times concurrently
   (Slack's retry headers on all but the first): HTTP answers and tickets created;
3. **fault matrix**: messages a Slack-like sender delivers (retrying every non-200) during an 8 s
   SQLite write lock, a PostgreSQL restart and a full disk (injected: every insert fails as SQLite
   does on a full disk): sent, stored, duplicated, lost;
4. **oversized body**: the server's memory (RSS) before and after a client tries to send an unsigned
   300 MB body to ``/slack/events``, and what it answered.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import sqlite3
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import event  # noqa: E402

from bot import server as served  # noqa: E402
from bot.app import bootstrap  # noqa: E402
from bot.clock import SystemClock  # noqa: E402
from bot.emulator import inbound  # noqa: E402
from bot.emulator.server import SlackEmulator  # noqa: E402
from bot.inbox import LEASE  # noqa: E402
from bot.runtime import Runtime  # noqa: E402
from bot.settings import Settings  # noqa: E402
from storage.db import migrate  # noqa: E402

SECRET = "probe-signing-secret"
AGENT, CLIENT = "U0AGENT001", "U0ACME0001"
SUPPORT, TEAM = "C0SUPPORT1", inbound.DEFAULT_TEAM_ID


# --------------------------------------------------------------------------- the app, served


@contextmanager
def slabot(database_url: str, *, legacy_server: bool = False) -> Iterator[tuple[Runtime, SlackEmulator, str]]:
    with SlackEmulator(clock=SystemClock(), auto_create_channels=True) as slack:
        for user in (AGENT, "U0AGENT002", CLIENT):
            slack.add_user(user, user.lower())
        slack.add_channel(SUPPORT, "acme-support", members=[AGENT, CLIENT])
        slack.add_usergroup("S0AGENTS01", "agents", [AGENT, "U0AGENT002"])
        if not database_url.startswith("sqlite"):
            migrate(database_url)
        runtime = bootstrap(
            Settings(
                SLACK_BOT_TOKEN="xoxb-probe",
                SLACK_SIGNING_SECRET=SECRET,
                SLACK_API_URL=slack.url,
                DATABASE_URL=database_url,
                SLABOT_CONTRACTS=str(ROOT / "examples" / "contracts.yaml"),
                SLABOT_SCHEDULER=False,
                SLABOT_HOME_REFRESH_SECONDS=0,
                SLABOT_LOG_LEVEL="ERROR",
            )
        )
        stop = threading.Event()
        bound: list[int] = []
        ready = threading.Event()
        if legacy_server:
            from waitress import create_server

            server = create_server(runtime.web, host="127.0.0.1", port=0, threads=16, channel_timeout=30)
            thread = threading.Thread(target=server.run, daemon=True)
            bound.append(server.effective_port)
            ready.set()
        else:

            def listening(_host: str, port: int) -> None:
                bound.append(port)
                ready.set()

            thread = threading.Thread(
                target=served.serve,
                args=(runtime.web, "127.0.0.1", 0, 16),
                kwargs={"stop": stop, "grace": 1.0, "on_listening": listening},
                daemon=True,
            )
        thread.start()
        ready.wait(30)
        try:
            yield runtime, slack, f"http://127.0.0.1:{bound[0]}"
        finally:
            stop.set()
            if legacy_server:
                server.close()
            thread.join(5)
            runtime.engine.dispose()


def post(url: str, body: tuple[str, str], retry: int | None = None, timeout: float = 15) -> int:
    try:
        return inbound.post_to_app(url, body[0], body[1], SECRET, retry, timeout=timeout)[0]
    except OSError:
        return 0  # no answer (refused, reset, timed out)


def tickets(runtime: Runtime) -> list[Any]:
    with runtime.services.uow.begin(read_only=True) as tx:
        return tx.tickets.page(team_id=TEAM, limit=10_000)


def wait(predicate: Callable[[], bool], timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


# --------------------------------------------------------------------------- 1. slow clients


def slow_client_attack(url: str, sockets: int, seconds: float) -> dict[str, Any]:
    host, port = "127.0.0.1", int(url.rsplit(":", 1)[1])
    stop = threading.Event()
    held: list[socket.socket | None] = [None] * sockets

    def connect() -> socket.socket | None:
        try:
            sock = socket.create_connection((host, port), timeout=2)
            sock.setblocking(False)
            return sock
        except OSError:
            return None

    head = b"POST /slack/events HTTP/1.1\r\nHost: probe\r\nX-Padding: "

    def attacker() -> None:
        sent = [0] * sockets
        while not stop.is_set():
            for i in range(sockets):
                sock = held[i]
                if sock is None:
                    held[i] = sock = connect()
                    sent[i] = 0
                if sock is None:
                    continue
                try:
                    sock.send(head[sent[i] : sent[i] + 1] if sent[i] < len(head) else b"a")
                    sent[i] += 1
                except OSError:
                    sock.close()
                    held[i] = None  # cut off: reconnect, as a persistent attacker does
            stop.wait(5.0)

    attack = threading.Thread(target=attacker, daemon=True)
    attack.start()
    time.sleep(2.0)  # the attack is in place
    latencies: list[float] = []
    sent = answered = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        started = time.perf_counter()
        sent += 1
        if sent % 2:
            status = post(url, inbound.slash_command("help", AGENT, SUPPORT), timeout=10)
        else:
            try:
                with urllib.request.urlopen(url + "/livez", timeout=10) as response:
                    status = response.status
            except OSError:
                status = 0
        if status == 200:
            answered += 1
            latencies.append(time.perf_counter() - started)
        time.sleep(0.2)
    stop.set()
    attack.join(10)
    for sock in held:
        if sock is not None:
            sock.close()
    return {
        "slow_sockets": sockets,
        "legit_sent": sent,
        "legit_answered": answered,
        "p50_ms": round(pct(latencies, 50) * 1000, 1),
        "p99_ms": round(pct(latencies, 99) * 1000, 1),
    }


# --------------------------------------------------------------------------- 2. duplicates


def duplicate_deliveries(runtime: Runtime, slack: SlackEmulator, url: str, copies: int) -> dict[str, Any]:
    before = len(tickets(runtime))
    text = "Everything is down (duplicate probe)"
    ts = slack.post_user_message(SUPPORT, CLIENT, text)["ts"]
    body = inbound.event_callback(
        inbound.message_event(SUPPORT, CLIENT, text, ts), TEAM, event_id=f"EvDup{ts}"
    )
    barrier = threading.Barrier(min(copies, 64))

    def deliver(n: int) -> int:
        if n < 64:
            barrier.wait()
        return post(url, body, retry=(n % 3) or None)

    with ThreadPoolExecutor(max_workers=64) as pool:
        statuses = list(pool.map(deliver, range(copies)))
    wait(lambda: len(tickets(runtime)) > before, 30)
    time.sleep(1.0)  # late listeners, if any, would open more
    created = [t for t in tickets(runtime) if t.thread_ts == ts]
    return {
        "deliveries": copies,
        "answers": {str(s): statuses.count(s) for s in sorted(set(statuses))},
        "tickets_created": len(created),
    }


# --------------------------------------------------------------------------- 3. faults


class Sender:
    """Slack's side: a message is delivered until it gets a 200 (each retry with X-Slack-Retry-Num)."""

    def __init__(self, runtime: Runtime, slack: SlackEmulator, url: str) -> None:
        self.runtime, self.slack, self.url = runtime, slack, url
        self.pending: dict[str, tuple[tuple[str, str], int]] = {}
        self.sent: list[str] = []
        self.refused = 0

    def message(self, text: str) -> None:
        ts = self.slack.post_user_message(SUPPORT, CLIENT, text)["ts"]
        self.sent.append(ts)
        body = inbound.event_callback(
            inbound.message_event(SUPPORT, CLIENT, text, ts), TEAM, event_id=f"Ev{ts}"
        )
        self.pending[ts] = (body, 0)
        self.send(ts)

    def send(self, ts: str) -> None:
        body, tries = self.pending[ts]
        status = post(self.url, body, retry=tries or None)
        if status == 200:
            del self.pending[ts]
        else:
            self.refused += status >= 500
            self.pending[ts] = (body, tries + 1)

    def retry_all(self, seconds: float = 60) -> None:
        """Slack retries a delivery that got no 200 (after 1 min, 5 min, 30 min); here every second."""
        deadline = time.monotonic() + seconds
        while self.pending and time.monotonic() < deadline:
            for ts in list(self.pending):
                self.send(ts)
            if self.pending:
                time.sleep(1.0)

    def outcome(self) -> dict[str, Any]:
        inbox = self.runtime.inbox
        assert inbox is not None

        def all_stored() -> bool:
            inbox.redeliver()  # the slack-inbox job's pass (every 30 s): rows whose lease ran out
            return {t.thread_ts for t in tickets(self.runtime)} >= set(self.sent)

        wait(all_stored, LEASE.total_seconds() + 60)
        per_message = {ts: 0 for ts in self.sent}
        for ticket in tickets(self.runtime):
            if ticket.thread_ts in per_message:
                per_message[ticket.thread_ts] += 1
        result: dict[str, Any] = {
            "sent": len(self.sent),
            "refused_with_5xx": self.refused,
            "never_acknowledged": len(self.pending),
            "stored": sum(1 for n in per_message.values() if n >= 1),
            "duplicated": sum(1 for n in per_message.values() if n > 1),
            "lost": sum(1 for n in per_message.values() if n == 0),
        }
        lost = [ts for ts, n in per_message.items() if n == 0]
        if lost:  # what the inbox knows of them
            with self.runtime.services.uow.begin(read_only=True) as tx:
                rows = [tx.inbox.get(key=f"event:Ev{ts}") for ts in lost]
            result["lost_inbox_rows"] = [
                None
                if r is None
                else {"state": r.state, "attempts": r.attempts, "error": (r.last_error or "")[:80]}
                for r in rows
            ]
        return result


@contextmanager
def failing_inserts(runtime: Runtime) -> Iterator[None]:
    def fail(cursor: Any, statement: str, parameters: Any, context: Any) -> None:
        if statement.lstrip().upper().startswith("INSERT"):
            raise sqlite3.OperationalError("database or disk is full")

    event.listen(runtime.engine, "do_execute", fail)
    try:
        yield
    finally:
        event.remove(runtime.engine, "do_execute", fail)


def fault(
    runtime: Runtime, slack: SlackEmulator, url: str, kind: str, messages: int, **kw: Any
) -> dict[str, int]:
    sender = Sender(runtime, slack, url)
    sender.message(f"{kind}: before")
    if kind == "sqlite lock":
        lock = sqlite3.connect(kw["path"], timeout=1)
        lock.execute("BEGIN IMMEDIATE")
        started = time.monotonic()
        try:
            for n in range(messages):
                if time.monotonic() - started > 8:
                    break
                sender.message(f"{kind}: during {n}")
            time.sleep(max(0.0, 8 - (time.monotonic() - started)))
        finally:
            lock.rollback()
            lock.close()
    elif kind == "postgresql restart":
        kw["cluster"].pause()
        try:
            for n in range(messages):
                sender.message(f"{kind}: during {n}")
        finally:
            kw["cluster"].resume()
    elif kind == "disk full":
        with failing_inserts(runtime):
            for n in range(messages):
                sender.message(f"{kind}: during {n}")
    sender.message(f"{kind}: after")
    sender.retry_all()
    inbox = runtime.inbox
    assert inbox is not None
    time.sleep(1.0)
    inbox.redeliver()  # what failed after its ack (the slack-inbox job does this every 30 s)
    return sender.outcome()


# --------------------------------------------------------------------------- 4. a 300 MB body


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def oversized_body(url: str, megabytes: int) -> dict[str, Any]:
    port = int(url.rsplit(":", 1)[1])
    before = rss_mb()
    sent = 0
    answer = b""
    chunk = b"x" * (1 << 20)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(
            b"POST /slack/events HTTP/1.1\r\nHost: probe\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {megabytes << 20}\r\n\r\n".encode()
        )
        try:
            for _ in range(megabytes):
                sock.sendall(chunk)
                sent += len(chunk)
        except OSError:
            pass  # the server closed the connection
        try:
            sock.settimeout(5)
            answer = sock.recv(200)
        except OSError:
            pass
    time.sleep(0.5)
    return {
        "body_mb": megabytes,
        "client_sent_mb": round(sent / (1 << 20), 1),
        "answer": answer.split(b"\r\n", 1)[0].decode("latin-1") or "(connection closed)",
        "server_rss_before_mb": round(before, 1),
        "server_rss_after_mb": round(rss_mb(), 1),
    }


# --------------------------------------------------------------------------- main


def probe_slow_clients(args: argparse.Namespace, tmp: Path) -> None:
    for label, legacy in (
        ("before issue 18 (waitress defaults, channel_timeout=30)", True),
        ("slabot run today", False),
    ):
        database = f"sqlite:///{tmp / ('legacy.db' if legacy else 'slow.db')}"
        with slabot(database, legacy_server=legacy) as (_runtime, _slack, url):
            result = slow_client_attack(url, args.slow, args.seconds)
        print(f"slow-client attack [{label}]: {json.dumps(result)}")


def probe_sqlite(args: argparse.Namespace, tmp: Path) -> None:
    path = tmp / "probe.db"
    with slabot(f"sqlite:///{path}") as (runtime, slack, url):
        print(
            f"duplicate deliveries: {json.dumps(duplicate_deliveries(runtime, slack, url, args.duplicates))}"
        )
        for kind in ("sqlite lock", "disk full"):
            outcome = fault(runtime, slack, url, kind, args.fault_messages, path=path)
            print(f"fault matrix [{kind}]: {json.dumps(outcome)}")
        print(f"oversized body: {json.dumps(oversized_body(url, 300))}")


def probe_postgresql(args: argparse.Namespace) -> None:
    from tests.support.postgres import PostgresCluster, PostgresUnavailable

    cluster = PostgresCluster()
    try:
        cluster.start()
    except (PostgresUnavailable, OSError) as exc:
        print(f"fault matrix [postgresql restart]: skipped ({exc})")
        return
    try:
        with slabot(cluster.create_database("probe")) as (runtime, slack, url):
            outcome = fault(runtime, slack, url, "postgresql restart", args.fault_messages, cluster=cluster)
            print(f"fault matrix [postgresql restart]: {json.dumps(outcome)}")
    finally:
        cluster.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller numbers (a quick look)")
    parser.add_argument("--slow", type=int, default=120, help="slow sockets in the attack")
    parser.add_argument("--seconds", type=float, default=20.0, help="how long legitimate requests are sent")
    parser.add_argument("--duplicates", type=int, default=1000, help="concurrent deliveries of one message")
    parser.add_argument("--fault-messages", type=int, default=10, help="messages sent during each fault")
    parser.add_argument(
        "--only",
        choices=("slow", "sqlite", "postgresql"),
        help="one part: the slow clients, the SQLite parts, PostgreSQL",
    )
    args = parser.parse_args()
    if args.quick:
        args.slow, args.seconds, args.duplicates, args.fault_messages = 60, 8.0, 200, 4
    print(f"hardening probe on loopback · python {sys.version.split()[0]} · {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as tmp:
        if args.only in (None, "slow"):
            probe_slow_clients(args, Path(tmp))
        if args.only in (None, "sqlite"):
            probe_sqlite(args, Path(tmp))
        if args.only in (None, "postgresql"):
            probe_postgresql(args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
