"""A contract file is read with libyaml when PyYAML has it, and with the pure-Python parser when it does not
read: the same document and lines either way, and the pure parser's words for every mistake."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from sla.contracts import reading as contract_file
from sla.contracts.reading import read_yaml

ROOT = Path(__file__).resolve().parents[2]
FILES = sorted(
    {
        *ROOT.glob("examples/*.yaml"),
        *ROOT.glob("bot/examples/*.yaml"),
        *(ROOT.parent / "shared").glob("**/*.yaml"),
    }
)
BROKEN = [
    "a: [1, 2\nb: 3\n",
    "a:\n  b: 1\n c: 2\n",
    "a: b: c\n",
    "- a\nb: 1\n",
    "a:\n\t- 1\n",
    "{a: 1\n",
    "a: *x\n",
    "a: !!int nope\n",
    "a: 1\na: 2\n",
]


def _pure(monkeypatch: pytest.MonkeyPatch, text: str) -> tuple[object, object]:
    with monkeypatch.context() as m:
        m.setattr(contract_file, "_FastLoader", contract_file._Loader)
        return read_yaml(text, "f.yaml")


def test_pyyaml_here_has_libyaml_and_a_valid_file_is_read_with_it() -> None:
    assert yaml.__with_libyaml__
    assert issubclass(contract_file._FastLoader, yaml.CSafeLoader)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_a_valid_file_reads_the_same_with_either_parser(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = path.read_text(encoding="utf-8")
    fast_doc, fast_issues = read_yaml(text, "f.yaml")
    pure_doc, pure_issues = _pure(monkeypatch, text)
    assert fast_doc is not None and pure_doc is not None
    assert (fast_doc.data, dict(fast_doc.lines), fast_issues) == (
        pure_doc.data,
        dict(pure_doc.lines),
        pure_issues,
    )


@pytest.mark.parametrize("text", BROKEN)
def test_a_mistake_is_reported_in_the_pure_parsers_words(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert read_yaml(text, "f.yaml")[1] == _pure(monkeypatch, text)[1] != []
