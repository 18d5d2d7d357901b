"""Alertmanager deliveries (``tests/payloads/alertmanager``) through the real app with Alertmanager's
bearer token: the incidents they open and close. An alert about nothing a contract covers is
acknowledged and counted, never refused with the rest of its group."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from tests.e2e.corpus_harness import TEAM, WebhookApp, webhook_app
from tests.payloads.corpus import payloads

CORPUS = payloads("alertmanager")
NOW = datetime(2018, 3, 7, 12, 0, tzinfo=UTC)


def incidents(app: WebhookApp) -> list[tuple[str, datetime, datetime | None]]:
    with app.runtime.services.uow.begin(read_only=True) as tx:
        rows = tx.incidents.overlapping(
            team_id=TEAM, start=datetime(2000, 1, 1, tzinfo=UTC), end=datetime(2100, 1, 1, tzinfo=UTC)
        )
        return [(r.service, r.started_at, r.ended_at) for r in rows]


def post(app: WebhookApp, name: str) -> dict:
    status, answer = app.alertmanager(CORPUS[name].bytes())
    assert status == 200, (name, answer)
    return answer


def test_every_alertmanager_file_is_used() -> None:
    assert set(CORPUS) == {
        "msteams_prom_post_request.json",
        "msteams_prom_post_request_2_alerts.json",
        "adapted_firing_covered.json",
        "adapted_resolved_covered.json",
        "adapted_group_one_covered_one_not.json",
    }


def test_alerts_without_a_covered_service_change_nothing_and_are_counted(tmp_path: Path) -> None:
    with webhook_app(tmp_path, now=NOW) as app:
        answer = post(app, "msteams_prom_post_request.json")
        assert (answer["opened"], [i["reason"] for i in answer["ignored"]]) == (0, ["not_covered"])
        answer = post(app, "msteams_prom_post_request_2_alerts.json")
        assert [i["reason"] for i in answer["ignored"]] == ["not_covered", "not_covered"]
        assert incidents(app) == [] and app.ignored("alertmanager", "not_covered") == 3


def test_firing_then_resolved_then_a_redelivery(tmp_path: Path) -> None:
    start = datetime(2018, 3, 7, 11, 33, 21, 873077, tzinfo=UTC)
    with webhook_app(tmp_path, now=NOW) as app:
        assert post(app, "adapted_firing_covered.json")["opened"] == 1
        assert incidents(app) == [("Platform", start, None)]
        assert post(app, "adapted_firing_covered.json")["unchanged"] == 1  # Alertmanager repeats a group
        assert post(app, "adapted_resolved_covered.json")["resolved"] == 1
        assert incidents(app) == [("Platform", start, datetime(2018, 3, 7, 11, 48, 21, 873077, tzinfo=UTC))]
        assert post(app, "adapted_resolved_covered.json")["unchanged"] == 1


def test_one_uncovered_alert_does_not_cost_its_group(tmp_path: Path) -> None:
    with webhook_app(tmp_path, now=NOW) as app:
        answer = post(app, "adapted_group_one_covered_one_not.json")
        assert answer["opened"] == 1 and [i["reason"] for i in answer["ignored"]] == ["not_covered"]
        assert [service for service, _s, _e in incidents(app)] == ["Platform"]
