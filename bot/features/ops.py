"""Operations: ``GET /metrics`` in the Prometheus text format (docs/operations.md).

The gauges are aggregate queries run at scrape time; the sweep duration is observed through
the runtime's sweep observers (``Runtime.sweep_observers``) in the process that runs the scheduler.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # bot.web (Bolt) is imported where used, so that `slabot --help` stays fast
    from bot.runtime import Runtime
    from bot.web import HttpRequest

log = logging.getLogger(__name__)


def install(runtime: Runtime) -> None:
    from bot.ops import metrics
    from bot.web import HttpResponse

    runtime.sweep_observers.append(metrics.observe_sweep)
    registry = metrics.registry_for(runtime.services.uow, runtime.clock, runtime.services.intake)

    def scrape(request: HttpRequest) -> HttpResponse:
        try:
            body = metrics.exposition(registry)
        except Exception:
            log.exception("metrics scrape failed")
            return HttpResponse(503, "# metrics unavailable: the database did not answer\n")
        return HttpResponse(200, body, metrics.CONTENT_TYPE)

    runtime.web.route("GET", "/metrics", scrape)
