"""The Alertmanager payload check and the webhook's authentication, without a server."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.features.incidents import authorised
from bot.services.incidents import AlertPayloadError, parse_alertmanager, read_alertmanager

CATALOGUE = {"API": ("acme",), "Shared DB": ("acme", "beta")}
CLIENTS = ("acme", "beta", "gamma")
TOKEN = "s3cret-token"


def alert(**kw) -> dict:
    base = {
        "status": "firing",
        "labels": {"alertname": "ApiDown", "slabot_service": "API"},
        "annotations": {},
        "startsAt": "2026-11-24T10:00:00+01:00",
        "endsAt": "0001-01-01T00:00:00Z",
        "fingerprint": "abc123",
    }
    return base | kw


def parse(*alerts: dict):
    return parse_alertmanager({"version": "4", "alerts": list(alerts)}, catalogue=CATALOGUE, clients=CLIENTS)


def test_mapping_labels_to_client_and_service() -> None:
    (a, b, c) = parse(
        alert(),
        alert(labels={"slabot_service": "shared db"}, fingerprint="f2"),
        alert(labels={"slabot_service": "Shared DB", "slabot_client": "BETA"}, fingerprint="f3"),
    )
    assert (a.service, a.client_key, a.reason) == ("API", "acme", "ApiDown")  # the service's only client
    assert (b.service, b.client_key) == ("Shared DB", None)  # shared: counts for both
    assert (c.service, c.client_key) == ("Shared DB", "beta")
    assert (
        a.starts_at == datetime(2026, 11, 24, 9, tzinfo=UTC) and a.ends_at is None
    )  # endsAt of a firing alert ignored
    assert a.external_key == "abc123@2026-11-24T09:00:00+00:00"


def test_every_problem_is_reported_and_the_good_alerts_kept() -> None:
    alerts = (
        alert(status="pending"),
        alert(labels={}, fingerprint=None),
        alert(labels={"slabot_service": "API", "slabot_client": "gamma"}),
        alert(status="resolved", endsAt="2026-11-24T08:00:00Z"),
        alert(startsAt="2026-11-24T10:00:00"),
        "not an alert",
        alert(fingerprint="good"),
    )
    delivery = read_alertmanager(
        {"version": "4", "alerts": list(alerts)}, catalogue=CATALOGUE, clients=CLIENTS
    )
    assert [a.fingerprint for a in delivery.alerts] == ["good"]
    assert delivery.skipped == [
        ("malformed", "alerts[0].status: must be 'firing' or 'resolved', got 'pending'"),
        ("not_covered", "alerts[1]: no slabot_service label — not about a covered service"),
        ("unmapped_value", "alerts[2].labels.slabot_client: gamma's contract does not cover 'API'"),
        ("malformed", "alerts[3].endsAt: before startsAt"),
        ("malformed", "alerts[4].startsAt: '2026-11-24T10:00:00' has no offset"),
        ("malformed", "alerts[5]: must be an object"),
    ]
    with pytest.raises(AlertPayloadError) as caught:  # the strict reader: all or nothing
        parse(*alerts)
    assert len(caught.value.problems) == 6


def test_alerts_of_alertmanager_before_0_20_have_no_status_or_fingerprint() -> None:
    old = {k: v for k, v in alert().items() if k not in ("status", "fingerprint")}
    delivery = read_alertmanager(
        {"version": "4", "status": "firing", "alerts": [old, {**old, "labels": {**old["labels"], "x": "1"}}]},
        catalogue=CATALOGUE,
        clients=CLIENTS,
    )
    first, second = delivery.alerts
    assert first.status == "firing" and first.fingerprint.startswith("labels-")
    assert first.fingerprint != second.fingerprint  # another label set: another alert
    again = read_alertmanager(
        {"version": "4", "status": "firing", "alerts": [old]}, catalogue=CATALOGUE, clients=CLIENTS
    )
    assert again.alerts[0].fingerprint == first.fingerprint  # stable: a redelivery is the same alert


def test_an_empty_alert_list_is_fine() -> None:
    assert parse() == []


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.mark.parametrize(
    ("header", "ok"),
    [
        (f"Bearer {TOKEN}", True),
        (f"bearer   {TOKEN}  ", True),
        (basic("alertmanager", TOKEN), True),
        (basic("", TOKEN), True),
        (basic(TOKEN, ""), False),
        (f"Bearer {TOKEN[:-1]}", False),
        ("Bearer ", False),
        ("", False),
        (TOKEN, False),
        ("Basic %%%", False),
    ],
)
def test_authorisation_header(header: str, ok: bool) -> None:
    assert authorised({"authorization": header}, TOKEN) is ok


@given(st.text(max_size=40))
def test_nothing_but_the_token_authorises(guess: str) -> None:
    assert authorised({"authorization": f"Bearer {guess}"}, TOKEN) is (guess.strip() == TOKEN)
    assert authorised({"authorization": f"Bearer {guess}"}, "") is False
