"""``GET /metrics``: slabot's state in the Prometheus text format (prometheus_client).

Scraped values are computed at scrape time from a few aggregate queries (:mod:`storage.ops`),
so every process behind a load balancer answers the same thing and nothing is lost on restart:

======================================  =====================================================
metric                                  meaning
======================================  =====================================================
``slabot_open_tickets``                 open tickets, by ``client`` and ``priority``
``slabot_tickets_at_risk``              open, not breached, a clock past its at-risk point or
                                        due within the hour (as ``/sla status at-risk``)
``slabot_tickets_breached``             open with a breached clock (as ``/sla status breached``)
``slabot_notifications``                outbox rows by ``state`` (pending, claimed, failed) and ``kind``
``slabot_slack_api_errors``             outbox rows carrying a Slack error, by ``error`` (the Slack
                                        error code) and ``state`` (failed: given up; pending: retrying)
``slabot_sweep_backlog_seconds``        how far the oldest due alert instant lies in the past (0 when
                                        the sweep keeps up) — any process can see it
``slabot_sweep_duration_seconds``       histogram of sweep runs *in this process* (the process
                                        running the scheduler: ``slabot run`` by default)
``slabot_sweep_errors_total``           tickets a sweep of this process failed on
``slabot_intake_ignored_total``         deliveries *this process* received that changed no clock,
                                        by ``source`` (slack, jira, zendesk, alertmanager) and
                                        ``reason`` (bot, system_notice, edited, unknown_shape, …:
                                        :mod:`bot.services.intake`)
======================================  =====================================================
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector

from bot.clock import Clock
from bot.services.intake import IntakeLog
from storage import ops as queries
from storage.uow import UnitOfWork

CONTENT_TYPE = CONTENT_TYPE_LATEST

# Process-wide instruments (one per process, whatever the number of runtimes built in it).
_PROCESS = CollectorRegistry(auto_describe=True)
SWEEP_SECONDS = Histogram(
    "slabot_sweep_duration_seconds",
    "Duration of alert sweeps run by this process.",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
    registry=_PROCESS,
)
SWEEP_ERRORS = Counter(
    "slabot_sweep_errors", "Tickets an alert sweep of this process failed on.", registry=_PROCESS
)
_lock = threading.Lock()

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


class StateCollector(Collector):
    """Gauges computed from the database at each scrape."""

    def __init__(self, uow: UnitOfWork, clock: Clock) -> None:
        self.uow = uow
        self.clock = clock

    def collect(self) -> Iterator[Any]:
        now = self.clock.now()
        with self.uow.begin(read_only=True) as tx:
            tickets = queries.ticket_counts(tx.session, now=now)
            notifications = queries.notification_counts(tx.session)
            errors = queries.delivery_errors(tx.session)
            oldest = queries.oldest_due_alert(tx.session)
        labels = ["client", "priority"]
        open_ = GaugeMetricFamily("slabot_open_tickets", "Open tickets.", labels=labels)
        risk = GaugeMetricFamily(
            "slabot_tickets_at_risk", "Open tickets at risk (not breached).", labels=labels
        )
        breached = GaugeMetricFamily(
            "slabot_tickets_breached", "Open tickets with a breached clock.", labels=labels
        )
        for row in tickets:
            open_.add_metric([row.client, row.priority], row.open)
            risk.add_metric([row.client, row.priority], row.at_risk)
            breached.add_metric([row.client, row.priority], row.breached)
        yield from (open_, risk, breached)
        outbox = GaugeMetricFamily(
            "slabot_notifications", "Outbox rows waiting, in delivery or failed.", labels=["state", "kind"]
        )
        for state in ("pending", "claimed", "failed"):  # always present, so alerts can test == 0
            kinds = {k: c for (s, k), c in notifications.items() if s == state}
            if not kinds:
                outbox.add_metric([state, ""], 0)
            for kind, count in sorted(kinds.items()):
                outbox.add_metric([state, kind], count)
        yield outbox
        slack = GaugeMetricFamily(
            "slabot_slack_api_errors",
            "Outbox rows carrying a Slack API error (failed: given up; pending: to be retried).",
            labels=["error", "state"],
        )
        by_code: dict[tuple[str, str], int] = {}
        for (state, text), count in errors.items():
            key = (error_code(text), state)
            by_code[key] = by_code.get(key, 0) + count
        for (code, state), count in sorted(by_code.items()):
            slack.add_metric([code, state], count)
        yield slack
        backlog = 0.0 if oldest is None else max((now - oldest).total_seconds(), 0.0)
        yield GaugeMetricFamily(
            "slabot_sweep_backlog_seconds",
            "How far in the past the earliest due alert instant lies (0: the sweep keeps up).",
            value=backlog,
        )


class IntakeCollector(Collector):
    """``slabot_intake_ignored_total{source,reason}`` from the runtime's :class:`IntakeLog`."""

    def __init__(self, intake: IntakeLog) -> None:
        self.intake = intake

    def collect(self) -> Iterator[Any]:
        family = CounterMetricFamily(
            "slabot_intake_ignored",
            "Deliveries received by this process that changed no clock, by source and reason.",
            labels=["source", "reason"],
        )
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
