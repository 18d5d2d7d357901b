"""``slabot import`` of the shared real logs, whole process, on SQLite and PostgreSQL: rows/s, peak memory,
resume (re-run: every row a duplicate), beside the per-event baseline in the same run.

    .venv/bin/python bench/import_bench.py                          # the shared logs (41,138 events), both backends
    .venv/bin/python bench/import_bench.py --rows 1000000 --backend sqlite   # a million events: memory goal
    .venv/bin/python bench/import_bench.py --baseline-rows 500 --backend postgresql

The events are the two shared real logs (``../shared/data/tickets``: BPIC 2013 Volvo IT and the UCI
ServiceNow sample, converted by ``sla.datasets``), through the ServiceNow-like contract of
``bench/replay_real_logs.py`` (``tests/support/shared_data.ITSM_CONTRACTS``); with ``--rows`` above their size the tickets are repeated with new ids,
and the events are sorted by time so tickets span batches (``bench/sources_bench.real_history``).
Each run is a fresh ``slabot import EVENTS.csv --no-progress`` process (``DATABASE_URL`` a new SQLite
file, or a new database on a throwaway PostgreSQL cluster, fsync off): wall time, the child's CPU time
and its peak resident memory (``wait4``'s ``ru_maxrss``); the children keep their compiled modules in a
folder of the run (an untimed first import fills it), as an installed slabot has them. Then the same command again (resume: every
row already stored) and, as the baseline, ``slabot import --per-event`` (one transaction per event
through the ticket service) on the first ``--baseline-rows`` rows; the ratio of rows/s is printed.

Goals (issue 16): >= 20,000 rows/s on SQLite, >= 10,000 on PostgreSQL (and >= 10x the per-event path),
resumable and exactly once (the re-run stores nothing); a million events under 500 MB resident.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

GOALS = {"sqlite": 20_000, "postgresql": 10_000}
GOAL_RSS_MB = 500
TEAM = "T0IMPORT01"


#: where the children keep their compiled modules (set by main: a folder of the run), as an installed
#: slabot has them; PYTHONDONTWRITEBYTECODE=1 (as on the shared machine) would make every run of an
#: editable checkout compile its own modules again, a tenth of a second and more of each figure
PYCACHE: Path | None = None


def run_import(
    events: Path, url: str, contracts: Path, *extra: str, tree: Path | None = None
) -> tuple[float, float, float, str]:
    """One ``slabot import`` process (``tree``: the code of that checkout): (wall s, CPU s, peak RSS MB, its stdout)."""
    env = {**os.environ, "DATABASE_URL": url, "SLABOT_TEAM_ID": TEAM, "SLABOT_CONTRACTS": str(contracts)}
    if tree is not None:
        env["PYTHONPATH"] = str(tree)
    if PYCACHE is not None:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(
            PYCACHE / ("ours" if tree is None else str(tree).strip("/").replace("/", "_"))
        )
    slabot = Path(sys.executable).with_name("slabot")
    started = time.perf_counter()
    proc = subprocess.Popen(
        [str(slabot), "import", str(events), "--no-progress", *extra],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    out = proc.stdout.read() if proc.stdout else ""
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"slabot import failed ({proc.returncode}):\n{out}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, out


def stored_line(out: str) -> str:
    found = [line.strip() for line in out.splitlines() if "events stored" in line or "duplicates" in line]
    return "; ".join(found)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "tickets")
    parser.add_argument("--rows", type=int, default=0, help="events (default: the shared logs once)")
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--baseline-rows", type=int, default=300, help="rows for the per-event baseline")
    parser.add_argument("--no-rerun", action="store_true", help="skip the resume run")
    parser.add_argument(
        "--baseline-tree",
        type=Path,
        help="also import (and re-run) with the code of this checkout, right after this tree's runs: A/B",
    )
    parser.add_argument("--batch", type=int, help="--batch of the batched runs (default: slabot's)")
    args = parser.parse_args()
    if not args.data.is_dir():
        print(f"real logs: {args.data} not found, skipped")
        return 0
    import sources_bench

    from bench._common import Databases, backends_of
    from tests.support.shared_data import ITSM_CONTRACTS

    backends = backends_of(args.backend)
    with tempfile.TemporaryDirectory(prefix="slabot-import-bench-") as tmp_name:
        tmp = Path(tmp_name)
        contracts = tmp / "contracts.yaml"
        contracts.write_text(ITSM_CONTRACTS, encoding="utf-8")
        rows = args.rows or 41_138
        text = sources_bench.real_history(args.data, rows)
        events = tmp / "events.csv"
        events.write_text(text, encoding="utf-8")
        lines = text.splitlines(keepends=True)
        n = len(lines) - 1
        head = tmp / "head.csv"
        head.write_text("".join(lines[: args.baseline_rows + 1]), encoding="utf-8")
        print(
            f"import bench: {n:,} events of the shared real logs (BPIC 2013 + ServiceNow, sorted by time), "
            f"`slabot import` as a fresh process each run, bytecode cached; baseline `--per-event` on the "
            f"first {args.baseline_rows:,} rows"
        )
        global PYCACHE
        PYCACHE = tmp / "pycache"
        with Databases(backends, prefix="slabot-import-bench-db-") as dbs:
            # untimed: each tree's modules compiled once (bytecode cached, as an installed slabot has it)
            for tree in [None, args.baseline_tree] if args.baseline_tree else [None]:
                run_import(head, dbs.url("sqlite", None), contracts, tree=tree)
            for backend in backends:

                def url(name: str, backend: str = backend) -> str:
                    return dbs.url(backend, name, migrated=backend == "postgresql")

                batch = ("--batch", str(args.batch)) if args.batch else ()
                trees = [("this tree", None)]
                if args.baseline_tree:
                    trees.append((f"tree {args.baseline_tree}", args.baseline_tree))
                first: dict[str, float] = {}
                for label, tree in trees:
                    target = url("bulk" if tree is None else "bulk_baseline")
                    wall, cpu, rss, out = run_import(events, target, contracts, *batch, tree=tree)
                    rate = n / wall
                    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
                    print(
                        f"[{backend}] batched   {n:>9,} rows {wall:8.2f} s wall {cpu:8.2f} s CPU {rate:9,.0f} rows/s "
                        f"wall {n / cpu:9,.0f} rows/s CPU  peak RSS {rss:6.0f} MB  ({stored_line(out)}; load {load})"
                        + (f"  [{label}]" if args.baseline_tree else "")
                    )
                    again_cpu = 0.0
                    if not args.no_rerun:
                        again_wall, again_cpu, _rss, again = run_import(
                            events, target, contracts, *batch, tree=tree
                        )
                        print(
                            f"[{backend}] re-run    {n:>9,} rows {again_wall:8.2f} s wall {again_cpu:8.2f} s CPU "
                            f"{n / again_wall:9,.0f} rows/s wall  ({stored_line(again)})"
                            + (f"  [{label}]" if args.baseline_tree else "")
                        )
                    if tree is None:
                        first = {"wall": wall, "cpu": cpu, "again": again_cpu, "rate": rate, "rss": rss}
                    else:
                        print(
                            f"[{backend}] this tree vs {label}: batched {cpu / first['cpu']:.2f}x less CPU "
                            f"({first['cpu']:.2f} s vs {cpu:.2f} s), {wall / first['wall']:.2f}x less wall"
                            + (
                                f"; re-run {again_cpu / first['again']:.2f}x less CPU "
                                f"({first['again']:.2f} s vs {again_cpu:.2f} s)"
                                if first["again"]
                                else ""
                            )
                        )
                wall, cpu, rate, rss = first["wall"], first["cpu"], first["rate"], first["rss"]
                base_wall, base_cpu, _rss, base_out = run_import(
                    head, url("per_event"), contracts, "--per-event"
                )
                m = args.baseline_rows
                base = m / base_wall
                print(
                    f"[{backend}] per-event {m:>9,} rows {base_wall:8.2f} s wall {base_cpu:8.2f} s CPU "
                    f"{base:9,.0f} rows/s wall  ({stored_line(base_out)}) — batched / per-event {rate / base:.1f}x"
                )
                goal = GOALS[backend]
                print(
                    f"[{backend}] goal >= {goal:,} rows/s: {'met' if rate >= goal else 'NOT met'} "
                    f"({rate:,.0f}/s wall, {n / cpu:,.0f}/s CPU; {rate / base:.1f}x the per-event path)"
                )
                if n >= 1_000_000:
                    print(
                        f"[{backend}] goal {n:,} events under {GOAL_RSS_MB} MB resident: "
                        f"{'met' if rss < GOAL_RSS_MB else 'NOT met'} ({rss:.0f} MB)"
                    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
