"""Regenerate bot/emulator/slack_methods.json from Slack's OpenAPI spec of the Web API.

Usage: python scripts/extract_slack_methods.py [SPEC_JSON] [--check]

SPEC_JSON defaults to ../shared/slack-api-specs/web-api/slack_web_openapi_v2_without_examples.json.
With --check nothing is written; the exit status is 1 when the shipped file is out of date.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.sandbox.emulator.spec import SHARED_SPEC, SHIPPED_METHODS, extract_methods, render_shipped  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("spec", nargs="?", type=Path, default=SHARED_SPEC)
    parser.add_argument("--check", action="store_true", help="fail if the shipped file differs")
    options = parser.parse_args(argv)
    text = render_shipped(extract_methods(json.loads(options.spec.read_text(encoding="utf-8"))))
    if options.check:
        current = SHIPPED_METHODS.read_text(encoding="utf-8") if SHIPPED_METHODS.exists() else ""
        if current != text:
            print(f"{SHIPPED_METHODS} is out of date; run scripts/extract_slack_methods.py", file=sys.stderr)
            return 1
        return 0
    SHIPPED_METHODS.write_text(text, encoding="utf-8")
    print(f"wrote {SHIPPED_METHODS} ({len(text):,} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
