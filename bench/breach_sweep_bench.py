"""What recording breaches costs the sweep: 1,000 due breaches, recorded vs not, in the same run.

    .venv/bin/python bench/breach_sweep_bench.py                        # SQLite
    .venv/bin/python bench/breach_sweep_bench.py --backend postgresql   # a throwaway PostgreSQL cluster
    .venv/bin/python bench/breach_sweep_bench.py --due 200 --rounds 1   # quick

One database is seeded with ``--background`` idle timers and ``--due`` unanswered P1 tickets opened 21
minutes before the sweep (20-minute first response: the 50/75/90 % warnings and the breach are all
due) and copied for every run (SQLite; PostgreSQL seeds each database); each round times one
``Sweeper.run_once()`` of each side, alternating:

- **baseline**: the sweep as it was before issue 12 — notices enqueued, the stored timer left
  ``running`` (``_record_breaches`` switched off);
- **recorded**: today's sweep — the same, plus the breach recorded on the stored timer and the
  ticket's ``has_breach`` in the same transaction.

The goal (issue 12): recorded ≤ 1.5 × baseline. Prints the median of the rounds and the ratio, and
checks that the recorded run left every due timer ``breached`` and the baseline none.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text

sys.path.insert(0, str(Path(__file__).resolve().parent))
from sweep_bench import CONTRACTS, START, TEAM, seed_background  # noqa: E402

from bot.clock import ManualClock  # noqa: E402
from bot.services.alerts import Sweeper  # noqa: E402
from bot.services.tickets import TicketService  # noqa: E402
from sla.contracts import load_contracts_text  # noqa: E402
from storage.db import make_engine, migrate  # noqa: E402
from storage.models import MetricTimerRow  # noqa: E402
from storage.uow import UnitOfWork  # noqa: E402
from tests.support.postgres import PostgresCluster  # noqa: E402


class BaselineSweeper(Sweeper):
    """The sweep before issue 12: it enqueued the notice and left the stored timer running."""

    @staticmethod
    def _record_breaches(*args: Any, **kwargs: Any) -> set[int]:
        return set()


def seed(url: str, due: int, background: int) -> None:
    """A database with ``background`` idle timers and ``due`` unanswered P1 tickets opened at START."""
    book = load_contracts_text(CONTRACTS)
    engine = make_engine(url)
    migrate(engine)
    uow = UnitOfWork.from_engine(engine)
    tickets = TicketService(uow=uow, book=book, clock=ManualClock(START))
    seed_background(uow, background, START + timedelta(days=365))
    for _ in range(due):
        tickets.open(team_id=TEAM, client_key="acme", source="slash_command", title="nobody answers")
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.execute(text("ANALYZE"))
            conn.commit()
    engine.dispose()


def one_sweep(url: str, sweeper_class: type[Sweeper]) -> tuple[float, int]:
    """One sweep 21 minutes after the openings: (seconds, timers stored as breached afterwards)."""
    book = load_contracts_text(CONTRACTS)
    engine = make_engine(url)
    uow = UnitOfWork.from_engine(engine)
    clock = ManualClock(START + timedelta(minutes=21))
    tickets = TicketService(uow=uow, book=book, clock=clock)
    sweeper = sweeper_class(uow=uow, book=book, tickets=tickets, clock=clock, worker_id="bench")
    started = time.perf_counter()
    stats = sweeper.run_once()
    seconds = time.perf_counter() - started
    assert stats.errors == 0
    with uow.begin(read_only=True) as tx:
        breached = tx.session.scalar(
            select(func.count()).select_from(MetricTimerRow).where(MetricTimerRow.state == "breached")
        )
    engine.dispose()
    return seconds, int(breached or 0)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--due", type=int, default=1000, help="unanswered tickets whose breach is due")
    parser.add_argument("--background", type=int, default=10_000, help="idle active timers besides them")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="breach-bench-"))
    times: dict[str, list[float]] = {"baseline": [], "recorded": []}
    with ExitStack() as stack:
        cluster = stack.enter_context(PostgresCluster()) if args.backend == "postgresql" else None
        template = tmp / "template.db"
        if cluster is None:  # seeded once, copied for every sweep: each run starts from the same bytes
            seed(f"sqlite:///{template}", args.due, args.background)
        for n in range(args.rounds):  # alternating, so a change of machine load hits both sides alike
            for name, cls in (("baseline", BaselineSweeper), ("recorded", Sweeper)):
                if cluster is not None:
                    url = cluster.create_database(f"breach_{name}_{n}")
                    seed(url, args.due, args.background)
                else:
                    copy = tmp / f"{name}-{n}.db"
                    shutil.copyfile(template, copy)
                    url = f"sqlite:///{copy}"
                seconds, breached = one_sweep(url, cls)
                expected = args.due if name == "recorded" else 0
                assert breached == expected, f"{name}: {breached} breached rows, expected {expected}"
                times[name].append(seconds)
    base, rec = statistics.median(times["baseline"]), statistics.median(times["recorded"])
    print(
        f"== sweep of {args.due:,} due breaches ({args.backend}, {args.background:,} idle timers), median of {args.rounds} =="
    )
    print(f"baseline (breach not recorded): {base:.3f} s ({base / args.due * 1000:.2f} ms per due ticket)")
    print(f"recorded (timer + has_breach):  {rec:.3f} s ({rec / args.due * 1000:.2f} ms per due ticket)")
    verdict = "within" if rec <= 1.5 * base else "OVER"
    print(f"ratio {rec / base:.2f}x — goal <= 1.5x: {verdict}")


if __name__ == "__main__":
    main()
