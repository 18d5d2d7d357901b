"""How well does `sla.sentiment.score` read sentiment, compared with plain TextBlob (the baseline)?

    .venv/bin/python bench/sentiment_eval.py [--data PATH ...] [--folds 5] [--seed 2024]

Sets (each `sentence<TAB>score`, 1 = positive, 0 = negative, read with csv.QUOTE_NONE):
- yelp: the UCI "Sentiment Labelled Sentences", Yelp part, in ../shared/data/sentiment/ (Kotzias et al.,
  KDD 2015, CC BY 4.0); skipped with a message when ../shared is absent;
- vader_amazon, vader_movies, vader_tweets, vader_nyt: the human-rated sentences published with VADER
  (Hutto & Gilbert, ICWSM 2014; MIT, from the vaderSentiment 3.3.2 sdist on PyPI), kept where the raters'
  mean is at least 1 from neutral; tests/sla/data/sentiment/, rebuilt by bench/sentiment_sets.py;
- support: 416 support-feedback comments written for slabot (tests/sla/data/sentiment/support_feedback.tsv,
  `text<TAB>label`, four labels: positive, neutral, mixed, negative);
- every --data PATH: a further binary set. It takes no part in any fitting, so the shipped scorer's figure
  on it is held out by construction.

Figures, for every scorer alike:
- strict accuracy: the label as given; on a binary set "neutral" and "mixed" count as wrong (a mixed
  comment is neither), on the support set the four labels must match;
- complaint recall (support set): share of the mixed and negative comments labelled mixed or negative
  (what reaches the lead; plain TextBlob's only complaint label is negative); precision beside it.

Ours has fitted numbers (the word model, the four signal weights, the neutral band, the contrast weight,
the complaint threshold), so its figures on the sets it is fitted on are **held out**:
- "CV": stacked k-fold cross-validation over all sets at once (each set cut into k folds; fold i of every
  set is held out together): the word model is trained on the other folds, and the numbers are fitted on
  the other folds' rows, each scored by a word model that did not see that row;
- "new set": leave-one-set-out: the word model and the numbers are fitted on the other sets only, which
  is what a set of a kind never seen gets (the sealed evaluation, a client's comments).
Fitting maximises half the binary training sets' part (0.8 x their mean strict accuracy + 0.2 x the
smallest gain over plain TextBlob among them: it must hold on every set) plus half the support set's
strict accuracy, among the numbers that catch RECALL_FLOOR (93 %) of the support set's training
complaints, by coordinate ascent from four starting points on grids: weights on the simplex in steps
of 0.1 with every weight at least 0.1 (each signal keeps a say), contrast weight in CONTRASTS (above 1:
the clause after a contrast word weighs more), band in BANDS, complaint threshold in COMPLAINTS, the
word model's "alone" threshold in NB_ALONES. Plain TextBlob is labelled with the shipped neutral band.
"shipped" is `sla.sentiment.score` as installed (in-sample on the sets it was fitted on).
"""

from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import io
import os
import pickle
import random
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from sentiment_train import Vocabulary, weights  # noqa: E402

from sla import sentiment  # noqa: E402

SHARED_YELP = REPO / ".." / "shared" / "data" / "sentiment" / "uci_yelp_labelled.tsv"
DATA = REPO / "tests" / "sla" / "data" / "sentiment"
VADER_SETS = ("vader_amazon", "vader_movies", "vader_tweets", "vader_nyt")
SUPPORT = DATA / "support_feedback.tsv"
CONTRASTS = (1.5, 2.0, 3.0)  # > 1: the clause after a contrast word weighs more (issue 17)
# A wide band buys the support set's neutrals with review-set accuracy (on a binary set every neutral
# is wrong): fitted without the movie reviews it chose 0.06 and scored them at chance. Neutrals come
# from the evidence gate (NB_ALONES) and the acknowledgement rule instead; the band stays narrow.
BANDS = (0.0, 0.02, 0.04)
COMPLAINTS = (0.1, 0.15, 0.2, 0.3, 0.4)
NB_ALONES = (0.0, 0.3, 0.5, 0.7, 1.01)  # 1.01: the word model never speaks alone
RECALL_FLOOR = 0.93  # of the training folds' complaints; the goal on held-out comments is 90 %
LABEL_CODE = {label: i for i, label in enumerate(sentiment.LABELS)}  # positive, neutral, mixed, negative
POS, NEU, MIX, NEG = range(4)


@dataclass
class LabelledSet:
    name: str
    source: str
    texts: list[str]
    gold: list[str]  # positive / negative (binary sets), or any of the four labels (support)
    fitted: bool = True  # takes part in fitting (False: a --data set, held out by construction)

    @property
    def binary(self) -> bool:
        return set(self.gold) <= {"positive", "negative"}


def read_tsv(path: Path) -> list[dict[str, str]]:
    raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8")), delimiter="\t", quoting=csv.QUOTE_NONE))


def binary_set(name: str, path: Path, source: str, fitted: bool = True) -> LabelledSet:
    rows = read_tsv(path)
    if not rows or not {"sentence", "score"} <= set(rows[0]):
        raise SystemExit(f"{path}: expected a header 'sentence<TAB>score'")
    rows = [r for r in rows if r["sentence"]]
    gold = ["positive" if r["score"].strip() == "1" else "negative" for r in rows]
    return LabelledSet(name, source, [r["sentence"] for r in rows], gold, fitted)


def support_set() -> LabelledSet:
    rows = read_tsv(SUPPORT)
    return LabelledSet("support", "written for slabot", [r["text"] for r in rows], [r["label"] for r in rows])


def default_sets(out: Callable[[str], None] = print) -> list[LabelledSet]:
    sets = []
    if SHARED_YELP.is_file():
        sets.append(binary_set("yelp", SHARED_YELP, "UCI Sentiment Labelled Sentences, CC BY 4.0"))
    else:
        out(f"(yelp skipped: no {SHARED_YELP.resolve()}; the shared data live in ../shared beside the repo)")
    for name in VADER_SETS:
        sets.append(
            binary_set(name, DATA / f"{name}.tsv.gz", "Hutto & Gilbert 2014, MIT (vaderSentiment sdist)")
        )
    sets.append(support_set())
    return sets


def training_rows(s: LabelledSet) -> list[tuple[list[str], bool]]:
    """(word-model features, positive?) of the set's positive and negative sentences."""
    return [
        (sentiment.nb_features(t), g == "positive")
        for t, g in zip(s.texts, s.gold, strict=True)
        if g in ("positive", "negative")
    ]


# --- signals, computed once per sentence -------------------------------------------------------------


@dataclass
class Table:
    """Every sentence of every set as arrays: clauses and parts with their fixed signals."""

    n: int
    clause_sentence: np.ndarray
    clause_contrasted: np.ndarray
    clause_fixed: np.ndarray  # (clauses, 3): textblob, vader, domain
    clause_features: list[tuple[str, ...]]
    acknowledgement: np.ndarray  # per sentence: a bare "ok" (neutral whatever the signals)
    part_sentence: np.ndarray
    part_fixed: np.ndarray
    part_features: list[tuple[str, ...]]
    sentence_features: list[list[str]] = field(default_factory=list)

    @classmethod
    def build(cls, texts: Sequence[str]) -> Table:
        cs, cc, cf, cn, ps, pf, pn = [], [], [], [], [], [], []
        ack = np.array([sentiment.is_acknowledgement(t) for t in texts], dtype=bool)
        for i, text in enumerate(texts):
            pieces = sentiment.signals_of(text)
            if not pieces:  # no word at all: one zero part so that every sentence has one
                ps.append(i), pf.append((0.0, 0.0, 0.0)), pn.append(())
            for clause, sig, parts in pieces:
                cs.append(i), cc.append(clause.contrasted), cn.append(sig.nb_features)
                cf.append((sig.textblob, sig.vader, sig.domain))
                for p in parts or [sig]:
                    ps.append(i), pf.append((p.textblob, p.vader, p.domain)), pn.append(p.nb_features)
        return cls(
            len(texts),
            np.array(cs, dtype=np.int64),
            np.array(cc, dtype=bool),
            np.array(cf, dtype=float).reshape(-1, 3),
            cn,
            ack,
            np.array(ps, dtype=np.int64),
            np.array(pf, dtype=float).reshape(-1, 3),
            pn,
            [sentiment.nb_features(t) for t in texts],
        )


def cached_table(texts: list[str]) -> Table:
    """Table.build, kept in $SENTIMENT_EVAL_CACHE (a directory) when set: a rerun with the same texts
    and the same sla/sentiment.py skips computing the signals (development only)."""
    cache = os.environ.get("SENTIMENT_EVAL_CACHE")
    if not cache:
        return Table.build(texts)
    # the scorer's source and the signals of a sample stand for the code (a lexicon entry changes the key)
    probe = [t for i, t in enumerate(texts) if i % 500 == 0]
    code = Path(sentiment.__file__).read_text(encoding="utf-8") + repr(Table.build(probe))
    key = hashlib.sha256(("\0".join(texts) + code).encode()).hexdigest()[:16]
    path = Path(cache) / f"sentiment-table-{key}.pickle"
    if path.is_file():
        return pickle.loads(path.read_bytes())
    built = Table.build(texts)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pickle.dumps(built))
    return built


def weight_grid() -> list[tuple[float, float, float, float]]:
    return [
        (a / 10, b / 10, c / 10, (10 - a - b - c) / 10)
        for a in range(1, 10)
        for b in range(1, 10)
        for c in range(1, 10)
        if 10 - a - b - c >= 1
    ]


class Scorer:
    """Labels of a subset of the table's sentences for given numbers, vectorised."""

    def __init__(self, table: Table, rows: np.ndarray, clause_nb: np.ndarray, part_nb: np.ndarray) -> None:
        self.n = len(rows)
        local = np.full(table.n, -1, dtype=np.int64)
        local[rows] = np.arange(len(rows))
        keep_c = local[table.clause_sentence] >= 0
        keep_p = local[table.part_sentence] >= 0
        self.c_idx = local[table.clause_sentence[keep_c]]
        self.c_x = np.column_stack([table.clause_fixed[keep_c], clause_nb[keep_c]])
        self.c_contrasted = table.clause_contrasted[keep_c]
        self.ack = table.acknowledgement[rows]
        self.p_idx = local[table.part_sentence[keep_p]]
        self.p_x = np.column_stack([table.part_fixed[keep_p], part_nb[keep_p]])
        # parts come in sentence order and every sentence has one: min/max per sentence by reduceat
        self.p_starts = np.flatnonzero(np.r_[True, self.p_idx[1:] != self.p_idx[:-1]])
        assert len(self.p_starts) == self.n

    @staticmethod
    def _blend(x: np.ndarray, w: Sequence[float], nb_alone: float) -> np.ndarray:
        """As sla.sentiment.blend: no sentiment word and an unsure word model give 0."""
        p = np.clip(x @ np.asarray(w), -1, 1)
        silent = (x[:, 0] == 0) & (x[:, 1] == 0) & (x[:, 2] == 0) & (np.abs(x[:, 3]) < nb_alone)
        return np.where(silent, 0.0, p)

    def polarities(
        self, w: Sequence[float], contrast: float, nb_alone: float
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        cp = self._blend(self.c_x, w, nb_alone)
        cw = np.where(self.c_contrasted, contrast, 1.0) * (cp != 0)
        num = np.bincount(self.c_idx, cp * cw, self.n)
        den = np.bincount(self.c_idx, cw, self.n)
        pol = np.clip(np.divide(num, den, out=np.zeros(self.n), where=den > 0), -1, 1)
        pp = self._blend(self.p_x, w, nb_alone)
        lowest = np.minimum.reduceat(pp, self.p_starts)
        highest = np.maximum.reduceat(pp, self.p_starts)
        return np.where(self.ack, 0.0, pol), np.where(self.ack, 0.0, lowest), np.where(self.ack, 0.0, highest)

    @staticmethod
    def labels(
        pol: np.ndarray, lowest: np.ndarray, highest: np.ndarray, band: float, complaint: float
    ) -> np.ndarray:
        """As sla.sentiment.judge."""
        threshold = max(complaint, band)
        has_complaint = (lowest <= -threshold) & (lowest < 0)
        has_praise = (highest >= threshold) & (highest > 0)
        out = np.full(pol.shape, NEU)
        out[(pol >= band) & (pol > 0)] = POS
        out[has_complaint] = MIX
        out[(pol <= -band) & (pol < 0) & ~has_praise] = NEG
        return out


@dataclass(frozen=True)
class Numbers:
    weights: tuple[float, float, float, float]
    contrast: float
    band: float
    complaint: float
    nb_alone: float


def set_score(pred: np.ndarray, gold: np.ndarray) -> float:
    """The fitting objective of one set: strict accuracy, with complaint recall when the set has mixed."""
    acc = float(np.mean(pred == gold))
    complaints = (gold == MIX) | (gold == NEG)
    if not (gold == MIX).any():
        return acc
    recall = float(np.mean((pred[complaints] == MIX) | (pred[complaints] == NEG)))
    return (acc + recall) / 2


Group = tuple[
    np.ndarray, bool, float
]  # rows of one set within the scorer, binary?, plain TextBlob's accuracy


def objective(pred: np.ndarray, gold: np.ndarray, groups: list[Group]) -> tuple[bool, float]:
    """(support complaint recall reaches RECALL_FLOOR, value). The value is half the binary sets' part,
    half the support sets' strict accuracy (support feedback is what the scorer is for; the review sets
    keep it honest on words it was not written for). The binary part is 0.8 x their mean strict
    accuracy + 0.2 x the smallest gain over plain TextBlob among them (the gain must hold on every set;
    a larger share of the smallest gain made the fit unstable: one set's gain bought with another's)."""
    accuracy = {i: float(np.mean(pred[g] == gold[g])) for i, (g, _, _) in enumerate(groups)}
    binary = [i for i, (_, is_binary, _) in enumerate(groups) if is_binary]
    support = [g for g, is_binary, _ in groups if not is_binary]
    binary_value = (
        0.5 * float(np.mean([accuracy[i] for i in binary]))
        + 0.5 * min(accuracy[i] - groups[i][2] for i in binary)
        if binary
        else 0.0
    )
    if not support:
        return True, binary_value
    support_value = float(np.mean([accuracy[i] for i, (_, b, _) in enumerate(groups) if not b]))
    complaints = np.concatenate([g[(gold[g] == MIX) | (gold[g] == NEG)] for g in support])
    recall = float(np.mean((pred[complaints] == MIX) | (pred[complaints] == NEG))) if len(complaints) else 1.0
    value = 0.5 * binary_value + 0.5 * support_value if binary else support_value
    return recall >= RECALL_FLOOR, value + (0.0 if recall >= RECALL_FLOOR else recall)


def fit(scorer: Scorer, gold: np.ndarray, groups: list[Group]) -> Numbers:
    """The numbers maximising `objective` among those that catch RECALL_FLOOR of the support set's
    complaints (if none does: those with the best recall), by coordinate ascent over the grids from
    four starting weights (equal-ish, and each of VADER, the lexicon, the word model leading): each
    number in turn takes its best grid value with the others fixed, until a round changes nothing."""
    cache: dict[tuple[tuple[float, ...], float, float], tuple[np.ndarray, np.ndarray, np.ndarray]] = {}

    def value(n: Numbers) -> tuple[bool, float]:
        key = (n.weights, n.contrast, n.nb_alone)
        if key not in cache:
            cache[key] = scorer.polarities(n.weights, n.contrast, n.nb_alone)
        pol, lowest, highest = cache[key]
        return objective(Scorer.labels(pol, lowest, highest, n.band, n.complaint), gold, groups)

    grid = weight_grid()
    # coordinates: the weights; contrast with the word model's threshold; band with complaint threshold
    coordinates: list[list[dict[str, object]]] = [
        [{"weights": w} for w in grid],
        [{"contrast": c, "nb_alone": a} for c in CONTRASTS for a in NB_ALONES],
        [{"band": b, "complaint": c} for b in BANDS for c in COMPLAINTS],
    ]
    starts = [(0.3, 0.3, 0.2, 0.2), (0.1, 0.6, 0.1, 0.2), (0.1, 0.2, 0.6, 0.1), (0.1, 0.2, 0.1, 0.6)]
    results = []
    for start in starts:
        current = Numbers(start, CONTRASTS[1], BANDS[0], COMPLAINTS[1], NB_ALONES[1])
        best = value(current)
        for _ in range(6):
            changed = False
            for options in coordinates:
                for option in options:
                    candidate = replace(current, **option)  # type: ignore[arg-type]
                    v = value(candidate)
                    if v > best:
                        best, current, changed = v, candidate, True
            if not changed:
                break
        results.append((best, current))
    return max(results, key=lambda r: r[0])[1]


# --- figures ---------------------------------------------------------------------------------------


def strict_accuracy(pred: Sequence[str], gold: Sequence[str]) -> float:
    return sum(p == g for p, g in zip(pred, gold, strict=True)) / len(gold)


def complaint_figures(pred: Sequence[str], gold: Sequence[str]) -> tuple[float, float]:
    complaint = {"mixed", "negative"}
    hits = sum(p in complaint and g in complaint for p, g in zip(pred, gold, strict=True))
    actual = sum(g in complaint for g in gold)
    flagged = sum(p in complaint for p in pred)
    return hits / actual if actual else float("nan"), hits / flagged if flagged else float("nan")


def share(pred: Sequence[str], label: str) -> float:
    return sum(p == label for p in pred) / len(pred)


def table(header: Sequence[str], body: Sequence[Sequence[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in body)) for i, h in enumerate(header)]
    line = "| " + " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + " |"
    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    rows = ["| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |" for r in body]
    return "\n".join([line, rule, *rows])


def folds_of(n: int, k: int, seed: int) -> np.ndarray:
    order = list(range(n))
    random.Random(seed).shuffle(order)
    fold = np.empty(n, dtype=np.int64)
    for i, row in enumerate(order):
        fold[row] = i % k
    return fold


class Evaluation:
    def __init__(self, sets: list[LabelledSet], k: int, seed: int) -> None:
        self.sets, self.k = sets, k
        self.offsets = np.cumsum([0, *(len(s.texts) for s in sets)])
        texts = [t for s in sets for t in s.texts]
        self.gold = np.array([LABEL_CODE[g] for s in sets for g in s.gold])
        self.positive = self.gold == POS
        binary = np.concatenate([np.full(len(s.texts), s.binary) for s in sets])
        self.trainable = (
            (self.gold == POS) | (self.gold == NEG)
        ) & binary  # the word model never sees support
        self.fold = np.concatenate([folds_of(len(s.texts), k, seed + i) for i, s in enumerate(sets)])
        self.table = cached_table(texts)
        self.baseline = np.array([LABEL_CODE[sentiment.plain_textblob(t).label] for t in texts])
        # feature counts per (set, fold): a word model for any union is a sum of these
        self.vocabulary = Vocabulary(self.table.sentence_features[r] for r in np.flatnonzero(self.trainable))
        encoded = [self.vocabulary.encode(f) for f in self.table.sentence_features]
        self.counts = {
            (i, f): self.vocabulary.counts(
                (encoded[r], bool(self.positive[r]))
                for r in self.rows(i)
                if self.fold[r] == f and self.trainable[r]
            )
            for i in range(len(sets))
            for f in range(k)
        }
        self.clause_encoded = [self.vocabulary.encode(f) for f in self.table.clause_features]
        self.part_encoded = [self.vocabulary.encode(f) for f in self.table.part_features]

    def rows(self, i: int) -> np.ndarray:
        return np.arange(self.offsets[i], self.offsets[i + 1])

    def model(self, parts: list[tuple[int, int]]) -> tuple[np.ndarray, np.ndarray]:
        """Word-model polarity of every clause and part, the model trained on ``parts`` (set, fold)."""
        w = weights(sum((self.counts[key] for key in parts), np.zeros((2, len(self.vocabulary.names)))))

        def column(encoded: list[np.ndarray]) -> np.ndarray:
            return np.tanh(np.array([w[e].sum() for e in encoded]) / sentiment.NB_SCALE)

        return column(self.clause_encoded), column(self.part_encoded)

    def fitted_indices(self) -> list[int]:
        return [i for i, s in enumerate(self.sets) if s.fitted]

    def cross_validated(self) -> np.ndarray:
        """Held-out labels of every row of the fitted sets, by stacked k-fold CV."""
        fitted = self.fitted_indices()
        rows = np.concatenate([self.rows(i) for i in fitted])
        clause_nb = np.zeros(len(self.table.clause_sentence))
        part_nb = np.zeros(len(self.table.part_sentence))
        for f in range(self.k):  # out-of-fold word-model scores for every row
            cn, pn = self.model([(i, g) for i in fitted for g in range(self.k) if g != f])
            held_c = self.fold[self.table.clause_sentence] == f
            held_p = self.fold[self.table.part_sentence] == f
            clause_nb[held_c], part_nb[held_p] = cn[held_c], pn[held_p]
        pred = np.full(len(self.gold), -1)
        for f in range(self.k):
            train = rows[self.fold[rows] != f]
            test = rows[self.fold[rows] == f]
            numbers = self._fit(train, clause_nb, part_nb)
            pred[test] = self._predict(test, clause_nb, part_nb, numbers)
        return pred

    def new_set(self, i: int) -> np.ndarray:
        """Labels of set i by a word model and numbers fitted on the other fitted sets only."""
        others = [j for j in self.fitted_indices() if j != i]
        rows = np.concatenate([self.rows(j) for j in others])
        clause_nb = np.zeros(len(self.table.clause_sentence))
        part_nb = np.zeros(len(self.table.part_sentence))
        for f in range(self.k):  # out-of-fold scores within the other sets
            cn, pn = self.model([(j, g) for j in others for g in range(self.k) if g != f])
            held_c = (self.fold[self.table.clause_sentence] == f) & np.isin(self.table.clause_sentence, rows)
            held_p = (self.fold[self.table.part_sentence] == f) & np.isin(self.table.part_sentence, rows)
            clause_nb[held_c], part_nb[held_p] = cn[held_c], pn[held_p]
        numbers = self._fit(rows, clause_nb, part_nb)
        cn, pn = self.model([(j, g) for j in others for g in range(self.k)])
        mine_c = np.isin(self.table.clause_sentence, self.rows(i))
        mine_p = np.isin(self.table.part_sentence, self.rows(i))
        clause_nb[mine_c], part_nb[mine_p] = cn[mine_c], pn[mine_p]
        return self._predict(self.rows(i), clause_nb, part_nb, numbers)

    def fit_all(self) -> Numbers:
        """The numbers to ship: fitted on every fitted set (out-of-fold word-model scores)."""
        fitted = self.fitted_indices()
        rows = np.concatenate([self.rows(i) for i in fitted])
        clause_nb = np.zeros(len(self.table.clause_sentence))
        part_nb = np.zeros(len(self.table.part_sentence))
        for f in range(self.k):
            cn, pn = self.model([(i, g) for i in fitted for g in range(self.k) if g != f])
            held_c = self.fold[self.table.clause_sentence] == f
            held_p = self.fold[self.table.part_sentence] == f
            clause_nb[held_c], part_nb[held_p] = cn[held_c], pn[held_p]
        return self._fit(rows, clause_nb, part_nb)

    def _groups(self, rows: np.ndarray) -> list[Group]:
        position = {r: n for n, r in enumerate(rows)}
        groups = []
        for i in range(len(self.sets)):
            mine = [r for r in self.rows(i) if r in position]
            if mine:
                base = float(np.mean(self.baseline[mine] == self.gold[mine]))
                groups.append((np.array([position[r] for r in mine]), self.sets[i].binary, base))
        return groups

    def _fit(self, rows: np.ndarray, clause_nb: np.ndarray, part_nb: np.ndarray) -> Numbers:
        scorer = Scorer(self.table, rows, clause_nb, part_nb)
        return fit(scorer, self.gold[rows], self._groups(rows))

    def _predict(
        self, rows: np.ndarray, clause_nb: np.ndarray, part_nb: np.ndarray, n: Numbers
    ) -> np.ndarray:
        scorer = Scorer(self.table, rows, clause_nb, part_nb)
        pol, lowest, highest = scorer.polarities(n.weights, n.contrast, n.nb_alone)
        return Scorer.labels(pol, lowest, highest, n.band, n.complaint)


def names(codes: np.ndarray) -> list[str]:
    return [sentiment.LABELS[c] for c in codes]


def run(sets: list[LabelledSet], k: int, seed: int, out: Callable[[str], None] = print) -> None:
    out(f"scorer: {sentiment.SCORER_NAME} {sentiment.SCORER_VERSION}; baseline: {sentiment.BASELINE_NAME}")
    out("sets: " + "; ".join(f"{s.name} ({len(s.texts)}, {s.source})" for s in sets))
    t0 = time.perf_counter()
    ev = Evaluation(sets, k, seed)
    cv = ev.cross_validated()
    loso = {i: ev.new_set(i) for i in ev.fitted_indices()}
    shipped, baseline = [], []
    t1 = time.perf_counter()
    for s in sets:
        shipped.append([sentiment.score(t).label for t in s.texts])
    score_seconds = (time.perf_counter() - t1) / sum(len(s.texts) for s in sets)
    t1 = time.perf_counter()
    for s in sets:
        baseline.append([sentiment.plain_textblob(t).label for t in s.texts])
    baseline_seconds = (time.perf_counter() - t1) / sum(len(s.texts) for s in sets)
    out(f"(computed in {time.perf_counter() - t0:.0f} s)")
    out("")

    out(
        f"## strict accuracy, %: plain TextBlob vs ours ({k}-fold stacked CV, seed {seed}; 'new set' = fitted without it)"
    )
    body = []
    for i, s in enumerate(sets):
        rows = ev.rows(i)
        base = strict_accuracy(baseline[i], s.gold)
        ship = strict_accuracy(shipped[i], s.gold)
        if s.fitted:
            held = strict_accuracy(names(cv[rows]), s.gold)
            new = strict_accuracy(names(loso[i]), s.gold)
            held_txt, new_txt = f"{100 * held:.1f}", f"{100 * new:.1f}"
            gains = f"{100 * (held - base):+.1f} / {100 * (new - base):+.1f}"
            ship_txt = f"{100 * ship:.1f} (in-sample)"
        else:
            held_txt = new_txt = "-"
            gains = f"{100 * (ship - base):+.1f} (shipped, held out)"
            ship_txt = f"{100 * ship:.1f}"
        body.append(
            [
                s.name,
                str(len(s.texts)),
                f"{100 * base:.1f}",
                held_txt,
                new_txt,
                gains,
                ship_txt,
                f"{100 * share(baseline[i], 'neutral'):.0f} / {100 * share(shipped[i], 'neutral'):.0f}",
                f"{100 * share(shipped[i], 'mixed'):.0f}",
            ]
        )
    out(
        table(
            [
                "set",
                "n",
                "TextBlob",
                "ours CV",
                "ours new set",
                "gain CV / new set, pts",
                "ours shipped",
                "neutral % TB / ours",
                "mixed % ours",
            ],
            body,
        )
    )
    out("")

    support = [i for i, s in enumerate(sets) if not s.binary]
    for i in support:
        s = sets[i]
        out(f"## {s.name}: complaints (mixed or negative) reaching the lead, %")
        rows = ev.rows(i)
        lines = []
        for label, pred in (
            ("plain TextBlob", baseline[i]),
            ("ours CV (held out)", names(cv[rows])),
            ("ours new set", names(loso[i])),
            ("ours shipped (in-sample)", shipped[i]),
        ):
            recall, precision = complaint_figures(pred, s.gold)
            per_label = " ".join(
                f"{g}:{100 * sum(p == g for p, q in zip(pred, s.gold, strict=True) if q == g) / max(1, s.gold.count(g)):.0f}"
                for g in sentiment.LABELS
            )
            lines.append(
                [
                    label,
                    f"{100 * recall:.1f}",
                    f"{100 * precision:.1f}",
                    f"{100 * strict_accuracy(pred, s.gold):.1f}",
                    per_label,
                ]
            )
        out(
            table(
                [
                    "scorer",
                    "complaint recall",
                    "complaint precision",
                    "strict acc (4 labels)",
                    "recall per label",
                ],
                lines,
            )
        )
        out("")

    numbers = ev.fit_all()
    shipped_numbers = Numbers(
        (sentiment.WEIGHT_TEXTBLOB, sentiment.WEIGHT_VADER, sentiment.WEIGHT_DOMAIN, sentiment.WEIGHT_NB),
        sentiment.CONTRAST_WEIGHT,
        sentiment.NEUTRAL_BAND,
        sentiment.COMPLAINT_THRESHOLD,
        sentiment.NB_ALONE,
    )
    out(f"## numbers fitted on all fitted sets: {numbers}")
    out(f"shipped in sla/sentiment.py:          {shipped_numbers}")
    if numbers != shipped_numbers:
        out("NOTE: the shipped constants differ from this fit.")
    out("")
    out("## time per sentence, every set (this machine, single thread, shared with other work)")
    out(
        table(
            ["what", "µs / sentence"],
            [
                ["plain TextBlob: sla.sentiment.plain_textblob()", f"{1e6 * baseline_seconds:.0f}"],
                ["ours: sla.sentiment.score()", f"{1e6 * score_seconds:.0f}"],
            ],
        )
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data", action="append", default=[], help="a further TSV (sentence, score); held out"
    )
    parser.add_argument("--only", action="store_true", help="only the --data sets (and the support set)")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=2024)
    args = parser.parse_args(argv)
    extra = []
    for name in args.data:
        path = Path(name)
        if not path.is_absolute():
            path = (Path.cwd() / path).resolve()
        if not path.is_file():
            print(
                f"sentiment_eval: no data at {path}: pass a TSV with header 'sentence<TAB>score'",
                file=sys.stderr,
            )
            return 2
        extra.append(binary_set(path.name, path, "--data", fitted=False))
    sets = [support_set()] if args.only else default_sets()
    if args.only and not extra:
        print("sentiment_eval: --only needs --data", file=sys.stderr)
        return 2
    run(sets + extra, args.folds, args.seed)
    return 0


if __name__ == "__main__":
    if os.environ.get("OPENBLAS_NUM_THREADS") is None:
        os.environ["OPENBLAS_NUM_THREADS"] = "1"
    raise SystemExit(main())
