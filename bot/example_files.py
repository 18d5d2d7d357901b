"""The example files shipped inside the package (``bot/examples/``), so an installed slabot has them too.

The repository's ``examples/`` folder is where people read them; ``bot/examples/`` links to those files
(symbolic links, which the sdist and the wheel store as the files themselves). ``slabot contracts init`` writes the commented example
contract file from here, the demo loads it, and a command given ``examples/contracts.yaml`` or
``examples/events.csv`` where no such file exists (an installed copy, run from any folder) reads the
shipped one and says so.
"""

from __future__ import annotations

from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

NAMES = ("contracts.yaml", "events.csv")


def shipped(name: str) -> Traversable:
    """The shipped copy of example ``name`` (``contracts.yaml`` or ``events.csv``)."""
    if name not in NAMES:
        raise ValueError(f"no example named {name!r} (examples: {', '.join(NAMES)})")
    return resources.files("bot") / "examples" / name


def example_text(name: str = "contracts.yaml") -> str:
    return shipped(name).read_text(encoding="utf-8")


def resolve(path: Path) -> tuple[Path, str | None]:
    """``path``, or — when it does not exist and names one of the examples as ``examples/NAME`` — the
    shipped copy, with a note to print. Any other missing path is returned as it is (its reader reports it)."""
    if path.exists() or path.is_absolute() or path.parts[:-1] != ("examples",) or path.name not in NAMES:
        return path, None
    copy = shipped(path.name)
    if not copy.is_file():
        return path, None
    note = f"{path}: not in {Path.cwd()}; using the copy shipped with slabot ({copy})"
    return Path(str(copy)), note
