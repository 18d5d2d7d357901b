"""Two runtimes in one process share nothing mutable: each answers ``/sla`` with its own services.

Runtime A knows acme as "Acme Corp", runtime B (its own database, its own contract file) as
"Acme Two GmbH". Whichever booted last must not answer for the other: the command table, the
features' services and the sweep observers belong to one app instance.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot import grammar as g
from bot.app import Runtime, bootstrap
from bot.clock import ManualClock
from bot.scheduler import runtime_workers
from bot.settings import Settings
from handlers.commands import Answer, Caller, answer

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "contracts.yaml"
TEAM = "T0TWORUN01"
AGENT = "U0AGENT001"
ACME_CHANNEL = "C0SUPPORT1"


def _runtime(folder: Path, *, acme_name: str) -> Runtime:
    contracts = folder / "contracts.yaml"
    text = EXAMPLE.read_text(encoding="utf-8")
    assert "name: Acme Corp" in text
    contracts.write_text(text.replace("name: Acme Corp", f"name: {acme_name}"), encoding="utf-8")
    settings = Settings(
        DATABASE_URL=f"sqlite:///{folder / 'slabot.db'}",
        SLABOT_CONTRACTS=str(contracts),
        SLABOT_SCHEDULER=False,
    )
    return bootstrap(settings, clock=ManualClock(datetime(2026, 11, 24, 9, 0, tzinfo=UTC)))


@pytest.fixture(scope="module")
def two(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Runtime, Runtime]]:
    first = _runtime(tmp_path_factory.mktemp("first"), acme_name="Acme Corp")
    second = _runtime(tmp_path_factory.mktemp("second"), acme_name="Acme Two GmbH")
    yield first, second
    first.engine.dispose()
    second.engine.dispose()


def sla(runtime: Runtime, text: str) -> Answer:
    caller = Caller(team_id=TEAM, user_id=AGENT, channel_id=ACME_CHANNEL, is_agent=True)
    return answer(runtime.services, caller, text)


def test_each_runtime_has_its_own_command_table_and_feature_services(two: tuple[Runtime, Runtime]) -> None:
    a, b = two
    assert a.services.commands is not b.services.commands
    for command in (g.Review, g.Report, g.Feedback, g.Incident):
        assert command in a.services.commands and command in b.services.commands
    for name in ("reviews", "reports", "feedback", "uptime", "home_refresher"):
        mine, theirs = getattr(a.services, name), getattr(b.services, name)
        assert mine is not None and theirs is not None and mine is not theirs, name
        assert a.services.extras[name] is mine  # the documented names still find them
    assert a.sweep_observers is not b.sweep_observers


def test_every_row_of_the_command_table_has_a_handler_in_each_runtime(two: tuple[Runtime, Runtime]) -> None:
    """The grammar's table (bot.grammar.table) and the handlers cannot drift apart: each command a
    user can type reaches a handler of the app that received it, and no handler is for a command
    nobody can type."""
    for runtime in two:
        assert set(runtime.services.commands) == set(g.COMMAND_TYPES)
    assert len({c.name for c in g.COMMANDS} | set(g.ALIASES)) == len(g.COMMANDS) + len(g.ALIASES)


def test_sla_review_is_answered_by_the_runtime_that_received_it(two: tuple[Runtime, Runtime]) -> None:
    a, b = two
    assert "SLA review — Acme Corp" in sla(a, "review acme").text
    assert "SLA review — Acme Two GmbH" in sla(b, "review acme").text
    assert "SLA review — Acme Corp" in sla(a, "review acme").text  # and again, after B answered


def test_report_feedback_and_contract_use_their_own_runtime(two: tuple[Runtime, Runtime]) -> None:
    a, b = two
    for runtime, name in ((a, "Acme Corp"), (b, "Acme Two GmbH")):
        assert name in sla(runtime, "report acme last week").text
        assert name in sla(runtime, "feedback acme").text
        assert name in sla(runtime, "contract acme").text


def test_an_incident_is_recorded_in_one_runtime_only(two: tuple[Runtime, Runtime]) -> None:
    a, b = two
    assert sla(a, 'incident start "Platform support" DNS outage').text.startswith("Incident opened")
    assert "DNS outage" in sla(a, "incident list").text
    assert "No open incident." in sla(b, "incident list").text
    sla(a, 'incident resolve "Platform support"')


def test_a_command_added_to_one_runtime_is_not_in_the_other(two: tuple[Runtime, Runtime]) -> None:
    a, b = two
    original = a.services.commands[g.Help]
    a.services.commands[g.Help] = lambda services, caller, command: Answer(text="A's own help")
    try:
        assert sla(a, "help").text == "A's own help"
        assert "/sla status" in sla(b, "help").text
    finally:
        a.services.commands[g.Help] = original


def test_each_sweeper_reports_to_its_own_runtimes_observers(two: tuple[Runtime, Runtime]) -> None:
    a, b = two
    seen: dict[str, list[Any]] = {"a": [], "b": []}
    a.sweep_observers.append(seen["a"].append)
    b.sweep_observers.append(seen["b"].append)
    try:
        sweeper, _notifier = runtime_workers(a)
        stats = sweeper.run_once()
        assert seen == {"a": [stats], "b": []}
    finally:
        a.sweep_observers.remove(seen["a"].append)
        b.sweep_observers.remove(seen["b"].append)
