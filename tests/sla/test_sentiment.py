from __future__ import annotations

import csv
import gzip
import io
import os
from importlib.metadata import version
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sla import sentiment
from sla.sentiment import (
    NEUTRAL_BAND,
    SCORER_NAME,
    Sentiment,
    clauses,
    is_complaint,
    label_for,
    plain_textblob,
    score,
)

YELP = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "sentiment" / "uci_yelp_labelled.tsv"
DATA = Path(__file__).resolve().parent / "data" / "sentiment"


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
        ("thanks, but it's still broken", "mixed"),  # praise, then the complaint that matters
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
        assert result.label in sentiment.LABELS
        if result.label == "positive":
            assert result.polarity >= NEUTRAL_BAND and result.complaint is None
        elif result.label == "negative":
            assert result.polarity <= -NEUTRAL_BAND
        elif result.label == "neutral":
            assert (abs(result.polarity) < NEUTRAL_BAND or result.polarity == 0) and result.complaint is None
        else:  # mixed: the complaint is quoted as written
            assert result.complaint and result.complaint in text
        assert result.complaint is None or result.complaint in text


def test_label_for_band_edges() -> None:
    assert label_for(0.04, band=0.04) == "positive"
    assert label_for(-0.04, band=0.04) == "negative"
    assert label_for(0.02, band=0.04) == "neutral"
    assert label_for(0.0, band=0.0) == "neutral" and label_for(0.0) == "neutral"
    assert label_for(1e-9, band=0.0) == "positive"


def test_deterministic_whatever_was_scored_before() -> None:
    texts = ["thanks!", "still broken :(", "not helpful", "👍", "slow response, escalating", "fine"]
    first = [score(t) for t in texts]
    second = [score(t) for t in reversed(texts)][::-1]
    assert first == second


def test_scorer_and_version_are_recorded() -> None:
    result = score("thanks")
    assert isinstance(result, Sentiment)
    assert result.scorer == SCORER_NAME == "slabot-service-v2"
    assert result.version == sentiment.SCORER_VERSION
    assert f"textblob {version('textblob')}" in result.version
    assert f"vader {version('vaderSentiment')}" in result.version
    assert f"words {sentiment.word_model().digest}" in result.version and len(result.version) <= 96
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
    ours, baseline = _strict_gain(data)
    assert ours - baseline >= 0.05, (ours, baseline)


# --- clauses and the mixed label ------------------------------------------------------------------


def test_clauses_weigh_the_part_after_a_contrast_word() -> None:
    found = clauses("Quick fix, thanks! But the status page said nothing for twenty minutes.")
    assert [(c.text, c.contrasted) for c in found] == [
        ("Quick fix, thanks!", False),
        ("the status page said nothing for twenty minutes", True),
    ]
    assert found[0].parts == ("Quick fix", "thanks!")
    # a trailing "though" marks its own clause; "although" starts one
    assert [(c.text, c.contrasted) for c in clauses("It works now. It took four days though.")] == [
        ("It works now", False),
        ("It took four days", True),
    ]
    assert [c.contrasted for c in clauses("Fixed in the end, although I had to chase twice.")] == [
        False,
        True,
    ]


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        (
            "Quick fix, thanks! But the status page said nothing for twenty minutes.",
            "the status page said nothing for twenty minutes",
        ),
        ("The agent was lovely, however it took two days to get a reply.", "it took two days to get a reply"),
        ("Nice people, slow process.", "slow process"),
        (
            "Thanks for the quick answer. Unfortunately it didn't solve anything.",
            "Unfortunately it didn't solve anything",
        ),
    ],
)
def test_a_complaint_in_any_clause_makes_the_comment_at_least_mixed(text: str, complaint: str) -> None:
    result = score(text)
    assert result.label in ("mixed", "negative") and is_complaint(result.label)
    assert result.complaint == complaint
    assert plain_textblob(text).label != "negative"  # what plain TextBlob let through as praise


def test_praise_is_not_a_complaint_and_requests_are_neutral() -> None:
    for text in (
        "Sorted in ten minutes, thank you Priya.",
        "Great job team :tada:",
        "Problem solved, thank you!",
    ):
        assert score(text).label == "positive" and score(text).complaint is None
    for text in ("ok", "Fine.", "Got it.", "noted", "👌"):
        assert (score(text).label, score(text).polarity) == ("neutral", 0.0)
    assert not is_complaint("positive") and not is_complaint("neutral") and not is_complaint(None)


# --- the labelled sets (bench/sentiment_eval.py prints the cross-validated figures) ----------------


def _support() -> list[tuple[str, str]]:
    with (DATA / "support_feedback.tsv").open(encoding="utf-8", newline="") as f:
        return [(r["text"], r["label"]) for r in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE)]


def test_the_support_set_is_varied_and_labelled() -> None:
    rows = _support()
    assert len(rows) >= 400 and len({t for t, _ in rows}) == len(rows)
    counts = {label: sum(g == label for _, g in rows) for label in sentiment.LABELS}
    assert min(counts.values()) >= 95, counts


def test_complaints_of_the_support_set_reach_the_lead() -> None:
    rows = _support()
    labels = [(score(t).label, g) for t, g in rows]
    complaints = [(p, g) for p, g in labels if is_complaint(g)]
    recall = sum(is_complaint(p) for p, _ in complaints) / len(complaints)
    baseline = sum(is_complaint(plain_textblob(t).label) for t, g in rows if is_complaint(g)) / len(
        complaints
    )
    assert recall >= 0.9, recall
    assert baseline < 0.5  # what the plain scorer missed
    praise = [p for p, g in labels if g == "positive"]
    assert sum(p == "positive" for p in praise) / len(praise) >= 0.9


def _binary(path: Path, about: int | None = None) -> list[tuple[str, bool]]:
    """The set's sentences, or a fixed sample of `about` of them (every n-th: the suite stays fast)."""
    raw = gzip.decompress(path.read_bytes()).decode() if path.suffix == ".gz" else path.read_text("utf-8")
    rows = list(csv.DictReader(io.StringIO(raw), delimiter="\t", quoting=csv.QUOTE_NONE))
    every = max(1, len(rows) // about) if about else 1
    return [(r["sentence"], r["score"] == "1") for r in rows[::every]]


def _strict_gain(data: list[tuple[str, bool]]) -> tuple[float, float]:
    def strict(scorer: object) -> float:
        return sum(
            scorer(t).label == ("positive" if p else "negative")  # type: ignore[operator]
            for t, p in data
        ) / len(data)

    return strict(score), strict(plain_textblob)


@pytest.mark.parametrize("name", ["vader_amazon", "vader_movies", "vader_tweets", "vader_nyt"])
def test_beats_plain_textblob_by_five_points_on_the_vader_sets(name: str) -> None:
    data = _binary(DATA / f"{name}.tsv.gz", about=300)  # bench/sentiment_eval.py scores all of them
    assert len(data) >= 300
    ours, baseline = _strict_gain(data)
    assert ours - baseline >= 0.05, (ours, baseline)
