from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.grammar import (
    COMMAND_NAMES,
    HELP_TEXT,
    Admin,
    AllTarget,
    Assign,
    AtRiskTarget,
    BreachedTarget,
    ChannelRef,
    ChannelTarget,
    ClientTarget,
    Contract,
    DefaultTarget,
    Explain,
    Feedback,
    Help,
    Incident,
    Link,
    MineTarget,
    Pause,
    PeriodSpec,
    Priority,
    Reopen,
    Reply,
    Report,
    Resolve,
    Resume,
    Review,
    Start,
    Status,
    TicketTarget,
    UsageError,
    UserRef,
    UserTarget,
    parse,
    parse_period,
    tokenize,
    usage,
)

CLIENTS = ("acme", "globex", "Initech")
BERLIN = ZoneInfo("Europe/Berlin")


def ok(text: str, **kw: object):  # type: ignore[no-untyped-def]
    result = parse(text, **kw)  # type: ignore[arg-type]
    assert not isinstance(result, UsageError), result
    return result


def err(text: str, **kw: object) -> UsageError:
    result = parse(text, **kw)  # type: ignore[arg-type]
    assert isinstance(result, UsageError), result
    return result


# ------------------------------------------------------------------ status


@pytest.mark.parametrize(
    ("text", "target"),
    [
        ("status", DefaultTarget()),
        ("  STATUS  ", DefaultTarget()),
        ("status T-12", TicketTarget("T-12")),
        ("status t-12", TicketTarget("T-12")),
        ("status T12", TicketTarget("T-12")),
        ("status #12", TicketTarget("12")),  # T-12 or a helpdesk's 12: the resolver tells
        ("status 12", TicketTarget("12")),
        ("status 35436", TicketTarget("35436")),
        ("status ZD-35436", TicketTarget("ZD-35436")),
        ("status zd-35436", TicketTarget("ZD-35436")),
        ("status GLX-7", TicketTarget("GLX-7")),
        ("status zendesk:35436", TicketTarget("zendesk:35436")),
        ("status T-012", TicketTarget("T-12")),
        ("status <@U123>", UserTarget(UserRef("U123"))),
        ("status <@U123|maria>", UserTarget(UserRef("U123", "maria"))),
        ("status @maria", UserTarget(UserRef(name="maria"))),
        ("status <#C123|acme-support>", ChannelTarget(ChannelRef("C123", "acme-support"))),
        ("status <#C123>", ChannelTarget(ChannelRef("C123"))),
        ("status <#C123|>", ChannelTarget(ChannelRef("C123"))),
        ("status #acme-support", ChannelTarget(ChannelRef(name="acme-support"))),
        ("status client acme", ClientTarget("acme")),
        ("status client:acme", ClientTarget("acme")),
        ("status breached", BreachedTarget()),
        ("status at-risk", AtRiskTarget()),
        ("status atrisk", AtRiskTarget()),
        ("status at risk", AtRiskTarget()),
        ("status AT-RISK", AtRiskTarget()),
        ("status mine", MineTarget()),
        ("status all", AllTarget()),
    ],
)
def test_status_targets(text: str, target: object) -> None:
    assert ok(text) == Status(target)  # type: ignore[arg-type]


def test_bare_client_is_recognised_when_clients_are_known_and_canonicalised() -> None:
    assert ok("status ACME", clients=CLIENTS) == Status(ClientTarget("acme"))
    assert ok("status initech", clients=CLIENTS) == Status(ClientTarget("Initech"))
    assert ok('status "globex"', clients=CLIENTS) == Status(ClientTarget("globex"))


def test_unknown_status_target_suggests_and_lists_the_forms() -> None:
    e = err("status breachd")
    assert "'breachd'" in e.message
    assert "did you mean 'breached'" in e.message
    assert "`client acme`" in e.message
    e = err("status acmee", clients=CLIENTS)
    assert "did you mean 'acme'" in e.message


def test_unknown_client_in_explicit_form_lists_known_clients() -> None:
    e = err("status client acmy", clients=CLIENTS)
    assert e.message.startswith("I don't know the client 'acmy' — did you mean 'acme'?")
    assert "`globex`" in e.message


def test_status_with_extra_words_says_what_was_not_understood() -> None:
    e = err("status T-12 please now")
    assert "'please now'" in e.message
    assert "status T-12" in e.message


def test_bare_ticket_ref_is_its_status() -> None:
    assert ok("T-5") == Status(TicketTarget("T-5"))
    assert ok("GLX-7") == Status(TicketTarget("GLX-7"))


def test_words_that_look_like_keys_are_not_tickets() -> None:
    # a priority with a dash is not a Jira key; a title that starts like one stays a title
    assert "'P-2' is not one" in err("resolve P-2").message
    assert ok("start Login-2 fails for everyone") == Start(title="Login-2 fails for everyone")
    assert ok("status at-risk") == Status(AtRiskTarget())
    assert ok("status acme-2", clients=["acme-2"]) == Status(ClientTarget("acme-2"))


# ------------------------------------------------------------------ start


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("start", Start()),
        ("start T-12", Start(ref="T-12")),
        ("start T-12 P1", Start(ref="T-12", priority="P1")),
        ("start t-12 p2 acme", Start(ref="T-12", priority="P2", client="acme")),
        ("start T-12 P1 acme Printer on fire", Start("T-12", "P1", "acme", "Printer on fire")),
        ("start P1 acme Printer on fire", Start(None, "P1", "acme", "Printer on fire")),
        ("start P1 T-12 globex", Start("T-12", "P1", "globex")),
        ("start Printer on fire", Start(title="Printer on fire")),
        ('start P3 "acme printer" jammed', Start(priority="P3", title="acme printer jammed")),
        ("start P1 client initech VPN down", Start(priority="P1", client="Initech", title="VPN down")),
        ("start 404 on the login page", Start(title="404 on the login page")),
        ("start P1 acme Fish &amp; chips &lt;3", Start(None, "P1", "acme", "Fish & chips <3")),
    ],
)
def test_start(text: str, expected: Start) -> None:
    assert ok(text, clients=CLIENTS) == expected


def test_start_without_known_clients_keeps_the_word_in_the_title() -> None:
    assert ok("start P1 acme Printer on fire") == Start(priority="P1", title="acme Printer on fire")
    assert ok("start P1 client acme Printer on fire") == Start(
        priority="P1", client="acme", title="Printer on fire"
    )


@pytest.mark.parametrize("bad", ["P0", "p10", "P-1"])
def test_start_rejects_malformed_priorities(bad: str) -> None:
    e = err(f"start T-12 {bad} title")
    assert f"'{bad}' is not a priority" in e.message
    assert "`P1`" in e.message and "`P9`" in e.message


# ------------------------------------------------------------------ ticket commands


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("reply T-12", Reply("T-12")),
        ("pause T-12", Pause("T-12")),
        ("pause T-12 waiting for logs", Pause("T-12", "waiting for logs")),
        ("pause T-12 'waiting on client'", Pause("T-12", "waiting on client")),
        ("pause T-12 client's VPN is down", Pause("T-12", "client's VPN is down")),
        ("resume T-12", Resume("T-12")),
        ("unpause t-3", Resume("T-3")),
        ("priority T-12 P2", Priority("T-12", "P2")),
        ("priority T-12 p9", Priority("T-12", "P9")),
        ("priority P2 T-12", Priority("T-12", "P2")),
        ("assign T-12 <@U42|maria>", Assign("T-12", UserRef("U42", "maria"))),
        ("assign T-12 @maria", Assign("T-12", UserRef(name="maria"))),
        ("assign T-12 me", Assign("T-12", UserRef(me=True))),
        ("take T-12", Assign("T-12", UserRef(me=True))),
        ("resolve T-12", Resolve("T-12")),
        ("reopen T-12", Reopen("T-12")),
        ("explain T-12", Explain("T-12")),
        ("Explain #7", Explain("7")),
        ("explain 35436", Explain("35436")),
        ("assign GLX-7 @maria", Assign("GLX-7", UserRef(name="maria"))),
        ("priority ZD-35436 P1", Priority("ZD-35436", "P1")),
        ("priority P1 GLX-7", Priority("GLX-7", "P1")),
        ("resolve zendesk:35436", Resolve("zendesk:35436")),
    ],
)
def test_ticket_commands(text: str, expected: object) -> None:
    assert ok(text) == expected


@pytest.mark.parametrize(
    "command", ["reply", "pause", "resume", "priority", "assign", "resolve", "reopen", "explain"]
)
def test_missing_ticket_ref_names_the_command_and_gives_an_example(command: str) -> None:
    e = err(command)
    assert e.message.startswith(f"`/sla {command}` needs a ticket, e.g. `/sla {command} T-12")
    assert e.usage.startswith("Usage: `/sla ")


def test_missing_ticket_ref_for_pause_matches_the_documented_wording() -> None:
    assert err("pause").message == "`/sla pause` needs a ticket, e.g. `/sla pause T-12 waiting for logs`"


def test_a_word_where_the_ticket_should_be() -> None:
    e = err("resolve printer")
    assert "'printer' is not one" in e.message
    assert "`T-12`" in e.message


@pytest.mark.parametrize("bad", ["P0", "urgent", "p10", "high", "2"])
def test_bad_priority_lists_the_accepted_form(bad: str) -> None:
    e = err(f"priority T-12 {bad}")
    assert e.message.startswith(
        f"'{bad}' is not a priority — priorities are written `P1` (most urgent) to `P9`"
    )
    assert "/sla priority T-12 P2" in e.message


def test_missing_priority() -> None:
    assert "needs a priority" in err("priority T-12").message


def test_assign_needs_a_person() -> None:
    assert "needs a person" in err("assign T-12").message
    assert "'bob' is not a person" in err("assign T-12 bob").message


def test_extra_junk_after_a_complete_command() -> None:
    e = err("resolve T-12 now please")
    assert e.message == "I understood `resolve T-12` but not 'now please' after it."
    assert e.usage == "Usage: `/sla resolve T-12` — e.g. `/sla resolve T-12`"


# ------------------------------------------------------------------ contract, reports, reviews, feedback


def test_contract() -> None:
    assert ok("contract") == Contract()
    assert ok("contract acme") == Contract("acme")
    assert ok("contract client acme") == Contract("acme")
    assert ok("contract ACME", clients=CLIENTS) == Contract("acme")
    assert "did you mean 'globex'" in err("contract globx", clients=CLIENTS).message


@pytest.mark.parametrize(
    ("text", "label", "kind", "first", "last"),
    [
        ("2026-11", "2026-11", "month", date(2026, 11, 1), date(2026, 11, 30)),
        ("2026-W47", "2026-W47", "week", date(2026, 11, 16), date(2026, 11, 22)),
        ("2026-Q4", "2026-Q4", "quarter", date(2026, 10, 1), date(2026, 12, 31)),
        ("2026-q1", "2026-Q1", "quarter", date(2026, 1, 1), date(2026, 3, 31)),
        ("2026-11-01..2026-11-30", "2026-11-01..2026-11-30", "range", date(2026, 11, 1), date(2026, 11, 30)),
        ("2026", "2026", "year", date(2026, 1, 1), date(2026, 12, 31)),
    ],
)
def test_fixed_periods_are_read_by_sla_periods(
    text: str, label: str, kind: str, first: date, last: date
) -> None:
    period = parse_period(text)
    assert isinstance(period, PeriodSpec)
    assert (period.label, period.kind, period.relative) == (label, kind, False)
    resolved = period.resolve(datetime(2030, 1, 1, tzinfo=UTC), BERLIN)
    assert (resolved.first_day, resolved.last_day) == (first, last)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("2026-13", "is not a period: months are 01 to 12"),
        ("2026-Q5", "quarters are Q1 to Q4"),
        ("2025-W53", "2025 has no ISO week 53"),
        ("2026-11-30..2026-11-01", "ends before it starts"),
        ("2026-02-30..2026-03-01", "is not a real date"),
        ("2026-xx", "'2026-xx' is not a period —"),
        ("9999-12", "out of range"),
    ],
)
def test_invalid_periods_explain_themselves(text: str, fragment: str) -> None:
    e = err(f"report {text}")
    assert fragment in e.message
    assert "`2026-W47`" in e.message


@pytest.mark.parametrize(
    ("text", "first", "last"),
    [
        ("week", date(2026, 11, 9), date(2026, 11, 15)),
        ("last-week", date(2026, 11, 9), date(2026, 11, 15)),
        ("this-week", date(2026, 11, 16), date(2026, 11, 19)),
        ("month", date(2026, 10, 1), date(2026, 10, 31)),
        ("quarter", date(2026, 7, 1), date(2026, 9, 30)),
    ],
)
def test_relative_periods_resolve_later_against_now_in_the_clients_zone(
    text: str, first: date, last: date
) -> None:
    period = parse_period(text)
    assert isinstance(period, PeriodSpec) and period.relative
    resolved = period.resolve(datetime(2026, 11, 19, 12, tzinfo=UTC), BERLIN)
    assert (resolved.first_day, resolved.last_day) == (first, last)


def test_a_client_name_is_not_a_period() -> None:
    assert parse_period("acme") is None


def test_report_takes_period_and_client_in_either_order() -> None:
    month = parse_period("2026-11")
    assert ok("report") == Report()
    assert ok("report 2026-11 acme") == Report(month, "acme")  # type: ignore[arg-type]
    assert ok("report acme 2026-11") == Report(month, "acme")  # type: ignore[arg-type]
    assert ok("report last week") == Report(parse_period("last-week"))  # type: ignore[arg-type]
    assert "one period at a time" in err("report week month").message
    assert "not 'xyz'" in err("report acme xyz").message


def test_review_needs_a_client_and_a_quarter() -> None:
    assert ok("review acme 2026-Q4") == Review("acme", parse_period("2026-Q4"))  # type: ignore[arg-type]
    assert ok("review acme") == Review("acme")
    assert ok("review last-quarter acme").quarter.label == "last-quarter"  # type: ignore[union-attr]
    assert err("review").message == "`/sla review` needs a client, e.g. `/sla review acme 2026-Q4`"
    assert "a review covers a quarter" in err("review acme 2026-11").message


def test_feedback() -> None:
    assert ok("feedback") == Feedback()
    assert ok("feedback acme month") == Feedback("acme", parse_period("month"))  # type: ignore[arg-type]


# ------------------------------------------------------------------ incidents, link, admin, help


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("incident list", Incident("list")),
        ("incident start api", Incident("start", "api")),
        ('incident start "Platform support" DNS outage', Incident("start", "Platform support", "DNS outage")),
        ("incident start “Platform support” DNS outage", Incident("start", "Platform support", "DNS outage")),
        ("incident start api DNS outage", Incident("start", "api", "DNS outage")),
        ("incident resolve Platform support", Incident("resolve", "Platform support")),
        ('incident resolve "Platform support"', Incident("resolve", "Platform support")),
    ],
)
def test_incident(text: str, expected: Incident) -> None:
    assert ok(text) == expected


def test_incident_errors() -> None:
    assert "needs `start`, `resolve` or `list`" in err("incident").message
    assert "'begun' is not one" in err("incident begun api").message
    assert "needs a service" in err("incident start").message


def test_link_and_admin() -> None:
    assert ok("link <#C9|acme-help> acme") == Link(ChannelRef("C9", "acme-help"), "acme")
    assert ok("link #acme-help acme") == Link(ChannelRef(name="acme-help"), "acme")
    assert "needs a channel" in err("link acme").message
    assert "needs a client" in err("link #acme-help").message
    assert "I don't know the client 'acne'" in err("link #x acne", clients=CLIENTS).message
    assert ok("admin alerts") == Admin("alerts")
    assert "`alerts`" in err("admin users").message


def test_help() -> None:
    assert ok("") == Help()
    assert ok("help") == Help()
    assert ok("help pause") == Help("pause")
    assert ok("?") == Help()
    assert "did you mean 'status'" in err("help stat").message


def test_unknown_command_suggests_the_closest_and_lists_all() -> None:
    e = err("stauts")
    assert e.message == "I don't know 'stauts' — did you mean 'status'?"
    for name in COMMAND_NAMES:
        assert f"`{name}`" in e.usage
    assert err("frobnicate").message == "I don't know 'frobnicate'."


def test_slash_prefix_pasted_into_the_terminal_is_tolerated() -> None:
    assert ok("/sla status T-1") == Status(TicketTarget("T-1"))


def test_help_text_lists_every_command_and_usage_has_an_example() -> None:
    for name in COMMAND_NAMES:
        assert f"/sla {name}" in HELP_TEXT
        assert usage(name).startswith("Usage: `/sla ")
        assert "e.g. `/sla " in usage(name)


# ------------------------------------------------------------------ tokens


def test_tokenize_quotes_entities_and_unbalanced_quotes() -> None:
    assert [t.text for t in tokenize('a "b c" <@U1|Ann Lee> d')] == ["a", "b c", "<@U1|Ann Lee>", "d"]
    assert [t.text for t in tokenize('a "b c')] == ["a", '"b', "c"]
    assert [t.text for t in tokenize("it's fine")] == ["it's", "fine"]
    assert [t.text for t in tokenize("a < b")] == ["a", "<", "b"]


# ------------------------------------------------------------------ never raises

commandish = st.lists(
    st.sampled_from(
        [
            *COMMAND_NAMES,
            "T-12",
            "P1",
            "P0",
            "client",
            "acme",
            '"',
            "'",
            "“",
            "<@U1|x>",
            "<#C1>",
            "#",
            "@",
            "..",
            "2026-Q4",
            "2026-13",
            "last",
            "week",
            "at",
            "risk",
            "<",
            ">",
            "&amp;",
            "\n",
            "me",
            "start",
            "resolve",
        ]
    )
    | st.text(max_size=12),
    max_size=8,
).map(" ".join)


@given(st.text() | commandish, st.none() | st.just(CLIENTS))
def test_parse_never_raises_on_any_text(text: str, clients: tuple[str, ...] | None) -> None:
    result = parse(text, clients=clients)
    if isinstance(result, UsageError):
        assert result.message.strip()
    else:
        assert type(result).__name__ in {
            "Help", "Status", "Start", "Reply", "Pause", "Resume", "Priority", "Assign", "Resolve", "Reopen",
            "Explain", "Contract", "Report", "Review", "Feedback", "Incident", "Link", "Admin",
        }  # fmt: skip


@given(st.integers(min_value=1, max_value=999_999_999), st.sampled_from(["T-{}", "t-{}", "T{}", "#{}", "{}"]))
def test_every_ref_spelling_normalises(number: int, form: str) -> None:
    # slabot's own spellings are T-n; a bare number may also be a helpdesk's id (the resolver tells)
    expected = f"T-{number}" if form.lower().startswith("t") else str(number)
    assert ok("explain " + form.format(number)) == Explain(expected)
