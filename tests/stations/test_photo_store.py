"""The photo part of the store contract (stations/store/photos.py), on both stores: a GeoPackage
file and a PostGIS schema. Photos go in already processed (process_photo), as the API stores
them; what comes back is the same bytes, and a deleted photo keeps its row and loses its bytes."""

from __future__ import annotations

import io
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image

from stations.editing.photos import PhotoFiles, process_photo
from stations.errors import PhotoNotFound, StationNotFound
from stations.model import StationId
from stations.store.base import StationStore
from stations.store.open import open_store
from stations.store.photos import Size
from tests.conftest import MakeDraft

EXIF_IFD, DATETIME_ORIGINAL, OFFSET_TIME_ORIGINAL = 0x8769, 36867, 36881


@pytest.fixture(params=["geopackage", "postgis"])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "geopackage":
        return str(tmp_path / "stations.gpkg")
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def store(target: str) -> Iterator[StationStore]:
    store = open_store(target)
    yield store
    store.close()


@pytest.fixture
def station(store: StationStore, make_draft: MakeDraft) -> StationId:
    draft = make_draft()
    assert draft.id is not None
    store.save_all([draft])
    return draft.id


def photo_files(
    colour: tuple[int, int, int] = (200, 80, 40), taken: str | None = None
) -> PhotoFiles:
    exif = Image.Exif()
    if taken is not None:
        exif.get_ifd(EXIF_IFD)[DATETIME_ORIGINAL] = taken
        exif.get_ifd(EXIF_IFD)[OFFSET_TIME_ORIGINAL] = "+08:00"
    out = io.BytesIO()
    Image.new("RGB", (640, 480), colour).save(out, format="JPEG", exif=exif)
    return process_photo(out.getvalue(), "image/jpeg")


def test_add_list_read_round_trip(store: StationStore, station: StationId) -> None:
    files = photo_files(taken="2025:04:01 09:30:00")
    before = datetime.now(UTC) - timedelta(seconds=1)
    photo = store.add_photo(station, files, actor="beilin-editor")
    assert re.fullmatch(r"ph-[0-9a-f]{12}", photo.id), photo.id
    assert (photo.station_id, photo.uploaded_by) == (station, "beilin-editor")
    assert before <= photo.uploaded_at <= datetime.now(UTC)
    assert photo.uploaded_at.utcoffset() == timedelta(0)
    assert photo.taken_at == datetime(2025, 4, 1, 1, 30, tzinfo=UTC)
    assert (photo.width, photo.height) == (files.width, files.height) == (640, 480)
    assert (photo.thumb_width, photo.thumb_height) == (files.thumb_width, files.thumb_height)
    assert (photo.content_type, photo.sha256) == ("image/jpeg", files.sha256)
    assert (photo.deleted_by, photo.deleted_at) == (None, None)
    # What add_photo answers is exactly what is read back, by this store and by another one.
    assert store.photo(photo.id) == photo
    assert store.photos_of(station) == [photo]
    assert store.photo_bytes(photo.id, "image") == files.image
    assert store.photo_bytes(photo.id, "thumbnail") == files.thumbnail


def test_reopened_store_reads_the_same(target: str, station: StationId) -> None:
    files = photo_files()
    first = open_store(target)
    try:
        photo = first.add_photo(station, files, actor="admin")
    finally:
        first.close()
    again = open_store(target, create=False)
    try:
        assert again.photo(photo.id) == photo
        assert again.photo_bytes(photo.id, "image") == files.image
    finally:
        again.close()


def test_photos_of_lists_newest_first_and_only_that_stations(
    store: StationStore, station: StationId, make_draft: MakeDraft
) -> None:
    other = make_draft()
    assert other.id is not None
    store.save_all([other])
    assert store.photos_of(station) == []
    added = []
    for colour in ((255, 0, 0), (0, 255, 0), (0, 0, 255)):
        added.append(store.add_photo(station, photo_files(colour), actor="admin"))
        time.sleep(0.002)  # uploaded_at is kept to the millisecond
    elsewhere = store.add_photo(other.id, photo_files(), actor="admin")
    assert store.photos_of(station) == added[::-1]
    assert store.photos_of(other.id) == [elsewhere]


def test_taken_at_is_optional(store: StationStore, station: StationId) -> None:
    photo = store.add_photo(station, photo_files(), actor="admin")
    assert photo.taken_at is None
    assert store.photo(photo.id).taken_at is None


def test_delete_keeps_the_row_and_drops_the_bytes(store: StationStore, station: StationId) -> None:
    kept = store.add_photo(station, photo_files((1, 2, 3)), actor="admin")
    photo = store.add_photo(station, photo_files(), actor="beilin-editor")
    deleted = store.delete_photo(photo.id, actor="xian-editor")
    assert deleted.deleted_by == "xian-editor"
    assert deleted.deleted_at is not None
    assert photo.uploaded_at <= deleted.deleted_at <= datetime.now(UTC)
    assert deleted == store.photo(photo.id)  # still there, deleted, naming who
    assert deleted.uploaded_by == "beilin-editor"
    assert (deleted.id, deleted.sha256, deleted.width) == (photo.id, photo.sha256, photo.width)
    sizes: tuple[Size, ...] = ("image", "thumbnail")
    for size in sizes:
        with pytest.raises(PhotoNotFound):
            store.photo_bytes(photo.id, size)
    assert store.photos_of(station) == [kept]
    with pytest.raises(PhotoNotFound):
        store.delete_photo(photo.id, actor="admin")  # once only: the first deleter stays
    assert store.photo(photo.id).deleted_by == "xian-editor"
    assert store.photo_bytes(kept.id, "image")  # the other photo is untouched


def test_unknown_photo(store: StationStore, station: StationId) -> None:
    for call in (
        lambda: store.photo("ph-000000000000"),
        lambda: store.photo_bytes("ph-000000000000", "image"),
        lambda: store.delete_photo("ph-000000000000", actor="admin"),
    ):
        with pytest.raises(PhotoNotFound) as caught:
            call()
        assert caught.value.photo_id == "ph-000000000000"


def test_unknown_station(store: StationStore) -> None:
    with pytest.raises(StationNotFound):
        store.add_photo(StationId("no-such-station"), photo_files(), actor="admin")
    with pytest.raises(StationNotFound):
        store.photos_of(StationId("no-such-station"))


def test_photos_are_not_station_data(store: StationStore, station: StationId) -> None:
    version = store.data_version()
    photo = store.add_photo(station, photo_files(), actor="admin")
    store.delete_photo(photo.id, actor="admin")
    assert store.data_version() == version
    assert store.get(station).version == 1
    assert len(store.history(station)) == 1
