"""``slabot report``: text, CSV and PNG from DATABASE_URL."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from bot.cli import main
from bot.reports.chart import chart_size
from storage.db import make_engine
from storage.uow import UnitOfWork
from tests.bot import reports_fixtures as F  # importlib mode: tests/ is a namespace package


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return F.fortnight_database(tmp_path, monkeypatch, "cli.db")


def test_text(database: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "2026-W47"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("SLA summary — 2026-W47 (Mon 16 Nov – Sun 22 Nov 2026, UTC)")
    assert "acme P1 first response: 50 % ▼ -50 pp · 1 met, 1 breached · median 35m" in out
    assert (
        "acme    P1    first resp.        2       2    1         1   50.0     35m    55m       0  ▼ -50 pp"
        in out
    )


def test_one_client_as_csv_to_a_file(database: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = database / "acme.csv"
    assert (
        main(
            ["report", "2026-11", "--client", "acme", "--format", "csv", "--out", str(out), "--team", F.TEAM]
        )
        == 0
    )
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert {r["client"] for r in rows} == {"acme"} and len(rows) == 4
    assert rows[0]["met"] == "2" and rows[0]["breached"] == "1" and rows[0]["period"] == "2026-11"


def test_png(database: Path) -> None:
    out = database / "chart.png"
    assert main(["report", "2026-W47", "--format", "png", "--out", str(out)]) == 0
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and chart_size(data) == (1200, 700)
    assert 10_000 < len(data) < 500_000


def test_mistakes_are_messages(database: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "fortnight"]) == 2
    assert "not a period: 'fortnight'" in capsys.readouterr().err
    assert main(["report", "week", "--client", "initech"]) == 2
    assert "I don't know the client 'initech'" in capsys.readouterr().err
    assert main(["report", "--format", "png"]) == 2
    assert "needs --out" in capsys.readouterr().err
    assert main(["report", "week", "--team", "T0NOBODY01"]) == 0  # an empty workspace: an empty report
    assert "No SLA timers in this period." in capsys.readouterr().out


def test_slabot_cmd_report_prints_the_whole_report(
    database: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["cmd", "report 2026-W47 acme", "--team", F.TEAM]) == 0
    out = capsys.readouterr().out
    assert out.startswith("SLA summary — Acme Corp, 2026-W47")
    assert "P1 first response: 50 % ▼ -50 pp" in out and "Compliance table:" in out
    assert main(["cmd", "report fortnight", "--team", F.TEAM]) == 0
    assert "I don't know the client 'fortnight'" in capsys.readouterr().out  # the grammar's answer


def test_slabot_cmd_acts_in_the_databases_only_workspace(
    database: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """No --team and no SLABOT_TEAM_ID: the database's one workspace, not the demo's (an empty answer)."""
    assert main(["cmd", "report 2026-W47 acme"]) == 0
    assert "P1 first response: 50 % ▼ -50 pp" in capsys.readouterr().out


def test_with_several_workspaces_the_terminal_asks_which(
    database: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = make_engine(f"sqlite:///{database / 'cli.db'}")
    with UnitOfWork.from_engine(engine).begin() as tx:
        tx.workspaces.upsert(team_id="T0SECOND01", name="second", installed_at=F.at(9, 8))
    engine.dispose()
    for command in (["cmd", "status"], ["review", "acme"], ["report", "week"]):
        assert main(command) == 2, command
        err = capsys.readouterr().err
        assert "T0REPORTS1" in err and "T0SECOND01" in err and "--team" in err, (command, err)
    assert main(["cmd", "report 2026-W47 acme", "--team", F.TEAM]) == 0
    assert "P1 first response: 50 % ▼ -50 pp" in capsys.readouterr().out
    monkeypatch.setenv("SLABOT_TEAM_ID", F.TEAM)
    assert main(["cmd", "report 2026-W47 acme"]) == 0
    assert "P1 first response: 50 % ▼ -50 pp" in capsys.readouterr().out


def test_a_database_with_no_workspace_yet_is_the_demos(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'fresh.db'}")
    monkeypatch.setenv("SLABOT_CONTRACTS", str(Path(__file__).parents[2] / "examples" / "contracts.yaml"))
    monkeypatch.delenv("SLABOT_TEAM_ID", raising=False)
    monkeypatch.chdir(tmp_path)
    assert main(["cmd", "status"]) == 0
    assert "No open tickets" in capsys.readouterr().out
