"""A contract file is read at start-up and by ``slabot contracts check`` in CI on pull requests: a
hostile or broken file is refused quickly, with one line naming the file and line, never by
exhausting memory or the stack."""

from __future__ import annotations

from pathlib import Path

import pytest

from sla.contracts import ContractFileError, load_contracts, load_contracts_text
from sla.contracts.file import MAX_CONTRACT_FILE_BYTES

ROOT = Path(__file__).resolve().parents[2]

# the classic "billion laughs": nine levels of nine aliases each (10^9 values once expanded, 0.6 kB)
BILLION_LAUGHS = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
    f"{chr(ord('b') + n)}: &{chr(ord('b') + n)} [{','.join(['*' + chr(ord('a') + n)] * 9)}]\n"
    for n in range(8)
)


def _refused(text: str) -> str:
    with pytest.raises(ContractFileError) as caught:
        load_contracts_text(text, filename="hostile.yaml")
    message = str(caught.value)
    assert len(caught.value.errors) == 1 and "\n" not in message, message
    return message


def test_billion_laughs_is_refused_with_its_line() -> None:
    message = _refused(BILLION_LAUGHS)
    assert message.startswith("hostile.yaml:") and "aliases here expand to more than" in message
    line = int(message.split(":")[1])
    assert 2 <= line <= 9  # the first level whose expansion passes the budget


def test_an_alias_inside_its_own_value_is_refused() -> None:
    assert "refers to the value it is part of" in _refused("a: &a [1, *a]\n")


def test_twenty_thousand_levels_of_nesting_are_refused_without_recursion_error() -> None:
    message = _refused("a: " + "[" * 20_000 + "]" * 20_000 + "\n")
    assert message.startswith("hostile.yaml:1:") and "nested more than" in message
    assert "nested more than" in _refused("a:\n" + "".join("  " * n + f"k{n}:\n" for n in range(1, 200)))


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_text("# padding\n" * (MAX_CONTRACT_FILE_BYTES // 10 + 1))
    with pytest.raises(ContractFileError) as caught:
        load_contracts(big)
    assert str(caught.value).startswith(f"{big}:1: (file): the file is ")
    assert "at most 1,000,000" in str(caught.value)


def test_the_example_file_still_loads() -> None:
    book = load_contracts(ROOT / "examples" / "contracts.yaml")
    assert book.clients
    text = (ROOT / "examples" / "contracts.yaml").read_text()
    assert load_contracts_text(text).clients.keys() == book.clients.keys()
