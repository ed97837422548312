"""Rider reports in the GeoPackage file (table ``yizhan_reports``): the SQL of the report writes
(called by GeoPackageWriter inside a station write transaction) and of the moderation reads."""

from __future__ import annotations

import sqlite3
import threading
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Final

from stations.errors import ReportNotFound
from stations.model import Category, ReportSignal, StationId
from stations.reports import Report, ReportDraft, ReportStatus, Resolution
from stations.store.geopackage.format import LAYER, gpkg_datetime, parse_datetime
from stations.store.reports import ReportFilter, ReportPage, report_page

_COLUMNS: Final = (
    "r.id, r.station_id, r.category, r.amenity, r.note, r.client_hash, r.created_at, r.status,"
    " r.resolved_by, r.resolved_at, r.resolution_reason, r.resolved_in_version"
)
_SELECT: Final = f"SELECT {_COLUMNS} FROM yizhan_reports r"


def row_to_report(row: Sequence[object]) -> Report:
    (rid, sid, category, amenity, note, client, created, status, by, at, reason, version) = row
    return Report(
        id=int(rid),  # type: ignore[call-overload]
        station_id=StationId(str(sid)),
        category=Category(str(category)),
        amenity=None if amenity is None else str(amenity),
        note=None if note is None else str(note),
        client_hash=str(client),
        created_at=parse_datetime(created),
        status=ReportStatus(str(status)),
        resolved_by=None if by is None else str(by),
        resolved_at=None if at is None else parse_datetime(at),
        resolution_reason=None if reason is None else str(reason),
        resolved_in_version=None if version is None else int(version),  # type: ignore[call-overload]
    )


def insert_report(
    conn: sqlite3.Connection, draft: ReportDraft, client_hash: str, at: datetime
) -> Report:
    cursor = conn.execute(
        "INSERT INTO yizhan_reports (station_id, category, amenity, note, client_hash,"
        " created_at) VALUES (?, ?, ?, ?, ?, ?)",
        (draft.station_id, draft.category.value, draft.amenity, draft.note, client_hash,
         gpkg_datetime(at)),
    )  # fmt: skip
    return Report(
        int(cursor.lastrowid or 0), draft.station_id, draft.category, draft.amenity,
        draft.note, client_hash, at,
    )  # fmt: skip


def reports_by_clients(
    conn: sqlite3.Connection, hashes: Sequence[str], since: datetime
) -> list[Report]:
    query = f"{_SELECT} WHERE r.client_hash IN (?, ?) AND r.created_at > ?"
    rows = conn.execute(query, (*hashes[:2], gpkg_datetime(since))).fetchall()
    return [row_to_report(r) for r in rows]


def reports_by_id(conn: sqlite3.Connection, ids: Sequence[int]) -> list[Report]:
    query = f"{_SELECT} WHERE r.id IN ({','.join('?' * len(ids))})"
    return [row_to_report(r) for r in conn.execute(query, list(ids)).fetchall()]


def resolve(conn: sqlite3.Connection, ids: Sequence[int], resolution: Resolution) -> None:
    r = resolution
    conn.executemany(
        "UPDATE yizhan_reports SET status = ?, resolved_by = ?, resolved_at = ?,"
        " resolution_reason = ?, resolved_in_version = ? WHERE id = ?",
        [(r.status.value, r.actor, gpkg_datetime(r.at), r.reason, r.version, i) for i in ids],
    )


def open_signals(conn: sqlite3.Connection, since: datetime) -> dict[StationId, list[ReportSignal]]:
    """Open reports made after ``since``, by station, oldest first."""
    rows = conn.execute(
        "SELECT station_id, category, amenity, client_hash, created_at FROM yizhan_reports"
        " WHERE status = 'open' AND created_at > ? ORDER BY created_at",
        (gpkg_datetime(since),),
    ).fetchall()
    out: dict[StationId, list[ReportSignal]] = defaultdict(list)
    for sid, category, amenity, client, created in rows:
        out[StationId(sid)].append(
            ReportSignal(Category(category), amenity, client, parse_datetime(created))
        )
    return out


class GeoPackageReports:
    """The moderation reads of GeoPackageStore (a mixin over its connection and lock)."""

    _conn: sqlite3.Connection
    _lock: threading.Lock

    def list_reports(self, query: ReportFilter) -> ReportPage:
        where, params = _where(query)
        joined = f"FROM yizhan_reports r JOIN {LAYER} s ON s.id = r.station_id WHERE {where}"
        with self._lock:
            rows = self._conn.execute(
                f"SELECT {_COLUMNS}, s.name, s.district_code {joined}"
                " ORDER BY r.created_at DESC, r.id DESC LIMIT ? OFFSET ?",
                (*params, query.limit, query.offset),
            ).fetchall()
            counts = self._conn.execute(
                f"SELECT r.category, count(*) {joined} GROUP BY r.category", params
            ).fetchall()
        return report_page([(row_to_report(r[:12]), r[12], r[13]) for r in rows], counts)

    def report(self, report_id: int) -> Report:
        with self._lock:
            found = reports_by_id(self._conn, [report_id])
        if not found:
            raise ReportNotFound(report_id)
        return found[0]

    def reports_of(self, station_id: StationId) -> list[Report]:
        with self._lock:
            rows = self._conn.execute(
                f"{_SELECT} WHERE r.station_id = ? ORDER BY r.created_at DESC, r.id DESC",
                (station_id,),
            ).fetchall()
        return [row_to_report(r) for r in rows]

    def report_salt(self) -> int:
        with self._lock:
            row = self._conn.execute(
                "SELECT value FROM yizhan_meta WHERE key = 'report_salt'"
            ).fetchone()
        return int(row[0])


def _where(query: ReportFilter) -> tuple[str, tuple[object, ...]]:
    clauses: list[str] = ["1 = 1"]
    params: list[object] = []
    if query.status is not None:
        clauses.append("r.status = ?")
        params.append(query.status.value)
    if query.station_id is not None:
        clauses.append("r.station_id = ?")
        params.append(query.station_id)
    if query.district is not None:
        clauses.append("substr(s.district_code, 1, ?) = ?")
        params += [len(query.district), query.district]
    if query.scope is not None:
        # No prefix at all: nothing (a token without districts reads no reports).
        scoped = " OR ".join(["substr(s.district_code, 1, ?) = ?"] * len(query.scope)) or "0"
        clauses.append(f"({scoped})")
        for prefix in query.scope:
            params += [len(prefix), prefix]
    return " AND ".join(clauses), tuple(params)
