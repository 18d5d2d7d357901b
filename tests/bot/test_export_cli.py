"""``slabot export``: the events of DATABASE_URL as the replay CSV, which ``slabot replay`` reads back to
the timers the database holds; one client, a period (each client's own), bad input exits 2."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from bot.cli import main
from sla.contracts import load_contracts_text
from sla.replay import EVENTS_HEADER, replay_csv
from tests.bot import reports_fixtures as F  # importlib mode: tests/ is a namespace package


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return F.fortnight_database(tmp_path, monkeypatch, "export.db")


def _rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def test_export_is_the_replay_csv_and_replays_to_the_stored_timers(
    database: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = database / "events.csv"
    assert main(["export", "--out", str(out)]) == 0
    header = out.read_text(encoding="utf-8").splitlines()[0].split(",")
    assert tuple(header[:6]) == EVENTS_HEADER and header[6:] == ["actor", "note", "subject", "external_id"]
    rows = _rows(out)
    assert rows[0]["event"] == "opened" and rows[0]["client"] and rows[0]["ticket_id"].startswith("T-")
    result = replay_csv(load_contracts_text(F.CONTRACT), out.read_text(encoding="utf-8").splitlines())
    assert result.errors == [] and result.tickets == len({r["ticket_id"] for r in rows})
    assert main(["replay", "--contracts", str(database / "contracts.yaml"), "--events", str(out)]) == 0
    assert "events" in capsys.readouterr().err


def test_one_client_and_a_period(database: Path) -> None:
    everything, acme, week = database / "all.csv", database / "acme.csv", database / "week.csv"
    assert main(["export", "--out", str(everything)]) == 0
    assert main(["export", "--client", "acme", "--out", str(acme)]) == 0
    assert main(["export", "--period", "2026-W47", "--out", str(week)]) == 0
    clients = {r["ticket_id"]: r["client"] for r in _rows(everything) if r["event"] == "opened"}
    assert {clients[r["ticket_id"]] for r in _rows(acme)} == {"acme"}
    in_week = _rows(week)
    assert 0 < len({r["ticket_id"] for r in in_week}) <= len(clients)
    assert all(r["timestamp"] < "2026-11-23T00:00" for r in in_week)


def test_bad_input_exits_2_with_a_message(database: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", "--client", "nobody"]) == 2
    assert "I don't know the client 'nobody'" in capsys.readouterr().err
    assert main(["export", "--period", "someday"]) == 2
    assert "not a period" in capsys.readouterr().err
    assert main(["export", "--team", "T0NOSUCH01"]) == 2
    assert "which workspace?" in capsys.readouterr().err
