"""The README's quick start is a promise: two commands, the second is what CI runs."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _quick_start_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return [block.strip() for block in re.findall(r"```sh\n(.*?)```", section, flags=re.S)]


def test_quick_start_is_exactly_two_one_line_commands() -> None:
    commands = _quick_start_commands()
    assert len(commands) == 2
    assert all("\n" not in c for c in commands)


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert _quick_start_commands()[1] in ci.splitlines()
    assert "ruff check" in ci


def test_quick_start_paths_exist() -> None:
    for token in re.findall(r"examples/[\w./-]+", _quick_start_commands()[0]):
        assert (ROOT / token).exists(), f"the quick start names {token}, which is missing"


def test_the_first_command_is_the_demo_and_the_demo_exists() -> None:
    from bot.cli import build_parser

    first = _quick_start_commands()[0]
    assert first.endswith(".venv/bin/slabot demo"), first
    args = build_parser().parse_args(["demo", "--speed", "instant"])
    assert args.command == "demo" and callable(args.handler)
