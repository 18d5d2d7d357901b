"""Sentiment of short service feedback ("Thanks, fixed in minutes!", "still broken, no response").

A comment is read **clause by clause**. It is cut into sentences, and a sentence at its contrast words
("but", "however", "although", "though", …): the clause after a contrast word is the one the writer
means, so it weighs `CONTRAST_WEIGHT` times the others ("Quick fix, thanks! But the status page said
nothing for twenty minutes." is about the status page). Each clause is scored by a weighted average of
four signals, each in [-1, 1]:

- TextBlob's pattern polarity (the baseline; its lexicon ships inside the package),
- VADER's compound score (intensifiers, CAPS, emoticons),
- a *service* lexicon (`domain_polarity`): thanks and praise, support vocabulary ("resolved", "still
  broken", "no response", "nobody told us"), emoji, emoticons and Slack shortcodes, with negation scope,
- a naive-Bayes word model (`nb_polarity`): log-count ratios of words and word pairs (negation-marked)
  learnt from public labelled sentences; the table ships in ``sla/data/sentiment_nb.json.gz`` and is
  rebuilt by ``bench/sentiment_train.py``.

The comment's polarity is the weighted mean of its clauses' polarities. Its label is one of:

- ``negative``: polarity ≤ -band;
- ``mixed``: not negative, but some part of it (a clause, or a comma-separated part of one) reads as a
  complaint, i.e. scores ≤ -`COMPLAINT_THRESHOLD` ("Nice people, slow process.");
- ``positive``: polarity ≥ band; ``neutral`` otherwise.

A negative or mixed result carries `complaint`: the part of the text that scored lowest, quoted to the
lead. The fitted numbers (signal weights, neutral band, contrast weight, complaint threshold) are fitted
by ``bench/sentiment_eval.py`` with cross-validation and written below as constants.

Pure: no clock, no environment, no I/O of our own beyond reading the package's own data file. TextBlob,
VADER and the word table are loaded on first use, so importing `sla` stays cheap.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Literal

from sla.extras import ExtraMissing

if TYPE_CHECKING:
    from collections.abc import Callable

Label = Literal["positive", "neutral", "mixed", "negative"]
LABELS: tuple[Label, ...] = ("positive", "neutral", "mixed", "negative")

SCORER_NAME = "slabot-service-v2"
BASELINE_NAME = "textblob-pattern"
_SCORER_REVISION = "2"

# Fitted by bench/sentiment_eval.py (see its docstring) on every labelled set it reads: weights of
# (TextBlob, VADER, service lexicon, word model), the neutral band, the contrast weight, the complaint
# threshold, and how sure the word model must be to speak alone.
WEIGHT_TEXTBLOB = 0.1
WEIGHT_VADER = 0.1
WEIGHT_DOMAIN = 0.5
WEIGHT_NB = 0.3
NEUTRAL_BAND = 0.0
CONTRAST_WEIGHT = 1.5
COMPLAINT_THRESHOLD = 0.15
# without a sentiment word (TextBlob, VADER and the lexicon all 0) the word model must reach this
NB_ALONE = 0.3
NB_SCALE = 4.0  # the word model's log-odds sum s becomes tanh(s / NB_SCALE)

# Survey rating blended in when given; not fitted (no labelled comment+rating data yet): the client's
# own rating is the stronger statement, the comment nuances it.
RATING_WEIGHT = 0.5

# Domain lexicon normalisation, VADER-style: s / sqrt(s^2 + alpha). One term of valence 2 -> 0.71.
_DOMAIN_ALPHA = 4.0
_NEGATION_FACTOR = -0.75  # "not helpful" is less negative than "unhelpful" is, as in VADER (-0.74)
_NEGATION_SCOPE = 3  # a negator reaches over the next three words, up to a clause break

NB_DATA = "sentiment_nb.json.gz"


@dataclass(frozen=True, slots=True)
class Sentiment:
    polarity: float  # in [-1, 1]
    label: Label
    scorer: str
    version: str
    complaint: str | None = None  # the clause that made it negative or mixed, as written


def label_for(polarity: float, band: float = NEUTRAL_BAND) -> Label:
    """The label of a polarity alone: neutral inside the band (-band, band); never ``mixed``."""
    if polarity >= band and polarity > 0:
        return "positive"
    if polarity <= -band and polarity < 0:
        return "negative"
    return "neutral"


def is_complaint(label: str | None) -> bool:
    """Whether a comment with this label should reach the lead: ``negative`` or ``mixed``."""
    return label in ("negative", "mixed")


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
    "clueless": -2.0, "runaround": -2.0, "chasing": -1.5, "wasted": -2.0, "chase": -1.5, "chased": -1.5,
    "wrong": -1.5, "missing": -1.5, "lost": -1.5, "missed": -1.5, "worse": -2.0, "worst": -3.0,
    "unreliable": -2.0, "unreachable": -2.0, "dismissive": -2.0, "impatient": -1.5, "outdated": -1.0,
    "bounced": -1.0, "reassigned": -1.0, "handoffs": -1.0, "transfers": -1.0, "transferred": -1.0,
    "silence": -1.5, "downtime": -1.5, "error": -1.0, "errors": -1.0, "timeout": -1.0, "timeouts": -1.5,
    "bug": -1.0, "bugs": -1.0, "reopen": -1.0, "painfully": -1.5, "eventually": -1.0, "pity": -1.5,
    "shame": -1.5, "unfortunately": -1.5, "sadly": -1.5, "dropping": -1.0, "drops": -1.0,
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
    "saved my day": 3.0, "no problem": 0.5, "no problems": 1.0, "not bad": 1.0, "not too bad": 1.0, "no issues": 1.0, "no worries": 0.5,
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
    "did the trick": 2.5, "up and running": 2.0, "all good": 2.0, "all sorted": 2.0, "no complaints": 2.0,
    "five stars": 2.5, "extra mile": 2.5, "without a hitch": 2.5,
    "said nothing": -2.5, "told us nothing": -2.5, "nobody told": -2.5, "no one told": -2.5,
    "nobody answered": -3.0, "no one answered": -3.0, "nobody replied": -3.0, "no one replied": -3.0,
    "nobody responded": -3.0, "no one responded": -3.0, "nobody called": -2.5, "no one called": -2.5,
    "never came": -2.5, "never arrived": -2.5, "never happened": -2.0, "never got": -2.0,
    "did not help": -2.5, "didn't help": -2.5, "does not help": -2.0, "doesn't help": -2.0,
    "did not solve": -2.5, "didn't solve": -2.5, "not solved": -2.5, "too long": -2.0,
    "far too long": -2.5, "way too long": -2.5, "took ages": -2.5, "had to wait": -2.0,
    "had to explain": -2.0, "had to repeat": -2.0, "had to push": -2.0, "had to ask": -1.5,
    "had to find": -1.5, "had to fix": -1.5, "closed without": -2.5, "without asking": -1.5,
    "without testing": -1.5, "without a word": -2.5, "no eta": -2.0, "no timeline": -2.0,
    "no idea": -1.5, "no explanation": -2.0, "is back": -1.0, "came back": -1.5, "broke again": -2.5,
    "same error": -1.5, "same bug": -1.5, "same fault": -1.5, "second time": -1.0, "third time": -1.5,
    "only lasted": -2.0, "a day late": -2.0, "days late": -2.0, "too late": -2.0, "charged twice": -2.0,
    "in the queue": -1.0, "not good enough": -2.5, "could be better": -1.5, "could be much better": -2.0,
    "should have been": -1.5, "would have been nice": -1.5, "next time please": -1.0,
    "faster next time": -1.0, "only problem": -1.5, "please stop": -1.5, "by accident": -1.0,
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


_TOOK = frozenset({"took", "taking", "takes", "take", "waited", "waiting", "wait", "after", "since"})
_LONG_UNITS = frozenset({"days", "weeks", "months", "hours", "ages", "day", "week", "month", "weekend"})
_TOOK_VALENCE = -2.0  # "took two days to get a reply", "waited 3 hours", "after a week": time lost


def _time_lost(tokens: Sequence[str]) -> bool:
    """Whether `tokens` say time was lost: "took"/"waited"/"after" then a long unit within four words."""
    for i, token in enumerate(tokens):
        if token in _TOOK and any(t in _LONG_UNITS for t in tokens[i + 1 : i + 5]):
            return True
    return False


def domain_polarity(text: str) -> float:
    """The service lexicon's polarity of `text`, in [-1, 1]; 0.0 when no term is present."""
    tokens = _tokens(text)
    total, found = (_TOOK_VALENCE, True) if _time_lost(tokens) else (0.0, False)
    negation_left = 0
    i = 0
    while i < len(tokens):
        token = tokens[i]
        for n in range(min(_MAX_PHRASE, len(tokens) - i), 1, -1):
            valence = _PHRASE_TOKENS.get(tuple(tokens[i : i + n]))
            if valence is not None:
                total += valence * (_NEGATION_FACTOR if negation_left else 1.0)
                found, negation_left = True, 0
                i += n
                break
        else:
            if token in _CLAUSE_BREAKS:
                negation_left = 0
            elif _is_negator(token):
                negation_left = _NEGATION_SCOPE
            else:
                valence = _WORDS.get(token, _SYMBOLS.get(token))
                if valence is not None:
                    total += valence * (_NEGATION_FACTOR if negation_left else 1.0)
                    found = True
                if negation_left:
                    negation_left -= 1
            i += 1
    if not found:
        return 0.0
    return total / math.sqrt(total * total + _DOMAIN_ALPHA)


# --------------------------------------------------------------------------------------------------
# Clauses: sentences, cut at contrast words; parts: clauses cut at commas and dashes.

_SENTENCE_RE = re.compile(r"(?<=[.!?;])\s+|\n+")
_CONTRAST_RE = re.compile(
    r"\b(?:but|however|although|though|nevertheless|nonetheless|whereas|except that)\b|(?<=,)\s*yet\b",
    re.IGNORECASE,
)
_PART_RE = re.compile(r",|\s[-\u2013\u2014]\s|[\u2013\u2014]")  # not at ":" or brackets: ":)" ":thumbsup:"
_EDGE_RE = re.compile(r"^[\s,;.\-\u2013\u2014]+|[\s,;.\-\u2013\u2014]+$")


@dataclass(frozen=True, slots=True)
class Clause:
    text: str
    contrasted: bool  # follows a contrast word (or ends with a trailing "though"): weighs more
    parts: tuple[str, ...]  # the clause cut at commas and dashes (complaint detection)


def _trim(text: str) -> str:
    return _EDGE_RE.sub("", text)


def clauses(text: str) -> list[Clause]:
    """The clauses of `text` in order; those without a word or symbol are left out."""
    found: list[Clause] = []

    def add(piece: str, contrasted: bool) -> None:
        piece = _trim(piece)
        if _tokens(piece):
            parts = tuple(p for p in (_trim(x) for x in _PART_RE.split(piece)) if _tokens(p))
            found.append(Clause(piece, contrasted, parts or (piece,)))

    for sentence in _SENTENCE_RE.split(text):
        cuts = list(_CONTRAST_RE.finditer(sentence))
        if not cuts:
            add(sentence, False)
            continue
        start, contrasted = 0, False
        for cut in cuts:
            before = sentence[start : cut.start()]
            trailing = not _tokens(sentence[cut.end() :].replace(".", " "))
            add(before, contrasted or trailing)  # "It took four days though." is the contrasted clause
            start, contrasted = cut.end(), True
        add(sentence[start:], contrasted)
    return found


# --------------------------------------------------------------------------------------------------
# The word model: naive-Bayes log-count ratios of words and word pairs, negation-marked.


def nb_features(text: str) -> list[str]:
    """Words ("slow"), word pairs ("too slow") and negated words ("not_helpful") of `text`, once each."""
    words: list[str] = []
    negation_left = 0
    for token in _tokens(text):
        if token in _CLAUSE_BREAKS:
            negation_left = 0
            words.append("|")
            continue
        if _is_negator(token):
            negation_left = _NEGATION_SCOPE
            words.append(token)
            continue
        words.append(f"not_{token}" if negation_left else token)
        if negation_left:
            negation_left -= 1
    features = {w for w in words if w != "|"}
    features.update(f"{a} {b}" for a, b in zip(words, words[1:], strict=False) if "|" not in (a, b))
    return sorted(features)


@dataclass(frozen=True, slots=True)
class WordModel:
    weights: dict[str, float]
    digest: str  # first 12 hex digits of the table's SHA-256: recorded in the scorer version

    def log_odds(self, features: Iterable[str]) -> float:
        get = self.weights.get
        return sum(get(f, 0.0) for f in features)

    def polarity(self, features: Iterable[str]) -> float:
        return math.tanh(self.log_odds(features) / NB_SCALE)


def load_word_model(raw: bytes) -> WordModel:
    data = json.loads(gzip.decompress(raw))
    return WordModel(
        {str(k): float(v) for k, v in data["weights"].items()}, hashlib.sha256(raw).hexdigest()[:12]
    )


@cache
def word_model() -> WordModel:
    return load_word_model(resources.files("sla").joinpath("data", NB_DATA).read_bytes())


def nb_polarity(text: str) -> float:
    return word_model().polarity(nb_features(text))


# --------------------------------------------------------------------------------------------------
# TextBlob and VADER, loaded on first use.


# Both are the optional ``sentiment`` extra: without one, its signal is 0 and the others share its weight
# (:func:`available_weights`); the scorer version says which libraries shaped a score.


@cache
def _textblob() -> Callable[[str], float] | None:
    try:
        from textblob.en.sentiments import PatternAnalyzer
    except ImportError:
        return None
    analyzer = PatternAnalyzer()
    return lambda text: float(analyzer.analyze(text).polarity)


@cache
def _vader() -> Callable[[str], float] | None:
    try:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer
    except ImportError:
        return None
    analyzer = SentimentIntensityAnalyzer()
    return lambda text: float(analyzer.polarity_scores(text)["compound"])


def textblob_polarity(text: str) -> float:
    scorer = _textblob()
    return scorer(text) if scorer is not None else 0.0


def vader_polarity(text: str) -> float:
    scorer = _vader()
    return scorer(text) if scorer is not None else 0.0


def available_weights(weights: Sequence[float]) -> tuple[float, float, float, float]:
    """``weights`` (TextBlob, VADER, lexicon, word model) with a missing library's weight shared by the
    signals that remain, in proportion (the total stays the same)."""
    w_tb, w_vd, w_dm, w_nb = weights
    kept = (w_tb if _textblob() else 0.0, w_vd if _vader() else 0.0, w_dm, w_nb)
    total = sum(kept)
    if total == sum(weights) or total == 0:
        return (w_tb, w_vd, w_dm, w_nb)
    scale = sum(weights) / total
    return (kept[0] * scale, kept[1] * scale, kept[2] * scale, kept[3] * scale)


def missing_libraries() -> tuple[str, ...]:
    """The sentiment libraries that are not installed (``pip install 'slabot[sentiment]'`` adds them)."""
    return tuple(
        name for name, scorer in (("textblob", _textblob), ("vaderSentiment", _vader)) if not scorer()
    )


@cache
def _library_versions() -> str:
    from importlib.metadata import PackageNotFoundError, version

    def one(dist: str) -> str:
        try:
            return version(dist)
        except PackageNotFoundError:  # the optional `sentiment` extra is not installed
            return "missing"

    textblob = one("textblob") if _textblob() is not None else "missing"
    vader = one("vaderSentiment") if _vader() is not None else "missing"
    return f"textblob {textblob}, vader {vader}"


def scorer_version() -> str:
    """E.g. "2 (textblob 0.20.1, vader 3.3.2, words 3f2a…)": our revision and what shapes the score."""
    return f"{_SCORER_REVISION} ({_library_versions()}, words {word_model().digest})"


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
# Scoring.


@dataclass(frozen=True, slots=True)
class Signals:
    """The four signals of one piece of text, before weighting."""

    textblob: float
    vader: float
    domain: float
    nb_features: tuple[str, ...]

    @classmethod
    def of(cls, text: str) -> Signals:
        return cls(
            textblob_polarity(text), vader_polarity(text), domain_polarity(text), tuple(nb_features(text))
        )


@dataclass(frozen=True, slots=True)
class Params:
    """The fitted numbers (module constants by default; the bench fits others)."""

    weights: tuple[float, float, float, float] = (WEIGHT_TEXTBLOB, WEIGHT_VADER, WEIGHT_DOMAIN, WEIGHT_NB)
    band: float = NEUTRAL_BAND
    contrast: float = CONTRAST_WEIGHT
    complaint: float = COMPLAINT_THRESHOLD
    nb_alone: float = NB_ALONE


def _clip(x: float) -> float:
    return max(-1.0, min(1.0, x))


def blend(signals: Signals, weights: Sequence[float], model: WordModel, nb_alone: float = NB_ALONE) -> float:
    """The weighted average of one piece's four signals, in [-1, 1].

    A piece without a sentiment word (TextBlob, VADER and the lexicon all 0: "Please close the ticket.")
    is left to the word model only when it is sure (|nb| >= `nb_alone`); else it is 0.
    """
    nb = model.polarity(signals.nb_features) if weights[3] else 0.0
    if signals.textblob == signals.vader == signals.domain == 0.0 and abs(nb) < nb_alone:
        return 0.0
    w_tb, w_vd, w_dm, w_nb = weights
    return _clip(w_tb * signals.textblob + w_vd * signals.vader + w_dm * signals.domain + w_nb * nb)


@dataclass(frozen=True, slots=True)
class Reading:
    """A comment as the scorer read it: each clause's polarity and weight, each part's polarity."""

    clauses: tuple[tuple[str, float, float], ...]  # (clause, polarity, weight)
    parts: tuple[tuple[str, float], ...]  # (part, polarity)

    def polarity(self) -> float:
        weighted = [(p, w) for _, p, w in self.clauses if p != 0.0]
        if not weighted:
            return 0.0
        return _clip(sum(p * w for p, w in weighted) / sum(w for _, w in weighted))

    def lowest(self) -> tuple[str, float] | None:
        return min(self.parts, key=lambda x: x[1], default=None)

    def highest(self) -> tuple[str, float] | None:
        return max(self.parts, key=lambda x: x[1], default=None)


def read(
    pieces: Sequence[tuple[Clause, Signals, Sequence[Signals]]], params: Params, model: WordModel
) -> Reading:
    """Weigh pre-computed signals (the bench computes them once and fits `params` over them)."""
    scored_clauses, scored_parts = [], []
    for clause, signals, part_signals in pieces:
        weight = params.contrast if clause.contrasted else 1.0
        polarity = blend(signals, params.weights, model, params.nb_alone)
        scored_clauses.append((clause.text, polarity, weight))
        if len(clause.parts) == 1:
            scored_parts.append((clause.text, polarity))
        else:
            scored_parts.extend(
                (part, blend(s, params.weights, model, params.nb_alone))
                for part, s in zip(clause.parts, part_signals, strict=True)
            )
    return Reading(tuple(scored_clauses), tuple(scored_parts))


def signals_of(text: str) -> list[tuple[Clause, Signals, list[Signals]]]:
    """Every clause of `text` with its signals and, when it has several parts, each part's."""
    out = []
    for clause in clauses(text):
        parts = [Signals.of(p) for p in clause.parts] if len(clause.parts) > 1 else []
        out.append((clause, Signals.of(clause.text), parts))
    return out


def judge(reading: Reading, polarity: float, band: float, complaint: float) -> tuple[Label, str | None]:
    """The label of a reading whose overall polarity is `polarity`, and the part to quote.

    A part scoring at most -threshold is a complaint, at least +threshold praise (threshold: the larger of
    `complaint` and `band`). Complaint and praise: ``mixed``. Else a negative polarity: ``negative``. Else
    a complaint in a comment that is not negative overall: ``mixed``. Else positive or neutral by the band.
    """
    threshold = max(complaint, band)
    lowest, highest = reading.lowest(), reading.highest()
    complaint_part = lowest[0] if lowest is not None and lowest[1] <= -threshold and lowest[1] < 0 else None
    praised = highest is not None and highest[1] >= threshold and highest[1] > 0
    if complaint_part is not None and praised:
        return "mixed", complaint_part
    if polarity <= -band and polarity < 0:
        return "negative", complaint_part or (lowest[0] if lowest is not None and lowest[1] < 0 else None)
    if complaint_part is not None:
        return "mixed", complaint_part
    return label_for(polarity, band), None


_ACKNOWLEDGEMENTS = frozenset(
    {
        "ok",
        "okay",
        "k",
        "kk",
        "fine",
        "noted",
        "got",
        "it",
        "alright",
        "sure",
        "understood",
        "received",
        "👌",
        ":ok_hand:",
        ":ok:",
    }
)


def is_acknowledgement(text: str) -> bool:
    """A bare acknowledgement ("ok", "fine", "Got it.", "noted"): it says nothing about the service.

    (A thumbs-up is praise, not this.)"""
    words = [t for t in _tokens(text) if t not in _CLAUSE_BREAKS]
    return bool(words) and all(w in _ACKNOWLEDGEMENTS for w in words)


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
    scorer = SCORER_NAME if rating is None else f"{SCORER_NAME}+rating"
    params, model = Params(), word_model()
    params = replace(params, weights=available_weights(params.weights))
    said = text and not text.isspace() and not is_acknowledgement(text)
    reading = read(signals_of(text), params, model) if said else Reading((), ())
    polarity = reading.polarity()
    if rating is not None:
        given = rating_polarity(rating)
        polarity = (
            given if not reading.clauses else _clip((1 - RATING_WEIGHT) * polarity + RATING_WEIGHT * given)
        )
    label, complaint = judge(reading, polarity, params.band, params.complaint)
    return Sentiment(polarity, label, scorer, version, complaint)


def plain_textblob(text: str) -> Sentiment:
    """The baseline: TextBlob's pattern polarity, labelled with the same neutral band (needs the
    ``sentiment`` extra: :class:`sla.extras.ExtraMissing` without it)."""
    if _textblob() is None:
        raise ExtraMissing("sentiment", "the plain TextBlob baseline")
    polarity = _clip(textblob_polarity(text)) if text and not text.isspace() else 0.0
    return Sentiment(polarity, label_for(polarity), BASELINE_NAME, baseline_version())
