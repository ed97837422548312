"""The national-scale store: PostgreSQL with PostGIS, for several serving processes at once.

Same contract as the GeoPackage store (stations/store/base.py): versions, audit rows written in
the transaction that makes the change, ``data_version`` bumped once per committed write. Station
writes queue on one advisory lock (as SQLite's write lock queues them in the GeoPackage store)
and re-check versions under ``SELECT … FOR UPDATE``; readers never wait (MVCC). Positions are
``geometry(Point, 4326)`` built with ST_MakePoint from float8, read back with ST_X/ST_Y: exact.
Timestamps are kept to the millisecond, as in the GeoPackage store.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any, Final

from stations.editing.audit import Action, AuditEntry, changes_between
from stations.editing.tokens import Token
from stations.errors import (
    StationExists,
    StationNotFound,
    StoreUnavailable,
    TokenNotFound,
    VersionMismatch,
    VersionNotFound,
)
from stations.model import Station, StationDraft, StationId
from stations.store.base import ImportCounts, Outcome, SaveResult, StationsRead
from stations.store.postgis.connection import Connection, Link
from stations.store.postgis.notify import PgChangeFeed
from stations.store.postgis.rows import (
    AUDIT_COLUMNS,
    INSERT_AUDIT,
    INSERT_STATION,
    SELECT_STATIONS,
    TOKEN_COLUMNS,
    UPDATE_STATION,
    audit_values,
    draft_values,
    millis,
    new_id,
    now_ms,
    row_to_audit,
    row_to_station,
    row_to_token,
    stored_as,
)
from stations.store.postgis.schema import (
    CHANGES_CHANNEL,
    SCHEMA_VERSION,
    WRITE_LOCK,
    current_version,
    migrate,
)

_CHUNK: Final = 1000  # drafts per round trip in save_all, and per progress report


class PostGISStore:
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
            version = int(_one(row.fetchone())[0])
            delta = since_version is not None and since_version <= version
            if delta:
                query = f"{SELECT_STATIONS} WHERE changed_in > %s ORDER BY id"
                rows = conn.execute(query, (since_version,)).fetchall()
            else:
                rows = conn.execute(f"{SELECT_STATIONS} ORDER BY id").fetchall()
        return StationsRead(version, [row_to_station(r) for r in rows], complete=not delta)

    def change_feed(self) -> PgChangeFeed:
        """A LISTEN connection of its own, announcing every committed station write."""
        return PgChangeFeed(self._link.url, CHANGES_CHANNEL)

    def get(self, station_id: StationId) -> Station:
        with self._link.session() as conn:
            return _get(conn, station_id)

    def data_version(self) -> int:
        with self._link.session() as conn:
            row = conn.execute("SELECT value FROM yizhan_meta WHERE key = 'data_version'")
            return int(_one(row.fetchone())[0])

    def history(self, station_id: StationId) -> list[AuditEntry]:
        """Every recorded version of a station, newest first; raises StationNotFound."""
        with self._link.session() as conn, conn.transaction():
            _get(conn, station_id)
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
        with self._write(commit=not dry_run) as conn:
            batch = _Batch(conn, now_ms(), actor, _next_data_version(conn), lock=not dry_run)
            for start in range(0, len(drafts), _CHUNK):
                chunk = drafts[start : start + _CHUNK]
                batch.load(chunk)
                for draft in chunk:
                    counts.add(batch.plan(draft))
                if not dry_run:
                    batch.flush()
                if progress is not None and len(chunk) == _CHUNK:
                    progress(_CHUNK)
            if not dry_run and (counts.created or counts.updated):
                _bump_data_version(conn, batch.data_version)
        if progress is not None:
            progress(len(drafts) % _CHUNK)
        return counts

    def create(self, draft: StationDraft, *, actor: str) -> Station:
        """Add a new station (version 1); raises StationExists if its id is taken."""
        station_id = draft.id or new_id()
        now = now_ms()
        with self._write(commit=True) as conn:
            data_version = _next_data_version(conn)
            inserted = conn.execute(
                f"{INSERT_STATION} ON CONFLICT (id) DO NOTHING RETURNING id",
                (*draft_values(draft), 1, now, data_version, station_id),
            ).fetchone()
            if inserted is None:
                raise StationExists(station_id)
            changes = changes_between(None, draft)
            conn.execute(
                INSERT_AUDIT, audit_values(station_id, 1, Action.CREATE, actor, now, changes, draft)
            )
            _bump_data_version(conn, data_version)
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
        now = now_ms()
        with self._write(commit=True) as conn:
            current = _get(conn, station_id, lock=True)
            if current.version != expected_version:
                raise VersionMismatch(station_id, expected_version, current.version)
            if current.same_content(draft):
                return current
            version = current.version + 1
            data_version = _next_data_version(conn)
            conn.execute(
                UPDATE_STATION, (*draft_values(draft), version, now, data_version, station_id)
            )
            changes = changes_between(current, draft)
            conn.execute(
                INSERT_AUDIT, audit_values(station_id, version, action, actor, now, changes, draft)
            )
            _bump_data_version(conn, data_version)
            return _get(conn, station_id)

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
    def _write(self, *, commit: bool) -> Iterator[Connection]:
        """One transaction; a committing one first queues behind every other station writer."""
        with self._link.session() as conn, conn.transaction(force_rollback=not commit):
            if commit:
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
            yield conn

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


class _Batch:
    """One save_all's plan: the state each draft meets (earlier drafts of the same import
    included), and the rows to write, sent a chunk at a time."""

    def __init__(
        self, conn: Connection, now: datetime, actor: str, data_version: int, *, lock: bool
    ) -> None:
        self.conn, self.now, self.actor, self.lock = conn, now, actor, lock
        self.data_version = data_version  # what the store's data version becomes at commit
        self.known: dict[StationId, Station] = {}
        self.inserts: list[tuple[object, ...]] = []
        self.updates: list[tuple[object, ...]] = []
        self.audits: list[tuple[object, ...]] = []

    def load(self, chunk: Sequence[StationDraft]) -> None:
        """Read (and, when writing, lock) the stored stations this chunk names."""
        ids = sorted({d.id for d in chunk if d.id is not None and d.id not in self.known})
        if ids:
            lock = " FOR UPDATE" if self.lock else ""
            query = f"{SELECT_STATIONS} WHERE id = ANY(%s) ORDER BY id{lock}"
            for row in self.conn.execute(query, (ids,)).fetchall():
                station = row_to_station(row)
                self.known[station.id] = station

    def plan(self, draft: StationDraft) -> SaveResult:
        current = self.known.get(draft.id) if draft.id is not None else None
        if current is not None and current.same_content(draft):
            return SaveResult(current.id, Outcome.UNCHANGED)
        station_id = current.id if current is not None else draft.id or new_id()
        version = 1 if current is None else current.version + 1
        values = (*draft_values(draft), version, self.now, self.data_version, station_id)
        (self.inserts if current is None else self.updates).append(values)
        self.audits.append(
            audit_values(
                station_id,
                version,
                Action.IMPORT,
                self.actor,
                self.now,
                changes_between(current, draft),
                draft,
            )
        )
        self.known[station_id] = stored_as(station_id, draft, version, self.now)
        return SaveResult(station_id, Outcome.CREATED if current is None else Outcome.UPDATED)

    def flush(self) -> None:
        """Write the planned rows: inserts before updates (an import may name an id twice)."""
        with self.conn.cursor() as cursor:
            for query, rows in ((INSERT_STATION, self.inserts), (UPDATE_STATION, self.updates)):
                if rows:
                    cursor.executemany(query, rows)
            if self.audits:
                cursor.executemany(INSERT_AUDIT, self.audits)
        self.inserts, self.updates, self.audits = [], [], []


# -- rows ----------------------------------------------------------------------------------


def _get(conn: Connection, station_id: StationId, *, lock: bool = False) -> Station:
    query = f"{SELECT_STATIONS} WHERE id = %s" + (" FOR UPDATE" if lock else "")
    row = conn.execute(query, (station_id,)).fetchone()
    if row is None:
        raise StationNotFound(station_id)
    return row_to_station(row)


def _next_data_version(conn: Connection) -> int:
    """The data version this write will commit. Every station write holds WRITE_LOCK (see
    ``_write``), so no other writer can take the same number."""
    row = conn.execute("SELECT value + 1 FROM yizhan_meta WHERE key = 'data_version'")
    return int(_one(row.fetchone())[0])


def _bump_data_version(conn: Connection, data_version: int) -> None:
    """Record the new data version and announce it; PostgreSQL delivers the NOTIFY to every
    listening process at commit (never after a rollback)."""
    conn.execute("UPDATE yizhan_meta SET value = %s WHERE key = 'data_version'", (data_version,))
    conn.execute("SELECT pg_notify(%s, %s)", (CHANGES_CHANNEL, str(data_version)))


def _one(row: Sequence[Any] | None) -> Sequence[Any]:
    if row is None:
        raise StoreUnavailable("the yizhan_meta table lost its data_version row")
    return row
