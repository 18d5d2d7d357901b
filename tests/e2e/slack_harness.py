"""The signed-request Slack harness the end-to-end tests share: the app bootstrapped on SQLite behind
the real HTTP endpoint, the Slack emulator for its Web API calls, requests signed like Slack's.

Import it with ``from tests.e2e.slack_harness import SlackApp, running_app`` (pytest's importlib
mode: ``tests`` is a namespace package). A test module subclasses :class:`SlackApp` for its own
helpers and builds it inside :func:`running_app`, or takes Acme's support channel as it is with
:func:`support_app`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import pytest

from bot.app import BOT_SCOPES, Runtime, bootstrap
from bot.clock import ManualClock
from bot.emulator import inbound
from bot.emulator.server import SlackEmulator
from bot.scheduler import runtime_workers
from bot.server import BackgroundServer
from bot.services.alerts import Sweeper
from handlers import commands
from handlers.notifier import Notifier, notifier_web_client
from tests.support.settings import example_settings

ROOT = Path(__file__).resolve().parents[2]
AGENTS = ("U0AGENT001", "U0AGENT002")
"""The ``agents`` user group (``S0AGENTS01``) every harness creates."""
CLIENT, SUPPORT = "U0ACME0001", "C0SUPPORT1"
"""Acme's client and support channel (examples/contracts.yaml) of :func:`support_app`."""
TUESDAY_10_BERLIN = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


@dataclass
class SlackApp:
    runtime: Runtime
    slack: SlackEmulator
    url: str
    clock: ManualClock
    secret: str

    WAIT_SECONDS: ClassVar[float] = 5.0
    """How long :meth:`wait_for` waits by default (listeners run after the ack)."""

    def post(
        self, body_and_type: tuple[str, str], *, secret: str | None = None, **kw: Any
    ) -> tuple[int, str]:
        """Sign (with ``secret``, the app's by default) and post a request: (HTTP status, body)."""
        body, content_type = body_and_type
        status, _headers, text = inbound.post_to_app(
            self.url, body, content_type, self.secret if secret is None else secret, **kw
        )
        return status, text

    def command(self, text: str, user: str, channel: str) -> dict[str, Any]:
        """``/sla <text>`` by ``user`` in ``channel``: the JSON answer (the request must succeed)."""
        status, body = self.post(inbound.slash_command(text, user, channel))
        assert status == 200, body
        return json.loads(body)

    def deliver(self) -> None:
        """One notifier pass: what listeners queued in the outbox (change notes, cards) reaches Slack."""
        if getattr(self, "_notifier", None) is None:
            _, self._notifier = emulator_workers(
                self.runtime, self.slack.url, worker_id="harness-notifier", token="xoxb-harness"
            )
        self._notifier.run_once()

    def wait_for(
        self, predicate: Callable[[], Any], timeout: float | None = None, *, deliver: bool = False
    ) -> None:
        """Wait until ``predicate()`` holds; with ``deliver``, run the notifier between checks."""
        deadline = time.monotonic() + (self.WAIT_SECONDS if timeout is None else timeout)
        while time.monotonic() < deadline:
            if deliver:
                self.deliver()
            if predicate():
                return
            time.sleep(0.02)
        raise AssertionError("condition not met in time")


def emulator_workers(
    runtime: Runtime, slack_url: str, *, worker_id: str, token: str = "xoxb-e2e"
) -> tuple[Sweeper, Notifier]:
    """The sweeper and the notifier of ``runtime`` as worker ``worker_id``, delivering to the
    emulator at ``slack_url`` with ``token`` for every workspace."""
    client = notifier_web_client(token, base_url=slack_url)
    return runtime_workers(runtime, clients=lambda _team: client, worker_id=worker_id)


@contextmanager
def running_app(
    tmp_path: Path,
    *,
    clock: ManualClock,
    secret: str,
    users: Iterable[str],
    channels: Mapping[str, tuple[str, list[str]]],
    database: str = "e2e.db",
    database_url: str | None = None,
    **settings: Any,
) -> Iterator[tuple[Runtime, SlackEmulator, str]]:
    """The emulator with ``users``, ``channels`` (id → (name, members)) and the agents' user group,
    the app bootstrapped against it (examples/contracts.yaml, no scheduler, ``settings`` on top; the
    SQLite file ``tmp_path/database`` unless ``database_url`` names a migrated database) and served on
    a free port: yields (runtime, emulator, the app's URL)."""
    # the bot token holds exactly the manifest's scopes: a call needing another answers missing_scope
    with SlackEmulator(clock=clock, auto_create_channels=True, scopes=BOT_SCOPES) as slack:
        for user in users:
            slack.add_user(user, user.lower())
        for channel_id, (name, members) in channels.items():
            slack.add_channel(channel_id, name, members=members)
        slack.add_usergroup("S0AGENTS01", "agents", list(AGENTS))
        if database_url is not None:
            settings["DATABASE_URL"] = database_url
        runtime = bootstrap(
            example_settings(
                tmp_path / database,
                SLACK_BOT_TOKEN="xoxb-e2e",
                SLACK_SIGNING_SECRET=secret,
                SLACK_API_URL=slack.url,
                **settings,
            ),
            clock=clock,
        )
        try:
            with BackgroundServer(runtime.web) as server:
                yield runtime, slack, server.url
        finally:
            runtime.engine.dispose()


App = TypeVar("App", bound=SlackApp)


@contextmanager
def support_app(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    *,
    secret: str,
    harness: type[App] = SlackApp,  # type: ignore[assignment]
    users: Iterable[str] = (),
    **settings: Any,
) -> Iterator[App]:
    """Acme's support channel ``SUPPORT`` (the first agent and ``CLIENT`` in it; the agents, the client
    and ``users`` in the workspace) on :data:`TUESDAY_10_BERLIN`, App Home tabs refreshed at once
    unless ``settings`` say otherwise, and the ``/sla`` ack budget raised to 30 s (a loaded test
    machine must not turn answers into placeholders sent to Slack's response_url): yields ``harness``
    on the running app (the rest of ``settings`` as :func:`running_app` takes them)."""
    monkeypatch.setattr(commands, "ACK_BUDGET_SECONDS", 30.0)
    clock = ManualClock(TUESDAY_10_BERLIN)
    settings.setdefault("SLABOT_HOME_REFRESH_SECONDS", 0)
    with running_app(
        tmp_path,
        clock=clock,
        secret=secret,
        users=(*AGENTS, CLIENT, *users),
        channels={SUPPORT: ("acme-support", [AGENTS[0], CLIENT])},
        **settings,
    ) as (runtime, slack, url):
        yield harness(runtime, slack, url, clock, secret)
