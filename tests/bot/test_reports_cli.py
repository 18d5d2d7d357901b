"""``slabot report``: text, CSV and PNG from DATABASE_URL."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from bot.cli import main
from bot.reports.chart import chart_size
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
