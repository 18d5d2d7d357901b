"""``GET /metrics`` scraped through the real web app and read with prometheus_client's parser."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.app import Runtime, bootstrap
from bot.clock import ManualClock
from bot.emulator import inbound
from bot.emulator.server import SlackEmulator
from bot.server import BackgroundServer
from bot.services.alerts import Sweeper
from tests.support.settings import example_settings

TEAM = inbound.DEFAULT_TEAM_ID
START = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # a Tuesday, 10:00 in Berlin
SCRAPE_TOKEN = "scrape-token-1"


@pytest.fixture
def app(tmp_path: Path) -> Iterator[tuple[Runtime, str, ManualClock]]:
    clock = ManualClock(START)
    with SlackEmulator(clock=clock, auto_create_channels=True) as slack:
        settings = example_settings(
            tmp_path / "metrics.db",
            SLACK_BOT_TOKEN="xoxb-e2e",
            SLACK_SIGNING_SECRET="metrics-secret",
            SLACK_API_URL=slack.url,
            SLABOT_METRICS_TOKEN=SCRAPE_TOKEN,
        )
        runtime = bootstrap(settings, clock=clock)
        with BackgroundServer(runtime.web) as server:
            yield runtime, server.url, clock


def scrape(url: str) -> tuple[dict[tuple[str, tuple[tuple[str, str], ...]], float], str, str]:
    request = urllib.request.Request(url + "/metrics", headers={"Authorization": f"Bearer {SCRAPE_TOKEN}"})
    with urllib.request.urlopen(request) as response:
        content_type = response.headers["Content-Type"]
        request_id = response.headers["X-Request-Id"]
        text = response.read().decode()
    samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples, content_type, request_id


def test_metrics_count_tickets_risk_breaches_outbox_and_sweeps(app: tuple[Runtime, str, ManualClock]) -> None:
    runtime, url, clock = app
    tickets = runtime.services.tickets
    empty, content_type, request_id = scrape(url)
    assert content_type.startswith("text/plain") and "version=" in content_type
    assert request_id
    assert empty[("slabot_outbox_notifications", (("kind", ""), ("state", "failed")))] == 0
    assert not [k for k in empty if k[0] == "slabot_tickets_open"]

    tickets.open(team_id=TEAM, client_key="acme", source="webhook", priority="P1", title="down", at=START)
    clock.advance(timedelta(minutes=10))
    tickets.open(  # 50 of its 60 business minutes used by the scrape: at risk (sla.standing, >= 75 %)
        team_id=TEAM,
        client_key="acme",
        source="webhook",
        priority="P2",
        title="slow",
        at=START - timedelta(minutes=10),
    )
    tickets.open(team_id=TEAM, client_key="acme", source="webhook", priority="P3", title="how do I")
    done = tickets.open(team_id=TEAM, client_key="globex", source="webhook", priority="P3", title="question")
    tickets.record(team_id=TEAM, ref=done.ticket.ref, kind="resolved")
    clock.advance(timedelta(minutes=20))  # 30 min in: P1's 15-min first response is breached

    with runtime.services.uow.begin() as tx:
        for key, state, error in [
            ("a", "failed", "channel_not_found"),
            ("b", "failed", "gave up after 1 day, 0:00:00: ratelimited"),
            ("c", "pending", "unconfirmed: internal_error"),
            ("d", "pending", None),
        ]:
            tx.outbox.enqueue(
                team_id=TEAM,
                idempotency_key=key,
                kind="warning",
                payload={},
                now=clock.now(),
                channel_id="C0X",
            )
            row = tx.outbox.get_by_key(team_id=TEAM, idempotency_key=key)
            assert row is not None
            row.state, row.last_error = state, error

    sweeper = Sweeper(
        uow=runtime.services.uow,
        book=runtime.services.book,
        tickets=tickets,
        clock=clock,
        worker_id="test",
        observers=runtime.sweep_observers,  # the runtime's (bot.scheduler.runtime_workers wires them so)
    )
    sweeper.run_once()

    samples, _ct, _rid = scrape(url)

    def value(name: str, **labels: str) -> float:
        return samples[(name, tuple(sorted(labels.items())))]

    assert value("slabot_tickets_open", client="acme", priority="P1") == 1
    assert value("slabot_tickets_open", client="acme", priority="P2") == 1
    assert value("slabot_tickets_open", client="acme", priority="P3") == 1
    assert ("slabot_tickets_open", (("client", "globex"), ("priority", "P3"))) not in samples  # resolved
    assert value("slabot_tickets_breached", client="acme", priority="P1") == 1
    assert value("slabot_tickets_at_risk", client="acme", priority="P1") == 0
    assert value("slabot_tickets_at_risk", client="acme", priority="P2") == 1  # 83 % of its target used
    assert value("slabot_tickets_at_risk", client="acme", priority="P3") == 0
    assert value("slabot_outbox_slack_errors", error="channel_not_found", state="failed") == 1
    assert value("slabot_outbox_slack_errors", error="ratelimited", state="failed") == 1
    assert value("slabot_outbox_slack_errors", error="internal_error", state="pending") == 1
    assert value("slabot_outbox_notifications", state="failed", kind="warning") == 2
    assert value("slabot_outbox_notifications", state="pending", kind="warning") >= 2  # plus the sweep's own
    assert value("slabot_sweep_duration_seconds_count") >= 1
    assert value("slabot_sweep_backlog_seconds") == 0  # the sweep just ran: nothing due is left behind


def test_request_ids_and_one_structured_line_per_request(
    app: tuple[Runtime, str, ManualClock], caplog
) -> None:
    import logging

    _runtime, url, _clock = app
    request = urllib.request.Request(url + "/nowhere?x=1", headers={"X-Request-Id": "req-42"})
    with caplog.at_level(logging.INFO, logger="bot.web"), pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(request)
    assert info.value.headers["X-Request-Id"] == "req-42"
    lines = [r for r in caplog.records if r.name == "bot.web" and r.getMessage() == "http"]
    assert [(r.method, r.path, r.status, r.request_id) for r in lines] == [
        ("GET", "/nowhere", "404", "req-42")
    ]


def test_metrics_are_not_served_on_the_main_port_without_the_token(
    app: tuple[Runtime, str, ManualClock],
) -> None:
    _runtime, url, _clock = app
    for headers, status in (
        ({}, 401),
        ({"Authorization": "Bearer wrong"}, 401),
        ({"Authorization": "Basic x"}, 401),
    ):
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(urllib.request.Request(url + "/metrics", headers=headers))
        assert info.value.code == status
        assert "slabot_tickets_open" not in info.value.read().decode()


def test_without_a_token_metrics_are_off_on_the_main_port(tmp_path: Path) -> None:
    settings = example_settings(tmp_path / "m.db", SLACK_SIGNING_SECRET="s")
    runtime = bootstrap(settings, clock=ManualClock(START))
    with BackgroundServer(runtime.web) as server, pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(server.url + "/metrics")
    assert info.value.code == 403
    assert "SLABOT_METRICS_ADDRESS" in info.value.read().decode()


def test_process_http_and_delivery_figures(app: tuple[Runtime, str, ManualClock]) -> None:
    from bot.ops import metrics
    from bot.services.notifier import DeliveryStats

    _runtime, url, _clock = app
    before, _ct, _rid = scrape(url)
    with pytest.raises(urllib.error.HTTPError):
        urllib.request.urlopen(url + "/slack/events", data=b"x=1")  # unsigned: 401, still an ack timed
    metrics.observe_delivery(DeliveryStats(sent=3, deferred=2, failed=1, seconds=0.2))
    samples, _ct, _rid = scrape(url)

    def grew(name: str, **labels: str) -> float:
        key = (name, tuple(sorted(labels.items())))
        return samples[key] - before.get(key, 0.0)

    assert grew("slabot_http_requests_total", method="POST", route="/slack/events", status="401") == 1
    assert grew("slabot_http_requests_total", method="GET", route="/metrics", status="200") == 1
    assert grew("slabot_http_request_duration_seconds_count", method="POST", route="/slack/events") == 1
    assert grew("slabot_slack_ack_duration_seconds_count") == 1
    assert grew("slabot_notifications_delivered_total") == 3
    assert grew("slabot_notifications_retried_total") == 2
    assert grew("slabot_notifications_failed_total") == 1
    assert grew("slabot_notification_delivery_duration_seconds_count") == 1
    assert samples[("slabot_database_up", ())] == 1
    assert samples[("process_resident_memory_bytes", ())] > 0
    assert samples[("process_start_time_seconds", ())] > 0
    assert [k for k in samples if k[0] == "slabot_build_info"][0][1][0][0] == "version"


def test_a_database_outage_still_serves_the_process_figures(app: tuple[Runtime, str, ManualClock]) -> None:
    runtime, url, _clock = app
    runtime.engine.dispose()
    broken = runtime.services.uow
    original = broken.begin

    def fail(*args, **kwargs):
        raise RuntimeError("database down")

    broken.begin = fail  # type: ignore[method-assign]
    try:
        samples, _ct, _rid = scrape(url)
    finally:
        broken.begin = original  # type: ignore[method-assign]
    assert samples[("slabot_database_up", ())] == 0
    assert not [k for k in samples if k[0] == "slabot_tickets_open"]
    assert samples[("process_resident_memory_bytes", ())] > 0
