"""The national-scale store: PostgreSQL with PostGIS, for several serving processes at once.

Same contract as the GeoPackage store (stations/store/base.py): versions, audit rows written in
the transaction that makes the change, ``data_version`` bumped once per committed write. Station
writes queue on one advisory lock (as SQLite's write lock queues them in the GeoPackage store)
and re-check versions under ``SELECT … FOR UPDATE``; readers never wait (MVCC). Positions are
``geometry(Point, 4326)`` built with ST_MakePoint from float8, read back with ST_X/ST_Y: exact.
Timestamps are kept to the millisecond, as in the GeoPackage store.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from stations.editing.audit import AuditEntry
from stations.editing.tokens import Token
from stations.errors import StoreUnavailable, TokenNotFound, VersionNotFound
from stations.model import Station, StationId
from stations.store.base import SignalsRead, StationsRead
from stations.store.postgis.connection import Link
from stations.store.postgis.notify import PgChangeFeed
from stations.store.postgis.photos import PostGISPhotos
from stations.store.postgis.reports import PostGISReports, open_signals
from stations.store.postgis.rows import (
    AUDIT_COLUMNS,
    SELECT_STATIONS,
    TOKEN_COLUMNS,
    row_to_audit,
    row_to_station,
    row_to_token,
    station_table,
)
from stations.store.postgis.schema import (
    CHANGES_CHANNEL,
    SCHEMA_VERSION,
    WRITE_LOCK,
    current_version,
    migrate,
)
from stations.store.postgis.writer import PostGISWriter, get_station, meta_value
from stations.store.writes import WritingStore, millis, now_ms


class PostGISStore(WritingStore, PostGISPhotos, PostGISReports):
    """A StationStore on a PostgreSQL database with PostGIS, named by a libpq URL.

    ``create=True`` creates or migrates the schema (as ``yizhan db upgrade`` does);
    ``create=False`` refuses a database whose schema is missing or out of date.
    """

    def __init__(self, url: str, *, create: bool = True) -> None:
        self._link = Link(url)
        self.where = self._link.where
        if create:
            self.upgrade()
        else:
            self._check_schema()

    def upgrade(self) -> tuple[int, int]:
        """Create or migrate the schema; returns the schema version (before, after)."""
        with self._link.session() as conn:
            return migrate(conn, self.where)

    # -- reading -----------------------------------------------------------------------------

    def list_stations(self) -> list[Station]:
        with self._link.session() as conn:
            rows = conn.execute(f"{SELECT_STATIONS} ORDER BY id").fetchall()
        return [row_to_station(row) for row in rows]

    def read_stations(self, since_version: int | None = None) -> StationsRead:
        """Every station, or with ``since_version`` only the ones changed after it, in one
        REPEATABLE READ snapshot: the rows and the version agree. If the database's version is
        below ``since_version`` (restored from an older backup) the answer is complete."""
        with self._link.session() as conn, conn.transaction():
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            row = conn.execute("SELECT value FROM yizhan_meta WHERE key = 'data_version'")
            version = int(meta_value(row.fetchone()))
            delta = since_version is not None and since_version <= version
            if delta:
                query = f"{SELECT_STATIONS} WHERE changed_in > %s ORDER BY id"
                cursor = conn.execute(query, (since_version,))
            else:
                cursor = conn.execute(f"{SELECT_STATIONS} ORDER BY id")
            # Row by row, as the GeoPackage store: no list of raw rows beside the snapshot's.
            stations = station_table(cursor)
        return StationsRead(version, stations, complete=not delta)

    def read_signals(self, since: datetime) -> SignalsRead:
        with self._link.session() as conn, conn.transaction():
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            row = conn.execute("SELECT value FROM yizhan_meta WHERE key = 'reports_version'")
            version = int(meta_value(row.fetchone()))
            return SignalsRead(version, open_signals(conn, since))

    def reports_version(self) -> int:
        with self._link.session() as conn:
            row = conn.execute("SELECT value FROM yizhan_meta WHERE key = 'reports_version'")
            return int(meta_value(row.fetchone()))

    def change_feed(self) -> PgChangeFeed:
        """A LISTEN connection of its own, announcing every committed station write."""
        return PgChangeFeed(self._link.url, CHANGES_CHANNEL)

    def get(self, station_id: StationId) -> Station:
        with self._link.session() as conn:
            return get_station(conn, station_id)

    def data_version(self) -> int:
        with self._link.session() as conn:
            row = conn.execute("SELECT value FROM yizhan_meta WHERE key = 'data_version'")
            return int(meta_value(row.fetchone()))

    def history(self, station_id: StationId) -> list[AuditEntry]:
        """Every recorded version of a station, newest first; raises StationNotFound."""
        with self._link.session() as conn, conn.transaction():
            get_station(conn, station_id)
            rows = conn.execute(
                f"SELECT {AUDIT_COLUMNS} FROM yizhan_audit WHERE station_id = %s"
                " ORDER BY version DESC",
                (station_id,),
            ).fetchall()
        return [row_to_audit(row) for row in rows]

    def recorded_version(self, station_id: StationId, version: int) -> AuditEntry:
        with self._link.session() as conn:
            row = conn.execute(
                f"SELECT {AUDIT_COLUMNS} FROM yizhan_audit WHERE station_id = %s AND version = %s",
                (station_id, version),
            ).fetchone()
        if row is None:
            raise VersionNotFound(station_id, version)
        return row_to_audit(row)

    # -- tokens ------------------------------------------------------------------------------

    def add_token(self, token: Token, secret_sha256: str) -> None:
        """Store a new token; raises ValueError if the name is taken."""
        with self._link.session() as conn:
            inserted = conn.execute(
                f"INSERT INTO yizhan_tokens ({TOKEN_COLUMNS}, secret_sha256)"
                " VALUES (%s, %s, %s::text[], %s, NULL, %s)"
                " ON CONFLICT (name) DO NOTHING RETURNING name",
                (
                    token.name,
                    token.role.value,
                    list(token.districts),
                    millis(token.created_at),
                    secret_sha256,
                ),
            ).fetchone()
        if inserted is None:
            raise ValueError(f"a token named {token.name!r} exists already")

    def token_by_hash(self, secret_sha256: str) -> Token | None:
        with self._link.session() as conn:
            row = conn.execute(
                f"SELECT {TOKEN_COLUMNS} FROM yizhan_tokens WHERE secret_sha256 = %s",
                (secret_sha256,),
            ).fetchone()
        return None if row is None else row_to_token(row)

    def list_tokens(self) -> list[Token]:
        with self._link.session() as conn:
            rows = conn.execute(f"SELECT {TOKEN_COLUMNS} FROM yizhan_tokens ORDER BY name")
            return [row_to_token(row) for row in rows.fetchall()]

    def revoke_token(self, name: str) -> None:
        with self._link.session() as conn:
            cursor = conn.execute(
                "UPDATE yizhan_tokens SET revoked_at = coalesce(revoked_at, %s) WHERE name = %s",
                (now_ms(), name),
            )
            if cursor.rowcount == 0:
                raise TokenNotFound(name)

    # -- housekeeping ------------------------------------------------------------------------

    def close(self) -> None:
        self._link.close()

    @contextmanager
    def _writing(self, *, commit: bool) -> Iterator[PostGISWriter]:
        """One transaction; a committing one first queues behind every other station writer."""
        with self._link.session() as conn, conn.transaction(force_rollback=not commit):
            if commit:
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
            yield PostGISWriter(conn, commit=commit)

    def _check_schema(self) -> None:
        with self._link.session() as conn:
            version = current_version(conn)
        upgrade = f"run `yizhan db upgrade --db {self.where}`"
        if version is None:
            raise StoreUnavailable(f"{self.where} has no Yizhan schema: {upgrade}")
        if version < SCHEMA_VERSION:
            raise StoreUnavailable(
                f"{self.where} has Yizhan schema version {version}, this Yizhan needs "
                f"{SCHEMA_VERSION}: {upgrade}"
            )
        if version > SCHEMA_VERSION:
            raise StoreUnavailable(
                f"{self.where} has Yizhan schema version {version}; this Yizhan knows up to "
                f"{SCHEMA_VERSION}: upgrade Yizhan"
            )


def upgrade_database(url: str) -> tuple[int, int]:
    """Create or migrate the Yizhan schema in the database at ``url``: (before, after)."""
    link = Link(url)
    try:
        with link.session() as conn:
            return migrate(conn, link.where)
    finally:
        link.close()
