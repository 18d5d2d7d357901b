"""Operations: ``GET /metrics`` in the Prometheus text format (docs/operations.md), guarded on the main port.

The gauges are aggregate queries run at scrape time; the sweep duration is observed through
the runtime's sweep observers (``Runtime.sweep_observers``) in the process that runs the scheduler.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # bot.web (Bolt) is imported where used, so that `slabot --help` stays fast
    from bot.runtime import Runtime
    from bot.web import HttpRequest, HttpResponse

log = logging.getLogger(__name__)


def install(runtime: Runtime) -> None:
    from bot.ops import metrics
    from bot.ops.health import Operations

    runtime.sweep_observers.append(metrics.observe_sweep)
    runtime.web.observers.append(metrics.observe_http(frozenset({"/slack/events"})))
    scrape = metrics_route(runtime)
    token = runtime.settings.metrics_token
    on_main_port = guarded(scrape, token.get_secret_value() if token else None)
    runtime.web.route("GET", "/metrics", on_main_port)
    health = health_of(runtime)
    runtime.services.ops = Operations(health=health, metrics=scrape, metrics_guarded=on_main_port)
    for path in ("/livez", "/healthz"):
        runtime.web.route("GET", path, health.live)
    runtime.web.route("GET", "/readyz", health.ready)
    runtime.web.route("GET", "/_ah/warmup", warmup(runtime))


def health_of(runtime: Runtime) -> Any:
    """Readiness of this runtime: the database, the contract file, Slack's verdict on the bot token."""
    from slack_sdk import WebClient

    from bot.ops.health import (
        CHECK_SECONDS,
        CheckResult,
        Health,
        SlackAuthCheck,
        contracts_check,
        database_check,
    )

    settings = runtime.settings
    health = Health(
        {
            "database": database_check(runtime.engine),
            "contracts": contracts_check(settings.contracts, runtime.services.book.sha256),
        }
    )
    if settings.slack_bot_token is not None:
        client = WebClient(
            token=settings.slack_bot_token.get_secret_value(),
            base_url=settings.slack_api_url,
            timeout=int(CHECK_SECONDS),
            retry_handlers=[],
        )
        health.add("slack", SlackAuthCheck(client))
    elif settings.oauth_enabled:  # each workspace's token is checked by Slack as it is used
        health.add("slack", lambda: CheckResult(True, {"mode": "oauth"}))
    else:
        health.add("slack", lambda: CheckResult(False, {"error": "no Slack credentials configured"}))
    return health


def warmup(runtime: Runtime) -> Callable[[HttpRequest], HttpResponse]:
    """``GET /_ah/warmup``: App Engine's warmup request (``inbound_services: [warmup]``) before an
    instance gets traffic. The app is already built (gunicorn preloads it); this opens a database
    connection so the first real request does not pay for it."""
    from bot.ops.health import database_check
    from bot.web import HttpResponse

    check = database_check(runtime.engine)

    def handler(request: HttpRequest) -> HttpResponse:
        try:
            check()
        except Exception as exc:
            return HttpResponse.json(503, {"ok": False, "database": type(exc).__name__})
        return HttpResponse.json(200, {"ok": True})

    return handler


def metrics_route(runtime: Runtime) -> Callable[[HttpRequest], HttpResponse]:
    """``GET /metrics`` without access control (what the separate metrics listener serves)."""
    from bot.ops import metrics
    from bot.web import HttpResponse

    registry = metrics.registry_for(runtime.services.uow, runtime.clock, runtime.services.intake)

    def scrape(request: HttpRequest) -> HttpResponse:
        return HttpResponse(200, metrics.exposition(registry), metrics.CONTENT_TYPE)

    return scrape


def guarded(
    route: Callable[[HttpRequest], HttpResponse], token: str | None
) -> Callable[[HttpRequest], HttpResponse]:
    """``/metrics`` on the main port, which faces Slack and the internet: only with
    ``Authorization: Bearer <SLABOT_METRICS_TOKEN>``; without a token configured, not at all."""
    from bot.web import HttpResponse

    def handler(request: HttpRequest) -> HttpResponse:
        if token is None:
            return HttpResponse(
                403,
                "/metrics is not served on this port: set SLABOT_METRICS_TOKEN (scrape with a bearer token) "
                "or SLABOT_METRICS_ADDRESS (a separate listener, e.g. 127.0.0.1:9464)\n",
            )
        given = request.headers.get("authorization", "")
        scheme, _, value = given.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(value.strip().encode(), token.encode()):
            return HttpResponse(
                401,
                "send Authorization: Bearer <SLABOT_METRICS_TOKEN>\n",
                headers={"WWW-Authenticate": "Bearer"},
            )
        return route(request)

    return handler
