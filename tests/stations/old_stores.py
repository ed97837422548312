"""Stores as an earlier Yizhan left them, built from that version's own migration statements,
for the tests of upgrading them: schema version 2 (history and tokens, no ``access`` or
``entry``) in a GeoPackage file or a PostGIS schema."""

from __future__ import annotations

import json
import sqlite3
from typing import Any, Final

import psycopg

from stations.model import StationId
from stations.store.geopackage import format as gpkg
from stations.store.open import is_postgres_url
from stations.store.postgis import schema as pg

#: The station a version 2 store holds: imported once, so at version 1 with one audit row.
OLD_ID: Final = StationId("old-1")
#: Its audit record as Yizhan wrote it before ``access`` and ``entry`` existed.
OLD_RECORD: Final[dict[str, Any]] = {
    "name": "老站",
    "kind": "love_station",
    "lon": 108.9,
    "lat": 34.2,
    "address": None,
    "district_code": "610103",
    "amenities": ["water"],
    "opening_hours": "24/7",
    "phone": None,
    "host": None,
    "status": "active",
}
_CHANGES: Final = json.dumps({k: {"before": None, "after": v} for k, v in OLD_RECORD.items()})
_AT: Final = "2025-01-01T00:00:00.000Z"


def make_v2_store(target: str) -> None:
    """A schema version 2 store at ``target`` (a GeoPackage path or a PostgreSQL URL of an
    empty schema) holding OLD_ID."""
    if is_postgres_url(target):
        _postgis_v2(target)
    else:
        _geopackage_v2(target)


def _geopackage_v2(path: str) -> None:
    conn = sqlite3.connect(path)
    try:
        conn.execute(f"PRAGMA application_id = {gpkg.GPKG_APPLICATION_ID}")
        conn.execute(f"PRAGMA user_version = {gpkg.GPKG_USER_VERSION}")
        for migration in gpkg.MIGRATIONS[:2]:
            for statement in migration():
                conn.execute(statement)
        conn.execute("UPDATE yizhan_meta SET value = 2 WHERE key = 'schema_version'")
        conn.execute("UPDATE yizhan_meta SET value = 1 WHERE key = 'data_version'")
        conn.execute(
            "INSERT INTO stations (geom, id, name, kind, district_code, amenities, opening_hours,"
            " status, version, updated_at) VALUES (?, ?, '老站', 'love_station', '610103',"
            " 'water', '24/7', 'active', 1, ?)",
            (gpkg.encode_point(108.9, 34.2), OLD_ID, _AT),
        )
        conn.execute(
            "INSERT INTO yizhan_audit (station_id, version, action, actor, at, changes, record)"
            " VALUES (?, 1, 'import', 'cli', ?, ?, ?)",
            (OLD_ID, _AT, _CHANGES, json.dumps(OLD_RECORD)),
        )
        conn.commit()
    finally:
        conn.close()


def _postgis_v2(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        for migration in pg.MIGRATIONS[:2]:
            for statement in migration():
                conn.execute(statement)
        conn.execute("UPDATE yizhan_meta SET value = 2 WHERE key = 'schema_version'")
        conn.execute("UPDATE yizhan_meta SET value = 1 WHERE key = 'data_version'")
        conn.execute(
            "INSERT INTO stations (id, geom, name, kind, district_code, amenities, opening_hours,"
            " status, version, updated_at, changed_in) VALUES (%s,"
            " ST_SetSRID(ST_MakePoint(108.9, 34.2), 4326), '老站', 'love_station', '610103',"
            " '{water}', '24/7', 'active', 1, %s, 1)",
            (OLD_ID, _AT),
        )
        conn.execute(
            "INSERT INTO yizhan_audit (station_id, version, action, actor, at, changes, record)"
            " VALUES (%s, 1, 'import', 'cli', %s, %s, %s)",
            (OLD_ID, _AT, _CHANGES, json.dumps(OLD_RECORD)),
        )
