"""A webhook burst: one signed ``POST /webhooks/tickets`` delivery of 1,000 events, time to its answer.

    .venv/bin/python bench/webhook_bench.py [--events 1000] [--per-ticket 5] [--backend sqlite|postgresql|both]

The delivery opens ``events / per-ticket`` tickets of the example contracts (acme, globex, initech) and
moves each through an agent reply, waiting on the client, the client's answer and the resolution, in
slabot's JSON (``bot.sources.schema``), signed as a helpdesk signs it. It is handed to the webhook route
(``bot.sources.webhooks.Webhooks.tickets``: signature check, dry run, store) on a fresh database, with the
ticket service's listeners of the app (status cards, "met" notes). Then the same delivery is sent again
(every event a duplicate). Baseline, same run, fresh database: the same delivery stored event by event
(``TicketIngest.plan`` + ``apply``: one ``TicketService`` transaction and fold per event, the path the
webhooks took before). Goal (issue 16): a burst of 1,000 events answered in < 2 s.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pydantic import SecretStr

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._common import Databases, backends_of  # noqa: E402
from bot.clock import ManualClock  # noqa: E402
from bot.services.tickets import TicketService  # noqa: E402
from bot.sources.ingest import TicketIngest  # noqa: E402
from bot.sources.schema import parse_body  # noqa: E402
from bot.sources.signing import sign_slabot  # noqa: E402
from bot.sources.webhooks import Webhooks  # noqa: E402
from bot.web import HttpRequest  # noqa: E402
from sla.contracts import load_contracts  # noqa: E402
from storage.db import make_engine, migrate  # noqa: E402
from storage.uow import UnitOfWork  # noqa: E402

TEAM = "T0BURST001"
SECRET = "burst-s3cret"
T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # a Tuesday, 10:00 in Berlin
GOAL_SECONDS = 2.0


def delivery(events: int, per_ticket: int) -> bytes:
    clients = ["acme", "globex", "initech"]
    steps = [
        ("opened", {}),
        ("agent_message", {"actor": "U0AGENT001"}),
        ("status", {"status": "waiting_on_client"}),
        ("client_message", {"actor": "U0CLIENT01"}),
        ("resolved", {"actor": "U0AGENT001"}),
    ][:per_ticket]
    out = []
    for n in range(events // len(steps)):
        for i, (kind, fields) in enumerate(steps):
            at = T0 + timedelta(seconds=n * 3, minutes=7 * i)
            event = {"id": f"e{n}-{i}", "ticket_id": f"HD-{n}", "timestamp": at.isoformat(), "event": kind}
            if kind == "opened":
                event.update(client=clients[n % 3], priority="P2", title=f"Burst ticket {n}")
            out.append({**event, **fields})
    return json.dumps({"events": out}).encode()


def ingest_on(url: str) -> TicketIngest:
    engine = make_engine(url)
    migrate(engine)
    book = load_contracts(ROOT / "examples" / "contracts.yaml")
    service = TicketService(
        uow=UnitOfWork.from_engine(engine), book=book, clock=ManualClock(T0 + timedelta(hours=1))
    )
    return TicketIngest(service)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--per-ticket", type=int, default=5, choices=range(1, 6))
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument(
        "--no-baseline", action="store_true", help="skip the event-by-event baseline (minutes)"
    )
    args = parser.parse_args()
    body = delivery(args.events, args.per_ticket)
    count = len(json.loads(body)["events"])
    backends = backends_of(args.backend)
    print(
        f"webhook burst: one signed delivery of {count:,} events ({count // args.per_ticket:,} tickets x "
        f"{args.per_ticket}), POST /webhooks/tickets route in process, fresh database each run"
    )
    with Databases(backends, prefix="slabot-burst-") as dbs:
        for backend in backends:

            def url(name: str, backend: str = backend) -> str:
                return dbs.url(backend, name)

            ingest = ingest_on(url("bulk"))
            hooks = Webhooks(
                ingest=ingest,
                secrets={"crm": SecretStr(SECRET)},
                clock=ingest.tickets.clock,
                team=lambda: TEAM,
            )

            def post(hooks: Webhooks = hooks) -> tuple[float, float, dict]:
                headers = sign_slabot(SECRET, body, int(hooks.clock.now().timestamp()))
                request = HttpRequest(
                    "POST", "/webhooks/tickets", "", {k.lower(): v for k, v in headers.items()}, body
                )
                started, cpu = time.perf_counter(), time.process_time()
                response = hooks.tickets(request)
                seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
                assert response.status == 200, response.body
                raw = response.body if isinstance(response.body, bytes) else response.body.encode()
                return seconds, cpu, json.loads(raw)

            seconds, cpu, answer = post()
            again, again_cpu, repeat = post()
            load = " ".join(f"{x:.1f}" for x in os.getloadavg())
            print(
                f"[{backend}] burst of {count:,} events answered in {seconds:.2f} s, {cpu:.2f} s CPU in this "
                f"process ({count / seconds:,.0f} events/s; created {answer['created']:,}); the same delivery "
                f"again {again:.2f} s, {again_cpu:.2f} s CPU (duplicates {repeat['duplicate']:,}); load average {load}"
            )
            if args.no_baseline:
                print(
                    f"[{backend}] goal burst of {count:,} events answered in < {GOAL_SECONDS:g} s: "
                    f"{'met' if seconds < GOAL_SECONDS else 'NOT met'} ({seconds:.2f} s)"
                )
                continue
            base = ingest_on(url("per_event"))
            events = parse_body(body)
            started = time.perf_counter()
            plan = base.plan(team_id=TEAM, source="crm", events=events)
            results = base.apply(team_id=TEAM, source="crm", plan=plan)
            baseline = time.perf_counter() - started
            assert sum(r.status == "created" for r in results) == answer["created"]
            print(
                f"[{backend}] baseline event by event (plan + apply): {baseline:.2f} s — bulk {baseline / seconds:.1f}x"
            )
            print(
                f"[{backend}] goal burst of {count:,} events answered in < {GOAL_SECONDS:g} s: "
                f"{'met' if seconds < GOAL_SECONDS else 'NOT met'} ({seconds:.2f} s)"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
