"""Station photos in the GeoPackage file (table ``yizhan_photos``): see stations/store/photos.py.

The image and its thumbnail are BLOBs in the row. Deleting a photo sets ``deleted_by`` and
``deleted_at`` and empties both BLOBs in one transaction; the row stays as the record of who
uploaded and who deleted it. Photos are not station data: no write here bumps ``data_version``.
"""

from __future__ import annotations

import sqlite3
import threading
import uuid
from abc import ABC, abstractmethod
from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, Final

from stations.errors import PhotoNotFound, StationNotFound
from stations.model import StationId
from stations.store.geopackage.format import LAYER, gpkg_datetime, parse_datetime
from stations.store.photos import Photo, Size
from stations.store.writes import millis, now_ms

if TYPE_CHECKING:  # Pillow is imported where photos are processed, not by every store user
    from stations.editing.photos import PhotoFiles

PHOTO_COLUMNS: Final = (
    "id, station_id, uploaded_by, uploaded_at, taken_at, width, height, thumb_width,"
    " thumb_height, content_type, sha256, deleted_by, deleted_at"
)
#: The column holding each size (never a caller's text in the SQL).
_BLOB_COLUMN: Final[dict[Size, str]] = {"image": "image", "thumbnail": "thumbnail"}


def new_photo_id() -> str:
    return f"ph-{uuid.uuid4().hex[:12]}"


class GeoPackagePhotos(ABC):
    """The PhotoStore methods of GeoPackageStore (a mixin over its connection and lock)."""

    _lock: threading.Lock
    _conn: sqlite3.Connection

    @abstractmethod
    def _transaction(self, *, commit: bool) -> AbstractContextManager[sqlite3.Connection]:
        """A write transaction holding the lock (GeoPackageStore's)."""

    def add_photo(self, station_id: StationId, files: PhotoFiles, *, actor: str) -> Photo:
        photo = Photo(
            id=new_photo_id(),
            station_id=station_id,
            uploaded_by=actor,
            uploaded_at=now_ms(),
            taken_at=None if files.taken_at is None else millis(files.taken_at),
            width=files.width,
            height=files.height,
            thumb_width=files.thumb_width,
            thumb_height=files.thumb_height,
            content_type=files.content_type,
            sha256=files.sha256,
        )
        with self._transaction(commit=True) as conn:
            _check_station(conn, station_id)
            conn.execute(
                f"INSERT INTO yizhan_photos ({PHOTO_COLUMNS}, image, thumbnail)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, ?, ?)",
                (
                    photo.id,
                    photo.station_id,
                    photo.uploaded_by,
                    gpkg_datetime(photo.uploaded_at),
                    None if photo.taken_at is None else gpkg_datetime(photo.taken_at),
                    photo.width,
                    photo.height,
                    photo.thumb_width,
                    photo.thumb_height,
                    photo.content_type,
                    photo.sha256,
                    files.image,
                    files.thumbnail,
                ),
            )
        return photo

    def photos_of(self, station_id: StationId) -> list[Photo]:
        with self._lock:
            _check_station(self._conn, station_id)
            rows = self._conn.execute(
                f"SELECT {PHOTO_COLUMNS} FROM yizhan_photos"
                " WHERE station_id = ? AND deleted_at IS NULL"
                " ORDER BY uploaded_at DESC, id DESC",
                (station_id,),
            ).fetchall()
        return [row_to_photo(row) for row in rows]

    def photo(self, photo_id: str) -> Photo:
        with self._lock:
            return _get_photo(self._conn, photo_id)

    def photo_bytes(self, photo_id: str, size: Size) -> bytes:
        column = _BLOB_COLUMN[size]
        with self._lock:
            row = self._conn.execute(
                f"SELECT {column} FROM yizhan_photos WHERE id = ? AND deleted_at IS NULL",
                (photo_id,),
            ).fetchone()
        if row is None or row[0] is None:
            raise PhotoNotFound(photo_id)
        return bytes(row[0])

    def delete_photo(self, photo_id: str, *, actor: str) -> Photo:
        with self._transaction(commit=True) as conn:
            cursor = conn.execute(
                "UPDATE yizhan_photos SET image = NULL, thumbnail = NULL, deleted_by = ?,"
                " deleted_at = ? WHERE id = ? AND deleted_at IS NULL",
                (actor, gpkg_datetime(now_ms()), photo_id),
            )
            if cursor.rowcount == 0:
                raise PhotoNotFound(photo_id)
            return _get_photo(conn, photo_id)


def _check_station(conn: sqlite3.Connection, station_id: StationId) -> None:
    if conn.execute(f"SELECT 1 FROM {LAYER} WHERE id = ?", (station_id,)).fetchone() is None:
        raise StationNotFound(station_id)


def _get_photo(conn: sqlite3.Connection, photo_id: str) -> Photo:
    row = conn.execute(
        f"SELECT {PHOTO_COLUMNS} FROM yizhan_photos WHERE id = ?", (photo_id,)
    ).fetchone()
    if row is None:
        raise PhotoNotFound(photo_id)
    return row_to_photo(row)


def row_to_photo(row: Sequence[Any]) -> Photo:
    (photo_id, station_id, uploaded_by, uploaded_at, taken_at, width, height, thumb_width,
     thumb_height, content_type, sha256, deleted_by, deleted_at) = row  # fmt: skip
    return Photo(
        id=photo_id,
        station_id=StationId(station_id),
        uploaded_by=uploaded_by,
        uploaded_at=parse_datetime(uploaded_at),
        taken_at=None if taken_at is None else parse_datetime(taken_at),
        width=int(width),
        height=int(height),
        thumb_width=int(thumb_width),
        thumb_height=int(thumb_height),
        content_type=content_type,
        sha256=sha256,
        deleted_by=deleted_by,
        deleted_at=None if deleted_at is None else parse_datetime(deleted_at),
    )
