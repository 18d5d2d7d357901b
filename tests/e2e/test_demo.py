"""``slabot demo``: the README's first command. The scripted day runs against the real app and the
Slack emulator, checks itself, prints a readable conversation and (with ``--transcript``) writes
every Web API call as JSON lines."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from datetime import time
from pathlib import Path

import pytest
from matplotlib.figure import Figure

from bot.demo.play import DemoResult, run_demo
from bot.demo.script import Step, feature_installed, nothing
from bot.demo.transcript import render_blocks, render_mrkdwn
from bot.reports import chart
from tests.bot.test_chart import truth_problems

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


DEMO_FIGURES: list[tuple[Figure, str]] = []
"""Every compliance chart the demo drew (figure, title), for the chart's truth checks."""


@pytest.fixture(scope="module")
def played(tmp_path_factory: pytest.TempPathFactory) -> tuple[DemoResult, str, Path]:
    out_dir = tmp_path_factory.mktemp("demo")
    printed = io.StringIO()
    draw = chart.compliance_figure

    def recording(*args: object, **kwargs: object) -> Figure:
        fig = draw(*args, **kwargs)  # type: ignore[arg-type]
        DEMO_FIGURES.append((fig, str(args[1] if len(args) > 1 else kwargs.get("title"))))
        return fig

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(chart, "compliance_figure", recording)
        result = run_demo(out_dir=out_dir, speed="instant", out=printed)
    return result, printed.getvalue(), out_dir


def test_the_day_plays_and_checks_itself(played: tuple[DemoResult, str, Path]) -> None:
    result, printed, _ = played
    assert result.ok, printed[-3000:]
    assert result.failures == []
    assert "Demo finished" in printed and "every step did what it should" in printed
    assert result.seconds > 0  # how long it takes is the README's claim to measure, not a test's


def test_the_breach_is_announced_once_with_its_escalation(played: tuple[DemoResult, str, Path]) -> None:
    _, printed, _ = played
    breaches = [line for line in printed.splitlines() if "SLA breached" in line]
    assert len(breaches) == 1, breaches
    assert "first response of T-2" in breaches[0] and "@support-leads" in breaches[0]
    assert sum("SLA escalation" in line and "@Maya" in line for line in printed.splitlines()) == 1
    assert printed.count("SLA warning · first response") >= 4  # countdown warnings before the breach


def test_the_conversation_reads_like_slack(played: tuple[DemoResult, str, Path]) -> None:
    _, printed, out_dir = played
    lines = printed.splitlines()
    # channel and thread headers, display names instead of user ids, and no raw mrkdwn mentions
    assert "  #acme-support" in lines
    assert any(line.startswith("  #acme-support › thread “Our dashboard is down") for line in lines)
    assert any("Wile: Our dashboard is down for everyone" in line for line in lines)
    assert "U0AGENT001" not in printed and "U0ACME0001" not in printed
    # ephemeral answers are marked, updated messages shown as updates, clicks and reactions shown
    assert "slabot → Ana (only visible to you)" in printed
    assert "slabot ✎ updated its message" in printed
    assert "Ben clicked: [Take it]" in printed and "Ana reacted: ✅" in printed
    assert "⏸ Paused by @Ben" in printed and "▶️ Resumed by @Roadrunner: the client replied" in printed
    assert "▶️ Resumed by @Chloé" in printed  # Bronze does not resume on a client's reply
    assert (
        "Wile: thanks! 🙏" in printed
        and "🚫 Not a ticket: T-5 dismissed by @Ana: marked on the card" in printed
    )
    assert "Priority P2 → P1 by @Ben" in printed
    # grouped by time: every step has a heading, in order
    headings = [line for line in lines if line.startswith("━━ ")]
    assert len(headings) >= 15
    assert (out_dir / "conversation.txt").read_text(encoding="utf-8").strip() in printed


@pytest.mark.skipif(not feature_installed("feedback"), reason="surveys are not in this build")
def test_the_survey_is_answered_with_a_comment_and_its_sentiment(
    played: tuple[DemoResult, str, Path],
) -> None:
    result, printed, _ = played
    assert any(n.startswith("survey on T-1: 4/5") and "sentiment" in n for n in result.notes), result.notes
    assert "Wile clicked: [4" in printed and "Quick fix, thanks!" in printed


def test_the_weekly_chart_is_saved(played: tuple[DemoResult, str, Path]) -> None:
    result, printed, out_dir = played
    charts = [p for p in result.saved if p.suffix == ".png"]
    assert charts and all(p.parent == out_dir for p in charts)
    assert charts[0].read_bytes().startswith(b"\x89PNG\r\n\x1a\n")

    if feature_installed("reports"):
        assert "  #sla-reports" in printed
        assert "2026-W10" in printed


def test_the_demo_week_chart_tells_the_truth(played: tuple[DemoResult, str, Path]) -> None:
    """The chart of the demo's week, as the weekly summary drew it: no line over days without data,
    every priority visible, the target, tickets per day, legends outside, "Mon 2", the caption."""
    assert DEMO_FIGURES, "the demo drew no compliance chart"
    fig, title = DEMO_FIGURES[-1]
    assert "2026-W10" in title
    assert (
        truth_problems(fig, caption_words=("2026-W10", "Mon 2 Mar 2026", "Sun 8 Mar 2026", "Europe/Berlin"))
        == []
    )
    labels = [t.get_text() for t in fig.axes[1].get_xticklabels()]
    assert labels == ["Mon 2", "Tue 3", "Wed 4", "Thu 5", "Fri 6", "Sat 7", "Sun 8"]


def test_a_failed_expectation_stops_the_demo_with_a_clear_message(tmp_path: Path) -> None:
    script = [
        Step(
            time(9, 5), "a step that cannot pass", nothing, (lambda world, scene: "the moon is not cheese",)
        ),
        Step(time(9, 6), "never reached", nothing),
    ]
    printed = io.StringIO()
    result = run_demo(out_dir=tmp_path, speed="instant", out=printed, script=script)
    assert not result.ok
    assert result.failures == ["a step that cannot pass: the moon is not cheese"]
    assert "Demo FAILED" in printed.getvalue() and "never reached" not in printed.getvalue()


def test_slabot_demo_writes_every_web_api_call_as_json_lines(tmp_path: Path) -> None:
    transcript = tmp_path / "calls.jsonl"
    script = Path(sys.executable).with_name("slabot")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "bot.cli"]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "SLABOT_", "DATABASE_URL"))}
    done = subprocess.run(
        [*command, "demo", "--speed", "instant", "--transcript", str(transcript), "--out-dir", str(tmp_path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    calls = [json.loads(line) for line in transcript.read_text(encoding="utf-8").splitlines()]
    assert len(calls) > 50
    assert all({"method", "args", "response", "time"} <= set(c) for c in calls)
    # a breach updates its timer's warning message (one alert message per ticket and target)
    posts = [c for c in calls if c["method"] in ("chat.postMessage", "chat.update") and c["response"]["ok"]]
    breaches = [c["args"].get("text", "") for c in posts if "SLA breached" in c["args"].get("text", "")]
    assert sum("SLA breached: T-2 first response" in text for text in breaches) == 1, breaches
    assert len(breaches) == 2  # Monday's T-2 and Wednesday's credit-note PDFs (the fast-forwarded week)
    assert {"chat.update", "conversations.history"} & {c["method"] for c in calls}
    assert "Demo finished" in done.stdout and str(transcript) in done.stdout


def test_mrkdwn_and_blocks_render_as_plain_text() -> None:
    names = {"U1": "Ana", "C1": "acme-support", "S1": "leads"}.get
    text = render_mrkdwn(
        "*T-1* for <@U1> in <#C1> cc <!subteam^S1> <https://x.example|the doc> :white_check_mark: &lt;ok&gt;",
        lambda u: names(u) or u,
        lambda c: names(c) or c,
        lambda g: names(g) or g,
    )
    assert text == "T-1 for @Ana in #acme-support cc @leads the doc ✅ <ok>"
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": "Open tickets"}},
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": "line"},
            "fields": [{"type": "mrkdwn", "text": "a"}],
        },
        {
            "type": "actions",
            "elements": [{"type": "button", "text": {"type": "plain_text", "text": "Take it"}}],
        },
    ]
    assert render_blocks(blocks, "fallback", str) == ["OPEN TICKETS", "line", "a", "[Take it]"]
    assert render_blocks([], "only *text*", str) == ["only *text*"]
