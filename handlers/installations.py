"""The app's installations: each owner's bot token (rotated before it expires) for the work that runs
outside a Slack request, and the clean-up Slack asks for with ``app_uninstalled`` and ``tokens_revoked``.

- **Owner.** Rows belong to the workspace's team id, or — for an org-wide install on an Enterprise Grid
  — to the enterprise id (:func:`handlers.workspace.team_of`). :class:`InstallationClients` finds the
  owner's bot in slack_sdk's installation store (``storage.installations``).
- **Token rotation.** With *token rotation* on, Slack issues bot tokens that expire (``xoxe.xoxb-…``,
  12 hours) and a refresh token. Listeners get their token from Bolt's ``authorize``, which rotates it
  (``OAuthSettings.token_rotation_expiration_minutes``); the notifier, App Home refreshes and user-group
  lookups get theirs here, rotated the same way by slack_sdk's ``TokenRotator`` and saved back to the
  store, so the next request and the next process see the new pair.
- **Uninstall / revocation.** ``app_uninstalled`` deletes every installation and bot token of the owner
  from the store; ``tokens_revoked`` deletes the revoked ones (the bot's, or users'). Tickets and
  reports stay (a reinstall continues where the team left off). With a single ``SLACK_BOT_TOKEN``
  there is no store: the token is dead, which the log says, and ``/readyz`` reports it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient
from slack_sdk.oauth.token_rotation import TokenRotator

from handlers.workspace import team_of
from storage.installations import InstallationStore

log = logging.getLogger(__name__)

#: rotate a bot token this long before it expires (Bolt's default, used for both paths)
ROTATE_MINUTES_BEFORE_EXPIRY = 120


class InstallationClients:
    """``owner -> WebClient | None`` from the installation store (``None``: not installed there)."""

    def __init__(
        self,
        store: InstallationStore,
        make_client: Callable[[str], WebClient],
        rotator: TokenRotator | None = None,
        *,
        minutes_before_expiry: int = ROTATE_MINUTES_BEFORE_EXPIRY,
    ) -> None:
        self.store = store
        self.make_client = make_client
        self.rotator = rotator
        self.minutes_before_expiry = minutes_before_expiry
        self._lock = threading.Lock()  # one rotation at a time: a refresh token is used once

    def __call__(self, owner: str) -> WebClient | None:
        token = self.token_of(owner)
        return self.make_client(token) if token else None

    def token_of(self, owner: str) -> str | None:
        with self._lock:
            bot = self.store.find_bot_of(owner)
            if bot is None or not bot.bot_token:
                return None
            if bot.bot_refresh_token is None or self.rotator is None:
                return bot.bot_token
            installation = self.store.find_installation(
                enterprise_id=bot.enterprise_id,
                team_id=bot.team_id,
                is_enterprise_install=bot.is_enterprise_install,
            )
            if installation is not None and installation.bot_refresh_token == bot.bot_refresh_token:
                refreshed = self.rotator.perform_token_rotation(
                    installation=installation, minutes_before_expiration=self.minutes_before_expiry
                )
                if refreshed is None:
                    return bot.bot_token
                self.store.save(refreshed)  # the installation and its bot row
                return refreshed.bot_token
            refreshed_bot = self.rotator.perform_bot_token_rotation(
                bot=bot, minutes_before_expiration=self.minutes_before_expiry
            )
            if refreshed_bot is None:
                return bot.bot_token
            self.store.save_bot(refreshed_bot)
            return refreshed_bot.bot_token


def _where(context: BoltContext) -> dict[str, Any]:
    """The store's keys of the request's installation (an org-wide install has no team id)."""
    org_wide = bool(context.is_enterprise_install)
    return {"enterprise_id": context.enterprise_id or None, "team_id": None if org_wide else context.team_id}


def register(app: App, store: InstallationStore | None) -> None:
    @app.event("app_uninstalled")
    def uninstalled(context: BoltContext) -> None:
        if store is None:
            log.warning(
                "slabot was uninstalled from %s: SLACK_BOT_TOKEN no longer works (reinstall the app "
                "and set its new token)",
                team_of(context),
            )
            return
        store.delete_all(**_where(context))
        log.warning(
            "slabot was uninstalled from %s: its installation and tokens are deleted", team_of(context)
        )

    @app.event("tokens_revoked")
    def revoked(event: dict[str, Any], context: BoltContext) -> None:
        tokens = event.get("tokens") or {}
        if store is None:
            if tokens.get("bot"):
                log.warning(
                    "the bot token of %s was revoked: SLACK_BOT_TOKEN no longer works", team_of(context)
                )
            return
        for user_id in tokens.get("oauth") or []:
            store.delete_installation(**_where(context), user_id=user_id)
        if tokens.get("bot"):
            store.delete_bot(**_where(context))
            log.warning(
                "the bot token of %s was revoked: deleted from the installation store", team_of(context)
            )
