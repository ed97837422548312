"""Station writes in one PostgreSQL transaction: the PostGIS side of stations/store/writes.py.

A committing transaction first takes WRITE_LOCK (see ``PostGISStore._writing``) and reads the
rows it depends on ``FOR UPDATE``. Each station row remembers the data version that last changed
it (``changed_in``); the new data version is announced with NOTIFY, which PostgreSQL delivers to
every listening process at commit (never after a rollback).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import cached_property
from typing import Any

from stations.errors import StationNotFound, StoreUnavailable
from stations.model import Station, StationDraft, StationId
from stations.reports import Report, ReportDraft, Resolution
from stations.store.postgis import reports
from stations.store.postgis.connection import Connection
from stations.store.postgis.rows import (
    INSERT_AUDIT,
    INSERT_STATION,
    SELECT_STATIONS,
    UPDATE_STATION,
    row_to_station,
    station_values,
    stored_as,
)
from stations.store.postgis.schema import CHANGES_CHANNEL
from stations.store.writes import Write, audit_values


class PostGISWriter:
    """The Writer of one PostgreSQL transaction (see stations/store/writes.py); ``commit``:
    whether the transaction will commit (then it holds WRITE_LOCK and locks what it reads)."""

    def __init__(self, conn: Connection, *, commit: bool) -> None:
        self.conn = conn
        self._lock = " FOR UPDATE" if commit else ""

    @cached_property
    def data_version(self) -> int:
        """The data version this write will commit. Every committing station write holds
        WRITE_LOCK, so no other writer can take the same number."""
        row = self.conn.execute("SELECT value + 1 FROM yizhan_meta WHERE key = 'data_version'")
        return int(meta_value(row.fetchone()))

    def get(self, station_id: StationId) -> Station:
        return get_station(self.conn, station_id, lock=bool(self._lock))

    def stored(self, ids: Sequence[StationId]) -> list[Station]:
        query = f"{SELECT_STATIONS} WHERE id = ANY(%s) ORDER BY id{self._lock}"
        return [row_to_station(row) for row in self.conn.execute(query, (list(ids),))]

    def as_stored(self, write: Write) -> Station:
        return stored_as(write)

    def insert_new(self, write: Write) -> bool:
        query = f"{INSERT_STATION} ON CONFLICT (id) DO NOTHING RETURNING id"
        return self.conn.execute(query, self._values(write)).fetchone() is not None

    def insert(self, writes: Sequence[Write]) -> None:
        self._send(INSERT_STATION, [self._values(w) for w in writes])

    def update(self, writes: Sequence[Write]) -> None:
        self._send(UPDATE_STATION, [self._values(w) for w in writes])

    def audit(self, writes: Sequence[Write]) -> None:
        self._send(INSERT_AUDIT, [audit_values(w, w.at) for w in writes])

    def finish(self, drafts: Sequence[StationDraft], at: datetime) -> None:
        """Record the new data version and announce it."""
        self.conn.execute(
            "UPDATE yizhan_meta SET value = %s WHERE key = 'data_version'", (self.data_version,)
        )
        self.conn.execute("SELECT pg_notify(%s, %s)", (CHANGES_CHANNEL, str(self.data_version)))

    def reports_changed(self) -> None:
        row = self.conn.execute(
            "UPDATE yizhan_meta SET value = value + 1 WHERE key = 'reports_version' RETURNING value"
        ).fetchone()
        # Serving processes wake on the same channel and compare both versions.
        self.conn.execute("SELECT pg_notify(%s, %s)", (CHANGES_CHANNEL, f"r{meta_value(row)}"))

    def insert_report(self, draft: ReportDraft, client_hash: str, at: datetime) -> Report:
        return reports.insert_report(self.conn, draft, client_hash, at)

    def reports_by_clients(self, hashes: Sequence[str], since: datetime) -> list[Report]:
        return reports.reports_by_clients(self.conn, hashes, since)

    def reports_by_id(self, ids: Sequence[int]) -> list[Report]:
        return reports.reports_by_id(self.conn, ids, lock=bool(self._lock))

    def resolve(self, ids: Sequence[int], resolution: Resolution) -> None:
        reports.resolve(self.conn, ids, resolution)

    def _values(self, write: Write) -> tuple[object, ...]:
        return station_values(write, self.data_version)

    def _send(self, query: str, rows: list[tuple[object, ...]]) -> None:
        with self.conn.cursor() as cursor:
            cursor.executemany(query, rows)


def get_station(conn: Connection, station_id: StationId, *, lock: bool = False) -> Station:
    if "\x00" in station_id:  # PostgreSQL text cannot hold NUL, so no stored id has one
        raise StationNotFound(station_id)
    query = f"{SELECT_STATIONS} WHERE id = %s" + (" FOR UPDATE" if lock else "")
    row = conn.execute(query, (station_id,)).fetchone()
    if row is None:
        raise StationNotFound(station_id)
    return row_to_station(row)


def meta_value(row: Sequence[Any] | None) -> Any:
    """The value of a yizhan_meta row that every store has."""
    if row is None:
        raise StoreUnavailable("the yizhan_meta table lost its data_version row")
    return row[0]
