"""A throw-away PostgreSQL + PostGIS server for the tests, started from the local binaries.

The server lives in a temporary directory for one test session: initdb, then pg_ctl start on a
free loopback port with its unix socket in that directory, trust authentication, and no fsync
(nothing in it must survive a crash). PostgreSQL refuses to run as root, so as root every server
binary runs as the ``postgres`` system user. Each test gets a fresh schema of its own in a
database that already has the postgis extension, named first in the URL's search_path (a new
schema takes milliseconds, a new database a third of a second, CREATE EXTENSION one second).
Tests that need a whole database of their own ask for ``new_database()``.

Missing binaries FAIL the tests that need them, never skip: run ``bash tools/ensure_postgres.sh``.
Set ``YIZHAN_PG_BINDIR`` to use binaries from somewhere other than /usr/lib/postgresql/*/bin.
"""

from __future__ import annotations

import itertools
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import psycopg
import pytest
from psycopg.rows import TupleRow

from tools import pgtemp
from tools.pgtemp import ENSURE, PgTempError

TEMPLATE = "yizhan_template"  # PostGIS and nothing else; nobody connects to it
TEST_DB = "yizhan_test"  # copied from the template; each test gets a schema in it
T = TypeVar("T")


@dataclass
class PgServer:
    """A running server; ``url(db)`` names one of its databases."""

    bindir: Path
    datadir: Path
    port: int
    run_as: list[str]
    _names: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def url(self, dbname: str = "postgres", schema: str | None = None) -> str:
        url = f"postgresql://postgres@127.0.0.1:{self.port}/{dbname}"
        # libpq URL: options=-c search_path=<schema>,public (PostGIS lives in public).
        return url if schema is None else f"{url}?options=-csearch_path%3D{schema}%2Cpublic"

    def new_schema(self) -> str:
        """The URL of a fresh, empty schema in a database with PostGIS."""
        name = f"test_{next(self._names)}"
        with self.admin(TEST_DB) as conn:
            conn.execute(f"CREATE SCHEMA {name}")
        return self.url(TEST_DB, name)

    def drop_schema(self, url: str) -> None:
        name = url.rsplit("%3D", 1)[1].split("%2C", 1)[0]
        with self.admin(TEST_DB) as conn:
            conn.execute(f"DROP SCHEMA {name} CASCADE")

    def new_database(self, *, postgis: bool = True) -> str:
        """The URL of a fresh database, with the postgis extension or without any."""
        name = f"test_{next(self._names)}"
        template = TEMPLATE if postgis else "template0"
        with self.admin() as conn:
            conn.execute(f"CREATE DATABASE {name} TEMPLATE {template}")
        return self.url(name)

    def drop_database(self, url: str) -> None:
        name = url.rsplit("/", 1)[1]
        with self.admin() as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    @contextmanager
    def admin(self, dbname: str = "postgres") -> Iterator[psycopg.Connection[TupleRow]]:
        """A superuser connection (autocommit) to one of the server's databases."""
        with psycopg.connect(self.url(dbname), autocommit=True) as conn:
            yield conn

    def start(self) -> None:
        """Start the server (again, after ``stop``) and wait until it accepts connections."""
        log = self.datadir.parent / "server.log"
        try:
            self._pg_ctl("start", "-w", "-t", "30", "-l", str(log))
        except pytest.fail.Exception as exc:
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            pytest.fail(f"{exc}\nserver log:\n{tail}", pytrace=False)

    def stop(self, mode: str = "fast") -> None:
        """Stop the server: ``fast`` ends sessions cleanly, ``immediate`` is a crash."""
        self._pg_ctl("stop", "-m", mode, "-w")

    def _pg_ctl(self, *args: str) -> None:
        command = [*self.run_as, str(self.bindir / "pg_ctl"), "-D", str(self.datadir), *args]
        _setup(lambda: pgtemp.run(command))


def find_bindir() -> Path:
    """The newest local PostgreSQL server's bin directory; fails (never skips) without one."""
    return _setup(pgtemp.find_bindir)


def _setup(step: Callable[[], T]) -> T:
    """Run a setup step; a missing binary or a failed command FAILS the test (never skips)."""
    try:
        return step()
    except PgTempError as exc:
        pytest.fail(str(exc), pytrace=False)


@contextmanager
def running_server() -> Iterator[PgServer]:
    """Start a server in a new temporary directory; stop it and remove everything after."""
    bindir = find_bindir()
    prefix = _setup(pgtemp.run_as)
    # Not under pytest's tmp_path: that is private to root, and the server may run as postgres.
    root = Path(tempfile.mkdtemp(prefix="yizhan-pg-"))
    datadir = root / "data"
    pgtemp.prepare_root(root, prefix)
    server = PgServer(bindir, datadir, pgtemp.free_port(), prefix)
    try:
        _setup(
            lambda: pgtemp.init_cluster(
                bindir, prefix, datadir, server.port,
                {"max_connections": "100", "shared_buffers": "64MB"},
            )
        )  # fmt: skip
        server.start()
        with server.admin() as conn:
            conn.execute(f"CREATE DATABASE {TEMPLATE}")
        with server.admin(TEMPLATE) as conn:
            try:
                conn.execute("CREATE EXTENSION postgis")
            except psycopg.Error as exc:
                pytest.fail(
                    f"{bindir.parent} has no usable PostGIS ({exc}): run `{ENSURE}`",
                    pytrace=False,
                )
        with server.admin() as conn:
            conn.execute(f"CREATE DATABASE {TEST_DB} TEMPLATE {TEMPLATE}")
        yield server
    finally:
        if (datadir / "postmaster.pid").exists():
            server.stop("immediate")
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """One PostgreSQL + PostGIS server for the whole test session."""
    with running_server() as server:
        yield server


@pytest.fixture
def pg_url(pg_server: PgServer) -> Iterator[str]:
    """The URL of a fresh schema in a database with PostGIS, dropped after the test."""
    url = pg_server.new_schema()
    yield url
    pg_server.drop_schema(url)
