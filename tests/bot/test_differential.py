"""The differential test of the one-truth guarantee (docs/one-truth.md), on SQLite and PostgreSQL.

Random ticket histories — opens, client and agent messages, pauses and resumes, priority changes,
resolutions, reopenings and closings, at random instants across business-hours edges, a daylight-saving
change and public holidays (the example contract: Berlin with DE-BE holidays, New York with a lunch
break) — are driven through the real ticket service under a ``ManualClock``, with sweeps at random
instants in between. Then, at an instant ``T`` after a last sweep:

- every stored timer, brought forward to ``T`` (``TicketService.live_timer``), equals the timer
  ``slabot replay`` computes from ``slabot export``'s CSV of the same workspace at ``T``;
- the all-client report's compliance table (each client's month on its own calendar) equals
  ``sla.compliance`` over the replayed timers decided in each client's month;
- each client's credit statement for the month equals ``sla.credits`` over the replayed breaches.

Each example is its own workspace in one database, so examples cost no set-up; a bounded number keeps
the test within seconds per backend.
"""

from __future__ import annotations

import contextlib
import io
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.clock import ManualClock
from bot.services.alerts import Sweeper
from bot.services.export import write_export
from bot.services.incidents import UptimeService
from bot.services.reports import ReportService
from bot.services.tickets import TicketError, TicketService
from bot.sources.importer import import_events
from bot.sources.ingest import TicketIngest
from sla.compliance import compliance_table
from sla.contracts import load_contracts
from sla.credits import breaches_from_rows, credits_for_month
from sla.periods import in_zone, parse_period
from sla.replay import replay_csv
from sla.standing import decided_at
from sla.uptime import uptime_for_version
from storage.models import TicketSource
from storage.uow import UnitOfWork

BOOK = load_contracts(Path(__file__).resolve().parents[2] / "examples" / "contracts.yaml")
# Thursday 26 March 2026 06:00 UTC: Europe moves its clocks on Sunday the 29th, Good Friday is 3 April
# (a DE-BE holiday), and March ends in Berlin two hours before it ends in New York.
ANCHOR = datetime(2026, 3, 26, 6, 0, tzinfo=UTC)
SPAN_MINUTES = 9 * 24 * 60
CLIENTS = ("acme", "globex")
ACTIONS = ("client", "agent", "agent", "pause", "resume", "priority", "resolve", "reopen", "close")


@dataclass(frozen=True)
class Step:
    at: int  # minutes after ANCHOR
    ticket: int
    action: str
    arg: str = ""


def _ticket(index: int) -> st.SearchStrategy[list[Step]]:
    client = st.sampled_from(CLIENTS)
    opened = st.integers(0, SPAN_MINUTES - 600)
    gaps = st.lists(
        st.tuples(
            st.one_of(st.just(0), st.integers(1, 90), st.integers(90, 2 * 24 * 60)),
            st.sampled_from(ACTIONS),
            st.sampled_from(("P1", "P2", "P3", "P4")),
        ),
        max_size=7,
    )

    def build(parts: tuple[str, int, list[tuple[int, str, str]]]) -> list[Step]:
        who, start, rest = parts
        steps = [Step(start, index, "open", who)]
        at = start
        for gap, action, prio in rest:
            at += gap
            steps.append(Step(at, index, action, prio))
        return steps

    return st.tuples(client, opened, gaps).map(build)


histories = st.integers(1, 4).flatmap(lambda n: st.tuples(*(_ticket(i) for i in range(n))))
sweeps = st.lists(st.integers(0, SPAN_MINUTES + 2 * 24 * 60), max_size=6)


def _apply(tickets: TicketService, team: str, refs: dict[int, str], step: Step) -> None:
    if step.action == "open":
        state = tickets.open(team_id=team, client_key=step.arg, source="slack_thread", title="it is broken")
        refs[step.ticket] = state.ticket.ref
        return
    ref = refs[step.ticket]
    kind, extra = {
        "client": ("client_message", {}),
        "agent": ("agent_message", {}),
        "pause": ("status", {"status": "waiting_on_client"}),
        "resume": ("status", {"status": "open"}),
        "priority": ("priority", {"priority": step.arg}),
        "resolve": ("resolved", {}),
        "reopen": ("reopened", {}),
        "close": ("closed", {}),
    }[step.action]
    # not possible in the ticket's state (resolve twice, a priority the contract lacks): nothing stored
    with contextlib.suppress(TicketError):
        tickets.record(team_id=team, ref=ref, kind=kind, actor="U0AGENT001", **extra)


def _timer_key(t: Any) -> tuple[Any, ...]:
    return (
        str(t.metric),
        t.cycle,
        str(t.state),
        t.priority,
        t.started_at,
        t.due_at,
        t.stopped_at,
        t.breached_at,
    )


def _stored(uow: UnitOfWork, tickets: TicketService, team: str, refs: dict[int, str], at: datetime) -> dict:
    out: dict[str, list[tuple[Any, ...]]] = {}
    with uow.begin(read_only=True) as tx:
        for ref in refs.values():
            ticket = tx.tickets.get_by_ref(team_id=team, ref=ref)
            assert ticket is not None
            rows = tx.timers.list_for_ticket(team_id=team, ticket_id=ticket.id)
            live = [tickets.live_timer(r, at) for r in rows]
            out[ref] = sorted(
                (*_timer_key(t), round(t.business_elapsed.total_seconds()), round(t.target.total_seconds()))
                for t in live
            )
    return out


def _replayed(rows: list[Any]) -> dict:
    out: dict[str, list[tuple[Any, ...]]] = {}
    for r in rows:
        key = (r.metric, r.cycle, r.state, r.priority, r.started_at, r.due_at, r.stopped_at, r.breached_at)
        out.setdefault(r.ticket_id, []).append((*key, r.business_elapsed_seconds, r.target_seconds))
    return {ref: sorted(v) for ref, v in out.items()}


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
@given(history=histories, sweep_at=sweeps, month=st.sampled_from(("2026-03", "2026-04")))
@example(  # an agent reply on the due second of a P1 first response (15 min, 24x7): breached everywhere
    history=([Step(0, 0, "open", "acme"), Step(0, 0, "priority", "P1"), Step(15, 0, "agent")],),
    sweep_at=[15],
    month="2026-03",
)
@example(  # nobody answers a P2 over the weekend and the DST change, nobody sweeps until days later
    history=([Step(2 * 24 * 60, 0, "open", "acme"), Step(2 * 24 * 60, 0, "priority", "P2")],),
    sweep_at=[],
    month="2026-03",
)
def test_live_services_and_replay_of_the_export_agree(
    uow: UnitOfWork, history: tuple[list[Step], ...], sweep_at: list[int], month: str
) -> None:
    team = f"TD{uuid.uuid4().hex[:9].upper()}"
    clock = ManualClock(ANCHOR)
    tickets = TicketService(uow=uow, book=BOOK, clock=clock)
    sweeper = Sweeper(uow=uow, book=BOOK, tickets=tickets, clock=clock, worker_id="differential")
    steps = sorted(
        (s for ticket in history for s in ticket), key=lambda s: (s.at, s.ticket, s.action != "open")
    )
    timeline = sorted([(s.at, 0, s) for s in steps] + [(m, 1, None) for m in sweep_at], key=lambda x: x[:2])
    refs: dict[int, str] = {}
    for minute, _, step in timeline:
        clock.set(max(clock.now(), ANCHOR + timedelta(minutes=minute)))
        if step is None:
            sweeper.run_once()
        else:
            _apply(tickets, team, refs, step)
    end = ANCHOR + timedelta(minutes=max([s.at for s in steps] + sweep_at) + 1)
    clock.set(max(clock.now(), end))
    sweeper.run_once()  # the stored state is the fold's within one sweep
    now = clock.now()

    out = io.StringIO()
    write_export(uow, out, team_id=team)
    result = replay_csv(BOOK, out.getvalue().splitlines(), as_of=now)
    assert result.errors == []

    # 1. the timers
    assert _stored(uow, tickets, team, refs, now) == _replayed(result.rows)
    # ... and the same history imported (``slabot import`` of the export) is stored the same
    imported = f"{team}I"
    summary = import_events(
        out.getvalue().splitlines(),
        ingest=TicketIngest(tickets, kind=TicketSource.import_),
        team_id=imported,
        batched=True,
    )
    assert summary.rejected == []
    with uow.begin(read_only=True) as tx:
        mapping = {
            i: ticket.ref
            for i, ref in refs.items()
            if (ticket := tx.tickets.get_by_external_ref(team_id=imported, external_ref=f"import:{ref}"))
        }
    by_original = _stored(uow, tickets, imported, mapping, now)
    assert {refs[i]: v for i, v in zip(mapping, by_original.values(), strict=True)} == _stored(
        uow, tickets, team, refs, now
    )

    # 2. the compliance table of the month, each client's month on its own calendar
    uptime = UptimeService(uow=uow, book=BOOK, clock=clock)
    reports = ReportService(uow=uow, book=BOOK, clock=clock, extras={"uptime": uptime})
    report = reports.build(team_id=team, period=month)
    asked = parse_period(month, now=now, tz="UTC")
    local = {c: in_zone(asked, reports.zone(c, asked.start), now=now) for c in CLIENTS}
    decided = [r for r in result.rows if (at := decided_at(r)) is not None and local[r.client].contains(at)]
    assert report.lines == compliance_table(decided, group_by=("client", "priority", "metric"))

    # 3. the credits of the month, and the report's (built from the timers it read) the same
    in_report: dict[str, list[Any]] = {}
    for statement in report.credits:
        in_report.setdefault(statement.client, []).append(statement)
    for client in CLIENTS:
        period = uptime.month(client, month)
        version = BOOK.version_for(client, period.start)
        live = uptime.credits(team_id=team, client_key=client, month=period)
        figures = uptime_for_version(version, [], period, now)
        replayed = credits_for_month(
            BOOK.clients[client],
            version,
            period,
            figures,
            breaches_from_rows(result.rows, period, client=client),
            now,
        )
        assert (live.lines, live.total_percent, live.total_amount) == (
            replayed.lines,
            replayed.total_percent,
            replayed.total_amount,
        )
        if client in in_report:  # a client whose contract owes credits: the month's statement alone
            assert [(c.month, c.lines, c.total_amount) for c in in_report[client]] == [
                (live.month, live.lines, live.total_amount)
            ]
