"""The GeoPackage file format as Yizhan writes it: geometry blobs, dates, schema, migrations."""

from __future__ import annotations

import struct
from datetime import UTC, datetime
from typing import Final

from pyproj import CRS

from stations.errors import StoreUnavailable

LAYER: Final = "stations"
SRS_ID: Final = 4326
GPKG_APPLICATION_ID: Final = 0x47504B47  # "GPKG"
GPKG_USER_VERSION: Final = 10400  # GeoPackage 1.4


def gpkg_datetime(moment: datetime) -> str:
    """The GeoPackage DATETIME form: ISO 8601 in UTC with milliseconds and a Z."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def parse_datetime(text: object) -> datetime:
    return datetime.fromisoformat(str(text).replace("Z", "+00:00"))


# -- GeoPackage geometry blobs (OGC 12-128r18 §2.1.3) -------------------------------------------

_HEADER: Final = struct.Struct("<2sBBi")
_WKB_POINT: Final = struct.Struct("<BIdd")
_ENVELOPE_BYTES: Final = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}


def encode_point(lon: float, lat: float) -> bytes:
    """A GeoPackage blob for a 2-D point: little-endian header, no envelope, then WKB."""
    return _HEADER.pack(b"GP", 0, 0b0000_0001, SRS_ID) + _WKB_POINT.pack(1, 1, lon, lat)


#: The blob ``encode_point`` writes, whole: header without envelope, then a little-endian point.
_OWN_POINT: Final = struct.Struct("<2sBBiBIdd")


def decode_point(blob: bytes) -> tuple[float, float]:
    """(lon, lat) from a GeoPackage point blob written by us, GDAL or QGIS."""
    if len(blob) == _OWN_POINT.size:  # one unpack for the blobs Yizhan writes (a snapshot's)
        magic, _version, flags, _srs, order, geom_type, lon, lat = _OWN_POINT.unpack(blob)
        if magic == b"GP" and flags & 0b1110 == 0 and order == 1 and geom_type == 1:
            return lon, lat
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


# -- schema ------------------------------------------------------------------------------------


def schema_v1() -> list[str]:
    """The GeoPackage core tables, the stations layer and Yizhan's metadata."""
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
        "INSERT INTO yizhan_meta VALUES ('schema_version', 1), ('data_version', 0)",
    ]


def schema_v2() -> list[str]:
    """Tokens and the audit history (one row per station version, written with the change)."""
    return [
        "CREATE TABLE yizhan_tokens (name TEXT PRIMARY KEY, role TEXT NOT NULL,"
        " districts TEXT NOT NULL, secret_sha256 TEXT NOT NULL UNIQUE,"
        " created_at TEXT NOT NULL, revoked_at TEXT)",
        "CREATE TABLE yizhan_audit (seq INTEGER PRIMARY KEY AUTOINCREMENT,"
        " station_id TEXT NOT NULL, version INTEGER NOT NULL, action TEXT NOT NULL,"
        " actor TEXT NOT NULL, at TEXT NOT NULL, changes TEXT NOT NULL, record TEXT NOT NULL,"
        " UNIQUE (station_id, version))",
    ]


def schema_v3() -> list[str]:
    """Who may use a station and how to get in; stations from before are open to anyone, and
    how to get in is not recorded."""
    return [
        f"ALTER TABLE {LAYER} ADD COLUMN access TEXT NOT NULL DEFAULT 'public'",
        f"ALTER TABLE {LAYER} ADD COLUMN entry TEXT",
    ]


def schema_v4() -> list[str]:
    """Temporary closures: closed until an instant (UTC, GeoPackage DATETIME), and why."""
    return [
        f"ALTER TABLE {LAYER} ADD COLUMN closed_until DATETIME",
        f"ALTER TABLE {LAYER} ADD COLUMN closure_reason TEXT",
    ]


def schema_v5() -> list[str]:
    """What Yizhan records itself: when an editor last confirmed the station on site, the
    latest confirmation of any kind, and amenities out of order (JSON {code: DATETIME})."""
    return [
        f"ALTER TABLE {LAYER} ADD COLUMN verified_at DATETIME",
        f"ALTER TABLE {LAYER} ADD COLUMN last_confirmed_at DATETIME",
        f"ALTER TABLE {LAYER} ADD COLUMN out_of_order TEXT",
    ]


def schema_v6() -> list[str]:
    """Rider reports and their moderation, station photos (image bytes in the file, so one
    copy holds everything), the reports an audit row resolved, and the secret that salts the
    daily hashes of reporters' addresses (a random 62-bit number, never shown)."""
    return [
        "CREATE TABLE yizhan_reports (id INTEGER PRIMARY KEY AUTOINCREMENT,"
        " station_id TEXT NOT NULL, category TEXT NOT NULL, amenity TEXT, note TEXT,"
        " client_hash TEXT NOT NULL, created_at DATETIME NOT NULL,"
        " status TEXT NOT NULL DEFAULT 'open', resolved_by TEXT, resolved_at DATETIME,"
        " resolution_reason TEXT, resolved_in_version INTEGER)",
        "CREATE INDEX yizhan_reports_open ON yizhan_reports (status, created_at)",
        "CREATE INDEX yizhan_reports_station ON yizhan_reports (station_id, created_at)",
        "CREATE INDEX yizhan_reports_client ON yizhan_reports (client_hash, created_at)",
        "CREATE TABLE yizhan_photos (id TEXT PRIMARY KEY, station_id TEXT NOT NULL,"
        " uploaded_by TEXT NOT NULL, uploaded_at DATETIME NOT NULL, taken_at DATETIME,"
        " width INTEGER NOT NULL, height INTEGER NOT NULL, thumb_width INTEGER NOT NULL,"
        " thumb_height INTEGER NOT NULL, content_type TEXT NOT NULL, sha256 TEXT NOT NULL,"
        " image BLOB, thumbnail BLOB, deleted_by TEXT, deleted_at DATETIME)",
        "CREATE INDEX yizhan_photos_station ON yizhan_photos (station_id, uploaded_at)",
        "ALTER TABLE yizhan_audit ADD COLUMN reports TEXT",
        "INSERT INTO yizhan_meta VALUES ('report_salt', abs(random() % 4611686018427387904))",
        # Grows with every report written or resolved: serving processes reload the open
        # reports alone when only this moved.
        "INSERT INTO yizhan_meta VALUES ('reports_version', 0)",
    ]


def schema_v7() -> list[str]:
    """Stations imported from OpenStreetMap: the element, its version and the values OSM gave
    at the last sync (JSON), so a re-sync never overwrites an editor's change."""
    return [f"ALTER TABLE {LAYER} ADD COLUMN osm TEXT"]


def schema_v8() -> list[str]:
    """The data version each station row last changed in, so a serving process reloads only
    the changed rows after a write (0: before this version; -1 while a write is under way)."""
    return [
        f"ALTER TABLE {LAYER} ADD COLUMN changed_in INTEGER NOT NULL DEFAULT 0",
        f"CREATE INDEX {LAYER}_changed_in ON {LAYER} (changed_in)",
    ]


#: Statements that take a store from schema version N-1 to N (index N-1).
MIGRATIONS: Final = (
    schema_v1, schema_v2, schema_v3, schema_v4, schema_v5, schema_v6, schema_v7, schema_v8
)  # fmt: skip
SCHEMA_VERSION: Final = len(MIGRATIONS)
