"""The scripted day: a Monday of support at Acme (Berlin office hours, Gold contract), Globex (New
York office hours, Silver) and Initech (London office hours, Bronze), as ``examples/contracts.yaml``
defines them.

The script is a list of :class:`Step` values, each at a wall-clock time in Berlin: what people do
(through :class:`bot.sandbox.demo.runner.DemoWorld`, exactly as Slack would send it) and what must be true
afterwards (:class:`Check`). The demo checks itself: a failed check stops it with a clear message
and a non-zero exit status.

Survey and weekly-summary steps run when those features are installed (``bot.features.feedback``,
``bot.features.reports``); without the reports feature the demo renders the compliance chart of
its own day with :func:`bot.reports.chart.compliance_chart`.
"""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.reports.chart import compliance_chart
from bot.sandbox.demo.runner import TEAM, DemoError, DemoWorld
from bot.services.reports import ReportTimer
from sla.summary import daily_counts

BERLIN = ZoneInfo("Europe/Berlin")
DAY = date(2026, 3, 2)  # a Monday: Berlin, New York and London offices all open, no holiday
START = datetime.combine(DAY, time(9, 0), BERLIN)

# who is who (user ids of examples/contracts.yaml)
ANA, BEN, CHLOE = "U0AGENT001", "U0AGENT002", "U0AGENT003"
WILE, ROADRUNNER, HANK, PETER = "U0ACME0001", "U0ACME0002", "U0GLOBEX01", "U0INITECH1"
MAYA = "U0MANAGER1"
ACME, GLOBEX, INITECH = "C0SUPPORT1", "C0GLOBEX01", "C0INITECH1"
ACME_ALERTS, REPORTS = "C0ALERTS01", "C0REPORTS1"


def feature_installed(name: str) -> bool:
    return importlib.util.find_spec(f"bot.features.{name}") is not None


@dataclass
class Scene:
    """What the steps remember: the ts of each ticket's first message, the output folder, files saved."""

    out_dir: Path
    printer: Any = None  # where steps that summarise (instead of showing every message) print
    threads: dict[str, tuple[str, str]] = field(default_factory=dict)  # ref -> (channel, ts)
    saved: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


Check = Callable[[DemoWorld, Scene], str | None]  # None when fine, else what went wrong


@dataclass(frozen=True)
class Step:
    at: time | datetime
    title: str
    act: Callable[[DemoWorld, Scene], None]
    checks: tuple[Check, ...] = ()
    when: Callable[[], bool] = lambda: True

    def instant(self) -> datetime:
        return self.at if isinstance(self.at, datetime) else datetime.combine(DAY, self.at, BERLIN)


# ---------------------------------------------------------------------------- reading what Slack shows


def rendered(message: dict[str, Any]) -> str:
    """A message's text and the text of its blocks, for checks."""
    return (message.get("text") or "") + " " + json.dumps(message.get("blocks") or [], ensure_ascii=False)


def bot_posts(
    world: DemoWorld, channel: str, *needles: str, thread: str | None = None
) -> list[dict[str, Any]]:
    messages = world.thread(channel, thread) if thread else world.messages(channel)
    return [m for m in messages if m.get("bot_id") and all(n in rendered(m) for n in needles)]


def card(world: DemoWorld, scene: Scene, ref: str) -> dict[str, Any]:
    """The ticket's live status card in its thread (the message with the ticket's buttons)."""
    channel, ts = scene.threads[ref]
    cards = [m for m in bot_posts(world, channel, '"ticket_actions"', thread=ts) if m["ts"] != ts]
    if not cards:
        raise DemoError(f"the live status card of {ref} is missing from its thread")
    return cards[-1]


def ticket(world: DemoWorld, ref: str) -> Any:
    return world.services.tickets.state(team_id=TEAM, ref=ref)


def timer_state(world: DemoWorld, ref: str, metric: str) -> str:
    timers = [t for t in ticket(world, ref).timers if str(t.metric) == metric]
    return str(timers[-1].state) if timers else "none"


def expect_post(channel: str, *needles: str, count: int | None = None, in_thread: str | None = None) -> Check:
    def check(world: DemoWorld, scene: Scene) -> str | None:
        thread = scene.threads[in_thread][1] if in_thread else None
        found = bot_posts(world, channel, *needles, thread=thread)
        where = f"#{world._channel_name(channel)}" + (f" (thread of {in_thread})" if in_thread else "")
        if count is None and not found:
            return f"expected slabot to post {' + '.join(repr(n) for n in needles)} in {where}"
        if count is not None and len(found) != count:
            return f"expected {count} post(s) with {' + '.join(repr(n) for n in needles)} in {where}, saw {len(found)}"
        return None

    return check


def expect_timer(ref: str, metric: str, state: str) -> Check:
    def check(world: DemoWorld, scene: Scene) -> str | None:
        found = timer_state(world, ref, metric)
        return None if found == state else f"expected {ref}'s {metric} to be {state}, it is {found}"

    return check


def expect_ticket(ref: str, **fields: str) -> Check:
    def check(world: DemoWorld, scene: Scene) -> str | None:
        t = ticket(world, ref).ticket
        wrong = {k: getattr(t, k) for k, v in fields.items() if str(getattr(t, k)) != v}
        return None if not wrong else f"expected {ref} to have {fields}, it has {wrong}"

    return check


def expect_answer(needle: str) -> Check:
    def check(world: DemoWorld, scene: Scene) -> str | None:
        answers = [e for e in world.conversation.entries if e.kind == "ephemeral"]
        last = answers[-1] if answers else None
        text = (last.text + json.dumps(last.blocks, ensure_ascii=False)) if last else ""
        return None if needle in text else f"expected the answer to mention {needle!r}"

    return check


# ---------------------------------------------------------------------------- acts


def opens(ref: str, user: str, channel: str, text: str) -> Callable[[DemoWorld, Scene], None]:
    def act(world: DemoWorld, scene: Scene) -> None:
        ts = world.say(user, channel, text)
        scene.threads[ref] = (channel, ts)

    return act


def replies(ref: str, user: str, text: str) -> Callable[[DemoWorld, Scene], None]:
    def act(world: DemoWorld, scene: Scene) -> None:
        channel, ts = scene.threads[ref]
        world.say(user, channel, text, thread_ts=ts)

    return act


def types(user: str, channel: str, text: str) -> Callable[[DemoWorld, Scene], None]:
    def act(world: DemoWorld, scene: Scene) -> None:
        world.command(user, channel, text)

    return act


def clicks_on_card(ref: str, user: str, label: str) -> Callable[[DemoWorld, Scene], None]:
    def act(world: DemoWorld, scene: Scene) -> None:
        message = card(world, scene, ref)
        world.click(
            user, scene.threads[ref][0], message, world.find_button(message, lambda b: b.text == label)
        )

    return act


def clicks_or_types(ref: str, user: str, label: str, command: str) -> Callable[[DemoWorld, Scene], None]:
    """Click ``label`` on the ticket's card when the card shows it, else type the same ``/sla`` command
    (a card refreshed by the live status card always shows the button)."""

    def act(world: DemoWorld, scene: Scene) -> None:
        try:
            message = card(world, scene, ref)
            button = world.find_button(message, lambda b: b.text == label)
        except DemoError:
            world.command(user, scene.threads[ref][0], command)
            return
        world.click(user, scene.threads[ref][0], message, button)

    return act


def clicks_on_alert(
    ref: str, user: str, channel: str, needle: str, label: str
) -> Callable[[DemoWorld, Scene], None]:
    def act(world: DemoWorld, scene: Scene) -> None:
        alerts = bot_posts(world, channel, needle, f"{ref} ")
        if not alerts:
            raise DemoError(f"no alert with {needle!r} for {ref} in #{world._channel_name(channel)}")
        message = alerts[-1]
        world.click(user, channel, message, world.find_button(message, lambda b: b.text == label))

    return act


def reacts(ref: str, user: str, reaction: str) -> Callable[[DemoWorld, Scene], None]:
    def act(world: DemoWorld, scene: Scene) -> None:
        channel, ts = scene.threads[ref]
        world.react(user, channel, ts, reaction)

    return act


def types_message(user: str, channel: str, text: str) -> Callable[[DemoWorld, Scene], None]:
    """A top-level message that is expected to open nothing."""

    def act(world: DemoWorld, scene: Scene) -> None:
        world.say(user, channel, text)

    return act


def expect_tickets(count: int) -> Check:
    def check(world: DemoWorld, scene: Scene) -> str | None:
        with world.services.uow.begin(read_only=True) as tx:
            extra = tx.tickets.get_by_ref(team_id=TEAM, ref=f"T-{count + 1}")
            title = extra.title if extra is not None else None
        return None if title is None else f"expected no ticket after T-{count}, found T-{count + 1}: {title}"

    return check


def both(*acts: Callable[[DemoWorld, Scene], None]) -> Callable[[DemoWorld, Scene], None]:
    def act(world: DemoWorld, scene: Scene) -> None:
        for a in acts:
            a(world, scene)

    return act


def nothing(world: DemoWorld, scene: Scene) -> None:
    return None


# ---------------------------------------------------------------------------- survey (bot.features.feedback)


def answers_survey(ref: str, user: str, rating: str, comment: str) -> Callable[[DemoWorld, Scene], None]:
    """The requester clicks a rating in the survey slabot posted, then writes a comment in the modal."""

    def act(world: DemoWorld, scene: Scene) -> None:
        channel, ts = scene.threads[ref]
        surveys = [
            m
            for m in [*world.thread(channel, ts), *world.messages("D" + user[1:])]
            if m.get("bot_id") and '"survey_rate' in rendered(m)
        ]
        if not surveys:
            raise DemoError(f"slabot posted no satisfaction survey for {ref}")
        survey = surveys[-1]
        where = channel if survey in world.thread(channel, ts) else "D" + user[1:]
        views_before = len(world.open_views())
        world.click(
            user,
            where,
            survey,
            world.find_button(
                survey,
                lambda b: (
                    b.action_id.startswith("survey_rate")
                    and (b.action_id.endswith(f"_{rating}") or b.text.split()[:1] == [rating])
                ),
            ),
        )
        views = world.open_views()
        if len(views) == views_before:  # no modal yet: a "comment" button opens it
            latest = [m for m in world.messages(where) if m["ts"] == survey["ts"]] or [survey]
            world.click(
                user,
                where,
                latest[0],
                world.find_button(latest[0], lambda b: b.action_id.startswith("survey_comment")),
            )
            views = world.open_views()
        if len(views) == views_before:
            raise DemoError("clicking the survey opened no comment modal")
        view = views[-1]
        inputs = {
            (block.get("element") or {}).get("action_id"): comment
            for block in view.get("blocks") or []
            if block.get("type") == "input" and (block.get("element") or {}).get("type") == "plain_text_input"
        }
        world.submit(user, view, {k: v for k, v in inputs.items() if k})

    return act


def expect_survey_answer(ref: str, rating: int) -> Check:
    def check(world: DemoWorld, scene: Scene) -> str | None:
        with world.services.uow.begin(read_only=True) as tx:
            t = tx.tickets.get_by_ref(team_id=TEAM, ref=ref)
            survey = tx.surveys.get_for_ticket(team_id=TEAM, ticket_id=t.id) if t else None
            if survey is None:
                return f"no survey stored for {ref}"
            if survey.rating != rating or not survey.comment:
                return f"the survey of {ref} holds rating {survey.rating} and comment {survey.comment!r}"
            if survey.sentiment_label is None:
                return f"the survey comment of {ref} has no sentiment"
            scene.notes.append(
                f"survey on {ref}: {survey.rating}/5, “{survey.comment}” → sentiment {survey.sentiment_label}"
                f" ({survey.sentiment_polarity:+.2f})"
            )
        return None

    return check


# ---------------------------------------------------------------------------- the rest of the week

#: (day after Monday, opened, client, channel, text, agent, answered, resolved as (day, time))
WEEK: tuple[tuple[int, time, str, str, str, str, time, tuple[int, time]], ...] = (
    (
        1,
        time(9, 30),
        WILE,
        ACME,
        "Yesterday's export is missing the VAT column",
        ANA,
        time(10, 0),
        (1, time(11, 30)),
    ),
    (
        1,
        time(11, 0),
        PETER,
        INITECH,
        "Where do we find the audit log?",
        CHLOE,
        time(11, 10),
        (1, time(12, 0)),
    ),
    (
        1,
        time(15, 0),
        HANK,
        GLOBEX,
        "The orders page was slow this morning",
        BEN,
        time(15, 20),
        (1, time(17, 0)),
    ),
    (
        2,
        time(10, 0),
        ROADRUNNER,
        ACME,
        "Invoice PDFs are broken for credit notes",
        BEN,
        time(11, 20),
        (2, time(15, 0)),
    ),
    (2, time(16, 0), HANK, GLOBEX, "Can we get a sandbox account?", ANA, time(16, 30), (3, time(15, 30))),
    (3, time(9, 10), WILE, ACME, "Login is down for our SSO users", ANA, time(9, 15), (3, time(10, 30))),
    (
        3,
        time(14, 0),
        PETER,
        INITECH,
        "Is there a rate limit on the API?",
        CHLOE,
        time(14, 30),
        (3, time(15, 0)),
    ),
    (
        4,
        time(9, 45),
        ROADRUNNER,
        ACME,
        "Urgent: the nightly export file is missing",
        BEN,
        time(10, 15),
        (4, time(12, 0)),
    ),
    (4, time(15, 30), HANK, GLOBEX, "How often are webhooks retried?", BEN, time(17, 0), (4, time(17, 30))),
)


def rest_of_the_week(world: DemoWorld, scene: Scene) -> None:
    """Tuesday to Friday through the same Slack events (messages, replies, ✅), one line a day."""
    events: list[tuple[datetime, int, Callable[[DemoWorld, Scene], None]]] = []
    for n, (day, opened, client, channel, text, agent, answered, (done_day, done)) in enumerate(WEEK):
        key = f"week-{n}"
        events.append((_on(day, opened), 0, opens(key, client, channel, text)))
        events.append((_on(day, answered), 1, replies(key, agent, "Thanks — on it, details in a moment.")))
        events.append((_on(done_day, done), 2, reacts(key, agent, "white_check_mark")))
    events.sort(key=lambda e: (e[0], e[1]))
    conversation = world.conversation
    for day in range(1, 5):
        posted = len(conversation.entries)
        for at, _order, act in events:
            if at.date() == DAY + timedelta(days=day):
                world.advance_to(at)
                act(world, scene)
        world.advance_to(_on(day, time(18, 0)))
        opened = sum(1 for e in events if e[1] == 0 and e[0].date() == DAY + timedelta(days=day))
        alerts = [
            e
            for e in conversation.entries[posted:]
            if e.kind == "message"
            and e.who == conversation.bot_user_id
            and e.text.startswith(("🟠", "🔴", "🚨"))
        ]
        met, breached = _settled(world, _on(day, time(0, 0)), _on(day + 1, time(0, 0)))
        conversation.skip()
        conversation.say(
            scene.printer,
            f"    {_on(day, time(0, 0)):%a %d %b}  {opened} new tickets · {met} targets met, {breached} breached"
            f" · {len(alerts)} alerts posted",
        )


def _on(day: int, at: time) -> datetime:
    return datetime.combine(DAY + timedelta(days=day), at, BERLIN)


def _settled(world: DemoWorld, start: datetime, end: datetime) -> tuple[int, int]:
    with world.services.uow.begin(read_only=True) as tx:
        counts = tx.reports.compliance_counts(team_id=TEAM, start=start, end=end, now=world.clock.now())
    return sum(c.met for c in counts), sum(c.breached for c in counts)


# ---------------------------------------------------------------------------- the weekly summary


def weekly_summary(world: DemoWorld, scene: Scene) -> None:
    """Monday 09:00 a week later: the reports feature's weekly job posts the summary, then (on its next
    run, a minute later, once the notifier has posted the text) uploads the chart into its thread."""
    for _ in range(3):
        ran = world.run_job(lambda job_id: "week" in job_id)
        if not ran:
            raise DemoError(
                f"the reports feature has no weekly job (jobs: {', '.join(world.job_ids) or 'none'})"
            )
        if world.slack.files:
            break
        world.advance_to(world.clock.now() + timedelta(minutes=1))
    files = world.slack.files
    if not files:
        raise DemoError("the weekly summary was posted without its chart")
    for upload in files:
        path = scene.out_dir / upload.filename
        path.write_bytes(upload.content or b"")
        scene.saved.append(path)


def own_chart(world: DemoWorld, scene: Scene) -> None:
    """Without the reports feature: the compliance chart of the demo's week, from the stored timers."""

    start = datetime.combine(DAY, time(0, 0), BERLIN)
    with world.services.uow.begin(read_only=True) as tx:
        end = start + timedelta(days=7)
        rows = [
            ReportTimer.from_period_timer(p)
            for p in tx.reports.timers_in_period(team_id=TEAM, start=start, end=end, now=world.clock.now())
        ]
    year, week, _ = DAY.isocalendar()
    png = compliance_chart(daily_counts(rows, BERLIN), f"SLA compliance, week {year}-W{week:02d}")
    path = scene.out_dir / f"compliance-{year}-W{week:02d}.png"
    path.write_bytes(png)
    scene.saved.append(path)


def expect_chart(world: DemoWorld, scene: Scene) -> str | None:
    pngs = [p for p in scene.saved if p.suffix == ".png"]
    if not pngs:
        return "no chart was saved"
    for p in pngs:
        if not p.read_bytes().startswith(b"\x89PNG"):
            return f"{p} is not a PNG image"
    return None


# ---------------------------------------------------------------------------- the day


def steps() -> list[Step]:
    has_feedback = feature_installed("feedback")
    has_reports = feature_installed("reports")
    has_reviews = feature_installed("reviews")
    next_monday = datetime.combine(DAY + timedelta(days=7), time(9, 0), BERLIN)
    return [
        Step(
            time(9, 5),
            "Wile (Acme) reports an outage in #acme-support: “down” makes it a P1 (24x7, first response 15m)",
            opens("T-1", WILE, ACME, "Our dashboard is down for everyone — 502 errors since 9:00"),
            (expect_post(ACME, "T-1", "P1", in_thread="T-1"), expect_ticket("T-1", priority="P1")),
        ),
        Step(
            time(9, 7),
            "Ana asks slabot what is open for Acme",
            types(ANA, ACME, "status"),
            (expect_answer("T-1"),),
        ),
        Step(
            time(9, 13),
            "Nobody has answered yet: countdown warnings at 10 minutes before due and at 50 %. Wile checks",
            types(WILE, ACME, "status"),
            (expect_post(ACME_ALERTS, "SLA warning", "T-1 "), expect_answer("T-1")),
        ),
        Step(
            time(9, 14),
            "Ana answers in the thread: the first response, in time",
            replies("T-1", ANA, "We're on it — rolling back this morning's deploy. Updates here."),
            (expect_timer("T-1", "first_response", "met"),),
        ),
        Step(
            time(9, 14, 30),
            "Roadrunner (Acme) reports a broken checkout: “broken” makes it a P2 (first response 1h, office hours)",
            opens("T-2", ROADRUNNER, ACME, "Checkout is broken for customers paying by invoice"),
            (expect_ticket("T-2", priority="P2"),),
        ),
        Step(
            time(9, 30),
            "Peter (Initech) asks a question before London opens: the clock waits for 09:00 London",
            opens("T-3", PETER, INITECH, "How do we rotate our API key without downtime?"),
            (expect_ticket("T-3", priority="P3"),),
        ),
        Step(
            time(10, 5),
            "T-2 is unanswered: warnings at 50 %, 75 % and 10 minutes before due",
            nothing,
            (expect_post(ACME_ALERTS, "SLA warning", "T-2 "),),
        ),
        Step(
            time(10, 16),
            "10:15 passes without an answer: T-2 breaches, the leads are mentioned",
            nothing,
            (
                expect_post(ACME_ALERTS, "SLA breached", "T-2", count=1),
                expect_timer("T-2", "first_response", "breached"),
            ),
        ),
        Step(
            time(10, 18),
            "Ana lists what is breached",
            types(ANA, ACME_ALERTS, "status breached"),
            (expect_answer("T-2"),),
        ),
        Step(
            time(10, 20),
            "Chloé (an agent through the @support-agents group) answers Peter, then pauses: waiting on Initech",
            both(
                replies(
                    "T-3",
                    CHLOE,
                    "You can create a second key first, switch over, then revoke the old one. Which environment is it for?",
                ),
                types(CHLOE, INITECH, "pause T-3 waiting for Peter to name the environment"),
            ),
            (expect_timer("T-3", "first_response", "met"), expect_ticket("T-3", status="waiting_on_client")),
        ),
        Step(
            time(10, 46),
            "Still unanswered 30 minutes after the breach: the first escalation step mentions Maya",
            nothing,
            (expect_post(ACME_ALERTS, "escalation", "T-2"),),
        ),
        Step(
            time(10, 50),
            "Ben clicks “Take it” on the escalation and answers Roadrunner",
            both(
                clicks_on_alert("T-2", BEN, ACME_ALERTS, "escalation", "Take it"),
                replies("T-2", BEN, "Sorry for the wait. Which invoice number fails? A screenshot helps."),
            ),
            (expect_ticket("T-2", assignee=BEN),),
        ),
        Step(
            time(10, 52),
            "Ben clicks “Pause (waiting on client)” on T-2's card: clocks stop while Acme looks",
            clicks_on_card("T-2", BEN, "Pause (waiting on client)"),
            (expect_ticket("T-2", status="waiting_on_client"),),
        ),
        Step(
            time(11, 30),
            "Roadrunner sends the details in the thread: the client's reply resumes T-2 by itself "
            "(Gold: resume_on_client_reply) and starts the next-response clock",
            replies("T-2", ROADRUNNER, "Invoice INV-2291 — the pay button spins forever."),
            (
                expect_ticket("T-2", status="open"),
                expect_timer("T-2", "next_response", "running"),
                expect_post(ACME, "Resumed", in_thread="T-2"),
            ),
        ),
        Step(
            time(11, 35),
            "Every invoice customer is affected: Ben raises T-2 to P1 (elapsed time is kept) and answers",
            both(
                types(BEN, ACME, "priority T-2 P1"),
                replies(
                    "T-2", BEN, "Thanks! Reproduced: a rounding bug in the invoice module. Fix is on its way."
                ),
            ),
            (expect_ticket("T-2", priority="P1"),),
        ),
        Step(
            time(11, 40),
            "Peter answers in the thread; Bronze does not resume on a client's reply, so Chloé resumes T-3",
            both(replies("T-3", PETER, "Production, please."), types(CHLOE, INITECH, "resume T-3")),
            (expect_ticket("T-3", status="open"),),
        ),
        Step(
            time(12, 10),
            "The rollback fixed the dashboard: Ana resolves T-1 with a ✅ reaction",
            reacts("T-1", ANA, "white_check_mark"),
            (expect_ticket("T-1", status="resolved"), expect_post(ACME, "Resolved", in_thread="T-1")),
        ),
        Step(
            time(12, 15),
            "Wile writes “thanks!” in #acme-support: an acknowledgement, not a request — no ticket opens",
            types_message(WILE, ACME, "thanks! 🙏"),
            (expect_tickets(3),),
        ),
        Step(
            time(12, 20),
            "Wile answers the satisfaction survey: 4 stars and a comment",
            answers_survey(
                "T-1", WILE, "4", "Quick fix, thanks! But the status page said nothing for twenty minutes."
            ),
            (expect_survey_answer("T-1", 4),),
            when=lambda: has_feedback,
        ),
        Step(
            time(13, 30),
            "The fix is live: Ben resolves T-2 with `/sla resolve T-2`",
            both(
                replies("T-2", ROADRUNNER, "Works again, thank you!"),
                types(BEN, ACME, "resolve T-2"),
            ),
            (expect_ticket("T-2", status="resolved"), expect_timer("T-2", "resolution", "met")),
        ),
        Step(
            time(14, 20),
            "Hank (Globex) asks in #globex-support as New York opens (Silver: 8 office hours to answer)",
            opens("T-4", HANK, GLOBEX, "Is there a way to export last month's orders as CSV?"),
            (expect_ticket("T-4", priority="P3"),),
        ),
        Step(
            time(14, 30),
            "Roadrunner posts an announcement in #acme-support, and it opens T-5",
            opens("T-5", ROADRUNNER, ACME, "FYI: our office is closed this Friday for a company offsite"),
            (expect_ticket("T-5", status="open"),),
        ),
        Step(
            time(14, 35),
            "Ana clicks “Not a ticket” on T-5's card: its clocks are cancelled, it leaves every report and "
            "credit, and the audit log keeps who dismissed it",
            clicks_on_card("T-5", ANA, "Not a ticket"),
            (expect_ticket("T-5", status="dismissed"), expect_timer("T-5", "first_response", "cancelled")),
        ),
        Step(
            time(14, 50),
            "Ben answers Hank",
            replies("T-4", BEN, "Yes: Reports → Orders → Export. I'll send you the steps."),
            (expect_timer("T-4", "first_response", "met"),),
        ),
        Step(
            time(15, 10),
            "Peter's key is rotated: Chloé resolves T-3 with ✅ (Bronze asks for feedback by DM)",
            reacts("T-3", CHLOE, "white_check_mark"),
            (expect_ticket("T-3", status="resolved"),),
        ),
        Step(
            time(16, 0),
            "Hank confirms; Ben clicks “Resolve” on T-4's card",
            both(
                replies("T-4", HANK, "Got it, the export works. Thanks!"),
                clicks_or_types("T-4", BEN, "Resolve", "resolve T-4"),
            ),
            (expect_ticket("T-4", status="resolved"),),
        ),
        Step(
            time(17, 0),
            "End of the day: Ana checks what is still open for Acme",
            types(ANA, ACME, "status"),
            (expect_answer("No open tickets"),),
        ),
        Step(
            _on(1, time(9, 0)),
            "Tuesday to Friday in fast-forward: more tickets through the same Slack events, one line a day",
            rest_of_the_week,
            (expect_post(ACME_ALERTS, "SLA breached", "Invoice PDFs are broken"),),
        ),
        Step(
            next_monday,
            "Monday 9 March, 09:00: the weekly summary with its chart goes to #sla-reports",
            weekly_summary,
            (expect_chart,),
            when=lambda: has_reports,
        ),
        Step(
            next_monday,
            "Monday 9 March, 09:00: the week's compliance chart, saved for you",
            own_chart,
            (expect_chart,),
            when=lambda: not has_reports,
        ),
        Step(
            next_monday.replace(minute=30),
            "Monday 9 March, 09:30: Ana runs the quarter's SLA review; one week of tickets is too few to "
            "change a target, and it says so",
            types(ANA, ACME, "review acme this-quarter"),
            (expect_answer("No change recommended"),),
            when=lambda: has_reviews,
        ),
    ]
