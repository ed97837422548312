"""Throw-away PostgreSQL clusters from the local binaries: the pieces the test suite
(tests/pg.py) and the benchmarks (bench/pgtemp.py) share.

PostgreSQL refuses to run as root, so as root every server binary runs as the ``postgres``
system user. Clusters listen on a free loopback port with their unix socket in their own
directory, trust authentication and no durability (nothing in them must survive a crash).
Every failure raises PgTempError with the command to run; callers decide how to report it.
"""

from __future__ import annotations

import os
import pwd
import socket
import subprocess
from pathlib import Path
from typing import Final

ENSURE: Final = "bash tools/ensure_postgres.sh"


class PgTempError(RuntimeError):
    """The throw-away server could not be set up; the message says what to run."""


def find_bindir() -> Path:
    """The newest local server's bin directory, or $YIZHAN_PG_BINDIR."""
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
    for bindir in candidates:
        if (bindir / "pg_ctl").is_file() and (bindir / "initdb").is_file():
            return bindir
    where = override or "/usr/lib/postgresql/*/bin"
    raise PgTempError(
        f"no PostgreSQL server binaries (pg_ctl, initdb) in {where}: run `{ENSURE}` to"
        " install Debian's postgresql and postgis packages"
    )


def run_as() -> list[str]:
    """The command prefix that runs a server binary as a user PostgreSQL accepts."""
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        raise PgTempError(
            f"running as root and there is no `postgres` user: run `{ENSURE}`"
        ) from None
    return ["runuser", "-u", "postgres", "--"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run(command: list[str]) -> None:
    done = subprocess.run(command, capture_output=True, text=True, cwd="/", check=False)
    if done.returncode != 0:
        raise PgTempError(
            f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout}{done.stderr}"
        )


def prepare_root(root: Path, prefix: list[str]) -> None:
    """Let the server user own ``root`` (a new temporary directory) when it is not us."""
    if prefix:
        record = pwd.getpwnam("postgres")
        os.chown(root, record.pw_uid, record.pw_gid)


def init_cluster(
    bindir: Path, prefix: list[str], datadir: Path, port: int, settings: dict[str, str]
) -> None:
    """initdb into ``datadir`` and configure it: loopback on ``port``, socket beside the data
    directory, no durability, plus ``settings`` (e.g. shared_buffers)."""
    run([*prefix, str(bindir / "initdb"), "-D", str(datadir), "-U", "postgres",
         "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"])  # fmt: skip
    conf = {
        "listen_addresses": "'127.0.0.1'",
        "port": str(port),
        "unix_socket_directories": f"'{datadir.parent}'",
        "fsync": "off",
        "synchronous_commit": "off",
        "full_page_writes": "off",
        **settings,
    }
    with (datadir / "postgresql.conf").open("a") as file:  # keeps its owner, postgres
        file.write("".join(f"{name} = {value}\n" for name, value in conf.items()))
