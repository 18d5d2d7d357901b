"""Operations: ``GET /metrics`` in the Prometheus text format (docs/operations.md), guarded on the main port.

The gauges are aggregate queries run at scrape time; the sweep duration is observed through
the runtime's sweep observers (``Runtime.sweep_observers``) in the process that runs the scheduler.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # bot.web (Bolt) is imported where used, so that `slabot --help` stays fast
    from bot.runtime import Runtime
    from bot.web import HttpRequest, HttpResponse

log = logging.getLogger(__name__)


def install(runtime: Runtime) -> None:
    from bot.ops import metrics

    runtime.sweep_observers.append(metrics.observe_sweep)
    runtime.web.observers.append(metrics.observe_http(frozenset({"/slack/events"})))
    scrape = metrics_route(runtime)
    token = runtime.settings.metrics_token
    runtime.web.route("GET", "/metrics", guarded(scrape, token.get_secret_value() if token else None))
    runtime.services.extras["metrics"] = scrape  # unguarded: for the SLABOT_METRICS_ADDRESS listener


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
