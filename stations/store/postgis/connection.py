"""Connections to PostgreSQL for the PostGIS store: one per store, checked before each use.

Every psycopg error that means "the database cannot be used now" becomes StoreUnavailable with
a message that names the database but never its password.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final, TypeAlias

import orjson
import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg.rows import TupleRow
from psycopg.types.json import set_json_loads

from stations.errors import StoreUnavailable

Connection: TypeAlias = psycopg.Connection[TupleRow]

CONNECT_TIMEOUT_S: Final = 5
#: Errors after which the connection (or the server) is gone, not the statement wrong.
LOST: Final = (psycopg.OperationalError, psycopg.InterfaceError)


def redact(url: str) -> str:
    """The URL as a user may see it: scheme, user, host, port and database, no password."""
    params = _params(url)
    user = f"{params['user']}@" if params.get("user") else ""
    host = params.get("host") or "localhost"
    port = f":{params['port']}" if params.get("port") else ""
    return f"postgresql://{user}{host}{port}/{params.get('dbname', '')}"


def unavailable(url: str, exc: BaseException) -> StoreUnavailable:
    """A StoreUnavailable for ``exc`` that names the database without its password."""
    reason = " ".join(str(exc).split()) or type(exc).__name__
    password = _params(url).get("password")
    if password:
        reason = reason.replace(password, "***")
    return StoreUnavailable(f"cannot use the PostgreSQL database {redact(url)}: {reason}")


def connect(url: str) -> Connection:
    """An autocommit connection in UTC; transactions are opened explicitly."""
    params = _params(url)
    extra: dict[str, str | int] = {}
    if "connect_timeout" not in params:
        extra["connect_timeout"] = CONNECT_TIMEOUT_S
    if "application_name" not in params:
        extra["application_name"] = "yizhan"
    try:
        conn = psycopg.connect(make_conninfo(url, **extra), autocommit=True)
        conn.execute("SET TIME ZONE 'UTC'")
    except psycopg.Error as exc:
        raise unavailable(url, exc) from None  # the chained libpq error repeats the reason
    set_json_loads(orjson.loads, conn)
    return conn


class Link:
    """One connection shared under a lock; reopened on the next use after it is lost (a
    database restart, a dropped network), so a serving process needs no restart."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.where = redact(url)
        self._lock = threading.Lock()
        self._conn: Connection | None = connect(url)
        self._closed = False

    @contextmanager
    def session(self) -> Iterator[Connection]:
        """The live connection, held by this thread until the block ends."""
        with self._lock:
            conn = self._live()
            try:
                yield conn
            except LOST as exc:
                if conn.closed or conn.broken:
                    self._conn = None
                raise unavailable(self.url, exc) from exc

    def close(self) -> None:
        with self._lock:
            self._closed = True
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def _live(self) -> Connection:
        if self._closed:
            raise StoreUnavailable(f"the store on {self.where} is closed")
        conn = self._conn
        if conn is not None and not (conn.closed or conn.broken):
            try:
                conn.execute("")  # one round trip: an idle connection may have died unseen
                return conn
            except LOST:
                conn.close()
        self._conn = None
        self._conn = connect(self.url)
        return self._conn


def _params(url: str) -> dict[str, str]:
    try:
        return {k: str(v) for k, v in conninfo_to_dict(url).items()}
    except psycopg.ProgrammingError:
        raise StoreUnavailable(
            "not a valid PostgreSQL URL: use postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE"
        ) from None  # libpq's message may quote the URL, password included
