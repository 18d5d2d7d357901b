"""The three ticket webhooks as plain functions of an :class:`~bot.web.HttpRequest`.

- ``POST /webhooks/tickets`` — slabot's JSON events (:mod:`bot.sources.schema`).
- ``POST /webhooks/zendesk`` — a Zendesk trigger's body (:mod:`bot.sources.zendesk`).
- ``POST /webhooks/jira`` — Jira Service Management's webhooks (:mod:`bot.sources.jira`).

Answers (JSON): ``401`` when the signature does not verify; ``400`` with ``problems`` (one line
per bad event and field) when anything in the request is wrong — then **nothing** of it is
stored: the whole request is validated and dry-run first; ``200`` with one result per event
(``created``, ``duplicate`` — the id was seen before —, or ``unchanged``); ``409`` if an event was
refused while being stored because the ticket changed meanwhile (the others are stored: send
the request again and the stored ones come back as ``duplicate``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from pydantic import SecretStr

from bot.clock import Clock
from bot.edge_text import decode_json
from bot.services.intake import IntakeLog
from bot.sources import signing
from bot.sources.ingest import TicketIngest
from bot.sources.jira import ValueMap, issue_ref, jira_events, project_client
from bot.sources.schema import Intake, PayloadError, SourceEvent, parse_body
from bot.sources.zendesk import zendesk_events, zendesk_ticket_id
from bot.teams import TeamError
from bot.web import HttpRequest, HttpResponse

log = logging.getLogger(__name__)


def _query(request: HttpRequest, name: str) -> str | None:
    values = parse_qs(request.query).get(name)
    return values[0].strip() if values and values[0].strip() else None


def _json(body: bytes) -> Any:
    try:
        return decode_json(body)  # bounded depth; NUL and lone surrogates made storable
    except ValueError as exc:
        raise PayloadError([f"body: {exc}"]) from None


@dataclass
class Webhooks:
    ingest: TicketIngest
    secrets: Mapping[str, SecretStr]
    clock: Clock
    team: Callable[[], str]
    intake: IntakeLog = field(default_factory=IntakeLog)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    # ------------------------------------------------------------------ routes

    def tickets(self, request: HttpRequest) -> HttpResponse:
        try:
            verified = signing.verify_slabot(self.secrets, request.headers, request.body, self.clock.now())
        except signing.SignatureError as exc:
            return self._unauthorized(request, exc)
        return self._ingest(verified.source, lambda team: parse_body(request.body))

    def zendesk(self, request: HttpRequest) -> HttpResponse:
        source = _query(request, "source") or "zendesk"
        try:
            signing.verify_zendesk(
                self.secrets.get(source), request.headers, request.body, self.clock.now(), source=source
            )
        except signing.SignatureError as exc:
            return self._unauthorized(request, exc)

        def events(team: str) -> Intake:
            payload = _json(request.body)
            ticket_id = zendesk_ticket_id(payload)
            known = self.ingest.known(team_id=team, source=source, ticket_id=ticket_id) if ticket_id else None
            book = self.ingest.tickets.book
            client = _query(request, "client") or (known.client if known else None)
            body_client = payload.get("client") if isinstance(payload, dict) else None
            lookup = client or (body_client if isinstance(body_client, str) else None)
            priorities: tuple[str, ...] = ()
            if lookup in book.clients:
                priorities = tuple(book.version_for(lookup, self.clock.now()).priorities)
            return zendesk_events(
                payload,
                known,
                client=client,
                statuses=self.ingest.statuses(),
                priorities=priorities,
                mapping=self.value_map(lookup, source),
                delivery_id=request.headers.get("x-zendesk-webhook-invocation-id") or None,
                signed_at=signing.zendesk_timestamp(request.headers),
            )

        return self._ingest(source, events, adapter="zendesk")

    def jira(self, request: HttpRequest) -> HttpResponse:
        source = _query(request, "source") or "jira"
        try:
            signing.verify_jira(self.secrets.get(source), request.headers, request.body, source=source)
        except signing.SignatureError as exc:
            return self._unauthorized(request, exc)

        def events(team: str) -> Intake:
            payload = _json(request.body)
            key, issue_id = issue_ref(payload)
            known = self.ingest.known(team_id=team, source=source, ticket_id=key) if key else None
            if known is None and issue_id:  # a delivery without the issue (or keyed by id): by its opening
                known = self.ingest.known_by_event(
                    team_id=team, source=source, event_id=f"issue-{issue_id}-created"
                )
            book = self.ingest.tickets.book
            client = project_client(payload, _query(request, "client"), frozenset(book.clients))
            client = client or (known.client if known else None)
            priorities: tuple[str, ...] = ()
            if client in book.clients:
                priorities = tuple(book.version_for(client, self.clock.now()).priorities)
            return jira_events(
                payload,
                known=known,
                client=client,
                priorities=priorities,
                statuses=self.ingest.statuses(),
                mapping=self.value_map(client, source),
            )

        return self._ingest(source, events, adapter="jira")

    def value_map(self, client: str | None, source: str) -> ValueMap:
        """The client's contract mapping of this source's values (``sources.<source>``)."""
        book = self.ingest.tickets.book
        if client not in book.clients:
            return ValueMap()
        values = book.version_for(client, self.clock.now()).sources.get(source)
        if values is None:
            return ValueMap()
        return ValueMap(priorities=dict(values.priorities), statuses=dict(values.statuses))

    # ------------------------------------------------------------------ shared

    def _ingest(
        self, source: str, read: Callable[[str], list[SourceEvent] | Intake], *, adapter: str | None = None
    ) -> HttpResponse:
        try:
            team = self.team()
        except TeamError as exc:
            log.error("webhook refused: %s", exc)
            return HttpResponse.json(503, {"ok": False, "error": str(exc)})
        # one request at a time per process (reading what is known, checking, storing): two
        # deliveries cannot both open a ticket, nor compare a snapshot with a stale state
        with self._lock:
            try:
                read_out = read(team)
            except PayloadError as exc:
                log.info("webhook payload refused source=%s problems=%d", source, len(exc.errors))
                return HttpResponse.json(
                    400, {"ok": False, "error": "bad payload", "problems": exc.errors, "stored": 0}
                )
            intake = read_out if isinstance(read_out, Intake) else Intake(read_out, [])
            for item in intake.ignored:  # logged and counted; the rest of the delivery is recorded
                self.intake.ignored(adapter or source, item.reason, item.detail, webhook=source)
            return self._plan_and_apply(team, source, intake)

    def _plan_and_apply(self, team: str, source: str, intake: Intake) -> HttpResponse:
        plan = self.ingest.plan(team_id=team, source=source, events=intake.events)
        if not plan.ok:
            problems = [
                f"event {p.index} (id={p.event_id}, ticket {p.ticket_id}): {p.message}" for p in plan.problems
            ]
            log.info("webhook events refused source=%s problems=%d", source, len(problems))
            return HttpResponse.json(
                400, {"ok": False, "error": "bad events", "problems": problems, "stored": 0}
            )
        # stored in one transaction, in bulk, with the ticket listeners (re-planned there under lock:
        # what changed since this dry run is refused and reported, the rest stored)
        _stored, outcomes = self.ingest.store(team_id=team, source=source, events=intake.events)
        results = sorted(outcomes, key=lambda r: r.index)
        counts = {
            s: sum(1 for r in results if r.status == s)
            for s in ("created", "duplicate", "unchanged", "rejected")
        }
        body: dict[str, Any] = {
            "ok": counts["rejected"] == 0,
            "results": [r.to_json() for r in results],
            **counts,
        }
        if intake.ignored:  # what changed no clock, and why (an unmapped value, an internal note, ...)
            body["ignored"] = [{"reason": i.reason, "detail": i.detail} for i in intake.ignored]
        if len(results) == 1:
            body["status"] = results[0].status
        return HttpResponse.json(409 if counts["rejected"] else 200, body)

    @staticmethod
    def _unauthorized(request: HttpRequest, exc: Exception) -> HttpResponse:
        log.warning("webhook signature refused path=%s reason=%s", request.path, exc)
        return HttpResponse.json(401, {"ok": False, "error": f"unauthorized: {exc}"})
