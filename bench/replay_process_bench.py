"""``slabot replay`` of the shared real logs, whole process: start-up, contract file, parse, fold, table.

    .venv/bin/python bench/replay_process_bench.py [--runs 5] [--data ../shared/data/tickets]
    .venv/bin/python bench/replay_process_bench.py --baseline-tree /path/to/an/older/checkout

The two shared logs (the UCI ServiceNow incident log and the BPI Challenge 2013 Volvo IT log,
see ``bench/replay_real_logs.py`` for their sources) are converted by ``sla.datasets`` to events
CSVs, once, outside the timing; then ``slabot replay`` runs as a fresh process on each of them
and on both in one file, through the office-hours contracts of ``ITSM_CONTRACTS``
(tests/support/shared_data.py; the Volvo log's with Swedish public holidays: the
costly case: every calendar query crosses nights, weekends and holidays). Each figure is the
median of ``--runs`` runs: wall time and the child's CPU time (user + system), and events per
second of each. Goal: >= 50,000 events/s whole process.

Printed beside it, in the same run:

* the start-up alone: the same command on a header-only events file (Python, imports, the
  contract file and its calendars) — what a small log pays whatever the engine does;
* baseline: the naive engine — each ticket's whole history re-evaluated on every event
  (``sla.timers.evaluate``), in-process on the first ``--naive-events`` events of the BPIC log —
  against the incremental fold on the same events, CPU;
* ``--bytecode cached`` (the default): the children keep their compiled modules in a temporary
  folder (one untimed warm-up run fills it), as an installed slabot has them; ``--bytecode compile``
  leaves the environment as it is (with PYTHONDONTWRITEBYTECODE=1, as on the shared machine, an
  editable checkout compiles its own modules again in every run: about 0.2 s of CPU);
* with ``--baseline-tree DIR``: the same ``slabot replay`` runs with the code of another checkout
  (``PYTHONPATH=DIR``, e.g. a worktree of an older commit), interleaved with ours, and the ratio.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sla.contracts import load_contracts_text  # noqa: E402
from sla.datasets import bpic2013_events, servicenow_events  # noqa: E402
from sla.replay import EVENTS_HEADER, replay, write_events_csv  # noqa: E402
from sla.timers import evaluate  # noqa: E402
from tests.support.shared_data import ITSM_CONTRACTS  # noqa: E402

GOAL = 50_000


def run_once(
    contracts: Path, events: Path, pythonpath: str | None, pycache: Path | None = None
) -> tuple[float, float, str]:
    """One ``slabot replay`` process: (wall seconds, CPU seconds of the child, its first stdout line).

    With ``pycache`` the child reads and writes its compiled modules there (as an installed package
    has them); without it, it compiles what it finds no bytecode for, as this environment's
    PYTHONDONTWRITEBYTECODE=1 makes every run of an editable checkout do."""
    env = dict(os.environ)
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    if pycache is not None:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(pycache / (pythonpath or "ours").strip("/").replace("/", "_"))
    cmd = [sys.executable, "-m", "bot.cli", "replay", "--contracts", str(contracts), "--events", str(events)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=pythonpath or ROOT)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if done.returncode not in (0, 1):
        raise SystemExit(f"slabot replay failed ({done.returncode}): {done.stderr[-2000:]}")
    return wall, cpu, (done.stdout.splitlines() or [""])[0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "tickets")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--naive-events", type=int, default=5_000)
    parser.add_argument("--baseline-tree", help="another checkout to run the same commands with (PYTHONPATH)")
    parser.add_argument(
        "--bytecode",
        choices=("cached", "compile"),
        default="cached",
        help="cached (default): the children keep compiled modules in a temporary folder, warmed by one "
        "untimed run, as an installed slabot has them; compile: as the environment says (here "
        "PYTHONDONTWRITEBYTECODE=1: an editable checkout compiles its own modules in every run)",
    )
    args = parser.parse_args(argv)

    with (args.data / "servicenow_incident_event_log_sample.csv").open(newline="", encoding="utf-8") as f:
        sn = servicenow_events(f, client="servicenow-office").events
    with (args.data / "bpic2013_volvo_incidents.xes.gz").open("rb") as f:
        bpic = bpic2013_events(f, client="volvo-office").events
    book = load_contracts_text(ITSM_CONTRACTS, "tests/support/shared_data.py")
    with tempfile.TemporaryDirectory(prefix="replay-process-bench-") as tmp:
        folder = Path(tmp)
        contracts = folder / "contracts.yaml"
        contracts.write_text(ITSM_CONTRACTS, encoding="utf-8")
        logs = {"ServiceNow": sn, "BPIC 2013": bpic, "both logs": [*sn, *bpic], "start-up only": []}
        files: dict[str, tuple[Path, int]] = {}
        for name, events in logs.items():
            path = folder / (name.replace(" ", "_") + ".csv")
            with path.open("w", newline="", encoding="utf-8") as f:
                write_events_csv(events, f)
            files[name] = (path, len(events))
        assert files["start-up only"][0].read_text().strip() == ",".join(EVENTS_HEADER)

        trees = {"ours": None} | ({"baseline tree": args.baseline_tree} if args.baseline_tree else {})
        pycache = folder / "pycache" if args.bytecode == "cached" else None
        if pycache is not None:  # the untimed warm-up that compiles every module once
            for pythonpath in trees.values():
                run_once(contracts, files["ServiceNow"][0], pythonpath, pycache)
        results: dict[tuple[str, str], list[tuple[float, float]]] = {}
        firsts: dict[tuple[str, str], str] = {}
        for _ in range(args.runs):  # interleaved, so that both trees see the same load
            for name, (path, _n) in files.items():
                for tree, pythonpath in trees.items():
                    wall, cpu, first = run_once(contracts, path, pythonpath, pycache)
                    results.setdefault((tree, name), []).append((wall, cpu))
                    firsts[(tree, name)] = first
        load = os.getloadavg()
        print(
            f"slabot replay, whole process, median of {args.runs} runs, bytecode {args.bytecode} "
            f"(PYTHONDONTWRITEBYTECODE={os.environ.get('PYTHONDONTWRITEBYTECODE', '')!r} here; "
            f"load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} on {os.cpu_count()} cores):"
        )
        medians: dict[tuple[str, str], tuple[float, float]] = {}
        for (tree, name), runs in results.items():
            wall = statistics.median(w for w, _ in runs)
            cpu = statistics.median(c for _, c in runs)
            medians[(tree, name)] = (wall, cpu)
            n = files[name][1]
            rates = f"{n / wall:>9,.0f} events/s wall {n / cpu:>9,.0f} events/s CPU" if n else ""
            print(f"  {tree:13s} {name:13s} {n:>7,} events  {wall:6.3f} s wall {cpu:6.3f} s CPU  {rates}")
        for name in ("ServiceNow", "BPIC 2013", "both logs"):
            first = firsts[("ours", name)]
            assert first.startswith(f"Replayed {files[name][1]} event(s)"), first
        start_wall, start_cpu = medians[("ours", "start-up only")]
        for name in ("ServiceNow", "BPIC 2013", "both logs"):
            wall, cpu = medians[("ours", name)]
            n = files[name][1]
            verdict = "met" if n / cpu >= GOAL else "NOT met"
            print(
                f"goal >= {GOAL:,} events/s whole process, {name}: {verdict} on CPU time ({n / cpu:,.0f}/s; "
                f"{n / wall:,.0f}/s wall); start-up is {100 * start_cpu / cpu:.0f}% of it "
                f"({n / max(cpu - start_cpu, 1e-9):,.0f} events/s after start-up)"
            )
        if args.baseline_tree:
            for name in ("ServiceNow", "BPIC 2013", "both logs"):
                ours, theirs = medians[("ours", name)], medians[("baseline tree", name)]
                print(
                    f"ours / baseline tree, {name}: {theirs[1] / ours[1]:.2f}x CPU, {theirs[0] / ours[0]:.2f}x wall"
                )

    subset = bpic[: args.naive_events]
    c0 = time.process_time()
    fast = replay(book, subset)
    c1 = time.process_time()
    history: dict[str, list] = {}
    for e in subset:
        history.setdefault(e.ticket_id, []).append(e)
        evaluate(history[e.ticket_id], book.version_for("volvo-office", history[e.ticket_id][0].at), e.at)
    c2 = time.process_time()
    ours_rate, naive_rate = len(subset) / (c1 - c0), len(subset) / (c2 - c1)
    print(
        f"baseline, in-process CPU on the first {len(subset):,} BPIC events ({fast.tickets:,} tickets): incremental "
        f"fold {ours_rate:,.0f} events/s vs naive re-evaluation of the ticket's history on every event "
        f"{naive_rate:,.0f} events/s — {ours_rate / naive_rate:.1f}x"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
