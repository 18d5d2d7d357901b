"""Roles and visibility end to end (issue 13, items 2 and 3): signed Slack requests into the real app,
its Web API calls into the emulator. A client sees only its own client's contract and report, only it
sees them, and without our side's parts; staff in a client's channel see a report alone unless they
``post`` it; a manager who is not an agent reads reports; a client's approve and dismiss change nothing;
``slabot review --approve`` honours SLABOT_ADMINS and the contract file's admins."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.clock import ManualClock
from bot.emulator import inbound
from handlers import commands
from tests.e2e.slack_harness import ROOT, running_app
from tests.e2e.test_helpdesk_e2e import (
    AGENT,
    CLIENT,
    GLOBEX,
    GLOBEX_SUPPORT,
    SECRET,
    SUPPORT,
    TEAM,
    Helpdesk,
)

MANAGER, LEAD, GLOBEX_MANAGER, ADMIN = "U0MANAGER1", "U0LEAD0001", "U0GLOBEXMG", "U0ADMIN001"
INTERNAL = "C0ALERTS01"  # gold's alert channel: not a client's


@pytest.fixture
def desk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Helpdesk]:
    monkeypatch.setattr(commands, "ACK_BUDGET_SECONDS", 30.0)
    clock = ManualClock(datetime(2026, 11, 24, 9, 0, tzinfo=UTC))  # a Tuesday, 10:00 in Berlin
    with running_app(
        tmp_path,
        clock=clock,
        secret=SECRET,
        users=(AGENT, CLIENT, GLOBEX, MANAGER, LEAD, GLOBEX_MANAGER, ADMIN),
        channels={
            SUPPORT: ("acme-support", [AGENT, CLIENT, MANAGER, LEAD]),
            GLOBEX_SUPPORT: ("globex-support", [AGENT, GLOBEX]),
            INTERNAL: ("sla-alerts-acme", [AGENT, MANAGER, LEAD]),
        },
        SLABOT_HOME_REFRESH_SECONDS=0,
        SLABOT_ADMINS=ADMIN,
    ) as (runtime, slack, url):
        yield Helpdesk(runtime, slack, url, clock, SECRET)


def _all(answer: dict[str, Any]) -> str:
    return answer["text"] + json.dumps(answer.get("blocks", []), ensure_ascii=False)


def _ticket(desk: Helpdesk) -> None:
    """T-1: Acme's client asks (P2 during office hours), an agent answers."""
    desk.command("start P2 acme The nightly export is broken", user=AGENT)
    desk.clock.advance(timedelta(minutes=20))
    desk.command("reply T-1", user=AGENT)


def _posted(desk: Helpdesk, channel: str) -> list[dict[str, Any]]:
    return [m for m in desk.slack.messages(channel) if m.get("user") != CLIENT]


# ---- /sla contract -----------------------------------------------------------------------------------


def test_a_client_sees_its_own_contract_only_ephemeral_and_without_staff_parts(desk: Helpdesk) -> None:
    def nothing_of_globex(answer: dict[str, Any]) -> None:
        text = _all(answer)
        assert answer["response_type"] == "ephemeral"
        for secret in ("Globex Corporation", "silver", "Silver", "C0GLOBEX", "initech", "did you mean"):
            assert secret not in text, secret  # only what the client typed is echoed back

    nothing_of_globex(desk.command("contract globex", user=CLIENT))
    nothing_of_globex(desk.command("contract client globex", user=CLIENT))
    near = desk.command("contract glob", user=CLIENT)
    nothing_of_globex(near)
    assert "globex" not in _all(near).lower()

    own = desk.command("contract", user=CLIENT)
    text = _all(own)
    assert own["response_type"] == "ephemeral"
    assert "Contract of Acme Corp" in text and "first response" in text
    for staff_only in ("Alerts:", INTERNAL, LEAD, "Warnings at", "U0MANAGER1", "S0LEADS001"):
        assert staff_only not in text, staff_only
    assert "Contract of Acme Corp" in _all(desk.command("contract acme", user=CLIENT))

    # a client of no client's channel (a DM) names none
    dm = desk.command("contract", user=GLOBEX, channel="D0GLOBEX01")
    assert "Acme" not in _all(dm)
    # our side sees the whole contract, alert routing included
    full = _all(desk.command("contract globex", user=AGENT))
    assert "Contract of Globex Corporation" in full and "Alerts:" in full
    manager = _all(desk.command("contract", user=MANAGER))
    assert "Alerts:" in manager and INTERNAL in manager
    assert not desk.slack.calls_to("chat.postMessage")  # nothing was posted anywhere


# ---- /sla report ---------------------------------------------------------------------------------------


def _wait_ephemerals(desk: Helpdesk, channel: str, user: str, n: int) -> list[dict[str, Any]]:
    def mine() -> list[dict[str, Any]]:
        return [e for e in desk.slack.ephemerals(channel) if e.get("recipient", e.get("user")) == user]

    desk.wait_for(lambda: len(mine()) >= n, timeout=20)
    return mine()


def test_a_client_reads_its_own_report_alone_and_never_another_clients(desk: Helpdesk) -> None:
    _ticket(desk)
    before = len(desk.slack.messages(SUPPORT))
    ack = desk.command("report week", user=CLIENT)
    assert ack["response_type"] == "ephemeral" and "only you will see it" in ack["text"]
    shown = _wait_ephemerals(desk, SUPPORT, CLIENT, 2)
    text = json.dumps(shown, ensure_ascii=False)
    assert "Acme Corp" in text and "Only you can see it" in text
    assert "Globex" not in text and "Initech" not in text
    assert "Credits" not in text and "Feedback" not in text  # our side's figures
    desk.runtime.services.reports_pending.join()
    assert len(desk.slack.messages(SUPPORT)) == before  # nothing posted in the channel
    assert desk.slack.files == []  # files cannot be ephemeral: none uploaded
    assert {e.get("recipient", e.get("user")) for e in desk.slack.ephemerals()} == {CLIENT}

    other = desk.command("report week globex", user=CLIENT)
    assert "I don't know the client 'globex'" in other["text"] and "Globex Corporation" not in _all(other)
    posted = desk.command("report week post", user=CLIENT)
    assert "Only the support team can post reports" in posted["text"]
    assert len(desk.slack.messages(SUPPORT)) == before
    # in a DM, a contact of Acme gets Acme's report there (with its files: a DM is the asker's own)
    dm = desk.command("report week", user=CLIENT, channel="D0ACME0001")
    assert "Building the SLA report for Acme Corp" in dm["text"]
    desk.runtime.services.reports_pending.join()
    assert len(desk.slack.messages(SUPPORT)) == before
    stranger = desk.command("report week", user="U0STRANGER", channel="D0STRANGER")
    assert "Which client?" in stranger["text"] and "Acme" not in _all(stranger)


def test_staff_in_a_clients_channel_see_the_report_alone_unless_they_post_it(desk: Helpdesk) -> None:
    _ticket(desk)
    before = len(desk.slack.messages(SUPPORT))
    ack = desk.command("report week", user=AGENT)
    assert "only you will see it" in ack["text"]
    shown = _wait_ephemerals(desk, SUPPORT, AGENT, 2)
    assert "add `post`" in json.dumps(shown)
    desk.runtime.services.reports_pending.join()
    assert len(desk.slack.messages(SUPPORT)) == before and desk.slack.files == []

    ack = desk.command("report week post", user=AGENT)
    assert "will be posted" in ack["text"]
    desk.wait_for(lambda: len(desk.slack.files) == 2, timeout=20)
    posted = [m for m in desk.slack.messages(SUPPORT)[before:] if "SLA summary" in json.dumps(m)]
    assert len(posted) == 1


def test_a_manager_who_is_not_an_agent_reads_reports_but_changes_no_ticket(desk: Helpdesk) -> None:
    _ticket(desk)
    ack = desk.command("report week", user=MANAGER, channel=INTERNAL)
    assert "Reports are for the support team" not in ack["text"]
    assert "will be posted" in ack["text"]  # an internal channel: posted there
    desk.wait_for(lambda: len(desk.slack.files) == 2, timeout=20)
    assert any("SLA summary" in json.dumps(m) for m in desk.slack.messages(INTERNAL))
    status = _all(desk.command("status client acme", user=MANAGER, channel=INTERNAL))
    assert "T-1" in status
    refused = desk.command("resolve T-1", user=MANAGER, channel=INTERNAL)
    assert "Only support agents" in refused["text"]
    assert desk.state().ticket.status == "open"


def test_a_manager_of_one_client_reads_that_clients_things_only(desk: Helpdesk) -> None:
    _ticket(desk)  # an Acme ticket
    own = desk.command("report week globex", user=GLOBEX_MANAGER, channel="D0GLOBEXMG")
    assert "Building the SLA report" in own["text"]
    acme = desk.command("report week acme", user=GLOBEX_MANAGER, channel="D0GLOBEXMG")
    assert "Building" not in acme["text"] and "Acme" not in _all(acme)
    assert (
        "can't find ticket T-1"
        in desk.command("status T-1", user=GLOBEX_MANAGER, channel="D0GLOBEXMG")["text"]
    )
    assert "Alerts:" in _all(desk.command("contract globex", user=GLOBEX_MANAGER, channel="D0GLOBEXMG"))
    assert "Alerts:" not in _all(desk.command("contract acme", user=GLOBEX_MANAGER, channel="D0GLOBEXMG"))
    desk.runtime.services.reports_pending.join()


def test_a_lead_reads_its_clients_report_and_a_client_cannot_link_or_see_delivery_problems(
    desk: Helpdesk,
) -> None:
    _ticket(desk)
    ack = desk.command("report week acme", user=LEAD, channel=INTERNAL)
    assert "Building the SLA report for Acme Corp" in ack["text"]
    desk.runtime.services.reports_pending.join()
    assert "Only slabot's admins" in desk.command("admin alerts", user=CLIENT)["text"]
    assert "Only slabot's admins" in desk.command("admin alerts", user=AGENT)["text"]  # admins exist
    assert "No failed alert deliveries" in desk.command("admin alerts", user=ADMIN, channel=INTERNAL)["text"]
    linked = desk.command(f"link <#{GLOBEX_SUPPORT}|globex-support> acme", user=CLIENT)
    assert "Only slabot's admins" in linked["text"]
    assert desk.runtime.services.client_for_channel(TEAM, GLOBEX_SUPPORT) == "globex"


# ---- reviews: approve ------------------------------------------------------------------------------------


def _draft(desk: Helpdesk) -> int:
    """A revision draft of Acme's contract, proposed by an agent (tickets of 2026-Q3 seeded)."""
    from tests.e2e.test_review_e2e import seed_quarter

    seed_quarter(desk)  # type: ignore[arg-type]
    draft = desk.runtime.services.reviews.propose(  # type: ignore[union-attr]
        team_id=TEAM, client_key="acme", quarter="2026-Q3", actor=AGENT, is_agent=True
    )
    return draft.id


def _draft_state(desk: Helpdesk, draft_id: int) -> str:
    with desk.runtime.services.uow.begin(read_only=True) as tx:
        return tx.reviews.get_draft(team_id=TEAM, draft_id=draft_id).state


def test_a_clients_approve_click_is_refused_and_nothing_changes(desk: Helpdesk) -> None:
    from handlers.ids import ActionId, ReviewAction

    draft_id = _draft(desk)
    value = ReviewAction(review_id=str(draft_id)).encode()
    for user in (CLIENT, AGENT, MANAGER):
        seen = len(desk.slack.ephemerals(SUPPORT))
        status, body = desk.post(
            inbound.block_actions(ActionId.REVIEW_APPROVE.value, value, user, SUPPORT, "1790000000.000100")
        )
        assert status == 200, body
        desk.wait_for(lambda seen=seen: len(desk.slack.ephemerals(SUPPORT)) > seen)
        assert "Only slabot admins can approve" in desk.slack.ephemerals(SUPPORT)[-1]["text"]
        assert _draft_state(desk, draft_id) == "draft"
    refused = desk.command("review acme 2026-Q3", user=CLIENT)
    assert "for the support team" in refused["text"]
    assert "SLA review — Acme Corp" in desk.command("review acme 2026-Q3", user=MANAGER)["text"]


def test_slabot_review_approve_honours_the_admins(
    desk: Helpdesk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.cli import main

    draft_id = _draft(desk)
    monkeypatch.setenv("DATABASE_URL", str(desk.runtime.settings.database_url))
    monkeypatch.setenv("SLABOT_CONTRACTS", str(ROOT / "examples" / "contracts.yaml"))
    monkeypatch.setenv("SLABOT_ADMINS", ADMIN)
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-e2e")
    monkeypatch.setenv("SLACK_API_URL", desk.slack.url)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "cli")
    monkeypatch.setenv("SLABOT_SCHEDULER", "false")
    capsys.readouterr()
    for argv in (
        ["review", "acme", "--approve", str(draft_id)],  # who? nobody
        ["review", "acme", "--approve", str(draft_id), "--by", CLIENT],
        ["review", "acme", "--approve", str(draft_id), "--by", AGENT],
        ["review", "acme", "--discard", str(draft_id), "--by", CLIENT],
    ):
        assert main(argv) == 2, argv
        err = capsys.readouterr().err.strip()
        assert err.count("\n") == 0 and err.startswith("slabot review: "), err
        assert _draft_state(desk, draft_id) == "draft"
    assert main(["review", "acme", "--approve", str(draft_id), "--by", ADMIN]) == 0
    assert "Approved: gold v3" in capsys.readouterr().out
    assert _draft_state(desk, draft_id) == "approved"


# ---- App Home, feedback, the terminal ----------------------------------------------------------------


def _home(desk: Helpdesk, user: str) -> str:
    desk.post(inbound.event_callback(inbound.app_home_opened_event(user), TEAM, event_id=f"EvHome{user}"))
    desk.wait_for(lambda: desk.slack.home_view(user) is not None)
    return json.dumps(desk.slack.home_view(user), ensure_ascii=False)


def test_app_home_shows_the_team_to_our_side_and_delivery_problems_to_admins_only(desk: Helpdesk) -> None:
    _ticket(desk)
    desk.command("start P1 acme Checkout is down", user=AGENT)  # T-2: no answer, 15 minutes
    desk.clock.advance(timedelta(hours=1))
    manager, agent, admin = _home(desk, MANAGER), _home(desk, AGENT), _home(desk, ADMIN)
    client, scoped = _home(desk, CLIENT), _home(desk, GLOBEX_MANAGER)
    team = "No SLA clock stopped in the last"  # the team's compliance part (none stopped in it yet)
    for staff in (manager, agent, admin):
        assert "Checkout is down" in staff, staff  # Acme's breached ticket, in the team part
    # a manager of Globex only: the team part of Globex (nothing), none of Acme's tickets
    assert team in scoped and "Checkout is down" not in scoped and "acme" not in scoped.lower()
    assert team not in client and "No tickets closed this week yet" in client  # a client: its requests
    assert "could not be delivered" in admin
    assert all("could not be delivered" not in h for h in (manager, agent, client, scoped))


def test_feedback_figures_for_managers_not_for_clients(desk: Helpdesk) -> None:
    assert "can see feedback figures" in desk.command("feedback acme", user=CLIENT)["text"]
    assert (
        "can see feedback figures"
        not in desk.command("feedback acme", user=MANAGER, channel=INTERNAL)["text"]
    )
    scoped = desk.command("feedback acme", user=GLOBEX_MANAGER, channel="D0GLOBEXMG")
    assert "can see feedback figures" in scoped["text"]


def test_slabot_cmd_with_a_users_roles(
    desk: Helpdesk, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.cli import main

    monkeypatch.setenv("DATABASE_URL", str(desk.runtime.settings.database_url))
    monkeypatch.setenv("SLABOT_CONTRACTS", str(ROOT / "examples" / "contracts.yaml"))
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-e2e")
    monkeypatch.setenv("SLACK_API_URL", desk.slack.url)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "cli")
    monkeypatch.setenv("SLABOT_SCHEDULER", "false")
    capsys.readouterr()
    assert main(["cmd", "--user", CLIENT, "--channel", SUPPORT, "contract globex"]) == 0
    out = capsys.readouterr().out
    assert "Globex Corporation" not in out and "I don't know the client 'globex'" in out
    assert main(["cmd", "--user", CLIENT, "--channel", SUPPORT, "contract"]) == 0
    out = capsys.readouterr().out
    assert "Acme Corp" in out and "Alerts:" not in out
    assert main(["cmd", "contract globex"]) == 0  # the terminal's operator: the first agent
    assert "Alerts:" in capsys.readouterr().out
    # no SLABOT_ADMINS in this process and none in the file: the agent stands in for the admins
    assert main(["cmd", "admin alerts"]) == 0
    assert "No failed alert deliveries" in capsys.readouterr().out
    monkeypatch.setenv("SLABOT_ADMINS", ADMIN)
    assert main(["cmd", "admin alerts"]) == 0
    assert "Only slabot's admins" in capsys.readouterr().out
    assert main(["cmd", "--user", ADMIN, "admin alerts"]) == 0
    assert "No failed alert deliveries" in capsys.readouterr().out


def test_the_track_shortcut_and_its_modal_refuse_a_client_and_a_manager(desk: Helpdesk) -> None:
    ts = desk.slack.post_user_message(SUPPORT, CLIENT, "Exports are empty since Monday")["ts"]
    message = {"ts": ts, "user": CLIENT, "text": "Exports are empty since Monday"}
    for user in (CLIENT, MANAGER):
        assert desk.post(inbound.message_shortcut("track_as_sla_ticket", message, SUPPORT, user))[0] == 200
        desk.wait_for(
            lambda user=user: any(
                "Only support agents can start SLA tickets" in e.get("text", "")
                for e in desk.slack.ephemerals(SUPPORT)
                if e.get("recipient", e.get("user")) == user
            )
        )
    assert not desk.slack.calls_to("views.open")
    # an agent's modal, submitted by a client (a forged submission): refused, no ticket
    assert desk.post(inbound.message_shortcut("track_as_sla_ticket", message, SUPPORT, AGENT))[0] == 200
    desk.wait_for(lambda: bool(desk.slack.calls_to("views.open")))
    modal = desk.slack.calls_to("views.open")[0].args["view"]
    modal = json.loads(modal) if isinstance(modal, str) else modal
    values = {
        "start_title": {"start_title": {"type": "plain_text_input", "value": "Exports are empty"}},
        "start_client": {"start_client": {"type": "static_select", "selected_option": {"value": "acme"}}},
        "start_priority": {"start_priority": {"type": "static_select", "selected_option": {"value": "P2"}}},
        "start_assignee": {"start_assignee": {"type": "users_select", "selected_user": AGENT}},
    }
    status, body = desk.post(
        inbound.view_submission("start_modal", values, modal["private_metadata"], CLIENT)
    )
    assert status == 200 and "Only support agents can start SLA tickets" in body
    assert (
        desk.runtime.services.tickets.state_by_thread(team_id=TEAM, channel_id=SUPPORT, thread_ts=ts) is None
    )
