"""Engine set-up, the UTC datetime type and the migrations, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Column, Engine, Integer, MetaData, Table, select, text
from sqlalchemy.exc import StatementError

from storage.db import (
    BULK_CACHE_KIB,
    BULK_WAL_PAGES,
    current_revision,
    head_revision,
    make_engine,
    migrate,
    normalise_url,
    schema_differences,
)
from storage.types import UTCDateTime
from storage.uow import UnitOfWork


@pytest.mark.parametrize(
    ("given_url", "expected"),
    [
        ("postgres://u:p@h:5432/db", "postgresql+psycopg://u:p@h:5432/db"),
        ("postgresql://u@h/db?sslmode=require", "postgresql+psycopg://u@h/db?sslmode=require"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
        ("  postgres://h/db \n", "postgresql+psycopg://h/db"),
        ("sqlite:///./slabot.db", "sqlite:///./slabot.db"),
    ],
)
def test_normalise_url(given_url: str, expected: str) -> None:
    assert normalise_url(given_url) == expected


def test_default_url_is_a_sqlite_file_in_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    engine = make_engine()
    try:
        assert engine.dialect.name == "sqlite"
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
        assert (tmp_path / "slabot.db").exists()
    finally:
        engine.dispose()


def test_sqlite_pragmas(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'p.db'}")
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 1000  # SQLite's own
            assert conn.exec_driver_sql("PRAGMA cache_size").scalar() == -2000  # SQLite's own 2 MB
    finally:
        engine.dispose()


def test_a_bulk_writer_has_a_larger_page_cache(tmp_path: Path) -> None:
    """``slabot import``'s connections cache ``BULK_CACHE_KIB`` of pages, each of them."""
    engine = make_engine(f"sqlite:///{tmp_path / 'c.db'}", cache_kib=BULK_CACHE_KIB)
    try:
        for _ in range(2):  # a new connection each time
            with engine.connect() as conn:
                assert conn.exec_driver_sql("PRAGMA cache_size").scalar() == -BULK_CACHE_KIB
            engine.dispose()
    finally:
        engine.dispose()


def test_a_bulk_writer_checkpoints_the_log_less_often(tmp_path: Path) -> None:
    """``slabot import`` commits megabytes per batch: its log is checkpointed (two fsyncs) per
    ``BULK_WAL_PAGES`` pages, not SQLite's 1,000; the log is still checkpointed away at the end."""
    path = tmp_path / "bulk.db"
    engine = make_engine(f"sqlite:///{path}", wal_autocheckpoint=BULK_WAL_PAGES)
    try:
        with engine.begin() as conn:
            assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == BULK_WAL_PAGES
            conn.exec_driver_sql("CREATE TABLE t (x TEXT)")
        for _ in range(12):  # 12 commits of ~1 MB: SQLite's own setting would restart the log after ~4
            with engine.begin() as conn:
                conn.exec_driver_sql(
                    "INSERT INTO t WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000) "
                    "SELECT hex(randomblob(500)) FROM n"
                )
        assert Path(f"{path}-wal").stat().st_size > 10_000_000  # not checkpointed yet
    finally:
        engine.dispose()
    assert not Path(f"{path}-wal").exists()  # the last connection checkpointed the log and removed it


def test_sqlite_write_transactions_begin_immediate(tmp_path: Path) -> None:
    """A second writer waits for the first (instead of both reading then deadlocking on upgrade)."""
    engine = make_engine(f"sqlite:///{tmp_path / 'w.db'}", connect_args={"timeout": 0.2})
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE t (x INTEGER)")
        with engine.begin():
            # the first transaction holds the write lock from BEGIN on, before writing anything
            other = engine.connect()
            other.connection.dbapi_connection.execute("PRAGMA busy_timeout=100")  # type: ignore[union-attr]
            try:
                with pytest.raises(Exception, match="locked"):
                    other.begin()
                    other.exec_driver_sql("SELECT 1")
            finally:
                other.invalidate()
                other.close()
    finally:
        engine.dispose()


def test_sqlite_read_only_transactions_do_not_queue_behind_a_writer(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'r.db'}"
    migrate(url)
    engine = make_engine(url, connect_args={"timeout": 0.2})
    uow = UnitOfWork.from_engine(engine)
    try:
        with uow.begin() as writer:
            writer.workspaces.upsert(team_id="T1", name="one", installed_at=datetime(2026, 1, 1, tzinfo=UTC))
            done = threading.Event()

            def read() -> None:
                with uow.begin(read_only=True) as reader:
                    assert reader.workspaces.list_team_ids() == []  # the writer has not committed
                done.set()

            thread = threading.Thread(target=read)
            thread.start()
            thread.join(5)
            assert done.is_set()
    finally:
        engine.dispose()


# --- UTCDateTime ---------------------------------------------------------------------------------

_meta = MetaData()
_stamps = Table("stamps", _meta, Column("id", Integer, primary_key=True), Column("at", UTCDateTime()))


@pytest.fixture
def stamps_engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    _meta.create_all(engine)
    yield engine
    engine.dispose()


aware = st.datetimes(
    min_value=datetime(1970, 1, 2),
    max_value=datetime(2200, 1, 1),
    timezones=st.sampled_from(
        [UTC, timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-11))]
    ),
)


# the test empties the table itself, so sharing the engine across examples is fine
@settings(deadline=None, max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.lists(aware, min_size=1, max_size=5))
def test_utc_datetime_round_trips_aware_utc_and_orders_by_instant(
    stamps_engine: Engine, values: list[datetime]
) -> None:
    with stamps_engine.begin() as conn:
        conn.execute(_stamps.delete())
        conn.execute(_stamps.insert(), [{"id": i, "at": v} for i, v in enumerate(values)])
    with stamps_engine.connect() as conn:
        got = list(conn.execute(select(_stamps.c.at).order_by(_stamps.c.at, _stamps.c.id)).scalars())
        earliest = min(values)
        later = conn.execute(select(_stamps.c.id).where(_stamps.c.at > earliest)).scalars().all()
    assert got == sorted(values)
    assert all(v.tzinfo is UTC for v in got)
    assert sorted(later) == sorted(i for i, v in enumerate(values) if v > earliest)


def test_utc_datetime_rejects_naive(stamps_engine: Engine) -> None:
    with pytest.raises(StatementError) as info, stamps_engine.begin() as conn:
        conn.execute(_stamps.insert(), {"id": 1, "at": datetime(2026, 1, 1, 12)})
    assert isinstance(info.value.orig, ValueError)


def test_repositories_reject_naive_datetimes_with_value_error(uow: UnitOfWork) -> None:
    with pytest.raises(ValueError, match="naive"), uow.begin() as tx:
        tx.tickets.create(team_id="T1", source="slack_thread", opened_at=datetime(2026, 1, 1, 9))


# --- migrations ----------------------------------------------------------------------------------


def test_migrate_empty_database_to_head_and_models_match(db_url: str) -> None:
    assert current_revision(db_url) is None
    migrate(db_url)
    assert current_revision(db_url) == head_revision() is not None
    assert schema_differences(db_url) == []
    migrate(db_url)  # idempotent
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            names = set(
                conn.execute(
                    text(
                        "SELECT name FROM sqlite_master WHERE type='table'"
                        if engine.dialect.name == "sqlite"
                        else "SELECT tablename FROM pg_tables WHERE schemaname='public'"
                    )
                ).scalars()
            )
    finally:
        engine.dispose()
    assert {
        "tickets",
        "ticket_events",
        "metric_timers",
        "notifications",
        "slack_installations",
        "slack_bots",
        "slack_oauth_states",
        "report_runs",
        "audit_log",
        "channel_links",
    } <= names


def test_next_alert_index_is_partial(engine: Engine) -> None:
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            sql = conn.exec_driver_sql(
                "SELECT sql FROM sqlite_master WHERE name='ix_metric_timers_next_alert_at'"
            ).scalar()
        else:
            sql = conn.exec_driver_sql(
                "SELECT indexdef FROM pg_indexes WHERE indexname='ix_metric_timers_next_alert_at'"
            ).scalar()
    assert "next_alert_at IS NOT NULL" in str(sql)


def test_slack_sdk_stores_work_on_migrated_database(engine: Engine) -> None:
    from slack_sdk.oauth.installation_store.models.installation import Installation

    from storage.installations import make_installation_store, make_oauth_state_store

    store = make_installation_store(engine, client_id="C123")
    store.save(
        Installation(
            app_id="A1",
            team_id="T1",
            user_id="U1",
            bot_token="xoxb-1",
            bot_id="B1",
            bot_user_id="UB1",
            installed_at=1_700_000_000.0,
        )
    )
    bot = store.find_bot(enterprise_id=None, team_id="T1")
    assert bot is not None and bot.bot_token == "xoxb-1"
    assert store.find_bot(enterprise_id=None, team_id="T2") is None
    states = make_oauth_state_store(engine)
    state = states.issue()
    assert states.consume(state) is True
    assert states.consume(state) is False
