"""The App Home tab: my open tickets, the team's at-risk and breached ones, this week's compliance."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.services.home_refresh import HomeRefresher
from handlers.blocks.home import home_view
from handlers.ids import ActionId
from handlers.workspace import team_of
from sla.durations import format_duration
from sla.roles import Action, Where, may

if TYPE_CHECKING:
    from bot.services.container import Services


def build_home(services: Services, team_id: str, user_id: str) -> dict[str, Any]:
    """Everyone's tickets and requests; the team part for our side (``sla.roles``: every client's for
    agents, admins and leads or managers of every client; their own clients' for the others)."""
    tickets = services.tickets
    page = tickets.open_page(team_id=team_id, assignee=user_id, limit=25)
    mine, now = page.views, page.now
    who = services.people.person(team_id, user_id)
    if may(who, Action.HOME_TEAM, Where()):
        scope: list[str] | None = None
    else:
        scope = [k for k in services.book.clients if may(who, Action.HOME_TEAM, Where(client=k))]
    if scope == []:  # a client (or staff of no client here): its own requests only
        own = tickets.open_page(team_id=team_id, requester=user_id, limit=25).views
        return home_view(own, [], [], [], None, now=now)
    at_risk, breached, lines = _team_part(services, team_id, now, scope)
    admin = services.failed_alerts(team_id) if may(who, Action.ADMIN_ALERTS, Where()) else None
    return home_view(mine, at_risk, breached, lines, admin, now=now)


def _team_part(
    services: Services, team_id: str, now: datetime, scope: list[str] | None
) -> tuple[list[Any], list[Any], list[str]]:
    """At risk, breached and the week's compliance lines: of every client (``scope`` None) or of some."""
    tickets = services.tickets
    at_risk: list[Any] = []
    breached: list[Any] = []
    for client_key in scope if scope is not None else [None]:
        at_risk += tickets.open_page(team_id=team_id, client_key=client_key, state="at_risk", limit=25).views
        breached += tickets.open_page(
            team_id=team_id, client_key=client_key, state="breached", limit=25
        ).views
    counts = services.compliance_counts(team_id=team_id, start=now - timedelta(days=7), end=now, now=now)
    lines = []
    for c in counts:
        decided = c.met + c.breached
        if decided and (scope is None or c.client_key in scope):
            lines.append(
                f"{c.client_key or '—'} · {c.priority or '—'} {c.metric.replace('_', ' ')}: "
                f"{c.met}/{decided} met · {round(100 * c.met / decided)} %"
            )
    if not lines:
        lines = [f"No SLA clock stopped in the last {format_duration(timedelta(days=7))}."]
    return at_risk[:25], breached[:25], lines


def publish_home(services: Services, client: WebClient, team_id: str, user_id: str) -> None:
    client.views_publish(user_id=user_id, view=build_home(services, team_id, user_id))


def register(app: App, services: Services) -> None:
    def publish(team_id: str, user_id: str) -> None:
        client = services.client_for(team_id)
        if client is not None:
            publish_home(services, client, team_id, user_id)

    refresher = HomeRefresher(publish, debounce=services.settings.home_refresh_seconds)
    services.tickets.after_commit.append(refresher.changed)
    services.home_refresher = refresher

    @app.event("app_home_opened")
    def on_home(event: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        if event.get("tab", "home") == "home":
            team_id = team_of(context)
            publish_home(services, client, team_id, event["user"])
            refresher.opened(team_id, event["user"])

    @app.action(ActionId.HOME_REFRESH.value)
    def on_refresh(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        ack()
        publish_home(services, client, team_of(context), (body.get("user") or {}).get("id") or "")
