"""How well does `sla.sentiment.score` read sentiment, compared with plain TextBlob (the baseline)?

    .venv/bin/python bench/sentiment_eval.py [--data PATH] [--folds 5] [--seed 2024]

Data: a TSV with header `sentence<TAB>score` (1 = positive, 0 = negative); by default the UCI
"Sentiment Labelled Sentences" Yelp part in ../shared/data/sentiment/ (Kotzias et al., KDD 2015, CC BY 4.0).

The data are binary; the scorers have three labels. Two conventions, used alike for every scorer:
- strict: the label as the scorer gives it; "neutral" counts as wrong (it is neither positive nor negative);
- forced: polarity >= 0 -> positive, < 0 -> negative (no abstaining).
Macro-F1 is the mean of the F1 of the positive and of the negative class (a neutral answer is a miss for both).

Fitted numbers (the three blend weights, the neutral band) are fitted on 4 folds and scored on the held-out
fold, for each of 5 folds (fixed seed); the figures are mean +- sd over the held-out folds. Weights: a grid
on the simplex (step 0.05); the number of right signs is flat near its top, so among the weights within one
standard error of the best we take those closest to equal (one-standard-error rule, for text unlike this). Band:
a neutral answer is worth what a coin flip is worth on a binary sentence (half right), so the band that
maximises `right + 0.5 * neutral` on the training folds covers exactly the scores whose sign is no better
than chance. The same band labels TextBlob and VADER in the strict convention.

The lexicon of the domain signal is hand-written from support language; nothing in it is fitted here.
"""

from __future__ import annotations

import argparse
import csv
import math
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sla import sentiment  # noqa: E402

DEFAULT_DATA = "../shared/data/sentiment/uci_yelp_labelled.tsv"
WEIGHT_STEP = 0.05
BANDS = (0.0, 0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07, 0.08, 0.1, 0.15, 0.2, 0.3)

SERVICE_EXAMPLES = (
    "Thank you for all your hard work",
    "didn't fix my issue",
    "👍",
    "👎",
    "not helpful",
    "not bad",
    "thanks, but it's still broken",
    "I restarted the server at 10am",
    "Quick response and resolved within the hour 🙏",
    "Still waiting, no response for 3 days :rage:",
    "Never heard back after I escalated.",
    "Great job team :tada:",
    "It's broken again.",
    "The agent was rude and the fix didn't work",
)


@dataclass(frozen=True)
class Row:
    text: str
    positive: bool
    textblob: float
    vader: float
    domain: float


def load(path: Path) -> list[tuple[str, bool]]:
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
        if reader.fieldnames is None or not {"sentence", "score"} <= set(reader.fieldnames):
            raise SystemExit(f"{path}: expected a header 'sentence<TAB>score', got {reader.fieldnames}")
        return [(r["sentence"], r["score"].strip() == "1") for r in reader if r["sentence"]]


def features(data: Sequence[tuple[str, bool]]) -> tuple[list[Row], dict[str, float]]:
    """Each signal once per sentence, with the time each took (seconds per sentence)."""
    timings: dict[str, float] = {}
    columns: dict[str, list[float]] = {}
    signals = {
        "textblob": sentiment.textblob_polarity,
        "vader": sentiment.vader_polarity,
        "domain": sentiment.domain_polarity,
    }
    for name, fn in signals.items():
        fn("warm up")
        t0 = time.perf_counter()
        columns[name] = [fn(text) for text, _ in data]
        timings[name] = (time.perf_counter() - t0) / len(data)
    t0 = time.perf_counter()
    for text, _ in data:
        sentiment.score(text)
    timings["ours (score())"] = (time.perf_counter() - t0) / len(data)
    rows = [
        Row(text, pos, tb, vd, dm)
        for (text, pos), tb, vd, dm in zip(
            data, columns["textblob"], columns["vader"], columns["domain"], strict=True
        )
    ]
    return rows, timings


# --- metrics -------------------------------------------------------------------------------------


def strict_labels(polarities: Sequence[float], band: float) -> list[str]:
    return [sentiment.label_for(p, band) for p in polarities]


def forced_labels(polarities: Sequence[float]) -> list[str]:
    return ["positive" if p >= 0 else "negative" for p in polarities]


def accuracy(labels: Sequence[str], truth: Sequence[bool]) -> float:
    return sum(lab == ("positive" if t else "negative") for lab, t in zip(labels, truth, strict=True)) / len(
        truth
    )


def macro_f1(labels: Sequence[str], truth: Sequence[bool]) -> float:
    f1s = []
    for cls in ("positive", "negative"):
        gold = ["positive" if t else "negative" for t in truth]
        tp = sum(lab == cls and g == cls for lab, g in zip(labels, gold, strict=True))
        predicted = sum(lab == cls for lab in labels)
        actual = sum(g == cls for g in gold)
        precision = tp / predicted if predicted else 0.0
        recall = tp / actual if actual else 0.0
        f1s.append(2 * precision * recall / (precision + recall) if precision + recall else 0.0)
    return sum(f1s) / len(f1s)


def neutral_share(labels: Sequence[str]) -> float:
    return sum(lab == "neutral" for lab in labels) / len(labels)


# --- fitting -------------------------------------------------------------------------------------


Weights = tuple[float, float, float]


def simplex(step: float) -> list[Weights]:
    n = round(1 / step)
    return [(a / n, b / n, (n - a - b) / n) for a in range(n + 1) for b in range(n + 1 - a)]


def blended(rows: Sequence[Row], w: Weights) -> list[float]:
    return [max(-1.0, min(1.0, w[0] * r.textblob + w[1] * r.vader + w[2] * r.domain)) for r in rows]


def fit_weights(rows: Sequence[Row], *, use_domain: bool = True) -> Weights:
    """The weights closest to equal among those whose right-sign rate is within one standard error of
    the best: the accuracy surface is flat near its top, and the least committed weights are the ones
    most likely to carry over to other kinds of text (the one-standard-error rule)."""
    truth = [r.positive for r in rows]
    grid = [w for w in simplex(WEIGHT_STEP) if use_domain or w[2] == 0]
    acc = {w: accuracy(strict_labels(blended(rows, w), 0.0), truth) for w in grid}
    best = max(acc.values())
    tolerance = math.sqrt(best * (1 - best) / len(rows))
    return min(
        (w for w in grid if acc[w] >= best - tolerance), key=lambda w: sum((x - 1 / 3) ** 2 for x in w)
    )


def fit_band(polarities: Sequence[float], truth: Sequence[bool]) -> float:
    """The band maximising right + 0.5 * neutral (a neutral answer = a coin flip); ties -> the wider."""

    def value(band: float) -> tuple[float, float]:
        labels = strict_labels(polarities, band)
        return accuracy(labels, truth) + 0.5 * neutral_share(labels), band

    return max(BANDS, key=value)


def folds(n: int, k: int, seed: int) -> list[list[int]]:
    order = list(range(n))
    random.Random(seed).shuffle(order)
    return [order[i::k] for i in range(k)]


# --- report --------------------------------------------------------------------------------------


@dataclass
class Scores:
    strict_acc: list[float]
    strict_f1: list[float]
    forced_acc: list[float]
    forced_f1: list[float]
    neutral: list[float]

    @classmethod
    def empty(cls) -> Scores:
        return cls([], [], [], [], [])

    def add(self, polarities: Sequence[float], truth: Sequence[bool], band: float) -> None:
        strict, forced = strict_labels(polarities, band), forced_labels(polarities)
        self.strict_acc.append(accuracy(strict, truth))
        self.strict_f1.append(macro_f1(strict, truth))
        self.forced_acc.append(accuracy(forced, truth))
        self.forced_f1.append(macro_f1(forced, truth))
        self.neutral.append(neutral_share(strict))


def pm(values: Sequence[float]) -> str:
    if len(values) == 1:
        return f"{100 * values[0]:5.1f}"
    sd = statistics.stdev(values)
    return f"{100 * statistics.fmean(values):5.1f} ± {100 * sd:3.1f}"


def table(header: Sequence[str], body: Sequence[Sequence[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in body)) for i, h in enumerate(header)]
    line = "| " + " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + " |"
    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    rows = ["| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |" for r in body]
    return "\n".join([line, rule, *rows])


def run(path: Path, k: int, seed: int, out: Callable[[str], None] = print) -> None:
    data = load(path)
    rows, timings = features(data)
    truth_all = [r.positive for r in rows]
    positives = sum(truth_all)
    out(f"data: {path.name}: {len(rows)} sentences ({positives} positive, {len(rows) - positives} negative)")
    out(f"scorer: {sentiment.SCORER_NAME} {sentiment.SCORER_VERSION}; baseline: {sentiment.BASELINE_NAME}")
    out("")

    names = ("plain TextBlob", "VADER alone", "TextBlob+VADER, no domain lexicon", "ours (cross-validated)")
    results = {name: Scores.empty() for name in names}
    fitted: list[tuple[Weights, float]] = []
    for held_out in folds(len(rows), k, seed):
        held = set(held_out)
        train = [r for i, r in enumerate(rows) if i not in held]
        test = [rows[i] for i in held_out]
        truth = [r.positive for r in test]
        w = fit_weights(train)
        band = fit_band(blended(train, w), [r.positive for r in train])
        fitted.append((w, band))
        results["plain TextBlob"].add([r.textblob for r in test], truth, band)
        results["VADER alone"].add([r.vader for r in test], truth, band)
        results[names[2]].add(blended(test, fit_weights(train, use_domain=False)), truth, band)
        results["ours (cross-validated)"].add(blended(test, w), truth, band)

    out(f"## {k}-fold cross-validation (seed {seed}); held-out folds, mean ± sd, in %")
    out("strict: neutral counts as wrong; forced: polarity >= 0 -> positive. Band = fitted neutral band.")
    out("")
    body = [
        [name, pm(s.strict_acc), pm(s.strict_f1), pm(s.forced_acc), pm(s.forced_f1), pm(s.neutral)]
        for name, s in results.items()
    ]
    header = ["scorer", "strict acc", "strict macro-F1", "forced acc", "forced macro-F1", "neutral"]
    out(table(header, body))
    base, ours = results["plain TextBlob"], results["ours (cross-validated)"]
    gain = [
        statistics.fmean(o) - statistics.fmean(b)
        for o, b in (
            (ours.strict_acc, base.strict_acc),
            (ours.strict_f1, base.strict_f1),
            (ours.forced_acc, base.forced_acc),
            (ours.forced_f1, base.forced_f1),
        )
    ]
    out(
        "gain of ours over plain TextBlob, points: "
        f"strict acc {100 * gain[0]:+.1f}, strict macro-F1 {100 * gain[1]:+.1f}, "
        f"forced acc {100 * gain[2]:+.1f}, forced macro-F1 {100 * gain[3]:+.1f}"
    )
    out("fitted per fold (w_textblob, w_vader, w_domain; band): " + "; ".join(f"{w} {b}" for w, b in fitted))
    out("")

    w_all = fit_weights(rows)
    band_all = fit_band(blended(rows, w_all), truth_all)
    shipped = (sentiment.WEIGHT_TEXTBLOB, sentiment.WEIGHT_VADER, sentiment.WEIGHT_DOMAIN)
    out(f"## fit on all {len(rows)} sentences (the constants to ship)")
    out(f"weights (textblob, vader, domain) = {w_all}; neutral band = {band_all}")
    out(f"shipped in sla/sentiment.py: weights = {shipped}; neutral band = {sentiment.NEUTRAL_BAND}")
    if shipped != w_all or band_all != sentiment.NEUTRAL_BAND:
        out("NOTE: the shipped constants differ from this fit.")
    polarities = [sentiment.score(r.text).polarity for r in rows]
    s = Scores.empty()
    s.add(polarities, truth_all, sentiment.NEUTRAL_BAND)
    b = Scores.empty()
    b.add([sentiment.plain_textblob(r.text).polarity for r in rows], truth_all, sentiment.NEUTRAL_BAND)
    out("shipped score() vs plain_textblob() on all sentences (in-sample for ours), in %:")
    out(
        table(
            header,
            [
                ["plain_textblob()", *(pm(x) for x in (b.strict_acc, b.strict_f1, b.forced_acc, b.forced_f1))]
                + [pm(b.neutral)],
                ["score()", *(pm(x) for x in (s.strict_acc, s.strict_f1, s.forced_acc, s.forced_f1))]
                + [pm(s.neutral)],
            ],
        )
    )
    out("")

    out("## the neutral band: trade-off with the shipped weights, all sentences")
    pol = blended(rows, shipped)
    band_rows = []
    for band in BANDS:
        labels = strict_labels(pol, band)
        decided = [(lab, t) for lab, t in zip(labels, truth_all, strict=True) if lab != "neutral"]
        right = sum(lab == ("positive" if t else "negative") for lab, t in decided)
        inside = [(p, t) for p, t in zip(pol, truth_all, strict=True) if abs(p) < band and p != 0]
        sign_in_band = sum((p > 0) == t for p, t in inside) / len(inside) if inside else float("nan")
        band_rows.append(
            [
                f"{band:.3f}",
                f"{100 * neutral_share(labels):.1f}",
                f"{100 * accuracy(labels, truth_all):.1f}",
                f"{100 * right / len(decided):.1f}" if decided else "-",
                f"{100 * sign_in_band:.0f} (n={len(inside)})" if inside else "-",
            ]
        )
    out(
        table(
            ["band", "neutral %", "strict acc %", "acc of decided %", "sign right in band, non-zero %"],
            band_rows,
        )
    )
    out("")

    out("## service feedback examples (not in the data; not used for fitting)")
    ex = []
    for text in SERVICE_EXAMPLES:
        b1, o1 = sentiment.plain_textblob(text), sentiment.score(text)
        ex.append([text, f"{b1.polarity:+.2f} {b1.label}", f"{o1.polarity:+.2f} {o1.label}"])
    out(table(["text", "plain TextBlob", "ours"], ex))
    out("")

    out("## time per sentence (this machine, single thread)")
    out(table(["signal", "µs / sentence"], [[n, f"{1e6 * t:.0f}"] for n, t in timings.items()]))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=DEFAULT_DATA, help=f"TSV (sentence, score); default {DEFAULT_DATA}")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=2024)
    args = parser.parse_args(argv)
    path = Path(args.data)
    if not path.is_absolute():
        path = (REPO / path).resolve()
    if not path.is_file():
        print(
            f"sentiment_eval: no data at {path}. Pass --data PATH to a TSV with header 'sentence<TAB>score' "
            "(the shared data live in ../shared/data/sentiment/ beside the repo).",
            file=sys.stderr,
        )
        return 2
    run(path, args.folds, args.seed)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
