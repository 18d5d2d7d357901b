"""Settings of an app as the tests boot it: the example contract file, one SQLite file, no scheduler."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.settings import Settings

EXAMPLE_CONTRACTS = Path(__file__).resolve().parents[2] / "examples" / "contracts.yaml"


def example_settings(database: Path, **settings: Any) -> Settings:
    """The app on examples/contracts.yaml and the SQLite file ``database``, without the scheduler (a
    test runs the sweep itself); ``settings`` on top (``DATABASE_URL`` among them names another)."""
    return Settings(
        **{
            "DATABASE_URL": f"sqlite:///{database}",
            "SLABOT_CONTRACTS": str(EXAMPLE_CONTRACTS),
            "SLABOT_SCHEDULER": False,
            **settings,
        }
    )
