"""SLA review use cases: run a client's quarterly review, propose a revised contract version
(dry-run on the quarter's history), approve or discard it, and remind account leads when a
review is due (docs/reviews.md).

- **History** comes from the database: the client's tickets opened in the quarter, each folded
  with *its own* contract version (the one it opened under) and all its events, measured at
  ``now`` (a ticket opened on 31 March and resolved on 2 April counts with its real outcome).
- **Feedback** and **credits** come from other features when they are installed
  (``services.extras["feedback"]`` and ``["uptime"]``), looked up at call time; the review works
  without them.
- **Drafts** are stored server-side (``review_drafts``); buttons only carry a draft id, which is
  looked up again with the caller's workspace and must still be a draft.
- **Admins** (who may approve) are the Slack user ids of ``SLABOT_ADMINS``.
- **Contracts are code**: approving records the new version (``contract_versions``, with an audit
  entry) and hands out the YAML to paste into the contract file; the file stays the source of
  truth, and tickets keep following the file's versions until it is changed and reloaded.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.services.notices import enqueue_composed
from bot.services.tickets import TicketError, TicketService
from sla.contracts import Client, ContractBook, ContractVersion
from sla.metrics import EventKind
from sla.periods import Period, PeriodError, parse_period, previous
from sla.replay import ReplayRow, timer_row
from sla.review import (
    CADENCE_UNITS,
    DryRun,
    Review,
    RevisionError,
    Vetting,
    draft_revision,
    dry_run,
    metric_words,
    next_effective,
    proposal_from_json,
    proposal_lines,
    proposal_to_json,
    review,
    review_period,
    target_text,
    vet_proposal,
)
from sla.roles import Action, Person, may, person
from sla.timers import EventError, TicketClock, TicketEvent
from storage.models import ReviewDraft, ReviewDraftState
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

REMINDER_KIND = "review_reminder"
"""``report_runs.kind`` of the review reminders (one per client and review period)."""


class ReviewError(TicketError):
    """Something a user asked of a review that cannot be done; the message is written for them."""


class NotAllowed(ReviewError):
    """The role table (``sla.roles``) does not let this user do it (the terminal exits with 2)."""


@dataclass(frozen=True)
class History:
    """A client's tickets of one period, as measured (``rows``) and as events (for dry runs)."""

    rows: list[ReplayRow]
    events: list[TicketEvent]
    tickets: int
    as_of: datetime
    skipped: list[str] = field(default_factory=list)
    """Tickets that could not be folded (and why): never silently dropped."""


@dataclass(frozen=True)
class ReviewResult:
    client: Client
    period: Period
    review: Review
    history: History
    proposal: dict[str, dict[str, timedelta]]
    """Target changes that passed every check of ``sla.review.vet_proposal`` (empty: nothing to revise)."""
    feedback_trend: list[str] = field(default_factory=list)
    vetting: Vetting | None = None
    """The vetted changes with the figures they stand on, and why the other candidates were not proposed."""


@dataclass(frozen=True)
class DraftView:
    """A stored revision draft, as the people deciding on it see it."""

    id: int
    client_key: str
    client_name: str
    contract_key: str
    period_label: str
    base_number: int
    new_number: int
    effective: date
    state: str
    changes: list[str]
    diff: str
    dry_run: list[str]
    version_yaml: str
    created_by: str | None
    decided_by: str | None = None
    contract_file: str = ""
    stored_version_id: int | None = None


def _reminder_key(label: str, client_key: str) -> str:
    """``period_key`` of a reminder (≤ 32 characters): ``2026-Q3/acme``, or a hash for long keys."""
    key = f"{label}/{client_key}"
    if len(key) <= 32:
        return key
    return f"{label}/{hashlib.sha256(client_key.encode()).hexdigest()[:12]}"


@dataclass(kw_only=True, eq=False)
class ReviewService:
    uow: UnitOfWork
    book: ContractBook
    clock: Clock
    tickets: TicketService
    admins: frozenset[str] = frozenset()
    extras: Mapping[str, Any] = field(default_factory=dict)

    # ---- who may do what -------------------------------------------------------------------

    def is_admin(self, user_id: str | None, who: Person | None = None) -> bool:
        """An admin: ``SLABOT_ADMINS`` or the contract file's ``roles.admins`` (``sla.roles``). ``who``:
        the user's roles as Slack's adapter knows them (user-group members among the admins too);
        without it (the terminal) only user ids count."""
        if not user_id:
            return False
        if who is not None and who.user_id == user_id and may(who, Action.REVIEW_APPROVE):
            return True
        return may(person(self.book.role_table(self.admins), user_id), Action.REVIEW_APPROVE)

    def _require_admin(self, user_id: str | None, what: str, who: Person | None = None) -> None:
        if not self.is_admin(user_id, who):
            raise NotAllowed(
                f"Only slabot admins can {what}. Admins are the users listed in SLABOT_ADMINS or the "
                "contract file's roles.admins; ask one of them, or your account lead."
            )

    # ---- the review --------------------------------------------------------------------------

    def client(self, key: str) -> Client:
        try:
            return self.book.client(key)
        except KeyError as exc:
            raise ReviewError(str(exc.args[0])) from None

    def timezone(self, client: Client, at: datetime) -> ZoneInfo:
        if client.timezone is not None:
            return client.timezone
        return self.book.version_for(client.key, at).calendar.timezone

    def period(self, client_key: str, quarter: Any = None) -> Period:
        """The quarter asked for (``2026-Q3``, ``quarter``, a grammar ``PeriodSpec``), in the client's zone.

        Without one: the last complete quarter.
        """
        client = self.client(client_key)
        now = self.clock.now()
        text = getattr(quarter, "text", quarter) or "quarter"
        try:
            period = parse_period(str(text), now=now, tz=self.timezone(client, now))
        except PeriodError as exc:
            raise ReviewError(str(exc)) from None
        if period.kind != "quarter":
            raise ReviewError(
                f"a review covers a quarter, not '{period.label}' — write 2026-Q4, quarter or last-quarter"
            )
        if period.start > now:
            raise ReviewError(f"{period.label} has not started yet: there is nothing to review")
        return period

    def history(self, team_id: str, client_key: str, period: Period) -> History:
        """The client's tickets opened in ``period``, folded with their own versions, at ``now``."""
        now = self.clock.now()
        rows: list[ReplayRow] = []
        events: list[TicketEvent] = []
        skipped: list[str] = []
        versions: dict[int, ContractVersion] = {}
        with self.uow.begin(read_only=True) as tx:
            pairs = tx.reviews.tickets_opened(
                team_id=team_id, client_key=client_key, start=period.start, end=period.end
            )
            for ticket, event_rows in pairs:
                if ticket.status == "dismissed":  # not a request: in no review, like no report
                    continue
                try:
                    stored = ticket.contract_version_id
                    if stored is None:  # no stored version: the one in force at its opening
                        version = self.tickets.version_of(tx, ticket)
                    else:  # many tickets share a stored version: look each one up once
                        if stored not in versions:
                            versions[stored] = self.tickets.version_of(tx, ticket)
                        version = versions[stored]
                except TicketError as exc:
                    skipped.append(f"{ticket.ref}: {exc}")
                    continue
                clock = TicketClock(version, record_timeline=False)
                mine = [_event(ticket.ref, client_key, row) for row in event_rows]
                try:
                    for event in mine:
                        clock.apply(event)
                except EventError as exc:
                    skipped.append(f"{ticket.ref}: {exc}")
                    continue
                events.extend(mine)
                rows.extend(timer_row(ticket.ref, client_key, version, t) for t in clock.timers(now))
        events.sort(key=lambda e: e.at)  # tickets interleave freely; each one's rows stay in order
        return History(rows, events, len(pairs) - len(skipped), now, skipped)

    def run(self, *, team_id: str, client_key: str, quarter: Any = None) -> ReviewResult:
        client = self.client(client_key)
        period = self.period(client.key, quarter)
        now = self.clock.now()
        history = self.history(team_id, client.key, period)
        version = self.book.version_for(client.key, min(now, period.end - timedelta(microseconds=1)))
        feedback = self._feedback(team_id, client.key, period)
        trend = _feedback_trend(feedback, self._feedback(team_id, client.key, previous(period)))
        statements = self._credits(team_id, client.key, period)
        owed = [c for c in statements if c.owed]
        # the review explains one month: the last with credits owed, else the quarter's last month
        credits = owed[-1] if owed else (statements[-1] if statements else None)
        result = review(client.key, version, history.rows, feedback, credits, period)
        contract = self.book.contracts[client.contract]
        try:
            vetting = vet_proposal(
                self.book,
                contract.key,
                result,
                history.events,
                history.rows,
                history.as_of,
                effective=self._effective(contract.versions[-1], now),
            )
        except RevisionError as exc:  # e.g. a contract not loaded from a file: nothing can be drafted
            vetting = Vetting([], [str(exc)])
        result.proposals.extend(vetting.lines())
        result.notes.extend(trend)
        if len(owed) > 1:
            result.notes.append(
                "Credits owed in "
                + ", ".join(f"{c.month.label} ({c.total_percent.normalize():f} %)" for c in owed)
            )
        if history.skipped:
            result.notes.append(
                f"{len(history.skipped)} ticket(s) left out: " + "; ".join(history.skipped[:5])
            )
        return ReviewResult(
            client=client,
            period=period,
            review=result,
            history=history,
            proposal=vetting.proposal,
            feedback_trend=trend,
            vetting=vetting,
        )

    @staticmethod
    def _effective(base: ContractVersion, now: datetime) -> date:
        """When a version drafted now would start: the first day of the next review period."""
        today = now.astimezone(base.calendar.timezone).date()
        return next_effective(base.review.cadence, max(today, base.effective))

    # ---- other features, when installed -------------------------------------------------------

    def _feedback(self, team_id: str, client_key: str, period: Period) -> Any:
        """``extras["feedback"](team_id, client_key, period)`` → ``sla.feedback.FeedbackFigures``, or None.

        No figures when nobody answered (an empty quarter says nothing about satisfaction)."""
        service = self.extras.get("feedback")
        if service is None:
            return None
        fn = getattr(service, "figures_for", None) or (service if callable(service) else None)
        figures = _safely(fn, team_id, client_key, period)
        if figures is None or not (getattr(figures, "responses", 0) or getattr(figures, "nps_responses", 0)):
            return None
        return figures

    def _credits(self, team_id: str, client_key: str, period: Period) -> list[Any]:
        """``extras["uptime"].credits_for_period(...)``: one credit statement per month of the quarter."""
        service = self.extras.get("uptime")
        fn = getattr(service, "credits_for_period", None)
        if fn is None:
            return []
        return list(_safely(fn, team_id=team_id, client_key=client_key, period=period) or [])

    # ---- revisions -----------------------------------------------------------------------------

    def propose(
        self,
        *,
        team_id: str,
        client_key: str,
        quarter: Any,
        actor: str | None,
        is_agent: bool,
        notify: Callable[[DraftView], Any] | None = None,
    ) -> DraftView:
        """Draft a revised version from the review's recommendations, dry-run it and store the draft.

        With ``notify`` (a draft → message with ``text`` and ``blocks``), every admin but the author
        gets the draft by DM through the outbox, in the same transaction as the draft.
        """
        if not (is_agent or self.is_admin(actor)):
            raise NotAllowed("Only support agents and admins can propose contract revisions.")
        result = self.run(team_id=team_id, client_key=client_key, quarter=quarter)
        if not result.proposal:
            why = "; ".join(result.vetting.declined) if result.vetting and result.vetting.declined else ""
            raise ReviewError(
                f"The {result.period.label} review of {result.client.name} recommends no target "
                "change: there is nothing to revise." + (f" Not proposed: {why}." if why else "")
            )
        now = self.clock.now()
        contract = self.book.contracts[result.client.contract]
        base = contract.versions[-1]
        effective = self._effective(base, now)
        try:
            revision = draft_revision(self.book, contract.key, result.proposal, effective=effective)
        except RevisionError as exc:
            raise ReviewError(str(exc)) from None
        dry = dry_run(
            self.book,
            revision,
            result.client.key,
            result.history.events,
            result.history.rows,
            result.history.as_of,
        )
        with self.uow.begin() as tx:
            row = tx.reviews.add_draft(
                team_id=team_id,
                client_key=result.client.key,
                contract_key=contract.key,
                period_key=result.period.label,
                base_number=base.number,
                base_sha256=base.sha256,
                effective=effective,
                proposal=proposal_to_json(revision.proposal),
                version_yaml=revision.version_yaml,
                diff=revision.diff,
                dry_run=dry.to_dict(),
                created_by=actor,
                now=now,
            )
            tx.audit.record(
                team_id=team_id,
                actor=actor,
                action="review.propose",
                target=f"review-draft:{row.id}",
                after={
                    "client": result.client.key,
                    "contract": contract.key,
                    "period": result.period.label,
                    "base_version": base.number,
                    "effective": effective.isoformat(),
                    "changes": proposal_lines(revision),
                },
                at=now,
            )
            view = self._view(row, revision.version.number, proposal_lines(revision), dry)
            if notify is not None:
                self._tell_admins(tx, team_id, row.id, view, notify, author=actor, now=now)
        return view

    def _tell_admins(
        self,
        tx: Any,
        team_id: str,
        draft_id: int,
        view: DraftView,
        notify: Callable[[DraftView], Any],
        *,
        author: str | None,
        now: datetime,
    ) -> None:
        """Every admin but the author gets the draft by DM, through the outbox (in ``tx``)."""
        admins = self.book.role_table(self.admins).admins
        for admin in sorted(a for a in admins if not a.startswith("S")):
            if admin == author:
                continue
            message = notify(view)
            key = f"review-draft:{draft_id}:{admin}"
            enqueue_composed(tx, message, team_id=team_id, key=key, channel_id=admin, now=now)

    def draft(self, *, team_id: str, draft_id: int) -> DraftView:
        with self.uow.begin(read_only=True) as tx:
            row = tx.reviews.get_draft(team_id=team_id, draft_id=draft_id)
        if row is None:
            raise ReviewError(_NO_DRAFT)
        return self._view(row, row.base_number + 1, _stored_changes(self.book, row), None)

    def approve(
        self, *, team_id: str, draft_id: int, actor: str | None, via: str = "slack", who: Person | None = None
    ) -> DraftView:
        """Record the draft as a new contract version (with an audit entry); admins only, from Slack
        and from the terminal alike (``slabot review --approve ID --by U…``)."""
        self._require_admin(actor, "approve contract revisions", who)
        now = self.clock.now()
        with self.uow.begin() as tx:
            row = self._open_draft(tx, team_id, draft_id)
            contract = self.book.contracts.get(row.contract_key)
            latest = contract.versions[-1] if contract is not None else None
            if latest is None or latest.sha256 != row.base_sha256:
                raise ReviewError(
                    f"The contract file changed since this draft was made (contract '{row.contract_key}' "
                    f"now ends with version {latest.number if latest else '—'}); run the review again "
                    "and propose a new revision."
                )
            try:
                revision = draft_revision(
                    self.book, row.contract_key, proposal_from_json(row.proposal), effective=row.effective
                )
            except RevisionError as exc:
                raise ReviewError(str(exc)) from None
            new = revision.version
            stored_id = self.tickets.store_version(tx, team_id, new, now)
            if not tx.reviews.decide_draft(
                team_id=team_id,
                draft_id=row.id,
                state=ReviewDraftState.approved,
                by=actor,
                at=now,
                contract_version_id=stored_id,
            ):
                raise ReviewError(_DECIDED)  # rolls the stored version back with the transaction
            tx.audit.record(
                team_id=team_id,
                actor=actor or "cli",
                action="contract.revise",
                target=f"{row.contract_key} v{new.number}",
                before={"version": latest.number, "sha256": latest.sha256},
                after={
                    "version": new.number,
                    "effective": new.effective.isoformat(),
                    "sha256": new.sha256,
                    "draft": row.id,
                    "client": row.client_key,
                    "period": row.period_key,
                    "changes": proposal_lines(revision),
                },
                at=now,
            )
            row = tx.reviews.get_draft(team_id=team_id, draft_id=row.id) or row
        view = self._view(row, new.number, proposal_lines(revision), None)
        return _with(view, version_yaml=revision.version_yaml, stored_version_id=stored_id)

    def discard(
        self, *, team_id: str, draft_id: int, actor: str | None, via: str = "slack", who: Person | None = None
    ) -> DraftView:
        """Discard a draft: its author or an admin (from Slack or the terminal alike)."""
        now = self.clock.now()
        with self.uow.begin() as tx:
            row = self._open_draft(tx, team_id, draft_id)
            if not (self.is_admin(actor, who) or (actor and actor == row.created_by)):
                raise NotAllowed("Only the person who proposed this revision, or an admin, can discard it.")
            if not tx.reviews.decide_draft(
                team_id=team_id, draft_id=row.id, state=ReviewDraftState.discarded, by=actor, at=now
            ):
                raise ReviewError(_DECIDED)
            tx.audit.record(
                team_id=team_id,
                actor=actor or via,
                action="review.discard",
                target=f"review-draft:{row.id}",
                before={"state": "draft"},
                after={"state": "discarded"},
                at=now,
            )
            row = tx.reviews.get_draft(team_id=team_id, draft_id=row.id) or row
        return self._view(row, row.base_number + 1, _stored_changes(self.book, row), None)

    def _open_draft(self, tx: Any, team_id: str, draft_id: int) -> ReviewDraft:
        row = tx.reviews.get_draft(team_id=team_id, draft_id=draft_id)
        if row is None:
            raise ReviewError(_NO_DRAFT)
        if row.state != ReviewDraftState.draft.value:
            who = f" by <@{row.decided_by}>" if row.decided_by else ""
            raise ReviewError(f"This revision was already {row.state}{who}. Nothing was changed.")
        return row

    def _view(self, row: ReviewDraft, new_number: int, changes: list[str], dry: DryRun | None) -> DraftView:
        client = self.book.clients.get(row.client_key)
        lines = dry.lines if dry is not None else list((row.dry_run or {}).get("lines") or [])
        return DraftView(
            id=row.id,
            client_key=row.client_key,
            client_name=client.name if client else row.client_key,
            contract_key=row.contract_key,
            period_label=row.period_key,
            base_number=row.base_number,
            new_number=new_number,
            effective=row.effective,
            state=row.state,
            changes=changes,
            diff=row.diff,
            dry_run=lines,
            version_yaml=row.version_yaml,
            created_by=row.created_by,
            decided_by=row.decided_by,
            contract_file=str(self.book.source),
            stored_version_id=row.contract_version_id,
        )

    # ---- reminders -------------------------------------------------------------------------------

    def due_reminders(self, at: datetime) -> list[tuple[Client, str, str, str]]:
        """``(client, lead, cadence, label of the period to review)`` for every client with a lead."""
        out = []
        for client in self.book.clients.values():
            version = self.book.version_for(client.key, at)
            lead = version.review.lead or client.lead or version.alerts.lead
            if not lead:
                continue
            cadence = version.review.cadence
            current = review_period(cadence, at, self.timezone(client, at))
            out.append((client, lead, cadence, previous(current).label))
        return out

    def remind(self, team_ids: list[str], render: Callable[[Client, str, str], Any]) -> int:
        """Queue each account lead's reminder once per review period (any number of processes).

        ``render(client, cadence, period_label)`` gives the message (``text``, ``blocks``).
        Returns how many reminders were queued by this call.
        """
        now = self.clock.now()
        queued = 0
        due = self.due_reminders(now)
        for team_id in team_ids:
            for client, lead, cadence, label in due:
                key = _reminder_key(label, client.key)
                with self.uow.begin() as tx:
                    if tx.report_runs.get(team_id=team_id, kind=REMINDER_KIND, period_key=key) is not None:
                        continue
                    if not tx.report_runs.claim_report_run(
                        team_id=team_id, kind=REMINDER_KIND, period_key=key, now=now
                    ):
                        continue
                    message = render(client, cadence, label)
                    enqueue_composed(
                        tx, message, team_id=team_id, key=f"review-reminder:{key}", channel_id=lead, now=now
                    )
                    tx.report_runs.complete(team_id=team_id, kind=REMINDER_KIND, period_key=key, now=now)
                    queued += 1
        return queued


_NO_DRAFT = "I can't find that revision draft in this workspace. Nothing was changed."
_DECIDED = "Someone decided on this revision a moment ago. Nothing was changed."


def _with(view: DraftView, **changes: Any) -> DraftView:
    return replace(view, **changes)


def _stored_changes(book: ContractBook, row: ReviewDraft) -> list[str]:
    proposal = proposal_from_json(row.proposal or {})
    contract = book.contracts.get(row.contract_key)
    base = None
    if contract is not None and 1 <= row.base_number <= len(contract.versions):
        base = contract.versions[row.base_number - 1]

    out = []
    for priority, metrics in proposal.items():
        for metric, new in metrics.items():
            old = base.target_for(priority, metric) if base is not None else None
            before = target_text(old.duration) if old is not None else "?"
            out.append(f"{priority} {metric_words(metric)}: {before} → {target_text(new)}")
    return out


def _event(ref: str, client_key: str, row: Any) -> TicketEvent:
    kind = EventKind(row.kind)
    return TicketEvent(
        ticket_id=ref,
        at=row.at,
        kind=kind,
        priority=row.priority,
        status=row.status,
        client=(row.client or client_key) if kind is EventKind.OPENED else None,
        actor=row.actor,
        note=row.note,
    )


def _safely(fn: Callable[..., Any] | None, *args: Any, **kwargs: Any) -> Any:
    """Call another feature's service; its failure must not break the review (logged, None)."""
    if fn is None:
        return None
    try:
        return fn(*args, **kwargs)
    except Exception:
        log.exception("%s failed during an SLA review", getattr(fn, "__qualname__", fn))
        return None


def _value(source: Any, name: str) -> float | None:
    if source is None:
        return None
    value = source.get(name) if isinstance(source, Mapping) else getattr(source, name, None)
    return None if value is None else float(value)


def _feedback_trend(now: Any, before: Any) -> list[str]:
    """``CSAT 72 % (previous quarter 80 %, −8 pp)``-style lines when both quarters have figures."""
    out = []
    for name, unit, label in (("csat", " %", "CSAT"), ("nps", "", "NPS"), ("sentiment", "", "Sentiment")):
        a, b = _value(now, name), _value(before, name)
        if a is None or b is None:
            continue
        if name == "sentiment":
            out.append(f"{label} {a:+.2f} (previous quarter {b:+.2f}, {a - b:+.2f})")
        elif name == "nps":
            out.append(f"{label} {a:+.0f} (previous quarter {b:+.0f}, {a - b:+.0f})")
        else:
            out.append(f"{label} {a:.0f}{unit} (previous quarter {b:.0f}{unit}, {a - b:+.0f} pp)")
    return out


__all__ = [
    "CADENCE_UNITS",
    "DraftView",
    "History",
    "REMINDER_KIND",
    "ReviewError",
    "ReviewResult",
    "ReviewService",
]
