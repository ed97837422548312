"""The embedded default store: one OGC GeoPackage file (SQLite) that QGIS and geopandas open.

The ``stations`` feature table holds one POINT per station in EPSG:4326 plus its attributes.
Non-layer tables: ``yizhan_meta`` (schema and data versions), ``yizhan_audit`` (one row per
station version: who, when, what changed, the full record) and ``yizhan_tokens`` (token hashes).
Every write is a single SQLite transaction in WAL mode, station rows and audit rows together,
so a crash or SIGKILL mid-import leaves the previous state intact, and readers never see half a
write.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from stations.editing.audit import AuditEntry
from stations.editing.tokens import Token
from stations.errors import StoreUnavailable, TokenNotFound, VersionNotFound
from stations.model import Station, StationId
from stations.store.base import SignalsRead, StationsRead
from stations.store.geopackage.format import (
    GPKG_APPLICATION_ID,
    GPKG_USER_VERSION,
    MIGRATIONS,
    gpkg_datetime,
)
from stations.store.geopackage.photos import GeoPackagePhotos
from stations.store.geopackage.reports import GeoPackageReports, open_signals
from stations.store.geopackage.rows import (
    AUDIT_COLUMNS,
    INSERT_AUDIT,
    SELECT_STATIONS,
    TOKEN_COLUMNS,
    baseline_row,
    row_to_audit,
    row_to_station,
    row_to_token,
    station_table,
)
from stations.store.geopackage.writer import GeoPackageWriter, get_station
from stations.store.writes import WritingStore


class GeoPackageStore(WritingStore, GeoPackagePhotos, GeoPackageReports):
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
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise StoreUnavailable(f"{self.path} is not a usable GeoPackage: {exc}") from exc

    # -- reading -----------------------------------------------------------------------------

    def list_stations(self) -> list[Station]:
        with self._lock:
            rows = self._conn.execute(f"{SELECT_STATIONS} ORDER BY id").fetchall()
        return [row_to_station(row) for row in rows]

    def read_stations(self, since_version: int | None = None) -> StationsRead:
        """Every station, or with ``since_version`` only the ones changed after it, in one read
        transaction: the rows and the version agree. A file whose version is below
        ``since_version`` (replaced by an older copy) is read whole."""
        with self._lock:
            # One read transaction: the version and the rows come from the same state.
            self._conn.execute("BEGIN")
            try:
                version = int(
                    self._conn.execute(
                        "SELECT value FROM yizhan_meta WHERE key = 'data_version'"
                    ).fetchone()[0]
                )
                delta = since_version is not None and since_version <= version
                # Row by row: holding every raw row beside the converted ones would double
                # the peak memory of a serving process's start (and keep it: freed small
                # objects stay in Python's arenas).
                if delta:
                    rows = self._conn.execute(
                        f"{SELECT_STATIONS} WHERE changed_in > ? ORDER BY id", (since_version,)
                    )
                else:
                    rows = self._conn.execute(f"{SELECT_STATIONS} ORDER BY id")
                stations = station_table(rows)
            finally:
                self._conn.execute("COMMIT")
        return StationsRead(version, stations, complete=not delta)

    def read_signals(self, since: datetime) -> SignalsRead:
        with self._lock:
            self._conn.execute("BEGIN")
            try:
                version = self._conn.execute(
                    "SELECT value FROM yizhan_meta WHERE key = 'reports_version'"
                ).fetchone()[0]
                signals = open_signals(self._conn, since)
            finally:
                self._conn.execute("COMMIT")
        return SignalsRead(int(version), signals)

    def reports_version(self) -> int:
        with self._lock:
            row = self._conn.execute(
                "SELECT value FROM yizhan_meta WHERE key = 'reports_version'"
            ).fetchone()
        return int(row[0])

    def change_feed(self) -> None:
        """None: SQLite cannot announce writes to other processes; they poll the version."""
        return None

    def get(self, station_id: StationId) -> Station:
        with self._lock:
            return get_station(self._conn, station_id)

    def data_version(self) -> int:
        with self._lock:
            row = self._conn.execute(
                "SELECT value FROM yizhan_meta WHERE key = 'data_version'"
            ).fetchone()
        return int(row[0])

    def history(self, station_id: StationId) -> list[AuditEntry]:
        """Every recorded version of a station, newest first; raises StationNotFound."""
        with self._lock:
            get_station(self._conn, station_id)
            rows = self._conn.execute(
                f"SELECT {AUDIT_COLUMNS} FROM yizhan_audit WHERE station_id = ?"
                " ORDER BY version DESC",
                (station_id,),
            ).fetchall()
        return [row_to_audit(row) for row in rows]

    def recorded_version(self, station_id: StationId, version: int) -> AuditEntry:
        with self._lock:
            row = self._conn.execute(
                f"SELECT {AUDIT_COLUMNS} FROM yizhan_audit WHERE station_id = ? AND version = ?",
                (station_id, version),
            ).fetchone()
        if row is None:
            raise VersionNotFound(station_id, version)
        return row_to_audit(row)

    # -- tokens ------------------------------------------------------------------------------

    def add_token(self, token: Token, secret_sha256: str) -> None:
        """Store a new token; raises ValueError if the name is taken."""
        with self._transaction(commit=True) as conn:
            exists = conn.execute(
                "SELECT 1 FROM yizhan_tokens WHERE name = ?", (token.name,)
            ).fetchone()
            if exists:
                raise ValueError(f"a token named {token.name!r} exists already")
            conn.execute(
                "INSERT INTO yizhan_tokens VALUES (?, ?, ?, ?, ?, NULL)",
                (
                    token.name,
                    token.role.value,
                    ",".join(token.districts),
                    secret_sha256,
                    gpkg_datetime(token.created_at),
                ),
            )

    def token_by_hash(self, secret_sha256: str) -> Token | None:
        with self._lock:
            row = self._conn.execute(
                f"SELECT {TOKEN_COLUMNS} FROM yizhan_tokens WHERE secret_sha256 = ?",
                (secret_sha256,),
            ).fetchone()
        return None if row is None else row_to_token(row)

    def list_tokens(self) -> list[Token]:
        with self._lock:
            rows = self._conn.execute(
                f"SELECT {TOKEN_COLUMNS} FROM yizhan_tokens ORDER BY name"
            ).fetchall()
        return [row_to_token(row) for row in rows]

    def revoke_token(self, name: str) -> None:
        now = gpkg_datetime(datetime.now(UTC))
        with self._transaction(commit=True) as conn:
            cursor = conn.execute(
                "UPDATE yizhan_tokens SET revoked_at = coalesce(revoked_at, ?) WHERE name = ?",
                (now, name),
            )
            if cursor.rowcount == 0:
                raise TokenNotFound(name)

    # -- housekeeping ------------------------------------------------------------------------

    def clear_history(self) -> None:
        """Forget every audit row (for exported copies, never the working store)."""
        with self._transaction(commit=True) as conn:
            conn.execute("DELETE FROM yizhan_audit")

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

    @contextmanager
    def _writing(self, *, commit: bool) -> Iterator[GeoPackageWriter]:
        with self._transaction(commit=commit) as conn:
            yield GeoPackageWriter(conn)

    def _migrate(self) -> None:
        with self._transaction(commit=True) as conn:
            version = self._schema_version(conn)
            if version > len(MIGRATIONS):
                raise StoreUnavailable(
                    f"{self.path} has schema version {version}; this Yizhan knows up to "
                    f"{len(MIGRATIONS)}: upgrade Yizhan"
                )
            for target in range(version + 1, len(MIGRATIONS) + 1):
                for statement in MIGRATIONS[target - 1]():
                    conn.execute(statement)
                conn.execute(
                    "UPDATE yizhan_meta SET value = ? WHERE key = 'schema_version'", (target,)
                )
            if 0 < version < 2:
                # Stations written before history was kept get their version as a baseline
                # (read once every column exists).
                rows = conn.execute(SELECT_STATIONS).fetchall()
                baselines = [baseline_row(row_to_station(row)) for row in rows]
                conn.executemany(INSERT_AUDIT, baselines)

    def _schema_version(self, conn: sqlite3.Connection) -> int:
        """The file's Yizhan schema version: 0 for a new (empty) file, which it makes a
        GeoPackage; raises StoreUnavailable for any other SQLite file."""
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        if "yizhan_meta" in tables:
            row = conn.execute("SELECT value FROM yizhan_meta WHERE key = 'schema_version'")
            return int(row.fetchone()[0])
        if "gpkg_contents" in tables:
            raise StoreUnavailable(
                f"{self.path} is a GeoPackage but not a Yizhan store (no yizhan_meta table)"
            )
        if tables:
            raise StoreUnavailable(f"{self.path} is an SQLite file but not a GeoPackage")
        conn.execute(f"PRAGMA application_id = {GPKG_APPLICATION_ID}")
        conn.execute(f"PRAGMA user_version = {GPKG_USER_VERSION}")
        return 0
