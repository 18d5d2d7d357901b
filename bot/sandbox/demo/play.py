"""Play the scripted day (:mod:`bot.sandbox.demo.script`) in a :class:`bot.sandbox.demo.runner.DemoWorld` and print it."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from bot.sandbox.demo import SPEEDS
from bot.sandbox.demo.runner import DemoError, DemoWorld, example_contracts
from bot.sandbox.demo.script import START, Scene, Step, steps


@dataclass
class DemoResult:
    ok: bool
    conversation: str
    failures: list[str] = field(default_factory=list)
    saved: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    calls: int = 0
    log: Path | None = None


def run_demo(
    *,
    out_dir: Path,
    transcript: Path | None = None,
    speed: str = "normal",
    out: IO[str] | None = None,
    script: list[Step] | None = None,
) -> DemoResult:
    """Play the day; print the conversation to ``out``. Never raises for a failed expectation: the
    result says what failed (``ok`` False)."""
    out = out or sys.stdout
    pause = SPEEDS.get(speed, SPEEDS["normal"])
    started = time.perf_counter()
    out_dir.mkdir(parents=True, exist_ok=True)
    scene = Scene(out_dir=out_dir, printer=out)
    failures: list[str] = []
    contracts = example_contracts()
    log_path = out_dir / "demo.log"
    restore_logging = _log_to(log_path)
    try:
        with DemoWorld(START, transcript=transcript, contracts=contracts) as world:
            conversation = world.conversation
            conversation.groups = world.group_handle
            conversation.say(
                out,
                "slabot demo — a Monday of support for Acme (Berlin), Globex (New York) and Initech (London)",
                f"contracts: {contracts} · Slack: emulated · clock: simulated · times in Europe/Berlin",
            )
            for step in script if script is not None else steps():
                if not step.when():
                    continue
                at = step.instant()
                if at < world.clock.now():
                    failures.append(f"the script goes back in time at “{step.title}”")
                    break
                conversation.flush(out)
                conversation.heading(out, world.clock.now(), at, step.title)
                world.advance_to(at)  # what happens while time passes (alerts) is part of the step
                try:
                    step.act(world, scene)
                except DemoError as exc:
                    failures.append(f"{step.title}: {exc}")
                conversation.flush(out)
                for check in step.checks:
                    problem = check(world, scene)
                    if problem:
                        failures.append(f"{step.title}: {problem}")
                if failures:
                    break
                time.sleep(pause)
            text = conversation.text()
            calls = len(world.slack.calls)
    except DemoError as exc:
        failures.append(str(exc))
        text, calls = "", 0
    finally:
        restore_logging()
    if text:
        (out_dir / "conversation.txt").write_text(text + "\n", encoding="utf-8")
    result = DemoResult(
        ok=not failures,
        conversation=text,
        failures=failures,
        saved=scene.saved,
        notes=scene.notes,
        seconds=time.perf_counter() - started,
        calls=calls,
        log=log_path,
    )
    _summary(result, transcript, out)
    return result


def _summary(result: DemoResult, transcript: Path | None, out: IO[str]) -> None:
    print("", file=out)
    for note in result.notes:
        print(f"• {note}", file=out)
    for path in result.saved:
        print(f"• saved {path}", file=out)
    if result.conversation:
        print(
            f"• this conversation: {result.log.with_name('conversation.txt') if result.log else ''}", file=out
        )
    if result.log is not None:
        errors = _errors_in(result.log)
        print(
            f"• slabot's own log: {result.log}" + (f" ({errors} errors logged)" if errors else ""), file=out
        )
    if transcript is not None:
        print(f"• every Slack Web API call ({result.calls}) written to {transcript} (JSON lines)", file=out)
    if result.ok:
        print(
            f"\nDemo finished in {result.seconds:.1f} s: every step did what it should. "
            "Next: `slabot contracts check examples/contracts.yaml`, then README › Install in your workspace.",
            file=out,
        )
    else:
        print("\nDemo FAILED:", file=out)
        for failure in result.failures:
            print(f"  ✗ {failure}", file=out)
    out.flush()


def _log_to(path: Path) -> Callable[[], None]:
    """The demo prints a conversation, not the app's logs: while it runs they go to ``path``."""
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    handler = logging.FileHandler(path, mode="w", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    for old in handlers:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.INFO)

    def restore() -> None:
        root.removeHandler(handler)
        handler.close()
        for old in handlers:
            root.addHandler(old)
        root.setLevel(level)

    return restore


def _errors_in(path: Path) -> int:
    try:
        return sum(1 for line in path.read_text(encoding="utf-8").splitlines() if " ERROR " in line)
    except OSError:
        return 0
