"""Liveness and readiness of one slabot process: ``/livez``, ``/readyz`` (``/healthz`` = liveness).

- **Liveness** does no I/O at all: the process answers, so it is alive. A database or Slack blip never
  makes an orchestrator restart a healthy process.
- **Readiness** says whether this process can do its work now: the database answers ``SELECT 1``, the
  contract file was loaded (and whether it changed on disk since), Slack accepts the bot token
  (``auth.test``), plus whatever the process adds (``slabot worker``: its scheduler runs). Each check
  has a deadline (:data:`CHECK_SECONDS`); the Slack answer is cached, so probes every few seconds do
  not call Slack every few seconds. Slack being *unreachable* is reported but keeps the process
  ready — webhooks and the outbox keep working and deliver later — while a token Slack *refuses*
  (revoked, invalid) makes it not ready. While the process shuts down (SIGTERM), readiness is 503 so
  load balancers stop sending it work; liveness stays 200 until it exits.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from slack_sdk.errors import SlackApiError
from sqlalchemy import Engine, text

from bot.web import HttpRequest, HttpResponse

log = logging.getLogger(__name__)

CHECK_SECONDS = 2.0
#: how long Slack's verdict on the token is reused (good news longer than bad news)
SLACK_OK_SECONDS = 300.0
SLACK_FAILED_SECONDS = 15.0
#: ``auth.test`` errors that mean the token will not work until someone acts
SLACK_REFUSALS = frozenset(
    {"invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired", "no_permission"}
)


@dataclass(frozen=True)
class Operations:
    """A runtime's operations routes: its health, and ``/metrics`` guarded (the main port, needs
    ``SLABOT_METRICS_TOKEN``) or open (``SLABOT_METRICS_ADDRESS``'s private listener)."""

    health: Health
    metrics: Callable[[HttpRequest], HttpResponse]
    metrics_guarded: Callable[[HttpRequest], HttpResponse]


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    detail: dict[str, Any] = field(default_factory=dict)


Check = Callable[[], CheckResult]


class Health:
    """The process's readiness checks and its stopping flag."""

    def __init__(self, checks: dict[str, Check] | None = None, *, timeout: float = CHECK_SECONDS) -> None:
        self.checks: dict[str, Check] = dict(checks or {})
        self.timeout = timeout
        self.stopping = threading.Event()
        self._running: dict[str, threading.Thread] = {}
        self._lock = threading.Lock()

    def add(self, name: str, check: Check) -> None:
        self.checks[name] = check

    # -- routes

    def live(self, request: HttpRequest | None = None) -> HttpResponse:
        return HttpResponse.json(
            200, {"ok": True, "stopping": True} if self.stopping.is_set() else {"ok": True}
        )

    def ready(self, request: HttpRequest | None = None) -> HttpResponse:
        if self.stopping.is_set():
            return HttpResponse.json(503, {"ok": False, "stopping": True})
        results = self.run_checks()
        ok = all(r.ok for r in results.values())
        body = {"ok": ok, "checks": {name: {"ok": r.ok, **r.detail} for name, r in results.items()}}
        return HttpResponse.json(200 if ok else 503, body)

    # -- checks, each on its own thread with a deadline

    def run_checks(self) -> dict[str, CheckResult]:
        started = time.monotonic()
        results: dict[str, CheckResult] = {}
        threads: dict[str, tuple[threading.Thread, list[CheckResult]]] = {}
        for name, check in self.checks.items():
            with self._lock:
                previous = self._running.get(name)
                if previous is not None and previous.is_alive():  # a hung check is not started twice
                    results[name] = CheckResult(False, {"error": "the previous check has not returned yet"})
                    continue
                box: list[CheckResult] = []
                thread = threading.Thread(
                    target=_run_into, args=(check, box), name=f"readyz-{name}", daemon=True
                )
                self._running[name] = thread
            thread.start()
            threads[name] = (thread, box)
        for name, (thread, box) in threads.items():
            thread.join(max(0.0, self.timeout - (time.monotonic() - started)))
            results[name] = (
                box[0] if box else CheckResult(False, {"error": f"no answer within {self.timeout:g} s"})
            )
        return {name: results[name] for name in self.checks if name in results}


def _run_into(check: Check, box: list[CheckResult]) -> None:
    try:
        box.append(check())
    except Exception as exc:  # a failing check is a not-ready answer, never a 500
        box.append(CheckResult(False, {"error": type(exc).__name__}))


def database_check(engine: Engine) -> Check:
    def check() -> CheckResult:
        started = time.perf_counter()
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return CheckResult(True, {"ms": round((time.perf_counter() - started) * 1000, 1)})

    return check


def contracts_check(path: Path | None, sha256: str) -> Check:
    """The contract file this process runs on; ``changed_on_disk`` means a restart would load another."""

    def check() -> CheckResult:
        detail: dict[str, Any] = {"sha256": sha256[:12]}
        if path is None:
            return CheckResult(True, {**detail, "file": None})
        detail["file"] = str(path)
        try:
            detail["changed_on_disk"] = hashlib.sha256(Path(path).read_bytes()).hexdigest() != sha256
        except OSError as exc:
            detail["changed_on_disk"] = None
            detail["file_error"] = exc.strerror or type(exc).__name__
        return CheckResult(True, detail)

    return check


class SlackAuthCheck:
    """``auth.test`` with the bot token, its verdict cached (:data:`SLACK_OK_SECONDS`)."""

    def __init__(self, client: Any, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.client = client
        self.clock = clock
        self._cached: tuple[float, CheckResult] | None = None
        self._lock = threading.Lock()

    def __call__(self) -> CheckResult:
        with self._lock:
            now = self.clock()
            if self._cached is not None and now < self._cached[0]:
                return self._cached[1]
            result = self.ask()
            ttl = (
                SLACK_OK_SECONDS
                if result.ok and result.detail.get("reachable", True)
                else SLACK_FAILED_SECONDS
            )
            self._cached = (now + ttl, result)
            return result

    def ask(self) -> CheckResult:
        """Slack's verdict now, uncached: not ok when Slack refuses the token (``detail["error"]``);
        ok with a ``warning`` when Slack fails or rate limits (``reachable``) or cannot be reached."""
        try:
            answer = self.client.auth_test()
        except SlackApiError as exc:
            error = str((exc.response or {}).get("error") or "unknown_error")
            if error in SLACK_REFUSALS:
                return CheckResult(False, {"error": error})
            return CheckResult(True, {"reachable": True, "warning": error})
        except Exception as exc:  # Slack unreachable: the outbox waits for it, the process stays useful
            return CheckResult(True, {"reachable": False, "warning": type(exc).__name__})
        return CheckResult(True, {"team": answer.get("team_id"), "bot_user": answer.get("user_id")})
