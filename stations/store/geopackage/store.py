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
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

import orjson

from stations.editing.audit import Action, AuditEntry, changes_between
from stations.editing.audit import encode as audit_json
from stations.editing.tokens import Role, Token
from stations.errors import (
    StationExists,
    StationNotFound,
    StoreUnavailable,
    TokenNotFound,
    VersionMismatch,
    VersionNotFound,
)
from stations.model import Kind, Station, StationDraft, StationId, Status
from stations.store.base import ImportCounts, Outcome, SaveResult, StationsRead
from stations.store.geopackage.format import (
    GPKG_APPLICATION_ID,
    GPKG_USER_VERSION,
    LAYER,
    MIGRATIONS,
    decode_point,
    encode_point,
    gpkg_datetime,
    parse_datetime,
)

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
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise StoreUnavailable(f"{self.path} is not a usable GeoPackage: {exc}") from exc

    # -- reading -----------------------------------------------------------------------------

    def list_stations(self) -> list[Station]:
        with self._lock:
            rows = self._conn.execute(f"SELECT {_COLUMNS} FROM {LAYER} ORDER BY id").fetchall()
        return [_row_to_station(row) for row in rows]

    def read_stations(self, since_version: int | None = None) -> StationsRead:
        """Always every station: a province-sized file reads whole in well under a second."""
        with self._lock:
            # One read transaction: the version and the rows come from the same state.
            self._conn.execute("BEGIN")
            try:
                version = self._conn.execute(
                    "SELECT value FROM yizhan_meta WHERE key = 'data_version'"
                ).fetchone()[0]
                rows = self._conn.execute(f"SELECT {_COLUMNS} FROM {LAYER} ORDER BY id").fetchall()
            finally:
                self._conn.execute("COMMIT")
        return StationsRead(int(version), [_row_to_station(row) for row in rows], complete=True)

    def change_feed(self) -> None:
        """None: SQLite cannot announce writes to other processes; they poll the version."""
        return None

    def get(self, station_id: StationId) -> Station:
        with self._lock:
            return _get(self._conn, station_id)

    def data_version(self) -> int:
        with self._lock:
            row = self._conn.execute(
                "SELECT value FROM yizhan_meta WHERE key = 'data_version'"
            ).fetchone()
        return int(row[0])

    def history(self, station_id: StationId) -> list[AuditEntry]:
        """Every recorded version of a station, newest first; raises StationNotFound."""
        with self._lock:
            _get(self._conn, station_id)
            rows = self._conn.execute(
                "SELECT station_id, version, action, actor, at, changes, record FROM yizhan_audit"
                " WHERE station_id = ? ORDER BY version DESC",
                (station_id,),
            ).fetchall()
        return [_row_to_audit(row) for row in rows]

    def recorded_version(self, station_id: StationId, version: int) -> AuditEntry:
        with self._lock:
            row = self._conn.execute(
                "SELECT station_id, version, action, actor, at, changes, record FROM yizhan_audit"
                " WHERE station_id = ? AND version = ?",
                (station_id, version),
            ).fetchone()
        if row is None:
            raise VersionNotFound(station_id, version)
        return _row_to_audit(row)

    # -- writing -----------------------------------------------------------------------------

    def save_all(
        self,
        drafts: Sequence[StationDraft],
        *,
        dry_run: bool = False,
        progress: Callable[[int], None] | None = None,
        actor: str = "cli",
    ) -> ImportCounts:
        counts = ImportCounts()
        now = gpkg_datetime(datetime.now(UTC))
        with self._transaction(commit=not dry_run) as conn:
            for i, draft in enumerate(drafts, start=1):
                counts.add(_upsert(conn, draft, now, actor))
                if progress is not None and i % 1000 == 0:
                    progress(1000)
            if counts.created or counts.updated:
                _expand_extent(conn, drafts)
                _bump_data_version(conn, now)
        if progress is not None:
            progress(len(drafts) % 1000)
        return counts

    def create(self, draft: StationDraft, *, actor: str) -> Station:
        """Add a new station (version 1); raises StationExists if its id is taken."""
        now = gpkg_datetime(datetime.now(UTC))
        with self._transaction(commit=True) as conn:
            if draft.id is not None:
                row = conn.execute(f"SELECT 1 FROM {LAYER} WHERE id = ?", (draft.id,))
                if row.fetchone() is not None:
                    raise StationExists(draft.id)
            station_id = _insert(conn, draft, now, actor, Action.CREATE)
            _expand_extent(conn, [draft])
            _bump_data_version(conn, now)
            return _get(conn, station_id)

    def update(
        self,
        station_id: StationId,
        draft: StationDraft,
        *,
        expected_version: int,
        actor: str,
        action: Action = Action.UPDATE,
    ) -> Station:
        """Replace a station's fields with ``draft`` if it is still at ``expected_version``.
        A draft that changes nothing writes nothing (same version, no history row). Raises
        StationNotFound or VersionMismatch; then nothing is written."""
        now = gpkg_datetime(datetime.now(UTC))
        with self._transaction(commit=True) as conn:
            current = _get(conn, station_id)
            if current.version != expected_version:
                raise VersionMismatch(station_id, expected_version, current.version)
            if current.same_content(draft):
                return current
            _update(conn, current, draft, now, actor, action)
            _expand_extent(conn, [draft])
            _bump_data_version(conn, now)
            return _get(conn, station_id)

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
                "SELECT name, role, districts, created_at, revoked_at FROM yizhan_tokens"
                " WHERE secret_sha256 = ?",
                (secret_sha256,),
            ).fetchone()
        return None if row is None else _row_to_token(row)

    def list_tokens(self) -> list[Token]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT name, role, districts, created_at, revoked_at FROM yizhan_tokens"
                " ORDER BY name"
            ).fetchall()
        return [_row_to_token(row) for row in rows]

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

    def _migrate(self) -> None:
        with self._transaction(commit=True) as conn:
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
            if "yizhan_meta" in tables:
                row = conn.execute(
                    "SELECT value FROM yizhan_meta WHERE key = 'schema_version'"
                ).fetchone()
                version = int(row[0])
            elif tables and "gpkg_contents" in tables:
                raise StoreUnavailable(
                    f"{self.path} is a GeoPackage but not a Yizhan store (no yizhan_meta table)"
                )
            elif tables:
                raise StoreUnavailable(f"{self.path} is an SQLite file but not a GeoPackage")
            else:
                conn.execute(f"PRAGMA application_id = {GPKG_APPLICATION_ID}")
                conn.execute(f"PRAGMA user_version = {GPKG_USER_VERSION}")
                version = 0
            if version > len(MIGRATIONS):
                raise StoreUnavailable(
                    f"{self.path} has schema version {version}; this Yizhan knows up to "
                    f"{len(MIGRATIONS)}: upgrade Yizhan"
                )
            for target in range(version + 1, len(MIGRATIONS) + 1):
                for statement in MIGRATIONS[target - 1]():
                    conn.execute(statement)
                if target == 2:
                    _record_baselines(conn)
                conn.execute(
                    "UPDATE yizhan_meta SET value = ? WHERE key = 'schema_version'", (target,)
                )


# -- rows ----------------------------------------------------------------------------------


def _get(conn: sqlite3.Connection, station_id: StationId) -> Station:
    row = conn.execute(f"SELECT {_COLUMNS} FROM {LAYER} WHERE id = ?", (station_id,)).fetchone()
    if row is None:
        raise StationNotFound(station_id)
    return _row_to_station(row)


def _upsert(conn: sqlite3.Connection, draft: StationDraft, now: str, actor: str) -> SaveResult:
    if draft.id is not None:
        row = conn.execute(f"SELECT {_COLUMNS} FROM {LAYER} WHERE id = ?", (draft.id,)).fetchone()
        if row is not None:
            current = _row_to_station(row)
            if current.same_content(draft):
                return SaveResult(current.id, Outcome.UNCHANGED)
            _update(conn, current, draft, now, actor, Action.IMPORT)
            return SaveResult(current.id, Outcome.UPDATED)
    return SaveResult(_insert(conn, draft, now, actor, Action.IMPORT), Outcome.CREATED)


def _insert(
    conn: sqlite3.Connection, draft: StationDraft, now: str, actor: str, action: Action
) -> StationId:
    station_id = draft.id or StationId(f"st-{uuid.uuid4().hex[:12]}")
    conn.execute(
        f"INSERT INTO {LAYER} (geom, name, kind, address, district_code, amenities, "
        "opening_hours, phone, host, status, version, updated_at, id) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,1,?,?)",
        (*_draft_values(draft), now, station_id),
    )
    _audit(conn, station_id, 1, action, actor, now, changes_between(None, draft), draft)
    return station_id


def _update(
    conn: sqlite3.Connection,
    current: Station,
    draft: StationDraft,
    now: str,
    actor: str,
    action: Action,
) -> None:
    conn.execute(
        f"UPDATE {LAYER} SET geom=?, name=?, kind=?, address=?, district_code=?, "
        "amenities=?, opening_hours=?, phone=?, host=?, status=?, version=version+1, "
        "updated_at=? WHERE id=?",
        (*_draft_values(draft), now, current.id),
    )
    changes = changes_between(current, draft)
    _audit(conn, current.id, current.version + 1, action, actor, now, changes, draft)


def _audit(
    conn: sqlite3.Connection,
    station_id: StationId,
    version: int,
    action: Action,
    actor: str,
    now: str,
    changes: dict[str, dict[str, object]],
    after: Station | StationDraft,
) -> None:
    conn.execute(
        "INSERT INTO yizhan_audit (station_id, version, action, actor, at, changes, record)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            station_id,
            version,
            action.value,
            actor,
            now,
            *audit_json(changes, after),
        ),
    )


def _record_baselines(conn: sqlite3.Connection) -> None:
    """Stations written before history was kept get their current version as a baseline."""
    for row in conn.execute(f"SELECT {_COLUMNS} FROM {LAYER}").fetchall():
        station = _row_to_station(row)
        _audit(
            conn,
            station.id,
            station.version,
            Action.BASELINE,
            "migration",
            gpkg_datetime(station.updated_at),
            {},
            station,
        )


def _bump_data_version(conn: sqlite3.Connection, now: str) -> None:
    conn.execute("UPDATE yizhan_meta SET value = value + 1 WHERE key = 'data_version'")
    conn.execute("UPDATE gpkg_contents SET last_change = ? WHERE table_name = ?", (now, LAYER))


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
        updated_at=parse_datetime(updated_at),
    )


def _row_to_audit(row: tuple[object, ...]) -> AuditEntry:
    station_id, version, action, actor, at, changes, record = row
    return AuditEntry(
        station_id=StationId(str(station_id)),
        version=int(version),  # type: ignore[call-overload]
        action=Action(str(action)),
        actor=str(actor),
        at=parse_datetime(at),
        changes=orjson.loads(str(changes)),
        record=orjson.loads(str(record)),
    )


def _row_to_token(row: tuple[object, ...]) -> Token:
    name, role, districts, created_at, revoked_at = row
    return Token(
        name=str(name),
        role=Role(str(role)),
        districts=tuple(d for d in str(districts).split(",") if d),
        created_at=parse_datetime(created_at),
        revoked_at=None if revoked_at is None else parse_datetime(revoked_at),
    )


def _opt(value: object) -> str | None:
    return None if value is None or value == "" else str(value)


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
