"""The embedded default store: one OGC GeoPackage file (SQLite) that QGIS and geopandas open.

The ``stations`` feature table holds one POINT per station in EPSG:4326 plus its attributes;
``yizhan_meta`` (not a GeoPackage layer) holds the schema version and the data version counter.
Every write is a single SQLite transaction in WAL mode, so a crash or SIGKILL mid-import leaves
the previous state intact, and readers never see half a write.
"""

from __future__ import annotations

import sqlite3
import struct
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

from pyproj import CRS

from stations.errors import StationNotFound, StoreUnavailable
from stations.model import Kind, Station, StationDraft, StationId, Status
from stations.store.base import ImportCounts, Outcome, SaveResult

LAYER: Final = "stations"
SRS_ID: Final = 4326
SCHEMA_VERSION: Final = 1
_GPKG_APPLICATION_ID: Final = 0x47504B47  # "GPKG"
_GPKG_USER_VERSION: Final = 10400  # GeoPackage 1.4
_COLUMNS: Final = (
    "id, name, kind, address, district_code, amenities, opening_hours, phone, host, status, "
    "version, updated_at, geom"
)


class GeoPackageStore:
    """A StationStore on a GeoPackage file; created (with its schema) if missing."""

    def __init__(self, path: Path | str, *, create: bool = True) -> None:
        self.path = Path(path)
        if not self.path.exists() and not create:
            raise StoreUnavailable(f"no store at {self.path}: run `yizhan import` to create one")
        self._lock = threading.Lock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # One connection shared under a lock: writes are serialised anyway, and SQLite
            # reads in WAL mode are fast enough for the snapshot rebuilds that use them.
            self._conn = sqlite3.connect(
                self.path, isolation_level=None, check_same_thread=False, timeout=10.0
            )
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=FULL")
            self._conn.execute("PRAGMA foreign_keys=ON")
            self._ensure_schema()
        except sqlite3.DatabaseError as exc:
            raise StoreUnavailable(f"{self.path} is not a usable GeoPackage: {exc}") from exc

    # -- reading -----------------------------------------------------------------------------

    def list_stations(self) -> list[Station]:
        with self._lock:
            rows = self._conn.execute(f"SELECT {_COLUMNS} FROM {LAYER} ORDER BY id").fetchall()
        return [_row_to_station(row) for row in rows]

    def get(self, station_id: StationId) -> Station:
        with self._lock:
            row = self._conn.execute(
                f"SELECT {_COLUMNS} FROM {LAYER} WHERE id = ?", (station_id,)
            ).fetchone()
        if row is None:
            raise StationNotFound(station_id)
        return _row_to_station(row)

    def data_version(self) -> int:
        with self._lock:
            row = self._conn.execute(
                "SELECT value FROM yizhan_meta WHERE key = 'data_version'"
            ).fetchone()
        return int(row[0])

    # -- writing -----------------------------------------------------------------------------

    def save_all(
        self,
        drafts: Sequence[StationDraft],
        *,
        dry_run: bool = False,
        progress: Callable[[int], None] | None = None,
    ) -> ImportCounts:
        counts = ImportCounts()
        now = _gpkg_datetime(datetime.now(UTC))
        with self._transaction(commit=not dry_run) as conn:
            for i, draft in enumerate(drafts, start=1):
                counts.add(_save_one(conn, draft, now))
                if progress is not None and i % 1000 == 0:
                    progress(1000)
            if counts.created or counts.updated:
                _expand_extent(conn, drafts)
                conn.execute("UPDATE yizhan_meta SET value = value + 1 WHERE key = 'data_version'")
                conn.execute(
                    "UPDATE gpkg_contents SET last_change = ? WHERE table_name = ?", (now, LAYER)
                )
        if progress is not None:
            progress(len(drafts) % 1000)
        return counts

    def make_portable(self) -> None:
        """Fold the write-ahead log into the file and leave WAL mode, so the file can be
        copied or opened from read-only media as one self-contained .gpkg."""
        with self._lock:
            self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self._conn.execute("PRAGMA journal_mode=DELETE")

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @contextmanager
    def _transaction(self, *, commit: bool) -> Iterator[sqlite3.Connection]:
        with self._lock:
            # IMMEDIATE takes the write lock up front, so two writers queue instead of one
            # failing half-way with SQLITE_BUSY.
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT" if commit else "ROLLBACK")

    # -- schema ------------------------------------------------------------------------------

    def _ensure_schema(self) -> None:
        with self._transaction(commit=True) as conn:
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
            if "yizhan_meta" in tables:
                return
            if tables and "gpkg_contents" not in tables:
                raise StoreUnavailable(f"{self.path} is an SQLite file but not a GeoPackage")
            conn.execute(f"PRAGMA application_id = {_GPKG_APPLICATION_ID}")
            conn.execute(f"PRAGMA user_version = {_GPKG_USER_VERSION}")
            for statement in _schema_statements():
                conn.execute(statement)


def _save_one(conn: sqlite3.Connection, draft: StationDraft, now: str) -> SaveResult:
    if draft.id is not None:
        row = conn.execute(f"SELECT {_COLUMNS} FROM {LAYER} WHERE id = ?", (draft.id,)).fetchone()
        if row is not None:
            current = _row_to_station(row)
            if current.same_content(draft):
                return SaveResult(current.id, Outcome.UNCHANGED)
            conn.execute(
                f"UPDATE {LAYER} SET geom=?, name=?, kind=?, address=?, district_code=?, "
                "amenities=?, opening_hours=?, phone=?, host=?, status=?, version=version+1, "
                "updated_at=? WHERE id=?",
                (*_draft_values(draft), now, draft.id),
            )
            return SaveResult(current.id, Outcome.UPDATED)
    station_id = draft.id or StationId(f"st-{uuid.uuid4().hex[:12]}")
    conn.execute(
        f"INSERT INTO {LAYER} (geom, name, kind, address, district_code, amenities, "
        "opening_hours, phone, host, status, version, updated_at, id) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,1,?,?)",
        (*_draft_values(draft), now, station_id),
    )
    return SaveResult(station_id, Outcome.CREATED)


def _draft_values(d: StationDraft) -> tuple[object, ...]:
    return (
        encode_point(d.lon, d.lat),
        d.name,
        d.kind.value,
        d.address,
        d.district_code,
        ";".join(d.amenities),
        d.opening_hours,
        d.phone,
        d.host,
        d.status.value,
    )


def _row_to_station(row: tuple[object, ...]) -> Station:
    (sid, name, kind, address, district, amenities, hours, phone, host, status, version,
     updated_at, geom) = row  # fmt: skip
    lon, lat = decode_point(geom)  # type: ignore[arg-type]
    return Station(
        id=StationId(str(sid)),
        name=str(name),
        kind=Kind(str(kind)),
        lon=lon,
        lat=lat,
        address=_opt(address),
        district_code=str(district),
        amenities=tuple(a for a in str(amenities or "").split(";") if a),
        opening_hours=_opt(hours),
        phone=_opt(phone),
        host=_opt(host),
        status=Status(str(status)),
        version=int(version),  # type: ignore[call-overload]
        updated_at=datetime.fromisoformat(str(updated_at).replace("Z", "+00:00")),
    )


def _opt(value: object) -> str | None:
    return None if value is None or value == "" else str(value)


def _gpkg_datetime(moment: datetime) -> str:
    """The GeoPackage DATETIME form: ISO 8601 in UTC with milliseconds and a Z."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


# -- GeoPackage geometry blobs (OGC 12-128r18 §2.1.3) -------------------------------------------

_HEADER: Final = struct.Struct("<2sBBi")
_WKB_POINT: Final = struct.Struct("<BIdd")
_ENVELOPE_BYTES: Final = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}


def encode_point(lon: float, lat: float) -> bytes:
    """A GeoPackage blob for a 2-D point: little-endian header, no envelope, then WKB."""
    return _HEADER.pack(b"GP", 0, 0b0000_0001, SRS_ID) + _WKB_POINT.pack(1, 1, lon, lat)


def decode_point(blob: bytes) -> tuple[float, float]:
    """(lon, lat) from a GeoPackage point blob written by us, GDAL or QGIS."""
    magic, _version, flags = struct.unpack_from("<2sBB", blob)
    if magic != b"GP":
        raise StoreUnavailable("a station geometry is not a GeoPackage blob")
    offset = 8 + _ENVELOPE_BYTES[(flags >> 1) & 0b111]
    byte_order = "<" if blob[offset] == 1 else ">"
    geom_type = struct.unpack_from(byte_order + "I", blob, offset + 1)[0]
    if geom_type % 1000 != 1:
        raise StoreUnavailable(f"a station geometry is not a point (WKB type {geom_type})")
    lon, lat = struct.unpack_from(byte_order + "dd", blob, offset + 5)
    return float(lon), float(lat)


def _expand_extent(conn: sqlite3.Connection, drafts: Sequence[StationDraft]) -> None:
    if not drafts:
        return
    lons = [d.lon for d in drafts]
    lats = [d.lat for d in drafts]
    conn.execute(
        "UPDATE gpkg_contents SET min_x = min(coalesce(min_x, ?1), ?1), "
        "min_y = min(coalesce(min_y, ?2), ?2), max_x = max(coalesce(max_x, ?3), ?3), "
        "max_y = max(coalesce(max_y, ?4), ?4) WHERE table_name = ?5",
        (min(lons), min(lats), max(lons), max(lats), LAYER),
    )


def _schema_statements() -> list[str]:
    wkt = CRS.from_epsg(SRS_ID).to_wkt("WKT1_GDAL").replace("'", "''")
    return [
        "CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY,"
        " organization TEXT NOT NULL, organization_coordsys_id INTEGER NOT NULL,"
        " definition TEXT NOT NULL, description TEXT)",
        "INSERT INTO gpkg_spatial_ref_sys VALUES"
        " ('Undefined Cartesian SRS', -1, 'NONE', -1, 'undefined', 'undefined Cartesian'),"
        " ('Undefined geographic SRS', 0, 'NONE', 0, 'undefined', 'undefined geographic'),"
        f" ('WGS 84 geodetic', {SRS_ID}, 'EPSG', {SRS_ID}, '{wkt}', 'longitude/latitude')",
        "CREATE TABLE gpkg_contents (table_name TEXT NOT NULL PRIMARY KEY,"
        " data_type TEXT NOT NULL, identifier TEXT UNIQUE, description TEXT DEFAULT '',"
        " last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),"
        " min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER,"
        " CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id))",
        "CREATE TABLE gpkg_geometry_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL,"
        " geometry_type_name TEXT NOT NULL, srs_id INTEGER NOT NULL, z TINYINT NOT NULL,"
        " m TINYINT NOT NULL, CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),"
        " CONSTRAINT uk_gc_table_name UNIQUE (table_name),"
        " CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),"
        " CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id))",
        f"CREATE TABLE {LAYER} (fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,"
        " geom POINT NOT NULL, id TEXT NOT NULL UNIQUE, name TEXT NOT NULL, kind TEXT NOT NULL,"
        " address TEXT, district_code TEXT NOT NULL, amenities TEXT NOT NULL,"
        " opening_hours TEXT, phone TEXT, host TEXT, status TEXT NOT NULL,"
        " version INTEGER NOT NULL, updated_at DATETIME NOT NULL)",
        f"CREATE INDEX {LAYER}_district ON {LAYER} (district_code)",
        "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, srs_id)"
        f" VALUES ('{LAYER}', 'features', '{LAYER}',"
        f" 'Yizhan courier rest stations and service points', {SRS_ID})",
        f"INSERT INTO gpkg_geometry_columns VALUES ('{LAYER}', 'geom', 'POINT', {SRS_ID}, 0, 0)",
        "CREATE TABLE yizhan_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL)",
        f"INSERT INTO yizhan_meta VALUES ('schema_version', {SCHEMA_VERSION}), ('data_version', 0)",
    ]
