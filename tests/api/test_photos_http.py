"""Station photos over HTTP, on both stores: editors upload (multipart ``file``) and delete within
their districts, anyone lists and fetches. What is served is the re-encoded JPEG, never the
upload: no EXIF (GPS position included), nothing appended. Whatever is refused stores nothing.

Every image is made here with Pillow; the bad inputs reuse the pipeline tests' fixtures."""

from __future__ import annotations

import hashlib
import io
import random
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from PIL import Image

from stations.editing.photos import MAX_PHOTO_BYTES, MAX_SIDE_PX, THUMB_SIDE_PX
from tests.api.admin_fixtures import BOTH_STORES, WEIYANG, AdminEnv, create, env_on
from tests.api.problem import assert_problem
from tests.stations.test_photos import SCRIPT, png_declaring, truncated

EXIF_IFD, GPS_IFD = 0x8769, 0x8825
DATETIME_ORIGINAL = 36867
GPS_PROCESSING_METHOD = 27
GPS_MARK = b"ASCII\x00\x00\x00YIZHAN-GPS-MARK"  # a string only the GPS IFD carries
IMMUTABLE = "public, max-age=31536000, immutable"


@pytest.fixture(scope="module", params=BOTH_STORES)
def env(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[AdminEnv]:
    with env_on(request, tmp_path_factory.mktemp("photos")) as env:
        yield env


@pytest.fixture
def station_id(env: AdminEnv) -> str:
    """A new station in 碑林区 (610103), the beilin-editor's district."""
    feature = create(env)
    return str(feature["id"])


# -- fixtures and helpers -----------------------------------------------------------------------


def camera_jpeg(size: tuple[int, int] = (3000, 2000)) -> bytes:
    """A phone photo: larger than we keep, with the time taken and a GPS position in EXIF."""
    img = Image.radial_gradient("L").resize(size).convert("RGB")
    exif = Image.Exif()
    exif.get_ifd(EXIF_IFD)[DATETIME_ORIGINAL] = "2024:05:01 14:30:00"  # the phone's clock
    gps = exif.get_ifd(GPS_IFD)
    gps.update({1: "N", 2: (34.0, 15.0, 10.5), 3: "E", 4: (108.0, 56.0, 32.25)})
    gps[GPS_PROCESSING_METHOD] = GPS_MARK
    data = encode(img, "JPEG", exif=exif, quality=90)
    with Image.open(io.BytesIO(data)) as check:  # the fixture carries what we say it carries
        assert check.getexif().get_ifd(GPS_IFD)[1] == "N"
    assert GPS_MARK in data
    return data


def encode(img: Image.Image, fmt: str, **params: Any) -> bytes:
    out = io.BytesIO()
    img.save(out, format=fmt, **params)
    return out.getvalue()


def small_jpeg(colour: tuple[int, int, int] = (30, 120, 200), **params: Any) -> bytes:
    return encode(Image.new("RGB", (64, 48), colour), "JPEG", **params)


def upload(
    env: AdminEnv,
    station_id: str,
    data: bytes,
    content_type: str = "image/jpeg",
    token: str | None = "admin",
) -> httpx.Response:
    response: httpx.Response = env.client.post(
        f"/v1/stations/{station_id}/photos",
        files={"file": ("photo.jpg", data, content_type)},
        headers=env.auth(token) if token else {},
    )
    return response


def uploaded(env: AdminEnv, station_id: str, data: bytes | None = None) -> dict[str, Any]:
    response = upload(env, station_id, small_jpeg() if data is None else data)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def listed(env: AdminEnv, station_id: str) -> list[dict[str, Any]]:
    response = env.client.get(f"/v1/stations/{station_id}/photos")
    assert response.status_code == 200, response.text
    assert response.json()["station_id"] == station_id
    photos: list[dict[str, Any]] = response.json()["photos"]
    return photos


def multipart(data: bytes, content_type: str = "image/jpeg") -> tuple[bytes, dict[str, str]]:
    """A multipart body holding ``data`` as the file part, and its Content-Type header."""
    boundary = "yizhan-test-boundary-7MA4YWxkTrZu0gW"
    head = (
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="file"; filename="photo.jpg"\r\n'
        f"Content-Type: {content_type}\r\n\r\n"
    )
    body = head.encode() + data + f"\r\n--{boundary}--\r\n".encode()
    return body, {"Content-Type": f"multipart/form-data; boundary={boundary}"}


# -- upload, fetch, list, delete ----------------------------------------------------------------


def test_upload_stores_a_clean_downscaled_jpeg_and_keeps_the_time_taken(
    env: AdminEnv, station_id: str
) -> None:
    response = upload(env, station_id, camera_jpeg(), token="beilin-editor")
    assert response.status_code == 201, response.text
    body = response.json()
    photo_id = body["id"]
    assert response.headers["Location"] == f"/v1/photos/{photo_id}"
    assert body["station_id"] == station_id
    assert body["taken_at"] == "2024-05-01T06:30:00Z"  # 14:30 in Beijing
    assert (body["width"], body["height"]) == (MAX_SIDE_PX, 1365)
    assert max(body["thumb_width"], body["thumb_height"]) == THUMB_SIDE_PX
    assert body["links"] == {
        "image": f"/v1/photos/{photo_id}",
        "thumbnail": f"/v1/photos/{photo_id}/thumbnail",
    }
    assert (body["uploaded_by"], body["deleted_by"], body["deleted_at"]) == (
        "beilin-editor",
        None,
        None,
    )

    image = env.client.get(body["links"]["image"])
    assert image.status_code == 200
    assert image.headers["content-type"] == "image/jpeg"
    assert GPS_MARK not in image.content and b"Exif" not in image.content
    with Image.open(io.BytesIO(image.content)) as img:
        assert img.format == "JPEG"
        assert img.size == (body["width"], body["height"])
        assert max(img.size) <= MAX_SIDE_PX
        assert not img.getexif()
        assert not img.getexif().get_ifd(GPS_IFD)
        assert "exif" not in img.info
    thumbnail = env.client.get(body["links"]["thumbnail"])
    assert thumbnail.status_code == 200
    assert thumbnail.headers["content-type"] == "image/jpeg"
    assert GPS_MARK not in thumbnail.content
    with Image.open(io.BytesIO(thumbnail.content)) as img:
        assert img.size == (body["thumb_width"], body["thumb_height"])
        assert max(img.size) <= THUMB_SIDE_PX
        assert not img.getexif()


def test_images_are_immutable_with_etags(env: AdminEnv, station_id: str) -> None:
    photo = uploaded(env, station_id)
    image = env.client.get(photo["links"]["image"])
    thumbnail = env.client.get(photo["links"]["thumbnail"])
    digest = hashlib.sha256(image.content).hexdigest()
    assert image.headers["ETag"] == f'"{digest}"'
    assert thumbnail.headers["ETag"] != image.headers["ETag"]
    for response in (image, thumbnail):
        assert response.headers["Cache-Control"] == IMMUTABLE
        assert response.headers["X-Content-Type-Options"] == "nosniff"

    for response, link in ((image, "image"), (thumbnail, "thumbnail")):
        etag = response.headers["ETag"]
        for sent in (etag, f"W/{etag}", f'"other", {etag}', "*"):
            again = env.client.get(photo["links"][link], headers={"If-None-Match": sent})
            assert again.status_code == 304, sent
            assert again.content == b""
            assert again.headers["ETag"] == etag
            assert again.headers["Cache-Control"] == IMMUTABLE
    # One size's tag does not validate the other's.
    crossed = env.client.get(
        photo["links"]["thumbnail"], headers={"If-None-Match": image.headers["ETag"]}
    )
    assert crossed.status_code == 200
    assert crossed.content == thumbnail.content

    head = env.client.head(photo["links"]["image"])
    assert head.status_code == 200
    assert head.headers["ETag"] == image.headers["ETag"]
    assert head.headers["content-length"] == str(len(image.content))


def test_list_is_newest_first_and_names_nobody(env: AdminEnv, station_id: str) -> None:
    assert listed(env, station_id) == []
    ids = [uploaded(env, station_id, small_jpeg((i * 60, 0, 0)))["id"] for i in range(3)]
    photos = listed(env, station_id)
    assert [p["id"] for p in photos] == ids[::-1]
    uploaded_at = [p["uploaded_at"] for p in photos]
    assert uploaded_at == sorted(uploaded_at, reverse=True)
    for photo in photos:
        assert set(photo) == {
            "id",
            "station_id",
            "uploaded_at",
            "taken_at",
            "width",
            "height",
            "thumb_width",
            "thumb_height",
            "links",
        }
        assert photo["taken_at"] is None  # no EXIF in these
        assert photo["links"]["image"] == f"/v1/photos/{photo['id']}"
    # Each station lists its own.
    other = str(create(env)["id"])
    assert listed(env, other) == []


def test_delete_keeps_who_deleted_it_and_serves_nothing(env: AdminEnv, station_id: str) -> None:
    kept = uploaded(env, station_id)
    photo = uploaded(env, station_id)
    response = env.client.delete(photo["links"]["image"], headers=env.auth("beilin-editor"))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["id"] == photo["id"]
    assert body["uploaded_by"] == "admin"
    assert body["deleted_by"] == "beilin-editor"
    assert body["deleted_at"] >= photo["uploaded_at"]

    for link in photo["links"].values():
        assert_problem(env.client.get(link), 404)
        etag_check = env.client.get(link, headers={"If-None-Match": "*"})
        assert_problem(etag_check, 404)  # gone: not "not modified"
    assert [p["id"] for p in listed(env, station_id)] == [kept["id"]]
    stored = env.client.app.state.store.photo(photo["id"])  # type: ignore[attr-defined]
    assert (stored.deleted_by, stored.uploaded_by) == ("beilin-editor", "admin")
    assert stored.deleted_at is not None
    again = env.client.delete(photo["links"]["image"], headers=env.auth("admin"))
    assert_problem(again, 404)
    assert env.client.app.state.store.photo(photo["id"]).deleted_by == "beilin-editor"  # type: ignore[attr-defined]


def test_photos_change_no_station_data(env: AdminEnv, station_id: str) -> None:
    version = env.data_version()
    photo = uploaded(env, station_id)
    env.client.delete(photo["links"]["image"], headers=env.auth("admin"))
    assert env.data_version() == version
    assert env.client.get(f"/v1/stations/{station_id}").headers["ETag"] == '"1"'


def test_an_html_jpeg_polyglot_is_served_inert(env: AdminEnv, station_id: str) -> None:
    polyglot = small_jpeg(comment=SCRIPT) + SCRIPT  # in a COM segment and after EOI
    assert polyglot.count(SCRIPT) == 2
    photo = uploaded(env, station_id, polyglot)
    for link in photo["links"].values():
        response = env.client.get(link)
        assert response.status_code == 200
        assert b"<script" not in response.content.lower()
        assert response.headers["content-type"] == "image/jpeg"
        assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    ("fmt", "content_type"),
    [("PNG", "image/png"), ("WEBP", "image/webp"), ("PNG", "application/octet-stream")],
)
def test_png_and_webp_are_stored_as_jpeg(
    env: AdminEnv, station_id: str, fmt: str, content_type: str
) -> None:
    data = encode(Image.new("RGBA", (40, 30), (0, 200, 0, 128)), fmt)
    photo = uploaded_as(env, station_id, data, content_type)
    image = env.client.get(photo["links"]["image"])
    assert image.headers["content-type"] == "image/jpeg"
    with Image.open(io.BytesIO(image.content)) as img:
        assert (img.format, img.size) == ("JPEG", (40, 30))


def uploaded_as(env: AdminEnv, station_id: str, data: bytes, content_type: str) -> dict[str, Any]:
    response = upload(env, station_id, data, content_type)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


# -- who may ------------------------------------------------------------------------------------


def test_an_editor_writes_only_in_its_districts(env: AdminEnv) -> None:
    weiyang = str(create(env, WEIYANG)["id"])
    response = upload(env, weiyang, small_jpeg(), token="beilin-editor")
    body = assert_problem(response, 403)
    assert "610112" in body["detail"]
    assert listed(env, weiyang) == []
    photo = uploaded(env, weiyang)
    refused = env.client.delete(photo["links"]["image"], headers=env.auth("beilin-editor"))
    assert_problem(refused, 403)
    assert [p["id"] for p in listed(env, weiyang)] == [photo["id"]]
    assert env.client.app.state.store.photo(photo["id"]).deleted_at is None  # type: ignore[attr-defined]
    # A token for all of Xi'an may.
    assert upload(env, weiyang, small_jpeg(), token="xian-editor").status_code == 201
    deleted = env.client.delete(photo["links"]["image"], headers=env.auth("xian-editor"))
    assert deleted.status_code == 200, deleted.text


@pytest.mark.parametrize("token", [None, "revoked-admin"])
def test_writes_need_a_valid_token(env: AdminEnv, station_id: str, token: str | None) -> None:
    response = upload(env, station_id, small_jpeg(), token=token)
    assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert listed(env, station_id) == []
    photo = uploaded(env, station_id)
    headers = env.auth(token) if token else {}
    assert_problem(env.client.delete(photo["links"]["image"], headers=headers), 401)
    assert len(listed(env, station_id)) == 1


def test_unknown_stations_and_photos_are_404(env: AdminEnv) -> None:
    assert_problem(upload(env, "no-such-station", small_jpeg()), 404)
    assert_problem(env.client.get("/v1/stations/no-such-station/photos"), 404)
    assert_problem(env.client.get("/v1/stations/a%00b/photos"), 404)  # NUL: never sent to SQL
    for photo_id in ("ph-000000000000", "ph-xyz", "a%00b"):
        assert_problem(env.client.get(f"/v1/photos/{photo_id}"), 404)
        assert_problem(env.client.get(f"/v1/photos/{photo_id}/thumbnail"), 404)
        assert_problem(env.client.delete(f"/v1/photos/{photo_id}", headers=env.auth("admin")), 404)


# -- refused uploads ----------------------------------------------------------------------------


SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>x</script></svg>'
HTML = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"


@pytest.mark.parametrize(
    ("data", "content_type", "status", "says"),
    [
        (truncated("JPEG", 0.5), "image/jpeg", 422, "damaged or truncated"),
        (png_declaring(50_000, 50_000), "image/png", 422, "pixels"),
        (SVG, "image/svg+xml", 415, "image/svg+xml"),
        (SVG, "application/octet-stream", 415, "SVG"),
        (HTML, "text/html", 415, "text/html"),
        (HTML, "image/jpeg", 415, "HTML"),
        (b"", "image/jpeg", 422, "empty"),
        (small_jpeg(), "image/png", 422, "sent as image/png"),
    ],
    ids=["truncated", "bomb", "svg", "svg-sniffed", "html", "html-as-jpeg", "empty", "mislabelled"],
)
def test_a_bad_file_is_refused_and_nothing_stored(
    env: AdminEnv, station_id: str, data: bytes, content_type: str, status: int, says: str
) -> None:
    body = assert_problem(upload(env, station_id, data, content_type), status, "file")
    assert says in body["detail"]
    assert listed(env, station_id) == []


def test_the_form_must_hold_one_file_named_file(env: AdminEnv, station_id: str) -> None:
    auth = env.auth("admin")
    url = f"/v1/stations/{station_id}/photos"
    misnamed = env.client.post(
        url, files={"photo": ("p.jpg", small_jpeg(), "image/jpeg")}, headers=auth
    )
    assert_problem(misnamed, 422, "file")
    assert {e["field"] for e in misnamed.json()["errors"]} == {"photo", "file"}
    assert_problem(env.client.post(url, files={"x": (None, b"1")}, headers=auth), 422, "file")
    as_text = env.client.post(url, files={"file": (None, b"not a file")}, headers=auth)
    assert_problem(as_text, 422, "file")
    assert "not a text field" in as_text.json()["detail"]
    twice = env.client.post(
        url,
        files=[
            ("file", ("a.jpg", small_jpeg(), "image/jpeg")),
            ("file", ("b.jpg", small_jpeg(), "image/jpeg")),
        ],
        headers=auth,
    )
    assert_problem(twice, 422, "file")
    raw = env.client.post(url, content=small_jpeg(), headers=auth | {"Content-Type": "image/jpeg"})
    assert_problem(raw, 415)
    assert "multipart/form-data" in raw.json()["detail"]
    broken = env.client.post(
        url, content=b"--x\r\nnonsense", headers=auth | {"Content-Type": "multipart/form-data"}
    )
    assert_problem(broken, 400)
    assert listed(env, station_id) == []


def test_a_body_over_10_mb_is_413(env: AdminEnv, station_id: str) -> None:
    too_big = small_jpeg() + b"\x00" * (MAX_PHOTO_BYTES + 100_000)
    assert_problem(upload(env, station_id, too_big), 413)
    assert listed(env, station_id) == []


def test_the_route_limits_the_body_itself(
    env: AdminEnv, station_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A body over 10 MB (plus the multipart framing) is refused by its Content-Length and,
    when it has none, while it streams in (the body limit of the photo path); a file just over
    10 MB in a body that fits is refused by the photo check (422)."""
    url = f"/v1/stations/{station_id}/photos"
    auth = env.auth("admin")
    body, headers = multipart(small_jpeg() + b"\x00" * (MAX_PHOTO_BYTES + 100_000))
    declared = env.client.post(url, content=body, headers=auth | headers)
    assert "10 MiB" in assert_problem(declared, 413)["detail"]
    streamed = env.client.post(url, content=iter([body]), headers=auth | headers)
    assert "content-length" not in {k.lower() for k in streamed.request.headers}
    assert "10 MiB" in assert_problem(streamed, 413)["detail"]
    jpeg = small_jpeg()
    body, headers = multipart(jpeg + b"\x00" * (MAX_PHOTO_BYTES + 1 - len(jpeg)))
    over = env.client.post(url, content=body, headers=auth | headers)
    assert "10,485,761 bytes" in assert_problem(over, 422, "file")["detail"]
    assert listed(env, station_id) == []


def big_jpeg() -> bytes:
    """A real photo's size: incompressible pixels, about 1.7 MB."""
    size = (1400, 1000)
    noise = Image.frombytes("RGB", size, random.Random(5).randbytes(size[0] * size[1] * 3))
    return encode(noise, "JPEG", quality=95)


def test_the_big_photo_is_over_1_mib() -> None:
    assert 1 << 20 < len(big_jpeg()) < MAX_PHOTO_BYTES


def test_a_photo_over_1_mib_is_taken(env: AdminEnv, station_id: str) -> None:
    response = upload(env, station_id, big_jpeg())
    assert response.status_code == 201, response.text


# -- OpenAPI ------------------------------------------------------------------------------------


def test_the_routes_are_documented(env: AdminEnv) -> None:
    paths = env.client.get("/openapi.json").json()["paths"]
    upload_op = paths["/v1/stations/{station_id}/photos"]["post"]
    assert upload_op["operationId"] == "uploadStationPhoto"
    form = upload_op["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert form["required"] == ["file"]
    assert form["properties"]["file"] == form["properties"]["file"] | {
        "type": "string",
        "format": "binary",
    }
    assert {"201", "401", "403", "404", "413", "415", "422"} <= set(upload_op["responses"])
    assert upload_op["security"] == [{"bearer": []}]
    operations = {
        ("/v1/stations/{station_id}/photos", "get"): "listStationPhotos",
        ("/v1/photos/{photo_id}", "get"): "getPhoto",
        ("/v1/photos/{photo_id}/thumbnail", "get"): "getPhotoThumbnail",
        ("/v1/photos/{photo_id}", "delete"): "deletePhoto",
    }
    for (path, method), operation_id in operations.items():
        operation = paths[path][method]
        assert operation["operationId"] == operation_id
        assert "404" in operation["responses"]
        assert ("security" in operation) == (method == "delete")
    image = paths["/v1/photos/{photo_id}"]["get"]["responses"]
    assert "image/jpeg" in image["200"]["content"]
    assert "304" in image
