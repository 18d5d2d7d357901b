"""One reader per ``/sla`` command: tokens in, a typed command out (or a failure with the command's usage).
Which reader reads which command, its help and its aliases: :mod:`bot.grammar.table`."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Literal

from bot.grammar import values as v
from bot.grammar.reader import _Reader
from bot.grammar.words import (
    _PRIORITYISH,
    _WINDOW_END,
    PERIOD_HINT,
    PRIORITY_HINT,
    WINDOW_HINT,
    _join,
    _shorten,
    parse_channel,
    parse_period,
    parse_priority,
    parse_ticket,
    parse_ticket_ref,
    parse_user,
    parse_window,
    suggest,
)

_BREACHED_WORDS = {"breached", "breach", "breaches", "late", "overdue"}
_AT_RISK_WORDS = {"at-risk", "atrisk", "at_risk", "risk", "risky"}
_STATUS_WORDS = ["breached", "at-risk", "mine", "all", "client"]


def read_status(r: _Reader) -> v.Command:
    tok = r.peek()
    if tok is None:
        return v.Status(v.DefaultTarget())
    if (client := r.explicit_client()) is not None:
        r.done(f"status client {client}")
        return v.Status(v.ClientTarget(client))
    r.take()
    low = tok.low
    target: v.StatusTarget
    if tok.quoted:
        target = v.ClientTarget(r.client(tok.text))
    elif (ref := parse_ticket_ref(tok.text)) is not None:
        target = v.TicketTarget(parse_ticket(tok.text) or ref)  # 12: T-12 or a helpdesk's 12
    elif low in _BREACHED_WORDS:
        target = v.BreachedTarget()
    elif low in _AT_RISK_WORDS:
        target = v.AtRiskTarget()
    elif low == "at" and (nxt := r.peek()) is not None and nxt.low == "risk":
        r.take()
        target = v.AtRiskTarget()
    elif low in ("mine", "me", "my"):
        target = v.MineTarget()
    elif low in ("all", "everything", "open"):
        target = v.AllTarget()
    elif (user := parse_user(tok.text)) is not None:
        target = v.UserTarget(user)
    elif (channel := parse_channel(tok.text)) is not None:
        target = v.ChannelTarget(channel)
    elif r.is_known_client(tok.text):
        target = v.ClientTarget(r.client(tok.text))
    elif (key := parse_ticket(tok.text)) is not None:  # a helpdesk's id: GLX-7, ZD-35436
        target = v.TicketTarget(key)
    else:
        known = _STATUS_WORDS + (list(r.clients.values()) if r.clients else [])
        near = suggest(low, known)
        hint = f" — did you mean '{near}'?" if near else ""
        raise r.fail(
            f"I don't know what '{_shorten(tok.text)}' is{hint or '.'} `/sla status` takes a ticket (`T-12`, `GLX-7`), "
            "a person (`@maria`), a channel (`#support`), `client acme`, `breached`, `at-risk`, `mine` or `all`."
        )
    r.done(f"status {tok.text}")
    return v.Status(target)


def read_start(r: _Reader) -> v.Command:
    ref: str | None = None
    prio: str | None = None
    while (tok := r.peek()) is not None and not tok.quoted:
        if ref is None and (found := parse_ticket_ref(tok.text)) is not None and not tok.text.isdigit():
            ref = found
        elif prio is None and (found := parse_priority(tok.text)) is not None:
            prio = found
        elif _PRIORITYISH.fullmatch(tok.text):
            raise r.fail(f"'{_shorten(tok.text)}' is not a priority — {PRIORITY_HINT}, e.g. `{r.example()}`")
        else:
            break
        r.take()
    client = r.explicit_client()
    if client is None and (tok := r.peek()) is not None and not tok.quoted and r.is_known_client(tok.text):
        client = r.client(r.take().text)
    return v.Start(ref=ref, priority=prio, client=client, title=_join(r.rest()))


_CommandReader = Callable[[_Reader], v.Command]


def ref_only(cls: type[v.Reply | v.Resume | v.Resolve | v.Reopen | v.Explain]) -> _CommandReader:
    def read(r: _Reader) -> v.Command:
        ref = r.ref()
        r.done(f"{r.command} {ref}")
        return cls(ref)

    return read


def read_pause(r: _Reader) -> v.Command:
    ref = r.ref()
    return v.Pause(ref, _join(r.rest()))


def read_dismiss(r: _Reader) -> v.Command:
    ref = r.ref()
    return v.Dismiss(ref, _join(r.rest()))


def read_priority(r: _Reader) -> v.Command:
    first = r.peek()
    if (
        first is not None
        and parse_priority(first.text)
        and len(r.tokens) > 1
        and parse_ticket(r.tokens[1].text)
    ):
        prio = r.priority()  # "priority P2 T-12"
        ref = r.ref()
    else:
        ref = r.ref()
        prio = r.priority()
    r.done(f"priority {ref} {prio}")
    return v.Priority(ref, prio)


def read_assign(r: _Reader) -> v.Command:
    ref = r.ref()
    example = f"`/sla assign {ref} @maria` (or `me`)"
    user, tok = r.expect(
        parse_user,
        f"`/sla assign` needs a person, e.g. {example}",
        lambda word: f"'{word}' is not a person — mention them, e.g. {example}",
    )
    r.done(f"assign {ref} {tok.text}")
    return v.Assign(ref, user)


def read_take(r: _Reader) -> v.Command:
    ref = r.ref()
    r.done(f"take {ref}")
    return v.Assign(ref, v.UserRef(me=True))


def read_contract(r: _Reader) -> v.Command:
    client = r.explicit_client()
    if client is None and r.peek() is not None:
        client = r.client(r.take().text)
    r.done("contract" + (f" {client}" if client else ""))
    return v.Contract(client)


def _period_and_client(r: _Reader) -> tuple[v.PeriodSpec | None, str | None]:
    period: v.PeriodSpec | None = None
    client: str | None = None
    while (tok := r.peek()) is not None:
        if (explicit := r.explicit_client()) is not None:
            if client is not None:
                raise r.fail(f"one client at a time: '{client}' and '{explicit}'")
            client = explicit
            continue
        r.take()
        low = tok.low
        if (
            low in ("last", "this")
            and (nxt := r.peek()) is not None
            and nxt.low in ("week", "month", "quarter")
        ):
            r.take()
            low = f"{low}-{nxt.low}"
        found = None if tok.quoted else parse_period(low)
        if isinstance(found, str):
            raise r.fail(found)
        if found is not None:
            if period is not None:
                raise r.fail(f"one period at a time: '{period.label}' and '{found.label}'")
            period = found
            continue
        if client is not None:
            raise r.fail(f"I understood the client '{client}' but not '{_shorten(tok.text)}' — {PERIOD_HINT}")
        client = r.client(tok.text)
    return period, client


#: the word that asks ``/sla report`` to post in the channel rather than answer the asker only
POST_WORDS = frozenset({"post"})


def read_report(r: _Reader) -> v.Command:
    post = False
    for tok in list(r.tokens):
        if not tok.quoted and tok.low in POST_WORDS and not r.is_known_client(tok.text) and not post:
            r.tokens.remove(tok)
            post = True
    period, client = _period_and_client(r)
    return v.Report(period, client, post=post)


def read_feedback(r: _Reader) -> v.Command:
    period, client = _period_and_client(r)
    return v.Feedback(client, period)


def read_review(r: _Reader) -> v.Command:
    period, client = _period_and_client(r)
    if client is None:
        raise r.fail(f"`/sla review` needs a client, e.g. `{r.example()}`")
    if period is not None and not period.is_quarter:
        raise r.fail(
            f"a review covers a quarter, not '{period.label}' — write `2026-Q4`, `quarter` or `last-quarter`"
        )
    return v.Review(client, period)


_INCIDENT_ACTIONS: dict[str, Literal["start", "resolve", "list", "maintenance", "credits"]] = {
    "start": "start",
    "open": "start",
    "begin": "start",
    "resolve": "resolve",
    "end": "resolve",
    "stop": "resolve",
    "close": "resolve",
    "list": "list",
    "ls": "list",
    "uptime": "list",
    "maintenance": "maintenance",
    "maint": "maintenance",
    "planned": "maintenance",
    "credits": "credits",
    "credit": "credits",
}


def read_incident(r: _Reader) -> v.Command:
    tok = r.peek()
    if tok is None or tok.low not in _INCIDENT_ACTIONS:
        what = f" — '{_shorten(tok.text)}' is not one" if tok else ""
        raise r.fail(
            f"`/sla incident` needs `start`, `resolve` or `list` (or `maintenance`, `credits`){what}"
        )
    r.take()
    action = _INCIDENT_ACTIONS[tok.low]
    if action in ("list", "credits"):
        period, client = _period_and_client(r)
        if period is not None and period.kind != "month":
            raise r.fail(
                f"uptime and credits are per calendar month, not '{period.label}' — "
                "write `2026-11`, `this-month` or `last-month`"
            )
        return v.Incident(action, client=client, period=period)
    if action == "maintenance":
        return read_maintenance(r)
    service_tok = r.peek()
    if service_tok is None:
        raise r.fail(
            f'`/sla incident {action}` needs a service, e.g. `/sla incident {action} "Platform support"`'
        )
    if action == "resolve" and not service_tok.quoted:
        return v.Incident("resolve", _join(r.rest()))
    r.take()
    service = service_tok.text.strip()
    if not service:
        raise r.fail(f"`/sla incident {action}` needs a service name, e.g. `/sla incident {action} api`")
    if action == "resolve":
        r.done(f'incident resolve "{service}"')
        return v.Incident("resolve", service)
    return v.Incident("start", service, _join(r.rest()))


def read_maintenance(r: _Reader) -> v.Command:
    """``maintenance <service…> <from>..<to> [reason…]``: the window token splits service from reason
    (``2026-12-05 02:00..04:00`` with a space is read too)."""
    tokens = r.rest()
    for i, tok in enumerate(tokens):
        if tok.quoted or ".." not in tok.text:
            continue
        text, first = tok.text, i
        if i > 0 and _WINDOW_END.match(text) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", tokens[i - 1].text):
            text, first = f"{tokens[i - 1].text}T{text}", i - 1
        found = parse_window(text)
        if found is None:
            continue
        if isinstance(found, str):
            raise r.fail(found)
        service = _join(tokens[:first])
        if service is None:
            raise r.fail(
                "`/sla incident maintenance` needs a service before the window, e.g. "
                '`/sla incident maintenance "Platform support" 2026-12-05T02:00..04:00`'
            )
        return v.Incident("maintenance", service, _join(tokens[i + 1 :]), window=found)
    raise r.fail(f"`/sla incident maintenance` needs a service and a window — {WINDOW_HINT}")


def read_link(r: _Reader) -> v.Command:
    tok = r.peek()
    channel = parse_channel(tok.text) if tok is not None else None
    if channel is None:
        what = f" — '{_shorten(tok.text)}' is not a channel" if tok is not None else ""
        raise r.fail(f"`/sla link` needs a channel first{what}, e.g. `{r.example()}`")
    r.take()
    client = r.explicit_client()
    if client is None:
        name = r.peek()
        if name is None:
            raise r.fail(f"`/sla link` needs a client after the channel, e.g. `{r.example()}`")
        client = r.client(r.take().text)
    r.done(f"link {tok.text if tok else ''} {client}")
    return v.Link(channel, client)


def read_admin(r: _Reader) -> v.Command:
    tok = r.peek()
    if tok is None or tok.low != "alerts":
        what = f" — '{_shorten(tok.text)}' is not one" if tok is not None else ""
        raise r.fail(f"`/sla admin` has one part: `alerts`{what}")
    r.take()
    return v.Admin("alerts", tuple(t.text for t in r.rest()))
