"""Station photos as every store keeps them: the image bytes in the store itself (a BLOB table
in the GeoPackage, ``bytea`` in PostGIS), so one backup holds everything. A deleted photo
keeps its row (who uploaded and who deleted it, when) and loses its bytes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Literal, Protocol

from stations.model import StationId

if TYPE_CHECKING:  # Pillow is imported where photos are processed, not by every store user
    from stations.editing.photos import PhotoFiles

Size = Literal["image", "thumbnail"]


@dataclass(frozen=True, slots=True)
class Photo:
    """A stored photo's description (its bytes are read apart, by size)."""

    id: str  # "ph-" + 12 hex digits
    station_id: StationId
    uploaded_by: str  # token name
    uploaded_at: datetime  # aware, UTC
    taken_at: datetime | None  # from the file's EXIF, aware, UTC
    width: int
    height: int
    thumb_width: int
    thumb_height: int
    content_type: str
    sha256: str  # of the image bytes: its ETag
    deleted_by: str | None = None
    deleted_at: datetime | None = None


class PhotoStore(Protocol):
    def add_photo(self, station_id: StationId, files: PhotoFiles, *, actor: str) -> Photo:
        """Store a processed photo of an existing station (raises StationNotFound)."""
        ...

    def photos_of(self, station_id: StationId) -> list[Photo]:
        """The station's photos not deleted, newest first (raises StationNotFound)."""
        ...

    def photo(self, photo_id: str) -> Photo:
        """One photo, deleted or not (raises PhotoNotFound)."""
        ...

    def photo_bytes(self, photo_id: str, size: Size) -> bytes:
        """The image or its thumbnail (raises PhotoNotFound, also for a deleted photo)."""
        ...

    def delete_photo(self, photo_id: str, *, actor: str) -> Photo:
        """Drop the bytes, keep the row with who deleted it and when (PhotoNotFound if it is
        unknown or deleted already)."""
        ...
