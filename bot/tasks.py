"""``POST /tasks/sweep``: one alert sweep and one notifier pass, for hosts that stop idle processes.

On Google App Engine (or any platform with a cron that calls URLs) the in-process scheduler can
be switched off (``SLABOT_SCHEDULER=false``) and a cron job calls this endpoint every minute. It
is safe to call at any rate and from several places at once: the sweep and the notifier claim
their rows (leases; ``FOR UPDATE SKIP LOCKED`` on PostgreSQL), so nothing is sent twice.

Who may call it:
- App Engine's cron (``cron.yaml``): it calls the URL with **GET**, and its requests carry
  ``X-Appengine-Cron: true``, a header App Engine strips from every request that does not come from its
  cron; GET is accepted only with that header. That header is trusted **only on App Engine**
  (``GAE_APPLICATION`` is set in the environment); anywhere else anyone could send it.
- anyone presenting ``Authorization: Bearer <SLABOT_TASKS_TOKEN>`` (any other cron).
Anything else gets 401 (403 when no way of calling it is configured at all).
"""

from __future__ import annotations

import hmac
import logging
import os
import threading
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from bot.ops.metrics import observe_delivery
from bot.web import HttpRequest, HttpResponse

if TYPE_CHECKING:
    from bot.runtime import Runtime

log = logging.getLogger(__name__)

PATH = "/tasks/sweep"


def on_app_engine() -> bool:
    return bool(os.environ.get("GAE_APPLICATION"))


def authorised(request: HttpRequest, *, token: str | None, trust_cron_header: bool) -> bool:
    if trust_cron_header and request.headers.get("x-appengine-cron", "").lower() == "true":
        return True
    given = request.headers.get("authorization", "")
    if token and given.lower().startswith("bearer "):
        return hmac.compare_digest(given[7:].strip().encode(), token.encode())
    return False


def install(runtime: Runtime, *, trust_cron_header: bool | None = None) -> None:
    """Add ``POST /tasks/sweep`` (and ``GET`` for App Engine's cron) to the runtime's web app."""
    settings = runtime.settings
    token = settings.tasks_token.get_secret_value() if settings.tasks_token else None
    trust = on_app_engine() if trust_cron_header is None else trust_cron_header
    workers: list[Any] = []
    lock = threading.Lock()

    def sweep(request: HttpRequest) -> HttpResponse:
        if not token and not trust:
            return HttpResponse.json(
                403, {"ok": False, "error": "set SLABOT_TASKS_TOKEN (or run on App Engine with its cron)"}
            )
        if not authorised(request, token=token, trust_cron_header=trust):
            return HttpResponse.json(401, {"ok": False, "error": "not_authorised"})
        with lock:
            if not workers:
                from bot.scheduler import runtime_workers  # APScheduler: only once a cron calls

                workers.extend(runtime_workers(runtime))
        sweeper, notifier = workers
        swept = sweeper.run_once()

        delivered = observe_delivery(notifier.run_once())
        log.info("tasks/sweep: %s; %s", swept, delivered)
        return HttpResponse.json(200, {"ok": True, "sweep": _plain(swept), "notify": _plain(delivered)})

    def cron_sweep(request: HttpRequest) -> HttpResponse:
        # App Engine's cron calls its URLs with GET; only its header may use GET (others POST)
        if not (trust and request.headers.get("x-appengine-cron", "").lower() == "true"):
            return HttpResponse.json(405, {"ok": False, "error": "use POST (GET is for App Engine's cron)"})
        return sweep(request)

    runtime.web.route("POST", PATH, sweep)
    runtime.web.route("GET", PATH, cron_sweep)


def _plain(stats: Any) -> dict[str, Any]:
    try:
        return {k: v for k, v in asdict(stats).items() if isinstance(v, int | float | str)}
    except TypeError:
        return {"result": str(stats)}
