"""Getting reports to Slack: the on-demand ``/sla report`` (after the ack), the weekly summary
(durable, once per workspace and week) and the burn-rate warnings (once per episode).

- **On demand**: the listener acks at once; :func:`deliver_on_demand` then builds the report,
  posts it in the channel (several messages when Slack's limits need it), uploads the chart and
  the CSV into its thread with ``files_upload_v2``, and shows the caller an ephemeral summary.
  Nothing is queued: if Slack is down the caller is told, and asks again.
- **Weekly summary** (:class:`WeeklySummaryJob`): the first process whose run finds the week due
  claims ``report_runs(kind="weekly_summary", period_key="2026-W47")`` and, in the same
  transaction, queues the text in the outbox (kind ``"message"``, one row per message, keys
  ``report:weekly:<week>:<n>``), so the text is delivered exactly once by the notifier even if
  Slack is down for hours. Each run then looks for claimed runs not yet completed: once the first
  message has its ``ts``, the run locks the row (``FOR UPDATE SKIP LOCKED``), uploads the chart
  and the CSV into the message's thread and marks the run completed. A failed upload is retried
  by the next run. (A crash between the upload and the commit can repeat the upload once: files
  are at least once, the text exactly once.)
- **Burn rate** (:class:`BurnRateJob`): every objective of every client, checked with the
  multi-window rules of ``sla.objectives``; the most severe firing rule queues one warning to the
  account lead with the key ``burn:<client>:<objective>:<window>:<rule>:<episode start>``.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.clock import Clock
from bot.services.notices import enqueue_composed
from bot.services.reports import (
    Report,
    ReportError,
    ReportService,
    ReportTimer,
    describe_alert,
    episode_start,
)
from bot.teams import team_ids
from handlers.blocks import context
from handlers.blocks.limits import escape
from handlers.blocks.reports import (
    CLIENT_NOTE,
    PRIVATE_NOTE,
    burn_alert_message,
    report_failed_blocks,
    report_messages,
    report_summary_blocks,
)
from sla.extras import ExtraMissing
from sla.objectives import BurnAlert, Objective, burn_rate_alerts, outcomes_from_rows
from sla.periods import Period, unit, window_period
from storage.uow import UnitOfWork

log = logging.getLogger("bot.reports.delivery")  # the name operators have always filtered on

WEEKLY_KIND = "weekly_summary"
#: the slowest rule's long window (3 days) scaled to the longest objective window (a 92-day quarter)
LOOKBACK = timedelta(days=3) * 92 / 30 + timedelta(hours=1)
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
#: a weekly summary whose build fails this many runs in a row is given up (and shown to the admins)
MAX_ATTEMPTS = 3


def _footer(report: Report) -> str:
    return (
        f"Generated {report.generated_at.astimezone(report.period.tz):%a %d %b %Y %H:%M} "
        f"{report.period.tz.key} · compared with {report.previous_period.label} · "
        "times are business time on each contract's calendar"
    )


def upload_files(client: WebClient, report: Report, *, channel: str, thread_ts: str | None) -> None:
    """The chart (PNG) and the table (CSV) into the report's thread, in one ``files_upload_v2`` call.
    Without the ``charts`` extra (matplotlib) the CSV goes alone and the comment says how to get the chart."""
    files: list[dict[str, Any]] = []
    comment = "Chart and CSV of this report"
    try:
        files.append(
            {
                "content": report.chart(),
                "filename": f"{report.slug}.png",
                "title": f"Daily compliance and breaches — {report.period.label}",
                "alt_txt": "Daily compliance per priority (line chart) and breaches per day (bars)",
            }
        )
    except ExtraMissing as exc:
        log.warning("report chart left out", extra={"reason": str(exc)})
        comment = f"CSV of this report (no chart: {exc})"
    files.append(
        {
            "content": report.csv().encode("utf-8"),
            "filename": f"{report.slug}.csv",
            "title": "Compliance table (CSV)",
        }
    )
    client.files_upload_v2(file_uploads=files, channel=channel, thread_ts=thread_ts, initial_comment=comment)


def post_report(client: WebClient, report: Report, channel: str) -> str | None:
    """Post the full report in ``channel`` (a user id posts to the bot's DM); returns the first ts."""
    first_ts: str | None = None
    for message in report_messages(report.summary, report.table_lines(), footer=_footer(report)):
        response = client.chat_postMessage(channel=channel, **message.as_kwargs())
        if first_ts is None:
            first_ts = response.get("ts")
            channel = response.get("channel") or channel  # a DM's conversation id, for the upload
    upload_files(client, report, channel=channel, thread_ts=first_ts)
    return first_ts


@dataclass(frozen=True)
class OnDemand:
    """One ``/sla report`` to finish after the ack."""

    team_id: str
    user_id: str
    asked_in: str | None
    """The conversation the command was typed in (ephemeral answers go there)."""
    destination: str
    """Where the full report goes: the channel asked in, the summary channel, or the user (DM)."""
    period_text: str | None
    client: str | None
    #: only the asker sees it: ephemeral in the channel asked in (a DM when asked in one)
    private: bool = False
    #: a client asked: its own client's reading (no feedback figures, no credits)
    for_client: bool = False

    @property
    def ephemeral(self) -> bool:
        return self.private and self.destination[:1] in ("C", "G")


def post_ephemeral_report(client: WebClient, report: Report, job: OnDemand) -> None:
    """The full report as messages only the asker sees (files cannot be ephemeral: none here)."""
    for message in report_messages(report.summary, report.table_lines(), footer=_footer(report)):
        client.chat_postEphemeral(channel=job.destination, user=job.user_id, **message.as_kwargs())


def deliver_on_demand(service: ReportService, client: WebClient, job: OnDemand) -> Report | None:
    """Build, post, upload, and tell the caller (ephemeral); errors become a message, never a crash."""
    try:
        report = service.build(
            team_id=job.team_id, period=job.period_text, client=job.client, for_client=job.for_client
        )
        if job.ephemeral:
            post_ephemeral_report(client, report, job)
            note = CLIENT_NOTE if job.for_client else PRIVATE_NOTE
            client.chat_postEphemeral(
                channel=job.destination, user=job.user_id, text=note, blocks=[context(note)]
            )
            return report
        post_report(client, report, job.destination)
    except ReportError as exc:
        _tell(client, job, [], str(exc))
        return None
    except SlackApiError as exc:
        reason = str(exc.response.get("error") if exc.response is not None else exc)
        log.warning("could not post the report to %s: %s", job.destination, reason)
        _tell(client, job, report_failed_blocks(reason), f"The report could not be posted: {reason}")
        return None
    except Exception:  # a thread of its own: nothing above it would tell the caller
        log.exception("report for %s failed", job.team_id)
        reason = "something went wrong on our side (it is in the logs); try again in a minute"
        _tell(client, job, report_failed_blocks(reason), f"The report could not be built: {reason}")
        return None
    blocks = report_summary_blocks(report.summary, posted_in=job.destination)
    _tell(client, job, blocks, escape(report.title))
    return report


def _tell(client: WebClient, job: OnDemand, blocks: list[dict[str, Any]], text: str) -> None:
    """Ephemeral in the conversation asked in; a DM when that is not possible (DMs, private channels)."""
    if job.asked_in and not job.asked_in.startswith("D"):
        try:
            client.chat_postEphemeral(
                channel=job.asked_in, user=job.user_id, text=text, blocks=blocks or None
            )
            return
        except SlackApiError:
            log.info("no ephemeral in %s for %s; sending a DM", job.asked_in, job.user_id)
    try:
        client.chat_postMessage(channel=job.user_id, text=text, blocks=blocks or None)
    except SlackApiError:
        log.warning("could not show %s the report summary", job.user_id, exc_info=True)


# ---- the weekly summary ----------------------------------------------------------------------


def summary_due(now: datetime, *, day: str, at: str, tz: str) -> tuple[str, datetime] | None:
    """``(week label, due instant)`` of the summary due by ``now``: the summary of ISO week W is
    due on ``day`` at ``at`` (local, ``tz``) of week W+1. None before this week's instant (last
    week's summary, if it was never sent, is not sent a week late)."""
    zone = ZoneInfo(tz)
    local = now.astimezone(zone)
    monday = local.date() - timedelta(days=local.weekday())
    hour, minute = (int(x) for x in at.split(":"))
    due_day = monday + timedelta(days=WEEKDAYS.index(day))
    due = datetime.combine(due_day, time(hour, minute), tzinfo=zone)
    if now < due:
        return None
    last_week = unit("week", monday - timedelta(days=7), zone)
    return last_week.label, due


def weekly_key(label: str, n: int) -> str:
    return f"report:weekly:{label}:{n}"


class WeeklySummaryJob:
    """Run often (every few minutes): posts each workspace's summary once per week (module docstring)."""

    def __init__(
        self,
        *,
        uow: UnitOfWork,
        service: ReportService,
        clock: Clock,
        clients: Callable[[str], WebClient | None],
        channel: str | None,
        day: str = "mon",
        at: str = "09:00",
        tz: str = "UTC",
    ) -> None:
        self.uow, self.service, self.clock, self.clients = uow, service, clock, clients
        self.channel, self.day, self.at, self.tz = channel, day, at, tz

    def run_once(self) -> list[str]:
        """Queue due summaries and finish their uploads; returns the team ids queued in this run."""
        if not self.channel:
            return []
        now = self.clock.now()
        due = summary_due(now, day=self.day, at=self.at, tz=self.tz)
        if due is None:
            return []
        label, _ = due
        queued = []
        for team_id in team_ids(self.uow):
            try:
                if self._queue(team_id, label, now):
                    queued.append(team_id)
                self._finish(team_id, label)
            except Exception:  # one workspace's trouble must not stop the others
                log.exception("weekly summary of %s for %s failed; retried on the next run", team_id, label)
        return queued

    def _queue(self, team_id: str, label: str, now: datetime) -> bool:
        assert self.channel is not None
        try:
            return self._claim_and_queue(team_id, label, now)
        except Exception as exc:  # the reason goes to the log and to /sla admin alerts
            reason = f"{type(exc).__name__}: {exc}"[:500]
            with self.uow.begin() as tx:
                run = tx.report_runs.record_failure(
                    team_id=team_id,
                    kind=WEEKLY_KIND,
                    period_key=label,
                    error=reason,
                    now=now,
                    give_up_after=MAX_ATTEMPTS,
                )
            if run.failed_at is not None:
                log.error(
                    "weekly summary %s of %s failed %d times; not retried (see /sla admin alerts): %s",
                    label,
                    team_id,
                    run.attempts,
                    reason,
                    exc_info=exc,
                )
            else:
                log.error(
                    "weekly summary %s of %s failed (attempt %d of %d), retried on the next run: %s",
                    label,
                    team_id,
                    run.attempts,
                    MAX_ATTEMPTS,
                    reason,
                    exc_info=exc,
                )
            return False

    def _claim_and_queue(self, team_id: str, label: str, now: datetime) -> bool:
        assert self.channel is not None
        with self.uow.begin() as tx:
            if not tx.report_runs.claim_report_run(
                team_id=team_id, kind=WEEKLY_KIND, period_key=label, now=now
            ):
                return False
            report = self.service.build(team_id=team_id, period=label, title=f"Weekly SLA summary — {label}")
            messages = report_messages(report.summary, report.table_lines(), footer=_footer(report))
            for n, message in enumerate(messages, start=1):
                at = now + timedelta(microseconds=n - 1)  # keeps the parts in order
                enqueue_composed(
                    tx, message, team_id=team_id, key=weekly_key(label, n), channel_id=self.channel, now=at
                )
        log.info("weekly summary %s of %s queued (%d messages)", label, team_id, len(messages))
        return True

    def _finish(self, team_id: str, label: str) -> bool:
        """Upload the chart and CSV once the text is posted; True when the run got completed here."""
        with self.uow.begin() as tx:
            run = tx.report_runs.lock_incomplete(team_id=team_id, kind=WEEKLY_KIND, period_key=label)
            if run is None:
                return False
            first = tx.outbox.get_by_key(team_id=team_id, idempotency_key=weekly_key(label, 1))
            if first is None or first.state in ("pending", "claimed"):
                return False  # the notifier has not posted the text yet
            if first.state == "sent" and first.slack_ts:
                client = self.clients(team_id)
                if client is None:
                    return False
                report = self.service.build(team_id=team_id, period=label)
                upload_files(
                    client, report, channel=first.channel_id or self.channel or "", thread_ts=first.slack_ts
                )
            else:
                log.warning(
                    "weekly summary %s of %s was not posted (%s): no files", label, team_id, first.state
                )
            tx.report_runs.complete(team_id=team_id, kind=WEEKLY_KIND, period_key=label, now=self.clock.now())
        return True


# ---- burn-rate warnings ----------------------------------------------------------------------


def burn_key(client: str, objective: Any, window_label: str, threshold: float, start: datetime) -> str:
    what = f"{objective.metric}:{objective.priority or 'all'}:{objective.target_ratio:g}:{objective.window}"
    digest = hashlib.sha1(what.encode()).hexdigest()[:8]
    return f"burn:{client}:{digest}:{window_label}:{threshold:g}x:{start:%Y%m%dT%H%M%S}"


class BurnRateJob:
    """Every few minutes: warn each objective's lead once per burn episode (module docstring)."""

    def __init__(
        self, *, uow: UnitOfWork, service: ReportService, clock: Clock, fallback_channel: str | None
    ) -> None:
        self.uow, self.service, self.clock = uow, service, clock
        self.fallback_channel = fallback_channel

    def run_once(self) -> list[str]:
        """Check every workspace; returns the idempotency keys of the warnings queued now."""
        queued: list[str] = []
        for team_id in team_ids(self.uow):
            try:
                queued += self.check(team_id)
            except Exception:
                log.exception("burn-rate check of %s failed", team_id)
        return queued

    def check(self, team_id: str) -> list[str]:
        """Outcomes of the last few days only (the longest scaled lookback); the month's attainment is
        read only for an objective that is burning, to word the warning."""
        now = self.clock.now()
        book = self.service.book
        burning: list[tuple[str, Objective, Period, BurnAlert, list[tuple[datetime, bool]]]] = []
        rows: list[ReportTimer] | None = None
        for client in sorted(book.clients):
            version = book.version_for(client, now)
            for spec in version.objectives:
                objective = Objective.from_contract(spec)
                window = window_period(objective.window, at=now, tz=self.service.zone(client, now))
                if rows is None:
                    rows = self._recent(team_id, now)
                outcomes = outcomes_from_rows(objective, [r for r in rows if r.client == client])
                alerts = burn_rate_alerts(objective, outcomes, window, now)
                if alerts:
                    burning.append((client, objective, window, alerts[0], outcomes))
        queued = []
        for client, objective, window, alert, outcomes in burning:  # alert: the most severe rule firing
            recipient, lead = self._recipient(client, now)
            if recipient is None:
                log.warning("objective of %s at risk but no lead or channel to warn", client)
                continue
            start = episode_start(objective, outcomes, window, now, alert.threshold) or now
            key = burn_key(client, objective, window.label, alert.threshold, start)
            status = next(
                (
                    s
                    for s in self.service.objectives_now(team_id=team_id, client=client)
                    if s.objective == objective
                ),
                None,
            )
            name = book.clients[client].name
            text = describe_alert(status, alert, name) if status else f"{name} — {alert.message}"
            message = burn_alert_message(text, lead=lead)
            with self.uow.begin() as tx:
                if enqueue_composed(tx, message, team_id=team_id, key=key, channel_id=recipient, now=now):
                    queued.append(key)
        return queued

    def _recent(self, team_id: str, now: datetime) -> list[ReportTimer]:
        """Timers decided within the longest lookback any objective window can need (3 days × 92/30)."""
        with self.uow.begin(read_only=True) as tx:
            items = tx.reports.timers_in_period(
                team_id=team_id, start=now - LOOKBACK, end=now + timedelta(seconds=1), now=now
            )
        return [ReportTimer.from_period_timer(i) for i in items]

    def _recipient(self, client: str, now: datetime) -> tuple[str | None, str | None]:
        """The lead (a DM) of the contract's alerts, the client or its reviews; else the alert channel."""
        version = self.service.book.version_for(client, now)
        lead = version.alerts.lead or self.service.book.clients[client].lead or version.review.lead
        if lead and lead[:1] in ("U", "W"):
            return lead, lead
        return version.alerts.channel or self.fallback_channel, lead


__all__ = [
    "BurnRateJob",
    "OnDemand",
    "WeeklySummaryJob",
    "burn_key",
    "deliver_on_demand",
    "post_report",
    "summary_due",
    "upload_files",
]
