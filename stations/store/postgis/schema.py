"""The PostGIS store's schema, and the migrations that Yizhan applies itself.

Tables mirror the GeoPackage store: ``stations`` (one ``geometry(Point, 4326)`` per station,
GiST-indexed, plus the same attribute columns; amenities as an ordered ``text[]``),
``yizhan_meta`` (schema and data versions), ``yizhan_audit`` (one row per station version) and
``yizhan_tokens`` (token hashes). Ids and token names use the "C" collation so ``ORDER BY``
gives code-point order, the order SQLite (and so the GeoPackage store) gives, whatever the
database's locale.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

import psycopg

from stations.errors import StoreUnavailable
from stations.store.postgis.connection import Connection

SRID: Final = 4326

#: Any constant unique to Yizhan: the transaction-level advisory lock key for schema changes.
MIGRATION_LOCK: Final = 0x59_495A_4841_4E01  # "YIZHAN" + 1
#: The advisory lock every station write takes first, so station writes queue instead of
#: deadlocking (an import and an edit that touch the same rows in different orders).
WRITE_LOCK: Final = 0x59_495A_4841_4E02
#: The LISTEN/NOTIFY channel a committed station write announces its new data version on.
#: NOTIFY is delivered at commit, and not at all after a rollback.
CHANGES_CHANNEL: Final = "yizhan_data_version"


def schema_v1() -> list[str]:
    """Stations, metadata, audit history and tokens (the GeoPackage store's schema v2)."""
    return [
        "CREATE TABLE stations ("
        ' id text COLLATE "C" PRIMARY KEY,'
        f" geom geometry(Point, {SRID}) NOT NULL,"
        " name text NOT NULL,"
        " kind text NOT NULL CHECK (kind IN ('love_station', 'service_point')),"
        " address text,"
        " district_code text NOT NULL,"
        " amenities text[] NOT NULL DEFAULT '{}',"
        " opening_hours text,"
        " phone text,"
        " host text,"
        " status text NOT NULL"
        "  CHECK (status IN ('active', 'closed_temporarily', 'retired')),"
        " version integer NOT NULL CHECK (version >= 1),"
        " updated_at timestamptz NOT NULL)",
        "CREATE INDEX stations_geom_gist ON stations USING gist (geom)",
        "CREATE INDEX stations_district ON stations (district_code)",
        "CREATE TABLE yizhan_meta (key text PRIMARY KEY, value bigint NOT NULL)",
        "INSERT INTO yizhan_meta VALUES ('schema_version', 0), ('data_version', 0)",
        "CREATE TABLE yizhan_audit ("
        " seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
        ' station_id text COLLATE "C" NOT NULL REFERENCES stations (id),'
        " version integer NOT NULL,"
        " action text NOT NULL,"
        " actor text NOT NULL,"
        " at timestamptz NOT NULL,"
        " changes jsonb NOT NULL,"
        " record jsonb NOT NULL,"
        " UNIQUE (station_id, version))",
        "CREATE TABLE yizhan_tokens ("
        ' name text COLLATE "C" PRIMARY KEY,'
        " role text NOT NULL,"
        " districts text[] NOT NULL,"
        " secret_sha256 text NOT NULL UNIQUE,"
        " created_at timestamptz NOT NULL,"
        " revoked_at timestamptz)",
    ]


def schema_v2() -> list[str]:
    """Each station row remembers the data version that last changed it, so a serving process
    reloads only the rows changed since its snapshot (190,000 rows read whole take ~2 s).
    Rows from before the upgrade keep 0: every snapshot already has them."""
    return [
        "ALTER TABLE stations ADD COLUMN changed_in bigint NOT NULL DEFAULT 0",
        "CREATE INDEX stations_changed_in ON stations (changed_in)",
    ]


def schema_v3() -> list[str]:
    """Who may use a station and how to get in; stations from before are open to anyone, and
    how to get in is not recorded."""
    return [
        "ALTER TABLE stations ADD COLUMN access text NOT NULL DEFAULT 'public'"
        " CHECK (access IN ('public', 'outdoor_workers', 'union_members'))",
        "ALTER TABLE stations ADD COLUMN entry text"
        " CHECK (entry IN ('walk_in', 'ask_staff', 'phone_ahead', 'qr_code', 'face_scan',"
        " 'id_card'))",
    ]


def schema_v4() -> list[str]:
    """Temporary closures: closed until an instant, and why."""
    return [
        "ALTER TABLE stations ADD COLUMN closed_until timestamptz",
        "ALTER TABLE stations ADD COLUMN closure_reason text",
    ]


def schema_v5() -> list[str]:
    """What Yizhan records itself: when an editor last confirmed the station on site, the
    latest confirmation of any kind, and amenities out of order ({code: instant})."""
    return [
        "ALTER TABLE stations ADD COLUMN verified_at timestamptz",
        "ALTER TABLE stations ADD COLUMN last_confirmed_at timestamptz",
        "ALTER TABLE stations ADD COLUMN out_of_order jsonb",
    ]


def schema_v6() -> list[str]:
    """Rider reports and their moderation, station photos (bytea, so one backup holds
    everything), the reports an audit row resolved, and the secret that salts the daily
    hashes of reporters' addresses (a random 62-bit number, never shown)."""
    return [
        "CREATE TABLE yizhan_reports ("
        " id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
        ' station_id text COLLATE "C" NOT NULL REFERENCES stations (id),'
        " category text NOT NULL, amenity text, note text,"
        " client_hash text NOT NULL, created_at timestamptz NOT NULL,"
        " status text NOT NULL DEFAULT 'open'"
        "  CHECK (status IN ('open', 'accepted', 'dismissed')),"
        " resolved_by text, resolved_at timestamptz, resolution_reason text,"
        " resolved_in_version integer)",
        "CREATE INDEX yizhan_reports_open ON yizhan_reports (status, created_at)",
        "CREATE INDEX yizhan_reports_station ON yizhan_reports (station_id, created_at)",
        "CREATE INDEX yizhan_reports_client ON yizhan_reports (client_hash, created_at)",
        "CREATE TABLE yizhan_photos ("
        ' id text COLLATE "C" PRIMARY KEY,'
        ' station_id text COLLATE "C" NOT NULL REFERENCES stations (id),'
        " uploaded_by text NOT NULL, uploaded_at timestamptz NOT NULL, taken_at timestamptz,"
        " width integer NOT NULL, height integer NOT NULL, thumb_width integer NOT NULL,"
        " thumb_height integer NOT NULL, content_type text NOT NULL, sha256 text NOT NULL,"
        " image bytea, thumbnail bytea, deleted_by text, deleted_at timestamptz)",
        "CREATE INDEX yizhan_photos_station ON yizhan_photos (station_id, uploaded_at)",
        "ALTER TABLE yizhan_audit ADD COLUMN reports jsonb",
        "INSERT INTO yizhan_meta VALUES"
        " ('report_salt', floor(random() * 4611686018427387904)::bigint)",
        # Grows with every report written or resolved: serving processes reload the open
        # reports alone when only this moved.
        "INSERT INTO yizhan_meta VALUES ('reports_version', 0)",
    ]


def schema_v7() -> list[str]:
    """Stations imported from OpenStreetMap: the element, its version and the values OSM gave
    at the last sync, so a re-sync never overwrites an editor's change."""
    return ["ALTER TABLE stations ADD COLUMN osm jsonb"]


#: Statements that take a database from schema version N-1 to N (index N-1).
MIGRATIONS: Final[tuple[Callable[[], list[str]], ...]] = (
    schema_v1,
    schema_v2,
    schema_v3,
    schema_v4,
    schema_v5,
    schema_v6,
    schema_v7,
)
SCHEMA_VERSION: Final = len(MIGRATIONS)


def current_version(conn: Connection) -> int | None:
    """The schema version recorded in the database, or None when it has no Yizhan schema."""
    row = conn.execute("SELECT to_regclass('yizhan_meta') IS NOT NULL").fetchone()
    if row is None or not row[0]:
        return None
    row = conn.execute("SELECT value FROM yizhan_meta WHERE key = 'schema_version'").fetchone()
    return None if row is None else int(str(row[0]))


def migrate(conn: Connection, where: str) -> tuple[int, int]:
    """Bring the schema to SCHEMA_VERSION in one transaction; returns (before, after).

    Two processes upgrading at once queue on an advisory lock; the second finds nothing to do.
    ``where`` names the database (without password) in error messages.
    """
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
        before = current_version(conn) or 0
        if before > SCHEMA_VERSION:
            raise StoreUnavailable(
                f"{where} has Yizhan schema version {before}; this Yizhan knows up to "
                f"{SCHEMA_VERSION}: upgrade Yizhan"
            )
        if before < SCHEMA_VERSION:
            _ensure_postgis(conn, where)
        for target in range(before + 1, SCHEMA_VERSION + 1):
            for statement in MIGRATIONS[target - 1]():
                conn.execute(statement)
            conn.execute(
                "UPDATE yizhan_meta SET value = %s WHERE key = 'schema_version'", (target,)
            )
    return before, SCHEMA_VERSION


def _ensure_postgis(conn: Connection, where: str) -> None:
    row = conn.execute("SELECT 1 FROM pg_extension WHERE extname = 'postgis'").fetchone()
    if row is not None:
        return
    try:
        with conn.transaction():
            conn.execute("CREATE EXTENSION postgis")
    except psycopg.errors.InsufficientPrivilege as exc:
        raise StoreUnavailable(
            f"{where} lacks the postgis extension and this role may not create it: "
            "ask a superuser to run CREATE EXTENSION postgis in that database"
        ) from exc
    except (psycopg.errors.UndefinedFile, psycopg.errors.FeatureNotSupported) as exc:
        raise StoreUnavailable(
            f"PostGIS is not installed on the server of {where}: install it "
            "(Debian: postgresql-postgis; here: bash tools/ensure_postgres.sh)"
        ) from exc
