"""The layering of DESIGN.md, enforced: sla/ is pure, storage/ does not know Slack."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
IO_LAYERS = {"slack_bolt", "slack_sdk", "sqlalchemy", "alembic", "apscheduler", "storage", "handlers", "bot"}
CLOCK_READS = {("datetime", "now"), ("datetime", "utcnow"), ("datetime", "today"), ("date", "today"), ("time", "time")}


def _python_files(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def _imported_roots(tree: ast.AST) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize("path", _python_files("sla"), ids=lambda p: str(p.relative_to(ROOT)))
def test_domain_imports_no_io_layer(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    assert not (_imported_roots(tree) & IO_LAYERS), f"{path.name} imports an I/O layer"


@pytest.mark.parametrize("path", _python_files("sla"), ids=lambda p: str(p.relative_to(ROOT)))
def test_domain_never_reads_the_clock(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            name = owner.id if isinstance(owner, ast.Name) else getattr(owner, "attr", None)
            assert (name, node.func.attr) not in CLOCK_READS, f"{path.name}:{node.lineno} reads the clock"


@pytest.mark.parametrize("path", _python_files("storage"), ids=lambda p: str(p.relative_to(ROOT)))
def test_storage_does_not_know_slack(path: Path) -> None:
    roots = _imported_roots(ast.parse(path.read_text(encoding="utf-8")))
    if path.name == "installations.py":  # slack_sdk's SQLAlchemy installation/OAuth stores live here
        roots.discard("slack_sdk")
    assert not (roots & {"slack_bolt", "slack_sdk", "handlers"}), f"{path.name} imports Slack"


def test_the_checker_catches_a_violation() -> None:
    bad = ast.parse("from sqlalchemy import select\nimport slack_sdk.web\n")
    assert _imported_roots(bad) & IO_LAYERS == {"sqlalchemy", "slack_sdk"}
