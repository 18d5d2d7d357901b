from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.grammar import COMMAND_NAMES, parse
from handlers.blocks.alerts import (
    AlertItem,
    breach_message,
    digest_message,
    escalation_message,
    met_message,
    threshold_words,
    warning_message,
)
from handlers.blocks.help import help_message, usage_error_message
from handlers.blocks.home import home_view
from handlers.blocks.limits import check_blocks, check_message, check_view
from handlers.blocks.status import (
    explain_message,
    status_message,
    status_text,
    ticket_actions,
    ticket_detail,
    ticket_line,
)
from handlers.blocks.tickets import (
    Change,
    StartInput,
    StartPrefill,
    card_text,
    change_note,
    read_start_submission,
    start_modal,
    ticket_card,
)
from handlers.ids import ActionId, BlockId, CallbackId, StartModalMeta, TicketAction
from sla.countdown import TicketView
from sla.metrics import Metric, TimerState
from sla.timers import MetricTimer, TimelineEntry

BERLIN = ZoneInfo("Europe/Berlin")
# Friday 13 Nov 2026, 15:20 in Berlin.
NOW = datetime(2026, 11, 13, 14, 20, tzinfo=UTC)


def timer(
    metric: Metric = Metric.FIRST_RESPONSE,
    *,
    target: timedelta = timedelta(hours=4),
    elapsed: timedelta = timedelta(hours=2, minutes=50),
    state: TimerState = TimerState.RUNNING,
    due_at: datetime | None = datetime(2026, 11, 16, 9, 0, tzinfo=UTC),
    cycle: int = 1,
    pause_reason: str | None = None,
    breached_at: datetime | None = None,
    stopped_at: datetime | None = None,
) -> MetricTimer:
    return MetricTimer(
        metric=metric,
        cycle=cycle,
        priority="P1",
        target=target,
        calendar_name="office",
        started_at=NOW - timedelta(days=1),
        due_at=due_at,
        stopped_at=stopped_at,
        business_elapsed=elapsed,
        paused_for=timedelta(0),
        remaining=target - elapsed,
        percent_used=elapsed / target * 100,
        state=state,
        breached_at=breached_at,
        pause_reason=pause_reason,
        resumed_at=NOW - timedelta(days=1),
        elapsed_at_resume=timedelta(0),
    )


def breached_timer(ago: timedelta = timedelta(minutes=25)) -> MetricTimer:
    return timer(
        target=timedelta(hours=1),
        elapsed=timedelta(hours=1) + ago,
        state=TimerState.BREACHED,
        due_at=NOW - ago,
        breached_at=NOW - ago,
    )


def answered_first_reply() -> MetricTimer:
    """Cycle 1 of next response, met 20 minutes in (a ticket's earlier reply)."""
    return timer(
        Metric.NEXT_RESPONSE, cycle=1, state=TimerState.MET, stopped_at=NOW, elapsed=timedelta(minutes=20)
    )


def ticket(ref: str = "T-12", **kw: Any) -> TicketView:
    base: dict[str, Any] = {
        "ref": ref,
        "title": "Printer on fire",
        "client_name": "Acme",
        "priority": "P1",
        "status": "open",
        "timers": (timer(),),
        "tz": BERLIN,
        "assignee": "U1",
        "channel_id": "C0ACME",
        "thread_ts": "1700000000.000100",
        "permalink": "https://acme.slack.com/archives/C0ACME/p1700000000000100",
        "requester": "U9",
    }
    base.update(kw)
    return TicketView(**base)


def texts(blocks: list[dict[str, Any]]) -> list[str]:
    out = []
    for b in blocks:
        if "text" in b:
            out.append(b["text"]["text"])
        for e in b.get("elements", []):
            if "text" in e and isinstance(e["text"], str):
                out.append(e["text"])
    return out


def buttons(blocks: list[dict[str, Any]]) -> list[tuple[str, str, str | None]]:
    found = []
    for b in blocks:
        elements = list(b.get("elements", [])) + ([b["accessory"]] if "accessory" in b else [])
        for e in elements:
            if e.get("type") == "button":
                found.append((e["text"]["text"], e["action_id"], e.get("value")))
    return found


# ------------------------------------------------------------------ status


def test_status_message_shows_each_ticket_with_its_countdown_lines() -> None:
    blocks = status_message([ticket()], NOW, title="Open tickets — Acme")
    assert blocks[0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": "Open tickets — Acme", "emoji": True},
    }
    assert blocks[1]["elements"][0]["text"] == "1 open"
    assert blocks[2]["text"]["text"] == (
        "*<https://acme.slack.com/archives/C0ACME/p1700000000000100|T-12>* · P1 · Printer on fire — Acme · <@U1>\n"
        "🟢 first response · 1h 10m left · due Mon 10:00 CET (in 2d 18h) · 70 % ▰▰▰▰▰▰▰▱▱▱"
    )
    assert buttons(blocks) == [("Explain", ActionId.EXPLAIN, '{"t":"T-12"}')]
    assert check_blocks(blocks) == []


def test_status_message_lines_follow_every_change_of_a_ticket() -> None:
    """A ticket's line is kept between answers (only countdowns move): one whose title, assignee or
    status changed reads the new values in the next answer, and the same ticket in a thread card
    without its assignee keeps its own line."""
    first = status_message([ticket()], NOW)[2]["text"]["text"].split("\n")[0]
    changed = ticket(title="Printer <still> on fire", assignee=None, status="waiting_on_client")
    again = status_message([changed], NOW)[2]["text"]["text"].split("\n")[0]
    assert first.endswith("· Printer on fire — Acme · <@U1>")
    assert again.endswith("· Printer &lt;still&gt; on fire — Acme · _unassigned_ · _waiting_on_client_")
    assert ticket_line(ticket(), assignee=False).endswith("· Printer on fire — Acme")
    assert status_message([ticket()], NOW)[2]["text"]["text"].split("\n")[0] == first


def test_status_puts_breached_first_and_counts_them() -> None:
    calm = ticket("T-1")
    late = ticket("T-2", timers=(breached_timer(),), assignee=None)
    paused = ticket(
        "T-3",
        timers=(timer(state=TimerState.PAUSED, due_at=None, pause_reason="waiting on client"),),
        status="waiting",
    )
    blocks = status_message([calm, paused, late], NOW)
    assert blocks[1]["elements"][0]["text"] == "3 open · 🔴 1 breached · ⏸️ 1 paused"
    assert [b["accessory"]["value"] for b in blocks[2:]] == ['{"t":"T-2"}', '{"t":"T-1"}', '{"t":"T-3"}']
    assert blocks[2]["text"]["text"].endswith(
        "_unassigned_\n🔴 first response · breached 25m ago · was due today 14:55 CET · 141 % ▰▰▰▰▰▰▰▰▰▰"
    )
    assert "⏸️ first response · paused (waiting on client) · 1h 10m left · 70 %" in blocks[4]["text"]["text"]
    assert " · _waiting_" in blocks[4]["text"]["text"]


def test_status_shows_one_line_per_metric_latest_cycle() -> None:
    t = ticket(
        timers=(
            timer(Metric.RESOLUTION, target=timedelta(hours=16), elapsed=timedelta(hours=2)),
            answered_first_reply(),
            timer(Metric.NEXT_RESPONSE, cycle=2, elapsed=timedelta(hours=1)),
            timer(state=TimerState.MET, stopped_at=NOW, elapsed=timedelta(minutes=42)),
        )
    )
    lines = status_message([t], NOW)[2]["text"]["text"].split("\n")[1:]
    assert [line.split(" · ")[0] for line in lines] == [
        "✅ first response",
        "🟢 next response",
        "🟢 resolution",
    ]
    assert lines[0] == "✅ first response · met in 42m · 17 % ▰▱▱▱▱▱▱▱▱▱"


def test_user_text_is_escaped() -> None:
    t = ticket(
        title="<script> & <@U999> hi",
        client_name="A&B <Ltd>",
        timers=(timer(pause_reason="<b>", state=TimerState.PAUSED),),
    )
    blocks = status_message([t], NOW)
    text = blocks[2]["text"]["text"]
    assert "&lt;script&gt; &amp; &lt;@U999&gt; hi — A&amp;B &lt;Ltd&gt;" in text
    assert "paused (&lt;b&gt;)" in text
    assert check_blocks(blocks) == []


def test_status_empty() -> None:
    blocks = status_message([], NOW, title="Tickets of Acme")
    assert texts(blocks) == ["Tickets of Acme", "No open tickets here. 🎉"]


def test_status_cut_says_how_many_more_and_how_to_narrow() -> None:
    many = [ticket(f"T-{n}") for n in range(1, 85)]
    blocks = status_message(many, NOW, limit_more_hint="`/sla status breached` to narrow")
    assert len(blocks) == 50
    assert blocks[-1]["elements"][0]["text"] == "… and 37 more — `/sla status breached` to narrow"
    assert blocks[2]["accessory"]["value"] == '{"t":"T-1"}'
    assert check_blocks(blocks) == []


def test_status_page_of_a_capped_count_says_at_least() -> None:
    page = [ticket(f"T-{n}") for n in range(1, 41)]
    blocks = status_message(page, NOW, total=1000, total_is_exact=False)
    assert blocks[1]["elements"][0]["text"] == "1000+ open · the 40 most urgent below"
    more = blocks[-1]["elements"][0]["text"]
    assert more.startswith("… and 960+ more — narrow with `/sla status breached`")
    assert "slabot cmd" in more  # and a way to see them all
    assert check_blocks(blocks) == []


def test_status_exactly_filling_the_message_is_not_cut() -> None:
    blocks = status_message([ticket(f"T-{n}") for n in range(1, 49)], NOW)
    assert len(blocks) == 50
    assert "more" not in blocks[-1].get("text", {}).get("text", "")
    # 49 tickets: 47 shown, and the last block says 2 more.
    one_too_many = status_message([ticket(f"T-{n}") for n in range(1, 50)], NOW)
    assert len(one_too_many) == 50
    assert one_too_many[-1]["elements"][0]["text"].startswith("… and 2 more — ")


long_text = st.text(min_size=0, max_size=400)


@settings(max_examples=30, deadline=None)
@example(n=500, title="t" * 400, client="<&>" * 60, reason="r" * 400)
@example(n=49, title="", client="", reason=None)
@given(
    n=st.integers(min_value=0, max_value=500),
    title=long_text,
    client=st.text(max_size=200),
    reason=st.none() | long_text,
)
def test_status_for_any_number_of_tickets_stays_within_slack_limits(
    n: int, title: str, client: str, reason: str | None
) -> None:
    timers = (
        timer(),
        timer(Metric.RESOLUTION, state=TimerState.PAUSED, pause_reason=reason, due_at=None),
        breached_timer(),
    )
    tickets = [ticket(f"T-{i + 1}", title=title * 3, client_name=client, timers=timers) for i in range(n)]
    blocks = status_message(tickets, NOW)
    assert len(blocks) <= 50
    assert check_blocks(blocks) == []
    sections = [b for b in blocks if b["type"] == "section" and "accessory" in b]
    if n > 48:
        more = blocks[-1]["elements"][0]["text"]
        assert more.startswith(f"… and {n - len(sections)} more — ")
        assert len(sections) == 47
    else:
        assert len(sections) == n


def test_status_of_one_page_of_a_larger_result_counts_the_rest() -> None:
    page = [ticket(f"T-{n}") for n in range(1, 49)]
    blocks = status_message(page, NOW, total=100_000)
    assert blocks[1]["elements"][0]["text"] == "100000 open · the 47 most urgent below"
    assert blocks[-1]["elements"][0]["text"].startswith("… and 99953 more — ")
    assert len(blocks) == 50


def test_status_text_for_the_terminal_lists_everything() -> None:
    out = status_text([ticket(f"T-{n}") for n in range(1, 61)], NOW)
    assert out.count("first response · 1h 10m left") == 60
    assert "T-60 · P1 · Printer on fire — Acme" in out


def test_ticket_detail() -> None:
    t = ticket(
        timers=(
            answered_first_reply(),
            timer(Metric.NEXT_RESPONSE, cycle=2),
        )
    )
    blocks = ticket_detail(t, NOW)
    assert blocks[0]["text"]["text"] == "T-12 · Printer on fire"
    assert "*Assignee*\n<@U1>" in [f["text"] for f in blocks[1]["fields"]]
    assert "*Channel*\n<#C0ACME>" in [f["text"] for f in blocks[1]["fields"]]
    assert blocks[2]["text"]["text"] == (
        "🟢 *next response* (cycle 2)\n"
        "1h 10m left · due Mon 10:00 CET (in 2d 18h)\n"
        "70 % ▰▰▰▰▰▰▰▱▱▱ · target 4h on office hours"
    )
    assert blocks[3]["elements"][0]["text"] == "Earlier cycles: next response #1: met in 20m"
    assert [b[0] for b in buttons(blocks)] == [
        "Take it",
        "Pause (waiting on client)",
        "Resolve",
        "Not a ticket",
        "Explain",
    ]
    assert check_blocks(blocks) == []


def test_ticket_buttons_follow_the_ticket_state() -> None:
    paused = ticket(timers=(timer(state=TimerState.PAUSED, due_at=None),), assignee=None)
    assert [(b[0], b[1]) for b in buttons(ticket_detail(paused, NOW))] == [
        ("Take it", ActionId.TAKE_IT),
        ("Resume", ActionId.RESUME),
        ("Resolve", ActionId.RESOLVE),
        ("Not a ticket", ActionId.DISMISS),
        ("Explain", ActionId.EXPLAIN),
    ]
    resolved = ticket(status="resolved", timers=(timer(state=TimerState.MET, stopped_at=NOW),))
    assert [b[0] for b in buttons(ticket_detail(resolved, NOW))] == ["Reopen", "Not a ticket", "Explain"]
    dismissed = ticket(status="dismissed", timers=(timer(state=TimerState.CANCELLED, stopped_at=NOW),))
    assert [b[0] for b in buttons(ticket_detail(dismissed, NOW))] == ["Explain"]
    [dismiss] = [b for b in ticket_actions(paused)["elements"] if b["action_id"] == ActionId.DISMISS]
    assert dismiss["confirm"]["confirm"]["text"] == "Dismiss"  # a confirmation before anything changes
    for _, _, value in buttons(ticket_detail(paused, NOW)):
        assert TicketAction.decode(value) == TicketAction(ticket_ref="T-12")


def test_explain_message_lines_in_the_clients_zone() -> None:
    timeline = [
        TimelineEntry(NOW - timedelta(hours=2), "opened", Metric.FIRST_RESPONSE, "started", "target 4h"),
        TimelineEntry(
            NOW - timedelta(hours=1), "status", Metric.FIRST_RESPONSE, "paused", "waiting on client <x>"
        ),
        TimelineEntry(NOW, "status", None, "status", "open"),
    ]
    blocks = explain_message(ticket(), timeline, BERLIN)
    assert blocks[0]["text"]["text"] == "Why T-12's clocks stand where they do"
    assert blocks[1]["elements"][0]["text"].endswith("times in CET (Europe/Berlin)")
    assert blocks[2]["text"]["text"].split("\n") == [
        "`Fri 13 Nov 13:20` opened: first response started — target 4h",
        "`Fri 13 Nov 14:20` status: first response paused — waiting on client &lt;x&gt;",
        "`Fri 13 Nov 15:20` status: status — open",
    ]
    assert check_blocks(blocks) == []


def test_long_explain_keeps_the_latest_entries() -> None:
    timeline = [
        TimelineEntry(
            NOW + timedelta(minutes=i), "client_message", Metric.NEXT_RESPONSE, "started", "x" * 200
        )
        for i in range(2000)
    ]
    blocks = explain_message(ticket(), timeline)
    assert len(blocks) == 50
    assert check_blocks(blocks) == []
    shown = sum(b["text"]["text"].count("\n") + 1 for b in blocks if b["type"] == "section")
    note = blocks[2]["elements"][0]["text"]
    assert note.startswith(f"… {2000 - shown} earlier entries not shown")
    last = (NOW + timedelta(minutes=1999)).astimezone(BERLIN)
    assert blocks[-1]["text"]["text"].split("\n")[-1].startswith(f"`{last:%a %d %b %H:%M}` client message")


def test_explain_with_no_history() -> None:
    assert texts(explain_message(ticket(), []))[-1] == "_Nothing has happened to this ticket's clocks yet._"


# ------------------------------------------------------------------ tickets


def test_ticket_card() -> None:
    msg = ticket_card(ticket(assignee=None), NOW)
    assert msg.text == "T-12 · P1 · Printer on fire — first response 1h 10m left"
    assert msg.blocks[1]["elements"][0]["text"] == "opened by <@U9> · unassigned"
    assert buttons(msg.blocks)[0][:2] == ("Take it", ActionId.TAKE_IT)
    assert msg.blocks[2]["block_id"] == BlockId.TICKET_ACTIONS
    assert msg.blocks[2]["elements"][0]["style"] == "primary"
    assert check_message(msg.text, msg.blocks) == []


def test_card_text_leads_with_the_most_urgent_clock() -> None:
    t = ticket(timers=(timer(Metric.RESOLUTION), breached_timer()))
    assert card_text(t, NOW).endswith("— first response breached 25m ago")


@pytest.mark.parametrize(
    ("change", "actor", "detail", "expected"),
    [
        (Change.PAUSED, "U1", "waiting for logs", "⏸ Paused by <@U1>: waiting for logs"),
        (Change.PAUSED, "U1", None, "⏸ Paused by <@U1>"),
        (Change.RESUMED, None, None, "▶️ Resumed by slabot"),
        (Change.TAKEN, "U1", None, "🙋 <@U1> took *T-12*"),
        (Change.ASSIGNED, "U1", "U2", "👤 *T-12* assigned to <@U2> by <@U1>"),
        (Change.PRIORITY, "U1", "P3 → P1", "🔺 Priority P3 → P1 by <@U1>"),
        (Change.RESOLVED, "U1", None, "✅ Resolved by <@U1>"),
        (Change.REOPENED, "U9", None, "↩️ Reopened by <@U9>"),
        (Change.REPLIED, "U1", None, "💬 Response on *T-12* recorded by <@U1>"),
        (Change.OPENED, None, "P2 · Acme", "🎫 Tracking as *T-12* — P2 · Acme"),
        (Change.PAUSED, "U1", "logs <soon> & more", "⏸ Paused by <@U1>: logs &lt;soon&gt; &amp; more"),
    ],
)
def test_change_notes(change: Change, actor: str | None, detail: str | None, expected: str) -> None:
    msg = change_note(change, ref="T-12", actor=actor, detail=detail)
    assert msg.text == expected
    assert msg.blocks[0]["elements"][0]["text"] == expected
    assert check_message(msg.text, msg.blocks) == []


PRIORITIES = ("P1", "P2", "P3")
CLIENT_PAIRS = (("acme", "Acme Corp"), ("globex", "Globex"))


def test_start_modal_prefills_and_fits_slacks_limits() -> None:
    prefill = StartPrefill(
        title="Printer   on fire\nagain " + "x" * 300,
        client_key="globex",
        priority="P2",
        channel_id="C0ACME",
        message_ts="1700000000.000100",
        requester="U9",
    )
    view = start_modal(prefill, PRIORITIES, CLIENT_PAIRS)
    assert check_view(view) == []
    assert view["callback_id"] == CallbackId.START_MODAL
    blocks = {b["block_id"]: b for b in view["blocks"]}
    assert blocks[BlockId.START_TITLE]["element"]["initial_value"].startswith("Printer on fire again xxx")
    assert len(blocks[BlockId.START_TITLE]["element"]["initial_value"]) == 150
    assert blocks[BlockId.START_CLIENT]["element"]["initial_option"]["value"] == "globex"
    assert blocks[BlockId.START_PRIORITY]["element"]["initial_option"]["value"] == "P2"
    assert StartModalMeta.decode(view["private_metadata"]) == StartModalMeta(
        channel_id="C0ACME", message_ts="1700000000.000100", requester="U9"
    )


def test_start_modal_with_hundreds_of_clients_stays_within_limits() -> None:
    clients = [(f"c{i}", "Client " + "n" * 100) for i in range(300)]
    assert check_view(start_modal(StartPrefill(), PRIORITIES, clients)) == []


def _values(title: str | None, client: str | None, priority: str | None) -> dict[str, Any]:
    return {
        BlockId.START_TITLE: {ActionId.START_TITLE: {"type": "plain_text_input", "value": title}},
        BlockId.START_CLIENT: {ActionId.START_CLIENT: {"selected_option": client and {"value": client}}},
        BlockId.START_PRIORITY: {
            ActionId.START_PRIORITY: {"selected_option": priority and {"value": priority}}
        },
        BlockId.START_ASSIGNEE: {ActionId.START_ASSIGNEE: {"selected_user": "U3"}},
    }


def test_read_start_submission() -> None:
    meta = StartModalMeta(channel_id="C0ACME").encode()
    result = read_start_submission(
        _values(" VPN  down ", "acme", "P1"), meta, priorities=PRIORITIES, clients=["acme"]
    )
    assert result == StartInput("VPN down", "acme", "P1", "U3", StartModalMeta(channel_id="C0ACME"))
    errors = read_start_submission(_values("", "evil", "P0"), meta, priorities=PRIORITIES, clients=["acme"])
    assert errors == {
        BlockId.START_TITLE: "Give the ticket a short title.",
        BlockId.START_CLIENT: "Choose one of the clients.",
        BlockId.START_PRIORITY: "Choose one of the priorities.",
    }
    forged = read_start_submission(
        _values("x", "acme", "P1"), '{"c":"nope"}', priorities=PRIORITIES, clients=["acme"]
    )
    assert forged == {BlockId.START_TITLE: "This form is out of date; open it again."}
    assert isinstance(read_start_submission({}, meta, priorities=PRIORITIES, clients=["acme"]), dict)


# ------------------------------------------------------------------ alerts


def test_threshold_words() -> None:
    assert threshold_words("75%") == "75 % of the target used"
    assert threshold_words("12.5%") == "12.5 % of the target used"
    assert threshold_words("15m-before") == "15m before due"


def test_warning_message() -> None:
    msg = warning_message(ticket(), timer(), "75%", NOW)
    assert msg.text == "🟠 SLA warning: T-12 first response 1h 10m left — P1 Printer on fire (Acme)"
    lines = msg.blocks[0]["text"]["text"].split("\n")
    assert lines[0] == "🟠 *SLA warning* · first response 1h 10m left"
    assert lines[2] == "*first response*: 1h 10m left · due Mon 10:00 CET · 70 % ▰▰▰▰▰▰▰▱▱▱"
    assert msg.blocks[1]["elements"][0]["text"] == "warned at 75 % of the target used · assigned to <@U1>"
    assert [b[0] for b in buttons(msg.blocks)] == ["Take it", "Resolve", "Explain"]
    assert check_message(msg.text, msg.blocks) == []


def test_late_warning_says_so() -> None:
    msg = warning_message(ticket(), timer(), "15m-before", NOW, late_by=timedelta(minutes=7))
    assert msg.blocks[1]["elements"][0]["text"].endswith("⏱ late by 7m (slabot was catching up)")


def test_breach_message_mentions_the_leads() -> None:
    msg = breach_message(ticket(assignee=None), breached_timer(), NOW, mention="S0LEADS001")
    assert msg.text.startswith("<!subteam^S0LEADS001> 🔴 SLA breached: T-12 first response breached 25m ago")
    assert msg.blocks[0]["text"]["text"].startswith(
        "🔴 <!subteam^S0LEADS001> *SLA breached* · first response of *T-12*"
    )
    assert "unassigned — take it?" in msg.blocks[1]["elements"][0]["text"]
    assert check_message(msg.text, msg.blocks) == []
    same = breach_message(ticket(), breached_timer(), NOW, mention="<!subteam^S0LEADS001>")
    assert same.text.startswith("<!subteam^S0LEADS001> ")


def test_escalation_and_met() -> None:
    esc = escalation_message(ticket(), breached_timer(timedelta(minutes=40)), NOW, level=2, mention="U0BOSS")
    assert esc.text.startswith("<@U0BOSS> 🚨 SLA escalation: T-12 first response breached 40m ago")
    assert "escalation level 2" in esc.blocks[1]["elements"][0]["text"]
    met = met_message(
        ticket(), timer(state=TimerState.MET, stopped_at=NOW, elapsed=timedelta(minutes=42)), NOW
    )
    assert met.blocks[0]["text"]["text"].startswith("✅ *SLA met* · first response met in 42m (target 4h)")
    assert buttons(met.blocks) == []
    for msg in (esc, met):
        assert check_message(msg.text, msg.blocks) == []


def test_digest_merges_and_orders_alerts() -> None:
    items = [
        AlertItem("warning", ticket("T-1"), timer(), threshold="50%"),
        AlertItem("breach", ticket("T-2", assignee=None), breached_timer()),
        AlertItem("escalation", ticket("T-3"), breached_timer(), level=1),
    ]
    msg = digest_message(items, NOW, mention="S0LEADS001")
    assert msg.text == "<!subteam^S0LEADS001> 3 SLA alerts: 1 escalation, 1 breach, 1 warning"
    assert msg.blocks[0]["text"]["text"] == "3 SLA alerts"
    refs = [TicketAction.decode(b["accessory"]["value"]).ticket_ref for b in msg.blocks if "accessory" in b]
    assert refs == ["T-3", "T-2", "T-1"]
    assert msg.blocks[3]["accessory"]["text"]["text"] == "Take it"
    assert "_50 % of the target used_" in msg.blocks[4]["text"]["text"]
    assert check_message(msg.text, msg.blocks) == []


def test_warning_only_digest_does_not_page_the_leads() -> None:
    msg = digest_message(
        [AlertItem("warning", ticket(), timer(), threshold="50%")], NOW, mention="S0LEADS001"
    )
    assert "subteam" not in msg.text
    assert msg.text == "1 SLA alerts: 1 warning"


@settings(max_examples=20, deadline=None)
@given(n=st.integers(min_value=1, max_value=300), title=long_text)
def test_digest_of_any_size_fits(n: int, title: str) -> None:
    items = [AlertItem("breach", ticket(f"T-{i + 1}", title=title), breached_timer()) for i in range(n)]
    msg = digest_message(items, NOW)
    assert check_message(msg.text, msg.blocks) == []
    shown = sum(1 for b in msg.blocks if "accessory" in b)
    if shown < n:
        assert msg.blocks[-1]["elements"][0]["text"].startswith(f"… and {n - shown} more")


# ------------------------------------------------------------------ home


def test_home_view_parts() -> None:
    view = home_view(
        [ticket("T-1")],
        [ticket("T-2", timers=(timer(elapsed=timedelta(hours=3, minutes=30)),))],
        [],
        ["P1 first response: 18/20 met · 90 %", "P2 resolution: 5/5 met · 100 % <great>"],
        now=NOW,
    )
    assert view["type"] == "home"
    assert check_view(view) == []
    all_text = texts(view["blocks"])
    assert "Your open tickets · 1" in all_text
    assert "No breached tickets." in all_text
    assert "🟠 At risk (team) · 1" in all_text
    assert "• P1 first response: 18/20 met · 90 %\n• P2 resolution: 5/5 met · 100 % &lt;great&gt;" in all_text
    assert not any("could not be delivered" in t for t in all_text)
    assert buttons(view["blocks"])[0][:2] == ("Refresh", ActionId.HOME_REFRESH)


def test_home_view_for_admins_shows_delivery_problems() -> None:
    view = home_view([], [], [], [], ["#acme-alerts: not_in_channel"], now=NOW)
    all_text = texts(view["blocks"])
    assert "⚠️ Alerts that could not be delivered" in all_text
    assert "• #acme-alerts: not_in_channel\n_`/sla admin alerts` for details_" in all_text
    assert "All alerts delivered." in texts(home_view([], [], [], [], [], now=NOW)["blocks"])


@settings(max_examples=15, deadline=None)
@given(
    mine=st.integers(0, 200),
    risky=st.integers(0, 200),
    late=st.integers(0, 200),
    lines=st.lists(st.text(max_size=400), max_size=200),
    title=long_text,
)
def test_home_view_stays_within_100_blocks(
    mine: int, risky: int, late: int, lines: list[str], title: str
) -> None:
    make = lambda n, p: [ticket(f"T-{p}{i + 1}", title=title) for i in range(n)]  # noqa: E731
    view = home_view(make(mine, 1), make(risky, 2), make(late, 3), lines, ["x" * 500] * 50, now=NOW)
    assert len(view["blocks"]) <= 100
    assert check_view(view) == []
    more = [t for t in texts(view["blocks"]) if t.startswith("… and ")]
    assert len(more) == sum(1 for n in (mine, risky, late) if n > 25)


# ------------------------------------------------------------------ help


def test_help_message_lists_every_command() -> None:
    blocks = help_message()
    body = "\n".join(texts(blocks))
    for name in COMMAND_NAMES:
        assert re.search(rf"`/sla {name}\b", body), name
    assert check_blocks(blocks) == []


def test_help_for_one_command() -> None:
    blocks = help_message("pause")
    assert texts(blocks)[0] == "/sla pause"
    assert "`/sla pause T-12 waiting for logs`" in texts(blocks)[2]
    assert check_blocks(blocks) == []


def test_usage_error_message_escapes_what_the_user_typed() -> None:
    error = parse("stauts <b>&")
    assert not isinstance(error, (list, dict))
    blocks = usage_error_message(error)  # type: ignore[arg-type]
    assert texts(blocks)[0] == ":thinking_face: I don't know 'stauts' — did you mean 'status'?"
    weird = parse("resolve <b>")
    blocks = usage_error_message(weird)  # type: ignore[arg-type]
    assert "&lt;b&gt;" in texts(blocks)[0]
    assert check_blocks(blocks) == []
