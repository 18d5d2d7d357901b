"""Slack listeners: thin adapters from a Slack payload to one use case and back.

``register(app, services)`` wires every listener kind once (no listener is created at import time).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from slack_bolt import App

    from bot.services.container import Services


def register(app: App, services: Services) -> None:
    from handlers import actions, commands, events, home, views

    commands.register(app, services)
    actions.register(app, services)
    views.register(app, services)
    events.register(app, services)
    home.register(app, services)
