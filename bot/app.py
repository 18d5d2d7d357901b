"""The composition root: settings + clock → storage, contracts, use cases, the Bolt app, the web app.

Nothing is created at import time. ``bootstrap(settings, clock=...)`` builds everything and
returns a :class:`Runtime`; ``create_app(settings, clock=...)`` returns just the Bolt app.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App, BoltResponse
from slack_bolt.authorization.authorize import InstallationStoreAuthorize
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.oauth.token_rotation import TokenRotator
from sqlalchemy import Engine

from bot import features, tasks
from bot.clock import Clock, SystemClock
from bot.inbox import Inbox, TrackingExecutor, answer_on_ack, listener_failed
from bot.ops.health import SlackAuthCheck
from bot.runtime import Runtime
from bot.services.answer_cache import AnswerCache
from bot.services.container import Services
from bot.services.people import AgentDirectory
from bot.services.tickets import TicketService
from bot.settings import Settings, SettingsError, load_contract_book
from bot.slack_endpoint import SlackEndpoint
from bot.web import WebApp
from handlers import listeners
from handlers.commands import command_table
from handlers.installations import ROTATE_MINUTES_BEFORE_EXPIRY, InstallationClients
from handlers.usergroups import usergroup_members
from sla.contracts import ContractBook
from sla.extras import missing
from storage.db import is_sqlite, make_engine, migrate
from storage.installations import InstallationStore, make_installation_store, make_oauth_state_store
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

# The bot's OAuth scopes: what the calls and events of the code need, nothing more (manifest.yaml
# lists the same; tests/bot/test_slack_scopes.py derives the need from Slack's specs; docs/slack.md
# names the code behind each). Channels are reached by inviting the bot, hence no chat:write.public.
BOT_SCOPES = [
    "app_mentions:read",  # the app_mention event
    "channels:history",  # message.channels; conversations.history/replies (delivery's duplicate check)
    "chat:write",  # chat.postMessage, chat.update, chat.postEphemeral
    "commands",  # /sla and the "Track as SLA ticket" message shortcut
    "files:write",  # files_upload_v2 (report chart and CSV)
    "groups:history",  # message.groups; conversations.history/replies in private channels
    "im:history",  # message.im (a DM is answered)
    "im:write",  # conversations.open (alerts and reports DMed to a person)
    "reactions:read",  # reaction_added (the resolve reaction)
    "usergroups:read",  # usergroups.users.list (agents named by a user group)
]


#: a listener's Slack call (an ephemeral answer, a modal) gives up after this many seconds
LISTENER_SLACK_TIMEOUT_SECONDS = 5


def slack_client(base_url: str, token: str | None, *, retries: int = 3) -> WebClient:
    """A WebClient that retries 429 (honouring Retry-After), 5xx and connection errors."""
    return WebClient(
        token=token,
        base_url=base_url,
        timeout=10,
        retry_handlers=[
            RateLimitErrorRetryHandler(max_retry_count=retries),
            ServerErrorRetryHandler(max_retry_count=retries),
            ConnectionErrorRetryHandler(max_retry_count=retries),
        ],
    )


def listener_client(base_url: str, token: str | None) -> WebClient:
    """The client Bolt hands to listeners (and copies for each installation): a short timeout and no
    retry, so a slow or rate-limiting Slack holds a listener thread for seconds, never for a
    Retry-After sleep. What must reach Slack goes through the outbox, whose notifier retries."""
    return WebClient(
        token=token, base_url=base_url, timeout=LISTENER_SLACK_TIMEOUT_SECONDS, retry_handlers=[]
    )


def verify_bot_token(client: WebClient) -> None:
    """``auth.test`` once at start-up, judged as ``/readyz`` judges it (:class:`SlackAuthCheck`): a
    token Slack refuses (``invalid_auth``, ``token_revoked``, ...) is a :class:`~bot.settings.SettingsError`
    naming ``SLACK_BOT_TOKEN`` (``slabot run`` exits 2 with that one line); Slack unreachable, failing
    or rate limiting is logged and start-up goes on — ``/readyz`` says so until Slack answers, and
    alerts wait in the outbox meanwhile."""
    verdict = SlackAuthCheck(client).ask()
    if not verdict.ok:
        problem = f"SLACK_BOT_TOKEN: Slack refuses this token ({verdict.detail['error']})"
        raise SettingsError([f"{problem} — reinstall the app or copy its Bot User OAuth Token"])
    if "warning" in verdict.detail:
        what = "unreachable" if verdict.detail.get("reachable") is False else "auth.test failed"
        log.warning(
            "slack %s at start-up (%s); starting anyway, /readyz reports it", what, verdict.detail["warning"]
        )


def bootstrap(
    settings: Settings,
    *,
    clock: Clock | None = None,
    engine: Engine | None = None,
    book: ContractBook | None = None,
    migrate_sqlite: bool = True,
) -> Runtime:
    clock = clock or SystemClock()
    book = book or load_contract_book(settings.contracts)
    engine = engine or make_engine(settings.database_url)
    if migrate_sqlite and is_sqlite(engine):
        migrate(engine)
    uow = UnitOfWork.from_engine(engine)

    bot_token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    signing_secret = (
        settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else None
    )
    single_client = slack_client(settings.slack_api_url, bot_token)
    app, installation_store, installed_clients = _bolt_app(settings, engine, bot_token, signing_secret)

    def client_for(owner: str) -> WebClient | None:
        """The owner's client outside a request (the notifier, App Home refreshes, user groups)."""
        return single_client if installed_clients is None else installed_clients(owner)

    tickets = TicketService(uow=uow, book=book, clock=clock)
    services = Services(
        settings=settings,
        clock=clock,
        book=book,
        uow=uow,
        tickets=tickets,
        people=AgentDirectory(book, clock, usergroup_members(client_for), admins=lambda: settings.admins),
        client_for=client_for,
        answers=AnswerCache(clock),
        channel_clients=AnswerCache(clock),
        commands=command_table(),
    )
    tickets.after_commit.append(lambda change: services.answers.invalidate(change.team_id))

    @app.error
    def on_error(error: Exception, body: dict[str, Any], logger: logging.Logger) -> BoltResponse:
        logger.exception("listener failed for %s", (body or {}).get("type", "request"))
        listener_failed(error)  # its inbox row stays pending: processed again by the slack-inbox job
        return BoltResponse(status=500, body="")

    app.use(answer_on_ack)  # a command's answer goes out the moment its listener acks
    listeners.register(app, services, installation_store=installation_store)

    inbox = Inbox(uow, clock)
    web = WebApp(app, events=SlackEndpoint(app, signing_secret=signing_secret or "", inbox=inbox))

    # /livez, /readyz, /healthz, /metrics: bot.features.ops
    runtime = Runtime(
        settings=settings, clock=clock, engine=engine, services=services, app=app, web=web, inbox=inbox
    )
    tasks.install(runtime)  # POST /tasks/sweep, for hosts whose cron drives the sweep

    features.install_all(runtime)
    warn_missing_extras()
    return runtime


#: what a process does without each optional extra (pip install 'slabot[...]')
EXTRA_EFFECTS = {
    "charts": "reports go out without their chart (the CSV and the text are sent)",
    "sentiment": "survey comments are scored without TextBlob and VADER (slabot's lexicon and word model only)",
}


def _bolt_app(
    settings: Settings, engine: Engine, bot_token: str | None, signing_secret: str | None
) -> tuple[App, InstallationStore | None, InstallationClients | None]:
    """The Bolt app and how it authorizes: with OAuth (no bot token), the installation store, the
    token rotation and the clients of each installation; else the one bot token, verified here."""
    installation_store = None
    installed_clients: InstallationClients | None = None
    app_kwargs: dict[str, Any] = {
        "signing_secret": signing_secret or "",
        "process_before_response": False,
        # bot.slack_endpoint checks every HTTP request's signature before Bolt sees it (and a stored
        # request processed again after a crash is past the five-minute window); Socket Mode has none
        "request_verification_enabled": False,
        # listeners' work after the ack: a bounded pool that tells the inbox when its row is processed
        "listener_executor": TrackingExecutor(
            max_workers=settings.listener_threads, thread_name_prefix="slabot-listener"
        ),
    }
    if settings.oauth_enabled and not bot_token:
        installation_store = make_installation_store(engine, client_id=settings.slack_client_id or "")
        client_secret = (
            settings.slack_client_secret.get_secret_value() if settings.slack_client_secret else None
        )
        app_kwargs["client"] = listener_client(settings.slack_api_url, None)
        # Bolt's own authorize would rotate expiring tokens with a WebClient on slack.com, whatever
        # SLACK_API_URL says: this one rotates through the app's client
        app_kwargs["authorize"] = InstallationStoreAuthorize(
            logger=log,
            installation_store=installation_store,
            client_id=settings.slack_client_id,
            client_secret=client_secret,
            token_rotation_expiration_minutes=ROTATE_MINUTES_BEFORE_EXPIRY,
            client=app_kwargs["client"],
        )
        app_kwargs["oauth_settings"] = OAuthSettings(
            client_id=settings.slack_client_id,
            client_secret=client_secret,
            scopes=BOT_SCOPES,
            installation_store=installation_store,
            state_store=make_oauth_state_store(engine),
            # expiring tokens (token rotation on): Bolt refreshes a request's token this long before expiry
            token_rotation_expiration_minutes=ROTATE_MINUTES_BEFORE_EXPIRY,
        )
        installed_clients = InstallationClients(
            installation_store,
            lambda token: slack_client(settings.slack_api_url, token),
            TokenRotator(
                client_id=settings.slack_client_id or "",
                client_secret=client_secret or "",
                client=slack_client(settings.slack_api_url, None),
            ),
        )
    else:
        # the token lives on the client (Bolt ignores, with a warning, a ``token`` given beside a ``client``)
        app_kwargs["client"] = listener_client(settings.slack_api_url, bot_token or "xoxb-not-configured")
        # Bolt's own check (auth.test while constructing the App) made a Slack outage at start-up a
        # crash (URLError, no process, no /readyz): ours refuses a token Slack refuses, and starts
        # through an outage (Bolt authorizes each request lazily; the outbox keeps what must be sent)
        app_kwargs["token_verification_enabled"] = False
        if bot_token and settings.slack_api_url != "":
            verify_bot_token(slack_client(settings.slack_api_url, bot_token, retries=1))

    return App(**app_kwargs), installation_store, installed_clients


def warn_missing_extras() -> None:
    """One warning per optional extra that is not installed, saying what changes and what to install."""
    for extra, effect in EXTRA_EFFECTS.items():
        if missing(extra):
            log.warning(
                "optional extra not installed",
                extra={"extra": extra, "effect": effect, "install": f"pip install 'slabot[{extra}]'"},
            )


def socket_mode_handler(runtime: Runtime) -> Any:
    """Socket Mode (``SLACK_APP_TOKEN``): the app opens a WebSocket to Slack (``apps.connections.open``
    on ``SLACK_API_URL``) and receives commands, interactivity and events over it — no public URL.
    The same Bolt app, so the same listeners answer. ``start()`` blocks; ``connect()`` does not."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    token = runtime.settings.slack_app_token
    if token is None:
        raise ValueError("Socket Mode needs SLACK_APP_TOKEN (an app-level token, xapp-...)")
    # apps.connections.open on a retrying client (the listeners' client never sleeps on a retry)
    web_client = slack_client(runtime.settings.slack_api_url, None)
    return SocketModeHandler(runtime.app, token.get_secret_value(), web_client=web_client)


def create_app(settings: Settings, *, clock: Clock | None = None, **kw: Any) -> App:
    """The Bolt app with every listener registered (see :func:`bootstrap` for the rest)."""
    return bootstrap(settings, clock=clock, **kw).app
