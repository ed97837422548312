"""Station writes in one GeoPackage transaction: the SQLite side of stations/store/writes.py.

The transaction holds SQLite's write lock from its start (``BEGIN IMMEDIATE``), so what it
reads stays as read until it commits. Besides the rows, a committed write keeps the layer's
``gpkg_contents`` entry true: its extent and its ``last_change``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Final

from stations.errors import StationNotFound
from stations.model import Station, StationDraft, StationId
from stations.reports import Report, ReportDraft, Resolution
from stations.store.geopackage import reports
from stations.store.geopackage.format import LAYER, gpkg_datetime
from stations.store.geopackage.rows import (
    INSERT_AUDIT,
    INSERT_STATION,
    SELECT_STATIONS,
    UPDATE_STATION,
    audit_row,
    row_to_station,
    station_values,
)
from stations.store.writes import Write

_IDS_PER_QUERY: Final = 500  # below SQLite's oldest limit on parameters (999)


class GeoPackageWriter:
    """The Writer of one GeoPackage transaction (see stations/store/writes.py)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def get(self, station_id: StationId) -> Station:
        return get_station(self.conn, station_id)

    def stored(self, ids: Sequence[StationId]) -> Iterator[Station]:
        for start in range(0, len(ids), _IDS_PER_QUERY):
            some = ids[start : start + _IDS_PER_QUERY]
            query = f"{SELECT_STATIONS} WHERE id IN ({','.join('?' * len(some))})"
            for row in self.conn.execute(query, some).fetchall():
                yield row_to_station(row)

    def as_stored(self, write: Write) -> Station:
        return row_to_station(station_values(write))

    def insert_new(self, write: Write) -> bool:
        taken = self.conn.execute(f"SELECT 1 FROM {LAYER} WHERE id = ?", (write.station_id,))
        if taken.fetchone() is not None:
            return False
        self.insert([write])
        return True

    def insert(self, writes: Sequence[Write]) -> None:
        self.conn.executemany(INSERT_STATION, [station_values(w) for w in writes])

    def update(self, writes: Sequence[Write]) -> None:
        self.conn.executemany(UPDATE_STATION, [station_values(w) for w in writes])

    def audit(self, writes: Sequence[Write]) -> None:
        self.conn.executemany(INSERT_AUDIT, [audit_row(w) for w in writes])

    def finish(self, drafts: Sequence[StationDraft], at: datetime) -> None:
        """Grow the layer's extent to take in ``drafts``, bump the data version, and stamp the
        rows this transaction wrote with it."""
        if drafts:
            lons = [d.lon for d in drafts]
            lats = [d.lat for d in drafts]
            self.conn.execute(
                "UPDATE gpkg_contents SET min_x = min(coalesce(min_x, ?1), ?1), "
                "min_y = min(coalesce(min_y, ?2), ?2), max_x = max(coalesce(max_x, ?3), ?3), "
                "max_y = max(coalesce(max_y, ?4), ?4) WHERE table_name = ?5",
                (min(lons), min(lats), max(lons), max(lats), LAYER),
            )
        self.conn.execute("UPDATE yizhan_meta SET value = value + 1 WHERE key = 'data_version'")
        self.conn.execute(
            f"UPDATE {LAYER} SET changed_in = "
            "(SELECT value FROM yizhan_meta WHERE key = 'data_version') WHERE changed_in = -1"
        )
        self.conn.execute(
            "UPDATE gpkg_contents SET last_change = ? WHERE table_name = ?",
            (gpkg_datetime(at), LAYER),
        )

    def reports_changed(self) -> None:
        self.conn.execute("UPDATE yizhan_meta SET value = value + 1 WHERE key = 'reports_version'")

    def insert_report(self, draft: ReportDraft, client_hash: str, at: datetime) -> Report:
        return reports.insert_report(self.conn, draft, client_hash, at)

    def reports_by_clients(self, hashes: Sequence[str], since: datetime) -> list[Report]:
        return reports.reports_by_clients(self.conn, hashes, since)

    def reports_by_id(self, ids: Sequence[int]) -> list[Report]:
        return reports.reports_by_id(self.conn, ids)

    def resolve(self, ids: Sequence[int], resolution: Resolution) -> None:
        reports.resolve(self.conn, ids, resolution)


def get_station(conn: sqlite3.Connection, station_id: StationId) -> Station:
    row = conn.execute(f"{SELECT_STATIONS} WHERE id = ?", (station_id,)).fetchone()
    if row is None:
        raise StationNotFound(station_id)
    return row_to_station(row)
