from __future__ import annotations

import csv
import os
from importlib.metadata import version
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sla import sentiment
from sla.sentiment import NEUTRAL_BAND, SCORER_NAME, Sentiment, label_for, plain_textblob, score

YELP = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "sentiment" / "uci_yelp_labelled.tsv"


# --- the misreadings of plain TextBlob that motivated the scorer ----------------------------------


@pytest.mark.parametrize(
    ("text", "baseline_label", "label"),
    [
        ("Thank you for all your hard work", "negative", "positive"),
        ("didn't fix my issue", "neutral", "negative"),
        ("👍", "neutral", "positive"),
        ("👎", "neutral", "negative"),
    ],
)
def test_fixes_what_plain_textblob_misreads(text: str, baseline_label: str, label: str) -> None:
    assert plain_textblob(text).label == baseline_label
    assert score(text).label == label


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("not helpful", "negative"),
        ("helpful", "positive"),
        ("not at all helpful", "negative"),  # negation reaches over a few words
        ("thanks, but it's still broken", "negative"),  # the part after "but" decides
        ("I restarted the server at 10am", "neutral"),
        ("Still waiting, no response for 3 days", "negative"),
        ("Never heard back after I escalated.", "negative"),
        ("Quick response, resolved within the hour", "positive"),
    ],
)
def test_service_feedback_labels(text: str, label: str) -> None:
    assert score(text).label == label


def test_not_bad_is_not_negative() -> None:
    assert score("not bad").label != "negative"
    assert score("bad").label == "negative"


def test_negation_scope_ends_at_a_clause_break() -> None:
    # "could not" must not reach "thanks" in the next sentence.
    assert sentiment.domain_polarity("I could not log in. Thanks for the quick fix!") > 0
    assert sentiment.domain_polarity("could not fix it") < 0


def test_phrases_with_a_negator_are_one_term() -> None:
    # "no response" is a complaint, not a negated "response"; "no problem" is not a complaint.
    assert sentiment.domain_polarity("no response") < 0
    assert sentiment.domain_polarity("no problem") > 0


@pytest.mark.parametrize(
    ("text", "sign"),
    [
        (":thumbsup:", 1),
        (":+1:", 1),
        (":pray:", 1),
        ("❤️", 1),
        ("👍🏽", 1),  # skin tone
        (":)", 1),
        (":rage:", -1),
        (":disappointed:", -1),
        (":(", -1),
        ("😡", -1),
    ],
)
def test_emoji_emoticons_and_shortcodes(text: str, sign: int) -> None:
    assert score(text).polarity * sign > NEUTRAL_BAND
    assert score(f"ok {text}").polarity * sign > 0


def test_urls_and_slack_links_are_not_emoticons() -> None:
    assert sentiment.domain_polarity("see https://status.example.com/x and <https://a.b/c|the log>") == 0.0


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_empty_text_is_neutral_zero(text: str) -> None:
    result = score(text)
    assert (result.polarity, result.label) == (0.0, "neutral")
    assert plain_textblob(text).polarity == 0.0


# --- survey ratings ---------------------------------------------------------------------------------


def test_rating_alone_when_there_is_no_comment() -> None:
    assert score("", rating=1).label == "negative"
    assert score("", rating=5).polarity == 1.0
    assert score(" ", rating=3).label == "neutral"
    assert score("", rating="good").label == "positive"
    assert score("", rating="bad").label == "negative"
    assert score("", rating="2").polarity == score("", rating=2).polarity == -0.5  # a button value


def test_rating_is_blended_with_the_comment() -> None:
    text = "I restarted the server at 10am"
    assert score(text, rating=1).label == "negative"
    assert score(text, rating=5).label == "positive"
    # a glowing comment with a poor rating lands between the two
    praise = "Thank you, great job!"
    assert score(praise, rating=1).polarity < score(praise).polarity
    assert score(praise, rating=1).scorer == f"{SCORER_NAME}+rating"


@pytest.mark.parametrize("rating", [0, 6, True, "meh", "7", "²"])
def test_bad_rating_is_an_error(rating: object) -> None:
    with pytest.raises(ValueError, match="rating"):
        score("thanks", rating=rating)  # type: ignore[arg-type]


# --- properties ------------------------------------------------------------------------------------

_texts = st.lists(
    st.one_of(
        st.characters(codec="utf-8"),
        st.sampled_from(["👍", "👎", "🙏", "😡", "❤️", "🏽", "\u200d", ":", ")", "(", "'", " ", "n't"]),
        st.sampled_from([" not ", " thanks ", " but ", " still broken ", " no response ", " :+1: ", ", "]),
    ),
    max_size=25,
).map("".join)


@settings(max_examples=150, deadline=None)
@given(_texts, st.one_of(st.none(), st.integers(1, 5), st.sampled_from(["good", "bad"])))
def test_polarity_in_range_and_label_consistent(text: str, rating: int | str | None) -> None:
    for result in (score(text, rating=rating), plain_textblob(text)):
        assert -1.0 <= result.polarity <= 1.0
        assert result.label == label_for(result.polarity)
        if result.label == "positive":
            assert result.polarity >= NEUTRAL_BAND
        elif result.label == "negative":
            assert result.polarity <= -NEUTRAL_BAND
        else:
            assert abs(result.polarity) < NEUTRAL_BAND


def test_label_for_band_edges() -> None:
    assert label_for(NEUTRAL_BAND) == "positive"
    assert label_for(-NEUTRAL_BAND) == "negative"
    assert label_for(NEUTRAL_BAND / 2) == "neutral"
    assert label_for(0.0, band=0.0) == "neutral"
    assert label_for(1e-9, band=0.0) == "positive"


def test_deterministic_whatever_was_scored_before() -> None:
    texts = ["thanks!", "still broken :(", "not helpful", "👍", "slow response, escalating", "fine"]
    first = [score(t) for t in texts]
    second = [score(t) for t in reversed(texts)][::-1]
    assert first == second


def test_scorer_and_version_are_recorded() -> None:
    result = score("thanks")
    assert isinstance(result, Sentiment)
    assert result.scorer == SCORER_NAME == "slabot-service-v1"
    assert result.version == sentiment.SCORER_VERSION
    assert f"textblob {version('textblob')}" in result.version
    assert f"vader {version('vaderSentiment')}" in result.version
    baseline = plain_textblob("thanks")
    assert baseline.scorer != SCORER_NAME
    assert baseline.version.startswith("textblob ")
    with pytest.raises(AttributeError):
        _ = sentiment.NO_SUCH_CONSTANT


def test_sentiment_is_frozen() -> None:
    result = score("thanks")
    with pytest.raises(AttributeError):
        result.polarity = 0.0  # type: ignore[misc]


# --- the labelled sentences --------------------------------------------------------------------------


def _yelp() -> list[tuple[str, bool]]:
    if not YELP.is_file():
        message = f"shared sentiment data not found at {YELP.resolve()} (needs ../shared beside the repo)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    with YELP.open(encoding="utf-8", newline="") as f:
        return [
            (r["sentence"], r["score"] == "1")
            for r in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
        ]


def test_beats_plain_textblob_on_labelled_reviews() -> None:
    data = _yelp()
    assert len(data) >= 500

    def accuracies(scorer: object) -> tuple[float, float]:
        results = [(scorer(text), positive) for text, positive in data]  # type: ignore[operator]
        # strict: the label as given, neutral counts as wrong; forced: polarity >= 0 is positive
        strict = sum(r.label == ("positive" if p else "negative") for r, p in results) / len(data)
        forced = sum((r.polarity >= 0) == p for r, p in results) / len(data)
        return strict, forced

    ours, baseline = accuracies(score), accuracies(plain_textblob)
    assert ours[0] - baseline[0] >= 0.05, (ours, baseline)
    assert ours[1] - baseline[1] >= 0.05, (ours, baseline)
