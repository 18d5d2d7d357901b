"""``slabot demo``: the whole product on a simulated Monday — no Slack account, no tokens, no network.

The demo starts the real app wired to the Slack emulator, loads ``examples/contracts.yaml`` and
plays the scripted day of :mod:`bot.sandbox.demo.script`, printing the conversation channel by channel.
See docs/demo.md.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from bot.cli_parts import Option, add_command

DEFAULT_OUT_DIR = Path("slabot-demo")


def add_cli(subparsers: Any) -> None:
    from bot.sandbox.demo import SPEEDS

    add_command(
        subparsers,
        "demo",
        _cmd_demo,
        help="play a simulated day of support against an emulated Slack (no account or tokens needed)",
        description="""Start slabot wired to a built-in Slack emulator, load examples/contracts.yaml and play
            a scripted Monday: tickets opened in support threads, /sla status answers, countdown warnings, a
            breach with escalation, a pause while waiting on the client, a priority change, resolutions, a
            satisfaction survey and the weekly summary with its chart. Prints the conversation as it would
            appear in each channel. The demo checks itself: exit status 0 when every step did what it should,
            1 (with the failed expectations listed) otherwise, 2 when it cannot start.""",
        options=(
            Option(
                "--transcript",
                type=Path,
                metavar="FILE",
                help="also write every Slack Web API call (method, arguments, response) to FILE as JSON lines",
            ),
            Option(
                "--speed",
                choices=sorted(SPEEDS, key=SPEEDS.__getitem__),
                default="normal",
                help="""pause between steps so you can read along: instant (none), fast, normal (default,
                    about 15 s in all) or slow; simulated time is unaffected""",
            ),
            Option(
                "--out-dir",
                type=Path,
                default=DEFAULT_OUT_DIR,
                metavar="DIR",
                help=f"""where the weekly summary's chart, the conversation and the app's log are saved
                    (default: ./{DEFAULT_OUT_DIR})""",
            ),
        ),
    )


def _cmd_demo(args: argparse.Namespace) -> int:
    from sla.extras import ExtraMissing

    try:  # the day ends with the weekly chart: matplotlib, the `charts` extra
        from bot.sandbox.demo.play import run_demo
        from bot.sandbox.demo.runner import DemoError
    except ExtraMissing as exc:
        print(f"slabot demo: {exc}", file=sys.stderr)
        return 2

    try:
        result = run_demo(out_dir=args.out_dir, transcript=args.transcript, speed=args.speed, out=sys.stdout)
    except DemoError as exc:
        print(f"slabot demo: {exc}", file=sys.stderr)
        return 2
    return 0 if result.ok else 1
