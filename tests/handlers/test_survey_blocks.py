"""handlers.blocks.surveys: the survey, its modal, the reminder, NPS, the lead's alert, /sla feedback."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from handlers.blocks.limits import check_message, check_view
from handlers.blocks.surveys import (
    comment_modal,
    feedback_report,
    negative_alert,
    nps_message,
    read_comment,
    survey_message,
    survey_reminder,
)
from handlers.ids import NpsRating, SurveyRating, SurveyRef
from sla.feedback import FeedbackFigures, NegativeComment

CLOSES = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
BERLIN = ZoneInfo("Europe/Berlin")


def _buttons(blocks: list[dict]) -> list[dict]:
    return [e for b in blocks if b["type"] == "actions" for e in b["elements"]]


def _survey(**kw: object) -> tuple[str, list[dict]]:
    args: dict = {
        "survey_ref": "17",
        "ref": "T-12",
        "title": "Exports failing",
        "requester": "U0ACME0001",
        "scale": "1-5",
        "closes_at": CLOSES,
        "tz": BERLIN,
    }
    args.update(kw)
    message = survey_message(**args)
    return message.text, message.blocks


def test_a_new_survey_asks_the_requester_with_five_buttons_and_a_comment_button() -> None:
    text, blocks = _survey()
    assert check_message(text, blocks) == []
    assert "<@U0ACME0001>" in json.dumps(blocks) and "How did we do?" in json.dumps(blocks)
    buttons = _buttons(blocks)
    rates = [b for b in buttons if b["action_id"].startswith("survey_rate_")]
    assert [b["action_id"] for b in rates] == [f"survey_rate_{n}" for n in range(1, 6)]
    assert [SurveyRating.decode(b["value"]).rating for b in rates] == ["1", "2", "3", "4", "5"]
    assert all(SurveyRating.decode(b["value"]).survey_id == "17" for b in rates)
    assert not any("style" in b for b in rates)
    comment = next(b for b in buttons if b["action_id"] == "survey_comment")
    assert SurveyRef.decode(comment["value"]).survey_id == "17"
    assert "Tue 1 Dec 10:00 (Europe/Berlin)" in json.dumps(blocks)


def test_after_an_answer_the_message_thanks_and_marks_the_choice() -> None:
    text, blocks = _survey(rating=2, comment="Too slow <script>")
    assert "Thank you" in text and check_message(text, blocks) == []
    dumped = json.dumps(blocks)
    assert "2/5" in dumped and "&lt;script&gt;" in dumped and "Edit your comment" in dumped
    styled = [b["action_id"] for b in _buttons(blocks) if b.get("style") == "primary"]
    assert styled == ["survey_rate_2"]


def test_good_bad_scale_has_two_buttons() -> None:
    text, blocks = _survey(scale="good-bad", rating=5)
    rates = [b for b in _buttons(blocks) if b["action_id"].startswith("survey_rate_")]
    assert [b["action_id"] for b in rates] == ["survey_rate_good", "survey_rate_bad"]
    assert [b["action_id"] for b in rates if b.get("style")] == ["survey_rate_good"]
    assert "*good*" in json.dumps(blocks)


def test_comment_modal_carries_only_the_survey_reference_and_reads_back() -> None:
    view = comment_modal(survey_ref="17", ref="T-12", initial="before")
    assert check_view(view) == []
    assert SurveyRef.decode(view["private_metadata"]).survey_id == "17"
    assert view["blocks"][0]["element"]["initial_value"] == "before"
    values = {"comment": {"comment_text": {"type": "plain_text_input", "value": "  it was fine  "}}}
    assert read_comment(values) == "it was fine"
    assert read_comment({}) == "" and read_comment({"comment": {"comment_text": {"value": None}}}) == ""
    assert check_view(comment_modal(survey_ref="acme__2026-Q4", ref="2026-Q4", nps=True)) == []


def test_reminder_and_negative_alert() -> None:
    reminder = survey_reminder(ref="T-12", requester="U0ACME0001", closes_at=CLOSES, tz=BERLIN)
    assert check_message(reminder.text, reminder.blocks) == [] and "reminder" in reminder.text.lower()
    alert = negative_alert(
        ref="T-12",
        link="https://slack.com/archives/C1/p123",
        client_name="Acme & Co",
        lead="U0LEAD0001",
        rating="2/5",
        comment="Nobody answered *for days*",
        sentiment="negative",
        sla="breached: resolution over by 2h",
    )
    dumped = json.dumps(alert.blocks)
    assert check_message(alert.text, alert.blocks) == []
    assert "<https://slack.com/archives/C1/p123|T-12>" in dumped and "<@U0LEAD0001>" in dumped
    assert "Acme &amp; Co" in dumped and "over by 2h" in dumped and "(negative)" in dumped
    assert "Complaint:" not in dumped  # no complaint given: nothing more to quote


def test_a_mixed_comment_reaches_the_lead_with_its_complaint_quoted_and_escaped() -> None:
    comment = "Quick fix, thanks! But the status page said nothing for <!channel> twenty minutes."
    alert = negative_alert(
        ref="T-1",
        link=None,
        client_name="Acme",
        lead="U0LEAD0001",
        rating="4/5",
        comment=comment,
        sentiment="mixed",
        sla="met: first response with 12m to spare",
        complaint="the status page said nothing for <!channel> twenty minutes",
    )
    dumped = json.dumps(alert.blocks, ensure_ascii=False)
    assert check_message(alert.text, alert.blocks) == []
    assert "Mixed feedback from Acme on *T-1*: rated *4/5*" in dumped
    assert "Complaint: \u201cthe status page said nothing for &lt;!channel&gt; twenty minutes\u201d" in dumped
    assert "<!channel>" not in dumped and "<!channel>" not in alert.text  # no live mention anywhere
    assert alert.text.startswith("Mixed feedback from Acme on T-1 (4/5): \u201cthe status page")
    # a one-clause complaint is the comment itself: quoted once
    single = negative_alert(
        ref="T-2",
        link=None,
        client_name="Acme",
        lead=None,
        rating="no rating",
        comment="Still broken.",
        sentiment="negative",
        sla="met",
        complaint="Still broken",
    )
    assert "Complaint:" not in json.dumps(single.blocks)


def test_nps_message_has_eleven_buttons_with_typed_values() -> None:
    message = nps_message(
        survey_ref="acme__2026-Q4", client_name="Acme", contact="U0ACME0001", period="2026-Q4"
    )
    assert check_message(message.text, message.blocks) == []
    rates = [b for b in _buttons(message.blocks) if b["action_id"].startswith("nps_rate_")]
    assert [NpsRating.decode(b["value"]).score for b in rates] == list(range(11))
    answered = nps_message(
        survey_ref="acme__2026-Q4", client_name="Acme", contact="U1", period="2026-Q4", score=7
    )
    assert [b["action_id"] for b in _buttons(answered.blocks) if b.get("style")] == ["nps_rate_7"]


@settings(max_examples=50, deadline=None)
@given(st.text(max_size=5000), st.text(max_size=300), st.sampled_from(["1-5", "good-bad"]))
def test_any_title_or_comment_stays_within_slack_limits(comment: str, title: str, scale: str) -> None:
    text, blocks = _survey(title=title, comment=comment or None, rating=1, scale=scale)
    assert check_message(text, blocks) == []


def test_feedback_report_lists_figures_and_the_most_negative_comments() -> None:
    figures = FeedbackFigures(
        sent=4,
        responses=3,
        good=2,
        bad=1,
        average_rating=3.67,
        csat=66.7,
        response_rate=75.0,
        split={"positive": 1, "neutral": 0, "negative": 1},
        most_negative=(NegativeComment("T-3", "acme", "far too slow", -0.7, 1),),
        csat_met=100.0,
        csat_breached=0.0,
        rated_met=2,
        rated_breached=1,
        nps=25.0,
        nps_responses=4,
        promoters=2,
        passives=1,
        detractors=1,
    )
    message = feedback_report("Feedback — Acme, 2026-11", figures)
    assert check_message(message.text, message.blocks) == []
    assert "CSAT 67 % (2 good, 1 not), average rating 3.7/5" in message.text
    assert "Response rate 75 % (3 of 4 surveys answered)" in message.text
    assert "NPS +25" in message.text and "met 100 %" in message.text and "breached 0 %" in message.text
    assert "T-3: far too slow" in message.text
    empty = feedback_report("Feedback", FeedbackFigures())
    assert "No surveys were sent" in json.dumps(empty.blocks) and "CSAT —" in empty.text
