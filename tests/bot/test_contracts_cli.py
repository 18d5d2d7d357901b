"""`slabot contracts init [FILE]`, `slabot contracts schema` and `slabot contracts check` on the shipped
example: a new user starts from a commented file, an editor gets a schema, and the demo's hint works."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from bot.cli import main
from sla.contracts.schema import contract_file_schema

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "contracts.yaml"


def as_json(node: Any) -> Any:
    """YAML data as an editor's YAML support hands it to a JSON Schema (dates as their text)."""
    if isinstance(node, dict):
        return {str(k): as_json(v) for k, v in node.items()}
    if isinstance(node, list):
        return [as_json(v) for v in node]
    if isinstance(node, date | datetime):
        return node.isoformat()
    return node


def schema_errors(text: str) -> list[str]:
    validator = jsonschema.Draft202012Validator(contract_file_schema())
    return [".".join(map(str, e.path)) for e in validator.iter_errors(as_json(yaml.safe_load(text)))]


def test_init_refuses_to_overwrite_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "contracts.yaml"
    target.write_text("mine\n", encoding="utf-8")
    assert main(["contracts", "init", str(target)]) == 1
    assert target.read_text(encoding="utf-8") == "mine\n"
    assert "exists" in capsys.readouterr().err
    assert main(["contracts", "init", str(target), "--force"]) == 0
    assert target.read_bytes() == EXAMPLE.read_bytes()


def test_init_writes_the_commented_example_that_checks_valid(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["contracts", "init"]) == 0
    written = tmp_path / "contracts.yaml"
    assert written.read_bytes() == EXAMPLE.read_bytes()
    assert written.read_text(encoding="utf-8").count("#") > 20  # the commented example
    assert "slabot contracts check contracts.yaml" in capsys.readouterr().out
    assert main(["contracts", "check", "contracts.yaml"]) == 0
    assert "valid" in capsys.readouterr().out


def test_init_to_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["contracts", "init", "-"]) == 0
    assert capsys.readouterr().out == EXAMPLE.read_text(encoding="utf-8")


def test_check_examples_path_works_from_any_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The demo's "Next: slabot contracts check examples/contracts.yaml" from a folder without examples/."""
    monkeypatch.chdir(tmp_path)
    assert main(["contracts", "check", "examples/contracts.yaml"]) == 0
    out = capsys.readouterr()
    assert "3 clients" in out.out and "valid" in out.out
    assert "using the copy shipped with slabot" in out.err
    # any other missing file is still an error, not silently replaced
    assert main(["contracts", "check", "examples/other.yaml"]) == 1
    assert "no such file" in capsys.readouterr().err


def test_a_file_of_your_own_named_like_the_example_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "examples").mkdir()
    (tmp_path / "examples" / "contracts.yaml").write_text("clients: {}\n", encoding="utf-8")
    assert main(["contracts", "check", "examples/contracts.yaml"]) == 1


def test_schema_is_valid_json_schema_and_accepts_the_example(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["contracts", "schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema == json.loads(json.dumps(contract_file_schema()))
    assert schema_errors(EXAMPLE.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize(
    ("old", "new", "where"),
    [
        (
            "        calendar: berlin-office     #",
            "        calender: berlin-office     #",
            "versions.0",
        ),  # a typo
        ("first_response: 15m", "first_response: 15", "first_response"),  # a duration without unit
        ("contract: gold", "contract: [gold]", "clients.acme.contract"),
        ("via: thread", "via: email", "via"),
    ],
)
def test_schema_flags_what_an_editor_should_underline(old: str, new: str, where: str) -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    assert old in text, old
    errors = schema_errors(text.replace(old, new, 1))
    assert any(where in e for e in errors), errors


def test_schema_to_a_file(tmp_path: Path) -> None:
    out = tmp_path / "contracts.schema.json"
    assert main(["contracts", "schema", "--out", str(out)]) == 0
    assert json.loads(out.read_text(encoding="utf-8"))["title"] == "slabot contract file"
