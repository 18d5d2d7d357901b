"""Root fixtures shared by every test package.

Databases (see docs/storage.md):

- ``pg_cluster`` (session): a throwaway PostgreSQL cluster (``tests.support.postgres.PostgresCluster``).
  Skips the test when PostgreSQL cannot start, but **fails** when ``CI=true``.
- ``db_backend``: ``"sqlite"`` or ``"postgresql"`` — tests using any fixture below run on both.
- ``db_url``: a fresh, empty database (nothing migrated) for the current test.
- ``migrated_url``: a fresh database already at the head revision (fast: copied from a template).
- ``engine``: a ``storage.db.make_engine`` engine on ``migrated_url``, disposed afterwards.
- ``session_factory`` / ``uow``: ``storage.db.make_session_factory(engine)`` / ``storage.uow.UnitOfWork``.
- ``second_uow``: a ``UnitOfWork`` on a second fresh migrated database of the same backend.
"""

from __future__ import annotations

import logging
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from storage.db import make_engine, make_session_factory, migrate
from storage.uow import UnitOfWork
from tests.support.postgres import PostgresCluster, PostgresUnavailable

#: set to run the scale tests (marked ``slow``) with the rest; ``pytest -m slow`` runs only them. CI's
#: second step (``.ci/run``) runs them; the default ``pytest`` leaves them out to stay within ~5 minutes.
SLOW_TESTS_ENV = "SLABOT_SLOW_TESTS"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Scale tests (``@pytest.mark.slow``: a simulated day of 1,000 tickets, killed and restarted worker
    processes, gunicorn) are skipped, with a reason that says how to run them, unless a marker expression
    was given (``-m slow``, ``-m "slow or not slow"``) or ``SLABOT_SLOW_TESTS=1`` is set."""
    if config.option.markexpr or os.environ.get(SLOW_TESTS_ENV, "").strip() not in ("", "0"):
        return
    skip = pytest.mark.skip(reason=f"scale test: `pytest -m slow` or {SLOW_TESTS_ENV}=1 runs it (CI does)")
    for item in items:
        if item.get_closest_marker("slow") is not None:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _process_logging_undone() -> Iterator[None]:
    """A test that runs ``slabot run``/``worker`` in-process configures the process's logging
    (``bot.logging_setup``: one handler on the stderr of that moment — pytest's capture, closed after
    the test). Left on the root logger, it broke later tests of the same worker ('--- Logging error ---'
    on their stderr). Such handlers go, and the root level comes back, after each test; pytest's own
    capture handlers (subclasses) are left to pytest."""
    root = logging.getLogger()
    before, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        if type(handler) is logging.StreamHandler and handler not in before:
            root.removeHandler(handler)
    root.setLevel(level)


BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
PG_TEMPLATE = "slabot_template"


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PostgresCluster]:
    cluster = PostgresCluster()
    try:
        cluster.start()
    except (PostgresUnavailable, OSError) as exc:
        cluster.stop()
        message = f"PostgreSQL could not be started: {exc}"
        if _in_ci():
            pytest.fail(f"{message} (CI=true: PostgreSQL tests must run, not skip)", pytrace=False)
        pytest.skip(message)
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def _pg_template(pg_cluster: PostgresCluster) -> str:
    migrate(pg_cluster.create_database(PG_TEMPLATE))
    return PG_TEMPLATE


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    try:
        migrate(engine)
    finally:
        engine.dispose()  # closing the last connection checkpoints the WAL into the file
    return path


@pytest.fixture(params=BACKENDS)
def db_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def db_url(db_backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh empty database on the current backend."""
    if db_backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    cluster: PostgresCluster = request.getfixturevalue("pg_cluster")
    name = f"t_{uuid.uuid4().hex[:16]}"
    yield cluster.create_database(name)
    cluster.drop_database(name)


def _fresh_migrated(db_backend: str, request: pytest.FixtureRequest, path: Path) -> Iterator[str]:
    """A fresh database at the head revision (a copy of the backend's template), dropped afterwards."""
    if db_backend == "sqlite":
        template: Path = request.getfixturevalue("_sqlite_template")
        shutil.copyfile(template, path)
        yield f"sqlite:///{path}"
        return
    cluster: PostgresCluster = request.getfixturevalue("pg_cluster")
    template_name: str = request.getfixturevalue("_pg_template")
    name = f"t_{uuid.uuid4().hex[:16]}"
    yield cluster.create_database(name, template=template_name)
    cluster.drop_database(name)


@pytest.fixture
def migrated_url(db_backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database at the head revision on the current backend."""
    yield from _fresh_migrated(db_backend, request, tmp_path / "slabot.db")


@pytest.fixture
def engine(migrated_url: str) -> Iterator[Engine]:
    eng = make_engine(migrated_url)
    try:
        yield eng
    finally:
        eng.dispose()


@pytest.fixture
def session_factory(engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(engine)


@pytest.fixture
def uow(session_factory: sessionmaker[Session]) -> UnitOfWork:
    return UnitOfWork(session_factory)


@pytest.fixture
def second_uow(db_backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[UnitOfWork]:
    """A second fresh database on the same backend as ``uow`` (where a reference run of a differential
    test stores its rows)."""
    for url in _fresh_migrated(db_backend, request, tmp_path / "reference.db"):
        engine = make_engine(url)
        try:
            yield UnitOfWork(make_session_factory(engine))
        finally:
            engine.dispose()
