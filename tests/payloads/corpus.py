"""The real-payload corpus: files under ``tests/payloads/<source>/`` and their ``SOURCES.md``.

Every ``*.json`` of a source folder must have a row in that folder's ``SOURCES.md`` table
(``| file | origin | licence | adapted |``): a payload whose origin is not written down is not in
the corpus. :func:`payloads` returns the files with their rows; tests feed them through the app.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent
_ROW = re.compile(r"^\|\s*`([^`]+\.json)`\s*\|(.+)\|\s*$")


@dataclass(frozen=True)
class Payload:
    source: str
    name: str
    origin: str  # the SOURCES.md row after the file name
    path: Path

    def json(self) -> Any:
        return json.loads(self.path.read_text(encoding="utf-8"))

    def bytes(self) -> bytes:
        return self.path.read_bytes()


def payloads(source: str) -> dict[str, Payload]:
    folder = ROOT / source
    rows: dict[str, str] = {}
    for line in (folder / "SOURCES.md").read_text(encoding="utf-8").splitlines():
        match = _ROW.match(line.strip())
        if match:
            rows[match.group(1)] = match.group(2).strip()
    files = sorted(p.name for p in folder.glob("*.json"))
    unlisted = [f for f in files if f not in rows]
    missing = [f for f in rows if f not in files]
    assert not unlisted, f"{source}: files without an origin row in SOURCES.md: {unlisted}"
    assert not missing, f"{source}: SOURCES.md lists files that do not exist: {missing}"
    return {f: Payload(source, f, rows[f], folder / f) for f in files}
