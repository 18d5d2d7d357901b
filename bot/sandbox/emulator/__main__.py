"""``python -m bot.emulator [--port N] [--transcript FILE]``: run the Slack Web API emulator in the foreground.

Point slabot at it with ``SLACK_API_URL=<printed URL>`` and any ``xoxb-`` token. Channels are
created on first use unless ``--strict-channels`` is given.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import threading
from pathlib import Path

from bot.sandbox.emulator.server import SlackEmulator


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bot.emulator", description="Run the Slack Web API emulator."
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="port to listen on (default: any free port)")
    parser.add_argument("--transcript", type=Path, help="append every Web API call to FILE as JSON lines")
    parser.add_argument(
        "--token", action="append", help="accept only these tokens (repeatable; default: any)"
    )
    parser.add_argument(
        "--strict-channels", action="store_true", help="unknown channels are channel_not_found"
    )
    options = parser.parse_args(argv)
    emulator = SlackEmulator(
        host=options.host,
        port=options.port,
        transcript=options.transcript,
        tokens=options.token,
        auto_create_channels=not options.strict_channels,
    )
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    with emulator:
        print(f"Slack Web API emulator listening: SLACK_API_URL={emulator.url}", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            done.wait()
    print(f"stopped after {len(emulator.calls)} calls", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
