"""A throw-away PostgreSQL + PostGIS cluster for a benchmark run, as tests/pg.py starts one.

initdb into a new temporary directory, pg_ctl start on a free loopback port with the unix socket
in that directory and trust authentication, one database with the postgis extension; stopped
and removed when the ``with`` block ends (also on Ctrl-C or SIGTERM). As root, every server
binary runs as the ``postgres`` system user (PostgreSQL refuses root). Durability is off
(fsync, synchronous_commit, full_page_writes): nothing in it must survive a crash, and an
import measured here is a lower bound for a durable server.

Binaries: the newest /usr/lib/postgresql/*/bin, or $YIZHAN_PG_BINDIR; install them with
``bash tools/ensure_postgres.sh``.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

import psycopg

ENSURE = "bash tools/ensure_postgres.sh"
DATABASE = "yizhan_bench"


class PgTempError(RuntimeError):
    """The throw-away server could not be set up; the message says what to run."""


@contextmanager
def temporary_postgis(shared_buffers: str = "256MB") -> Iterator[str]:
    """Start a server, yield the URL of a database with PostGIS; stop and remove it after."""
    bindir = _find_bindir()
    run_as = _run_as()
    root = Path(tempfile.mkdtemp(prefix="yizhan-bench-pg-"))
    datadir = root / "data"
    if run_as:
        record = pwd.getpwnam("postgres")
        os.chown(root, record.pw_uid, record.pw_gid)
    port = _free_port()
    pg_ctl = [*run_as, str(bindir / "pg_ctl"), "-D", str(datadir)]
    previous = signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        _run([*run_as, str(bindir / "initdb"), "-D", str(datadir), "-U", "postgres",
              "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"])  # fmt: skip
        with (datadir / "postgresql.conf").open("a") as conf:  # keeps its owner, postgres
            conf.write(
                f"listen_addresses = '127.0.0.1'\nport = {port}\n"
                f"unix_socket_directories = '{root}'\nfsync = off\nsynchronous_commit = off\n"
                f"full_page_writes = off\nmax_connections = 20\n"
                f"shared_buffers = {shared_buffers}\nmax_wal_size = 2GB\n"
            )
        _run([*pg_ctl, "start", "-w", "-t", "30", "-l", str(root / "server.log")])
        admin = f"postgresql://postgres@127.0.0.1:{port}/postgres"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {DATABASE}")
        url = f"postgresql://postgres@127.0.0.1:{port}/{DATABASE}"
        with psycopg.connect(url, autocommit=True) as conn:
            try:
                conn.execute("CREATE EXTENSION postgis")
            except psycopg.Error as exc:
                raise PgTempError(f"{bindir.parent} has no usable PostGIS ({exc}): "
                                  f"run `{ENSURE}`") from exc
        yield url
    finally:
        if (datadir / "postmaster.pid").exists():
            subprocess.run([*pg_ctl, "stop", "-m", "immediate", "-w"], capture_output=True,
                           cwd="/", check=False)  # fmt: skip
        shutil.rmtree(root, ignore_errors=True)
        signal.signal(signal.SIGTERM, previous)


def _exit_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)  # unwinds through the finally that removes the cluster


def _find_bindir() -> Path:
    override = os.environ.get("YIZHAN_PG_BINDIR")
    candidates = (
        [Path(override)]
        if override
        else sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name),
                    reverse=True)
    )  # fmt: skip
    for bindir in candidates:
        if (bindir / "pg_ctl").is_file() and (bindir / "initdb").is_file():
            return bindir
    where = override or "/usr/lib/postgresql/*/bin"
    raise PgTempError(f"no PostgreSQL server binaries in {where}: run `{ENSURE}`, or give --db")


def _run_as() -> list[str]:
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        raise PgTempError(f"running as root and there is no `postgres` user: run `{ENSURE}`") \
            from None
    return ["runuser", "-u", "postgres", "--"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _run(command: list[str]) -> None:
    done = subprocess.run(command, capture_output=True, text=True, cwd="/", check=False)
    if done.returncode != 0:
        raise PgTempError(f"{' '.join(command)} failed ({done.returncode}):\n"
                          f"{done.stdout}{done.stderr}")
