"""SurveyService without Slack: who gets a survey, where, who may answer, figures (SQLite and PostgreSQL)."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.clock import ManualClock
from bot.services.surveys import NOT_OURS, survey_key
from bot.services.tickets import TicketService
from handlers.ids import InvalidValue, SurveyRating, SurveyRef
from handlers.survey_ui import SlackSurveys as SurveyService
from sla.contracts import load_contracts_text
from sla.feedback import sampled
from sla.metrics import EventKind
from sla.periods import Period
from storage.uow import UnitOfWork
from tests.support.contract_file import contract_file
from tests.support.threads import open_from_thread

TEAM = "T0TEAM0001"
AGENT, REQUESTER, CONTACT, OTHER = "U0AGENT001", "U0GLOBEX01", "U0GLOBEX02", "U0OTHER001"
START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)

CONTRACTS = contract_file(
    agents=f"{{users: [{AGENT}]}}",
    clients=f"""
        globex: {{name: Globex, channels: [C0GLOBEX01], contract: silver, contacts: [{CONTACT}], lead: U0LEAD0002}}
        acme: {{name: Acme, channels: [C0ACME0001], contract: gold}}
        hooli: {{name: Hooli, channels: [C0HOOLI001], contract: basic}}
    """,
    silver="""
        calendar: 24x7
        default_priority: P2
        alerts: {channel: C0ALERTS02}
        targets:
          P2: {first_response: 1h, resolution: 2h}
        survey: {via: dm, scale: good-bad, who: client, window: 3d}
    """,
    gold="""
        calendar: 24x7
        default_priority: P2
        targets:
          P2: {first_response: 1h, resolution: 16h}
        survey: {sample_rate: 0.001}
    """,
    basic="""
        calendar: 24x7
        default_priority: P2
        targets:
          P2: {first_response: 1h, resolution: 16h}
        survey: {enabled: false}
    """,
)


@pytest.fixture
def world(uow: UnitOfWork) -> tuple[SurveyService, TicketService, ManualClock]:
    clock = ManualClock(START)
    book = load_contracts_text(CONTRACTS)
    tickets = TicketService(uow=uow, book=book, clock=clock)
    service = SurveyService(
        uow=uow, book=book, clock=clock, tickets=tickets, is_agent=lambda _team, user: user == AGENT
    )
    tickets.listeners.append(service.on_change)
    return service, tickets, clock


_THREADS = itertools.count(1)


def _resolved(
    tickets: TicketService,
    clock: ManualClock,
    client: str = "globex",
    requester: str | None = REQUESTER,
    after: timedelta = timedelta(minutes=30),
) -> str:
    thread = f"100.{next(_THREADS):06d}"  # one client message each (one ticket per message)
    ref = open_from_thread(
        tickets, TEAM, "C0GLOBEX01", thread, client_key=client, requester=requester
    ).ticket.ref
    clock.advance(after)
    tickets.record(team_id=TEAM, ref=ref, kind=EventKind.RESOLVED, actor=AGENT)
    return ref


def _deliver(service: SurveyService, survey_id: int, ts: str) -> None:
    with service.uow.begin() as tx:
        row = tx.outbox.get_by_key(team_id=TEAM, idempotency_key=survey_key(survey_id))
        assert row is not None
        tx.outbox.mark_sent(team_id=TEAM, notification_id=row.id, slack_ts=ts, now=service.clock.now())


def _survey_of(service: SurveyService, ref: str):  # noqa: ANN202
    with service.uow.begin(read_only=True) as tx:
        ticket = tx.tickets.get_by_ref(team_id=TEAM, ref=ref)
        assert ticket is not None
        survey = tx.surveys.get_for_ticket(team_id=TEAM, ticket_id=ticket.id)
        if survey is not None:
            tx.session.expunge(survey)
        return survey


def test_a_dm_survey_on_the_good_bad_scale_answered_by_the_clients_contact(world) -> None:  # noqa: ANN001
    service, tickets, clock = world
    ref = _resolved(tickets, clock)
    survey = _survey_of(service, ref)
    assert (
        survey is not None
        and survey.scale == "good-bad"
        and survey.closes_at == clock.now() + timedelta(days=3)
    )
    with service.uow.begin(read_only=True) as tx:
        row = tx.outbox.get_by_key(team_id=TEAM, idempotency_key=survey_key(survey.id))
        assert row is not None and row.kind == "message"
        assert row.channel_id == REQUESTER and row.thread_ts is None  # a DM
        assert "survey_rate_good" in json.dumps(row.payload["blocks"])
    value = SurveyRating(survey_id=str(survey.id), rating="bad").encode()
    click = {"team_id": TEAM, "channel_id": "D0DM000001", "message_ts": "200.000100", "value": value}

    # before delivery nobody can answer (the message is not known yet)
    assert service.rate(user_id=REQUESTER, **click).notice == NOT_OURS
    _deliver(service, survey.id, "200.000100")
    assert "only they can answer" in (service.rate(user_id=OTHER, **click).notice or "")
    assert "agents can't" in (service.rate(user_id=AGENT, **click).notice or "")
    reply = service.rate(user_id=CONTACT, **click)  # who: client → the client's contacts may answer
    assert reply.update is not None and (reply.channel_id, reply.ts) == ("D0DM000001", "200.000100")
    stored = _survey_of(service, ref)
    assert stored.rating == 1 and stored.channel_id == "D0DM000001" and stored.message_ts == "200.000100"
    # a bad rating alerts the alert channel once, with how the SLA went
    with service.uow.begin(read_only=True) as tx:
        alert = tx.outbox.get_by_key(team_id=TEAM, idempotency_key=f"{survey_key(survey.id)}:negative")
        assert alert is not None and alert.channel_id == "C0ALERTS02"
        assert "SLA: met" in json.dumps(alert.payload["blocks"])
    # the same value on another DM message is not this survey's
    assert service.rate(user_id=CONTACT, **{**click, "message_ts": "200.000200"}).notice == NOT_OURS
    # a comment: the modal, then the submission (scored), then closed after the window
    form = service.comment_form(
        user_id=REQUESTER, **{**click, "value": SurveyRef(survey_id=str(survey.id)).encode()}
    )
    assert form.view is not None
    meta = form.view["private_metadata"]
    done = service.submit_comment(
        team_id=TEAM, user_id=REQUESTER, metadata=meta, comment="Thanks, all sorted!"
    )
    assert done.update is not None and done.ts == "200.000100"
    stored = _survey_of(service, ref)
    assert stored.comment == "Thanks, all sorted!" and stored.sentiment_label == "positive"
    assert service.submit_comment(team_id=TEAM, user_id=REQUESTER, metadata=meta, comment=" ").notice
    assert (
        service.submit_comment(team_id=TEAM, user_id=REQUESTER, metadata='{"s":"x"}', comment="hi").notice
        == NOT_OURS
    )
    clock.advance(timedelta(days=3))
    late = service.submit_comment(team_id=TEAM, user_id=REQUESTER, metadata=meta, comment="changed my mind")
    assert "closed" in (late.notice or "")
    assert _survey_of(service, ref).comment == "Thanks, all sorted!"


def test_no_survey_when_disabled_sampled_out_for_agents_or_without_requester(world) -> None:  # noqa: ANN001
    service, tickets, clock = world
    assert _survey_of(service, _resolved(tickets, clock, client="hooli")) is None  # enabled: false
    ref = _resolved(tickets, clock, client="acme")
    assert not sampled(TEAM, ref, 0.001) and _survey_of(service, ref) is None  # sample_rate: 0.001
    assert _survey_of(service, _resolved(tickets, clock, requester=AGENT)) is None
    assert _survey_of(service, _resolved(tickets, clock, requester=None)) is None


def test_resolved_again_after_a_reopen_keeps_one_survey(world) -> None:  # noqa: ANN001
    service, tickets, clock = world
    ref = _resolved(tickets, clock)
    first = _survey_of(service, ref)
    tickets.record(team_id=TEAM, ref=ref, kind=EventKind.REOPENED, actor=REQUESTER)
    clock.advance(timedelta(minutes=5))
    tickets.record(team_id=TEAM, ref=ref, kind=EventKind.RESOLVED, actor=AGENT)
    assert _survey_of(service, ref).id == first.id
    with service.uow.begin(read_only=True) as tx:
        assert tx.outbox.get_by_key(team_id=TEAM, idempotency_key=survey_key(first.id + 1)) is None


def test_figures_split_csat_by_sla_outcome_and_filter_by_client(world) -> None:  # noqa: ANN001
    service, tickets, clock = world
    met = _resolved(tickets, clock, after=timedelta(minutes=30))
    breached = _resolved(tickets, clock, requester=CONTACT, after=timedelta(hours=3))
    unanswered = _resolved(tickets, clock, requester=OTHER)
    for n, (ref, choice, user) in enumerate(((met, "good", REQUESTER), (breached, "bad", CONTACT))):
        survey = _survey_of(service, ref)
        _deliver(service, survey.id, f"300.00000{n}")
        value = SurveyRating(survey_id=str(survey.id), rating=choice).encode()
        assert service.rate(
            team_id=TEAM, user_id=user, channel_id="D0DM000001", message_ts=f"300.00000{n}", value=value
        ).update
    assert _survey_of(service, unanswered).rating is None
    with service.uow.begin() as tx:
        tx.surveys.add_nps(team_id=TEAM, user_id=CONTACT, score=10, at=clock.now(), client_key="globex")
        tx.surveys.add_nps(team_id=TEAM, user_id="U0ACME0001", score=0, at=clock.now(), client_key="acme")
    period = Period(START, clock.now() + timedelta(seconds=1), "test")
    figures = service(TEAM, "globex", period)  # what other features call (extras["feedback"])
    assert (figures.sent, figures.responses, figures.good, figures.bad) == (3, 2, 1, 1)
    assert figures.csat == 50.0 and figures.csat_met == 100.0 and figures.csat_breached == 0.0
    assert figures.response_rate == pytest.approx(200 / 3)
    assert figures.nps == 100.0 and figures.nps_responses == 1
    everyone = service(TEAM, None, period)
    assert everyone.nps == 0.0 and everyone.nps_responses == 2
    assert service(TEAM, "acme", period).sent == 0


def test_a_failing_survey_never_blocks_the_resolution(world, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    service, tickets, clock = world

    def broken(*_a: object, **_k: object) -> int:
        raise RuntimeError("outbox down")

    monkeypatch.setattr(service, "_enqueue", broken)
    ref = _resolved(tickets, clock)
    assert tickets.state(team_id=TEAM, ref=ref).ticket.status == "resolved"
    assert _survey_of(service, ref) is None  # the survey row went with its savepoint


_VALUES = st.one_of(
    st.text(max_size=80),
    st.builds(
        lambda sid, r: json.dumps({"s": sid, "r": r}),
        st.one_of(st.integers(-5, 50).map(str), st.text(max_size=8)),
        st.sampled_from(["1", "2", "5", "good", "bad", "0", "6", "", "good "]),
    ),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=_VALUES, ts=st.sampled_from(["400.000001", "400.000002", "1.1"]))
def test_no_forged_value_or_message_changes_anything(world, value: str, ts: str) -> None:  # noqa: ANN001
    service, tickets, clock = world
    if not hasattr(service, "_probe_ref"):
        service._probe_ref = _resolved(tickets, clock)  # type: ignore[attr-defined]
        _deliver(service, _survey_of(service, service._probe_ref).id, "400.000001")  # type: ignore[attr-defined]
    ref = service._probe_ref  # type: ignore[attr-defined]
    survey = _survey_of(service, ref)
    genuine = {SurveyRating(survey_id=str(survey.id), rating=r) for r in ("good", "bad")}
    try:  # a genuine value may come back with other JSON spacing: what counts is what it decodes to
        decoded = SurveyRating.decode(value)
    except InvalidValue:
        decoded = None
    reply = service.rate(team_id=TEAM, user_id=REQUESTER, channel_id="D0DM000001", message_ts=ts, value=value)
    if decoded in genuine and ts == "400.000001":
        assert reply.update is not None
    else:
        assert reply.notice == NOT_OURS and reply.update is None
        assert _survey_of(service, ref).rating == survey.rating


def test_a_good_rating_with_a_mixed_comment_still_reaches_the_lead(world) -> None:  # noqa: ANN001
    service, tickets, clock = world
    ref = _resolved(tickets, clock)
    survey = _survey_of(service, ref)
    _deliver(service, survey.id, "300.000100")
    good = SurveyRating(survey_id=str(survey.id), rating="good").encode()
    click = {"team_id": TEAM, "channel_id": "D0DM000001", "message_ts": "300.000100", "value": good}
    assert service.rate(user_id=REQUESTER, **click).update is not None
    key = f"{survey_key(survey.id)}:negative"
    with service.uow.begin(read_only=True) as tx:
        assert tx.outbox.get_by_key(team_id=TEAM, idempotency_key=key) is None  # praise alone: no alert
    meta = json.dumps({"s": str(survey.id)})
    comment = "Quick fix, thanks! But the status page said nothing for twenty minutes."
    assert service.submit_comment(team_id=TEAM, user_id=REQUESTER, metadata=meta, comment=comment).update
    stored = _survey_of(service, ref)
    assert (stored.rating, stored.sentiment_label) == (5, "mixed")
    assert stored.sentiment_complaint == "the status page said nothing for twenty minutes"
    with service.uow.begin(read_only=True) as tx:
        alert = tx.outbox.get_by_key(team_id=TEAM, idempotency_key=key)
        assert alert is not None and alert.channel_id == "C0ALERTS02"
        text = json.dumps(alert.payload["blocks"], ensure_ascii=False)
    assert "Mixed feedback" in text and "rated *good*" in text
    assert "Complaint: “the status page said nothing for twenty minutes”" in text
