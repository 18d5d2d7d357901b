"""Report blocks: inside Slack's limits however long the report, no line cut, nothing lost."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from handlers.blocks.limits import check_blocks, check_message
from handlers.blocks.reports import (
    burn_alert_message,
    report_ack,
    report_ack_text,
    report_messages,
    report_summary_blocks,
    table_blocks,
)
from sla.summary import Section, Summary


def _summary(breaches: int) -> Summary:
    return Summary(
        "SLA summary — 2026-W47 (Mon 16 Nov – Sun 22 Nov 2026, UTC)",
        [
            Section(
                "Compliance",
                ("All: 86 % met (6/7)", "acme P1 first response: 50 % ▼ -50 pp · 1 met, 1 breached"),
            ),
            Section(
                "Top breaches",
                tuple(
                    f"<https://slack.com/archives/C0ACME0001/p17633700000{i:05d}|T-{i}> acme P1 first response: {i}m late"
                    for i in range(breaches)
                ),
            ),
            Section("At risk now", ("Nothing close to breaching.",)),
        ],
    )


def _table(rows: int) -> list[str]:
    return [
        "client  prio  metric",
        "------  ----  ------",
        *(f"client-{i:04d}  P{i % 4 + 1}  resolution  {i}" for i in range(rows)),
    ]


def test_a_short_report_is_one_message_with_header_sections_table_and_footer() -> None:
    [message] = report_messages(_summary(2), _table(3), footer="Generated Mon 23 Nov")
    assert check_message(message.text, message.blocks) == []
    assert message.blocks[0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": _summary(2).title, "emoji": True},
    }
    texts = [b.get("text", {}).get("text", "") for b in message.blocks]
    assert any(
        t.startswith("*Top breaches*\n<https://slack.com/archives/C0ACME0001/p1763370000000000|T-0>")
        for t in texts
    )
    assert any(t.startswith("```\nclient  prio  metric\n") and t.endswith("\n```") for t in texts)
    assert message.blocks[-1]["type"] == "context"


@settings(max_examples=25, deadline=None)
@given(breaches=st.integers(0, 600), rows=st.integers(0, 1500))
def test_any_size_stays_inside_the_limits_and_keeps_every_line(breaches: int, rows: int) -> None:
    messages = report_messages(_summary(breaches), _table(rows), footer="footer")
    for message in messages:
        assert check_message(message.text, message.blocks) == []
        assert len(message.blocks) <= 50
    body = "\n".join(b["text"]["text"] for m in messages for b in m.blocks if b["type"] == "section")
    assert body.count(" late") == breaches  # no breach line lost or cut
    assert body.count("resolution  ") == rows
    assert messages[0].blocks[0]["type"] == "header"
    if len(messages) > 1:
        assert "continued" in messages[1].text


def test_table_blocks_pack_whole_rows() -> None:
    blocks = table_blocks(_table(400))
    assert len(blocks) > 1 and check_blocks(blocks) == []
    rows = [line for b in blocks for line in b["text"]["text"].split("\n") if line.startswith("client-")]
    assert rows == _table(400)[2:]


def test_the_ephemeral_summary_is_short() -> None:
    blocks = report_summary_blocks(_summary(40), posted_in="C0MANAGERS")
    assert check_blocks(blocks) == []
    breaches = blocks[2]["text"]["text"]
    assert breaches.count(" late") == 8 and breaches.endswith("… and 32 more")
    assert blocks[-1]["elements"][0]["text"] == (
        "The full report with the chart and the CSV is posted in <#C0MANAGERS>."
    )


def test_the_ack_says_where_the_report_goes() -> None:
    assert "posted in <#C0SUPPORT1>" in json.dumps(report_ack("2026-W47", "C0SUPPORT1"))
    assert "posted in a direct message to you" in json.dumps(report_ack("2026-W47", "U0AGENT001"))
    assert report_ack_text("Acme Corp, 2026-11", "C0SUPPORT1") == (
        "Building the SLA report for Acme Corp, 2026-11; it will be posted in #C0SUPPORT1."
    )
    assert check_blocks(report_ack("a <b> & c", None)) == []


def test_the_burn_alert_mentions_the_lead_and_escapes_text() -> None:
    message = burn_alert_message("Acme <Corp> & co — Objective at risk", lead="U0LEAD0001")
    assert check_message(message.text, message.blocks) == []
    assert (
        message.blocks[0]["text"]["text"]
        == ":fire: <@U0LEAD0001> Acme &lt;Corp&gt; &amp; co — Objective at risk"
    )
