"""One alert message per ticket timer and place (issue 19): a timer's warnings and its breach update
the message its first alert posted (``chat.update``) instead of posting a new one per threshold.

The message of a (ticket, metric, cycle) in one place (channel, thread) is remembered in
``alert_messages`` (``tx.outbox.alert_message`` / ``record_alert_message``), written in the
transaction that marks the notification sent. Each threshold keeps its own outbox row and key, so
enqueueing stays exactly-once and a Slack failure is retried like any delivery; only the Slack call
changes:

- a warning or breach whose timer already has a message there is an **update** of that message (it
  shows the latest state; pacing does not apply: nothing new appears in the channel);
- a breach carries mentions (``escalate_to``, ``lead``), and Slack notifies nobody of a mention added
  by an edit: so the update is followed by a short reply **in the message's thread** with the
  mentions (posted once: its key is the row's key + ``#page``, looked up in the thread first when an
  earlier attempt may have posted it);
- the message is gone (``message_not_found``, ``cant_update_message``, the channel archived or left):
  a new message is posted as if there had been none, and remembered instead;
- escalations (other people, often another channel), "met" notes and digests post as before; an
  alert that goes out in a digest leaves its timer's message alone.

:class:`AlertMessages` is a part of :class:`bot.services.delivery.OutboxDelivery` (a mix-in: the
delivery's state and its Slack helpers are its own).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

from bot.services.delivery_ports import EVENT_TYPE, DeliveryStop
from bot.services.notices import AlertItem
from sla.visibility import Directory

# the delivery's own rows, units and rounds (``_Job``, ``_Unit``, ``_Round`` of bot.services.delivery)
# are typed Any here: that module imports this one
_Job = _Unit = _Round = Any

#: kinds whose timer message is updated rather than posted again
UPDATED_KINDS: Final = frozenset({"warning", "breach"})
#: Slack answers to chat.update meaning the message (or its channel) is not there to update
GONE: Final = frozenset(
    {"message_not_found", "cant_update_message", "channel_not_found", "is_archived", "not_in_channel"}
)
PAGE_SUFFIX: Final = "#page"


class AlertMessages:
    """The update path of :class:`~bot.services.delivery.OutboxDelivery` (see the module)."""

    def _directory(self: Any) -> Directory:
        """Who reads which channel (:mod:`sla.visibility`), built again when the contract book changes."""
        if self._audiences is None or self._audiences[0] is not self.book:
            self._audiences = (self.book, Directory.of(self.book))
        return self._audiences[1]

    def _client_may_see(self: Any, job: _Job, contexts: dict[Any, Any]) -> bool:
        """Whether an alert row may go to a client-facing destination: only a "met" note (the ticket's own
        status) when the contract shows clients the status (``alerts.client_thread: status``). Rows
        queued before the visibility rule (a warning's thread copy) are stopped here."""
        if job.kind != "met":
            return False
        ctx = contexts.get((job.team_id, job.ticket_id or 0))
        return ctx is not None and ctx.version.alerts.client_thread == "status"

    @staticmethod
    def _superseded_warnings(jobs: list[_Job]) -> dict[int, str]:
        """Warnings held over quiet hours of a timer in one place with a later warning of it in
        the same claim: row id → the key of the latest, which alone is sent (after an outage every
        warning is still delivered, in order: the timer's message moves through each)."""
        latest: dict[tuple[Any, ...], _Job] = {}
        out: dict[int, str] = {}
        for job in jobs:  # oldest first
            if job.kind != "warning":
                continue
            place = (job.team_id, job.ticket_id, job.payload.get("metric"), job.payload.get("cycle"))
            place += (job.channel_id, job.thread_ts)
            earlier = latest.get(place)
            if earlier is not None and earlier.payload.get("quiet_until"):
                out[earlier.id] = job.key
            latest[place] = job
        return {row: key for row, key in out.items() if row not in {j.id for j in latest.values()}}

    def _timer_message(self: Any, job: _Job) -> str | None:
        """The ts of the message this row's timer already has in the row's place, if any."""
        place = _message_place(job)
        if place is None:
            return None
        with self.uow.begin(read_only=True) as tx:
            row = tx.outbox.alert_message(**place)
            return row.slack_ts if row is not None else None

    def _remember(self: Any, tx: Any, job: _Job, ts: str | None, now: datetime) -> None:
        """In the transaction marking ``job`` sent: its timer's message in this place is ``ts`` now."""
        place = _message_place(job)
        if ts is None or place is None:
            return
        tx.outbox.record_alert_message(**place, slack_ts=ts, showing=job.key, now=now)

    def _deliver_update(self: Any, r: _Round, unit: _Unit) -> None:
        """Update the timer's message to show this alert; for a breach, page its people in the thread."""
        client, channel_id, now, stats = r.client, r.channel_id, r.now, r.stats
        job, item = unit.items[0]
        ts = unit.ts
        assert ts is not None
        if self._maybe_posted(job, now) and self._shows_key(client, channel_id, job.thread_ts, ts, job):
            # an earlier attempt's update reached Slack, then the process died before recording it
            stats.found_posted += 1
        else:
            message = self._message(job, item, now)
            try:
                client.chat_update(
                    channel=channel_id,
                    ts=ts,
                    metadata={"event_type": EVENT_TYPE, "event_payload": {"key": job.key}},
                    **message.as_kwargs(),
                )
            except Exception as exc:  # noqa: BLE001 - classified below; unknown types are re-raised
                failure = self.classify(exc, job.attempts)
                if failure is None:
                    raise
                if failure.code not in GONE:
                    raise DeliveryStop(failure) from exc
                # the message is gone: post the alert anew (and remember that one instead)
                posted = self._post(client, channel_id, job.thread_ts, message, {"key": job.key}, [job])
                stats.posted += 1
                self._sent([job], posted, now, stats)
                return
            stats.updated += 1
        self._page(r, ts, job, item)
        self._sent([job], ts, now, stats)

    def _shows_key(
        self: Any, client: Any, channel_id: str, thread_ts: str | None, ts: str, job: _Job
    ) -> bool:
        """Does the timer's message at ``ts`` already carry ``job``'s key in its metadata? (An update is
        invisible when repeated, but the retry of one that reached Slack must not count twice.) Reads
        that one message: ``conversations.history`` (or ``.replies`` in a thread) from ``ts`` to ``ts``."""
        args: dict[str, Any] = {
            "channel": channel_id,
            "oldest": ts,
            "latest": ts,
            "inclusive": True,
            "include_all_metadata": True,
        }
        try:
            if thread_ts and thread_ts != ts:
                response = client.conversations_replies(ts=thread_ts, limit=200, **args)
            else:
                response = client.conversations_history(limit=1, **args)
        except Exception as exc:  # noqa: BLE001 - classified; a failed look is a failed attempt
            self._raise_for(exc, [job])
            raise
        for message in response.get("messages") or []:
            if str(message.get("ts")) != ts:
                continue
            metadata = message.get("metadata") or {}
            body = metadata.get("event_payload") or {}
            return (
                metadata.get("event_type") == EVENT_TYPE
                and isinstance(body, dict)
                and body.get("key") == job.key
            )
        return False

    def _page(self: Any, r: _Round, ts: str, job: _Job, item: AlertItem) -> None:
        """The reply that notifies the people an updated breach names (an edit notifies nobody); none
        when the alert names nobody."""
        client, channel_id, now = r.client, r.channel_id, r.now
        mention = list(job.payload.get("mention") or [])
        if not mention:
            return
        key = job.key + PAGE_SUFFIX
        if self._maybe_posted(job, now) and key in self._posted_keys(
            client, channel_id, ts, [job], r.history
        ):
            return
        self._post(
            client, channel_id, ts, self.rendering.page(item, now, mention=mention), {"key": key}, [job]
        )
        r.stats.posted += 1


def _message_place(job: _Job) -> dict[str, Any] | None:
    """Where the message of a row's timer stands (workspace, ticket, metric, cycle, channel, thread),
    as the keywords of ``tx.outbox.alert_message``; None for a row whose message is never updated."""
    if job.kind not in UPDATED_KINDS or job.ticket_id is None or not job.channel_id:
        return None
    metric, cycle = job.payload.get("metric"), job.payload.get("cycle")
    if not isinstance(metric, str) or not isinstance(cycle, int):
        return None
    return {
        "team_id": job.team_id,
        "ticket_id": job.ticket_id,
        "metric": metric,
        "cycle": cycle,
        "channel_id": job.channel_id,
        "thread_ts": job.thread_ts,
    }
