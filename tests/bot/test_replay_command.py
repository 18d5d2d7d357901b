from __future__ import annotations

import csv
import io
from pathlib import Path

from bot.replay_command import run_replay

ROOT = Path(__file__).resolve().parents[2]
CONTRACTS = ROOT / "examples" / "contracts.yaml"
EVENTS = ROOT / "examples" / "events.csv"


def run(*args, **kwargs) -> tuple[int, str, str]:  # noqa: ANN002, ANN003
    out, err = io.StringIO(), io.StringIO()
    code = run_replay(*args, stdout=out, stderr=err, **kwargs)
    return code, out.getvalue(), err.getvalue()


def test_example_replays_cleanly_and_writes_results(tmp_path: Path) -> None:
    results = tmp_path / "results.csv"
    code, out, err = run(CONTRACTS, EVENTS, results)
    assert (code, err) == (0, "")
    assert "Replayed 62 event(s) of 14 ticket(s)" in out and "as of 2026-04-09 14:00:00 UTC" in out
    assert "client   priority  metric" in out
    assert "acme     P2        first_response        5   80.0%" in out
    with results.open(newline="") as f:
        rows = list(csv.reader(f))
    # the header as the file spells it (pinned here, not read from sla.replay.RESULTS_HEADER)
    header = "ticket_id,metric,cycle,target_seconds,started_at,due_at,stopped_at,business_elapsed_seconds,state,breached_at"
    assert rows[0] == header.split(",")
    assert len(rows) == 34
    assert "Wrote 33 timer row(s)" in out


def test_rejected_rows_exit_1_with_file_and_line(tmp_path: Path) -> None:
    events = tmp_path / "events.csv"
    events.write_text(
        "ticket_id,timestamp,event,priority,status,client\n"
        "T-1,2026-03-02T09:00:00+00:00,opened,P2,,acme\n"
        "T-1,2026-03-02T09:10:00+00:00,opend,,,\n"
        "T-1,2026-03-02T09:20:00+00:00,agent_message,,,\n",
        encoding="utf-8",
    )
    code, out, err = run(CONTRACTS, events)
    assert code == 1
    assert f"{events}:3: unknown event 'opend' — did you mean 'opened'?" in err
    assert "1 row(s) rejected" in err
    assert "Replayed 2 event(s) of 1 ticket(s)" in out


def test_invalid_contracts_exit_2_listing_errors(tmp_path: Path) -> None:
    bad = tmp_path / "contracts.yaml"
    bad.write_text(
        CONTRACTS.read_text(encoding="utf-8").replace("calendar: berlin-office", "calendar: berlin-ofice", 1)
    )
    code, out, err = run(bad, EVENTS)
    assert code == 2 and out == ""
    assert "berlin-ofice" in err and "invalid contract file" in err


def test_as_of_and_missing_files(tmp_path: Path) -> None:
    code, out, _ = run(CONTRACTS, EVENTS, as_of="2026-03-05T00:00:00+00:00")
    assert code == 0 and "row(s) after --as-of were left out" in out
    assert run(CONTRACTS, EVENTS, as_of="2026-03-05")[0] == 2
    code, _, err = run(CONTRACTS, EVENTS, as_of="soon")
    assert code == 2 and "not an ISO 8601 instant" in err
    code, _, err = run(CONTRACTS, tmp_path / "nope.csv")
    assert code == 2 and "cannot read the events file" in err


HEADER = "ticket_id,timestamp,event,priority,status,client"
ROWS = [
    "T-1,2026-03-02T09:00:00+00:00,opened,P2,,acme",
    "T-1,2026-03-02T09:10:00+00:00,agent_message,,,",
    "T-1,2026-03-02T11:00:00+00:00,resolved,,,",
]


def test_a_file_that_is_not_an_events_csv_exits_2_and_replays_nothing(tmp_path: Path) -> None:
    results = tmp_path / "results.csv"  # a results file passed as events by mistake
    assert run(CONTRACTS, EVENTS, results)[0] == 0
    code, out, err = run(CONTRACTS, results)
    assert (code, out) == (2, "")
    assert f"{results}:1: not an events CSV: header lacks column(s) timestamp, event" in err
    assert "nothing was replayed" in err and "other rows were replayed" not in err


def test_an_empty_file_exits_2(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    code, out, err = run(CONTRACTS, empty)
    assert (code, out) == (2, "")
    assert "the file is empty" in err and "nothing was replayed" in err


def test_bom_and_windows_line_ends_replay_cleanly(tmp_path: Path) -> None:
    windows = tmp_path / "excel.csv"
    windows.write_bytes(("\ufeff" + "\r\n".join([HEADER, *ROWS]) + "\r\n").encode("utf-8"))
    code, out, err = run(CONTRACTS, windows)
    assert (code, err) == (0, "")
    assert "Replayed 3 event(s) of 1 ticket(s)" in out


def test_a_cut_off_last_line_is_rejected_saying_so_and_the_rest_replayed(tmp_path: Path) -> None:
    cut = tmp_path / "cut.csv"
    cut.write_text("\n".join([HEADER, *ROWS[:2], "T-1,2026-03-02T11:0"]), encoding="utf-8")  # no line end
    code, out, err = run(CONTRACTS, cut)
    assert code == 1
    assert f"{cut}:4: 2 column(s), expected 6" in err and "was it cut off?" in err
    assert "Replayed 2 event(s) of 1 ticket(s)" in out
    # a complete last line without a line end is fine
    whole = tmp_path / "whole.csv"
    whole.write_text("\n".join([HEADER, *ROWS]), encoding="utf-8")
    assert run(CONTRACTS, whole)[0] == 0


def test_slabot_replay_does_not_load_the_settings_machinery() -> None:
    """`slabot replay` reads no setting: pydantic-settings (a good part of a short command's start-up)
    stays unloaded, and the command still works through the real entry point."""
    import subprocess
    import sys

    probe = (
        "import sys, io, contextlib\n"
        "from bot.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    code = main(['replay', '--contracts', {str(CONTRACTS)!r}, '--events', {str(EVENTS)!r}])\n"
        "print(code, 'pydantic_settings' in sys.modules, 'bot.settings' in sys.modules)\n"
        "heavy = ('bot.features', 'bot.sandbox', 'sqlalchemy', 'slack_bolt', 'alembic', 'matplotlib')\n"
        "print(','.join(m for m in heavy if m in sys.modules) or '-')\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=True)
    # nor the other commands: their features, the sandbox and their libraries
    assert done.stdout.split() == ["0", "False", "False", "-"]


REPLAY_ARGS = [
    ["replay", "--contracts", "c.yaml", "--events", "e.csv"],
    [
        "replay",
        "--events",
        "e.csv",
        "--contracts",
        "c.yaml",
        "--out",
        "o.csv",
        "--as-of",
        "2026-01-01T00:00Z",
    ],
]


def test_the_light_replay_parser_is_build_parsers_replay() -> None:
    """`slabot replay` parses with a parser of that command alone (bot.cli.parser_for): the same values,
    the same --help and the same usage errors as the full table of commands."""
    import contextlib

    import pytest

    from bot.cli import build_parser, parser_for

    for argv in REPLAY_ARGS:
        light, full = parser_for(argv).parse_args(argv), build_parser().parse_args(argv)
        assert vars(light) == vars(full) and light.handler is full.handler
    for argv in (["replay", "--help"], ["replay", "--events", "e.csv"], ["replay", "-x", "--contracts", "c"]):
        outputs = []
        for parser in (parser_for(argv), build_parser()):
            out, err = io.StringIO(), io.StringIO()
            with (
                contextlib.redirect_stdout(out),
                contextlib.redirect_stderr(err),
                pytest.raises(SystemExit) as ended,
            ):
                parser.parse_args(argv)
            outputs.append((ended.value.code, out.getvalue(), err.getvalue()))
        assert outputs[0] == outputs[1] and outputs[0][1] + outputs[0][2]
    assert parser_for(["contracts", "check", "x.yaml"]).parse_args(["contracts", "check", "x.yaml"]).file
