"""CI's smoke on a second Python (3.13): the installed package imports every module, answers --version,
checks the shipped example and plays the demo. Run with the interpreter of a venv where slabot is
installed (not from the source tree: this folder, not the repository root, is on sys.path)."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys
import tempfile
from pathlib import Path


def main() -> int:
    count = 0
    for package in ("sla", "storage", "handlers", "bot"):
        root = importlib.import_module(package)
        assert "site-packages" in (root.__file__ or ""), (
            f"{package} imported from {root.__file__}, not installed"
        )
        for info in pkgutil.walk_packages(root.__path__, prefix=f"{package}."):
            if info.name.endswith("__main__") or info.name.startswith("storage.migrations"):
                continue
            importlib.import_module(info.name)
            count += 1
    slabot = str(Path(sys.executable).with_name("slabot"))
    with tempfile.TemporaryDirectory() as tmp:
        for argv in (
            [slabot, "--version"],
            [slabot, "contracts", "check", "examples/contracts.yaml"],
            [slabot, "demo", "--speed", "instant", "--out-dir", str(Path(tmp) / "demo")],
        ):
            done = subprocess.run(argv, cwd=tmp, capture_output=True, text=True, timeout=600)
            if done.returncode != 0:
                print(done.stdout[-2000:], done.stderr[-2000:], sep="\n", file=sys.stderr)
                print(f"smoke: {' '.join(argv[1:])} failed with {done.returncode}", file=sys.stderr)
                return 1
    print(
        f"smoke on Python {sys.version.split()[0]}: {count} modules import, --version, contracts check, demo ok"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
