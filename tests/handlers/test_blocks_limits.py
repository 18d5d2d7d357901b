from __future__ import annotations

import contextlib
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handlers.blocks import button, context, header, section
from handlers.blocks.limits import (
    check_blocks,
    check_message,
    check_view,
    escape,
    mrkdwn_problem,
    truncate_text,
)
from handlers.ids import (
    ActionId,
    InvalidValue,
    NpsRating,
    StartModalMeta,
    StatusMore,
    SurveyRating,
    TicketAction,
    indexed,
    pattern,
)

# ------------------------------------------------------------------ check_blocks


def test_fine_blocks_have_no_problems() -> None:
    blocks = [
        header("Open tickets"),
        section("*T-1* <@U1> <#C1|x> <https://x.y/z?a=1&amp;b=2|link> &amp; &lt;"),
    ]
    assert check_blocks(blocks) == []


def test_block_count_per_surface() -> None:
    blocks = [context("x")] * 51
    assert check_blocks(blocks, "message") == ["51 blocks; a message allows 50"]
    assert check_blocks(blocks, "modal") == []
    assert check_blocks([context("x")] * 101, "home") == ["101 blocks; a home allows 100"]


def test_text_lengths() -> None:
    raw_section = {"type": "section", "text": {"type": "mrkdwn", "text": "a" * 3001}}
    raw_header = {"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}
    raw_button = {"type": "button", "text": {"type": "plain_text", "text": "b" * 76}, "action_id": "a" * 256}
    problems = check_blocks([raw_section, raw_header, {"type": "actions", "elements": [raw_button]}])
    assert problems == [
        "blocks[0].text: 3001 characters; Slack allows 3000",
        "blocks[1].text: 151 characters; Slack allows 150",
        "blocks[2].elements[0].action_id: 256 characters; Slack allows 255",
        "blocks[2].elements[0].text: 76 characters; Slack allows 75",
    ]


def test_actions_elements_and_duplicate_ids() -> None:
    many = {"type": "actions", "elements": [button(str(i), f"a{i}") for i in range(26)]}
    assert "blocks[0].elements: 26; an actions block takes 1 to 25" in check_blocks([many])
    dup = {"type": "actions", "block_id": "x", "elements": [button("a", "same"), button("b", "same")]}
    problems = check_blocks([dup, {**dup}])
    assert "blocks[0]: action_id 'same' used twice in one block" in problems
    assert "blocks[1].block_id: 'x' used twice" in problems


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ("fish & chips", False),
        ("a < b", False),
        ("a > b", False),
        ("fish &amp; chips", True),
        ("&lt;script&gt;", True),
        ("<@U123> <@U123|bob> <#C1> <!subteam^S1|@leads> <!here>", True),
        ("<https://example.com/a?b=c|the page>", True),
        ("<javascript:alert(1)|x>", False),
        ("<@U1", False),
    ],
)
def test_mrkdwn_escaping_rule(text: str, ok: bool) -> None:
    assert (mrkdwn_problem(text) is None) is ok
    assert (check_blocks([section(text)]) == []) is ok


def test_header_must_be_plain_text_and_input_not_in_messages() -> None:
    bad = {"type": "header", "text": {"type": "mrkdwn", "text": "x"}}
    assert check_blocks([bad]) == ["blocks[0].text: must be plain_text"]
    inp = {
        "type": "input",
        "label": {"type": "plain_text", "text": "T"},
        "element": {"type": "plain_text_input"},
    }
    assert check_blocks([inp], "message") == ["blocks[0]: input blocks belong in modals"]
    assert check_blocks([inp], "modal") == []


def test_check_view_and_message() -> None:
    view = {
        "type": "modal",
        "title": {"type": "plain_text", "text": "x" * 25},
        "blocks": [],
        "private_metadata": "m" * 3001,
    }
    assert check_view(view) == [
        "view.title: 25 characters; Slack allows 24",
        "view.private_metadata: 3001 characters; Slack allows 3000",
    ]
    assert check_message("", [section("x")]) == [
        "text: a message with blocks needs fallback text for notifications"
    ]


# ------------------------------------------------------------------ escape / truncate


def test_escape() -> None:
    assert escape("a & <b> c") == "a &amp; &lt;b&gt; c"


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("short", 10, "short"),
        ("abcdefghij", 5, "abcd…"),
        ("see <@U12345> now", 8, "see …"),
        ("fish &amp; chips", 9, "fish …"),
        ("fish &amp; chips", 11, "fish &amp;…"),
        ("abc", 1, "…"),
        ("abc", 0, ""),
    ],
)
def test_truncate_text(text: str, limit: int, expected: str) -> None:
    assert truncate_text(text, limit) == expected


@given(st.text(), st.integers(min_value=0, max_value=300))
def test_truncate_text_fits_and_keeps_escaped_text_safe(text: str, limit: int) -> None:
    cut = truncate_text(escape(text), limit)
    assert len(cut) <= limit
    assert mrkdwn_problem(cut) is None


# ------------------------------------------------------------------ ids and values


def test_ticket_action_round_trip_is_compact() -> None:
    value = TicketAction(ticket_ref="T-12").encode()
    assert value == '{"t":"T-12"}'
    assert TicketAction.decode(value) == TicketAction(ticket_ref="T-12")


@pytest.mark.parametrize(
    "raw",
    [
        None,
        "",
        "T-12",
        "[]",
        "null",
        '{"t":"T-0"}',
        '{"t":"X-12"}',
        '{"t":"T-12 "}',
        '{"t":12}',
        '{"ticket_ref":"T-12"}',
        '{"t":"T-12","admin":true}',
        '{"t":"T-1234567890"}',
        '{"t":"' + "T-1" * 1000 + '"}',
        "{" * 5000,
    ],
)
def test_ticket_action_rejects_anything_malformed(raw: object) -> None:
    with pytest.raises(InvalidValue):
        TicketAction.decode(raw)


def test_other_values() -> None:
    assert SurveyRating.decode(SurveyRating(survey_id="s_1", rating="4").encode()).rating == "4"
    with pytest.raises(InvalidValue):
        SurveyRating.decode('{"s":"s_1","r":"6"}')
    with pytest.raises(InvalidValue):
        NpsRating.decode('{"s":"s_1","n":11}')
    with pytest.raises(InvalidValue):
        NpsRating.decode('{"s":"s_1","n":"7"}')  # strict: no string-to-int coercion
    assert StatusMore.decode('{"q":"breached","o":47}') == StatusMore(target="breached", offset=47)
    meta = StartModalMeta(channel_id="C0123", message_ts="1700000000.000100")
    assert StartModalMeta.decode(meta.encode()) == meta
    with pytest.raises(InvalidValue):
        StartModalMeta.decode('{"c":"c-lower"}')


@given(st.text(max_size=300))
def test_decoding_never_raises_anything_but_invalid_value(raw: str) -> None:
    for model in (TicketAction, StatusMore, SurveyRating, StartModalMeta):
        with contextlib.suppress(InvalidValue):
            model.decode(raw)


@given(
    st.dictionaries(
        st.sampled_from(["t", "q", "o", "s", "r", "x"]), st.none() | st.integers() | st.text(max_size=20)
    )
)
def test_decoding_json_objects_never_raises_anything_but_invalid_value(data: dict[str, object]) -> None:
    with contextlib.suppress(InvalidValue):
        TicketAction.decode(json.dumps(data))


def test_indexed_action_ids_match_their_pattern() -> None:
    assert indexed(ActionId.SURVEY_RATE, 3) == "survey_rate_3"
    assert pattern(ActionId.SURVEY_RATE).match("survey_rate_good")
    assert not pattern(ActionId.SURVEY_RATE).match("survey_rate")
    assert not pattern(ActionId.NPS_RATE).match("survey_rate_3")
