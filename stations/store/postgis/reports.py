"""Rider reports in PostgreSQL (table ``yizhan_reports``): the SQL of the report writes (called
by PostGISWriter inside a station write transaction) and of the moderation reads."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Final

from stations.errors import ReportNotFound
from stations.model import Category, ReportSignal, StationId
from stations.reports import Report, ReportDraft, ReportStatus, Resolution
from stations.store.postgis.connection import Connection, Link
from stations.store.reports import ReportFilter, ReportPage, report_page

_COLUMNS: Final = (
    "r.id, r.station_id, r.category, r.amenity, r.note, r.client_hash, r.created_at, r.status,"
    " r.resolved_by, r.resolved_at, r.resolution_reason, r.resolved_in_version"
)
_SELECT: Final = f"SELECT {_COLUMNS} FROM yizhan_reports r"


def row_to_report(row: Sequence[Any]) -> Report:
    (rid, sid, category, amenity, note, client, created, status, by, at, reason, version) = row
    return Report(
        id=int(rid),
        station_id=StationId(sid),
        category=Category(category),
        amenity=amenity,
        note=note,
        client_hash=client,
        created_at=created.astimezone(UTC),
        status=ReportStatus(status),
        resolved_by=by,
        resolved_at=None if at is None else at.astimezone(UTC),
        resolution_reason=reason,
        resolved_in_version=version,
    )


def insert_report(conn: Connection, draft: ReportDraft, client_hash: str, at: datetime) -> Report:
    row = conn.execute(
        "INSERT INTO yizhan_reports (station_id, category, amenity, note, client_hash,"
        " created_at) VALUES (%s, %s, %s, %s, %s, %s) RETURNING id",
        (draft.station_id, draft.category.value, draft.amenity, draft.note, client_hash, at),
    ).fetchone()
    assert row is not None
    return Report(
        int(row[0]), draft.station_id, draft.category, draft.amenity, draft.note, client_hash,
        at,
    )  # fmt: skip


def reports_by_clients(conn: Connection, hashes: Sequence[str], since: datetime) -> list[Report]:
    query = f"{_SELECT} WHERE r.client_hash = ANY(%s) AND r.created_at > %s"
    return [row_to_report(r) for r in conn.execute(query, (list(hashes), since)).fetchall()]


def reports_by_id(conn: Connection, ids: Sequence[int], *, lock: bool = False) -> list[Report]:
    query = f"{_SELECT} WHERE r.id = ANY(%s)" + (" FOR UPDATE" if lock else "")
    return [row_to_report(r) for r in conn.execute(query, (list(ids),)).fetchall()]


def resolve(conn: Connection, ids: Sequence[int], resolution: Resolution) -> None:
    r = resolution
    conn.execute(
        "UPDATE yizhan_reports SET status = %s, resolved_by = %s, resolved_at = %s,"
        " resolution_reason = %s, resolved_in_version = %s WHERE id = ANY(%s)",
        (r.status.value, r.actor, r.at, r.reason, r.version, list(ids)),
    )


def open_signals(conn: Connection, since: datetime) -> dict[StationId, list[ReportSignal]]:
    """Open reports made after ``since``, by station, oldest first."""
    rows = conn.execute(
        "SELECT station_id, category, amenity, client_hash, created_at FROM yizhan_reports"
        " WHERE status = 'open' AND created_at > %s ORDER BY created_at",
        (since,),
    ).fetchall()
    out: dict[StationId, list[ReportSignal]] = defaultdict(list)
    for sid, category, amenity, client, created in rows:
        out[StationId(sid)].append(
            ReportSignal(Category(category), amenity, client, created.astimezone(UTC))
        )
    return out


class PostGISReports:
    """The moderation reads of PostGISStore (a mixin over its link)."""

    _link: Link

    def list_reports(self, query: ReportFilter) -> ReportPage:
        where, params = _where(query)
        joined = f"FROM yizhan_reports r JOIN stations s ON s.id = r.station_id WHERE {where}"
        with self._link.session() as conn, conn.transaction():
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            rows = conn.execute(
                f"SELECT {_COLUMNS}, s.name, s.district_code {joined}"
                " ORDER BY r.created_at DESC, r.id DESC LIMIT %s OFFSET %s",
                (*params, query.limit, query.offset),
            ).fetchall()
            counts = conn.execute(
                f"SELECT r.category, count(*) {joined} GROUP BY r.category", params
            ).fetchall()
        return report_page([(row_to_report(r[:12]), r[12], r[13]) for r in rows], counts)

    def report(self, report_id: int) -> Report:
        with self._link.session() as conn:
            found = reports_by_id(conn, [report_id])
        if not found:
            raise ReportNotFound(report_id)
        return found[0]

    def reports_of(self, station_id: StationId) -> list[Report]:
        with self._link.session() as conn:
            rows = conn.execute(
                f"{_SELECT} WHERE r.station_id = %s ORDER BY r.created_at DESC, r.id DESC",
                (station_id,),
            ).fetchall()
        return [row_to_report(r) for r in rows]

    def report_salt(self) -> int:
        with self._link.session() as conn:
            row = conn.execute("SELECT value FROM yizhan_meta WHERE key = 'report_salt'")
            found = row.fetchone()
        assert found is not None
        return int(found[0])


def _where(query: ReportFilter) -> tuple[str, tuple[object, ...]]:
    clauses: list[str] = ["true"]
    params: list[object] = []
    if query.status is not None:
        clauses.append("r.status = %s")
        params.append(query.status.value)
    if query.station_id is not None:
        clauses.append("r.station_id = %s")
        params.append(query.station_id)
    if query.district is not None:
        clauses.append("starts_with(s.district_code, %s)")
        params.append(query.district)
    if query.scope is not None:
        # An empty list of prefixes matches nothing (a token without districts reads none).
        clauses.append("s.district_code LIKE ANY(%s)")
        params.append([f"{p}%" for p in query.scope])
    return " AND ".join(clauses), tuple(params)
