"""All of slabot's configuration, read once from the environment (and an optional ``.env``).

Only these names are read: Slack's own (``SLACK_BOT_TOKEN``, ...), ``DATABASE_URL``, ``PORT``, and
everything slabot adds, prefixed ``SLABOT_``. An unprefixed ``HOST`` or ``LOG_LEVEL`` of some other
program never changes slabot. Secrets are ``SecretStr`` so they never appear in logs or reprs.

A bad value is a :class:`SettingsError` with one line per bad setting, naming the variable and what
it expects (``PORT: expected a whole number from 1 to 65535, got 'http'``); the CLI prints those
lines and exits with status 2. In code, fields may be given by name or by variable:
``Settings(database_url=...)`` and ``Settings(DATABASE_URL=...)`` are the same.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SLACK_API_URL = "https://slack.com/api/"
DEFAULT_DATABASE_URL = "sqlite:///./slabot.db"
DATABASE_URL_FORMS = "sqlite:///path/to/slabot.db or postgresql://user:password@host:5432/dbname"


class SettingsError(ValueError):
    """Settings that cannot be used; ``problems`` has one line per bad setting (``VAR: what is expected``)."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


def env_names(field: str) -> tuple[str, ...]:
    """The environment variables a field is read from, the documented one first."""
    alias = Settings.model_fields[field].validation_alias
    if isinstance(alias, AliasChoices):
        return tuple(str(choice) for choice in alias.choices)
    return (str(alias),)


def setting(variable: str | AliasChoices, default: Any, description: str, **bounds: Any) -> Any:
    """A field of :class:`Settings`: read from ``variable`` (the documented name first, when it is an
    ``AliasChoices``), ``description`` for ``.env.example`` and the docs, ``bounds`` pydantic's
    constraints (``ge``, ``le``, ``gt``, ``min_length``)."""
    return Field(default=default, validation_alias=variable, description=description, **bounds)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        # variables only: a field's own name (``host``, ``contracts``) is never read from the environment
        populate_by_name=False,
        env_ignore_empty=True,  # `PORT=` (an empty variable, as compose files often pass) means unset
    )

    def __init__(self, **values: Any) -> None:
        by_variable = {name: env_names(name)[0] for name in type(self).model_fields}
        values = {by_variable.get(key, key): value for key, value in values.items()}
        try:
            super().__init__(**values)
        except ValidationError as exc:
            raise SettingsError(describe_errors(exc)) from None

    # --- Slack -----------------------------------------------------------------------------
    slack_bot_token: SecretStr | None = setting(
        "SLACK_BOT_TOKEN", None, "Bot token (xoxb-...) for single-workspace mode."
    )
    slack_signing_secret: SecretStr | None = setting(
        "SLACK_SIGNING_SECRET",
        None,
        "Verifies that requests come from Slack (Basic Information page of the app).",
    )
    slack_app_token: SecretStr | None = setting(
        "SLACK_APP_TOKEN", None, "App-level token (xapp-...): when set, `slabot run` uses Socket Mode."
    )
    slack_client_id: str | None = setting(
        "SLACK_CLIENT_ID",
        None,
        "OAuth mode (install in several workspaces): the app's Client ID, with SLACK_CLIENT_SECRET "
        "instead of SLACK_BOT_TOKEN.",
    )
    slack_client_secret: SecretStr | None = setting(
        "SLACK_CLIENT_SECRET", None, "OAuth mode: the app's Client Secret (Basic Information page)."
    )
    slack_api_url: str = setting(
        "SLACK_API_URL",
        DEFAULT_SLACK_API_URL,
        "Base URL of the Slack Web API (the emulator in tests and the demo).",
    )

    # --- Storage and contracts ---------------------------------------------------------------
    database_url: str = setting(
        "DATABASE_URL",
        DEFAULT_DATABASE_URL,
        "SQLAlchemy URL of SQLite or PostgreSQL; postgres:// and postgresql:// are accepted.",
    )
    contracts: Path | None = setting(
        "SLABOT_CONTRACTS",
        None,
        "The contract file. Required by `slabot run` and `slabot worker` (there is no "
        "default: a deploy that forgot it must not run example contracts); `slabot contracts init` "
        "writes a commented one.",
    )

    # --- Serving -------------------------------------------------------------------------------
    port: int = setting(
        "PORT",
        3000,
        "HTTP port of `slabot run` (and, when set, of `slabot worker`'s health listener).",
        ge=1,
        le=65535,
    )
    host: str = setting(
        "SLABOT_HOST",
        "0.0.0.0",
        "Interface `slabot run` (and `slabot worker`'s health listener) listens on.",
        min_length=1,
    )
    shutdown_seconds: float = setting(
        "SLABOT_SHUTDOWN_SECONDS",
        8.0,
        "On SIGTERM, how long requests in flight and running jobs get to finish before the process "
        "exits (keep it below the platform's kill timeout: Docker 10 s, Heroku 30 s).",
        ge=0,
    )

    listener_threads: int = setting(
        "SLABOT_LISTENER_THREADS",
        8,
        "Threads that run Slack listeners' work after the ack (button answers, notes): "
        "bounded, so a slow or rate-limiting Slack cannot take more; their Slack calls time out "
        "after a few seconds and never sleep on a retry.",
        ge=1,
        le=256,
    )

    # --- Scheduler -----------------------------------------------------------------------------
    sweep_seconds: float = setting(
        "SLABOT_SWEEP_SECONDS",
        10.0,
        "How often due warnings and breaches are turned into notifications.",
        gt=0,
    )
    scheduler: bool = setting(
        "SLABOT_SCHEDULER",
        True,
        "Run the sweep/notifier/report jobs in this process (false for web-only processes).",
    )

    resolve_reaction_names: str = setting(
        "SLABOT_RESOLVE_REACTIONS",
        "white_check_mark,heavy_check_mark",
        "Reactions by which an agent resolves a thread ticket (comma-separated names).",
    )

    admin_ids: str = setting(
        "SLABOT_ADMINS",
        "",
        "Slack user ids (comma-separated) of slabot's admins: they approve contract "
        "revisions proposed by SLA reviews (docs/reviews.md).",
    )

    home_refresh_seconds: float = setting(
        "SLABOT_HOME_REFRESH_SECONDS",
        2.0,
        "After a ticket changes, open App Home tabs are published again after this delay "
        "(changes within it are refreshed together).",
        ge=0,
    )
    tasks_token: SecretStr | None = setting(
        "SLABOT_TASKS_TOKEN",
        None,
        "Bearer token accepted by POST /tasks/sweep (App Engine cron is recognised by its "
        "X-Appengine-Cron header without it).",
    )

    # --- Operations (docs/operations.md) -----------------------------------------------------
    log_level: str = setting("SLABOT_LOG_LEVEL", "INFO", "Log level: DEBUG, INFO, WARNING or ERROR.")
    log_format: Literal["logfmt", "json"] = setting(
        "SLABOT_LOG_FORMAT",
        "logfmt",
        "Log lines as logfmt (key=value, values quoted and escaped) or JSON (one object per line).",
    )
    metrics_token: SecretStr | None = setting(
        "SLABOT_METRICS_TOKEN",
        None,
        "Bearer token GET /metrics requires on the main port (PORT); unset: /metrics is not served "
        "there (403) — use SLABOT_METRICS_ADDRESS.",
    )
    metrics_address: str | None = setting(
        "SLABOT_METRICS_ADDRESS",
        None,
        "host:port of a separate listener serving /metrics (no token), /livez and /readyz, e.g. "
        "127.0.0.1:9464, or :9464 (every interface) on a private network; unset: no such listener.",
    )

    # --- Ticket sources (docs/sources.md) --------------------------------------------------------
    webhook_secrets: SecretStr | None = setting(
        "SLABOT_WEBHOOK_SECRETS",
        None,
        "Secrets of the ticket webhooks, `name=secret,...` or a JSON object: `zendesk` "
        "verifies /webhooks/zendesk, `jira` /webhooks/jira, any name /webhooks/tickets.",
    )
    team_id: str | None = setting(
        "SLABOT_TEAM_ID",
        None,
        "Workspace of tickets from webhooks and `slabot import`, and of `slabot cmd`, `review` and `report` "
        "without `--team` (default: the database's only workspace).",
    )

    # --- Reports (docs/reports.md) ------------------------------------------------------------
    summary_channel: str | None = setting(
        "SLABOT_SUMMARY_CHANNEL",
        None,
        "Channel id for the weekly summary and `/sla report` asked outside a channel "
        "(unset: no weekly summary).",
    )
    summary_day: str = setting(
        "SLABOT_SUMMARY_DAY", "mon", "Weekday of the weekly summary: mon, tue, ... sun."
    )
    summary_time: str = setting("SLABOT_SUMMARY_TIME", "09:00", "Local time (HH:MM) of the weekly summary.")
    summary_tz: str = setting(
        "SLABOT_SUMMARY_TZ", "UTC", "IANA time zone of the summary's day, time and weeks."
    )
    burn_check_seconds: float = setting(
        "SLABOT_BURN_CHECK_SECONDS",
        300.0,
        "How often objectives' burn rates are checked (and the weekly summary caught up).",
        gt=0,
    )

    @field_validator("summary_day")
    @classmethod
    def _weekday(cls, value: str) -> str:
        day = value.strip().lower()[:3]
        if day not in ("mon", "tue", "wed", "thu", "fri", "sat", "sun"):
            raise ValueError("expected a weekday such as mon or friday")
        return day

    @field_validator("summary_time")
    @classmethod
    def _clock_time(cls, value: str) -> str:
        m = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*", value)
        if not m or int(m[1]) > 23 or int(m[2]) > 59:
            raise ValueError("expected HH:MM (24-hour), such as 09:00")
        return f"{int(m[1]):02d}:{m[2]}"

    @field_validator("summary_tz")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ValueError, KeyError, OSError):
            raise ValueError("expected an IANA time zone such as Europe/Berlin") from None
        return value

    @field_validator("database_url")
    @classmethod
    def _database(cls, value: str) -> str:
        from storage.db import backend_of

        backend = backend_of(value)
        if backend is None:
            raise ValueError(f"expected {DATABASE_URL_FORMS}")
        if backend not in ("sqlite", "sqlite+pysqlite", "postgresql+psycopg"):
            raise ValueError(f"slabot stores its data in SQLite or PostgreSQL: expected {DATABASE_URL_FORMS}")
        return value

    @field_validator("log_level")
    @classmethod
    def _level(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
            raise ValueError("expected DEBUG, INFO, WARNING or ERROR")
        return level

    # --- Alertmanager webhook (docs/uptime.md) ---------------------------------------------------
    alertmanager_token: SecretStr | None = setting(
        "SLABOT_ALERTMANAGER_TOKEN",
        None,
        "Secret that POST /webhooks/alertmanager requires (Bearer token, or the password of "
        "basic auth); unset: the webhook answers 401.",
    )
    alertmanager_team: str | None = setting(
        AliasChoices("SLABOT_ALERTMANAGER_TEAM", "SLABOT_TEAM_ID"),
        None,
        "Workspace (team id) incidents from Alertmanager belong to, unless the URL says "
        "?team=T…; unset: the only workspace in the database.",
    )

    @field_validator("webhook_secrets")
    @classmethod
    def _webhook_secrets(cls, value: SecretStr | None) -> SecretStr | None:
        from bot.sources.signing import parse_secrets

        if value is not None:
            try:
                parse_secrets(value.get_secret_value())
            except ValueError as exc:
                raise ValueError(str(exc).removeprefix("SLABOT_WEBHOOK_SECRETS").strip()) from None
        return value

    @field_validator("metrics_address")
    @classmethod
    def _address(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        parse_address(value)
        return value.strip()

    @field_validator("slack_api_url")
    @classmethod
    def _trailing_slash(cls, value: str) -> str:
        return value if value.endswith("/") else value + "/"

    @property
    def metrics_listen(self) -> tuple[str, int] | None:
        """``SLABOT_METRICS_ADDRESS`` as (host, port); ``:9464`` listens on every interface."""
        return parse_address(self.metrics_address) if self.metrics_address else None

    def secret_values(self) -> list[str]:
        """Every configured secret, so that logs can mask it wherever it would appear."""
        out = [v.get_secret_value() for v in vars(self).values() if isinstance(v, SecretStr)]
        if self.webhook_secrets is not None:  # each webhook's own secret, not only the whole list
            from bot.sources.signing import parse_secrets

            out += [
                v.get_secret_value() for v in parse_secrets(self.webhook_secrets.get_secret_value()).values()
            ]
        return [v for v in out if v]

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


def parse_address(text: str) -> tuple[str, int]:
    """``"127.0.0.1:9464"`` / ``":9464"`` / ``"[::1]:9464"`` -> (host, port); ValueError otherwise."""
    host, sep, port = text.strip().rpartition(":")
    if not sep or not port.isdigit() or not 1 <= int(port) <= 65535:
        raise ValueError("expected host:port such as 127.0.0.1:9464 (or :9464 for every interface)")
    return host.strip("[]") or "0.0.0.0", int(port)


_SECRET_TYPES = ("SecretStr",)


def describe_errors(exc: ValidationError) -> list[str]:
    """pydantic's errors as one line per setting: ``VAR: what is expected, got 'value'``.

    Secret values are never repeated; the value of ``DATABASE_URL`` is shown without its password."""
    lines: dict[str, str] = {}
    for err in exc.errors(include_url=False):
        loc = err["loc"][0] if err["loc"] else ""
        field = _field_for(str(loc))
        variable = env_names(field)[0] if field else str(loc)
        lines.setdefault(variable, f"{variable}: {_expected(err, field)}{_given(err, field)}")
    return list(lines.values())


def _field_for(loc: str) -> str | None:
    for name in Settings.model_fields:
        if loc == name or loc in env_names(name):
            return name
    return None


def _expected(err: Any, field: str | None) -> str:
    kind = err["type"]
    ctx = err.get("ctx") or {}
    if kind == "value_error":
        return str(ctx.get("error", err["msg"]))
    if kind in ("int_parsing", "int_from_float", "int_type"):
        return _range_text(field, "a whole number")
    if kind in ("float_parsing", "float_type", "finite_number"):
        return _range_text(field, "a number")
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        whole = field is not None and Settings.model_fields[field].annotation is int
        return _range_text(field, "a whole number" if whole else "a number")
    if kind.startswith("bool"):
        return "expected true or false"
    if kind == "literal_error":
        return f"expected {ctx.get('expected', 'one of the documented values')}"
    if kind == "string_too_short":
        return "expected a value (it is empty)"
    return f"expected {err['msg'].lower()}"


def _range_text(field: str | None, what: str) -> str:
    if field is None:
        return f"expected {what}"
    low = high = None
    strict = False
    for item in Settings.model_fields[field].metadata:
        for attr, is_strict in (("ge", False), ("gt", True)):
            if getattr(item, attr, None) is not None:
                low, strict = getattr(item, attr), is_strict
        if getattr(item, "le", None) is not None:
            high = item.le
    unit = " of seconds" if field.endswith("_seconds") else ""
    if low is not None and high is not None:
        return f"expected {what} from {low:g} to {high:g}"
    if low is not None:
        return f"expected {what}{unit} {'above' if strict else 'of at least'} {low:g}"
    return f"expected {what}{unit}"


def _given(err: Any, field: str | None) -> str:
    if field is None or err["type"] == "missing":
        return ""
    annotation = str(Settings.model_fields[field].annotation)
    if any(t in annotation for t in _SECRET_TYPES):
        return ""
    value = err.get("input")
    if field == "database_url" and isinstance(value, str):
        value = _redacted_url(value)
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        text = str(value)
        return f", got {text[:80]!r}"
    return ""


def _redacted_url(url: str) -> str:
    """``scheme://user:***@host/db``: the URL without its password, for messages."""
    return re.sub(r"(//[^/:@]*:)[^@/]*@", r"\1***@", url)


def load_contract_book(path: Path | str | None, *, source: str = "SLABOT_CONTRACTS") -> Any:
    """The contract file named by a setting (``source``: ``SLABOT_CONTRACTS`` or a CLI option), as a
    ``ContractBook``; a :class:`SettingsError` when it is unset, missing, unreadable or invalid."""
    from sla.contracts import ContractFileError, load_contracts

    if path is None or not str(path).strip():
        raise SettingsError(
            [
                f"{source}: not set — expected the path of your contract file "
                "(`slabot contracts init contracts.yaml` writes a commented example; `slabot demo` needs none)"
            ]
        )
    path = Path(path)
    if not path.is_file():
        where = "" if path.is_absolute() else f" (relative to {Path.cwd()})"
        what = "is a directory" if path.is_dir() else "no such file"
        raise SettingsError(
            [f"{source}: {what}: {str(path)!r}{where} — expected the path of your contract file"]
        )
    try:
        return load_contracts(path)
    except ContractFileError as exc:
        count = len(exc.errors)
        head = f"{source}: {path} has {count} error{'s' if count != 1 else ''} (`slabot contracts check {path}`):"
        raise SettingsError([head, *(f"  {issue}" for issue in exc.errors)]) from None


def _default_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def env_example_text() -> str:
    """The text of ``.env.example``: every setting, its meaning and its default (tests keep the file in sync)."""
    lines = [
        "# slabot's settings, each with its default. Copy to .env (read from the working directory) or set",
        "# them in the environment; a variable wins over .env. Only SLACK_*, DATABASE_URL, PORT and SLABOT_*",
        "# are read. `slabot run` needs Slack credentials and SLABOT_CONTRACTS (see README › Settings).",
    ]
    for name, info in Settings.model_fields.items():
        names = env_names(name)
        lines.append("")
        text = " ".join((info.description or "").split())
        if len(names) > 1:
            text += f" (also read from {', '.join(names[1:])})"
        lines.extend(f"# {chunk}" for chunk in _wrap(text, 98))
        lines.append(f"# {names[0]}={_default_text(info.default)}")
    return "\n".join(lines) + "\n"


def _wrap(text: str, width: int) -> list[str]:
    return textwrap.wrap(text, width) or [""]
