"""No user-supplied text becomes a live mention or link, on any field slabot writes to Slack.

Every builder of ``handlers.blocks`` is driven with hostile text in each of its user-supplied inputs
(ticket titles, reasons, comments, names, services, incident reasons, what someone typed): text made of
``<!channel>``, ``<!here>``, ``<!everyone>``, ``<!subteam^S0EVIL>``, ``<@U0EVIL>``, ``<#C0EVIL>``,
``<https://EVIL.example|click>`` and friends. Every string of the output — the fallback ``text``, every
text object of every block (mrkdwn and plain_text), modal titles, labels, headers, App Home — may hold
slabot's own entities only (the agents and leads it mentions, its thread links): never one of those.

``test_every_builder_is_covered`` fails when a builder is added to ``handlers.blocks`` without a case here.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import handlers.blocks as blocks_package
from bot.grammar import UsageError
from bot.services.incidents import ClientUptime, IncidentView, Overview
from handlers.blocks import (
    Message,
    alerts,
    help,
    home,
    incidents,
    mention,
    reports,
    reviews,
    status,
    surveys,
    tickets,
    unformat,
)
from handlers.blocks.limits import escape
from sla.countdown import TicketView
from sla.feedback import FeedbackFigures, NegativeComment
from sla.metrics import Metric, TimerState
from sla.periods import parse_period
from sla.summary import Section, Summary
from sla.timers import TimelineEntry
from tests.bot.test_reviews_blocks import a_review
from tests.bot.test_reviews_blocks import view as draft_view
from tests.handlers.test_blocks import NOW, breached_timer, timer

TRUSTED_AGENT, TRUSTED_CLIENT, TRUSTED_GROUP = "U0AGENT001", "U0ACME0001", "S0LEADS001"
EVIL = [
    "<!channel>",
    "<!here>",
    "<!everyone>",
    "<!channel|channel>",
    "<!here|@here>",
    "<!subteam^S0EVIL>",
    "<!subteam^S0EVIL|@evil>",
    "<@U0EVIL>",
    "<@U0EVIL|boss>",
    "<@W0EVIL>",
    "<#C0EVIL>",
    "<#C0EVIL|general>",
    "<https://EVIL.example|click>",
    "<https://EVIL.example>",
    "<mailto:x@EVIL.example|mail>",
    "<!date^1392734382^{date}|EVIL>",
    "&lt;!channel&gt;",
    "<",
    ">",
    "&",
    "|",
    "*",
    " ",
    "\n",
    "Printer on fire",
]
hostile = st.lists(st.sampled_from(EVIL) | st.text(max_size=4), min_size=1, max_size=8).map("".join)
SPECIALS = ("<!channel", "<!here", "<!everyone")
_ENTITY = re.compile(r"<[^<>]*>")
_SKIP_KEYS = {
    "value",
    "action_id",
    "block_id",
    "callback_id",
    "private_metadata",
    "url",
    "initial_value",
    "initial_user",
    "type",
    "style",
}
BERLIN = ZoneInfo("Europe/Berlin")


def strings(out: Any, key: str = "") -> Iterator[tuple[str, str]]:
    """Every string of a builder's output, with where it is (keys slabot reads back are skipped)."""
    if isinstance(out, Message):
        yield "text", out.text
        yield from strings(out.blocks, "blocks")
    elif isinstance(out, str):
        yield key or "str", out
    elif isinstance(out, dict):
        for k, v in out.items():
            if k not in _SKIP_KEYS:
                yield from strings(v, f"{key}.{k}")
    elif isinstance(out, list | tuple):
        for i, v in enumerate(out):
            yield from strings(v, f"{key}[{i}]")


def assert_inert(out: Any) -> None:
    for where, text in strings(out):
        for entity in _ENTITY.findall(text):
            assert "EVIL" not in entity.upper(), f"{where}: live {entity!r} from user text in {text!r}"
            assert not entity.startswith(SPECIALS), f"{where}: live {entity!r} in {text!r}"


def ticket(h: str, **kw: Any) -> TicketView:
    base = dict(
        ref="T-12",
        title=h,
        client_name=h,
        priority="P1",
        status="open",
        timers=(timer(), breached_timer()),
        tz=BERLIN,
        assignee=TRUSTED_AGENT,
        channel_id="C0ACME",
        thread_ts="1700000000.000100",
        permalink="https://acme.slack.com/archives/C0ACME/p1700000000000100",
        client_key="acme",
        requester=TRUSTED_CLIENT,
        external=h,  # a helpdesk's id is the sender's text too
    )
    return TicketView(**(base | kw))


def paused(h: str) -> TicketView:
    return ticket(h, timers=(timer(state=TimerState.PAUSED, due_at=None, pause_reason=h),), status=h)


def incident(h: str, **kw: Any) -> IncidentView:
    base = dict(
        id=1,
        service=h,
        client_key="acme",
        started_at=datetime(2026, 11, 24, 9, tzinfo=UTC),
        ended_at=None,
        reason=h,
        source="alertmanager",
        planned=False,
        tz=BERLIN,
    )
    return IncidentView(**(base | kw))


def figures(h: str) -> FeedbackFigures:
    return FeedbackFigures(
        sent=2, responses=1, good=1, most_negative=(NegativeComment("T-3", h, h, -0.7, 1),)
    )


NOV = parse_period("2026-11", now=datetime(2026, 12, 2, tzinfo=UTC), tz="UTC")
CLOSES = datetime(2026, 11, 20, 9, tzinfo=UTC)
TIMELINE = lambda h: [TimelineEntry(NOW, "status", Metric.RESOLUTION, "paused", h)]  # noqa: E731

#: builder name → a call with hostile text in each of its user-supplied inputs.
CASES: dict[str, Callable[[str], Any]] = {
    # tickets
    "ticket_card": lambda h: tickets.ticket_card(ticket(h), NOW),
    "card_text": lambda h: tickets.card_text(ticket(h), NOW),
    "change_note": lambda h: [
        tickets.change_note(c, ref="T-1", actor=TRUSTED_AGENT, detail=h) for c in tickets.Change
    ],
    "start_modal": lambda h: tickets.start_modal(
        tickets.StartPrefill(title=h, client_key="acme", priority="P1"), ["P1", "P2"], [("acme", h)]
    ),
    # status
    "ticket_ref_text": lambda h: status.ticket_ref_text(ticket(h, ref=h, permalink=h)),
    "ticket_line": lambda h: status.ticket_line(paused(h)),
    "countdown_lines": lambda h: status.countdown_lines(paused(h), NOW),
    "ticket_text": lambda h: status.ticket_text(ticket(h), NOW),
    "summary_line": lambda h: status.summary_line([ticket(h)], NOW),
    "ticket_actions": lambda h: status.ticket_actions(ticket(h)),
    "status_message": lambda h: status.status_message([ticket(h), paused(h)], NOW, total=99),
    "ticket_detail": lambda h: status.ticket_detail(ticket(h, channel_id=h, requester=h, assignee=h), NOW),
    "explain_message": lambda h: status.explain_message(ticket(h), TIMELINE(h)),
    # alerts
    "warning_message": lambda h: alerts.warning_message(ticket(h, assignee=None), timer(), h, NOW),
    "breach_message": lambda h: alerts.breach_message(
        ticket(h), breached_timer(), NOW, mention=TRUSTED_GROUP
    ),
    "escalation_message": lambda h: alerts.escalation_message(
        ticket(h, assignee=h), breached_timer(), NOW, level=1, mention=TRUSTED_GROUP
    ),
    "met_message": lambda h: alerts.met_message(ticket(h), timer(stopped_at=NOW, state=TimerState.MET), NOW),
    "page_message": lambda h: alerts.page_message(
        alerts.AlertItem("breach", ticket(h), breached_timer()), NOW, mention=TRUSTED_GROUP
    ),
    "digest_message": lambda h: alerts.digest_message(
        [
            alerts.AlertItem("breach", ticket(h), breached_timer()),
            alerts.AlertItem("warning", ticket(h), timer(), h),
        ],
        NOW,
        mention=TRUSTED_GROUP,
    ),
    # help
    "help_message": lambda h: help.help_message(h),
    "usage_error_message": lambda h: help.usage_error_message(UsageError(f"I don't know '{h}'", h)),
    # home
    "home_view": lambda h: home.home_view([ticket(h)], [paused(h)], [ticket(h)], [h], [h], now=NOW),
    # incidents
    "incident_started": lambda h: incidents.incident_started(incident(h), NOW),
    "incidents_resolved": lambda h: incidents.incidents_resolved([incident(h, ended_at=NOW)], NOW),
    "maintenance_declared": lambda h: incidents.maintenance_declared(
        incident(h, planned=True, ended_at=NOW), NOW
    ),
    "incident_notice": lambda h: [
        incidents.incident_notice(incident(h), event, NOW)
        for event in ("opened", "resolved", "maintenance", h)
    ],
    "overview_message": lambda h: incidents.overview_message(
        Overview(NOW, [incident(h)], [incident(h, planned=True)], [ClientUptime("acme", h, NOV, 1, [])])
    ),
    "credits_message": lambda h: incidents.credits_message([SimpleNamespace(explanation_lines=(h, h))]),  # type: ignore[list-item]
    "plain_message": lambda h: incidents.plain_message(h),
    # reports
    "report_ack": lambda h: reports.report_ack(h, "C0REPORTS1"),
    "report_ack_text": lambda h: reports.report_ack_text(h, "C0REPORTS1"),
    "report_summary_blocks": lambda h: reports.report_summary_blocks(
        Summary(h, [Section("Compliance", ("All: 1 met",))]), posted_in="C0REPORTS1"
    ),
    "table_blocks": lambda h: reports.table_blocks([escape(h)]),
    "report_messages": lambda h: reports.report_messages(
        Summary(h, [Section("Compliance", ("ok",))]), footer="f"
    ),
    "burn_alert_message": lambda h: reports.burn_alert_message(h, lead=TRUSTED_AGENT),
    "report_failed_blocks": lambda h: reports.report_failed_blocks(h),
    # reviews
    "chunked_sections": lambda h: reviews.chunked_sections("Title", [escape(h)]),
    "code_sections": lambda h: reviews.code_sections("Title", h),
    "review_message": lambda h: reviews.review_message(
        a_review(), client_name=h, tickets=3, can_propose=True
    ),
    "draft_message": lambda h: reviews.draft_message(
        draft_view(client_name=h, changes=[h], dry_run=[h], diff=h, contract_file=h)
    ),
    "approved_message": lambda h: reviews.approved_message(draft_view(version_yaml=h, contract_file=h)),
    "discarded_message": lambda h: reviews.discarded_message(draft_view(), TRUSTED_AGENT),
    "reminder_message": lambda h: reviews.reminder_message(h, "acme", "quarterly", "2026-Q4"),
    # surveys
    "survey_message": lambda h: [
        surveys.survey_message(
            survey_ref="s1",
            ref="T-1",
            title=h,
            requester=TRUSTED_CLIENT,
            scale="1-5",
            closes_at=CLOSES,
            tz=BERLIN,
            rating=rating,
            comment=comment,
        )
        for rating, comment in ((None, None), (4, h))
    ],
    "survey_reminder": lambda h: surveys.survey_reminder(
        ref="T-1", requester=TRUSTED_CLIENT, closes_at=CLOSES, tz=BERLIN
    ),
    "comment_modal": lambda h: surveys.comment_modal(survey_ref="s1", ref="T-1", initial=h),
    "negative_alert": lambda h: [
        surveys.negative_alert(
            ref="T-1", link=h, client_name=h, lead=TRUSTED_AGENT, rating=h, comment=h, sentiment=h, sla=h
        ),
        surveys.negative_alert(  # a mixed comment: the complaint is quoted in the blocks and the text
            ref="T-1",
            link=h,
            client_name=h,
            lead=TRUSTED_AGENT,
            rating=h,
            comment=f"ok, {h}",
            sentiment="mixed",
            sla=h,
            complaint=h,
        ),
    ],
    "nps_message": lambda h: [
        surveys.nps_message(survey_ref="s1", client_name=h, contact=TRUSTED_CLIENT, period=h, score=s)
        for s in (None, 7)
    ],
    "feedback_report": lambda h: surveys.feedback_report(h, figures(h)),
}

#: public functions of handlers.blocks that build nothing Slack shows on its own (or only plain text
#: for the terminal / for a builder above, which escapes it), with the reason.
NOT_BUILDERS = {
    "plain": "a text object of the caller's text (callers escape)",
    "mrkdwn": "a text object of the caller's mrkdwn (callers escape)",
    "section": "a block of the caller's mrkdwn",
    "header": "a block of the caller's text",
    "context": "a block of the caller's mrkdwn",
    "divider": "no text",
    "actions": "a block of the caller's elements",
    "button": "labels are slabot's own",
    "ticket_button": "labels are slabot's own",
    "resolve_button": "labels and the ticket ref are slabot's own",
    "dm_answer": "slabot's own words, no user text",
    "mention": "slabot's own mentions (tested below)",
    "channel_mention": "slabot's own channel links (tested below)",
    "thread_link": "a permalink slabot builds from ids",
    "threshold_words": "contract threshold keys",
    "status_text": "plain text for the terminal; Slack answers escape it",
    "read_start_submission": "reads a submission",
    "read_comment": "reads a submission",
    "when": "a formatted instant",
    "uptime_percent": "a number",
    "incident_line": "plain text; the incident builders escape it",
    "figure_line": "plain text; the incident builders escape it",
    "client_uptime_lines": "plain text; the incident builders escape it",
    "feedback_lines": "plain text; feedback_report escapes it",
    "feedback_titles": "plain text; feedback_report escapes it",
    "review_text": "plain text for the terminal; the review answer escapes it",
    "approved_text": "plain text; approved_message escapes it",
}


@pytest.mark.parametrize("name", sorted(CASES))
@settings(max_examples=15, deadline=None)
@given(h=hostile)
def test_no_user_text_becomes_a_live_mention_or_link(name: str, h: str) -> None:
    assert_inert(CASES[name](h))


def _public_functions() -> Iterator[str]:
    modules = [blocks_package] + [
        importlib.import_module(f"handlers.blocks.{m.name}")
        for m in pkgutil.iter_modules(blocks_package.__path__)
    ]
    for module in modules:
        if module.__name__.endswith(".limits"):
            continue  # Slack's limits and the text rules themselves
        for name, obj in vars(module).items():
            if inspect.isfunction(obj) and obj.__module__ == module.__name__ and not name.startswith("_"):
                yield name


def test_every_builder_is_covered() -> None:
    missing = sorted(set(_public_functions()) - set(CASES) - set(NOT_BUILDERS))
    assert not missing, f"builders without an escaping case in CASES: {missing}"


def test_slabots_own_mentions_still_work() -> None:
    card = tickets.ticket_card(ticket("<!channel> help"), NOW)
    text = " ".join(t for _, t in strings(card))
    assert f"<@{TRUSTED_AGENT}>" in text and f"<@{TRUSTED_CLIENT}>" in text
    breach = alerts.breach_message(
        ticket("x"), breached_timer(), NOW, mention=f"<!subteam^{TRUSTED_GROUP}> <@U0LEAD0001>"
    )
    assert breach.text.startswith(f"<!subteam^{TRUSTED_GROUP}> <@U0LEAD0001> ")
    assert mention("here", specials=True) == "<!here>" and mention("here") == "here"
    assert (
        mention("<!channel>") == "&lt;!channel&gt;"
        and mention("<@U0EVIL> <!here>") == "&lt;@U0EVIL&gt; &lt;!here&gt;"
    )
    assert mention("<!subteam^S0LEADS001>") == "&lt;!subteam^S0LEADS001&gt;"  # only ids, unless trusted
    assert mention("<!subteam^S0LEADS001>", specials=True) == "<!subteam^S0LEADS001>"
    assert mention("john@example.com") == "john@example.com"


def test_fallback_text_escapes_what_blocks_escape() -> None:
    # the reported bug: <!channel> was escaped in the blocks but carried raw in the notification text
    card = tickets.ticket_card(ticket("<!channel> the site is down", external=None), NOW)
    assert "&lt;!channel&gt; the site is down" in card.text
    assert unformat(card.text).startswith("T-12 · P1 · <!channel> the site is down")


@pytest.mark.parametrize(
    ("wire", "plain"),
    [
        ("<!channel> down", "@channel down"),
        ("ping <@U0AGENT001|ana> and <@U0AGENT002>", "ping @ana and @U0AGENT002"),
        ("see <#C0SUPPORT1|acme-support>", "see #acme-support"),
        ("<!subteam^S0LEADS001|@leads> look", "@leads look"),
        (
            "docs: <https://x.example/a|the docs> or <https://x.example/b>",
            "docs: the docs (https://x.example/a) or https://x.example/b",
        ),
        ("<mailto:a@b.example|a@b.example>", "a@b.example"),
        ("a &lt;b&gt; &amp; c", "a <b> & c"),
        ("plain", "plain"),
    ],
)
def test_unformat_reads_slack_wire_text_as_a_person_does(wire: str, plain: str) -> None:
    assert unformat(wire) == plain


@settings(max_examples=50, deadline=None)
@given(h=hostile)
def test_stored_plain_text_escaped_is_inert(h: str) -> None:
    assert_inert(escape(unformat(h)))
    assert unformat(escape(h)) == h  # escaping loses nothing a person would read


def test_the_checker_catches_a_live_mention() -> None:
    with pytest.raises(AssertionError):
        assert_inert(Message(text="<!channel> hi", blocks=[]))
    with pytest.raises(AssertionError):
        assert_inert({"blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "<@U0EVIL>"}}]})
