"""``slabot replay``: dry-run a contract file on an events CSV (the file and console side).

The rules live in ``sla.replay`` and ``sla.compliance`` (pure); this module opens the files,
prints the compliance table and the rejected rows, and chooses the exit status:

- 0: every row replayed;
- 1: some rows were rejected (each printed as ``FILE:LINE: message``); the rest was replayed
  and the table and ``--out`` file still cover it;
- 2: nothing could be replayed: the contract file is invalid (its errors are printed),
  a file cannot be read or written, the events file is empty or not an events CSV (its
  header lacks the columns; a results CSV or another export by mistake), or ``--as-of`` is not
  an aware ISO 8601 instant.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from os import PathLike
from pathlib import Path
from typing import TextIO

from sla.compliance import compliance_table, format_table
from sla.contracts import ContractBook, ContractFileError, load_contracts
from sla.replay import replay_csv, write_results_csv

MAX_ERRORS_SHOWN = 200


def _parse_as_of(text: str | datetime | None) -> datetime | None:
    if text is None or isinstance(text, datetime):
        if isinstance(text, datetime) and text.tzinfo is None:
            raise ValueError("--as-of needs a UTC offset")
        return text
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(
            f"--as-of {text!r} is not an ISO 8601 instant — e.g. 2026-03-31T23:59:59+00:00"
        ) from None
    if value.tzinfo is None:
        raise ValueError(f"--as-of {text!r} has no UTC offset — e.g. {value.isoformat()}+00:00")
    return value


def _when(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _load_book(contracts_path: str | PathLike[str], err: TextIO) -> ContractBook | None:
    """The contract book, or None with every problem printed for the user."""
    try:
        return load_contracts(contracts_path)
    except ContractFileError as exc:
        for issue in exc.errors:
            print(str(issue), file=err)
        print(
            f"{contracts_path}: invalid contract file ({len(exc.errors)} error(s)); nothing replayed",
            file=err,
        )
    except OSError as exc:
        print(
            f"slabot replay: cannot read the contract file {contracts_path}: {exc.strerror or exc}", file=err
        )
    return None


def run_replay(
    contracts_path: str | PathLike[str],
    events_path: str | PathLike[str],
    out_path: str | PathLike[str] | None = None,
    as_of: str | datetime | None = None,
    *,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Replay ``events_path`` through ``contracts_path``; print the table; return the exit status."""
    out = stdout if stdout is not None else sys.stdout
    err = stderr if stderr is not None else sys.stderr
    try:
        instant = _parse_as_of(as_of)
    except ValueError as exc:
        print(f"slabot replay: {exc}", file=err)
        return 2
    book = _load_book(contracts_path, err)
    if book is None:
        return 2
    events_name = str(events_path)
    try:
        with Path(events_path).open(newline="", encoding="utf-8-sig") as f:
            result = replay_csv(book, f, instant)
    except OSError as exc:
        print(f"slabot replay: cannot read the events file {events_name}: {exc.strerror or exc}", file=err)
        return 2
    except UnicodeDecodeError as exc:
        print(
            f"slabot replay: {events_name} is not UTF-8 text ({exc.reason}); save it as UTF-8 CSV", file=err
        )
        return 2

    unusable = next((e for e in result.errors if e.file_level), None)
    if unusable is not None:  # empty, or not an events CSV at all: nothing to replay
        print(f"{events_name}:{unusable.line}: {unusable.message}", file=err)
        print(f"slabot replay: {events_name} is not an events CSV; nothing was replayed", file=err)
        return 2

    for error in result.errors[:MAX_ERRORS_SHOWN]:
        print(f"{events_name}:{error.line}: {error.message}", file=err)
    if len(result.errors) > MAX_ERRORS_SHOWN:
        print(f"... and {len(result.errors) - MAX_ERRORS_SHOWN} more rejected row(s)", file=err)

    when = f" as of {_when(result.as_of)}" if result.as_of else ""
    print(
        f"Replayed {result.events} event(s) of {result.tickets} ticket(s) from {events_name} "
        f"through {contracts_path}{when}.",
        file=out,
    )
    if result.skipped_after_as_of:
        print(f"{result.skipped_after_as_of} row(s) after --as-of were left out.", file=out)
    print(file=out)
    print(format_table(compliance_table(result.rows)), file=out)

    if out_path is not None:
        try:
            with Path(out_path).open("w", newline="", encoding="utf-8") as f:
                written = write_results_csv(result.rows, f)
        except OSError as exc:
            print(f"slabot replay: cannot write {out_path}: {exc.strerror or exc}", file=err)
            return 2
        print(f"\nWrote {written} timer row(s) to {out_path}.", file=out)

    if result.errors:
        print(
            f"{len(result.errors)} row(s) rejected (listed above with their line numbers); "
            "the other rows were replayed.",
            file=err,
        )
        return 1
    return 0
