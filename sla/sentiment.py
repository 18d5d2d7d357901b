"""Sentiment of short service feedback ("Thanks, fixed in minutes!", "still broken, no response").

The scorer is a weighted average of three signals, each in [-1, 1]:

- TextBlob's pattern polarity (the baseline; its lexicon ships inside the package, works offline),
- VADER's compound score (handles intensifiers, CAPS, "but" clauses, emoticons),
- a small *service* lexicon (`domain_polarity`): thanks and praise, support vocabulary ("resolved",
  "still broken", "no response", "never heard back"), emoji, emoticons and Slack shortcodes, with
  negation scope ("didn't fix" reads negative, "not helpful" negative) and a VADER-style "but" rule.

The three weights and the neutral band are the only fitted numbers: `bench/sentiment_eval.py` fits them
with 5-fold cross-validation on labelled review sentences and prints the figures; they are written
below as constants. The lexicon itself is hand-written from support language, not fitted.

Pure: no clock, no environment, no I/O of our own. TextBlob and VADER are imported on first use (they
read their own lexicon files then), so importing `sla` stays cheap.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from collections.abc import Callable

Label = Literal["positive", "neutral", "negative"]

SCORER_NAME = "slabot-service-v1"
BASELINE_NAME = "textblob-pattern"
_SCORER_REVISION = "1"

# Fitted by bench/sentiment_eval.py on the UCI Yelp sentences (the same in each of the 5 CV folds): the
# weights closest to equal within one standard error of the best right-sign rate, which is flat near its
# top; equal-ish weights are the safest bet on text unlike the fitting data.
WEIGHT_TEXTBLOB = 0.30
WEIGHT_VADER = 0.35
WEIGHT_DOMAIN = 0.35
# |polarity| below this is "neutral". Fitted in the bench by valuing a neutral answer like a coin flip on a
# binary sentence (half right): the band covers the scores whose sign is right no more often than chance.
NEUTRAL_BAND = 0.04

# Survey rating blended in when given; not fitted (no labelled comment+rating data yet): the client's
# own rating is the stronger statement, the comment nuances it.
RATING_WEIGHT = 0.5

# Domain lexicon normalisation, VADER-style: s / sqrt(s^2 + alpha). One term of valence 2 -> 0.71.
_DOMAIN_ALPHA = 4.0
_NEGATION_FACTOR = -0.75  # "not helpful" is less negative than "unhelpful" is, as in VADER (-0.74)
_NEGATION_SCOPE = 3  # a negator reaches over the next three words, up to a clause break
_BEFORE_BUT, _AFTER_BUT = 0.5, 1.5  # "thanks, but it's still broken": the part after "but" counts


@dataclass(frozen=True, slots=True)
class Sentiment:
    polarity: float  # in [-1, 1]
    label: Label
    scorer: str
    version: str


def label_for(polarity: float, band: float = NEUTRAL_BAND) -> Label:
    """The label of a polarity: neutral inside the band (-band, band)."""
    if polarity >= band and polarity > 0:
        return "positive"
    if polarity <= -band and polarity < 0:
        return "negative"
    return "neutral"


# --------------------------------------------------------------------------------------------------
# The service lexicon. Valences roughly on VADER's scale (1 mild .. 3 strong). Keep it about support
# and service language, thanks and emoji: never about any one data set's topic.

# fmt: off
_WORDS: dict[str, float] = {
    # thanks and praise
    "thanks": 2.0, "thank": 2.0, "thx": 2.0, "ty": 1.5, "cheers": 1.0, "appreciate": 2.0,
    "appreciated": 2.0, "grateful": 2.0, "kudos": 2.5, "lifesaver": 2.5, "legend": 2.0, "superb": 2.5,
    # service that worked
    "resolved": 2.0, "solved": 2.0, "fixed": 2.0, "fix": 1.0, "fixes": 1.0, "sorted": 1.5, "works": 1.0,
    "working": 1.0, "fast": 1.5, "quick": 1.5, "quickly": 1.5, "prompt": 1.5, "promptly": 1.5,
    "swift": 1.5, "swiftly": 1.5, "speedy": 1.5, "timely": 1.5, "helpful": 2.0, "responsive": 2.0,
    "efficient": 1.5, "professional": 1.5, "knowledgeable": 1.5, "patient": 1.5, "courteous": 1.5,
    "attentive": 1.5, "polite": 1.0, "friendly": 1.5, "seamless": 1.5, "smooth": 1.0, "smoothly": 1.0,
    "reliable": 1.5, "thorough": 1.5,
    # service that did not
    "slow": -2.0, "slowly": -1.5, "sluggish": -1.5, "waiting": -1.5, "waited": -1.5, "unresolved": -2.0,
    "unanswered": -2.0, "ignored": -2.5, "ignoring": -2.5, "escalate": -1.5, "escalated": -1.5,
    "escalating": -1.5, "again": -0.5, "useless": -2.5, "rude": -2.5, "unhelpful": -2.0,
    "unprofessional": -2.0, "unresponsive": -2.0, "broken": -2.0, "broke": -1.5, "delay": -1.5,
    "delayed": -1.5, "delays": -1.5, "late": -1.0, "overdue": -1.5, "outage": -1.5, "crash": -1.5,
    "crashed": -1.5, "crashes": -1.5, "crashing": -1.5, "buggy": -1.5, "failed": -1.5, "failing": -1.5,
    "fails": -1.5, "forever": -1.0, "unacceptable": -2.5, "frustrated": -2.0, "frustrating": -2.0,
    "annoyed": -1.5, "annoying": -1.5, "disappointed": -2.0, "disappointing": -2.0, "incompetent": -2.5,
    "clueless": -2.0, "runaround": -2.0, "chasing": -1.5, "wasted": -2.0,
}

# Multi-word terms, matched before single words (longest first). Negators inside a phrase belong to
# the phrase ("no response" is one negative term, not a negated "response").
_PHRASES: dict[str, float] = {
    "thank you": 2.5, "thanks again": 2.5, "thanks so much": 3.0, "thank you so much": 3.0,
    "many thanks": 2.5, "much appreciated": 2.5, "great job": 3.0, "good job": 2.5, "nice job": 2.5,
    "great work": 3.0, "good work": 2.5, "hard work": 2.0, "well done": 2.5, "nice one": 2.0,
    "above and beyond": 3.0, "spot on": 2.0, "on time": 1.5, "in no time": 2.0, "right away": 1.5,
    "quick response": 2.5, "fast response": 2.5, "quick reply": 2.5, "quick turnaround": 2.5,
    "working again": 2.0, "works again": 2.0, "works now": 2.0, "working now": 2.0, "saved the day": 3.0,
    "saved my day": 3.0, "no problem": 0.5, "no problems": 1.0, "no issues": 1.0, "no worries": 0.5,
    "please fix": -1.0, "still broken": -3.0, "still not": -2.0, "still waiting": -2.5,
    "still down": -2.5, "still failing": -2.5, "still happening": -2.0, "still having": -1.5,
    "not fixed": -2.5, "not resolved": -2.5, "no response": -2.5, "no reply": -2.5, "no answer": -2.0,
    "no update": -2.0, "no updates": -2.0, "no help": -2.5, "no one": -1.0, "never heard back": -3.0,
    "never got back": -3.0, "never responded": -3.0, "never replied": -3.0, "never fixed": -3.0,
    "days later": -2.0, "weeks later": -2.5, "hours later": -1.0, "took forever": -2.5,
    "takes forever": -2.5, "waste of time": -3.0, "on hold": -1.5, "run around": -2.0,
    "keep asking": -2.0, "kept asking": -2.0, "had to chase": -2.5, "had to escalate": -2.5,
    "same issue": -1.5, "same problem": -1.5, "not acceptable": -2.5, "not working": -2.5,
    "doesn't work": -2.5, "didn't work": -2.5, "does not work": -2.5, "did not work": -2.5,
}

# Emoji (compared after dropping variation selectors and skin tones), emoticons, Slack shortcodes.
_SYMBOLS: dict[str, float] = {
    # emoji
    "👍": 2.0, "🙏": 2.0, "😊": 2.0, "🙂": 1.5, "😀": 2.0, "😃": 2.0, "😄": 2.0, "😁": 2.0, "🎉": 2.5, "🥳": 2.5,
    "❤": 2.5, "💯": 2.0, "👏": 2.0, "🙌": 2.0, "✅": 1.5, "⭐": 1.5, "🌟": 2.0, "😍": 2.5, "🤩": 2.5, "🚀": 1.5,
    "💪": 1.5, "😎": 1.5, "👎": -2.0, "😡": -3.0, "😠": -2.5, "🤬": -3.0, "🙁": -1.5, "☹": -1.5, "😞": -2.0,
    "😢": -2.0, "😭": -2.0, "😤": -2.0, "😒": -1.5, "😩": -2.0, "😫": -2.0, "🤦": -1.5, "💩": -2.0, "❌": -1.0,
    "😕": -1.0, "😣": -1.5, "😖": -1.5,
    # emoticons
    ":)": 2.0, ":-)": 2.0, ":d": 2.0, ":-d": 2.0, ";)": 1.5, ";-)": 1.5, "<3": 2.5, "=)": 2.0, ":(": -2.0,
    ":-(": -2.0, ":'(": -2.0, ":/": -1.0, ":-/": -1.0, "=(": -2.0, ">:(": -2.5,
    # Slack shortcodes
    ":thumbsup:": 2.0, ":+1:": 2.0, ":pray:": 2.0, ":tada:": 2.5, ":heart:": 2.5, ":smile:": 2.0,
    ":slightly_smiling_face:": 1.5, ":blush:": 2.0, ":grinning:": 2.0, ":clap:": 2.0,
    ":raised_hands:": 2.0, ":100:": 2.0, ":white_check_mark:": 1.5, ":star:": 1.5, ":rocket:": 1.5,
    ":heart_eyes:": 2.5, ":muscle:": 1.5, ":star-struck:": 2.5, ":partying_face:": 2.5,
    ":thumbsdown:": -2.0, ":-1:": -2.0, ":rage:": -3.0, ":angry:": -2.5, ":disappointed:": -2.0,
    ":slightly_frowning_face:": -1.5, ":white_frowning_face:": -1.5, ":cry:": -2.0, ":sob:": -2.0,
    ":triumph:": -2.0, ":unamused:": -1.5, ":weary:": -2.0, ":tired_face:": -2.0, ":face_palm:": -1.5,
    ":facepalm:": -1.5, ":poop:": -2.0, ":confused:": -1.0, ":x:": -1.0, ":persevere:": -1.5, ":confounded:": -1.5,
    ":face_with_symbols_on_mouth:": -3.0,
}

_NEGATORS = frozenset({
    "not", "no", "never", "none", "nothing", "nobody", "nowhere", "neither", "nor", "without", "hardly",
    "barely", "cannot", "cant", "dont", "didnt", "doesnt", "isnt", "wasnt", "werent", "arent", "wont",
    "wouldnt", "couldnt", "shouldnt", "havent", "hasnt", "hadnt", "aint",
})  # and any word ending in "n't"
# fmt: on
_CLAUSE_BREAKS = frozenset(".,;:!?")
_BUTS = frozenset({"but", "however", "although", "though", "yet"})

_EMOTICONS = sorted(
    (s for s in _SYMBOLS if s.isascii() and not re.fullmatch(r":[a-z0-9_+\-]+:", s)), key=len, reverse=True
)
_TOKEN_RE = re.compile(
    r":[a-z0-9_+\-]+:"  # Slack shortcode
    + "".join(f"|{re.escape(e)}(?![a-z0-9])" for e in _EMOTICONS)  # ":d" but not "re:data"
    + r"|[a-z0-9]+(?:'[a-z]+)*"  # words, with their apostrophes ("didn't", "it's")
    + r"|[.,;:!?]"  # clause breaks
    + r"|[^\sa-z0-9]",  # any other single symbol (emoji)
)
_SLACK_MARKUP_RE = re.compile(r"<[^>\s]+>|https?://\S+|www\.\S+")
_DROP_CHARS = dict.fromkeys([0xFE0F, 0xFE0E, 0x200D, *range(0x1F3FB, 0x1F400)])
_MAX_PHRASE = max(len(p.split()) for p in _PHRASES)
_PHRASE_TOKENS = {tuple(p.split()): v for p, v in _PHRASES.items()}


def _tokens(text: str) -> list[str]:
    text = unicodedata.normalize("NFC", text).translate(_DROP_CHARS)
    text = text.replace("\u2019", "'").replace("\u2018", "'").lower()
    text = _SLACK_MARKUP_RE.sub(" ", text)
    return _TOKEN_RE.findall(text)


def _is_negator(token: str) -> bool:
    return token in _NEGATORS or token.endswith("n't")


def domain_polarity(text: str) -> float:
    """The service lexicon's polarity of `text`, in [-1, 1]; 0.0 when no term is present."""
    tokens = _tokens(text)
    terms: list[tuple[int, float]] = []  # (clause position marker, valence)
    but_at: int | None = None
    negation_left = 0
    i = 0
    while i < len(tokens):
        token = tokens[i]
        for n in range(min(_MAX_PHRASE, len(tokens) - i), 1, -1):
            valence = _PHRASE_TOKENS.get(tuple(tokens[i : i + n]))
            if valence is not None:
                terms.append((i, valence * (_NEGATION_FACTOR if negation_left else 1.0)))
                negation_left = 0
                i += n
                break
        else:
            if token in _CLAUSE_BREAKS:
                negation_left = 0
            elif token in _BUTS:
                negation_left = 0
                but_at = i
            elif _is_negator(token):
                negation_left = _NEGATION_SCOPE
            else:
                valence = _WORDS.get(token, _SYMBOLS.get(token))
                if valence is not None:
                    if negation_left:
                        valence *= _NEGATION_FACTOR
                    terms.append((i, valence))
                if negation_left:
                    negation_left -= 1
            i += 1
    if not terms:
        return 0.0
    total = 0.0
    for position, valence in terms:
        if but_at is None:
            total += valence
        else:
            total += valence * (_BEFORE_BUT if position < but_at else _AFTER_BUT)
    return total / math.sqrt(total * total + _DOMAIN_ALPHA)


# --------------------------------------------------------------------------------------------------
# TextBlob and VADER, loaded on first use.


@cache
def _textblob() -> Callable[[str], float]:
    from textblob.en.sentiments import PatternAnalyzer

    analyzer = PatternAnalyzer()
    return lambda text: float(analyzer.analyze(text).polarity)


@cache
def _vader() -> Callable[[str], float]:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyzer = SentimentIntensityAnalyzer()
    return lambda text: float(analyzer.polarity_scores(text)["compound"])


def textblob_polarity(text: str) -> float:
    return _textblob()(text)


def vader_polarity(text: str) -> float:
    return _vader()(text)


@cache
def _library_versions() -> str:
    from importlib.metadata import PackageNotFoundError, version

    def one(dist: str) -> str:
        try:
            return version(dist)
        except PackageNotFoundError:  # pragma: no cover - both are dependencies
            return "?"

    return f"textblob {one('textblob')}, vader {one('vaderSentiment')}"


def scorer_version() -> str:
    """E.g. "1 (textblob 0.20.1, vader 3.3.2)": our revision and the libraries that shape the score."""
    return f"{_SCORER_REVISION} ({_library_versions()})"


def baseline_version() -> str:
    return _library_versions().split(",")[0]


def __getattr__(name: str) -> str:
    # SCORER_VERSION / BASELINE_VERSION read package metadata, so they are computed on first access.
    if name == "SCORER_VERSION":
        return scorer_version()
    if name == "BASELINE_VERSION":
        return baseline_version()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# --------------------------------------------------------------------------------------------------
# Public scorers.


def _clip(x: float) -> float:
    return max(-1.0, min(1.0, x))


def blend(textblob: float, vader: float, domain: float) -> float:
    """The fitted weighted average of the three signals."""
    return _clip(WEIGHT_TEXTBLOB * textblob + WEIGHT_VADER * vader + WEIGHT_DOMAIN * domain)


def rating_polarity(rating: int | str) -> float:
    """A survey rating as a polarity: 1..5 -> -1..1 (3 -> 0), "good" -> 1, "bad" -> -1.

    Digit strings ("4", as a button value carries it) are read as numbers.
    """
    if isinstance(rating, str):
        key = rating.strip().lower()
        if key in {"good", "satisfied", "positive"}:
            return 1.0
        if key in {"bad", "unsatisfied", "dissatisfied", "negative"}:
            return -1.0
        if not (key.isascii() and key.isdigit()):
            raise ValueError(f"unknown survey rating {rating!r}: use 1-5, 'good' or 'bad'")
        rating = int(key)
    if isinstance(rating, bool) or not 1 <= rating <= 5:
        raise ValueError(f"survey rating {rating!r} is outside 1-5")
    return (rating - 3) / 2


def score(text: str, rating: int | str | None = None) -> Sentiment:
    """Score a feedback comment; with `rating` (1-5 or good/bad), blend the survey rating in.

    Empty or whitespace-only text is neutral 0.0 (or the rating alone, when one is given).
    """
    version = scorer_version()
    if text and not text.isspace():
        polarity = blend(textblob_polarity(text), vader_polarity(text), domain_polarity(text))
    else:
        polarity = 0.0
        if rating is not None:
            polarity = rating_polarity(rating)
            return Sentiment(polarity, label_for(polarity), f"{SCORER_NAME}+rating", version)
    if rating is not None:
        polarity = _clip((1 - RATING_WEIGHT) * polarity + RATING_WEIGHT * rating_polarity(rating))
        return Sentiment(polarity, label_for(polarity), f"{SCORER_NAME}+rating", version)
    return Sentiment(polarity, label_for(polarity), SCORER_NAME, version)


def plain_textblob(text: str) -> Sentiment:
    """The baseline: TextBlob's pattern polarity, labelled with the same neutral band."""
    polarity = _clip(textblob_polarity(text)) if text and not text.isspace() else 0.0
    return Sentiment(polarity, label_for(polarity), BASELINE_NAME, baseline_version())
