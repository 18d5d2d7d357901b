"""Block Kit of the SLA review surfaces, checked against Slack's limits and on the text of specific
blocks; the feature's CLI and job wiring."""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.services.reviews import DraftView
from handlers.blocks.limits import check_blocks
from handlers.blocks.reviews import (
    approved_message,
    code_sections,
    draft_message,
    reminder_message,
    review_message,
    review_text,
)
from handlers.ids import ActionId, ReviewAction, ReviewPropose
from sla.contracts import load_contracts
from sla.periods import parse_period
from sla.review import draft_revision, review

ROOT = Path(__file__).resolve().parents[2]
Q3 = parse_period("2026-Q3", now=datetime(2026, 10, 5, tzinfo=UTC), tz="Europe/Berlin")


class Row:
    def __init__(self, i: int, state: str, seconds: int, breached_at: datetime | None = None) -> None:
        self.ticket_id, self.client, self.priority, self.metric = f"T-{i}", "acme", "P2", "first_response"
        self.cycle, self.target_seconds, self.state = 1, 2700, state
        self.business_elapsed_seconds, self.paused_seconds = seconds, 0
        self.started_at = datetime(2026, 7, 7, 8, tzinfo=UTC)
        self.stopped_at, self.breached_at = datetime(2026, 7, 7, 9, tzinfo=UTC), breached_at


def rows() -> list[Row]:
    at = datetime(2026, 7, 7, 8, 45, tzinfo=UTC)
    return [Row(i, "met", 1200 + 600 * i) for i in range(3)] + [
        Row(10 + i, "breached", 3600 + 600 * i, at + timedelta(weeks=i)) for i in range(3)
    ]


def a_review() -> Any:
    book = load_contracts(ROOT / "examples" / "contracts.yaml")
    return review("acme", book.version_for("acme", Q3.start), rows(), {"csat": 70, "responses": 12}, None, Q3)


def view(**changes: Any) -> DraftView:
    book = load_contracts(ROOT / "examples" / "contracts.yaml")
    rev = draft_revision(
        book, "gold", {"P2": {"first_response": timedelta(hours=2)}}, effective=date(2027, 1, 1)
    )
    base = DraftView(
        id=42,
        client_key="acme",
        client_name="Acme Corp",
        contract_key="gold",
        period_label="2026-Q3",
        base_number=2,
        new_number=3,
        effective=date(2027, 1, 1),
        state="draft",
        changes=["P2 first response: 45m → 2h"],
        diff=rev.diff,
        dry_run=["P2 first response: 50.0 % → 100.0 % (+50.0 pp), breaches 3 → 0"],
        version_yaml=rev.version_yaml,
        created_by="U0AGENT001",
        contract_file="examples/contracts.yaml",
    )
    return replace(base, **changes)


def test_review_message_within_limits_with_the_propose_button() -> None:
    r = a_review()
    blocks = review_message(r, client_name="Acme <Corp>", tickets=6, can_propose=True)
    assert check_blocks(blocks) == []
    text = json.dumps(blocks, ensure_ascii=False)
    assert "*P2 first response* — target 45m · met 50 % (3/6) · median 50m · p90 1h 15m :warning:" in text
    assert "CSAT 70 % (12 responses)" in text
    # Slack decodes &amp; &lt; &gt; in every text object, plain_text included ("Formatting text for app
    # surfaces"), so escaped plain text reads as typed
    assert blocks[0]["text"]["text"] == "SLA review — Acme &lt;Corp&gt;, 2026-Q3"
    button = blocks[-1]["elements"][0]
    assert button["action_id"] == ActionId.REVIEW_PROPOSE
    assert ReviewPropose.decode(button["value"]).quarter == "2026-Q3"
    assert not any(
        b["type"] == "actions" for b in review_message(r, client_name="A", tickets=6, can_propose=False)
    )
    assert "6 ticket(s) opened in 2026-Q3" in review_text(r, tickets=6)


def test_draft_message_shows_diff_and_dry_run_and_only_admins_get_buttons() -> None:
    blocks = draft_message(view())
    assert check_blocks(blocks) == []
    text = json.dumps(blocks, ensure_ascii=False)
    assert "gold v2 → v3" in text and "+    first_response: 2h" in text and "breaches 3 → 0" in text
    buttons = blocks[-1]["elements"]
    assert [b["action_id"] for b in buttons] == [ActionId.REVIEW_APPROVE, ActionId.REVIEW_REJECT]
    assert {ReviewAction.decode(b["value"]).review_id for b in buttons} == {"42"}
    assert "confirm" in buttons[0]
    assert not any(b["type"] == "actions" for b in draft_message(view(), decidable=False))
    assert not any(b["type"] == "actions" for b in draft_message(view(state="approved")))


def test_approved_message_splits_a_long_version_yaml() -> None:
    v = view(version_yaml=view().version_yaml * 6)  # ~12,000 characters of YAML
    blocks = approved_message(v)
    assert check_blocks(blocks) == []
    assert len(blocks) > 3
    code = "".join(b["text"]["text"] for b in blocks[1:])
    assert code.count("effective: 2027-01-01") == 6
    assert "source of truth" in blocks[0]["text"]["text"]


@pytest.mark.parametrize("size", [0, 1, 2_900, 10_000])
def test_code_sections_stay_within_a_section(size: int) -> None:
    text = "\n".join(f"line {i} <&>" for i in range(size // 12))
    blocks = code_sections("YAML", text)
    assert check_blocks(blocks) == []
    assert all(b["text"]["text"].count("```") == 2 for b in blocks)
    joined = "\n".join(b["text"]["text"].split("```")[1] for b in blocks)
    assert joined.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&").strip() == (
        text.strip() or ""
    )


def test_reminder_message() -> None:
    m = reminder_message("Acme & Co", "acme", "quarterly", "2026-Q3")
    assert "`/sla review acme 2026-Q3`" in m.text
    assert check_blocks(m.blocks) == []
    assert "Acme &amp; Co" in m.blocks[0]["text"]["text"]
    assert "`/sla review acme`" in reminder_message("Acme", "acme", "monthly", "2026-09").text


def test_cli_parser_and_job_wiring() -> None:
    from bot import features
    from bot.cli import build_parser
    from bot.features import reviews as feature

    args = build_parser().parse_args(["review", "acme", "--quarter", "2026-Q3", "--approve", "7"])
    assert (args.client, args.quarter, args.approve, args.propose) == ("acme", "2026-Q3", 7, False)
    with pytest.raises(SystemExit):
        build_parser().parse_args(["review", "acme", "--propose", "--approve", "7"])
    assert feature in list(features.modules())

    class FakeService:
        def __init__(self) -> None:
            self.calls: list[tuple[str, dict[str, Any]]] = []

        def approve(self, **kw: Any) -> DraftView:
            self.calls.append(("approve", kw))
            return view(state="approved")

    out: list[str] = []
    svc = FakeService()
    ns = argparse.Namespace(
        client="acme", quarter=None, propose=False, approve=42, discard=None, team="T1", user=None
    )
    errors: list[str] = []
    # without --by the terminal does not know who approves: refused before the service is asked
    assert feature.run_cli(svc, ns, out.append, errors.append) == 2  # type: ignore[arg-type]
    assert svc.calls == [] and out == [] and len(errors) == 1 and "--by" in errors[0]
    ns.user = "U0ADMIN001"
    assert feature.run_cli(svc, ns, out.append) == 0  # type: ignore[arg-type]
    assert svc.calls == [("approve", {"team_id": "T1", "draft_id": 42, "actor": "U0ADMIN001", "via": "cli"})]
    assert out[0].startswith("Approved: gold v3 (from 2027-01-01)") and "- effective: 2027-01-01" in out[0]
