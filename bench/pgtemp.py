"""A throw-away PostgreSQL + PostGIS cluster for a benchmark run, as tests/pg.py starts one.

initdb into a new temporary directory, pg_ctl start on a free loopback port with the unix socket
in that directory and trust authentication (tools/pgtemp.py, shared with the tests), one
database with the postgis extension; stopped
and removed when the ``with`` block ends (also on Ctrl-C or SIGTERM). As root, every server
binary runs as the ``postgres`` system user (PostgreSQL refuses root). Durability is off
(fsync, synchronous_commit, full_page_writes): nothing in it must survive a crash, and an
import measured here is a lower bound for a durable server.

Binaries: the newest /usr/lib/postgresql/*/bin, or $YIZHAN_PG_BINDIR; install them with
``bash tools/ensure_postgres.sh``.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

import psycopg

from tools.pgtemp import (
    ENSURE,
    PgTempError,
    find_bindir,
    free_port,
    init_cluster,
    prepare_root,
    run,
    run_as,
)

__all__ = ["DATABASE", "PgTempError", "temporary_postgis"]

DATABASE = "yizhan_bench"


@contextmanager
def temporary_postgis(shared_buffers: str = "256MB") -> Iterator[str]:
    """Start a server, yield the URL of a database with PostGIS; stop and remove it after."""
    bindir = find_bindir()
    prefix = run_as()
    root = Path(tempfile.mkdtemp(prefix="yizhan-bench-pg-"))
    datadir = root / "data"
    prepare_root(root, prefix)
    port = free_port()
    pg_ctl = [*prefix, str(bindir / "pg_ctl"), "-D", str(datadir)]
    previous = signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        init_cluster(
            bindir, prefix, datadir, port,
            {"max_connections": "20", "shared_buffers": shared_buffers, "max_wal_size": "2GB"},
        )  # fmt: skip
        run([*pg_ctl, "start", "-w", "-t", "30", "-l", str(root / "server.log")])
        admin = f"postgresql://postgres@127.0.0.1:{port}/postgres"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {DATABASE}")
        url = f"postgresql://postgres@127.0.0.1:{port}/{DATABASE}"
        with psycopg.connect(url, autocommit=True) as conn:
            try:
                conn.execute("CREATE EXTENSION postgis")
            except psycopg.Error as exc:
                raise PgTempError(
                    f"{bindir.parent} has no usable PostGIS ({exc}): run `{ENSURE}`"
                ) from exc
        yield url
    finally:
        if (datadir / "postmaster.pid").exists():
            subprocess.run([*pg_ctl, "stop", "-m", "immediate", "-w"], capture_output=True,
                           cwd="/", check=False)  # fmt: skip
        shutil.rmtree(root, ignore_errors=True)
        signal.signal(signal.SIGTERM, previous)


def _exit_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)  # unwinds through the finally that removes the cluster
