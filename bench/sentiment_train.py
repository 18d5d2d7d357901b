"""Learn the word model of `sla.sentiment` (naive-Bayes log-count ratios) and write it into the package.

    .venv/bin/python bench/sentiment_train.py            # writes sla/data/sentiment_nb.json.gz

Training data: the public labelled sets `bench/sentiment_eval.py` evaluates on (the UCI Yelp sentences in
../shared when present, the VADER 2014 sets in tests/sla/data/sentiment/). The support set is not used:
it stays an evaluation of how the model carries over to a kind of text it never saw.

For each word, word pair and negated word ("not_helpful") seen in at least `MIN_COUNT` sentences, the
weight is log(P(feature | positive) / P(feature | negative)) with add-one smoothing (Wang & Manning 2012,
"Baselines and bigrams"), shrunk by n / (n + SHRINK) for a feature seen in n sentences. No class prior: a comment with no known word scores 0. Weights smaller than
`MIN_WEIGHT` are dropped (they move no label) and the rest rounded to 3 decimals, so the table is small.
"""

from __future__ import annotations

import gzip
import json
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sla import sentiment  # noqa: E402

MIN_COUNT = 3
MIN_WEIGHT = 0.05
ALPHA = 1.0
SHRINK = 10  # a weight seen in n sentences is multiplied by n / (n + SHRINK): rare words say little
OUT = REPO / "sla" / "data" / sentiment.NB_DATA


class Vocabulary:
    """Every feature of a corpus, numbered; sentences become index arrays, counts become vectors."""

    def __init__(self, sentences: Iterable[Sequence[str]]) -> None:
        self.index: dict[str, int] = {}
        for features in sentences:
            for f in features:
                self.index.setdefault(f, len(self.index))
        self.names = list(self.index)

    def encode(self, features: Sequence[str]) -> np.ndarray:
        get = self.index.get
        return np.array([i for f in features if (i := get(f)) is not None], dtype=np.int64)

    def counts(self, sentences: Iterable[tuple[np.ndarray, bool]]) -> np.ndarray:
        """(2, V): how many positive (row 0) and negative (row 1) sentences hold each feature."""
        out = np.zeros((2, len(self.names)))
        for encoded, positive in sentences:
            np.add.at(out[0 if positive else 1], encoded, 1)
        return out


def weights(counts: np.ndarray) -> np.ndarray:
    """The log-count ratio of each feature (0 where it is too rare or too weak), rounded to 3 decimals."""
    pos, neg = counts
    n = pos + neg
    kept = n >= MIN_COUNT
    p_total = pos[kept].sum() + ALPHA * kept.sum()
    n_total = neg[kept].sum() + ALPHA * kept.sum()
    w = (np.log((pos + ALPHA) / p_total) - np.log((neg + ALPHA) / n_total)) * n / (n + SHRINK)
    w = np.round(np.where(kept, w, 0.0), 3)
    return np.where(np.abs(w) >= MIN_WEIGHT, w, 0.0)


def as_table(vocabulary: Vocabulary, w: np.ndarray) -> dict[str, float]:
    return {vocabulary.names[i]: float(w[i]) for i in np.flatnonzero(w)}


def serialise(weights: dict[str, float], sources: Sequence[str]) -> bytes:
    body = {
        "kind": "naive-bayes log-count ratios",
        "trained_on": list(sources),
        "weights": dict(sorted(weights.items())),
    }
    return gzip.compress(json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode(), 9, mtime=0)


def main() -> int:
    from sentiment_eval import default_sets, training_rows  # the same loaders as the evaluation

    sets = [s for s in default_sets() if s.binary]
    rows = [row for s in sets for row in training_rows(s)]
    vocabulary = Vocabulary(features for features, _ in rows)
    table = as_table(vocabulary, weights(vocabulary.counts((vocabulary.encode(f), p) for f, p in rows)))
    OUT.parent.mkdir(exist_ok=True)
    raw = serialise(table, [s.name for s in sets])
    OUT.write_bytes(raw)
    print(f"wrote {OUT.relative_to(REPO)}: {len(table)} features from {', '.join(s.name for s in sets)}")
    print(f"digest {sentiment.load_word_model(raw).digest} ({len(raw)} bytes)")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    raise SystemExit(main())
