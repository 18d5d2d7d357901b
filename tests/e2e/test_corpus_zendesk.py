"""Zendesk deliveries (``tests/payloads/zendesk``) through the real app, signed as Zendesk signs them,
the clock at each delivery's instant; the ticket's events and clocks afterwards.

Two updates in one minute are two changes (the requester's reply after *Pending* resumes the
clocks); a requester's reply that reopens a solved ticket starts next-response; a redelivery is
recorded once; a word nothing maps is reported and the rest recorded; event webhooks
(``zen:event-type:*``) are read, other event types acknowledged and counted."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sla.metrics import Metric
from tests.e2e.corpus_harness import CONTRACTS, TEAM, WebhookApp, webhook_app
from tests.payloads.corpus import payloads

CORPUS = payloads("zendesk")
NOW = datetime(2026, 11, 24, 9, 0, 5, tzinfo=UTC)


def deliver(app: WebhookApp, name: str, at: datetime, query: str = "") -> dict:
    app.clock.set(at)
    status, answer = app.zendesk(CORPUS[name].bytes(), query)
    assert status == 200, (name, answer)
    return answer


def clocks(app: WebhookApp, ref: str) -> dict[str, str]:
    ticket = app.ticket(ref)
    assert ticket is not None
    state = app.runtime.services.tickets.state(team_id=TEAM, ref=ticket.ref)
    latest: dict[str, str] = {}
    for timer in state.timers:
        latest[str(timer.metric)] = str(timer.state)
    return latest


def test_a_day_of_trigger_deliveries(tmp_path: Path) -> None:
    ref = "zendesk:35436"
    with webhook_app(tmp_path, now=NOW) as app:
        deliver(app, "rendered_trigger_1_new_ticket.json", NOW)
        assert app.events(ref) == [("opened", "P2")]  # "High": the contract's 2nd priority
        deliver(
            app, "rendered_trigger_2_agent_asks_and_pends.json", datetime(2026, 11, 24, 10, 0, 12, tzinfo=UTC)
        )
        assert app.events(ref)[1:] == [("agent_message", None), ("status", "waiting_on_client")]
        # the requester answers 38 s later, the same minute: a change of its own, not a duplicate
        answer = deliver(
            app,
            "rendered_trigger_3_requester_replies_same_minute.json",
            datetime(2026, 11, 24, 10, 0, 50, tzinfo=UTC),
        )
        assert app.events(ref)[3:] == [("client_message", None), ("status", "open")]
        assert app.ticket(ref).status == "open"
        # Zendesk retries the same delivery (same invocation id): nothing new
        before = app.events(ref)
        app.clock.set(datetime(2026, 11, 24, 10, 1, 30, tzinfo=UTC))
        body = CORPUS["rendered_trigger_3_requester_replies_same_minute.json"].bytes()
        status, again = app.zendesk(body)
        assert status == 200 and app.events(ref) == before, again
        assert answer["created"] >= 2
        deliver(app, "rendered_trigger_4_agent_solves.json", datetime(2026, 11, 24, 11, 0, 9, tzinfo=UTC))
        assert app.events(ref)[-2:] == [("agent_message", None), ("resolved", None)]
        deliver(
            app,
            "rendered_trigger_5_requester_reply_reopens.json",
            datetime(2026, 11, 24, 12, 0, 20, tzinfo=UTC),
        )
        assert app.events(ref)[-2:] == [("reopened", None), ("client_message", None)]  # reopened first
        assert clocks(app, ref)[Metric.NEXT_RESPONSE.value] == "running"


def test_words_of_another_language_are_reported_and_the_rest_recorded(tmp_path: Path) -> None:
    ref = "zendesk:35436"
    with webhook_app(tmp_path, now=NOW) as app:
        deliver(app, "rendered_trigger_1_new_ticket.json", NOW)
        at = datetime(2026, 11, 24, 13, 0, 3, tzinfo=UTC)
        answer = deliver(app, "rendered_trigger_german_status.json", at)
        assert sorted(i["reason"] for i in answer["ignored"]) == ["unmapped_value", "unmapped_value"]
        assert app.events(ref) == [("opened", "P2")] and app.ignored("zendesk", "unmapped_value") == 2
    mapped = tmp_path / "mapped" / "contracts.yaml"
    mapped.parent.mkdir()
    mapped.write_text(
        CONTRACTS.read_text(encoding="utf-8").replace(
            "    name: Gold\n",
            "    name: Gold\n    sources:\n      zendesk:\n        priorities: {Hoch: P2}\n"
            "        statuses: {Gelöst: resolved}\n",
        ),
        encoding="utf-8",
    )
    with webhook_app(mapped.parent, now=NOW, contracts=mapped) as app:
        deliver(app, "rendered_trigger_1_new_ticket.json", NOW)
        assert "ignored" not in deliver(app, "rendered_trigger_german_status.json", at)
        assert app.events(ref) == [("opened", "P2"), ("resolved", None)]


def test_event_webhooks(tmp_path: Path) -> None:
    ref = "zendesk:5158"
    with webhook_app(tmp_path, now=NOW) as app:
        answer = deliver(app, "docs_event_user_active_changed.json", NOW)
        assert answer["ignored"] == [
            {"reason": "other_event", "detail": "zen:event-type:user.active_changed"}
        ]
        assert app.ignored("zendesk", "other_event") == 1
        deliver(app, "constructed_event_ticket_created.json", NOW, "?client=acme")
        assert app.events(ref) == [("opened", "P2")]
        deliver(
            app,
            "constructed_event_ticket_comment_added_by_staff.json",
            datetime(2026, 11, 24, 9, 20, 31, tzinfo=UTC),
        )
        deliver(
            app,
            "constructed_event_ticket_status_changed_pending.json",
            datetime(2026, 11, 24, 9, 21, 2, tzinfo=UTC),
        )
        deliver(
            app,
            "constructed_event_ticket_comment_added_by_requester.json",
            datetime(2026, 11, 24, 9, 21, 40, tzinfo=UTC),
        )
        answer = deliver(
            app,
            "constructed_event_ticket_comment_added_internal.json",
            datetime(2026, 11, 24, 9, 25, tzinfo=UTC),
        )
        assert answer["ignored"][0]["reason"] == "internal_note"
        assert app.events(ref) == [
            ("opened", "P2"),
            ("agent_message", None),
            ("status", "waiting_on_client"),
            ("client_message", None),
        ]
        assert clocks(app, ref)[Metric.FIRST_RESPONSE.value] == "met"
