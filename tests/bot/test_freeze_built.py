"""What a process built before it serves is frozen out of the cyclic collector's sight
(``bot.ops.lifecycle.freeze_built``), so a full collection no longer walks it: ``slabot run``,
``slabot worker`` and gunicorn's master (``bot.wsgi.build``) do it once the app is built."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot import wsgi
from bot.ops.lifecycle import freeze_built


@pytest.fixture
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()  # the test process's objects go back to the collector


def test_built_objects_leave_the_collectors_generations(unfrozen: None) -> None:
    built = [[index] for index in range(1000)]  # containers: tracked by the collector
    assert any(o is built for o in gc.get_objects())
    freeze_built()
    assert gc.get_freeze_count() >= 1000
    assert not any(o is built for o in gc.get_objects()), "a frozen object is walked by full collections"
    later = [[]]
    assert any(o is later for o in gc.get_objects()), "what is made later is collected as before"


def test_the_wsgi_build_freezes_once_the_app_is_built(
    unfrozen: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bot.app
    import bot.logging_setup

    order: list[str] = []
    monkeypatch.setattr(bot.app, "bootstrap", lambda settings: order.append("bootstrap") or object())
    monkeypatch.setattr(
        bot.logging_setup, "configure_for", lambda settings: None
    )  # the worker's logging stays
    monkeypatch.setattr(wsgi, "freeze_built", lambda: order.append("freeze"))
    monkeypatch.setattr(wsgi, "_runtime", None)
    monkeypatch.setenv("SLABOT_CONTRACTS", str(Path(__file__).parents[2] / "examples" / "contracts.yaml"))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'wsgi.db'}")
    runtime: Any = wsgi.build()
    assert runtime is not None and order == ["bootstrap", "freeze"]
    wsgi.build()  # built once: no second freeze
    assert order == ["bootstrap", "freeze"]
