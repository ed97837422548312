"""Station photos in PostgreSQL (table ``yizhan_photos``): see stations/store/photos.py.

The image and its thumbnail are ``bytea`` in the row. Deleting a photo sets ``deleted_by`` and
``deleted_at`` and empties both in one statement; the row stays as the record of who uploaded and
who deleted it. Photos are not station data: they take no station write lock, bump no
``data_version`` and announce nothing on the change feed.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC
from typing import TYPE_CHECKING, Any, Final

from stations.errors import PhotoNotFound, StationNotFound
from stations.model import StationId
from stations.store.photos import Photo, Size
from stations.store.postgis.connection import Connection, Link
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


class PostGISPhotos:
    """The PhotoStore methods of PostGISStore (a mixin over its link)."""

    _link: Link

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
        with self._link.session() as conn, conn.transaction():
            _check_station(conn, station_id)  # the foreign key guards the rest of the way
            conn.execute(
                f"INSERT INTO yizhan_photos ({PHOTO_COLUMNS}, image, thumbnail)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, NULL, NULL, %s, %s)",
                (
                    photo.id,
                    photo.station_id,
                    photo.uploaded_by,
                    photo.uploaded_at,
                    photo.taken_at,
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
        with self._link.session() as conn, conn.transaction():
            _check_station(conn, station_id)
            rows = conn.execute(
                f"SELECT {PHOTO_COLUMNS} FROM yizhan_photos"
                " WHERE station_id = %s AND deleted_at IS NULL"
                " ORDER BY uploaded_at DESC, id DESC",
                (station_id,),
            ).fetchall()
        return [row_to_photo(row) for row in rows]

    def photo(self, photo_id: str) -> Photo:
        with self._link.session() as conn:
            row = conn.execute(
                f"SELECT {PHOTO_COLUMNS} FROM yizhan_photos WHERE id = %s", (photo_id,)
            ).fetchone()
        if row is None:
            raise PhotoNotFound(photo_id)
        return row_to_photo(row)

    def photo_bytes(self, photo_id: str, size: Size) -> bytes:
        column = _BLOB_COLUMN[size]
        with self._link.session() as conn:
            row = conn.execute(
                f"SELECT {column} FROM yizhan_photos WHERE id = %s AND deleted_at IS NULL",
                (photo_id,),
            ).fetchone()
        if row is None or row[0] is None:
            raise PhotoNotFound(photo_id)
        return bytes(row[0])

    def delete_photo(self, photo_id: str, *, actor: str) -> Photo:
        with self._link.session() as conn:
            row = conn.execute(
                "UPDATE yizhan_photos SET image = NULL, thumbnail = NULL, deleted_by = %s,"
                " deleted_at = %s WHERE id = %s AND deleted_at IS NULL"
                f" RETURNING {PHOTO_COLUMNS}",
                (actor, now_ms(), photo_id),
            ).fetchone()
        if row is None:
            raise PhotoNotFound(photo_id)
        return row_to_photo(row)


def _check_station(conn: Connection, station_id: StationId) -> None:
    row = conn.execute("SELECT 1 FROM stations WHERE id = %s", (station_id,)).fetchone()
    if row is None:
        raise StationNotFound(station_id)


def row_to_photo(row: Sequence[Any]) -> Photo:
    (photo_id, station_id, uploaded_by, uploaded_at, taken_at, width, height, thumb_width,
     thumb_height, content_type, sha256, deleted_by, deleted_at) = row  # fmt: skip
    return Photo(
        id=photo_id,
        station_id=StationId(station_id),
        uploaded_by=uploaded_by,
        uploaded_at=uploaded_at.astimezone(UTC),
        taken_at=None if taken_at is None else taken_at.astimezone(UTC),
        width=width,
        height=height,
        thumb_width=thumb_width,
        thumb_height=thumb_height,
        content_type=content_type,
        sha256=sha256,
        deleted_by=deleted_by,
        deleted_at=None if deleted_at is None else deleted_at.astimezone(UTC),
    )
