"""Every metric slabot exposes follows Prometheus' naming conventions: ``promtool check metrics`` is
clean when promtool is installed (.ci/run fetches it when it can), and the same rules are checked here either way."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.app import bootstrap
from bot.clock import ManualClock
from bot.ops import metrics
from bot.services.notifier import DeliveryStats
from tests.support.settings import example_settings

ROOT = Path(__file__).resolve().parents[2]
STANDARD_PREFIXES = ("process_", "python_")  # prometheus_client's own process and platform collectors
UNITS = ("_seconds", "_bytes", "_ratio", "_info")
SNAKE = re.compile(r"[a-z][a-z0-9_]*")


@pytest.fixture(scope="module")
def exposition(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A scrape with every family populated: tickets, outbox rows with errors, intake, requests, deliveries."""
    tmp = tmp_path_factory.mktemp("names")
    settings = example_settings(tmp / "names.db", SLACK_SIGNING_SECRET="s")
    clock = ManualClock(datetime(2026, 11, 24, 9, 0, tzinfo=UTC))
    runtime = bootstrap(settings, clock=clock)
    tickets = runtime.services.tickets
    tickets.open(team_id="T1", client_key="acme", source="webhook", priority="P1", title="down")
    with runtime.services.uow.begin() as tx:
        tx.outbox.enqueue(
            team_id="T1", idempotency_key="k", kind="warning", payload={}, now=clock.now(), channel_id="C0X"
        )
        row = tx.outbox.get_by_key(team_id="T1", idempotency_key="k")
        assert row is not None
        row.state, row.last_error = "failed", "channel_not_found"
    runtime.services.intake.ignored("slack", "bot")
    metrics.observe_delivery(DeliveryStats(sent=1, deferred=1, failed=1, seconds=0.1))
    metrics.observe_sweep(type("Stats", (), {"seconds": 0.1, "errors": 1})())
    for observe in runtime.web.observers:
        observe("POST", "/slack/events", "200", 0.05)
    text = runtime.services.ops.metrics(None).body.decode()
    runtime.engine.dispose()
    return text


def promtool() -> str | None:
    return os.environ.get("PROMTOOL") or shutil.which("promtool")


def test_promtool_check_metrics_is_clean(exposition: str) -> None:
    if promtool() is None:
        # Even with CI=true: .ci/run fetches promtool on a best-effort basis (an offline mirror may not have
        # it), and the same naming rules are checked below without it.
        pytest.skip(
            "promtool is not installed (.ci/run fetches it when apt can; the rules are checked below anyway)"
        )
    done = subprocess.run(
        [str(promtool()), "check", "metrics"], input=exposition, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0 and not done.stdout.strip() and not done.stderr.strip(), (
        done.stdout + done.stderr
    )


def test_the_same_rules_hold_without_promtool(exposition: str) -> None:
    families = list(text_string_to_metric_families(exposition))
    assert families
    for family in families:
        assert family.documentation.strip(), f"{family.name} has no HELP"
        assert SNAKE.fullmatch(family.name), family.name
        assert family.name.startswith("slabot_") or family.name.startswith(STANDARD_PREFIXES), family.name
        if family.type == "counter":
            assert all(s.name.endswith("_total") for s in family.samples), family.name
        else:
            assert not family.name.endswith("_total"), (
                f"{family.name} is a {family.type} named like a counter"
            )
        if family.type == "histogram":
            assert family.name.endswith(UNITS), f"{family.name}: a histogram's name ends in its unit"
        for word in ("milliseconds", "millis", "_ms", "minutes", "hours", "kilobytes", "percent"):
            assert word not in family.name, f"{family.name}: use base units (seconds, bytes, ratios)"
        for sample in family.samples:
            for label in sample.labels:
                assert SNAKE.fullmatch(label) and not label.startswith("__"), (family.name, label)


def test_the_documented_table_is_what_is_exposed(exposition: str) -> None:
    exposed = {
        (f.name + "_total" if f.type == "counter" else f.name): f
        for f in text_string_to_metric_families(exposition)
        if f.name.startswith("slabot_")
    }
    documented = {name: (kind, labels) for name, kind, labels, _help in metrics.METRICS}
    assert set(exposed) == set(documented)
    for name, family in exposed.items():
        kind, labels = documented[name]
        assert family.type == kind, name
        seen = {label for s in family.samples for label in s.labels if label != "le"}
        assert seen <= set(labels), (name, seen, labels)
    operations = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    for name, kind, _labels, _help in metrics.METRICS:
        assert re.search(rf"\| `{name}` \| {kind} \|", operations), f"docs/operations.md does not list {name}"
