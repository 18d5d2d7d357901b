"""The contract file as written: its schema, and its validation errors as issues that point at a line.

``sla.contracts.build`` turns what this module validates into the domain objects (``ContractBook``,
``ContractVersion``, ...). This module knows the *file*: which keys exist (pydantic models with
``extra="forbid"``, so a typo is an error with a suggestion), how values such as ``15m``, ``95%`` or
``"15m before"`` are read (``sla.contracts.values``), and how a validation error becomes an issue.
How it is read (PyYAML's node API, so that every key and list item keeps the line it was written on)
and how any problem is reported (``file:line: path: message — hint``) is :mod:`sla.contracts.reading`;
its names are importable from here too.
"""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Annotated, Any, Literal, get_args, get_origin

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

from sla.contracts.reading import MAX_CONTRACT_FILE_BYTES as MAX_CONTRACT_FILE_BYTES
from sla.contracts.reading import ConfigIssue as ConfigIssue
from sla.contracts.reading import ContractFileError as ContractFileError
from sla.contracts.reading import KeyPath as KeyPath
from sla.contracts.reading import PathPart as PathPart
from sla.contracts.reading import Severity as Severity
from sla.contracts.reading import YamlDocument as YamlDocument
from sla.contracts.reading import did_you_mean as did_you_mean
from sla.contracts.reading import format_path as format_path
from sla.contracts.reading import read_yaml as read_yaml
from sla.contracts.reading import split_hint as split_hint
from sla.contracts.reading import suggestion as suggestion
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

#: Statuses every contract knows; ``statuses:`` in a version adds more.
BASE_STATUSES: tuple[str, ...] = tuple(s for s in TicketStatus if s is not TicketStatus.DISMISSED)
#: The calendar name that needs no definition: around the clock, UTC.
BUILTIN_24X7 = "24x7"


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
