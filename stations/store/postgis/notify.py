"""Announcements of committed writes, over PostgreSQL LISTEN/NOTIFY.

Every committed station write sends ``pg_notify(CHANGES_CHANNEL, <new data version>)`` inside
its transaction (stations/store/postgis/writer.py); PostgreSQL delivers it to every listening
connection at commit. A serving process keeps one extra connection that only listens, so an
edit made through any process reaches all of them within milliseconds. When that connection is
lost (database restart, network) the feed says so, reconnects on the next wait, and asks for a
version check once it listens again: announcements sent while it was away are lost for good.
"""

from __future__ import annotations

import contextlib
import logging

import psycopg
from psycopg import sql

from stations.errors import StoreUnavailable
from stations.store.postgis.connection import LOST, Connection, connect, redact

log = logging.getLogger("yizhan.store")


class PgChangeFeed:
    """One LISTEN connection; not thread-safe (one refresh thread uses it)."""

    def __init__(self, url: str, channel: str) -> None:
        self._url = url
        self._channel = channel
        self._conn: Connection | None = None
        self._listen()  # the store just connected: a failure here is worth raising

    @property
    def listening(self) -> bool:
        conn = self._conn
        return conn is not None and not (conn.closed or conn.broken)

    def wait(self, timeout_s: float) -> bool:
        """True when the caller should check the data version now: a write was announced, or
        the feed has just (re)connected and may have missed announcements."""
        if not self.listening:
            self._drop()
            try:
                self._listen()
            except StoreUnavailable as exc:
                log.debug("change feed still cannot listen: %s", exc)
                return False
            log.info("change feed listening again on %s", redact(self._url))
            return True
        assert self._conn is not None
        try:
            for _notify in self._conn.notifies(timeout=timeout_s, stop_after=1):
                return True
            return False
        except LOST as exc:
            log.warning("change feed lost its connection (%s); polling until it is back", exc)
            self._drop()
            return False

    def close(self) -> None:
        self._drop()

    def _listen(self) -> None:
        conn = connect(self._url)
        try:
            conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self._channel)))
        except psycopg.Error as exc:
            conn.close()
            raise StoreUnavailable(f"cannot LISTEN on {redact(self._url)}: {exc}") from None
        self._conn = conn

    def _drop(self) -> None:
        if self._conn is not None:
            # Closing a broken connection may fail: it is gone anyway.
            with contextlib.suppress(psycopg.Error):
                self._conn.close()
            self._conn = None
