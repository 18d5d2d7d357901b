"""sla.conversation: the acknowledgement classifier (a table and properties) and the decisions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sla.conversation import (
    ACK_WORDS,
    FILLER_WORDS,
    Action,
    ConversationRules,
    IntakeRules,
    Writer,
    in_thread,
    not_a_request,
    top_level,
)

NOT_REQUESTS = [
    "thanks!",
    "Thanks",
    "thank you",
    "Thank you so much!!",
    "thx",
    "ty",
    "ok 👍",
    "OK",
    "okay, thanks",
    "👍",
    "🙏🏽",
    "👍🏻👍🏻",
    ":+1:",
    ":thumbsup: :tada:",
    "...",
    "!!!",
    "",
    "   ",
    "k",
    "hi",
    "great, it works now",
    "perfect, thanks a lot",
    "got it",
    "cheers",
    "❤️",
    "1️⃣",
]

REQUESTS = [
    "The export failed again",
    "it is broken again",
    "thanks, but it is still broken",
    "ok but now the login page is down",
    "not working",
    "help",
    "down",
    "thanks? the page still says 500",
    "why?",  # a question is a request, however short
    "ok thanks. One more thing: can you reset Bob's password",
    "great great great great great great great great great",  # too many words to be a mere thanks
    "Outage! 🚨",
    "no",  # ... wait: two letters: under min_chars, see below
]


@pytest.mark.parametrize("text", NOT_REQUESTS)
def test_acknowledgements_are_not_requests(text: str) -> None:
    assert not_a_request(text) == "acknowledgement"


@pytest.mark.parametrize("text", [t for t in REQUESTS if t != "no"])
def test_requests_are_requests(text: str) -> None:
    assert not_a_request(text) is None


def test_a_message_under_min_chars_is_not_a_request_unless_the_limit_is_lowered() -> None:
    assert not_a_request("no") == "acknowledgement"
    assert not_a_request("no", IntakeRules(min_chars=2)) is None
    assert not_a_request("yes", IntakeRules(min_chars=4)) == "acknowledgement"
    assert not_a_request("?") == "acknowledgement"


@pytest.mark.parametrize("text", NOT_REQUESTS)
def test_the_classifier_switched_off_makes_everything_a_request(text: str) -> None:
    assert not_a_request(text, IntakeRules(acknowledgements=False)) is None


emoji = st.sampled_from(["👍", "🙏", "🎉", "❤️", "👍🏽", "😀", ":+1:", ":tada:", "✅", "🚀", "  ", "!", "."])


@given(st.lists(emoji, max_size=12))
def test_emoji_and_punctuation_alone_never_open_a_ticket(parts: list[str]) -> None:
    assert not_a_request("".join(parts)) == "acknowledgement"


words = st.sampled_from(sorted(ACK_WORDS | FILLER_WORDS))
thanks = st.sampled_from(sorted(w for w in ACK_WORDS if len(w) >= 4))


@given(thanks, st.lists(words, max_size=7), st.lists(emoji, max_size=3))
def test_thanks_words_with_emoji_are_acknowledgements(word: str, parts: list[str], trail: list[str]) -> None:
    assert not_a_request(" ".join([word, *parts]) + " " + "".join(trail)) == "acknowledgement"


problem = st.sampled_from(
    ["broken", "error", "again", "still", "failed", "5000", "outage", "cannot", "login"]
)


@given(st.lists(words, max_size=6), problem, st.lists(words, max_size=1))
def test_one_word_of_a_problem_makes_it_a_request(before: list[str], word: str, after: list[str]) -> None:
    assert not_a_request(" ".join([*before, word, *after])) is None


# ---- decisions -------------------------------------------------------------------------------------

RULES = ConversationRules()
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("writer", "text", "action", "reason"),
    [
        (Writer.CLIENT, "The export failed", Action.OPEN, None),
        (Writer.CLIENT, "thanks!", Action.IGNORE, "acknowledgement"),
        (Writer.AGENT, "The export failed", Action.IGNORE, "staff"),
        (Writer.STAFF, "FYI: Acme renews next month", Action.IGNORE, "staff"),
    ],
)
def test_top_level(writer: Writer, text: str, action: Action, reason: str | None) -> None:
    decision = top_level(RULES, writer=writer, text=text)
    assert (decision.action, decision.reason) == (action, reason)


def thread(
    status: str,
    writer: Writer = Writer.CLIENT,
    text: str = "it is broken again",
    resolved_ago: timedelta | None = None,
    rules: ConversationRules = RULES,
) -> tuple[Action, str | None]:
    resolved_at = NOW - resolved_ago if resolved_ago is not None else None
    d = in_thread(rules, writer=writer, text=text, status=status, resolved_at=resolved_at, now=NOW)
    return d.action, d.reason


def test_in_thread_table() -> None:
    week = timedelta(days=7)
    assert thread("open") == (Action.RECORD, None)
    assert thread("open", Writer.AGENT) == (Action.RECORD, None)
    assert thread("open", text="thanks!") == (Action.IGNORE, "acknowledgement")
    assert thread("waiting_on_client") == (Action.RESUME, None)
    assert thread("waiting_on_client", text="ok 👍") == (Action.IGNORE, "acknowledgement")
    assert thread("on_hold") == (Action.RECORD, None)  # our hold: the client's message does not lift it
    off = ConversationRules(resume_on_client_reply=False)
    assert thread("waiting_on_client", rules=off) == (Action.RECORD, None)
    assert thread("resolved", resolved_ago=week) == (Action.REOPEN, None)  # the window's last second
    assert thread("resolved", resolved_ago=week + timedelta(seconds=1)) == (Action.SUCCESSOR, None)
    assert thread("resolved", text="thanks!", resolved_ago=timedelta(0)) == (Action.IGNORE, "acknowledgement")
    assert thread("closed") == (Action.SUCCESSOR, None)
    assert thread("dismissed") == (Action.SUCCESSOR, None)
    assert thread("resolved", Writer.AGENT, resolved_ago=timedelta(0)) == (Action.IGNORE, "ticket_done")
    assert thread("open", Writer.STAFF) == (Action.IGNORE, "staff")
    short = ConversationRules(reopen_within=timedelta(hours=1))
    assert thread("resolved", resolved_ago=timedelta(hours=2), rules=short) == (Action.SUCCESSOR, None)
