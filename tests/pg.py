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
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest
from psycopg.rows import TupleRow

TEMPLATE = "yizhan_template"  # PostGIS and nothing else; nobody connects to it
TEST_DB = "yizhan_test"  # copied from the template; each test gets a schema in it
ENSURE = "bash tools/ensure_postgres.sh"


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
        _run([*self.run_as, str(self.bindir / "pg_ctl"), "-D", str(self.datadir), *args])


def find_bindir() -> Path:
    """The newest local PostgreSQL server's bin directory; fails (never skips) without one."""
    override = os.environ.get("YIZHAN_PG_BINDIR")
    candidates = (
        [Path(override)]
        if override
        else sorted(
            Path("/usr/lib/postgresql").glob("*/bin"),
            key=lambda p: int(p.parent.name),
            reverse=True,
        )
    )
    where = override or "/usr/lib/postgresql/*/bin"
    for bindir in candidates:
        if (bindir / "pg_ctl").is_file() and (bindir / "initdb").is_file():
            return bindir
    pytest.fail(
        f"no PostgreSQL server binaries (pg_ctl, initdb) in {where}: run `{ENSURE}` to"
        " install Debian's postgresql and postgis packages",
        pytrace=False,
    )


@contextmanager
def running_server() -> Iterator[PgServer]:
    """Start a server in a new temporary directory; stop it and remove everything after."""
    bindir = find_bindir()
    run_as = _run_as()
    # Not under pytest's tmp_path: that is private to root, and the server may run as postgres.
    root = Path(tempfile.mkdtemp(prefix="yizhan-pg-"))
    datadir = root / "data"
    if run_as:
        record = pwd.getpwnam("postgres")
        os.chown(root, record.pw_uid, record.pw_gid)
    server = PgServer(bindir, datadir, _free_port(), run_as)
    try:
        _run([*run_as, str(bindir / "initdb"), "-D", str(datadir), "-U", "postgres",
              "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"])  # fmt: skip
        with (datadir / "postgresql.conf").open("a") as conf:  # keeps its owner, postgres
            conf.write(
                f"listen_addresses = '127.0.0.1'\nport = {server.port}\n"
                f"unix_socket_directories = '{root}'\nfsync = off\nsynchronous_commit = off\n"
                "full_page_writes = off\nmax_connections = 100\nshared_buffers = 64MB\n"
            )
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


def _run_as() -> list[str]:
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        pytest.fail(
            f"running as root and there is no `postgres` user: run `{ENSURE}`", pytrace=False
        )
    return ["runuser", "-u", "postgres", "--"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _run(command: list[str]) -> None:
    done = subprocess.run(command, capture_output=True, text=True, cwd="/", check=False)
    if done.returncode != 0:
        pytest.fail(
            f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout}{done.stderr}",
            pytrace=False,
        )
