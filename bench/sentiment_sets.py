"""Rebuild the public labelled sentence sets under tests/sla/data/sentiment/ from the package registry.

    .venv/bin/python bench/sentiment_sets.py [--from SDIST.tar.gz]

The sets are the human-rated sentences that C.J. Hutto and E. Gilbert published with VADER ("VADER: A
Parsimonious Rule-based Model for Sentiment Analysis of Social Media Text", ICWSM 2014), shipped inside
the source distribution of `vaderSentiment` 3.3.2 on PyPI (`additional_resources/hutto_ICWSM_2014.tar.gz`,
MIT licence, (c) 2014 C.J. Hutto). Each sentence has the mean of 20 raters' scores on -4..+4. We keep the
sentences whose mean is at least 1 away from neutral (`|mean| >= 1`: on average at least "slightly"
positive or negative; the rest are neither, which a binary set cannot score) and write
`sentence<TAB>score` with score 1 (positive) or 0 (negative), gzipped, in the source's order:

| file | source sentences | kind |
|---|---|---|
| vader_amazon.tsv.gz | amazonReviewSnippets (3,708; Hu & Liu 2004: reviews of 5 electronics products) | product reviews |
| vader_movies.tsv.gz | movieReviewSnippets (10,605; Pang & Lee 2004: rottentomatoes.com snippets) | film reviews |
| vader_tweets.tsv.gz | tweets (4,200: 4,000 public tweets + 200 contrived) | social media |
| vader_nyt.tsv.gz | nytEditorialSnippets (5,190 sentences of 500 NYT opinion pieces) | editorials |

Without --from, `pip download --no-deps --no-binary :all: vaderSentiment==3.3.2` fetches the sdist
through pip (the package registry; nothing else is contacted).
"""

from __future__ import annotations

import argparse
import gzip
import io
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "tests" / "sla" / "data" / "sentiment"
SDIST = "vaderSentiment==3.3.2"
THRESHOLD = 1.0
SETS = {
    "vader_amazon": "amazonReviewSnippets_GroundTruth.txt",
    "vader_movies": "movieReviewSnippets_GroundTruth.txt",
    "vader_tweets": "tweets_GroundTruth.txt",
    "vader_nyt": "nytEditorialSnippets_GroundTruth.txt",
}


def fetch(directory: Path) -> Path:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "-q",
            "--no-deps",
            "--no-binary",
            ":all:",
            "-d",
            str(directory),
            SDIST,
        ],
        check=True,
    )
    return next(directory.glob("vaderSentiment-*.tar.gz"))


def ground_truth(sdist: Path) -> dict[str, bytes]:
    with tarfile.open(sdist) as outer:
        member = next(m for m in outer.getmembers() if m.name.endswith("hutto_ICWSM_2014.tar.gz"))
        inner_bytes = outer.extractfile(member).read()  # type: ignore[union-attr]
    with tarfile.open(fileobj=io.BytesIO(inner_bytes)) as inner:
        return {
            Path(m.name).name: inner.extractfile(m).read()  # type: ignore[union-attr]
            for m in inner.getmembers()
            if m.name.endswith("_GroundTruth.txt")
        }


def convert(raw: bytes) -> list[tuple[str, int]]:
    rows = []
    for line in raw.decode("utf-8", errors="replace").splitlines():
        parts = line.split("\t")
        if len(parts) < 3 or not parts[1].strip():
            continue
        mean, text = float(parts[1]), " ".join(parts[2:]).strip()
        if text and abs(mean) >= THRESHOLD:
            rows.append((text, 1 if mean > 0 else 0))
    return rows


def write(path: Path, rows: list[tuple[str, int]]) -> None:
    # read with csv's QUOTE_NONE, like the UCI files: quotes are literal, no escaping
    lines = ["sentence\tscore\n", *(f"{' '.join(text.split())}\t{label}\n" for text, label in rows)]
    # mtime 0: the same data gives the same bytes
    path.write_bytes(gzip.compress("".join(lines).encode("utf-8"), compresslevel=9, mtime=0))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--from", dest="sdist", type=Path, help="a vaderSentiment-3.3.2.tar.gz already downloaded"
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        sdist = args.sdist or fetch(Path(tmp))
        files = ground_truth(sdist)
    OUT.mkdir(parents=True, exist_ok=True)
    for name, source in SETS.items():
        rows = convert(files[source])
        write(OUT / f"{name}.tsv.gz", rows)
        positives = sum(label for _, label in rows)
        print(
            f"{name}: {len(rows)} sentences ({positives} positive, {len(rows) - positives} negative) from {source}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
