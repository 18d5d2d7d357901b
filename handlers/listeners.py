"""Every listener kind of the Slack app, registered once per app instance (``bootstrap`` calls
:func:`register`); no listener is created at import time."""

from __future__ import annotations

from slack_bolt import App

from bot.services.container import Services
from handlers import actions, commands, events, home, installations, views
from storage.installations import InstallationStore


def register(app: App, services: Services, *, installation_store: InstallationStore | None = None) -> None:
    commands.register(app, services)
    actions.register(app, services)
    views.register(app, services)
    events.register(app, services)
    home.register(app, services)
    installations.register(app, installation_store)
