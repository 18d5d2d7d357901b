"""Engines, sessions and migrations.

- :func:`normalise_url` accepts what hosting platforms hand out (``postgres://``) and picks psycopg 3.
- :func:`make_engine` sets SQLite up for a single busy process (WAL, ``busy_timeout``, foreign keys and
  ``BEGIN IMMEDIATE`` for write transactions, so two writers queue instead of deadlocking on a lock
  upgrade) and PostgreSQL with a pre-pinged pool.
- :func:`migrate`, :func:`current_revision`, :func:`head_revision` drive Alembic without an ``alembic.ini``;
  the scripts live in ``storage/migrations`` inside the package, so they work when slabot is installed.
  A database already at :data:`HEAD_REVISION` is recognised by one ``SELECT`` and an empty one is built
  from the models and stamped (Alembic's "building an up to date database from scratch"): Alembic
  itself (with Mako and Pygments, ~0.1 s) loads only when a database really has migrations to run.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Column,
    Connection,
    Engine,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    create_engine,
    event,
    inspect,
    select,
    text,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session, sessionmaker

from storage.models import Base

if TYPE_CHECKING:
    from types import ModuleType

DEFAULT_URL = "sqlite:///./slabot.db"
SQLITE_BUSY_TIMEOUT_MS = 5000
#: ``wal_autocheckpoint`` of bulk writers (``slabot import``): a checkpoint per ~100 MB of log, not per 4 MB
BULK_WAL_PAGES = 25_000
#: SQLite page cache of bulk writers (``slabot import``), in KiB: 16 MiB instead of SQLite's 2 MiB
BULK_CACHE_KIB = 16_384
#: execution option that makes a SQLite transaction a plain deferred ``BEGIN`` (readers do not queue).
READ_ONLY_OPTION = "slabot_read_only"
_MIGRATION_LOCK_ID = zlib.crc32(b"slabot-migrations")
#: the newest revision in ``storage/migrations/versions`` (a test holds it equal to Alembic's head)
HEAD_REVISION = "0011"
#: Alembic's version table, as ``alembic.runtime.migration.MigrationContext`` defines it
_ALEMBIC_VERSION = Table(
    "alembic_version",
    MetaData(),
    Column("version_num", String(32), nullable=False),
    PrimaryKeyConstraint("version_num", name="alembic_version_pkc"),
)


def normalise_url(url: str) -> str:
    """``postgres://`` / ``postgresql://`` (any driver-less form) become ``postgresql+psycopg://``."""
    url = url.strip()
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def backend_of(url: str) -> str | None:
    """The SQLAlchemy driver name ``url`` asks for (after :func:`normalise_url`); None: not a URL."""
    try:
        return make_url(normalise_url(url)).drivername
    except ArgumentError:
        return None


def is_sqlite(url_or_engine: str | Engine) -> bool:
    if isinstance(url_or_engine, Engine):
        return url_or_engine.dialect.name == "sqlite"
    return make_url(normalise_url(url_or_engine)).get_backend_name() == "sqlite"


def make_engine(
    url: str | None = None, *, wal_autocheckpoint: int | None = None, cache_kib: int | None = None, **kw: Any
) -> Engine:
    """An engine for ``url`` (default ``sqlite:///./slabot.db``); ``kw`` goes to ``create_engine``.

    ``wal_autocheckpoint`` (SQLite only): checkpoint the write-ahead log when it holds this many pages
    instead of SQLite's 1,000 (4 MB). Each checkpoint syncs the log and the database file to disk; a
    bulk writer (``slabot import``, :data:`BULK_WAL_PAGES`) that commits megabytes per transaction
    otherwise pays two fsyncs every few commits. The log is checkpointed and removed when the last
    connection closes, as always.

    ``cache_kib`` (SQLite only): each connection's page cache, in KiB (SQLite's default is 2 MiB). A
    bulk writer whose database has grown past its cache reads back from the OS, one system call per
    page, nearly every index page its inserts touch (the random keys of ``external_id``): at a
    million imported events half of the import's CPU was that system time (:data:`BULK_CACHE_KIB`)."""
    url = normalise_url(url or DEFAULT_URL)
    if is_sqlite(url):
        connect_args = {"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
        connect_args.update(kw.pop("connect_args", {}))
        engine = create_engine(url, connect_args=connect_args, **kw)
        _configure_sqlite(engine, wal_autocheckpoint=wal_autocheckpoint, cache_kib=cache_kib)
        return engine
    kw.setdefault("pool_pre_ping", True)
    kw.setdefault("pool_size", 10)
    kw.setdefault("max_overflow", 10)
    kw.setdefault("pool_recycle", 1800)
    return create_engine(url, **kw)


def _configure_sqlite(
    engine: Engine, *, wal_autocheckpoint: int | None = None, cache_kib: int | None = None
) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, decide when a transaction begins (see the "begin" hook).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            if wal_autocheckpoint is not None:
                cursor.execute(f"PRAGMA wal_autocheckpoint={int(wal_autocheckpoint)}")
            if cache_kib is not None:
                cursor.execute(f"PRAGMA cache_size=-{int(cache_kib)}")  # negative: KiB, not pages
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        if conn.get_execution_options().get(READ_ONLY_OPTION):
            conn.exec_driver_sql("BEGIN")
        else:
            conn.exec_driver_sql("BEGIN IMMEDIATE")


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions whose loaded rows stay readable after commit (the unit of work returns them)."""
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=True)


# --- migrations ------------------------------------------------------------------------------------


@contextmanager
def _engine_for(url_or_engine: str | Engine) -> Iterator[Engine]:
    if isinstance(url_or_engine, Engine):
        yield url_or_engine
        return
    engine = make_engine(url_or_engine)
    try:
        yield engine
    finally:
        engine.dispose()


def migrate(url_or_engine: str | Engine, revision: str = "head") -> None:
    """Upgrade the database to ``revision`` (default: head). Safe to call from several processes on PG.

    To head: a database already there is left as it is after one read of its version; an empty one gets
    the models' tables and the head revision's stamp in one transaction (what the chain of migrations
    builds: a test compares the two schemas on both backends); any other runs Alembic's upgrade."""
    with _engine_for(url_or_engine) as engine, engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _MIGRATION_LOCK_ID})
        if revision == "head":
            stands_at = _stored_revision(conn)
            if stands_at == HEAD_REVISION:
                return
            if stands_at is None and not inspect(conn).get_table_names():
                from storage import installations  # noqa: F401  (slack_sdk's tables join the metadata)

                Base.metadata.create_all(conn)
                _ALEMBIC_VERSION.create(conn)
                conn.execute(_ALEMBIC_VERSION.insert().values(version_num=HEAD_REVISION))
                return
        _revisions().upgrade(conn, revision)


def _revisions() -> ModuleType:
    """:mod:`storage.revisions` — Alembic and the migration scripts — loaded on first use."""
    from storage import revisions

    return revisions


def _stored_revision(conn: Connection) -> str | None:
    if not inspect(conn).has_table(_ALEMBIC_VERSION.name):
        return None
    return conn.execute(select(_ALEMBIC_VERSION.c.version_num)).scalar()


def current_revision(url_or_engine: str | Engine) -> str | None:
    """The revision the database stands at (None: never migrated)."""
    with _engine_for(url_or_engine) as engine, engine.connect() as conn:
        return _stored_revision(conn)


def head_revision() -> str | None:
    """The newest revision shipped with this version of slabot, as Alembic reads the scripts."""
    return _revisions().head()


def schema_differences(url_or_engine: str | Engine) -> list[Any]:
    """What Alembic autogenerate would change to make the database match the models (empty: in step)."""
    with _engine_for(url_or_engine) as engine, engine.connect() as conn:
        return list(_revisions().differences(conn))


def redact_url(url: str) -> str:
    """The database URL without its password, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # an unparsable URL: show only its scheme
        return url.split(":", 1)[0] + "://…"
