"""The SLA review use cases on a real database (SQLite and PostgreSQL): history from the ticket
events, proposal + dry run, approval → new version + audit row, refusals, and the reminder."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.clock import ManualClock
from bot.services.reviews import REMINDER_KIND, ReviewError, ReviewService
from bot.services.tickets import TicketService
from handlers.blocks import Message
from sla.contracts import ContractBook, load_contracts_text
from sla.metrics import EventKind
from storage.models import ContractVersionRow, Notification, ReviewDraftState
from storage.uow import UnitOfWork
from tests.support.contract_file import contract_file

TEAM = "T0TEAM0001"
OTHER_TEAM = "T0OTHER001"
ADMIN = "U0ADMIN001"
AGENT = "U0AGENT001"
LEAD = "U0LEAD0001"
CONTRACT = contract_file(
    agents="{users: [U0AGENT001, U0AGENT002]}",
    calendars="utc: {timezone: UTC, hours: 24x7}",
    clients="""
        acme: {name: Acme Corp, channels: [C0SUPPORT1], contract: gold, lead: U0LEAD0001}
        globex: {name: Globex, channels: [C0GLOBEX01], contract: gold}
    """,
    gold="""
        calendar: utc
        targets:
          P2: {first_response: 1h, resolution: 24h}
        review: {cadence: quarterly}
    """,
)
MONDAYS = [datetime(2026, 7, d, 9, tzinfo=UTC) for d in (6, 13, 20, 27)] + [
    datetime(2026, 8, 3, 9, tzinfo=UTC)
]
NOW = datetime(2026, 10, 2, 8, tzinfo=UTC)
#: rules that do not depend on the database run on SQLite only (the suite stays fast)
SQLITE_ONLY = pytest.mark.parametrize("db_backend", ["sqlite"], indirect=True)


@pytest.fixture
def book() -> ContractBook:
    return load_contracts_text(CONTRACT)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 7, 1, tzinfo=UTC))


def make_service(uow: UnitOfWork, book: ContractBook, clock: ManualClock) -> ReviewService:
    return ReviewService(
        uow=uow,
        book=book,
        clock=clock,
        tickets=TicketService(uow=uow, book=book, clock=clock),
        admins=frozenset({ADMIN}),
    )


def seed(uow: UnitOfWork, book: ContractBook, clock: ManualClock, *, quarter_full: bool = True) -> None:
    """Acme: 24 P2 tickets, two each Monday of 12 weeks of Q3, answered after 30/50/70/80/100/40 min in
    turn and resolved after 2 h — enough tickets for a change, breaches every week (with
    ``quarter_full=False`` only five, answered after 30/50/70/80/100 min on five Mondays).
    Noise: a Globex ticket, an Acme ticket of Q2 and one of another workspace."""
    tickets = TicketService(uow=uow, book=book, clock=clock)

    def ticket(team: str, client: str, opened: datetime, answer_after: timedelta) -> None:
        clock.set(opened)
        state = tickets.open(
            team_id=team, client_key=client, source="slash_command", priority="P2", at=opened
        )
        ref = state.ticket.ref
        clock.set(opened + answer_after)
        tickets.record(team_id=team, ref=ref, kind=EventKind.AGENT_MESSAGE, actor=AGENT)
        clock.set(opened + timedelta(hours=2))
        tickets.record(team_id=team, ref=ref, kind=EventKind.RESOLVED, actor=AGENT)

    if quarter_full:
        for n in range(24):
            opened = MONDAYS[0] + timedelta(weeks=n // 2, hours=n % 2)
            ticket(TEAM, "acme", opened, timedelta(minutes=(30, 50, 70, 80, 100, 40)[n % 6]))
    else:
        for opened, minutes in zip(MONDAYS, (30, 50, 70, 80, 100), strict=True):
            ticket(TEAM, "acme", opened, timedelta(minutes=minutes))
    ticket(TEAM, "globex", MONDAYS[0], timedelta(minutes=90))
    ticket(TEAM, "acme", datetime(2026, 6, 29, 9, tzinfo=UTC), timedelta(minutes=90))
    ticket(OTHER_TEAM, "acme", MONDAYS[1], timedelta(minutes=90))
    clock.set(NOW)


def seeded(
    uow: UnitOfWork, book: ContractBook, clock: ManualClock, *, quarter_full: bool = True
) -> ReviewService:
    """:func:`seed`, then the service (:func:`make_service`) that reviews it."""
    seed(uow, book, clock, quarter_full=quarter_full)
    return make_service(uow, book, clock)


def notify(view: object) -> Message:
    return Message(text=f"draft {view.id}", blocks=[])  # type: ignore[attr-defined]


def test_review_reads_the_quarter_from_the_database(
    uow: UnitOfWork, book: ContractBook, clock: ManualClock
) -> None:
    seed(uow, book, clock)
    result = make_service(uow, book, clock).run(team_id=TEAM, client_key="acme", quarter="2026-Q3")
    assert result.period.label == "2026-Q3"
    assert result.history.tickets == 24  # not Globex's, not Q2's, not the other workspace's
    line = {(x.priority, x.metric): x for x in result.review.lines}[("P2", "first_response")]
    assert (line.met, line.breached, line.median, line.p90) == (
        12,
        12,
        timedelta(minutes=60),
        timedelta(minutes=100),
    )
    assert line.breach_cluster == "Mon 10–12"
    assert result.proposal == {"P2": {"first_response": timedelta(hours=3), "resolution": timedelta(hours=3)}}
    assert result.review.recommendations[0].startswith(
        "P2 first response met 50 % (expected 95 %), median 1h"
    )
    assert result.review.proposals == [
        "P2 first response: 1h → 3h (loosen) — on 24 tickets (24 timers: 12 met, 12 breached); "
        "dry run 50.0 % → 100.0 %, breaches 12 → 0",
        "P2 resolution: 24h → 3h (tighten) — on 24 tickets (24 timers: 24 met, 0 breached); "
        "dry run 100.0 % → 100.0 %, breaches 0 → 0",
    ]


@SQLITE_ONLY
def test_a_quarter_of_five_tickets_proposes_no_change(
    uow: UnitOfWork, book: ContractBook, clock: ManualClock
) -> None:
    svc = seeded(uow, book, clock, quarter_full=False)
    result = svc.run(team_id=TEAM, client_key="acme", quarter="2026-Q3")
    assert result.proposal == {}
    assert result.review.proposals[0] == "No change recommended: no target change passes the checks"
    assert (
        "P2 first response: 1h → 3h: only 5 decided timers (5 tickets); a change needs at least 20"
        in (result.review.proposals[1])
    )
    assert "No change recommended" in result.review.text()
    with pytest.raises(ReviewError, match="recommends no target change.*only 5 decided timers"):
        svc.propose(team_id=TEAM, client_key="acme", quarter="2026-Q3", actor=AGENT, is_agent=True)


@SQLITE_ONLY
def test_default_quarter_is_the_last_complete_one_and_months_are_refused(
    uow: UnitOfWork, book: ContractBook, clock: ManualClock
) -> None:
    svc = seeded(uow, book, clock, quarter_full=False)
    assert svc.run(team_id=TEAM, client_key="acme").period.label == "2026-Q3"
    with pytest.raises(ReviewError, match="covers a quarter"):
        svc.period("acme", "2026-09")
    with pytest.raises(ReviewError, match="unknown client 'acmee'"):
        svc.run(team_id=TEAM, client_key="acmee")
    with pytest.raises(ReviewError, match="has not started yet"):
        svc.period("acme", "2027-Q1")


def test_propose_approve_records_a_new_version_and_audit(
    uow: UnitOfWork, book: ContractBook, clock: ManualClock
) -> None:
    svc = seeded(uow, book, clock)
    draft = svc.propose(
        team_id=TEAM, client_key="acme", quarter="2026-Q3", actor=AGENT, is_agent=True, notify=notify
    )
    assert (draft.state, draft.base_number, draft.new_number) == ("draft", 1, 2)
    assert draft.effective.isoformat() == "2027-01-01"  # the next quarter after 2 Oct 2026
    assert "P2 first response: 50.0 % → 100.0 % (+50.0 pp), breaches 12 → 0" in draft.dry_run
    assert "+    first_response: 3h" in draft.diff.splitlines()
    with uow.begin(read_only=True) as tx:
        dms = list(tx.session.scalars(select(Notification).where(Notification.kind == "message")))
        assert [(n.channel_id, n.payload["text"]) for n in dms] == [(ADMIN, f"draft {draft.id}")]
        assert tx.audit.list(team_id=TEAM, target=f"review-draft:{draft.id}")[0].action == "review.propose"

    clock.advance(timedelta(minutes=5))
    approved = svc.approve(team_id=TEAM, draft_id=draft.id, actor=ADMIN)
    assert approved.state == ReviewDraftState.approved.value
    assert "effective: 2027-01-01" in approved.version_yaml
    with uow.begin(read_only=True) as tx:
        versions = tx.contracts.list_versions(team_id=TEAM, contract_key="gold")
        new = [v for v in versions if v.number == 2]
        assert len(new) == 1 and new[0].id == approved.stored_version_id
        assert new[0].content["targets"]["P2"]["first_response"] == "3h"
        audit = tx.audit.list(team_id=TEAM, target="gold v2")
        assert [(a.action, a.actor) for a in audit] == [("contract.revise", ADMIN)]
        assert audit[0].after["draft"] == draft.id and audit[0].before["version"] == 1
        row = tx.reviews.get_draft(team_id=TEAM, draft_id=draft.id)
        assert (row.state, row.decided_by, row.contract_version_id) == ("approved", ADMIN, new[0].id)

    with pytest.raises(ReviewError, match=f"already approved by <@{ADMIN}>"):
        svc.approve(team_id=TEAM, draft_id=draft.id, actor=ADMIN)


def test_non_admin_cannot_approve_and_nothing_changes(
    uow: UnitOfWork, book: ContractBook, clock: ManualClock
) -> None:
    svc = seeded(uow, book, clock)
    draft = svc.propose(team_id=TEAM, client_key="acme", quarter="2026-Q3", actor=AGENT, is_agent=True)
    with pytest.raises(ReviewError, match="Only slabot admins can approve"):
        svc.approve(team_id=TEAM, draft_id=draft.id, actor=AGENT)
    with pytest.raises(ReviewError, match="Only support agents and admins can propose"):
        svc.propose(team_id=TEAM, client_key="acme", quarter="2026-Q3", actor="U0CLIENT01", is_agent=False)
    with uow.begin(read_only=True) as tx:
        assert tx.reviews.get_draft(team_id=TEAM, draft_id=draft.id).state == "draft"
        assert (
            tx.session.scalar(
                select(func.count()).select_from(ContractVersionRow).where(ContractVersionRow.number == 2)
            )
            == 0
        )


def test_forged_draft_ids_are_refused(uow: UnitOfWork, book: ContractBook, clock: ManualClock) -> None:
    svc = seeded(uow, book, clock)
    draft = svc.propose(team_id=TEAM, client_key="acme", quarter="2026-Q3", actor=AGENT, is_agent=True)
    # the id of another workspace's draft, and an id that does not exist
    for team, draft_id in ((OTHER_TEAM, draft.id), (TEAM, draft.id + 1000)):
        with pytest.raises(ReviewError, match="can't find that revision draft"):
            svc.approve(team_id=team, draft_id=draft_id, actor=ADMIN)
        with pytest.raises(ReviewError, match="can't find that revision draft"):
            svc.discard(team_id=team, draft_id=draft_id, actor=ADMIN)
    with uow.begin(read_only=True) as tx:
        assert tx.reviews.get_draft(team_id=TEAM, draft_id=draft.id).state == "draft"


@SQLITE_ONLY
def test_discard_by_author_or_admin_only(uow: UnitOfWork, book: ContractBook, clock: ManualClock) -> None:
    svc = seeded(uow, book, clock)
    draft = svc.propose(team_id=TEAM, client_key="acme", quarter="2026-Q3", actor=AGENT, is_agent=True)
    with pytest.raises(ReviewError, match="Only the person who proposed"):
        svc.discard(team_id=TEAM, draft_id=draft.id, actor="U0AGENT002")
    assert svc.discard(team_id=TEAM, draft_id=draft.id, actor=AGENT).state == "discarded"
    with pytest.raises(ReviewError, match="already discarded"):
        svc.approve(team_id=TEAM, draft_id=draft.id, actor=ADMIN)


@SQLITE_ONLY
def test_a_draft_of_an_older_contract_file_is_not_approved(
    uow: UnitOfWork, book: ContractBook, clock: ManualClock
) -> None:
    seed(uow, book, clock)
    draft = make_service(uow, book, clock).propose(
        team_id=TEAM, client_key="acme", quarter="2026-Q3", actor=AGENT, is_agent=True
    )
    changed = load_contracts_text(CONTRACT.replace("first_response: 1h", "first_response: 2h"))
    with pytest.raises(ReviewError, match="contract file changed since this draft"):
        make_service(uow, changed, clock).approve(team_id=TEAM, draft_id=draft.id, actor=ADMIN)


@SQLITE_ONLY
def test_nothing_to_propose_when_targets_fit(uow: UnitOfWork, clock: ManualClock) -> None:
    fitting = load_contracts_text(
        CONTRACT.replace("first_response: 1h, resolution: 24h", "first_response: 3h, resolution: 3h")
    )
    seed(uow, fitting, clock)
    with pytest.raises(ReviewError, match="recommends no target change"):
        make_service(uow, fitting, clock).propose(
            team_id=TEAM, client_key="acme", quarter="2026-Q3", actor=AGENT, is_agent=True
        )


def test_reminder_goes_to_the_lead_once_per_review_period(
    uow: UnitOfWork, book: ContractBook, clock: ManualClock
) -> None:
    clock.set(NOW)
    with uow.begin() as tx:
        tx.workspaces.upsert(team_id=TEAM, name="Team", installed_at=NOW)

    def render(client: object, cadence: str, label: str) -> Message:
        return Message(text=f"{client.key} {cadence} {label}", blocks=[])  # type: ignore[attr-defined]

    # two processes, each with its own service, run the job several times
    first, second = make_service(uow, book, clock), make_service(uow, book, clock)
    queued = [svc.remind([TEAM], render) for svc in (first, second, first)]
    assert queued == [1, 0, 0]  # only acme has a lead; globex has none
    clock.advance(timedelta(days=30))
    assert second.remind([TEAM], render) == 0
    with uow.begin(read_only=True) as tx:
        rows = list(tx.session.scalars(select(Notification).where(Notification.kind == "message")))
        assert [(n.channel_id, n.payload["text"]) for n in rows] == [(LEAD, "acme quarterly 2026-Q3")]
        assert tx.report_runs.get(team_id=TEAM, kind=REMINDER_KIND, period_key="2026-Q3/acme").completed_at
    clock.set(datetime(2027, 1, 4, tzinfo=UTC))  # the next quarter: the Q4 review is due
    assert first.remind([TEAM], render) == 1


@SQLITE_ONLY
def test_reminder_uses_the_contract_cadence_and_review_lead(uow: UnitOfWork, clock: ManualClock) -> None:
    monthly = load_contracts_text(
        CONTRACT.replace("review: {cadence: quarterly}", "review: {cadence: monthly, lead: U0MANAGER1}")
    )
    svc = make_service(uow, monthly, clock)
    due = {c.key: (lead, cadence, label) for c, lead, cadence, label in svc.due_reminders(NOW)}
    assert due == {
        "acme": ("U0MANAGER1", "monthly", "2026-09"),
        "globex": ("U0MANAGER1", "monthly", "2026-09"),
    }


@SQLITE_ONLY
def test_feedback_trend_and_credits_come_from_the_other_features(
    uow: UnitOfWork, book: ContractBook, clock: ManualClock
) -> None:
    from decimal import Decimal

    from sla.credits import CreditStatement
    from sla.feedback import FeedbackFigures
    from sla.periods import parse_period

    seed(uow, book, clock, quarter_full=False)

    class Feedback:
        def figures_for(self, team_id: str, client_key: str | None, period: object) -> FeedbackFigures:
            q3 = period.label == "2026-Q3"  # type: ignore[attr-defined]
            return FeedbackFigures(responses=10, csat=72.0 if q3 else 80.0, nps=-5.0 if q3 else 10.0)

    def statement(month: str, percent: str) -> CreditStatement:
        return CreditStatement(
            client="acme",
            month=parse_period(month, now=NOW, tz="UTC"),
            lines=[],
            total_percent=Decimal(percent),
            total_amount=Decimal(percent) * 100,
            currency="EUR",
            capped=False,
            claim_deadline=datetime(2026, 10, 30, tzinfo=UTC).date(),
            explanation_lines=[f"{month}: {percent} % of the fee"],
        )

    class Uptime:
        def credits_for_period(
            self, *, team_id: str, client_key: str, period: object
        ) -> list[CreditStatement]:
            return [statement("2026-07", "10"), statement("2026-08", "25"), statement("2026-09", "0")]

    svc = make_service(uow, book, clock)
    svc.extras = {"feedback": Feedback(), "uptime": Uptime()}
    r = svc.run(team_id=TEAM, client_key="acme", quarter="2026-Q3").review
    assert r.feedback.csat == 72.0
    assert r.credits.month.label == "2026-08"  # the last month with credits owed
    assert "CSAT 72 % (previous quarter 80 %, -8 pp)" in r.notes
    assert "NPS -5 (previous quarter +10, -15)" in r.notes
    assert "Credits owed in 2026-07 (10 %), 2026-08 (25 %)" in r.notes
    assert any(
        x.startswith("Service credits of EUR 2,500.00 are owed for 2026-08") for x in r.recommendations
    )
    assert "CSAT is 72 % (below 80 %)" in " ".join(r.recommendations)

    class Broken:
        def credits_for_period(self, **kw: object) -> list[CreditStatement]:
            raise RuntimeError("uptime is down")

    svc.extras = {"uptime": Broken()}
    r = svc.run(team_id=TEAM, client_key="acme", quarter="2026-Q3").review
    assert (r.credits, r.feedback) == (None, None)  # the review still works without them


@SQLITE_ONLY
def test_each_ticket_is_measured_with_the_version_it_opened_under(
    uow: UnitOfWork, book: ContractBook, clock: ManualClock
) -> None:
    seed(uow, book, clock, quarter_full=False)  # opened under version 1 (first response 1h)
    # later the file gains a version 2 dated *before* those tickets (2h): they keep version 1
    v2 = (
        "      - effective: 2026-06-01\n        calendar: utc\n"
        "        targets:\n          P2: {first_response: 2h, resolution: 24h}\n"
    )
    moved_on = load_contracts_text(CONTRACT + v2)
    assert moved_on.version_for("acme", MONDAYS[0]).number == 2
    history = make_service(uow, moved_on, clock).history(
        TEAM, "acme", make_service(uow, moved_on, clock).period("acme", "2026-Q3")
    )
    firsts = [r for r in history.rows if r.metric == "first_response"]
    assert {(r.version, r.target_seconds) for r in firsts} == {(1, 3600)}
    assert sorted(r.state for r in firsts) == ["breached", "breached", "breached", "met", "met"]
    assert history.skipped == [] and len(history.events) == 15
