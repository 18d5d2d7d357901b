"""Feedback surveys: the CSAT survey after resolution, its comment modal, the reminder, the NPS
question, the lead's alert on negative feedback and ``/sla feedback``.

Pure functions of plain values. Button values carry only an opaque survey reference
(:class:`~handlers.ids.SurveyRating`, :class:`~handlers.ids.NpsRating`): the server looks the
survey up again and checks the message and the person before it believes anything.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from handlers.blocks import Block, Message, actions, button, context, escape, header, mention, plain, section
from handlers.blocks.limits import LABEL_MAX, MODAL_TITLE_MAX, truncate_text
from handlers.ids import ActionId, BlockId, CallbackId, NpsRating, SurveyRating, SurveyRef, indexed
from sla.feedback import FeedbackFigures, choices, rating_words

COMMENT_MAX = 2000
_SAFE_LINK = re.compile(r"https://[^\s<>|]+")
_CHOICE_TEXT = {"good": "👍 Good", "bad": "👎 Bad"}
_STARS = {"1": "1 😞", "2": "2 🙁", "3": "3 😐", "4": "4 🙂", "5": "5 😀"}


def _day(at: datetime, tz: ZoneInfo) -> str:
    local = at.astimezone(tz)
    return f"{local:%a} {local.day} {local:%b} {local:%H:%M} ({tz.key})"


def _rating_buttons(survey_ref: str, scale: str, chosen: str | None) -> Block:
    elements = []
    for choice in choices(scale):  # type: ignore[arg-type]
        value = SurveyRating(survey_id=survey_ref, rating=choice).encode()
        text = _CHOICE_TEXT.get(choice) or _STARS[choice]
        style = "primary" if choice == chosen else None
        elements.append(button(text, indexed(ActionId.SURVEY_RATE, choice), value=value, style=style))
    return actions(elements, block_id=BlockId.SURVEY_RATING.value)


def survey_message(
    *,
    survey_ref: str,
    ref: str,
    title: str,
    requester: str | None,
    scale: str,
    closes_at: datetime,
    tz: ZoneInfo,
    rating: int | None = None,
    comment: str | None = None,
) -> Message:
    """The survey, as first posted (no answer yet) and after each answer (thank-you, still changeable)."""
    about = f"*{escape(ref)}*" + (f" — {escape(title)}" if title else "")
    chosen = None
    if rating is not None:
        chosen = ("good" if rating >= 4 else "bad") if scale == "good-bad" else str(rating)
    answered = rating is not None or bool(comment)
    if not answered:
        question = "How did we do?" if scale == "1-5" else "Were you satisfied with how we handled it?"
        intro = f"{mention(requester)} {about} is resolved. {question}".strip()
        text = f"{escape(ref)} is resolved. How did we do? Rate it from the message."
    else:
        got = f"you rated it *{rating_words(rating, scale)}*" if rating is not None else "you left a comment"
        intro = f"Thank you{', ' + mention(requester) if requester else ''}! For {about} {got}."
        text = f"Thank you for your feedback on {escape(ref)}."
    blocks: list[Block] = [section(intro), _rating_buttons(survey_ref, scale, chosen)]
    if comment:
        blocks.append(section(f"_Your comment:_ {escape(truncate_text(comment, 500))}"))
    comment_label = "Edit your comment" if comment else "Add a comment"
    blocks.append(
        actions(
            [button(comment_label, ActionId.SURVEY_COMMENT, value=SurveyRef(survey_id=survey_ref).encode())],
            block_id=f"{BlockId.SURVEY_RATING.value}_comment",
        )
    )
    change = "You can change your answer" if answered else "The survey is open"
    blocks.append(context(f"{change} until {_day(closes_at, tz)}."))
    return Message(text=text, blocks=blocks)


def survey_reminder(*, ref: str, requester: str | None, closes_at: datetime, tz: ZoneInfo) -> Message:
    who = f"{mention(requester)} " if requester else ""
    text = (
        f"{who}a gentle reminder: the short survey about *{escape(ref)}* above is open until "
        f"{_day(closes_at, tz)}. One click is enough."
    )
    return Message(text=f"Reminder: the survey about {escape(ref)} is still open.", blocks=[section(text)])


def comment_modal(
    *, survey_ref: str, ref: str, initial: str | None = None, nps: bool = False
) -> dict[str, Any]:
    """``views.open`` payload for "Add a comment" (``private_metadata``: the survey reference only)."""
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": ActionId.COMMENT_TEXT.value,
        "multiline": True,
        "max_length": COMMENT_MAX,
        "placeholder": plain("What went well, what could we do better?"),
    }
    if initial:
        element["initial_value"] = truncate_text(initial, COMMENT_MAX)
    label = "Anything you would like to tell us?" if nps else f"Your comment on {escape(ref)}"
    return {
        "type": "modal",
        "callback_id": (CallbackId.NPS_COMMENT_MODAL if nps else CallbackId.SURVEY_COMMENT_MODAL).value,
        "private_metadata": SurveyRef(survey_id=survey_ref).encode(),
        "title": plain("Your feedback", MODAL_TITLE_MAX),
        "submit": plain("Send"),
        "close": plain("Cancel"),
        "blocks": [
            {
                "type": "input",
                "block_id": BlockId.COMMENT.value,
                "label": plain(label, LABEL_MAX),
                "element": element,
            }
        ],
    }


def read_comment(values: Mapping[str, Any]) -> str:
    """The comment typed in :func:`comment_modal` (``view.state.values``), stripped; ``""`` if none."""
    block = values.get(BlockId.COMMENT.value) or {}
    field = block.get(ActionId.COMMENT_TEXT.value) or {}
    value = field.get("value") if isinstance(field, Mapping) else None
    return value.strip()[:COMMENT_MAX] if isinstance(value, str) else ""


def negative_alert(
    *,
    ref: str,
    link: str | None,
    client_name: str,
    lead: str | None,
    rating: str,
    comment: str | None,
    sentiment: str | None,
    sla: str,
    complaint: str | None = None,
) -> Message:
    """To the lead in the alert channel: a client was unhappy with a ticket (a low rating, or a negative
    or mixed comment, with the part that reads as a complaint quoted), and how its SLA went."""
    name = f"<{link}|{escape(ref)}>" if link and _SAFE_LINK.fullmatch(link) else f"*{escape(ref)}*"
    who = f"{mention(lead)} " if lead else ""
    kind = "Mixed" if sentiment == "mixed" else "Negative"
    lines = [
        f":warning: {who}{kind} feedback from {escape(client_name)} on {name}: rated *{escape(rating)}*."
    ]
    flat = " ".join(comment.split()) if comment else ""
    if comment:
        mood = f" ({escape(sentiment)})" if sentiment else ""
        lines.append(f"“{escape(truncate_text(flat, 600))}”{mood}")
    clause = " ".join(complaint.split()) if complaint else ""
    if clause and clause != flat.rstrip(".!?"):
        lines.append(f"Complaint: “{escape(truncate_text(clause, 300))}”")
    lines.append(f"SLA: {escape(sla)}")
    about = f": “{truncate_text(clause, 120)}”" if clause else ""
    return Message(
        text=escape(f"{kind} feedback from {client_name} on {ref} ({rating}){about}"),
        blocks=[section("\n".join(lines))],
    )


def nps_message(
    *, survey_ref: str, client_name: str, contact: str, period: str, score: int | None = None
) -> Message:
    """The relationship survey (0–10), as first sent and after an answer (still changeable)."""
    if score is None:
        intro = (
            f"Hi {mention(contact)}, a quick question for {escape(period)}: how likely are you to recommend "
            f"our support to a colleague? (0 = not at all, 10 = extremely likely)"
        )
        text = "How likely are you to recommend our support? (0–10)"
    else:
        intro = f"Thank you, {mention(contact)}! You answered *{score}*. You can change it or add a comment."
        text = f"Thank you for your answer ({score})."
    elements = [
        button(
            str(n),
            indexed(ActionId.NPS_RATE, n),
            value=NpsRating(survey_id=survey_ref, score=n).encode(),
            style="primary" if n == score else None,
        )
        for n in range(11)
    ]
    blocks = [
        section(intro),
        actions(elements, block_id=BlockId.NPS_RATING.value),
        actions(
            [button("Add a comment", ActionId.NPS_COMMENT, value=SurveyRef(survey_id=survey_ref).encode())],
            block_id=f"{BlockId.NPS_RATING.value}_comment",
        ),
        context(f"For {escape(client_name)}; only your account team sees the answers."),
    ]
    return Message(text=text, blocks=blocks)


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f} %"


def feedback_lines(figures: FeedbackFigures) -> list[str]:
    f = figures
    lines = [
        f"CSAT {_pct(f.csat)} ({f.good} good, {f.bad} not)"
        + (f", average rating {f.average_rating:.1f}/5" if f.average_rating is not None else ""),
        f"Response rate {_pct(f.response_rate)} ({f.responses} of {f.sent} surveys answered)",
        "NPS "
        + ("—" if f.nps is None else f"{f.nps:+.0f}")
        + f" ({f.nps_responses} answers: {f.promoters} promoters, {f.passives} passives, {f.detractors} detractors)",
        f"Comments: {f.split.get('positive', 0)} positive, {f.split.get('neutral', 0)} neutral, "
        f"{f.split.get('mixed', 0)} mixed, {f.split.get('negative', 0)} negative",
        f"CSAT when the SLA was met {_pct(f.csat_met)} ({f.rated_met} rated), "
        f"when breached {_pct(f.csat_breached)} ({f.rated_breached} rated)",
    ]
    return lines


def feedback_report(title: str, figures: FeedbackFigures) -> Message:
    """``/sla feedback``: the figures, then the most negative comments."""
    lines = feedback_lines(figures)
    blocks: list[Block] = [header(escape(title)), section("\n".join(f"• {escape(line)}" for line in lines))]
    text_lines = [title, *lines]
    if figures.most_negative:
        quoted = [
            f"*{escape(c.ticket_ref)}* ({c.polarity:+.2f}): {escape(truncate_text(' '.join(c.comment.split()), 300))}"
            for c in figures.most_negative
        ]
        blocks.append(section("*Most negative comments*\n" + "\n".join(quoted)))
        text_lines += [
            "Most negative comments:",
            *(f"{c.ticket_ref}: {c.comment}" for c in figures.most_negative),
        ]
    if figures.sent == 0 and figures.nps_responses == 0:
        blocks.append(context("No surveys were sent in this period."))
        text_lines.append("No surveys were sent in this period.")
    return Message(text=escape("\n".join(text_lines)), blocks=blocks)


def feedback_titles(client_name: str | None, period: str) -> str:
    return f"Feedback — {client_name or 'all clients'}, {period}"


__all__: Sequence[str] = [
    "comment_modal",
    "feedback_report",
    "negative_alert",
    "nps_message",
    "read_comment",
    "survey_message",
    "survey_reminder",
]
