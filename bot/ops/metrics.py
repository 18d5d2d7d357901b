"""``GET /metrics``: slabot's state in the Prometheus text format (prometheus_client).

Names follow Prometheus' conventions: every metric starts with ``slabot_``, counters end in
``_total``, durations are ``_seconds`` histograms, and nothing unbounded (ticket ids, user text,
URLs that are not routes) becomes a label. :data:`METRICS` lists them all; ``docs/operations.md``
explains each, and a test checks the exposition with ``promtool check metrics`` (or the same rules).

Two kinds of figures:

- **from the database**, computed at scrape time by a few aggregate queries (:mod:`storage.ops`), so
  every process answers the same and nothing is lost on restart: tickets open / at risk / breached
  by client and priority, outbox rows by state and kind, outbox rows carrying a Slack error, the
  sweep's backlog. If the database does not answer, these are left out and ``slabot_database_up`` is 0
  — the process figures are still served.
- **of this process** (since it started): HTTP requests and their durations, Slack's ack latency,
  sweeps, deliveries, ignored intake, and the standard ``process_*`` / ``python_*`` figures.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterator
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.gc_collector import GCCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector

from bot.clock import Clock
from bot.services.intake import IntakeLog
from storage import ops as queries
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

CONTENT_TYPE = CONTENT_TYPE_LATEST

#: every slabot metric: (name as exposed, type, labels, meaning) — the table of docs/operations.md
METRICS: tuple[tuple[str, str, tuple[str, ...], str], ...] = (
    ("slabot_tickets_open", "gauge", ("client", "priority"), "Open tickets (neither resolved nor closed)."),
    (
        "slabot_tickets_at_risk",
        "gauge",
        ("client", "priority"),
        "Open tickets not breached with a clock past its at-risk point or due within the hour.",
    ),
    ("slabot_tickets_breached", "gauge", ("client", "priority"), "Open tickets with a breached clock."),
    (
        "slabot_outbox_notifications",
        "gauge",
        ("state", "kind"),
        "Outbox rows waiting (pending), being delivered (claimed) or given up (failed).",
    ),
    (
        "slabot_outbox_slack_errors",
        "gauge",
        ("error", "state"),
        "Outbox rows carrying a Slack API error: failed (given up) or pending (to be retried).",
    ),
    (
        "slabot_sweep_backlog_seconds",
        "gauge",
        (),
        "How far in the past the earliest due alert instant lies (0: the sweep keeps up).",
    ),
    (
        "slabot_slack_inbox_requests",
        "gauge",
        ("state",),
        "Slack requests in the inbox: stored, not yet processed (pending) or given up after 5 attempts (failed).",
    ),
    ("slabot_database_up", "gauge", (), "1 when the database answered this scrape's queries, else 0."),
    ("slabot_build_info", "gauge", ("version",), "Always 1; the running slabot version as a label."),
    ("slabot_http_requests_total", "counter", ("method", "route", "status"), "HTTP requests answered."),
    (
        "slabot_http_request_duration_seconds",
        "histogram",
        ("method", "route"),
        "Time to answer an HTTP request.",
    ),
    (
        "slabot_slack_ack_duration_seconds",
        "histogram",
        (),
        "Time from a Slack request's arrival to slabot's HTTP answer (Slack allows 3 seconds).",
    ),
    ("slabot_sweep_duration_seconds", "histogram", (), "Duration of alert sweeps run by this process."),
    ("slabot_sweep_errors_total", "counter", (), "Tickets an alert sweep of this process failed on."),
    (
        "slabot_notification_delivery_duration_seconds",
        "histogram",
        (),
        "Duration of the notifier's delivery passes in this process.",
    ),
    (
        "slabot_notifications_delivered_total",
        "counter",
        (),
        "Outbox rows this process delivered to Slack (a digest delivers several).",
    ),
    (
        "slabot_notifications_retried_total",
        "counter",
        (),
        "Deliveries this process put off for a retry (rate limit, Slack error, outage).",
    ),
    (
        "slabot_notifications_failed_total",
        "counter",
        (),
        "Outbox rows this process gave up on (listed for admins by /sla admin alerts).",
    ),
    (
        "slabot_intake_ignored_total",
        "counter",
        ("source", "reason"),
        "Deliveries this process received that changed no clock, by source and reason.",
    ),
)
_HELP = {name: text for name, _kind, _labels, text in METRICS}
_LABELS = {name: list(labels) for name, _kind, labels, _text in METRICS}

# no ``*_created`` series beside every counter and histogram: noise for dashboards and alerts
disable_created_metrics()

# Process-wide instruments (one per process, whatever the number of runtimes built in it).
_PROCESS = CollectorRegistry(auto_describe=True)
ProcessCollector(registry=_PROCESS)
PlatformCollector(registry=_PROCESS)
GCCollector(registry=_PROCESS)

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0)


def _histogram(name: str, buckets: tuple[float, ...] = _LATENCY_BUCKETS) -> Histogram:
    return Histogram(name, _HELP[name], _LABELS[name], buckets=buckets, registry=_PROCESS)


def _counter(name: str) -> Counter:
    # prometheus_client adds the _total suffix to a counter's samples itself
    return Counter(name.removesuffix("_total"), _HELP[name], _LABELS[name], registry=_PROCESS)


HTTP_REQUESTS = _counter("slabot_http_requests_total")
HTTP_SECONDS = _histogram("slabot_http_request_duration_seconds")
SLACK_ACK_SECONDS = _histogram("slabot_slack_ack_duration_seconds")
SWEEP_SECONDS = _histogram(
    "slabot_sweep_duration_seconds", (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
)
SWEEP_ERRORS = _counter("slabot_sweep_errors_total")
DELIVERY_SECONDS = _histogram(
    "slabot_notification_delivery_duration_seconds",
    (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
DELIVERED = _counter("slabot_notifications_delivered_total")
RETRIED = _counter("slabot_notifications_retried_total")
FAILED = _counter("slabot_notifications_failed_total")
BUILD_INFO = Gauge("slabot_build_info", _HELP["slabot_build_info"], ["version"], registry=_PROCESS)
_lock = threading.Lock()


def _version() -> str:
    try:
        return version("slabot")
    except PackageNotFoundError:  # running from a checkout that was never installed
        return "unknown"


BUILD_INFO.labels(version=_version()).set(1)

_ERROR_CODE = re.compile(r"[a-z][a-z0-9_]*")


def error_code(text: str) -> str:
    """``"unconfirmed: internal_error"`` / ``"gave up after 1 day: ratelimited"`` → the Slack code."""
    tail = text.rsplit(": ", 1)[-1].strip()
    match = _ERROR_CODE.match(tail)
    return match.group(0)[:64] if match else "other"


def observe_sweep(stats: Any) -> None:
    """A sweep observer (``Runtime.sweep_observers``): record duration and errors."""
    SWEEP_SECONDS.observe(float(getattr(stats, "seconds", 0.0)))
    errors = int(getattr(stats, "errors", 0) or 0)
    if errors:
        SWEEP_ERRORS.inc(errors)


def observe_delivery(stats: Any) -> Any:
    """Record one notifier pass (its ``DeliveryStats``); returns ``stats`` so it can wrap a call."""
    DELIVERY_SECONDS.observe(float(getattr(stats, "seconds", 0.0) or 0.0))
    for counter, attr in ((DELIVERED, "sent"), (RETRIED, "deferred"), (FAILED, "failed")):
        count = int(getattr(stats, attr, 0) or 0)
        if count:
            counter.inc(count)
    return stats


def observe_http(slack_paths: frozenset[str]) -> Any:
    """A ``bot.web.WebApp`` observer: request counts and durations; Slack's ack latency for ``slack_paths``."""

    def observe(method: str, route: str, status: str, seconds: float) -> None:
        HTTP_REQUESTS.labels(method=method, route=route, status=status).inc()
        HTTP_SECONDS.labels(method=method, route=route).observe(seconds)
        if route in slack_paths and method == "POST":
            SLACK_ACK_SECONDS.observe(seconds)

    return observe


class StateCollector(Collector):
    """Gauges computed from the database at each scrape."""

    def __init__(self, uow: UnitOfWork, clock: Clock) -> None:
        self.uow = uow
        self.clock = clock

    def collect(self) -> Iterator[Any]:
        now = self.clock.now()
        try:
            with self.uow.begin(read_only=True) as tx:
                tickets = queries.ticket_counts(tx.session, now=now)
                notifications = queries.notification_counts(tx.session)
                errors = queries.delivery_errors(tx.session)
                oldest = queries.oldest_due_alert(tx.session)
                inbox = tx.inbox.counts()
        except Exception as exc:  # the process figures are still worth serving
            log.warning("metrics: the database did not answer", extra={"error": type(exc).__name__})
            yield _gauge("slabot_database_up", value=0)
            return
        yield _gauge("slabot_database_up", value=1)
        open_, risk, breached = (
            _gauge(n) for n in ("slabot_tickets_open", "slabot_tickets_at_risk", "slabot_tickets_breached")
        )
        for row in tickets:
            open_.add_metric([row.client, row.priority], row.open)
            risk.add_metric([row.client, row.priority], row.at_risk)
            breached.add_metric([row.client, row.priority], row.breached)
        yield from (open_, risk, breached)
        outbox = _gauge("slabot_outbox_notifications")
        for state in ("pending", "claimed", "failed"):  # always present, so alerts can test == 0
            kinds = {k: c for (s, k), c in notifications.items() if s == state}
            if not kinds:
                outbox.add_metric([state, ""], 0)
            for kind, count in sorted(kinds.items()):
                outbox.add_metric([state, kind], count)
        yield outbox
        slack = _gauge("slabot_outbox_slack_errors")
        by_code: dict[tuple[str, str], int] = {}
        for (state, text), count in errors.items():
            key = (error_code(text), state)
            by_code[key] = by_code.get(key, 0) + count
        for (code, state), count in sorted(by_code.items()):
            slack.add_metric([code, state], count)
        yield slack
        backlog = 0.0 if oldest is None else max((now - oldest).total_seconds(), 0.0)
        yield _gauge("slabot_sweep_backlog_seconds", value=backlog)
        requests = _gauge("slabot_slack_inbox_requests")
        for state in ("pending", "failed"):  # always present, so alerts can test == 0
            requests.add_metric([state], inbox.get(state, 0))
        yield requests


def _gauge(name: str, value: float | None = None) -> GaugeMetricFamily:
    if value is not None:
        return GaugeMetricFamily(name, _HELP[name], value=value)
    return GaugeMetricFamily(name, _HELP[name], labels=_LABELS[name])


class IntakeCollector(Collector):
    """``slabot_intake_ignored_total{source,reason}`` from the runtime's :class:`IntakeLog`."""

    def __init__(self, intake: IntakeLog) -> None:
        self.intake = intake

    def collect(self) -> Iterator[Any]:
        name = "slabot_intake_ignored_total"
        family = CounterMetricFamily(name.removesuffix("_total"), _HELP[name], labels=_LABELS[name])
        for (source, reason), count in sorted(self.intake.counts().items()):
            family.add_metric([source, reason], count)
        yield family


class _ProcessCollector(Collector):
    def collect(self) -> Iterator[Any]:
        yield from _PROCESS.collect()


def registry_for(uow: UnitOfWork, clock: Clock, intake: IntakeLog | None = None) -> CollectorRegistry:
    """A registry with the database gauges of this runtime, its intake counts and the process-wide
    instruments."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(StateCollector(uow, clock))
    if intake is not None:
        registry.register(IntakeCollector(intake))
    registry.register(_ProcessCollector())
    return registry


def exposition(registry: CollectorRegistry) -> bytes:
    with _lock:
        return generate_latest(registry)
