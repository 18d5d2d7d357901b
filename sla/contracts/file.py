"""The contract file as written: YAML with line numbers, the schema, and issues that point at a line.

``sla.contracts.build`` turns what this module validates into the domain objects (``ContractBook``,
``ContractVersion``, ...). This module knows the *file*: how it is read (PyYAML's node API,
so that every key and list item keeps the line it was written on), which keys exist
(pydantic models with ``extra="forbid"``, so a typo is an error with a suggestion), how
values such as ``15m``, ``95%`` or ``"15m before"`` are read (``sla.contracts.values``), and how
any problem is reported: ``file:line: path: message — hint``.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Annotated, Any, Literal, get_args, get_origin

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    WithJsonSchema,
    field_serializer,
    field_validator,
    model_serializer,
    model_validator,
)

from sla.contracts.values import (
    DURATION_SCHEMA,
    AwareTimestamp,
    Cadence,
    Duration,
    Fraction,
    Money,
    Name,
    PauseOn,
    Percent,
    SlackId,
    ThresholdText,
    TimezoneName,
    hours_form,
    pause_on_file_form,
    read_duration,
    value_kind,
)
from sla.metrics import Metric, TicketStatus
from sla.quiet_hours import parse_span

PathPart = str | int
KeyPath = tuple[PathPart, ...]
Severity = Literal["error", "warning"]

#: Statuses every contract knows; ``statuses:`` in a version adds more.
BASE_STATUSES: tuple[str, ...] = tuple(s for s in TicketStatus if s is not TicketStatus.DISMISSED)
#: The calendar name that needs no definition: around the clock, UTC.
BUILTIN_24X7 = "24x7"


# --------------------------------------------------------------------------- issues


def format_path(path: Iterable[PathPart]) -> str:
    """``("contracts", "gold", "versions", 0, "targets")`` -> ``contracts.gold.versions[0].targets``."""
    out = ""
    for part in path:
        if isinstance(part, int) and not isinstance(part, bool):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


@dataclass(frozen=True)
class ConfigIssue:
    """One problem (or SMART warning) in a contract file, pointing at the line to fix."""

    file: str
    line: int | None
    path: str
    message: str
    hint: str | None = None
    severity: Severity = "error"

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        text = f"{where}: {self.path}: {self.message}"
        return f"{text} — {self.hint}" if self.hint else text


class ContractFileError(ValueError):
    """The contract file is invalid; ``errors`` lists every problem found, in file order."""

    def __init__(self, errors: list[ConfigIssue]) -> None:
        self.errors = list(errors)
        super().__init__("\n".join(str(e) for e in self.errors))


def did_you_mean(word: object, choices: Iterable[str]) -> str | None:
    """``"did you mean 'calendar'?"`` when ``word`` is close to one of ``choices``."""
    options = [c for c in choices if isinstance(c, str)]
    match = difflib.get_close_matches(str(word), options, n=1, cutoff=0.6)
    return f"did you mean '{match[0]}'?" if match else None


def suggestion(word: object, choices: Iterable[str], what: str) -> str:
    """A hint: the closest choice, or else the list of what exists."""
    options = sorted({c for c in choices if isinstance(c, str)})
    close = did_you_mean(word, options)
    if close:
        return close
    if not options:
        return f"there are no {what}"
    return f"{what}: " + ", ".join(options)


def split_hint(message: str) -> tuple[str, str | None]:
    """Split ``"not a duration: 'x' — write 15m"`` into message and hint."""
    head, sep, tail = message.partition(" — ")
    return (head.strip(), tail.strip() or None) if sep else (message.strip(), None)


# --------------------------------------------------------------------------- YAML with lines


@dataclass(frozen=True)
class YamlDocument:
    """The parsed file: its data, and the line of every mapping key and list item."""

    filename: str
    data: Any
    lines: Mapping[KeyPath, int] = field(repr=False)

    def line_of(self, path: Sequence[PathPart]) -> int:
        """The line of ``path``, or of its nearest recorded ancestor (1 for the top level)."""
        p = tuple(path)
        while p:
            line = self.lines.get(p)
            if line is not None:
                return line
            p = p[:-1]
        return self.lines.get((), 1)

    def value_at(self, path: Sequence[PathPart]) -> Any:
        """The raw value at ``path`` (``None`` when absent)."""
        node = self.data
        for part in path:
            in_mapping = isinstance(node, Mapping) and part in node
            in_list = isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
            if in_mapping or in_list:
                node = node[part]
            else:
                return None
        return node

    def issue(
        self,
        path: Sequence[PathPart],
        message: str,
        hint: str | None = None,
        severity: Severity = "error",
    ) -> ConfigIssue:
        return ConfigIssue(self.filename, self.line_of(path), format_path(path), message, hint, severity)


#: A contract file is read whole at start-up and by ``slabot contracts check`` in CI (pull requests):
#: these bounds keep a hostile or broken file from taking the process down (a 391-byte file of nested
#: aliases once took 12.5 s and 1.1 GB; 20,000 levels of brackets crashed the YAML composer).
MAX_CONTRACT_FILE_BYTES = 1_000_000
#: mappings and lists inside each other (the example file needs 7)
MAX_NESTING = 64
#: nodes the document holds once every alias is expanded (the example file: about 1,000)
MAX_EXPANDED_NODES = 200_000


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader, but no value crashes it: a timestamp that is no date (``2026-13-01``,
    ``2026-02-30``) stays text, for the schema to report with its line; any other value a constructor
    cannot build is a YAML error at that value's line."""

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep=deep)
        except yaml.MarkedYAMLError:
            raise
        except (ValueError, TypeError, AttributeError, OverflowError, ArithmeticError) as exc:
            raise yaml.constructor.ConstructorError(
                None, None, f"cannot read the value {node.value!r}: {exc}", node.start_mark
            ) from None

    def construct_lenient_timestamp(self, node: yaml.ScalarNode) -> Any:
        try:
            return self.construct_yaml_timestamp(node)
        except (ValueError, OverflowError, AttributeError):  # AttributeError: `!!timestamp nope`
            return self.construct_scalar(node)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_lenient_timestamp)


def read_yaml(text: str, filename: str = "<string>") -> tuple[YamlDocument | None, list[ConfigIssue]]:
    """Parse YAML, recording lines; returns the document (None if unreadable) and any problems.

    Duplicate keys are problems (PyYAML would silently keep the last one); the document is
    still returned so that the rest of the file can be checked too. A file larger than
    :data:`MAX_CONTRACT_FILE_BYTES`, nested deeper than :data:`MAX_NESTING` or whose aliases expand
    beyond :data:`MAX_EXPANDED_NODES` nodes (or into themselves) is refused before it is built,
    with one line naming where.
    """
    refused = _refuse_unbounded(text, filename)
    if refused is not None:
        return None, [refused]
    loader = _Loader(text)
    issues: list[ConfigIssue] = []
    try:
        node = loader.get_single_node()
        if node is not None:
            refused = _alias_budget(node, filename)
            if refused is not None:
                return None, [refused]
        if node is None:
            return None, [
                ConfigIssue(
                    filename,
                    1,
                    format_path(()),
                    "the file is empty",
                    "start from examples/contracts.yaml: agents, calendars, clients and contracts",
                )
            ]
        lines: dict[KeyPath, int] = {(): node.start_mark.line + 1}
        _record(loader, node, (), lines, issues, filename)
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        problem = " ".join(p for p in (exc.context, exc.problem) if p) or "cannot read the YAML"
        hint = "check the indentation, colons and quotes on this line and the one before it"
        source_lines = text.splitlines()
        if 0 < line <= len(source_lines) and "\t" in source_lines[line - 1]:
            hint = "YAML does not allow tabs for indentation — use spaces"
        return None, [ConfigIssue(filename, line, "(YAML)", f"YAML syntax error: {problem}", hint)]
    except yaml.YAMLError as exc:  # pragma: no cover - PyYAML reports almost everything with a mark
        return None, [ConfigIssue(filename, 1, "(YAML)", f"YAML syntax error: {exc}", None)]
    finally:
        loader.dispose()
    return YamlDocument(filename, data, lines), issues


def _refuse_unbounded(text: str, filename: str) -> ConfigIssue | None:
    """The size and nesting limits, checked on the event stream (PyYAML's composer recurses per level)."""
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_CONTRACT_FILE_BYTES:
        return ConfigIssue(
            filename,
            1,
            "(file)",
            f"the file is {size:,} bytes; a contract file may have at most {MAX_CONTRACT_FILE_BYTES:,}",
            "split out what is not contracts, calendars, clients and agents",
        )
    depth = 0
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_NESTING:
                    return ConfigIssue(
                        filename,
                        event.start_mark.line + 1,
                        "(YAML)",
                        f"nested more than {MAX_NESTING} levels deep",
                        "a contract file needs far fewer levels — check the brackets on this line",
                    )
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except yaml.YAMLError:
        return None  # a syntax error: read_yaml reports it with its line
    return None


def _alias_budget(root: yaml.Node, filename: str) -> ConfigIssue | None:
    """Refuse aliases that expand (e.g. "billion laughs") past :data:`MAX_EXPANDED_NODES` or into
    themselves; linear in the file's size (each distinct node is counted once, memoised)."""
    sizes: dict[int, int] = {}
    in_progress: set[int] = set()

    def children(node: yaml.Node) -> list[yaml.Node]:
        if isinstance(node, yaml.MappingNode):
            return [part for pair in node.value for part in pair]
        if isinstance(node, yaml.SequenceNode):
            return list(node.value)
        return []

    # iterative post-order walk (the nesting limit bounds the depth, but a stack costs nothing)
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        key = id(node)
        if expanded:
            in_progress.discard(key)
            total = 1 + sum(sizes[id(child)] for child in children(node))
            sizes[key] = total
            if total > MAX_EXPANDED_NODES:
                return ConfigIssue(
                    filename,
                    node.start_mark.line + 1,
                    "(YAML)",
                    f"aliases here expand to more than {MAX_EXPANDED_NODES:,} values",
                    "write the values out, or use fewer nested aliases (&name / *name)",
                )
            continue
        if key in sizes:
            continue
        if key in in_progress:
            return ConfigIssue(
                filename,
                node.start_mark.line + 1,
                "(YAML)",
                "an alias refers to the value it is part of (it would never end)",
                "an &anchor cannot be used (*anchor) inside its own value",
            )
        in_progress.add(key)
        stack.append((node, True))
        for child in children(node):
            if id(child) not in sizes:
                if id(child) in in_progress:
                    return ConfigIssue(
                        filename,
                        child.start_mark.line + 1,
                        "(YAML)",
                        "an alias refers to the value it is part of (it would never end)",
                        "an &anchor cannot be used (*anchor) inside its own value",
                    )
                stack.append((child, False))
    return None


def _record(
    loader: yaml.SafeLoader,
    node: yaml.Node,
    path: KeyPath,
    lines: dict[KeyPath, int],
    issues: list[ConfigIssue],
    filename: str,
) -> None:
    if isinstance(node, yaml.MappingNode):
        first_seen: dict[Any, int] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = loader.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            try:
                hash(key)
            except TypeError:
                continue  # PyYAML reports unhashable keys itself when constructing
            child = (*path, key)
            if key in first_seen:
                issues.append(
                    ConfigIssue(
                        filename,
                        line,
                        format_path(child),
                        f"key '{key}' appears twice here (first on line {first_seen[key]})",
                        "YAML keeps only the last one — remove or rename one of them",
                    )
                )
            else:
                first_seen[key] = line
                lines[child] = line
            _record(loader, value_node, child, lines, issues, filename)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            lines[(*path, i)] = item.start_mark.line + 1
            _record(loader, item, (*path, i), lines, issues, filename)


# --------------------------------------------------------------------------- schema


class Spec(BaseModel):
    """Base of the file's schema: unknown keys are errors, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class AgentsSpec(Spec):
    users: list[SlackId] = []
    usergroup: SlackId | None = None


class RolesSpec(Spec):
    """``roles:`` — our people with a role for every client (docs/contracts.md#roles); user or user-group ids."""

    admins: list[SlackId] = Field(
        default=[], description="approve contract revisions, link channels, see delivery problems"
    )
    leads: list[SlackId] = Field(default=[], description="account leads of every client: read everything")
    managers: list[SlackId] = Field(default=[], description="managers of every client: read everything")


class ClientRolesSpec(Spec):
    """``clients.<key>.roles`` — this client's own leads and managers (its ``lead:`` is one of its leads)."""

    leads: list[SlackId] = Field(default=[], description="read everything of this client")
    managers: list[SlackId] = Field(default=[], description="read everything of this client")


class ClientSpec(Spec):
    name: Name | None = None
    channels: list[SlackId] = []
    contract: Name
    contacts: list[SlackId] = []
    lead: SlackId | None = None
    monthly_fee: Money | None = None
    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    timezone: TimezoneName | None = None
    roles: ClientRolesSpec = ClientRolesSpec()

    @model_validator(mode="after")
    def _fee_has_currency(self) -> ClientSpec:
        if self.monthly_fee is not None and self.currency is None:
            raise ValueError("monthly_fee needs a currency — add e.g. currency: EUR")
        return self


class ServiceSpec(Spec):
    name: Name
    description: str | None = None
    uptime_target: Percent | None = None


class TargetSpec(Spec):
    target: Duration
    calendar: Name | None = None

    @model_serializer
    def _file_form(self) -> Any:
        # hours, never days: a business "1d" reads as one working day but means 24 business hours
        if self.calendar is None:
            return hours_form(self.target)
        return {"target": hours_form(self.target), "calendar": self.calendar}


def _short_target(value: object) -> object:
    if isinstance(value, Mapping | TargetSpec):
        return value
    return {"target": read_duration(value)}


TargetField = Annotated[
    TargetSpec,
    BeforeValidator(_short_target),
    WithJsonSchema(
        {
            "anyOf": [
                DURATION_SCHEMA,
                {
                    "type": "object",
                    "properties": {"target": DURATION_SCHEMA, "calendar": {"type": "string"}},
                    "required": ["target"],
                    "additionalProperties": False,
                },
            ],
            "description": "a target: 4h, or {target: 4h, calendar: NAME}",
        }
    ),
]


class PriorityTargetsSpec(Spec):
    first_response: TargetField | None = None
    next_response: TargetField | None = None
    periodic_update: TargetField | None = None
    resolution: TargetField | None = None
    calendar: Name | None = None

    def metric_targets(self) -> dict[Metric, TargetSpec]:
        out: dict[Metric, TargetSpec] = {}
        for metric in Metric:
            spec = getattr(self, metric.value)
            if spec is not None:
                out[metric] = spec
        return out


assert set(PriorityTargetsSpec.model_fields) == {m.value for m in Metric} | {"calendar"}


class EscalationSpec(Spec):
    after: Duration
    notify: list[SlackId] = Field(default=[], min_length=1)
    channel: SlackId | None = None


class QuietHoursSpec(Spec):
    hours: str = Field(description='quiet hours, local time: "22:00-07:00" (may wrap past midnight)')
    timezone: TimezoneName | None = Field(
        None, description="an IANA time zone; default: the version calendar's"
    )
    page: list[Name] | None = Field(
        None, description="priorities whose breaches still go out in quiet hours; default: the most urgent"
    )

    @field_validator("hours")
    @classmethod
    def _span(cls, value: str) -> str:
        parse_span(value)
        return value


class AlertsSpec(Spec):
    channel: SlackId | None = None
    lead: SlackId | None = None
    escalate_to: SlackId | None = None
    thread: bool = True
    client_thread: Literal["none", "status"] = Field(
        "status",
        description="what the thread of a ticket in a client's channel shows: status (the ticket's "
        "client-safe card) or none; staff alerts never go there",
    )
    met_note: bool = False
    escalation: list[EscalationSpec] = []
    #: alerts that do not page wait while these hours last (sla.quiet_hours)
    quiet_hours: QuietHoursSpec | None = None


def _emoji_name(value: object) -> object:
    return value.strip().strip(":") if isinstance(value, str) else value


class PriorityRuleSpec(Spec):
    keywords: list[Name] = []
    emoji: list[Annotated[Name, BeforeValidator(_emoji_name)]] = []


class ObjectiveSpec(Spec):
    metric: Metric
    priority: Name = "all"
    target: Percent
    window: Literal["week", "month", "quarter"] = "month"


class MaintenanceSpec(Spec):
    start: AwareTimestamp
    end: AwareTimestamp
    services: list[Name] = []
    reason: str | None = None

    @model_validator(mode="after")
    def _ends_after_start(self) -> MaintenanceSpec:
        if self.end <= self.start:
            raise ValueError("a maintenance window must end after it starts — check start and end")
        return self


class UptimeSpec(Spec):
    target: Percent | None = None
    maintenance: list[MaintenanceSpec] = []


class CreditTierSpec(Spec):
    below: Percent
    credit: Percent


class CreditsSpec(Spec):
    uptime_tiers: list[CreditTierSpec] = []
    per_breach: dict[str, Percent] = {}
    cap: Percent | None = None
    claim_within: Duration = timedelta(days=30)


class ReviewSpec(Spec):
    cadence: Cadence = "quarterly"
    lead: SlackId | None = None


class NpsSpec(Spec):
    cadence: Cadence = "quarterly"


class SurveySpec(Spec):
    enabled: bool = True
    via: Literal["thread", "dm"] = "thread"
    scale: Literal["1-5", "good-bad"] = "1-5"
    who: Literal["requester", "client"] = "requester"
    window: Duration = timedelta(days=7)
    reminder_after: Duration | None = timedelta(hours=24)
    min_interval: Duration | None = None
    sample_rate: Fraction = 1.0
    nps: NpsSpec | None = None


class VersionSpec(Spec):
    effective: date
    services: list[ServiceSpec] = []
    calendar: Name = BUILTIN_24X7
    statuses: list[Name] = []
    pause_on: PauseOn = {}
    warn_at: list[ThresholdText] = ["50%", "75%", "90%"]
    alerts: AlertsSpec = AlertsSpec()
    default_priority: Name | None = None
    priority_rules: dict[Name, PriorityRuleSpec] = {}
    targets: dict[Name, PriorityTargetsSpec] = Field(min_length=1)
    objectives: list[ObjectiveSpec] = []
    uptime: UptimeSpec = UptimeSpec()
    credits: CreditsSpec = CreditsSpec()
    review: ReviewSpec = ReviewSpec()
    survey: SurveySpec = SurveySpec()

    @field_validator("effective", mode="before")
    @classmethod
    def _effective_is_a_date(cls, value: Any) -> Any:
        if isinstance(value, datetime):
            raise ValueError("effective must be a date such as 2026-01-01, not a timestamp")
        return value

    @field_serializer("pause_on")
    def _pause_on_file_form(self, value: dict[str, list[Metric]]) -> Any:
        return pause_on_file_form(value)


class SourceValuesSpec(Spec):
    """How one ticket source's values map onto the contract (``sources.<source>``): keys are the
    values the source sends — an id (``"10100"``) or a name (``"Срочно"``) —, values a priority of
    the contract, or a status (``open``, ``waiting_on_client``, ``on_hold``, a status a version
    declares) or the events ``resolved`` / ``closed``."""

    priorities: dict[Annotated[str, BeforeValidator(str)], Name] = {}
    statuses: dict[Annotated[str, BeforeValidator(str)], Name] = {}


class InternalSpec(Spec):
    """Our people who are not agents and never open tickets (``conversation.intake.internal``)."""

    users: list[SlackId] = []
    usergroups: list[SlackId] = []


class IntakeSpec(Spec):
    acknowledgements: bool = True
    min_chars: int = Field(default=4, ge=0, le=200)
    internal: InternalSpec = InternalSpec()


class ConversationSpec(Spec):
    """What a person's message means (``conversation``: docs/contracts.md#conversation)."""

    resume_on_client_reply: bool = True
    reopen_within: Duration = timedelta(days=7)
    intake: IntakeSpec = IntakeSpec()


class ContractSpec(Spec):
    """A contract's own keys; each version is validated on its own (``VersionSpec``)."""

    name: Name | None = None
    #: helpdesk rules: who opens a ticket, what a reply does (not versioned, like ``sources``)
    conversation: ConversationSpec = ConversationSpec()
    #: per ticket source (``jira``, ``zendesk``, or a ``?source=`` name): its values' mapping
    sources: dict[Name, SourceValuesSpec] = {}
    versions: list[Any] = Field(min_length=1)


class FileSpec(Spec):
    """The top level; each section's entries are validated on their own."""

    agents: Any = None
    roles: Any = None
    calendars: dict[Any, Any] = {}
    clients: dict[Any, Any]
    contracts: dict[Any, Any]


# --------------------------------------------------------------------------- pydantic errors -> issues


def _unwrap(tp: Any) -> Any:
    while True:
        origin = get_origin(tp)
        if origin is Annotated:
            tp = get_args(tp)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in get_args(tp) if a is not type(None)]
            tp = args[0] if args else tp
            if len(args) <= 1:
                continue
            return tp
        else:
            return tp


def keys_allowed_at(model: type[BaseModel], loc: Sequence[PathPart]) -> list[str]:
    """The keys the schema allows at ``loc`` inside ``model`` (empty if not a fixed set)."""
    tp: Any = model
    for part in loc:
        tp = _unwrap(tp)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            info = tp.model_fields.get(str(part))
            if info is None:
                return []
            tp = info.annotation
        elif get_origin(tp) in (dict, Mapping):
            tp = get_args(tp)[1]
        elif get_origin(tp) in (list, tuple, Sequence):
            tp = get_args(tp)[0]
        else:
            return []
    tp = _unwrap(tp)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return list(tp.model_fields)
    return []


def issues_from_validation(
    exc: ValidationError,
    doc: YamlDocument,
    prefix: KeyPath,
    model: type[BaseModel],
) -> list[ConfigIssue]:
    """Translate pydantic's errors into issues written for the person editing the file."""
    issues: list[ConfigIssue] = []
    for err in exc.errors(include_url=False):
        loc = tuple(p for p in err["loc"] if p != "[key]")
        path = prefix + loc
        kind = err["type"]
        given = err.get("input")
        ctx = err.get("ctx") or {}
        message, hint = _explain(kind, err["msg"], given, ctx, loc, model)
        issues.append(doc.issue(path, message, hint))
    return issues


def _explain(
    kind: str,
    msg: str,
    given: Any,
    ctx: Mapping[str, Any],
    loc: KeyPath,
    model: type[BaseModel],
) -> tuple[str, str | None]:
    last = loc[-1] if loc else ""
    if kind == "extra_forbidden":
        allowed = keys_allowed_at(model, loc[:-1])
        return f"unknown key '{last}'", suggestion(last, allowed, "keys allowed here")
    if kind == "missing":
        return f"'{last}' is missing", f"add '{last}:' here"
    if kind in ("value_error", "assertion_error"):
        text = str(ctx.get("error", msg))
        return split_hint(text)
    if kind in ("literal_error", "enum"):
        expected = str(ctx.get("expected", ""))
        options = re.findall(r"'([^']*)'", expected)
        return f"{given!r} is not allowed here", suggestion(given, options, "allowed values")
    if kind in ("dict_type", "model_type", "model_attributes_type", "mapping_type"):
        return (
            f"expected a mapping (key: value lines), got {value_kind(given)}",
            "indent the keys under this one",
        )
    if kind in ("list_type", "tuple_type", "set_type"):
        return f"expected a list, got {value_kind(given)}", "write [a, b] or one '- item' per line"
    if kind == "string_type":
        return f"expected text, got {value_kind(given)} {given!r}", "put the value in quotes"
    if kind.startswith("bool"):
        return f"expected true or false, got {given!r}", None
    if kind.startswith("date"):
        return f"expected a date such as 2026-01-01, got {given!r}", None
    if kind == "too_short":
        return "must not be empty", "give at least one entry"
    if kind == "string_pattern_mismatch" and last == "currency":
        return f"not a currency code: {given!r}", "use the three-letter ISO code, e.g. EUR, USD, GBP"
    return msg, None
