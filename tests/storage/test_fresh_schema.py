"""``migrate`` to head without Alembic where nothing needs migrating: an empty database is built from the
models and stamped, one at head is left alone — and that is the same schema as the chain of migrations."""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, inspect, text

from storage.db import HEAD_REVISION, current_revision, head_revision, make_engine, migrate
from storage.revisions import upgrade

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def two_urls(db_backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    if db_backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'chain.db'}", f"sqlite:///{tmp_path / 'models.db'}"
        return
    cluster = request.getfixturevalue("pg_cluster")
    names = [f"t_{uuid.uuid4().hex[:16]}" for _ in range(2)]
    chain, models = (cluster.create_database(name) for name in names)
    yield chain, models
    for name in names:
        cluster.drop_database(name)


def _schema(engine: Engine) -> dict[str, Any]:
    """Every table's columns, keys, constraints and indexes (with partial-index predicates), by name."""
    found: dict[str, Any] = {}
    with engine.connect() as conn:
        insp = inspect(conn)
        for table in sorted(insp.get_table_names()):
            columns = {
                c["name"]: (str(c["type"]), c["nullable"], _default(c.get("default")), c.get("autoincrement"))
                for c in insp.get_columns(table)
            }
            indexes = {
                i["name"]: (tuple(i["column_names"]), bool(i["unique"]), _where(conn, engine, i["name"]))
                for i in insp.get_indexes(table)
            }
            found[table] = {
                "columns": columns,
                "pk": insp.get_pk_constraint(table),
                "fks": sorted(
                    (f["name"] or "", tuple(f["constrained_columns"]), f["referred_table"])
                    for f in insp.get_foreign_keys(table)
                ),
                "uniques": sorted(
                    (u["name"] or "", tuple(u["column_names"])) for u in insp.get_unique_constraints(table)
                ),
                "checks": sorted((c["name"] or "", c["sqltext"]) for c in insp.get_check_constraints(table)),
                "indexes": indexes,
            }
    return found


def _default(default: object) -> str:
    # SQLite keeps a default's text as written: migration 0006 wrote '0' for the INTEGER
    # report_runs.attempts, the model writes 0 — the same stored value (the column's INTEGER affinity)
    text_ = str(default)
    return text_[1:-1] if text_.startswith("'") and text_[1:-1].isdigit() else text_


def _where(conn: Any, engine: Engine, index: str) -> str:
    """The index's definition as the database holds it (the predicate of a partial index is in it)."""
    if engine.dialect.name == "sqlite":
        sql = conn.execute(text("SELECT sql FROM sqlite_master WHERE name = :n"), {"n": index}).scalar()
    else:
        sql = conn.execute(
            text("SELECT indexdef FROM pg_indexes WHERE indexname = :n"), {"n": index}
        ).scalar()
    return " ".join(str(sql).split()).replace('"', "")


def test_an_empty_database_built_from_the_models_equals_the_chain_of_migrations(
    two_urls: tuple[str, str],
) -> None:
    chain_url, models_url = two_urls
    chain, models = make_engine(chain_url), make_engine(models_url)
    try:
        with chain.begin() as conn:
            upgrade(conn)  # every migration, 0001 to head
        migrate(models)  # empty: create_all + stamp
        assert current_revision(models) == current_revision(chain) == HEAD_REVISION
        assert _schema(models) == _schema(chain)
        migrate(models)  # at head: nothing to do
        assert _schema(models) == _schema(chain)
    finally:
        chain.dispose()
        models.dispose()


def test_head_revision_constant_is_alembics_head() -> None:
    # a new migration must move HEAD_REVISION too, or databases built from the models would be stamped old
    assert head_revision() == HEAD_REVISION


def test_an_older_database_still_runs_the_migrations(db_url: str) -> None:
    migrate(db_url, "0009")
    assert current_revision(db_url) == "0009"
    migrate(db_url)
    assert current_revision(db_url) == HEAD_REVISION


@pytest.mark.parametrize("state", ["empty", "at head"])
def test_migrating_to_head_does_not_load_alembic(state: str, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    if state == "at head":
        migrate(url)
    code = (
        "import sys; from storage.db import migrate, current_revision; "
        f"migrate({url!r}); print(current_revision({url!r}), 'alembic' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.split() == [HEAD_REVISION, "False"]
