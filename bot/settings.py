"""All of slabot's configuration, read once from the environment (and an optional ``.env``).

Slack's own variable names are kept as Slack documents them (``SLACK_BOT_TOKEN``, ...);
everything slabot adds is prefixed ``SLABOT_``. Secrets are ``SecretStr`` so they never
appear in logs or reprs.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SLACK_API_URL = "https://slack.com/api/"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        populate_by_name=True,
    )

    # --- Slack -----------------------------------------------------------------------------
    slack_bot_token: SecretStr | None = Field(
        default=None,
        validation_alias="SLACK_BOT_TOKEN",
        description="Bot token (xoxb-...) for single-workspace mode.",
    )
    slack_signing_secret: SecretStr | None = Field(
        default=None,
        validation_alias="SLACK_SIGNING_SECRET",
        description="Verifies that requests come from Slack (Basic Information page of the app).",
    )
    slack_app_token: SecretStr | None = Field(
        default=None,
        validation_alias="SLACK_APP_TOKEN",
        description="App-level token (xapp-...): when set, `slabot run` uses Socket Mode.",
    )
    slack_client_id: str | None = Field(default=None, validation_alias="SLACK_CLIENT_ID")
    slack_client_secret: SecretStr | None = Field(default=None, validation_alias="SLACK_CLIENT_SECRET")
    slack_api_url: str = Field(
        default=DEFAULT_SLACK_API_URL,
        validation_alias="SLACK_API_URL",
        description="Base URL of the Slack Web API (the emulator in tests and the demo).",
    )

    # --- Storage and contracts ---------------------------------------------------------------
    database_url: str = Field(
        default="sqlite:///./slabot.db",
        validation_alias="DATABASE_URL",
        description="SQLAlchemy URL; postgres:// and postgresql:// are accepted.",
    )
    contracts: Path = Field(
        default=Path("examples/contracts.yaml"),
        validation_alias=AliasChoices("SLABOT_CONTRACTS", "contracts"),
        description="The contract file.",
    )

    # --- Serving -------------------------------------------------------------------------------
    port: int = Field(default=3000, validation_alias=AliasChoices("PORT", "port"))
    host: str = Field(default="0.0.0.0", validation_alias=AliasChoices("SLABOT_HOST", "host"))

    # --- Scheduler -----------------------------------------------------------------------------
    sweep_seconds: float = Field(
        default=10.0,
        gt=0,
        validation_alias=AliasChoices("SLABOT_SWEEP_SECONDS", "sweep_seconds"),
        description="How often due warnings and breaches are turned into notifications.",
    )
    scheduler: bool = Field(
        default=True,
        validation_alias=AliasChoices("SLABOT_SCHEDULER", "scheduler"),
        description="Run the sweep/notifier/report jobs in this process (false for web-only processes).",
    )

    resolve_reaction_names: str = Field(
        default="white_check_mark,heavy_check_mark",
        validation_alias=AliasChoices("SLABOT_RESOLVE_REACTIONS", "resolve_reactions"),
        description="Reactions by which an agent resolves a thread ticket (comma-separated names).",
    )

    admin_ids: str = Field(
        default="",
        validation_alias=AliasChoices("SLABOT_ADMINS", "admins"),
        description="Slack user ids (comma-separated) of slabot's admins: they approve contract "
        "revisions proposed by SLA reviews (docs/reviews.md).",
    )

    home_refresh_seconds: float = Field(
        default=2.0,
        ge=0,
        validation_alias=AliasChoices("SLABOT_HOME_REFRESH_SECONDS", "home_refresh_seconds"),
        description="After a ticket changes, open App Home tabs are published again after this delay "
        "(changes within it are refreshed together).",
    )
    tasks_token: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("SLABOT_TASKS_TOKEN", "tasks_token"),
        description="Bearer token accepted by POST /tasks/sweep (App Engine cron is recognised by its "
        "X-Appengine-Cron header without it).",
    )

    log_level: str = Field(default="INFO", validation_alias=AliasChoices("SLABOT_LOG_LEVEL", "log_level"))

    # --- Ticket sources (docs/sources.md) --------------------------------------------------------
    webhook_secrets: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("SLABOT_WEBHOOK_SECRETS", "webhook_secrets"),
        description="Secrets of the ticket webhooks, `name=secret,...` or a JSON object: `zendesk` "
        "verifies /webhooks/zendesk, `jira` /webhooks/jira, any name /webhooks/tickets.",
    )
    team_id: str | None = Field(
        default=None,
        validation_alias=AliasChoices("SLABOT_TEAM_ID", "team_id"),
        description="Workspace of tickets from webhooks and `slabot import` (default: the database's "
        "only workspace).",
    )

    # --- Reports (docs/reports.md) ------------------------------------------------------------
    summary_channel: str | None = Field(
        default=None,
        validation_alias=AliasChoices("SLABOT_SUMMARY_CHANNEL", "summary_channel"),
        description="Channel id for the weekly summary and `/sla report` asked outside a channel "
        "(unset: no weekly summary).",
    )
    summary_day: str = Field(
        default="mon",
        validation_alias=AliasChoices("SLABOT_SUMMARY_DAY", "summary_day"),
        description="Weekday of the weekly summary: mon, tue, ... sun.",
    )
    summary_time: str = Field(
        default="09:00",
        validation_alias=AliasChoices("SLABOT_SUMMARY_TIME", "summary_time"),
        description="Local time (HH:MM) of the weekly summary.",
    )
    summary_tz: str = Field(
        default="UTC",
        validation_alias=AliasChoices("SLABOT_SUMMARY_TZ", "summary_tz"),
        description="IANA time zone of the summary's day, time and weeks.",
    )
    burn_check_seconds: float = Field(
        default=300.0,
        gt=0,
        validation_alias=AliasChoices("SLABOT_BURN_CHECK_SECONDS", "burn_check_seconds"),
        description="How often objectives' burn rates are checked (and the weekly summary caught up).",
    )

    @field_validator("summary_day")
    @classmethod
    def _weekday(cls, value: str) -> str:
        day = value.strip().lower()[:3]
        if day not in ("mon", "tue", "wed", "thu", "fri", "sat", "sun"):
            raise ValueError(f"SLABOT_SUMMARY_DAY must be a weekday such as mon or friday, not {value!r}")
        return day

    @field_validator("summary_time")
    @classmethod
    def _clock_time(cls, value: str) -> str:
        import re

        m = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*", value)
        if not m or int(m[1]) > 23 or int(m[2]) > 59:
            raise ValueError(f"SLABOT_SUMMARY_TIME must be HH:MM (24-hour), such as 09:00, not {value!r}")
        return f"{int(m[1]):02d}:{m[2]}"

    @field_validator("summary_tz")
    @classmethod
    def _zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo

        try:
            ZoneInfo(value)
        except (ValueError, KeyError, OSError) as exc:
            raise ValueError(f"SLABOT_SUMMARY_TZ must be an IANA zone such as Europe/Berlin, not {value!r}") from exc
        return value

    # --- Alertmanager webhook (docs/uptime.md) ---------------------------------------------------
    alertmanager_token: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("SLABOT_ALERTMANAGER_TOKEN", "alertmanager_token"),
        description="Secret that POST /webhooks/alertmanager requires (Bearer token, or the password of "
        "basic auth); unset: the webhook answers 401.",
    )
    alertmanager_team: str | None = Field(
        default=None,
        validation_alias=AliasChoices("SLABOT_ALERTMANAGER_TEAM", "SLABOT_TEAM_ID", "alertmanager_team"),
        description="Workspace (team id) incidents from Alertmanager belong to, unless the URL says "
        "?team=T…; unset: the only workspace in the database.",
    )

    @field_validator("slack_api_url")
    @classmethod
    def _trailing_slash(cls, value: str) -> str:
        return value if value.endswith("/") else value + "/"

    @property
    def resolve_reactions(self) -> frozenset[str]:
        return frozenset(v.strip().strip(":") for v in self.resolve_reaction_names.split(",") if v.strip())

    @property
    def admins(self) -> frozenset[str]:
        return frozenset(v.strip() for v in self.admin_ids.split(",") if v.strip())

    @property
    def oauth_enabled(self) -> bool:
        return bool(self.slack_client_id and self.slack_client_secret)

    @property
    def socket_mode(self) -> bool:
        return self.slack_app_token is not None

    @property
    def has_slack_credentials(self) -> bool:
        return bool(self.slack_bot_token or self.oauth_enabled)
