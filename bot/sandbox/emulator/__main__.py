"""``python -m bot.emulator [--port N] [--transcript FILE]``: run the Slack Web API emulator in the foreground.

Point slabot at it with ``SLACK_API_URL=<printed URL>`` and any ``xoxb-`` token. It starts with the
example workspace (:mod:`bot.sandbox.workspace`: the agents, client contacts, user groups and channels
that ``examples/contracts.yaml`` names), so ``slabot run`` with the example contract file finds every
user it looks up; ``--empty`` starts with none. Channels are created on first use unless
``--strict-channels`` is given.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import threading
from pathlib import Path

from bot.sandbox.emulator.server import SlackEmulator
from bot.sandbox.workspace import CHANNELS, GROUPS, PEOPLE, seed


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
    parser.add_argument(
        "--empty",
        action="store_true",
        help="start without the example workspace's users, user groups and channels",
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
        if not options.empty:
            seed(emulator)
        print(f"Slack Web API emulator listening: SLACK_API_URL={emulator.url}", flush=True)
        if not options.empty:
            print(
                f"example workspace: {len(PEOPLE)} users, {len(GROUPS)} user groups, {len(CHANNELS)} channels "
                "(those of examples/contracts.yaml; --empty for none)",
                flush=True,
            )
        with contextlib.suppress(KeyboardInterrupt):
            done.wait()
    print(f"stopped after {len(emulator.calls)} calls", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
