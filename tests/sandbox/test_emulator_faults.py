"""Fault injection: 429 with Retry-After, 5xx outages, injected errors and Slack's per-channel posting limit,
seen through the real WebClient and its retry handlers."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from types import SimpleNamespace

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import builtin_handlers
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler, ServerErrorRetryHandler
from slack_sdk.http_retry.builtin_interval_calculators import FixedValueRetryIntervalCalculator

from bot.clock import ManualClock
from bot.emulator import SlackEmulator

ACME = "C0ACME0001"
GLOBEX = "C0GLOBEX01"


@pytest.fixture
def slack(clock: ManualClock) -> Iterator[SlackEmulator]:
    with SlackEmulator(clock=clock) as emulator:
        emulator.add_channel(ACME, "support-acme")
        emulator.add_channel(GLOBEX, "support-globex")
        yield emulator


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Sleeps requested by slack_sdk's RateLimitErrorRetryHandler (recorded instead of slept)."""
    recorded: list[float] = []
    monkeypatch.setattr(builtin_handlers, "time", SimpleNamespace(sleep=recorded.append))
    return recorded


def post(client: WebClient, channel: str = ACME) -> str:
    return str(client.chat_postMessage(channel=channel, text="alert")["ts"])


def test_rate_limit_answers_429_with_retry_after(slack: SlackEmulator) -> None:
    slack.rate_limit("chat.postMessage", count=1, retry_after=7)
    client = WebClient(base_url=slack.url, token="xoxb-test")
    with pytest.raises(SlackApiError) as raised:
        post(client)
    response = raised.value.response
    assert response.status_code == 429
    assert response["error"] == "ratelimited"
    assert response.headers["Retry-After"] == "7"
    assert post(client)  # only one call was limited


def test_rate_limit_handler_retries_after_the_announced_delay(
    slack: SlackEmulator, sleeps: list[float]
) -> None:
    slack.rate_limit(count=2, retry_after=3)
    client = WebClient(
        base_url=slack.url, token="xoxb-test", retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=2)]
    )
    post(client)
    assert [call.status for call in slack.calls_to("chat.postMessage")] == [429, 429, 200]
    assert len(sleeps) == 2 and all(3 <= s < 4 for s in sleeps)
    assert len(slack.messages(ACME)) == 1


def test_rate_limit_beyond_the_retry_budget_surfaces_as_slack_api_error(
    slack: SlackEmulator, sleeps: list[float]
) -> None:
    slack.rate_limit("chat.postMessage", count=5, retry_after=1)
    client = WebClient(
        base_url=slack.url, token="xoxb-test", retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=2)]
    )
    with pytest.raises(SlackApiError) as raised:
        post(client)
    assert raised.value.response["error"] == "ratelimited"
    assert len(slack.calls_to("chat.postMessage")) == 1 + 2


def test_rate_limit_for_one_method_leaves_others_alone(slack: SlackEmulator) -> None:
    slack.rate_limit("chat.update", count=1)
    client = WebClient(base_url=slack.url, token="xoxb-test")
    assert post(client)
    assert client.auth_test()["ok"]


@pytest.mark.parametrize("status", [500, 503])
def test_server_error_handler_retries_through_an_outage(slack: SlackEmulator, status: int) -> None:
    slack.outage(status=status, count=2)
    handler = ServerErrorRetryHandler(
        max_retry_count=2, interval_calculator=FixedValueRetryIntervalCalculator(0.01)
    )
    client = WebClient(base_url=slack.url, token="xoxb-test", retry_handlers=[handler])
    post(client)
    assert [call.status for call in slack.calls_to("chat.postMessage")] == [status, status, 200]
    assert len(slack.messages(ACME)) == 1


def test_outage_without_retries_is_a_slack_api_error_with_the_status(slack: SlackEmulator) -> None:
    slack.outage(status=500)
    with pytest.raises(SlackApiError) as raised:
        post(WebClient(base_url=slack.url, token="xoxb-test"))
    assert raised.value.response.status_code == 500
    assert slack.messages(ACME) == []


def test_timed_outage_and_rate_limit_follow_the_emulator_clock(
    slack: SlackEmulator, clock: ManualClock
) -> None:
    client = WebClient(base_url=slack.url, token="xoxb-test")
    slack.outage_for(600, status=503)
    for _ in range(3):
        with pytest.raises(SlackApiError):
            post(client)
    clock.advance(timedelta(minutes=10))
    assert post(client)
    slack.rate_limit_for(60, method="chat.postMessage", retry_after=2)
    with pytest.raises(SlackApiError) as raised:
        post(client)
    assert raised.value.response.status_code == 429
    assert client.auth_test()["ok"]
    clock.advance(timedelta(seconds=60))
    assert post(client)


def test_fail_next_injects_slack_errors_in_order(slack: SlackEmulator) -> None:
    slack.fail_next("chat.postMessage", "not_in_channel")
    slack.fail_next("chat.postMessage", "is_archived")
    client = WebClient(base_url=slack.url, token="xoxb-test")
    errors = []
    for _ in range(2):
        with pytest.raises(SlackApiError) as raised:
            post(client)
        errors.append(raised.value.response["error"])
    assert errors == ["not_in_channel", "is_archived"]
    assert post(client)
    assert [c.error for c in slack.calls_to("chat.postMessage")] == ["not_in_channel", "is_archived", None]


def test_channel_rate_allows_a_burst_then_about_one_message_per_second(
    slack: SlackEmulator, clock: ManualClock
) -> None:
    slack.enforce_channel_rate(limit_per_second=1, burst=2)
    client = WebClient(base_url=slack.url, token="xoxb-test")
    post(client)
    post(client)
    with pytest.raises(SlackApiError) as raised:
        post(client)
    assert raised.value.response.status_code == 429
    assert raised.value.response.headers["Retry-After"] == "1"
    assert post(client, GLOBEX)  # the limit is per channel
    clock.advance(timedelta(seconds=1))
    assert post(client)
    with pytest.raises(SlackApiError):
        post(client)
    assert len(slack.messages(ACME)) == 3


def test_channel_rate_can_be_switched_off(slack: SlackEmulator) -> None:
    slack.enforce_channel_rate(limit_per_second=1, burst=1)
    slack.enforce_channel_rate(None)
    client = WebClient(base_url=slack.url, token="xoxb-test")
    for _ in range(5):
        post(client)
    assert len(slack.messages(ACME)) == 5
