"""Fixtures the emulator tests share."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.clock import ManualClock


@pytest.fixture
def clock() -> ManualClock:
    """The emulator's clock: Monday 2026-03-02 09:00 UTC, moved only by the test."""
    return ManualClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
