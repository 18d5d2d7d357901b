"""The real app behind its HTTP endpoint for the helpdesk/alerting corpus tests (Jira, Zendesk,
Alertmanager): bootstrapped on SQLite with ``tests/payloads/contracts.yaml`` (effective from 2010:
the captured deliveries are that old), webhook secrets configured, requests signed as each sender
signs them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bot.app import Runtime, bootstrap
from bot.clock import ManualClock
from bot.sandbox.emulator import inbound
from bot.sandbox.emulator.server import SlackEmulator
from bot.server import BackgroundServer
from bot.settings import Settings
from bot.sources.signing import sign_jira, sign_zendesk
from storage.models import Ticket, TicketEventRow
from tests.support.http import json_call

ROOT = Path(__file__).resolve().parents[2]
CONTRACTS = ROOT / "tests" / "payloads" / "contracts.yaml"
TEAM = inbound.DEFAULT_TEAM_ID  # the emulated workspace
JIRA_SECRET, ZENDESK_SECRET, ALERTMANAGER_TOKEN = (
    "jira-corpus-secret",
    "zendesk-corpus-secret",
    "am-corpus-token",
)


@dataclass
class WebhookApp:
    runtime: Runtime
    url: str
    clock: ManualClock

    def post(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
        return json_call(self.url + path, data=body, headers={"Content-Type": "application/json", **headers})

    def jira(self, body: bytes, query: str = "?client=acme") -> tuple[int, dict[str, Any]]:
        return self.post("/webhooks/jira" + query, body, sign_jira(JIRA_SECRET, body))

    def zendesk(self, body: bytes, query: str = "") -> tuple[int, dict[str, Any]]:
        stamp = self.clock.now().strftime("%Y-%m-%dT%H:%M:%SZ")
        return self.post("/webhooks/zendesk" + query, body, sign_zendesk(ZENDESK_SECRET, body, stamp))

    def alertmanager(self, body: bytes) -> tuple[int, dict[str, Any]]:
        return self.post("/webhooks/alertmanager", body, {"Authorization": f"Bearer {ALERTMANAGER_TOKEN}"})

    def events(self, external_ref: str) -> list[tuple[str, Any]]:
        """(kind, status or priority) of the ticket's events, in order; [] when there is no ticket."""
        with self.runtime.services.uow.begin(read_only=True) as tx:
            ticket = tx.session.scalar(select(Ticket).where(Ticket.external_ref == external_ref))
            if ticket is None:
                return []
            rows = tx.session.execute(
                select(TicketEventRow.kind, TicketEventRow.status, TicketEventRow.priority)
                .where(TicketEventRow.ticket_id == ticket.id)
                .order_by(TicketEventRow.seq)
            )
            return [(kind, status or priority) for kind, status, priority in rows]

    def ticket(self, external_ref: str) -> Ticket | None:
        with self.runtime.services.uow.begin(read_only=True) as tx:
            ticket = tx.session.scalar(select(Ticket).where(Ticket.external_ref == external_ref))
            if ticket is not None:
                tx.session.expunge(ticket)
            return ticket

    def ignored(self, source: str, reason: str | None = None) -> int:
        return self.runtime.services.intake.count(source, reason)


@contextmanager
def webhook_app(tmp_path: Path, *, now: datetime, contracts: Path = CONTRACTS) -> Iterator[WebhookApp]:
    clock = ManualClock(now)
    with SlackEmulator(clock=clock, auto_create_channels=True) as slack:
        slack.add_user("U0AGENT001", "agent")
        slack.add_channel("C0SUPPORT1", "acme-support", members=["U0AGENT001"])
        settings = Settings(
            SLACK_BOT_TOKEN="xoxb-corpus",
            SLACK_SIGNING_SECRET="corpus-signing-secret",
            SLACK_API_URL=slack.url,
            DATABASE_URL=f"sqlite:///{tmp_path / 'corpus.db'}",
            SLABOT_CONTRACTS=str(contracts),
            SLABOT_SCHEDULER=False,
            SLABOT_WEBHOOK_SECRETS=f"jira={JIRA_SECRET},zendesk={ZENDESK_SECRET}",
            SLABOT_ALERTMANAGER_TOKEN=ALERTMANAGER_TOKEN,
            SLABOT_TEAM_ID=TEAM,
        )
        runtime = bootstrap(settings, clock=clock)
        with BackgroundServer(runtime.web) as server:
            yield WebhookApp(runtime, server.url, clock)
