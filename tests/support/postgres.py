"""A throwaway PostgreSQL cluster for the test suite and the benchmarks (not part of the installed package).

Not used by slabot at run time. It finds the machine's PostgreSQL server binaries (``pg_config
--bindir``, then ``/usr/lib/postgresql/*/bin``, then ``$PATH``), runs ``initdb`` in a temp dir and
starts the server on a free localhost port with its unix socket in that dir. ``initdb`` refuses to
run as root, so as root the server runs as the ``postgres`` user (created if missing). The cluster
is tuned for throwaway speed (``fsync=off``): never point it at data you care about.

A watchdog process stops the server and removes its directory when the process that started it ends
in any way — a test run killed by ``timeout``, ``kill -9`` or a closed terminal included — so no
throwaway server outlives its run: it waits on a pipe only the starting process holds open.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path
from types import TracebackType

SERVER_BINARIES = ("initdb", "pg_ctl", "postgres")
SERVER_USER = "postgres"
#: the watchdog: block until the starter's end of the pipe closes (EOF on stdin), then run the stop
#: command of its arguments and remove the cluster's directory (its last argument)
_WATCHDOG = (
    "import os, shutil, subprocess, sys\n"
    "while os.read(0, 1):\n"
    "    pass\n"
    "subprocess.run(sys.argv[1:-1], capture_output=True, timeout=120)\n"
    "shutil.rmtree(sys.argv[-1], ignore_errors=True)\n"
)


class PostgresUnavailable(RuntimeError):
    """The machine has no PostgreSQL server binaries, or the cluster did not start."""


def find_bindir() -> Path:
    """A directory holding initdb, pg_ctl and postgres."""
    candidates: list[Path] = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            out = subprocess.run(
                [pg_config, "--bindir"], capture_output=True, text=True, timeout=10, check=True
            )
            candidates.append(Path(out.stdout.strip()))

    def version(path: Path) -> tuple[int, ...]:
        try:
            return tuple(int(part) for part in path.parent.name.split("."))
        except ValueError:
            return (0,)

    candidates.extend(sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=version, reverse=True))
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(Path(on_path).resolve().parent)
    for directory in candidates:
        if all((directory / name).is_file() for name in SERVER_BINARIES):
            return directory
    raise PostgresUnavailable(
        "no PostgreSQL server binaries (initdb, pg_ctl, postgres) found via pg_config --bindir, "
        "/usr/lib/postgresql/*/bin or PATH; install e.g. `apt-get install postgresql`"
    )


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PostgresCluster:
    """``with PostgresCluster() as pg: pg.create_database()`` → a ``postgresql+psycopg://`` URL."""

    def __init__(self, *, bindir: Path | None = None, port: int | None = None) -> None:
        self.bindir = bindir
        self.port = port
        self.root: Path | None = None
        self._as_user: list[str] = []
        self.started = False
        self._watchdog: subprocess.Popen[bytes] | None = None
        self._watchdog_pipe: int | None = None

    # -- life cycle ---------------------------------------------------------------------------------

    def start(self) -> PostgresCluster:
        self.bindir = self.bindir or find_bindir()
        self.port = self.port or free_port()
        self.root = Path(tempfile.mkdtemp(prefix="slabot-pg-"))
        if os.geteuid() == 0:
            self._ensure_user()
            shutil.chown(self.root, user=SERVER_USER)
            self._as_user = ["runuser", "-u", SERVER_USER, "--"]
        data = self.root / "data"
        self._run(
            [
                str(self.bindir / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-sync",
            ],
            "initdb",
        )
        options = " ".join(
            [
                "-c listen_addresses=127.0.0.1",
                f"-c port={self.port}",
                f"-c unix_socket_directories={self.root}",
                "-c fsync=off",
                "-c synchronous_commit=off",
                "-c full_page_writes=off",
                "-c max_connections=200",
                "-c shared_buffers=128MB",
                "-c max_locks_per_transaction=256",
            ]
        )
        self._options = options
        self._start_watchdog()
        self._pg_ctl_start()
        self.started = True
        return self

    def _start_watchdog(self) -> None:
        """The process that stops this cluster once we are gone (see the module's docstring): its own
        session, so the signal that ends a test run (Ctrl-C, ``timeout``) does not end it first."""
        assert self.root is not None and self.bindir is not None
        stop = [*self._as_user, str(self.bindir / "pg_ctl"), "-D", str(self.root / "data")]
        read_end, write_end = os.pipe()
        try:
            self._watchdog = subprocess.Popen(
                [sys.executable, "-c", _WATCHDOG, *stop, "-m", "immediate", "-w", "stop", str(self.root)],
                stdin=read_end,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
        except BaseException:
            os.close(write_end)
            raise
        finally:
            os.close(read_end)
        os.set_inheritable(write_end, False)
        self._watchdog_pipe = write_end

    def _release_watchdog(self) -> None:
        if self._watchdog_pipe is not None:
            os.close(self._watchdog_pipe)
            self._watchdog_pipe = None
        if self._watchdog is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._watchdog.wait(timeout=60)
            self._watchdog = None

    def _pg_ctl_start(self) -> None:
        assert self.root is not None and self.bindir is not None
        self._run(
            [
                str(self.bindir / "pg_ctl"),
                "-D",
                str(self.root / "data"),
                "-l",
                str(self.root / "server.log"),
                "-o",
                self._options,
                "-w",
                "-t",
                "60",
                "start",
            ],
            "pg_ctl start",
        )

    def pause(self, mode: str = "fast") -> None:
        """Stop the server, keeping its data: :meth:`resume` starts it again on the same port (a
        PostgreSQL restart, for fault tests). ``fast`` is a restart (sessions cut, committed work kept);
        ``immediate`` is a crash — with this cluster's ``synchronous_commit=off`` it may lose the last
        commits, as any such server would."""
        assert self.root is not None and self.bindir is not None
        self._run(
            [str(self.bindir / "pg_ctl"), "-D", str(self.root / "data"), "-m", mode, "-w", "stop"],
            "pg_ctl stop",
        )

    def resume(self) -> None:
        self._pg_ctl_start()

    def stop(self) -> None:
        if self.root is None:
            return
        if self.started and self.bindir is not None:
            with contextlib.suppress(PostgresUnavailable):
                self._run(
                    [
                        str(self.bindir / "pg_ctl"),
                        "-D",
                        str(self.root / "data"),
                        "-m",
                        "immediate",
                        "-w",
                        "stop",
                    ],
                    "pg_ctl stop",
                )
            self.started = False
        self._release_watchdog()
        shutil.rmtree(self.root, ignore_errors=True)
        self.root = None

    def __enter__(self) -> PostgresCluster:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- databases ----------------------------------------------------------------------------------

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str | None = None, *, template: str | None = None) -> str:
        """Create a database (optionally copied from ``template``) and return its URL."""
        name = name or f"t_{uuid.uuid4().hex[:16]}"
        clause = f' TEMPLATE "{template}"' if template else ""
        self.execute(f'CREATE DATABASE "{name}"{clause}')
        return self.url(name)

    def drop_database(self, name: str) -> None:
        self.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def execute(self, sql: str) -> None:
        """Run one statement on the ``postgres`` database in autocommit mode."""
        import psycopg

        with psycopg.connect(
            f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres", autocommit=True
        ) as conn:
            conn.execute(sql)  # type: ignore[arg-type]

    # -- internals ----------------------------------------------------------------------------------

    def _ensure_user(self) -> None:
        if subprocess.run(["id", "-u", SERVER_USER], capture_output=True).returncode != 0:
            self._run(["useradd", "--system", "--no-create-home", SERVER_USER], "useradd", as_user=False)

    def _run(self, argv: list[str], what: str, *, as_user: bool = True) -> None:
        prefix = self._as_user if as_user else []
        proc = subprocess.run(prefix + argv, capture_output=True, text=True, timeout=120)
        if proc.returncode != 0:
            log = ""
            if self.root is not None and (self.root / "server.log").exists():
                log = (self.root / "server.log").read_text(errors="replace")[-2000:]
            raise PostgresUnavailable(
                f"{what} failed ({proc.returncode}): {proc.stderr.strip()} {log}".strip()
            )
