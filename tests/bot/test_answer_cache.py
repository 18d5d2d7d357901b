"""The short-lived answer cache: TTL on the injected clock, per-team invalidation, single flight."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest

from bot.clock import ManualClock
from bot.services.answer_cache import AnswerCache
from bot.services.home_refresh import HomeRefresher


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 11, 24, 9, 0, tzinfo=UTC))


def test_an_answer_is_reused_within_its_ttl_and_recomputed_after(clock: ManualClock) -> None:
    cache: AnswerCache[int] = AnswerCache(clock, ttl=timedelta(seconds=3))
    calls = []

    def compute() -> int:
        calls.append(1)
        return len(calls)

    assert cache.get_or_compute("T1", "status", compute) == 1
    clock.advance(timedelta(seconds=2.9))
    assert cache.get_or_compute("T1", "status", compute) == 1
    clock.advance(timedelta(seconds=0.2))
    assert cache.get_or_compute("T1", "status", compute) == 2
    assert (cache.hits, cache.misses) == (1, 2)


def test_a_change_drops_only_its_own_teams_answers(clock: ManualClock) -> None:
    cache: AnswerCache[str] = AnswerCache(clock)
    cache.get_or_compute("T1", "k", lambda: "old T1")
    cache.get_or_compute("T2", "k", lambda: "old T2")
    cache.invalidate("T1")
    assert cache.get_or_compute("T1", "k", lambda: "new T1") == "new T1"
    assert cache.get_or_compute("T2", "k", lambda: "new T2") == "old T2"


def test_an_answer_computed_across_a_change_is_not_kept(clock: ManualClock) -> None:
    cache: AnswerCache[str] = AnswerCache(clock)

    def compute_while_a_ticket_changes() -> str:
        cache.invalidate("T1")  # a commit lands while the answer is being computed
        return "maybe stale"

    assert cache.get_or_compute("T1", "k", compute_while_a_ticket_changes) == "maybe stale"
    assert cache.get_or_compute("T1", "k", lambda: "fresh") == "fresh"


def test_errors_are_not_cached(clock: ManualClock) -> None:
    cache: AnswerCache[str] = AnswerCache(clock)

    def boom() -> str:
        raise ValueError("no")

    with pytest.raises(ValueError):
        cache.get_or_compute("T1", "k", boom)
    assert cache.get_or_compute("T1", "k", lambda: "ok") == "ok"


def test_concurrent_misses_compute_once(clock: ManualClock) -> None:
    cache: AnswerCache[int] = AnswerCache(clock)
    calls = []
    gate = threading.Event()

    def slow() -> int:
        calls.append(1)
        gate.wait(2)
        return 42

    results: list[int] = []
    threads = [
        threading.Thread(target=lambda: results.append(cache.get_or_compute("T1", "k", slow)))
        for _ in range(8)
    ]
    for t in threads:
        t.start()
    time.sleep(0.1)
    gate.set()
    for t in threads:
        t.join(5)
    assert results == [42] * 8
    assert len(calls) == 1


def test_the_oldest_entries_go_first_past_the_cap(clock: ManualClock) -> None:
    cache: AnswerCache[int] = AnswerCache(clock, max_entries=2)
    for n in range(3):
        cache.get_or_compute("T1", n, lambda n=n: n)
    assert cache.get_or_compute("T1", 0, lambda: -1) == -1
    assert cache.get_or_compute("T1", 2, lambda: -1) == 2


class _Change:
    def __init__(self, team_id: str) -> None:
        self.team_id = team_id


def test_home_refresh_is_debounced_per_team_and_only_for_viewers() -> None:
    published: list[tuple[str, str]] = []
    refresher = HomeRefresher(lambda team, user: published.append((team, user)), debounce=0.2)
    refresher.changed(_Change("T1"))  # nobody opened Home yet: nothing to do
    assert refresher.wait_idle(1) and published == []
    refresher.opened("T1", "U1")
    refresher.opened("T1", "U2")
    refresher.opened("T2", "U3")
    for _ in range(20):  # a burst of changes: one refresh per viewer
        refresher.changed(_Change("T1"))
    assert refresher.wait_idle(5)
    assert sorted(published) == [("T1", "U1"), ("T1", "U2")]
    refresher.close()


def test_a_failing_publish_does_not_stop_the_others() -> None:
    published: list[str] = []

    def publish(team: str, user: str) -> None:
        if user == "U1":
            raise RuntimeError("slack down")
        published.append(user)

    refresher = HomeRefresher(publish, debounce=0)
    refresher.opened("T1", "U1")
    refresher.opened("T1", "U2")
    refresher.changed(_Change("T1"))
    assert refresher.wait_idle(5)
    assert published == ["U2"]
    refresher.close()
