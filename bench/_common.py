"""What the benchmarks share: the backends a run asks for and fresh databases on them.

Import it as ``from bench._common import Databases, backends_of`` once the repository root is on
``sys.path`` (each benchmark puts it there before its own imports).
"""

from __future__ import annotations

import itertools
import os
import tempfile
from pathlib import Path
from types import TracebackType

from storage.db import make_engine, migrate
from tests.support.postgres import PostgresCluster

BACKEND_CHOICES = ("sqlite", "postgresql", "both")


def backends_of(choice: str) -> list[str]:
    """The backends of a ``--backend`` choice (``both``: SQLite, then PostgreSQL)."""
    return ["sqlite", "postgresql"] if choice == "both" else [choice]


class Databases:
    """Fresh databases for one benchmark run: SQLite files in a temporary folder, PostgreSQL
    databases on one throwaway cluster (fsync off), started only when ``backends`` holds
    ``postgresql``. Leaving the ``with`` block stops the cluster and removes the folder."""

    def __init__(self, backends: list[str], *, prefix: str = "slabot-bench-") -> None:
        self.backends = backends
        self._prefix = prefix
        self._numbers = itertools.count(1)
        self.cluster: PostgresCluster | None = None
        self._tmp: tempfile.TemporaryDirectory[str] | None = None

    def __enter__(self) -> Databases:
        self._tmp = tempfile.TemporaryDirectory(prefix=self._prefix)
        try:
            if "postgresql" in self.backends:
                self.cluster = PostgresCluster().start()
        except BaseException:
            self._tmp.cleanup()
            raise
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        try:
            if self.cluster is not None:
                self.cluster.stop()
        finally:
            if self._tmp is not None:
                self._tmp.cleanup()

    @property
    def folder(self) -> Path:
        assert self._tmp is not None, "use Databases in a with block"
        return Path(self._tmp.name)

    def url(self, backend: str, name: str | None = None, *, migrated: bool = False) -> str:
        """The URL of a new, empty database ``name`` (a numbered one when None) on ``backend``; with
        ``migrated``, at the head revision."""
        name = name or f"bench{next(self._numbers)}"
        if backend == "sqlite":
            url = f"sqlite:///{self.folder / (name + '.db')}"
        else:
            assert self.cluster is not None, f"{backend} was not among the run's backends"
            url = self.cluster.create_database(f"{name}_{os.getpid()}")
        if migrated:
            engine = make_engine(url)
            try:
                migrate(engine)
            finally:
                engine.dispose()
        return url
