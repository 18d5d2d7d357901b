"""From a validated contract file to a :class:`~sla.contracts.model.ContractBook`: ``load_contracts`` reads
the file (:mod:`sla.contracts.file`), the builder validates section by section so that *every* problem is
reported with its ``file:line``, then links references (calendars, contracts, clients)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import fields, replace
from datetime import date, datetime, time
from os import PathLike
from pathlib import Path
from typing import Any, Final, TypeVar
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ValidationError

from sla.calendar import BusinessCalendar, CalendarConfigError
from sla.contracts.file import (
    BASE_STATUSES,
    BUILTIN_24X7,
    MAX_CONTRACT_FILE_BYTES,
    AgentsSpec,
    ClientSpec,
    ConfigIssue,
    ContractFileError,
    ContractSpec,
    FileSpec,
    KeyPath,
    QuietHoursSpec,
    RolesSpec,
    VersionSpec,
    YamlDocument,
    did_you_mean,
    issues_from_validation,
    read_yaml,
    suggestion,
)
from sla.contracts.model import (
    _ALWAYS,
    Agents,
    AlertRouting,
    Client,
    Contract,
    ContractBook,
    ContractVersion,
    Credits,
    CreditTier,
    EscalationLevel,
    MaintenanceWindow,
    NpsSurvey,
    Objective,
    PriorityRule,
    Review,
    Roles,
    Service,
    SourceValues,
    Survey,
    Target,
    Threshold,
    Uptime,
    conversation_rules,
)
from sla.metrics import Metric, TicketStatus
from sla.quiet_hours import QuietHours, parse_span


def load_contracts(path: str | PathLike[str]) -> ContractBook:
    """Read and validate a contract file; raises :class:`ContractFileError` listing every problem."""
    name = str(path)
    try:
        size = Path(path).stat().st_size
        if size > MAX_CONTRACT_FILE_BYTES:  # refused before it is read into memory
            raise ContractFileError(
                [
                    ConfigIssue(
                        name,
                        1,
                        "(file)",
                        f"the file is {size:,} bytes; a contract file may have at most {MAX_CONTRACT_FILE_BYTES:,}",
                        "split out what is not contracts, calendars, clients and agents",
                    )
                ]
            )
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ContractFileError(
            [
                ConfigIssue(
                    name, None, "(file)", "no such file", "check the path, e.g. examples/contracts.yaml"
                )
            ]
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ContractFileError(
            [ConfigIssue(name, None, "(file)", f"cannot read the file: {exc}", None)]
        ) from None
    return load_contracts_text(text, filename=name)


def load_contracts_text(text: str, filename: str = "<string>") -> ContractBook:
    """Validate contract-file text; raises :class:`ContractFileError` listing every problem."""
    doc, issues = read_yaml(text, filename)
    if doc is None:
        raise ContractFileError(issues)
    book = _Builder(doc, issues, hashlib.sha256(text.encode("utf-8")).hexdigest()).build()
    if issues or book is None:
        raise ContractFileError(sorted(issues, key=lambda i: (i.line or 0, i.path)))
    return book


#: how many times one calendar is read again after leaving out a value at fault
_MAX_ROUNDS = 12
_CALENDAR_STAND_INS = {"timezone": "UTC", "hours": "24x7"}
_GONE = object()
_S = TypeVar("_S", bound=BaseModel)


def without(data: Any, paths: list[KeyPath]) -> Any:
    """A copy of ``data`` without the values at ``paths`` (mapping keys and list items); a target
    priority at fault (``targets.P2``) stays as an empty entry, so the priority is still known."""
    trie: dict[Any, Any] = {}
    for path in paths:
        node = trie
        for part in path:
            node = node.setdefault(part, {})
        node[_GONE] = True

    def walk(value: Any, node: dict[Any, Any], depth_path: KeyPath) -> Any:
        if _GONE in node:
            return {} if len(depth_path) == 2 and depth_path[0] == "targets" else _GONE
        if isinstance(value, Mapping):
            items = ((k, walk(v, node[k], (*depth_path, k)) if k in node else v) for k, v in value.items())
            return {k: v for k, v in items if v is not _GONE}
        if isinstance(value, list):
            kept = (walk(v, node[i], (*depth_path, i)) if i in node else v for i, v in enumerate(value))
            return [v for v in kept if v is not _GONE]
        return value

    out = walk(data, trie, ())
    return None if out is _GONE else out


def _stand_in(raw: Any, exc: ValidationError) -> VersionSpec | None:
    """``raw`` validated without the values ``exc`` found at fault, or None when that is not enough."""
    at_fault = [tuple(p for p in err["loc"] if p != "[key]") for err in exc.errors(include_url=False)]
    if any(not loc for loc in at_fault):
        return None
    try:
        return VersionSpec.model_validate(without(raw, at_fault))
    except ValidationError:
        return None


class _Builder:
    """Validates section by section so that every problem is reported, then links references."""

    def __init__(self, doc: YamlDocument, issues: list[ConfigIssue], sha256: str) -> None:
        self.doc = doc
        self.issues = issues
        self.sha256 = sha256

    def error(self, path: KeyPath, message: str, hint: str | None = None) -> None:
        self.issues.append(self.doc.issue(path, message, hint))

    def build(self) -> ContractBook | None:
        data = self.doc.data
        if not isinstance(data, Mapping):
            self.error(
                (),
                f"the top level must be a mapping, got {type(data).__name__}",
                "start with the keys agents:, calendars:, clients: and contracts: (see examples/contracts.yaml)",
            )
            return None
        self._validated(FileSpec, data, ())

        agents = self._agents(data.get("agents"))
        roles = self._roles(data.get("roles"))
        raw_calendars = data.get("calendars") if isinstance(data.get("calendars"), Mapping) else {}
        raw_contracts = data.get("contracts") if isinstance(data.get("contracts"), Mapping) else {}
        raw_clients = data.get("clients") if isinstance(data.get("clients"), Mapping) else {}
        calendars = self._calendars(raw_calendars)
        calendar_names = set(raw_calendars) | {BUILTIN_24X7}
        contracts = self._contracts(raw_contracts, calendars, calendar_names)
        clients = self._clients(raw_clients, raw_contracts)
        if self.issues:
            return None
        return ContractBook(
            calendars=calendars,
            clients=clients,
            contracts=contracts,
            agents=agents,
            roles=roles,
            source=self.doc.filename,
            sha256=self.sha256,
            document=self.doc,
        )

    def _validated(self, spec_type: type[_S], raw: Any, path: KeyPath) -> _S | None:
        """``raw`` read as a ``spec_type``; None, its problems reported at ``path``, when it does not read."""
        try:
            return spec_type.model_validate(raw)
        except ValidationError as exc:
            self.issues.extend(issues_from_validation(exc, self.doc, path, spec_type))
            return None

    def _named(self, raw: Mapping[Any, Any], section: str, what: str) -> Iterator[tuple[str, KeyPath, Any]]:
        """(key, path, entry) of each entry of a ``section`` keyed by name; a key that is not text
        (``what``: "client key", "calendar name") is reported and passed over."""
        for key, entry in raw.items():
            path: KeyPath = (section, key)
            if not isinstance(key, str):
                noun = what.rsplit(" ", 1)[-1]
                self.error(path, f"a {what} must be text, got {key!r}", f"put the {noun} in quotes")
                continue
            yield key, path, entry

    # -- sections

    def _agents(self, raw: Any) -> Agents:
        spec = None if raw is None else self._validated(AgentsSpec, raw, ("agents",))
        if spec is None:  # none given, or not valid (reported)
            return Agents()
        return Agents(users=frozenset(spec.users), usergroup=spec.usergroup)

    def _roles(self, raw: Any) -> Roles:
        spec = None if raw is None else self._validated(RolesSpec, raw, ("roles",))
        if spec is None:  # none given, or not valid (reported)
            return Roles()
        return Roles(
            admins=frozenset(spec.admins), leads=frozenset(spec.leads), managers=frozenset(spec.managers)
        )

    def _calendars(self, raw: Mapping[Any, Any]) -> dict[str, BusinessCalendar]:
        out: dict[str, BusinessCalendar] = {}
        for key, path, entry in self._named(raw, "calendars", "calendar name"):
            calendar = self._calendar(path, entry)
            if calendar is not None:
                out[key] = calendar
        return out

    def _calendar(self, path: KeyPath, entry: Any) -> BusinessCalendar | None:
        """One calendar, every problem reported: after each problem the value at fault is left out and
        the rest is read again, until it reads or the next problem is about what was left out."""
        left_out: list[KeyPath] = []
        for _ in range(_MAX_ROUNDS):
            attempt = without(entry, left_out)
            if isinstance(attempt, dict):  # a required value at fault: a neutral one, to read the rest
                for gone in left_out:
                    if len(gone) == 1 and gone[0] in _CALENDAR_STAND_INS:
                        attempt[gone[0]] = _CALENDAR_STAND_INS[gone[0]]
            try:
                calendar = BusinessCalendar.from_config(attempt, name=str(path[-1]))
            except CalendarConfigError as exc:
                where = tuple(exc.path)
                if any(where[: len(gone)] == gone for gone in left_out):
                    return None  # "a calendar needs a timezone" after a bad one was left out
                self.error(path + where, exc.problem, exc.hint)
                if not where:
                    return None
                left_out.append(where)
                continue
            except (ValueError, TypeError, KeyError) as exc:
                self.error(path, f"cannot use this calendar: {exc}", "see docs/contracts.md#calendars")
                return None
            return None if left_out else calendar
        return None

    def _clients(self, raw: Mapping[Any, Any], raw_contracts: Mapping[Any, Any]) -> dict[str, Client]:
        out: dict[str, Client] = {}
        owner_of_channel: dict[str, str] = {}
        for key, path, entry in self._named(raw, "clients", "client key"):
            spec = self._validated(ClientSpec, entry, path)
            # the references are checked on the values as written, so they show with the errors above
            raw = entry if isinstance(entry, Mapping) else {}
            contract = raw.get("contract")
            if isinstance(contract, str) and contract.strip() and contract.strip() not in raw_contracts:
                self.error(
                    (*path, "contract"),
                    f"unknown contract '{contract.strip()}'",
                    suggestion(contract.strip(), [str(k) for k in raw_contracts], "contracts defined"),
                )
            channels = raw.get("channels") if isinstance(raw.get("channels"), list) else []
            for i, channel in enumerate(channels):
                if not isinstance(channel, str):
                    continue
                other = owner_of_channel.get(channel.strip())
                if other is not None and other != key:
                    self.error(
                        (*path, "channels", i),
                        f"channel {channel.strip()} is already listed for client '{other}'",
                        "a support channel belongs to exactly one client — remove it from one of them",
                    )
                owner_of_channel.setdefault(channel.strip(), key)
            if spec is None:
                continue
            out[key] = Client(
                key=key,
                name=spec.name or key,
                channels=tuple(dict.fromkeys(spec.channels)),
                contract=spec.contract,
                contacts=tuple(spec.contacts),
                lead=spec.lead,
                monthly_fee=spec.monthly_fee,
                currency=spec.currency,
                timezone=ZoneInfo(spec.timezone) if spec.timezone else None,
                leads=frozenset(spec.roles.leads) | ({spec.lead} if spec.lead else set()),
                managers=frozenset(spec.roles.managers),
            )
        return out

    def _contracts(
        self,
        raw: Mapping[Any, Any],
        calendars: Mapping[str, BusinessCalendar],
        calendar_names: set[Any],
    ) -> dict[str, Contract]:
        out: dict[str, Contract] = {}
        for key, path, entry in self._named(raw, "contracts", "contract key"):
            shell = self._validated(ContractSpec, entry, path)
            raw_versions = entry.get("versions") if isinstance(entry, Mapping) else None
            specs = self._version_specs(path, raw_versions if isinstance(raw_versions, list) else [])
            previous: tuple[int, date] | None = None
            for i, spec in specs:
                if previous is not None and spec.effective <= previous[1]:
                    same = spec.effective == previous[1]
                    self.error(
                        (*path, "versions", i, "effective"),
                        f"version {i + 1} takes effect on {spec.effective}, "
                        + ("the same day as" if same else "before")
                        + f" version {previous[0] + 1} ({previous[1]})",
                        "give each version its own effective date and list them oldest first",
                    )
                previous = (i, spec.effective)
            versions: list[ContractVersion] = []
            for i, spec in specs:
                version = self._version(key, i, spec, calendars, calendar_names)
                if version is not None:
                    versions.append(version)
            if shell is None:
                continue
            sources = self._sources(key, shell, versions)
            if len(versions) == len(shell.versions) and sources is not None:
                versions = [replace(v, sources=sources) for v in versions]
                out[key] = Contract(
                    key=key,
                    versions=tuple(versions),
                    name=shell.name,
                    conversation=conversation_rules(shell.conversation),
                )
        return out

    def _version_specs(self, path: KeyPath, raw_versions: list[Any]) -> list[tuple[int, VersionSpec]]:
        """Each version validated; one with errors is validated again without the values at fault, so that
        its references (calendars, priorities, statuses, services) are checked in the same pass. Only
        those checks see such a stand-in: the file is invalid anyway."""
        specs: list[tuple[int, VersionSpec]] = []
        for i, raw_version in enumerate(raw_versions):
            vpath = (*path, "versions", i)
            try:
                specs.append((i, VersionSpec.model_validate(raw_version)))
            except ValidationError as exc:
                self.issues.extend(issues_from_validation(exc, self.doc, vpath, VersionSpec))
                stand_in = _stand_in(raw_version, exc)
                if stand_in is not None:
                    specs.append((i, stand_in))
        return specs

    def _sources(
        self, key: str, shell: ContractSpec, versions: list[ContractVersion]
    ) -> dict[str, SourceValues] | None:
        """The contract's ``sources`` mappings, each value checked against every version (None: errors)."""
        before = len(self.issues)
        priorities = list(dict.fromkeys(p for v in versions for p in v.priorities))
        statuses = list(
            dict.fromkeys(
                [*(s for v in versions for s in v.statuses), TicketStatus.RESOLVED, TicketStatus.CLOSED]
            )
        )
        out: dict[str, SourceValues] = {}
        for source, spec in shell.sources.items():
            spath: KeyPath = ("contracts", key, "sources", source)
            for value, priority in spec.priorities.items():
                lacking = [v.number for v in versions if priority not in v.priorities]
                if lacking:
                    self.error(
                        (*spath, "priorities", value),
                        f"'{priority}' is not a priority of version(s) {', '.join(map(str, lacking))}",
                        suggestion(priority, priorities, "priorities in targets"),
                    )
            for value, status in spec.statuses.items():
                if status not in statuses:
                    self.error(
                        (*spath, "statuses", value),
                        f"unknown status '{status}'",
                        did_you_mean(status, statuses) or "use one of: " + ", ".join(statuses),
                    )
            out[source] = SourceValues(priorities=dict(spec.priorities), statuses=dict(spec.statuses))
        return out if len(self.issues) == before else None

    def _calendar_ref(
        self,
        name: str,
        path: KeyPath,
        calendars: Mapping[str, BusinessCalendar],
        calendar_names: set[Any],
    ) -> BusinessCalendar | None:
        if name in calendars:
            return calendars[name]
        if name == BUILTIN_24X7:
            return _ALWAYS
        if name not in calendar_names:
            self.error(
                path,
                f"unknown calendar '{name}'",
                suggestion(name, [str(c) for c in calendar_names], "calendars defined"),
            )
        return None  # defined but invalid: its own error is already reported

    def _version(
        self,
        contract_key: str,
        index: int,
        spec: VersionSpec,
        calendars: Mapping[str, BusinessCalendar],
        calendar_names: set[Any],
    ) -> ContractVersion | None:
        vpath: KeyPath = ("contracts", contract_key, "versions", index)
        before = len(self.issues)
        main = self._calendar_ref(spec.calendar, (*vpath, "calendar"), calendars, calendar_names)
        statuses = tuple(dict.fromkeys([*BASE_STATUSES, *spec.statuses]))
        self._check_names(vpath, spec, statuses)
        targets = self._targets(vpath, spec, main, calendars, calendar_names)
        if len(self.issues) > before or main is None:
            return None

        spec = spec.model_copy(update={"default_priority": spec.default_priority or tuple(spec.targets)[-1]})
        referenced = {spec.calendar} | {t.calendar_name for p in targets.values() for t in p.values()}
        raw_calendars = self.doc.value_at(("calendars",)) or {}
        canonical = {
            "version": _canonical(spec),
            "calendars": {n: raw_calendars.get(n, n) for n in sorted(referenced)},
        }
        digest = hashlib.sha256(
            json.dumps(canonical, sort_keys=True, default=str, separators=(",", ":")).encode("utf-8")
        ).hexdigest()
        return _contract_version(contract_key, index, spec, main, statuses, targets, digest)

    def _check_names(self, vpath: KeyPath, spec: VersionSpec, statuses: tuple[str, ...]) -> None:
        """Every priority, status and service a version names is one it defines."""
        priorities = tuple(spec.targets)

        def known_priority(name: str, path: KeyPath, *, allow_all: bool = False) -> None:
            if name in spec.targets or (allow_all and name == "all"):
                return
            choices = [*priorities, "all"] if allow_all else list(priorities)
            self.error(path, f"unknown priority '{name}'", suggestion(name, choices, "priorities in targets"))

        if spec.default_priority is not None:
            known_priority(spec.default_priority, (*vpath, "default_priority"))
        for p in spec.priority_rules:
            known_priority(p, (*vpath, "priority_rules", p))
        for p in spec.credits.per_breach:
            known_priority(p, (*vpath, "credits", "per_breach", p))
        for i, objective in enumerate(spec.objectives):
            known_priority(objective.priority, (*vpath, "objectives", i, "priority"), allow_all=True)
        quiet = spec.alerts.quiet_hours
        for i, p in enumerate((quiet.page or []) if quiet is not None else []):
            known_priority(p, (*vpath, "alerts", "quiet_hours", "page", i))

        for status in spec.pause_on:
            spath = (*vpath, "pause_on", status)
            if status == TicketStatus.OPEN:
                self.error(
                    spath, "the 'open' status cannot pause clocks", "pause on waiting_on_client or on_hold"
                )
            elif status not in statuses:
                self.error(
                    spath,
                    f"unknown status '{status}'",
                    did_you_mean(status, statuses)
                    or f"add it to statuses: [{status}] or use one of: " + ", ".join(statuses),
                )

        service_names = [s.name for s in spec.services]
        for i, service in enumerate(spec.services):
            if service.name in service_names[:i]:
                self.error((*vpath, "services", i, "name"), f"service '{service.name}' is listed twice", None)
        for i, window in enumerate(spec.uptime.maintenance):
            for j, name in enumerate(window.services):
                if name not in service_names:
                    self.error(
                        (*vpath, "uptime", "maintenance", i, "services", j),
                        f"unknown service '{name}'",
                        suggestion(name, service_names, "services of this version"),
                    )

    def _targets(
        self,
        vpath: KeyPath,
        spec: VersionSpec,
        main: BusinessCalendar | None,
        calendars: Mapping[str, BusinessCalendar],
        calendar_names: set[Any],
    ) -> dict[str, dict[Metric, Target]]:
        """A version's targets, each on its calendar (the metric's, else the priority's, else the
        version's); a target whose calendar is unknown is left out (its error is recorded)."""
        targets: dict[str, dict[Metric, Target]] = {}
        for priority, ptargets in spec.targets.items():
            ppath = (*vpath, "targets", priority)
            pcal_name = ptargets.calendar or spec.calendar
            pcal = (
                self._calendar_ref(ptargets.calendar, (*ppath, "calendar"), calendars, calendar_names)
                if ptargets.calendar
                else main
            )
            targets[priority] = {}
            for metric, tspec in ptargets.metric_targets().items():
                if tspec.calendar:
                    cal_name = tspec.calendar
                    cal = self._calendar_ref(
                        tspec.calendar, (*ppath, metric.value, "calendar"), calendars, calendar_names
                    )
                else:
                    cal_name, cal = pcal_name, pcal
                if cal is not None:
                    targets[priority][metric] = Target(metric, tspec.target, cal_name, cal)
        return targets


def _contract_version(
    contract_key: str,
    index: int,
    spec: VersionSpec,
    main: BusinessCalendar,
    statuses: tuple[str, ...],
    targets: dict[str, dict[Metric, Target]],
    digest: str,
) -> ContractVersion:
    """The domain version of a checked ``spec`` (its default priority filled in)."""
    priorities = tuple(spec.targets)
    effective_from = datetime.combine(spec.effective, time(0), tzinfo=main.timezone).astimezone(
        ZoneInfo("UTC")
    )
    return ContractVersion(
        contract_key=contract_key,
        number=index + 1,
        effective=spec.effective,
        effective_from=effective_from,
        services=tuple(Service(s.name, s.description, s.uptime_target) for s in spec.services),
        calendar_name=spec.calendar,
        calendar=main,
        statuses=statuses,
        pause_on={status: frozenset(metrics) for status, metrics in spec.pause_on.items()},
        warn_at=tuple(Threshold.parse(t) for t in spec.warn_at),
        alerts=AlertRouting(
            channel=spec.alerts.channel,
            lead=spec.alerts.lead,
            escalate_to=spec.alerts.escalate_to,
            thread=spec.alerts.thread,
            client_thread=spec.alerts.client_thread,
            met_note=spec.alerts.met_note,
            escalation=tuple(
                EscalationLevel(e.after, tuple(e.notify), e.channel)
                for e in sorted(spec.alerts.escalation, key=lambda e: e.after)
            ),
            quiet_hours=_quiet_hours(spec.alerts.quiet_hours, main, priorities),
        ),
        default_priority=spec.default_priority,
        priorities=priorities,
        priority_rules=tuple(
            PriorityRule(p, tuple(r.keywords), tuple(r.emoji))
            for p in priorities
            if (r := spec.priority_rules.get(p)) is not None
        ),
        targets=targets,
        objectives=tuple(
            Objective(o.metric, None if o.priority == "all" else o.priority, o.target, o.window)
            for o in spec.objectives
        ),
        uptime=Uptime(
            target=spec.uptime.target,
            maintenance=tuple(
                MaintenanceWindow(m.start, m.end, tuple(m.services), m.reason)
                for m in spec.uptime.maintenance
            ),
        ),
        credits=Credits(
            uptime_tiers=tuple(
                CreditTier(t.below, t.credit)
                for t in sorted(spec.credits.uptime_tiers, key=lambda t: -t.below)
            ),
            per_breach=dict(spec.credits.per_breach),
            cap=spec.credits.cap,
            claim_within=spec.credits.claim_within,
        ),
        review=Review(spec.review.cadence, spec.review.lead),
        survey=_survey(spec),
        sha256=digest,
        spec=spec,
    )


def _survey(spec: VersionSpec) -> Survey:
    """The file's ``survey:`` as the domain's :class:`Survey`: the same fields by name (the file form
    has read and checked each), ``nps`` as the domain's :class:`NpsSurvey`."""
    s = spec.survey
    same = {f.name: getattr(s, f.name) for f in fields(Survey) if f.name != "nps"}
    return Survey(**same, nps=NpsSurvey(s.nps.cadence) if s.nps else None)


#: keys added to a version after versions were first stored, left out of the version's digest while
#: they hold their default: a file that does not use them keeps the digest it had (tickets stored
#: under it still find their version; see TicketService.version_of).
_LATER_KEYS: Final = {"alerts": {"client_thread": "status", "quiet_hours": None}}


def _quiet_hours(
    spec: QuietHoursSpec | None, calendar: BusinessCalendar, priorities: tuple[str, ...]
) -> QuietHours | None:
    """The domain's quiet hours: in the version calendar's zone unless named; ``page`` defaults to the
    most urgent priority (a priority the version does not have is an error of the file)."""
    if spec is None:
        return None
    start, end = parse_span(spec.hours)
    zone = ZoneInfo(spec.timezone) if spec.timezone else calendar.timezone
    page = frozenset(spec.page) if spec.page is not None else frozenset(priorities[:1])
    return QuietHours(start, end, zone, page, spec.hours)


def _canonical(spec: VersionSpec) -> dict[str, Any]:
    dump = spec.model_dump(mode="json")
    for section, defaults in _LATER_KEYS.items():
        part = dump.get(section)
        if isinstance(part, dict):
            for key, default in defaults.items():
                if part.get(key) == default:
                    part.pop(key)
    return dump
