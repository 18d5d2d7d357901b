"""Alembic's side of the schema: the migration scripts of ``storage/migrations`` (inside the package, so
they work when slabot is installed), driven without an ``alembic.ini``.

:mod:`storage.db` loads this module (and with it Alembic, Mako and Pygments, ~0.1 s) only when a database
has migrations to run or the scripts themselves are asked about: a database at the head revision, and an
empty one, are handled there without it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection

from storage.models import Base

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


def upgrade(conn: Connection, revision: str = "head") -> None:
    """Alembic's upgrade of the database behind ``conn`` to ``revision``, migration by migration."""
    cfg = alembic_config()
    cfg.attributes["connection"] = conn
    command.upgrade(cfg, revision)


def head() -> str | None:
    """The newest revision among the scripts, as Alembic reads them."""
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    return heads[0] if heads else None


def differences(conn: Connection) -> list[Any]:
    """What Alembic autogenerate would change to make the database match the models (empty: in step)."""
    ctx = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": False})
    return list(compare_metadata(ctx, Base.metadata))
