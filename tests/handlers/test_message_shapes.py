"""The Slack message intake model: an allow-list of the shapes that are a person writing."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from handlers.message_shapes import PERSON_SUBTYPES, SYSTEM_SUBTYPES, Writer, classify_message

PLAIN = {
    "type": "message",
    "channel": "C0SUPPORT1",
    "user": "U0ACME0001",
    "text": "Exports fail",
    "ts": "1.000001",
}


def test_a_plain_message_is_a_person_writing() -> None:
    shape = classify_message(PLAIN)
    assert shape.is_person and shape.writer is Writer.PERSON
    assert (shape.user, shape.channel, shape.ts, shape.text) == (
        "U0ACME0001",
        "C0SUPPORT1",
        "1.000001",
        "Exports fail",
    )
    assert not shape.is_reply


def test_a_broadcast_reply_is_a_reply() -> None:
    shape = classify_message({**PLAIN, "subtype": "thread_broadcast", "ts": "2.0", "thread_ts": "1.000001"})
    assert shape.is_person and shape.is_reply


@given(st.text(min_size=1, max_size=30).filter(lambda s: s not in PERSON_SUBTYPES))
def test_no_other_subtype_is_ever_a_person_writing(subtype: str) -> None:
    shape = classify_message({**PLAIN, "subtype": subtype})
    assert not shape.is_person
    expected = "system_notice" if subtype in SYSTEM_SUBTYPES else None
    if expected:
        assert shape.reason == expected
    elif subtype not in ("bot_message", "message_changed", "message_deleted", "message_replied"):
        assert shape.reason == "unknown_shape" and shape.writer is Writer.UNKNOWN


@given(st.sampled_from(sorted(s or "" for s in PERSON_SUBTYPES)), st.sampled_from([True, "true", "True"]))
def test_hidden_is_never_a_request(subtype: str, hidden: object) -> None:
    shape = classify_message({**PLAIN, "subtype": subtype or None, "hidden": hidden})
    assert shape.reason == "hidden"


def test_bots_and_malformed_person_shapes() -> None:
    assert classify_message({**PLAIN, "bot_id": "B999"}).reason == "bot"
    assert classify_message({**PLAIN, "bot_id": None}).is_person  # docs' file_share sends "bot_id": null
    assert classify_message({**PLAIN, "subtype": "bot_message"}).writer is Writer.BOT
    for missing in ("user", "ts", "channel"):
        event = {k: v for k, v in PLAIN.items() if k != missing}
        assert classify_message(event).reason == "malformed"
    assert classify_message({**PLAIN, "subtype": 7}).reason == "unknown_shape"
