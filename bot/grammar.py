"""The ``/sla`` grammar: one parser for Slack's slash command and the terminal (``slabot cmd "status T-12"``).

``parse(text)`` never raises: it returns a typed, frozen :data:`Command` or a :class:`UsageError`
whose message is written for the person who typed the command (what was not understood, what
was probably meant, an example that works).

Text arrives as Slack sends it: mentions escaped (``<@U123|maria>``, ``<#C123|support>``,
``<!subteam^S123|@leads>``) and ``&``, ``<``, ``>`` typed by the user as ``&amp;``, ``&lt;``,
``&gt;``; free text (titles, reasons) is unescaped back. Quotes group words
(``incident start "Platform support" DNS down``); an unbalanced quote is taken literally.

Client keys are not part of the grammar; pass ``clients=`` (the contract book's keys) so that
``start P1 acme Printer on fire`` and ``status acme`` recognise ``acme``. Without it a client
is only recognised in the explicit ``client acme`` form (or where a command expects one).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from sla import periods
from sla.periods import Period

# --------------------------------------------------------------------------- values


@dataclass(frozen=True)
class UserRef:
    """A Slack user as typed: ``<@U123|maria>`` (id and name), ``@maria`` (name only), or ``me``."""

    user_id: str | None = None
    name: str | None = None
    me: bool = False


@dataclass(frozen=True)
class ChannelRef:
    """A channel as typed: ``<#C123|support>`` (id and name), ``<#C123>`` or ``#support`` (name only)."""

    channel_id: str | None = None
    name: str | None = None


@dataclass(frozen=True)
class PeriodSpec:
    """A reporting period as typed, checked by :func:`sla.periods.parse_period` (the one reading of
    periods). ``text`` is what to resolve later with :meth:`resolve` (``now`` and the client's zone
    decide what ``week`` means); ``label`` is the canonical form (``2026-W47``) or the word itself."""

    text: str
    label: str
    kind: str
    """``day`` / ``week`` / ``month`` / ``quarter`` / ``year`` / ``range`` (from ``sla.periods``)."""
    relative: bool
    """True for words such as ``week`` or ``last-month`` whose meaning depends on ``now``."""

    @property
    def is_quarter(self) -> bool:
        return self.kind == "quarter"

    def resolve(self, now: datetime, tz: ZoneInfo | str) -> Period:
        """The period as of ``now`` on the calendar of ``tz`` (raises ``sla.periods.PeriodError`` only if
        ``now`` pushes a date out of range)."""
        return periods.parse_period(self.text, now=now, tz=tz)


# --------------------------------------------------------------------------- status targets


@dataclass(frozen=True)
class DefaultTarget:
    """This channel's client, or my tickets in a DM."""


@dataclass(frozen=True)
class TicketTarget:
    ref: str


@dataclass(frozen=True)
class UserTarget:
    user: UserRef


@dataclass(frozen=True)
class ChannelTarget:
    channel: ChannelRef


@dataclass(frozen=True)
class ClientTarget:
    client: str


@dataclass(frozen=True)
class BreachedTarget:
    pass


@dataclass(frozen=True)
class AtRiskTarget:
    pass


@dataclass(frozen=True)
class MineTarget:
    pass


@dataclass(frozen=True)
class AllTarget:
    pass


StatusTarget = (
    DefaultTarget
    | TicketTarget
    | UserTarget
    | ChannelTarget
    | ClientTarget
    | BreachedTarget
    | AtRiskTarget
    | MineTarget
    | AllTarget
)

# --------------------------------------------------------------------------- commands


@dataclass(frozen=True)
class Help:
    topic: str | None = None


@dataclass(frozen=True)
class Status:
    target: StatusTarget = DefaultTarget()


@dataclass(frozen=True)
class Start:
    """``ref`` None: a new ticket gets the next ref. ``title`` None: take it from the message/thread."""

    ref: str | None = None
    priority: str | None = None
    client: str | None = None
    title: str | None = None


@dataclass(frozen=True)
class Reply:
    ref: str


@dataclass(frozen=True)
class Pause:
    ref: str
    reason: str | None = None


@dataclass(frozen=True)
class Resume:
    ref: str


@dataclass(frozen=True)
class Priority:
    ref: str
    priority: str


@dataclass(frozen=True)
class Assign:
    ref: str
    user: UserRef


@dataclass(frozen=True)
class Resolve:
    ref: str


@dataclass(frozen=True)
class Reopen:
    ref: str


@dataclass(frozen=True)
class Dismiss:
    """``dismiss T-12 [reason]``: not a request after all (no clock, no report, no credit)."""

    ref: str
    reason: str | None = None


@dataclass(frozen=True)
class Explain:
    ref: str


@dataclass(frozen=True)
class Contract:
    client: str | None = None


@dataclass(frozen=True)
class Report:
    period: PeriodSpec | None = None
    client: str | None = None


@dataclass(frozen=True)
class Review:
    client: str
    quarter: PeriodSpec | None = None


@dataclass(frozen=True)
class Feedback:
    client: str | None = None
    period: PeriodSpec | None = None


@dataclass(frozen=True)
class MaintenanceSpec:
    """A planned-maintenance window as typed: ``2026-12-05T02:00..04:00`` (``end`` after ``start``).

    Naive datetimes are wall-clock times of the service's client (the use case resolves them);
    ``Z`` or an offset (``+01:00``) makes them absolute."""

    start: datetime
    end: datetime


@dataclass(frozen=True)
class Incident:
    """``incident start|resolve|maintenance <service> …``, ``incident list|credits [client] [month]``."""

    action: Literal["start", "resolve", "list", "maintenance", "credits"]
    service: str | None = None
    reason: str | None = None
    client: str | None = None
    period: PeriodSpec | None = None
    window: MaintenanceSpec | None = None


@dataclass(frozen=True)
class Link:
    channel: ChannelRef
    client: str


@dataclass(frozen=True)
class Admin:
    sub: Literal["alerts"]
    args: tuple[str, ...] = ()


Command = (
    Help
    | Status
    | Start
    | Reply
    | Pause
    | Resume
    | Priority
    | Assign
    | Resolve
    | Reopen
    | Dismiss
    | Explain
    | Contract
    | Report
    | Review
    | Feedback
    | Incident
    | Link
    | Admin
)


@dataclass(frozen=True)
class UsageError:
    """What went wrong, for the person who typed it, and the usage of the command concerned."""

    message: str
    usage: str

    @property
    def text(self) -> str:
        return f"{self.message}\n{self.usage}" if self.usage else self.message


# --------------------------------------------------------------------------- help


@dataclass(frozen=True)
class CommandHelp:
    name: str
    usage: str
    summary: str
    examples: tuple[str, ...]


COMMAND_HELP: tuple[CommandHelp, ...] = (
    CommandHelp("help", "/sla help [command]", "this list, or how to use one command", ("/sla help status",)),
    CommandHelp(
        "status",
        "/sla status [T-12 | @user | #channel | client acme | breached | at-risk | mine | all]",
        "open tickets with their countdowns (this channel's client, or yours in a DM)",
        ("/sla status", "/sla status T-12", "/sla status breached", "/sla status client acme"),
    ),
    CommandHelp(
        "start",
        "/sla start [T-12] [P1] [client] [title…]",
        "start the SLA clocks on a ticket (a new one gets the next number)",
        ("/sla start P1 acme Printer on fire", "/sla start T-12 P2"),
    ),
    CommandHelp("reply", "/sla reply T-12", "record a response to the client", ("/sla reply T-12",)),
    CommandHelp(
        "pause",
        "/sla pause T-12 [reason]",
        "stop the clocks while waiting on the client",
        ("/sla pause T-12 waiting for logs",),
    ),
    CommandHelp("resume", "/sla resume T-12", "restart paused clocks", ("/sla resume T-12",)),
    CommandHelp(
        "priority",
        "/sla priority T-12 P2",
        "change a ticket's priority (P1 most urgent)",
        ("/sla priority T-12 P2",),
    ),
    CommandHelp(
        "assign",
        "/sla assign T-12 @user",
        "give a ticket to an agent",
        ("/sla assign T-12 @maria", "/sla assign T-12 me"),
    ),
    CommandHelp("take", "/sla take T-12", "assign a ticket to yourself", ("/sla take T-12",)),
    CommandHelp(
        "resolve", "/sla resolve T-12", "resolve a ticket (stops its clocks)", ("/sla resolve T-12",)
    ),
    CommandHelp("reopen", "/sla reopen T-12", "reopen a resolved ticket", ("/sla reopen T-12",)),
    CommandHelp(
        "dismiss",
        "/sla dismiss T-12 [reason]",
        "not a ticket after all: cancels its clocks, leaves every report and credit",
        ("/sla dismiss T-12 just a thank-you",),
    ),
    CommandHelp(
        "explain",
        "/sla explain T-12",
        "why the clocks stand where they do, event by event",
        ("/sla explain T-12",),
    ),
    CommandHelp("contract", "/sla contract [client]", "the contract in plain words", ("/sla contract acme",)),
    CommandHelp(
        "report",
        "/sla report [week | month | last-week | quarter | 2026-11 | 2026-W47 | 2026-Q4 | 2026-11-01..2026-11-30] [client]",
        "compliance, breaches, feedback and credits for a period",
        ("/sla report last-week", "/sla report 2026-11 acme"),
    ),
    CommandHelp(
        "review",
        "/sla review <client> [2026-Q4 | quarter | last-quarter]",
        "the SLA review: targets against actuals, with recommendations",
        ("/sla review acme 2026-Q4",),
    ),
    CommandHelp(
        "feedback",
        "/sla feedback [client] [period]",
        "CSAT, NPS and sentiment of client feedback",
        ("/sla feedback acme month",),
    ),
    CommandHelp(
        "incident",
        "/sla incident start <service> [reason] | resolve <service> | maintenance <service> <from>..<to> [reason]"
        " | list [client] [month] | credits [client] [month]",
        "downtime of a covered service, planned maintenance, monthly uptime and service credits",
        (
            '/sla incident start "Platform support" DNS outage',
            "/sla incident resolve api",
            '/sla incident maintenance "Platform support" 2026-12-05T02:00..04:00 database upgrade',
            "/sla incident list",
            "/sla incident credits acme last-month",
        ),
    ),
    CommandHelp(
        "link",
        "/sla link #channel <client>",
        "make a channel a client's support channel (admins)",
        ("/sla link #acme-support acme",),
    ),
    CommandHelp(
        "admin", "/sla admin alerts", "alerts that could not be delivered (admins)", ("/sla admin alerts",)
    ),
)

_HELP_BY_NAME = {h.name: h for h in COMMAND_HELP}
COMMAND_NAMES: tuple[str, ...] = tuple(h.name for h in COMMAND_HELP)
ALIASES: dict[str, str] = {"?": "help", "unpause": "resume", "prio": "priority", "track": "start"}

HELP_TEXT: str = "\n".join(
    ["*/sla* — SLA clocks for your support tickets", ""]
    + [f"`{h.usage}` — {h.summary}" for h in COMMAND_HELP]
)


def usage(command: str) -> str:
    """``Usage: `/sla pause T-12 [reason]` — e.g. `/sla pause T-12 waiting for logs``` (unknown: the command list)."""
    h = _HELP_BY_NAME.get(ALIASES.get(command, command))
    if h is None:
        return "Commands: " + ", ".join(f"`{n}`" for n in COMMAND_NAMES) + " — `/sla help` explains them."
    return f"Usage: `{h.usage}` — e.g. `{h.examples[0]}`"


def help_for(command: str) -> CommandHelp | None:
    return _HELP_BY_NAME.get(ALIASES.get(command, command))


# --------------------------------------------------------------------------- tokens


@dataclass(frozen=True)
class Token:
    text: str
    quoted: bool = False
    #: a Slack entity as Slack sent it (``<@U1|ana>``, ``<#C1>``, ``<!here>``, ``<https://x|y>``)
    entity: bool = False

    @property
    def low(self) -> str:
        return self.text.lower()


_QUOTES = {'"': '"', "'": "'", "“": "”", "‘": "’", "«": "»", "„": "“"}


def tokenize(text: str) -> list[Token]:
    """Split on whitespace; quotes group words; ``<…>`` Slack entities stay whole. Never raises."""
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
            continue
        if ch in _QUOTES:
            close = text.find(_QUOTES[ch], i + 1)
            if close == -1 and ch == "“":
                close = text.find("“", i + 1)
            if close != -1:
                tokens.append(Token(_unescape(text[i + 1 : close]), quoted=True))
                i = close + 1
                continue
        if ch == "<":
            close = text.find(">", i + 1)
            if close != -1 and not any(c.isspace() and c != " " for c in text[i:close]):
                tokens.append(Token(text[i : close + 1], entity=True))
                i = close + 1
                continue
        j = i
        while j < n and not text[j].isspace():
            j += 1
        tokens.append(Token(_unescape(text[i:j])))
        i = j
    return tokens


def _unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _join(tokens: list[Token]) -> str | None:
    """Free text (a title, a reason) as a person reads it: a mention is its name, never a live entity."""
    joined = " ".join(_words_of(t.text) if t.entity else t.text for t in tokens).strip()
    return joined or None


def _words_of(entity: str) -> str:
    """``<@U1|ana>`` → ``@ana``, ``<#C1|support>`` → ``#support``, ``<!here>`` → ``@here``,
    ``<https://x|docs>`` → ``docs (https://x)``."""
    target, _, label = entity[1:-1].partition("|")
    if target[:1] in ("@", "#"):
        return target[0] + (label.lstrip(target[0]) or target[1:])
    if target.startswith("!"):
        return "@" + (label.lstrip("@") or target[1:].split("^")[-1])
    return f"{label} ({target})" if label and label not in target else target


# --------------------------------------------------------------------------- small readers

_REF = re.compile(r"(?:t-?|#)?0*([1-9][0-9]{0,8})", re.IGNORECASE | re.ASCII)
_PRIORITY = re.compile(r"p([1-9])", re.IGNORECASE | re.ASCII)
_PRIORITYISH = re.compile(r"p-?[0-9]+", re.IGNORECASE | re.ASCII)
_USER = re.compile(r"<@([UW][A-Z0-9]+)(?:\|([^>]*))?>", re.ASCII)
_CHANNEL = re.compile(r"<#([CGD][A-Z0-9]+)(?:\|([^>]*))?>", re.ASCII)
_AT_NAME = re.compile(r"@([\w.\-]+)")
_HASH_NAME = re.compile(r"#([\w\-]+)")

PRIORITY_HINT = "priorities are written `P1` (most urgent) to `P9`"


def parse_ticket_ref(text: str) -> str | None:
    """``T-12``, ``t-12``, ``T12``, ``#12`` or ``12`` → ``"T-12"``; anything else → None."""
    m = _REF.fullmatch(text.strip())
    return f"T-{m.group(1)}" if m else None


def parse_priority(text: str) -> str | None:
    m = _PRIORITY.fullmatch(text.strip())
    return f"P{m.group(1)}" if m else None


def _looks_like_priority(text: str) -> bool:
    return bool(_PRIORITYISH.fullmatch(text)) or text.lower() in (
        "urgent",
        "high",
        "medium",
        "normal",
        "low",
        "critical",
    )


def parse_user(text: str) -> UserRef | None:
    """``<@U123>``, ``<@U123|maria>``, ``@maria`` or ``me``."""
    if m := _USER.fullmatch(text):
        return UserRef(user_id=m.group(1), name=(m.group(2) or None))
    if m := _AT_NAME.fullmatch(text):
        return UserRef(name=m.group(1))
    if text.lower() == "me":
        return UserRef(me=True)
    return None


def parse_channel(text: str) -> ChannelRef | None:
    """``<#C123|support>``, ``<#C123>`` or ``#support`` (not ``#12``: that is a ticket)."""
    if m := _CHANNEL.fullmatch(text):
        return ChannelRef(channel_id=m.group(1), name=(m.group(2) or None))
    if (m := _HASH_NAME.fullmatch(text)) and not text[1:].isdigit():
        return ChannelRef(name=m.group(1))
    return None


PERIOD_HINT = (
    "periods are `week`, `month`, `quarter` (the last complete one), `this-week`, `last-month`, "
    "`2026-11`, `2026-W47`, `2026-Q4`, `2026` or `2026-11-01..2026-11-30`"
)
_PERIOD_SHAPE = re.compile(r"[0-9]{4}(?:[-.].*)?", re.ASCII)
_PERIOD_WHY = re.compile(r"not a period: .*? \((.+)\) — ")
_PROBE_NOWS = (datetime(2001, 6, 15, 12, tzinfo=UTC), datetime(2003, 2, 10, 12, tzinfo=UTC))


def parse_period(text: str) -> PeriodSpec | str | None:
    """A period (checked with ``sla.periods``), an error message when it looks like a period but is
    not a valid one, or None when it is not period-like at all (e.g. a client's name)."""
    low = text.strip().lower().replace("_", "-")
    try:
        first = periods.parse_period(low, now=_PROBE_NOWS[0], tz="UTC")
        second = periods.parse_period(low, now=_PROBE_NOWS[1], tz="UTC")
    except (ValueError, OverflowError) as exc:
        if _PERIOD_SHAPE.fullmatch(low):
            found = _PERIOD_WHY.match(str(exc)) if isinstance(exc, periods.PeriodError) else None
            why = (
                f": {found.group(1)}"
                if found
                else ("" if isinstance(exc, periods.PeriodError) else ": out of range")
            )
            return f"'{_shorten(text)}' is not a period{why} — {PERIOD_HINT}"
        return None
    relative = first.start != second.start
    return PeriodSpec(text=low, label=low if relative else first.label, kind=first.kind, relative=relative)


# --------------------------------------------------------------------------- parser


class _Fail(Exception):
    """Internal: carries a UsageError out of a command reader; never escapes :func:`parse`."""

    def __init__(self, error: UsageError) -> None:
        self.error = error


class _Reader:
    def __init__(self, command: str, tokens: list[Token], clients: Collection[str] | None) -> None:
        self.command = command
        self.tokens = tokens
        self.clients = None if clients is None else {c.lower(): c for c in clients}

    # -- failures
    def fail(self, message: str) -> _Fail:
        return _Fail(UsageError(message, usage(self.command)))

    def example(self) -> str:
        h = help_for(self.command)
        return h.examples[0] if h else f"/sla {self.command}"

    # -- cursor
    def peek(self) -> Token | None:
        return self.tokens[0] if self.tokens else None

    def take(self) -> Token:
        return self.tokens.pop(0)

    def rest(self) -> list[Token]:
        rest, self.tokens = self.tokens, []
        return rest

    def done(self, understood: str) -> None:
        if self.tokens:
            extra = " ".join(t.text for t in self.tokens)
            raise self.fail(f"I understood `{understood}` but not '{_shorten(extra)}' after it.")

    # -- pieces
    def ref(self) -> str:
        tok = self.peek()
        if tok is None:
            raise self.fail(f"`/sla {self.command}` needs a ticket, e.g. `{self.example()}`")
        ref = parse_ticket_ref(tok.text)
        if ref is None:
            raise self.fail(
                f"`/sla {self.command}` needs a ticket first, and '{_shorten(tok.text)}' is not one — "
                f"tickets look like `T-12`, e.g. `{self.example()}`"
            )
        self.take()
        return ref

    def priority(self) -> str:
        tok = self.peek()
        if tok is None:
            raise self.fail(
                f"`/sla {self.command}` needs a priority — {PRIORITY_HINT}, e.g. `{self.example()}`"
            )
        prio = parse_priority(tok.text)
        if prio is None:
            raise self.fail(
                f"'{_shorten(tok.text)}' is not a priority — {PRIORITY_HINT}, e.g. `{self.example()}`"
            )
        self.take()
        return prio

    def client(self, text: str) -> str:
        """Canonical client key for ``text`` (checked against the known clients when given)."""
        if self.clients is None:
            return text
        key = self.clients.get(text.lower())
        if key is None:
            raise self.fail(_unknown("client", text, list(self.clients.values())))
        return key

    def is_known_client(self, text: str) -> bool:
        return self.clients is not None and text.lower() in self.clients

    def explicit_client(self) -> str | None:
        """``client acme`` (or ``client:acme``) at the cursor."""
        tok = self.peek()
        if tok is None or tok.quoted:
            return None
        if tok.low.startswith("client:") and len(tok.text) > 7:
            self.take()
            return self.client(tok.text[7:])
        if tok.low in ("client", "customer"):
            self.take()
            name = self.peek()
            if name is None:
                raise self.fail(f"'client' needs a client's name, e.g. `/sla {self.command} client acme`")
            self.take()
            return self.client(name.text)
        return None


def _shorten(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def suggest(word: str, known: Collection[str]) -> str | None:
    """The closest of ``known`` to ``word`` (a unique prefix wins over spelling similarity), or None."""
    low = word.lower()
    by_low = {k.lower(): k for k in known}
    if len(low) >= 2:
        prefixed = [k for k in by_low if k.startswith(low)]
        if len(prefixed) == 1:
            return by_low[prefixed[0]]
    near = difflib.get_close_matches(low, list(by_low), n=1, cutoff=0.6)
    return by_low[near[0]] if near else None


def _unknown(kind: str, word: str, known: list[str]) -> str:
    near = suggest(word, known)
    hint = f" — did you mean '{near}'?" if near else ""
    listing = ", ".join(f"`{k}`" for k in sorted(known)[:20])
    return f"I don't know the {kind} '{_shorten(word)}'{hint}" + (f" Known: {listing}." if known else "")


def parse(text: str, *, clients: Collection[str] | None = None) -> Command | UsageError:
    """Parse the text after ``/sla`` (or after ``slabot cmd``) into a command or a usage error."""
    tokens = tokenize(text if isinstance(text, str) else "")
    if not tokens:
        return Help()
    head = tokens[0]
    word = head.low.lstrip("/")
    if word == "sla" and len(tokens) > 1:  # "/sla status" pasted whole
        tokens = tokens[1:]
        head = tokens[0]
        word = head.low
    name = ALIASES.get(word, word)
    args = tokens[1:]
    if name not in _READERS:
        if parse_ticket_ref(head.text) is not None and len(tokens) == 1:
            return Status(TicketTarget(parse_ticket_ref(head.text) or ""))
        near = suggest(word, COMMAND_NAMES)
        hint = f" — did you mean '{near}'?" if near else "."
        return UsageError(f"I don't know '{_shorten(head.text, 40)}'{hint}", usage(""))
    reader = _Reader(name, args, clients)
    try:
        return _READERS[name](reader)
    except _Fail as fail:
        return fail.error


def _read_help(r: _Reader) -> Command:
    tok = r.peek()
    if tok is None:
        return Help()
    r.take()
    topic = ALIASES.get(tok.low, tok.low)
    if topic not in _HELP_BY_NAME:
        raise r.fail(_unknown("command", tok.text, list(COMMAND_NAMES)))
    r.done(f"help {topic}")
    return Help(topic)


_BREACHED_WORDS = {"breached", "breach", "breaches", "late", "overdue"}
_AT_RISK_WORDS = {"at-risk", "atrisk", "at_risk", "risk", "risky"}
_STATUS_WORDS = ["breached", "at-risk", "mine", "all", "client"]


def _read_status(r: _Reader) -> Command:
    tok = r.peek()
    if tok is None:
        return Status(DefaultTarget())
    if (client := r.explicit_client()) is not None:
        r.done(f"status client {client}")
        return Status(ClientTarget(client))
    r.take()
    low = tok.low
    target: StatusTarget
    if tok.quoted:
        target = ClientTarget(r.client(tok.text))
    elif (ref := parse_ticket_ref(tok.text)) is not None:
        target = TicketTarget(ref)
    elif low in _BREACHED_WORDS:
        target = BreachedTarget()
    elif low in _AT_RISK_WORDS:
        target = AtRiskTarget()
    elif low == "at" and (nxt := r.peek()) is not None and nxt.low == "risk":
        r.take()
        target = AtRiskTarget()
    elif low in ("mine", "me", "my"):
        target = MineTarget()
    elif low in ("all", "everything", "open"):
        target = AllTarget()
    elif (user := parse_user(tok.text)) is not None:
        target = UserTarget(user)
    elif (channel := parse_channel(tok.text)) is not None:
        target = ChannelTarget(channel)
    elif r.is_known_client(tok.text):
        target = ClientTarget(r.client(tok.text))
    else:
        known = _STATUS_WORDS + (list(r.clients.values()) if r.clients else [])
        near = suggest(low, known)
        hint = f" — did you mean '{near}'?" if near else ""
        raise r.fail(
            f"I don't know what '{_shorten(tok.text)}' is{hint or '.'} `/sla status` takes a ticket (`T-12`), "
            "a person (`@maria`), a channel (`#support`), `client acme`, `breached`, `at-risk`, `mine` or `all`."
        )
    r.done(f"status {tok.text}")
    return Status(target)


def _read_start(r: _Reader) -> Command:
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
    return Start(ref=ref, priority=prio, client=client, title=_join(r.rest()))


_CommandReader = Callable[["_Reader"], Command]


def _ref_only(cls: type[Reply | Resume | Resolve | Reopen | Explain]) -> _CommandReader:
    def read(r: _Reader) -> Command:
        ref = r.ref()
        r.done(f"{r.command} {ref}")
        return cls(ref)

    return read


def _read_pause(r: _Reader) -> Command:
    ref = r.ref()
    return Pause(ref, _join(r.rest()))


def _read_dismiss(r: _Reader) -> Command:
    ref = r.ref()
    return Dismiss(ref, _join(r.rest()))


def _read_priority(r: _Reader) -> Command:
    first = r.peek()
    if (
        first is not None
        and parse_priority(first.text)
        and len(r.tokens) > 1
        and parse_ticket_ref(r.tokens[1].text)
    ):
        prio = r.priority()  # "priority P2 T-12"
        ref = r.ref()
    else:
        ref = r.ref()
        prio = r.priority()
    r.done(f"priority {ref} {prio}")
    return Priority(ref, prio)


def _read_assign(r: _Reader) -> Command:
    ref = r.ref()
    tok = r.peek()
    if tok is None:
        raise r.fail(f"`/sla assign` needs a person, e.g. `/sla assign {ref} @maria` (or `me`)")
    user = parse_user(tok.text)
    if user is None:
        raise r.fail(
            f"'{_shorten(tok.text)}' is not a person — mention them, e.g. `/sla assign {ref} @maria` (or `me`)"
        )
    r.take()
    r.done(f"assign {ref} {tok.text}")
    return Assign(ref, user)


def _read_take(r: _Reader) -> Command:
    ref = r.ref()
    r.done(f"take {ref}")
    return Assign(ref, UserRef(me=True))


def _read_contract(r: _Reader) -> Command:
    client = r.explicit_client()
    if client is None and r.peek() is not None:
        client = r.client(r.take().text)
    r.done("contract" + (f" {client}" if client else ""))
    return Contract(client)


def _period_and_client(r: _Reader) -> tuple[PeriodSpec | None, str | None]:
    period: PeriodSpec | None = None
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


def _read_report(r: _Reader) -> Command:
    period, client = _period_and_client(r)
    return Report(period, client)


def _read_feedback(r: _Reader) -> Command:
    period, client = _period_and_client(r)
    return Feedback(client, period)


def _read_review(r: _Reader) -> Command:
    period, client = _period_and_client(r)
    if client is None:
        raise r.fail(f"`/sla review` needs a client, e.g. `{r.example()}`")
    if period is not None and not period.is_quarter:
        raise r.fail(
            f"a review covers a quarter, not '{period.label}' — write `2026-Q4`, `quarter` or `last-quarter`"
        )
    return Review(client, period)


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


def _read_incident(r: _Reader) -> Command:
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
        return Incident(action, client=client, period=period)
    if action == "maintenance":
        return _read_maintenance(r)
    service_tok = r.peek()
    if service_tok is None:
        raise r.fail(
            f'`/sla incident {action}` needs a service, e.g. `/sla incident {action} "Platform support"`'
        )
    if action == "resolve" and not service_tok.quoted:
        return Incident("resolve", _join(r.rest()))
    r.take()
    service = service_tok.text.strip()
    if not service:
        raise r.fail(f"`/sla incident {action}` needs a service name, e.g. `/sla incident {action} api`")
    if action == "resolve":
        r.done(f'incident resolve "{service}"')
        return Incident("resolve", service)
    return Incident("start", service, _join(r.rest()))


_WINDOW_START = re.compile(
    r"(\d{4}-\d{2}-\d{2})[t ](\d{1,2}:\d{2})(z|[+-]\d{2}:?\d{2})?", re.IGNORECASE | re.ASCII
)
_WINDOW_END = re.compile(
    r"(?:(\d{4}-\d{2}-\d{2})[t ])?(\d{1,2}:\d{2})(z|[+-]\d{2}:?\d{2})?", re.IGNORECASE | re.ASCII
)
WINDOW_HINT = (
    "write the window as `2026-12-05T02:00..04:00` or `2026-12-05T22:00..2026-12-06T02:00` "
    "(times of the client's zone; add `Z` or `+01:00` for another)"
)


def _when(day: str, clock: str, zone: str | None) -> datetime:
    hour, minute = clock.split(":")
    text = f"{day}T{int(hour):02d}:{minute}"
    if zone:
        text += "+00:00" if zone.lower() == "z" else zone
    return datetime.fromisoformat(text)


def parse_window(text: str) -> MaintenanceSpec | str | None:
    """``<from>..<to>`` → a window; an error message when it looks like one but is not valid; None
    when it is not window-like. A time-only end is on the start's date (the next day if earlier)
    and takes the start's offset."""
    left, sep, right = text.strip().partition("..")
    if not sep or not left[:4].isdigit():
        return None
    a = _WINDOW_START.fullmatch(left)
    b = _WINDOW_END.fullmatch(right)
    if a is None or b is None:
        return f"'{_shorten(text)}' is not a maintenance window — {WINDOW_HINT}"
    try:
        start = _when(a.group(1), a.group(2), a.group(3))
        end = _when(b.group(1) or a.group(1), b.group(2), b.group(3) or a.group(3))
    except ValueError:
        return f"'{_shorten(text)}' is not a real date and time — {WINDOW_HINT}"
    if (start.tzinfo is None) != (end.tzinfo is None):
        return f"'{_shorten(text)}': give an offset on both ends or on neither — {WINDOW_HINT}"
    if b.group(1) is None and end <= start:
        end += timedelta(days=1)
    if end <= start:
        return f"'{_shorten(text)}': the window ends before it starts — {WINDOW_HINT}"
    return MaintenanceSpec(start, end)


def _read_maintenance(r: _Reader) -> Command:
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
        return Incident("maintenance", service, _join(tokens[i + 1 :]), window=found)
    raise r.fail(f"`/sla incident maintenance` needs a service and a window — {WINDOW_HINT}")


def _read_link(r: _Reader) -> Command:
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
    return Link(channel, client)


def _read_admin(r: _Reader) -> Command:
    tok = r.peek()
    if tok is None or tok.low != "alerts":
        what = f" — '{_shorten(tok.text)}' is not one" if tok is not None else ""
        raise r.fail(f"`/sla admin` has one part: `alerts`{what}")
    r.take()
    return Admin("alerts", tuple(t.text for t in r.rest()))


_READERS = {
    "help": _read_help,
    "status": _read_status,
    "start": _read_start,
    "reply": _ref_only(Reply),
    "pause": _read_pause,
    "resume": _ref_only(Resume),
    "priority": _read_priority,
    "assign": _read_assign,
    "take": _read_take,
    "resolve": _ref_only(Resolve),
    "reopen": _ref_only(Reopen),
    "dismiss": _read_dismiss,
    "explain": _ref_only(Explain),
    "contract": _read_contract,
    "report": _read_report,
    "review": _read_review,
    "feedback": _read_feedback,
    "incident": _read_incident,
    "link": _read_link,
    "admin": _read_admin,
}
