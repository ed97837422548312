"""What a map popup shows besides the basics (issue 11): who may use a station, how to get in,
when it was last verified, a temporary closure, amenities out of order; and ``--photos``, each
station's newest thumbnail inlined as a ``data:`` JPEG. Checked on the embedded data and the
HTML; the browser checks are in test_map_browser.py.
"""

from __future__ import annotations

import base64
import io
import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final

import pytest
from PIL import Image

from api.cli import main
from api.maps.payload import JPEG_DATA_URI, Thumbnail
from api.maps.publish import publish
from api.maps.texts import TEXT
from stations.amenities import VOCABULARY
from stations.editing.photos import THUMB_SIDE_PX, process_photo
from stations.model import Access, Entry, Kind, Station, StationDraft, StationId
from stations.store.geopackage.store import GeoPackageStore
from tests.api.test_map_render import (
    DATA_RE,
    embedded_data,
    make_station,
    render,
    rows_by_id,
)

BUILT: Final = datetime(2026, 12, 1, 4, 0, tzinfo=UTC)  # the pages' build time in these tests
UNTIL: Final = datetime(2026, 12, 24, 10, 0, tzinfo=UTC)  # 18:00 in Shanghai
BITS: Final = {a.code: 1 << i for i, a in enumerate(VOCABULARY)}


def jpeg(
    size: tuple[int, int] = (1200, 900), colour: tuple[int, int, int] = (200, 60, 30)
) -> bytes:
    img = Image.new("RGB", size, colour)
    for x in range(0, size[0], 40):  # some detail, so the JPEG is not trivially small
        img.paste((x % 255, 255 - x % 255, 90), (x, 0, x + 20, size[1]))
    out = io.BytesIO()
    img.save(out, format="JPEG", quality=90)
    return out.getvalue()


def thumbnail(colour: tuple[int, int, int] = (200, 60, 30)) -> Thumbnail:
    files = process_photo(jpeg(colour=colour), "image/jpeg")
    return Thumbnail(files.thumbnail, files.thumb_width, files.thumb_height)


def closed_station(n: int = 1, **overrides: Any) -> Station:
    fields: dict[str, Any] = {
        "amenities": ("water", "microwave", "heating"),
        "access": Access.OUTDOOR_WORKERS,
        "entry": Entry.QR_CODE,
        "closed_until": UNTIL,
        "closure_reason": "供暖检修",
        "verified_at": datetime(2026, 11, 29, 17, 30, tzinfo=UTC),  # 30 Nov in Shanghai
        "out_of_order": (("heating", datetime(2026, 11, 28, tzinfo=UTC)),),
    }
    fields.update(overrides)
    return make_station(n, **fields)


# -- access, entry, verified, closure, out of order ---------------------------------------------


def test_rows_carry_access_entry_verified_day_closure_and_working_amenities() -> None:
    s = closed_station()
    data = embedded_data(render([s], now=BUILT))
    row = rows_by_id(data)[s.id]
    assert data["access"][row["access"]] == {
        "code": "outdoor_workers",
        "label": "户外劳动者（快递员、外卖骑手、环卫工人等）",
    }
    assert data["entries"][row["entry"]] == {"code": "qr_code", "label": "扫码进入"}
    assert row["verified"] == "2026-11-30"
    assert row["closure"] == [int(UNTIL.timestamp() * 1000), "12月24日 18:00", "供暖检修"]
    # Listed amenities for the popup; working ones (heating is out of order) for the filter.
    assert row["amenities"] == BITS["water"] | BITS["microwave"] | BITS["heating"]
    assert row["working"] == BITS["water"] | BITS["microwave"]
    assert data["text"]["closed_until_reason"] == "暂停开放至 {until}：{reason}"
    assert data["text"]["verified"] == "已核实 {date}"
    assert data["text"]["out_of_order"] == "故障"


def test_english_labels_and_reopening_time() -> None:
    s = closed_station(entry=Entry.PHONE_AHEAD)
    data = embedded_data(render([s], lang="en", now=BUILT))
    row = rows_by_id(data)[s.id]
    assert row["closure"][1] == "24 Dec 18:00"
    assert data["entries"][row["entry"]]["label"] == "phone ahead"
    assert data["access"][row["access"]]["label"].startswith("outdoor workers")
    assert data["text"]["verified"] == "verified {date}"
    assert data["text"]["out_of_order"] == "out of order"


def test_a_reopening_in_another_year_names_the_year() -> None:
    s = closed_station(closed_until=datetime(2027, 1, 3, 0, 30, tzinfo=UTC), closure_reason=None)
    zh = rows_by_id(embedded_data(render([s], now=BUILT)))[s.id]
    en = rows_by_id(embedded_data(render([s], lang="en", now=BUILT)))[s.id]
    assert zh["closure"][1:] == ["2027年1月3日 08:30", None]
    assert en["closure"][1:] == ["3 Jan 2027 08:30", None]


@pytest.mark.parametrize("until", [BUILT - timedelta(hours=1), BUILT])
def test_a_closure_over_by_the_build_time_is_not_shown(until: datetime) -> None:
    s = closed_station(closed_until=until)
    assert rows_by_id(embedded_data(render([s], now=BUILT)))[s.id]["closure"] is None


def test_defaults_public_no_entry_never_verified_nothing_broken() -> None:
    s = make_station(1)
    data = embedded_data(render([s], now=BUILT))
    row = rows_by_id(data)[s.id]
    assert data["access"][row["access"]]["code"] == "public"
    assert row["entry"] is None and row["verified"] is None and row["closure"] is None
    assert row["working"] == row["amenities"]
    assert data["photos"] is None


def test_rows_leave_out_trailing_nulls() -> None:
    plain, verified = make_station(1), make_station(2, verified_at=BUILT)
    data = embedded_data(render([plain, verified], now=BUILT))
    fields = data["fields"]
    assert len(data["stations"][0]) == fields.index("access") + 1
    assert len(data["stations"][1]) == fields.index("verified") + 1
    assert data["stations"][1][fields.index("entry")] is None


def test_every_access_and_entry_has_a_label_in_both_languages() -> None:
    for lang in ("zh", "en"):
        data = embedded_data(render([make_station(1)], lang=lang))
        assert [a["code"] for a in data["access"]] == [a.value for a in Access]
        assert [e["code"] for e in data["entries"]] == [e.value for e in Entry]
        assert all(item["label"] for item in data["access"] + data["entries"])


def test_a_hostile_closure_reason_is_data() -> None:
    text = "</script><img src=x onerror=alert(1)>{until}{{ 7*7 }}"
    s = closed_station(closure_reason=text)
    page = render([s], now=BUILT)
    (block,) = DATA_RE.findall(page)
    assert rows_by_id(embedded_data(page))[s.id]["closure"][2] == text
    assert not set("<>&") & set(block)


# -- photos ----------------------------------------------------------------------------------


def test_a_thumbnail_is_inlined_as_a_data_uri_with_its_size() -> None:
    s, other = make_station(1), make_station(2)
    thumb = thumbnail()
    assert max(thumb.width, thumb.height) <= THUMB_SIDE_PX
    data = embedded_data(render([s, other], photos={s.id: thumb}))
    photos = data["photos"]
    src, width, height = photos["byId"][s.id]
    assert other.id not in photos["byId"]
    assert src.startswith(JPEG_DATA_URI)
    assert base64.b64decode(src.removeprefix(JPEG_DATA_URI)) == thumb.jpeg
    assert (width, height) == (thumb.width, thumb.height)
    assert photos["count"] == 1
    assert photos["bytes"] == len(src) == thumb.inlined_bytes
    assert photos["kb"] == (len(src) + 512) // 1024 >= 1
    assert data["text"]["photo_note"] == "含 {n} 张照片缩略图，共 {kb} KB"


def test_photos_of_stations_not_on_the_page_are_not_inlined() -> None:
    s = make_station(1)
    data = embedded_data(render([s], photos={StationId("elsewhere"): thumbnail()}))
    assert data["photos"] == {"count": 0, "bytes": 0, "kb": 0, "byId": {}}


def test_a_thumbnail_must_be_a_jpeg() -> None:
    png = io.BytesIO()
    Image.new("RGB", (8, 8)).save(png, format="PNG")
    with pytest.raises(ValueError, match="JPEG"):
        Thumbnail(png.getvalue(), 8, 8)
    with pytest.raises(ValueError, match="width and height"):
        Thumbnail(thumbnail().jpeg, 0, 8)


def test_without_photos_the_page_is_unchanged(tmp_path: Path) -> None:
    stations = [make_station(1), make_station(2)]
    plain = publish(stations, tmp_path / "plain", now=BUILT)
    with_photos = publish(
        stations, tmp_path / "photos", now=BUILT, photos={stations[0].id: thumbnail()}
    )
    assert plain.photos is None
    assert with_photos.photos is not None and with_photos.photos.count == 1
    (plain_data,) = DATA_RE.findall(plain.index.read_text(encoding="utf-8"))
    assert JPEG_DATA_URI not in plain_data
    added = with_photos.pages[0].size_bytes - plain.pages[0].size_bytes
    assert with_photos.photos.size_bytes < added < with_photos.photos.size_bytes + 200


# -- yizhan map --photos, on a real store --------------------------------------------------------


def draft(n: int, **overrides: Any) -> StationDraft:
    fields: dict[str, Any] = {
        "id": StationId(f"ph-station-{n}"),
        "name": f"照片驿站{n}",
        "kind": Kind.LOVE_STATION,
        "lon": 108.94 + n * 1e-3,
        "lat": 34.26,
        "address": "南大街1号",
        "district_code": "610103",
        "amenities": ("water",),
        "opening_hours": "24/7",
        "phone": None,
        "host": None,
    }
    fields.update(overrides)
    return StationDraft(**fields)


@pytest.fixture
def photo_db(tmp_path: Path) -> Path:
    """Three stations: one with two photos, one with none, one whose only photo is deleted."""
    path = tmp_path / "photos.gpkg"
    store = GeoPackageStore(path)
    try:
        store.save_all([draft(1), draft(2), draft(3)])
        store.add_photo(
            StationId("ph-station-1"),
            process_photo(jpeg(colour=(200, 60, 30)), "image/jpeg"),
            actor="t",
        )
        time.sleep(0.005)  # a later upload time: this one is the newest
        store.add_photo(
            StationId("ph-station-1"),
            process_photo(jpeg(size=(900, 1200), colour=(30, 60, 200)), "image/jpeg"),
            actor="t",
        )
        gone = store.add_photo(
            StationId("ph-station-3"), process_photo(jpeg(), "image/jpeg"), actor="t"
        )
        store.delete_photo(gone.id, actor="t")
    finally:
        store.close()
    return path


def test_cli_photos_inlines_the_newest_thumbnail(
    photo_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "site"
    assert main(["map", "--db", str(photo_db), "--out", str(out), "--photos"]) == 0
    printed = capsys.readouterr().out
    html = (out / "index.html").read_text(encoding="utf-8")
    data = embedded_data(html)
    store = GeoPackageStore(photo_db, create=False)
    try:
        newest = store.photos_of(StationId("ph-station-1"))[0]
        expected = store.photo_bytes(newest.id, "thumbnail")
    finally:
        store.close()
    photos = data["photos"]
    assert sorted(photos["byId"]) == ["ph-station-1"]
    src, width, height = photos["byId"]["ph-station-1"]
    assert base64.b64decode(src.removeprefix(JPEG_DATA_URI)) == expected
    assert (width, height) == (newest.thumb_width, newest.thumb_height)
    assert height > width  # the portrait one: the newest
    assert photos["count"] == 1 and photos["bytes"] == len(src)
    assert f"with 1 photo thumbnail(s) ({photos['kb']} KB)" in printed
    assert TEXT["zh"]["photo_note"].format(n=1, kb=photos["kb"]) == (
        f"含 1 张照片缩略图，共 {photos['kb']} KB"
    )
    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html)
    assert policy and "img-src data: " in policy.group(1)


def test_cli_without_photos_inlines_none(
    photo_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "site"
    assert main(["map", "--db", str(photo_db), "--out", str(out)]) == 0
    assert "thumbnail" not in capsys.readouterr().out
    html = (out / "index.html").read_text(encoding="utf-8")
    assert embedded_data(html)["photos"] is None
    assert JPEG_DATA_URI not in DATA_RE.findall(html)[0]
