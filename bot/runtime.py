"""``Runtime``: one running slabot — its settings, clock, database engine, services, Bolt app and
web app — as :func:`bot.app.bootstrap` returns it. Everything a process needs to serve one
installation hangs off this object; two runtimes in one process share nothing mutable."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bot.clock import Clock
from bot.services.container import Services
from bot.settings import Settings

if TYPE_CHECKING:
    from slack_bolt import App
    from sqlalchemy import Engine

    from bot.inbox import Inbox
    from bot.web import WebApp


@dataclass
class Runtime:
    settings: Settings
    clock: Clock
    engine: Engine
    services: Services
    app: App
    web: WebApp
    #: verified Slack requests stored before their ack (``bot.inbox``; None for a runtime without HTTP)
    inbox: Inbox | None = None
    #: called with each finished sweep's ``SweepStats`` of this runtime's sweeper (``/metrics``)
    sweep_observers: list[Callable[[Any], None]] = field(default_factory=list)
