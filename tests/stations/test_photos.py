"""The photo pipeline: what comes out is an upright, downscaled, metadata-free JPEG, and what
goes in is refused with a reason when it is not a JPEG, PNG or WebP photo we can afford to decode.

Every fixture is made here with Pillow (no binary files). The outputs are checked by an
independent reader where one is small enough to write: a JPEG marker walker that lists the
segments before the scan, and the fixtures' own headers are read back the same way."""

from __future__ import annotations

import hashlib
import io
import random
import time
import tracemalloc
import warnings
import zlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from PIL import Image, ImageCms, ImageFile

from stations.editing.photos import (
    MAX_PHOTO_BYTES,
    MAX_PIXELS,
    MAX_SIDE_PX,
    THUMB_SIDE_PX,
    PhotoFiles,
    process_photo,
)
from stations.errors import InvalidInput, Problem, UnsupportedMediaType

SHANGHAI = ZoneInfo("Asia/Shanghai")
SOI, SOS, EOI = 0xD8, 0xDA, 0xD9
APP0, APP1, APP2, APP13, APP14, COM = 0xE0, 0xE1, 0xE2, 0xED, 0xEE, 0xFE
METADATA_MARKERS = {APP1, APP2, APP13, COM}  # EXIF/XMP, ICC, IPTC, comment
EXIF_IFD, GPS_IFD = 0x8769, 0x8825
DATETIME_ORIGINAL, OFFSET_TIME_ORIGINAL, ORIENTATION = 36867, 36881, 0x0112
SCRIPT = b"<script>alert(1)</script>"


# --- an independent JPEG reader ------------------------------------------------------------


def jpeg_segments(data: bytes) -> list[tuple[int, int]]:
    """(marker, offset of its length field) for each segment from SOI up to SOS included."""
    assert data[:2] == b"\xff\xd8", "no SOI"
    segments: list[tuple[int, int]] = []
    at = 2
    while True:
        assert data[at] == 0xFF, f"no marker at byte {at}"
        while data[at] == 0xFF:  # fill bytes may precede a marker
            at += 1
        marker = data[at]
        at += 1
        segments.append((marker, at))
        if marker == SOS:
            return segments
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:  # standalone: no length
            continue
        at += int.from_bytes(data[at : at + 2], "big")
        assert at <= len(data), "segment runs past the end"


def jpeg_markers(data: bytes) -> list[int]:
    return [marker for marker, _ in jpeg_segments(data)]


def with_segment(jpeg: bytes, marker: int, payload: bytes) -> bytes:
    """The JPEG with one more segment right after SOI."""
    length = (len(payload) + 2).to_bytes(2, "big")
    return jpeg[:2] + bytes([0xFF, marker]) + length + payload + jpeg[2:]


def iptc_app13(caption: bytes) -> bytes:
    """A Photoshop APP13 payload holding one IPTC caption record."""
    record = b"\x1c\x02\x78" + len(caption).to_bytes(2, "big") + caption
    record += b"\x00" * (len(record) % 2)
    resource = b"8BIM" + (0x0404).to_bytes(2, "big") + b"\x00\x00"
    return b"Photoshop 3.0\x00" + resource + len(record).to_bytes(4, "big") + record


def assert_clean_jpeg(data: bytes) -> None:
    """Only JFIF APP0 and the coding segments: nothing that carries metadata, nothing after."""
    markers = jpeg_markers(data)
    assert markers[0] == APP0, markers
    assert not METADATA_MARKERS & set(markers), [hex(m) for m in markers]
    assert [m for m in markers if 0xE0 <= m <= 0xEF] == [APP0], [hex(m) for m in markers]
    assert data.endswith(b"\xff\xd9")
    with Image.open(io.BytesIO(data)) as img:
        assert img.format == "JPEG"
        assert img.mode == "RGB"
        assert not img.getexif()
        assert not {"exif", "icc_profile", "comment", "xmp", "photoshop"} & set(img.info)


# --- fixtures --------------------------------------------------------------------------------


def encode(img: Image.Image, fmt: str, **params: Any) -> bytes:
    out = io.BytesIO()
    img.save(out, format=fmt, **params)
    return out.getvalue()


def noise(size: tuple[int, int]) -> Image.Image:
    """Incompressible RGB content, so that a cut through the file cuts through pixels."""
    rng = random.Random(size[0] * 7919 + size[1])
    return Image.frombytes("RGB", size, rng.randbytes(size[0] * size[1] * 3))


def exif_with(
    taken: str | None = None, offset: str | None = None, orientation: int | None = None
) -> Image.Exif:
    exif = Image.Exif()
    if orientation is not None:
        exif[ORIENTATION] = orientation
    exif_ifd = exif.get_ifd(EXIF_IFD)
    if taken is not None:
        exif_ifd[DATETIME_ORIGINAL] = taken
    if offset is not None:
        exif_ifd[OFFSET_TIME_ORIGINAL] = offset
    return exif


def process(data: bytes, content_type: str | None = None) -> PhotoFiles:
    """process_photo, with the checks every accepted photo must pass."""
    files = process_photo(data, content_type)
    for blob, size in (
        (files.image, (files.width, files.height)),
        (files.thumbnail, (files.thumb_width, files.thumb_height)),
    ):
        assert_clean_jpeg(blob)
        with Image.open(io.BytesIO(blob)) as img:
            assert img.size == size
    assert max(files.width, files.height) <= MAX_SIDE_PX
    assert max(files.thumb_width, files.thumb_height) <= THUMB_SIDE_PX
    assert files.content_type == "image/jpeg"
    assert files.sha256 == hashlib.sha256(files.image).hexdigest()
    return files


def pixel(blob: bytes, xy: tuple[int, int]) -> tuple[int, ...]:
    with Image.open(io.BytesIO(blob)) as img:
        value = img.convert("RGB").getpixel(xy)
    assert isinstance(value, tuple)
    return value


def assert_close(actual: tuple[int, ...], expected: tuple[int, ...], tolerance: int = 12) -> None:
    assert all(abs(a - e) <= tolerance for a, e in zip(actual, expected, strict=True)), (
        actual,
        expected,
    )


def refused(data: bytes, content_type: str | None = None) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        process_photo(data, content_type)
    problems = caught.value.problems
    assert [p.field for p in problems] == ["file"]
    return caught.value


def refused_as_invalid(data: bytes, content_type: str | None = None) -> str:
    """The reason of an InvalidInput that is not an UnsupportedMediaType (a 422, not a 415)."""
    exc = refused(data, content_type)
    assert type(exc) is InvalidInput, type(exc)
    return exc.problems[0].reason


def refused_as_unsupported(data: bytes, content_type: str | None = None) -> str:
    exc = refused(data, content_type)
    assert isinstance(exc, UnsupportedMediaType)
    return exc.problems[0].reason


# --- metadata ---------------------------------------------------------------------------------


def test_every_kind_of_metadata_is_dropped_and_the_time_taken_is_kept() -> None:
    exif = exif_with("2024:05:01 14:30:00", "+08:00")
    exif[0x010F] = "MAKE-CANARY"
    gps = exif.get_ifd(GPS_IFD)
    gps.update({1: "N", 2: (31.0, 14.0, 12.5), 3: "E", 4: (121.0, 28.0, 1.25)})
    gps[18] = "GPS-CANARY"  # GPSMapDatum: bytes we can look for
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    jpeg = encode(
        noise((64, 48)),
        "JPEG",
        exif=exif,
        icc_profile=icc,
        comment=b"COM-CANARY",
        xmp=b'<x:xmpmeta xmlns:x="adobe:ns:meta/">XMP-CANARY</x:xmpmeta>',
    )
    jpeg = with_segment(jpeg, APP13, iptc_app13(b"IPTC-CANARY"))

    # The fixture has what we claim it has.
    assert set(jpeg_markers(jpeg)) >= METADATA_MARKERS
    canaries = [b"MAKE-CANARY", b"GPS-CANARY", b"COM-CANARY", b"XMP-CANARY", b"IPTC-CANARY"]
    assert all(canary in jpeg for canary in canaries)
    assert icc[-32:] in jpeg
    with Image.open(io.BytesIO(jpeg)) as src:
        assert src.getexif().get_ifd(GPS_IFD)[2] == (31.0, 14.0, 12.5)

    files = process(jpeg, "image/jpeg")
    for blob in (files.image, files.thumbnail):
        assert not [canary for canary in canaries if canary in blob]
        assert icc[-32:] not in blob
        assert b"Exif\x00" not in blob
    assert files.taken_at == datetime(2024, 5, 1, 6, 30, tzinfo=UTC)
    assert files.taken_at.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    ("taken", "offset", "expected"),
    [
        ("2024:05:01 14:30:00", "+08:00", datetime(2024, 5, 1, 6, 30, tzinfo=UTC)),
        ("2024:05:01 14:30:00", None, datetime(2024, 5, 1, 6, 30, tzinfo=UTC)),  # Shanghai
        ("2024:05:01 14:30:00", "-05:00", datetime(2024, 5, 1, 19, 30, tzinfo=UTC)),
        ("2024:05:01 14:30:00", "+05:45", datetime(2024, 5, 1, 8, 45, tzinfo=UTC)),
        ("2024:05:01 14:30:00", "  :  ", datetime(2024, 5, 1, 6, 30, tzinfo=UTC)),  # blank
        ("2024:05:01 14:30:00", "+25:00", datetime(2024, 5, 1, 6, 30, tzinfo=UTC)),  # no zone
        ("2024-05-01 14:30:00", None, datetime(2024, 5, 1, 6, 30, tzinfo=UTC)),
        ("1990:01:01 08:00:00", None, datetime(1990, 1, 1, tzinfo=UTC)),  # the earliest
        ("1990:01:01 07:59:59", None, None),  # 1989 in UTC
        ("1985:06:01 12:00:00", None, None),
        ("2999:01:01 00:00:00", None, None),
        ("2024:02:30 10:00:00", None, None),
        ("2024:05:01 24:00:00", None, None),
        ("    :  :     :  :  ", None, None),  # what some cameras write without a clock
        ("yesterday", None, None),
        ("", None, None),
        (None, "+08:00", None),
    ],
)
def test_taken_at(taken: str | None, offset: str | None, expected: datetime | None) -> None:
    files = process(encode(noise((16, 16)), "JPEG", exif=exif_with(taken, offset)))
    assert files.taken_at == expected
    if files.taken_at is not None:
        assert files.taken_at.tzinfo is not None


def test_no_exif_means_no_time_taken() -> None:
    assert process(encode(noise((16, 16)), "JPEG")).taken_at is None


def test_taken_at_up_to_a_day_ahead_of_the_clock_is_kept_and_further_is_not() -> None:
    soon = (datetime.now(SHANGHAI) + timedelta(hours=12)).replace(microsecond=0, tzinfo=None)
    later = soon + timedelta(days=2)
    for when, expected in ((soon, soon.replace(tzinfo=SHANGHAI)), (later, None)):
        exif = exif_with(when.strftime("%Y:%m:%d %H:%M:%S"))
        assert process(encode(noise((16, 16)), "JPEG", exif=exif)).taken_at == expected


def test_taken_at_from_a_png_exif_chunk() -> None:
    png = encode(noise((16, 16)), "PNG", exif=exif_with("2023:12:31 23:59:59").tobytes())
    assert b"eXIf" in png
    assert process(png).taken_at == datetime(2023, 12, 31, 15, 59, 59, tzinfo=UTC)


# --- orientation and size ---------------------------------------------------------------------


def halves(size: tuple[int, int], left: str, right: str) -> Image.Image:
    img = Image.new("RGB", size, left)
    img.paste(right, (size[0] // 2, 0, size[0], size[1]))
    return img


def test_exif_orientation_is_applied_to_the_pixels() -> None:
    # Stored 400×200, red on the left; orientation 6 says "turn 90° clockwise to view".
    jpeg = encode(halves((400, 200), "red", "blue"), "JPEG", exif=exif_with(orientation=6))
    files = process(jpeg)
    assert (files.width, files.height) == (200, 400)
    assert (files.thumb_width, files.thumb_height) == (160, 320)
    assert_close(pixel(files.image, (100, 50)), (255, 0, 0), tolerance=40)  # left is now top
    assert_close(pixel(files.image, (100, 350)), (0, 0, 255), tolerance=40)


@pytest.mark.parametrize(
    ("size", "expected", "thumb"),
    [
        ((4000, 3000), (2048, 1536), (320, 240)),
        ((3000, 4000), (1536, 2048), (240, 320)),
        ((6000, 4500), (2048, 1536), (320, 240)),  # JPEG decoded at half scale (draft)
        ((2048, 1024), (2048, 1024), (320, 160)),
        ((100, 50), (100, 50), (100, 50)),  # never upscaled
        ((1, 1), (1, 1), (1, 1)),
    ],
)
def test_downscaled_to_fit_never_upscaled(
    size: tuple[int, int], expected: tuple[int, int], thumb: tuple[int, int]
) -> None:
    files = process(encode(Image.new("RGB", size, (30, 120, 200)), "JPEG"))
    assert (files.width, files.height) == expected
    assert (files.thumb_width, files.thumb_height) == thumb
    assert_close(pixel(files.image, (0, 0)), (30, 120, 200), tolerance=6)


def test_sha256_is_of_the_image() -> None:
    files = process_photo(encode(noise((40, 30)), "PNG"), "image/png")
    assert files.sha256 == hashlib.sha256(files.image).hexdigest()
    assert len(files.sha256) == 64


def test_same_input_same_output() -> None:
    data = encode(noise((40, 30)), "JPEG")
    assert process_photo(data, None) == process_photo(data, "image/jpeg")


# --- modes and formats ------------------------------------------------------------------------


def rgba_png() -> bytes:
    img = Image.new("RGBA", (20, 10), (255, 0, 0, 0))  # left: fully transparent red
    img.paste((0, 160, 0, 255), (10, 0, 20, 10))  # right: opaque green
    return encode(img, "PNG")


def palette_png() -> bytes:
    img = Image.new("P", (20, 10), 0)
    img.putpalette([255, 0, 0, 0, 0, 255])
    img.paste(1, (10, 0, 20, 10))
    return encode(img, "PNG", transparency=0)  # index 0 (red) is transparent


def gray16_png() -> bytes:
    png = encode(Image.new("I;16", (20, 10), 40000), "PNG")
    assert png[24] == 16  # IHDR bit depth: really 16-bit
    return png


def animated(fmt: str) -> bytes:
    frames = [Image.new("RGB", (20, 10), colour) for colour in ("red", "blue", "lime")]
    data = encode(frames[0], fmt, save_all=True, append_images=frames[1:], duration=100)
    with Image.open(io.BytesIO(data)) as img:
        assert getattr(img, "n_frames", 1) == 3
    return data


def webp_with_alpha() -> bytes:
    img = Image.new("RGBA", (20, 10), (0, 0, 255, 0))
    img.paste((0, 0, 255, 255), (10, 0, 20, 10))
    return encode(img, "WEBP", lossless=True)


# (name, data, [(pixel, expected colour)]); left half is x=2, right half x=17.
LEFT, RIGHT = (2, 5), (17, 5)
WHITE, RED, BLUE = (255, 255, 255), (255, 0, 0), (0, 0, 255)
MODES: list[tuple[str, Callable[[], bytes], list[tuple[tuple[int, int], tuple[int, ...]]]]] = [
    ("PNG RGBA", rgba_png, [(LEFT, WHITE), (RIGHT, (0, 160, 0))]),
    (
        "PNG half alpha",
        lambda: encode(Image.new("RGBA", (20, 10), (255, 0, 0, 128)), "PNG"),
        [
            (LEFT, (255, 127, 127))  # blended on white, not the alpha dropped (that would be red)
        ],
    ),
    ("PNG P+tRNS", palette_png, [(LEFT, WHITE), (RIGHT, BLUE)]),
    ("PNG LA", lambda: encode(Image.new("LA", (20, 10), (0, 0)), "PNG"), [(LEFT, WHITE)]),
    ("PNG 16-bit gray", gray16_png, [(LEFT, (156, 156, 156))]),  # 40000/256, not clipped
    ("PNG 1-bit", lambda: encode(Image.new("1", (20, 10), 1), "PNG"), [(LEFT, WHITE)]),
    ("PNG RGB", lambda: encode(halves((20, 10), "red", "blue"), "PNG"), [(LEFT, RED)]),
    ("JPEG L", lambda: encode(Image.new("L", (20, 10), 90), "JPEG"), [(LEFT, (90, 90, 90))]),
    (
        "JPEG CMYK",
        lambda: encode(Image.new("CMYK", (20, 10), (0, 255, 255, 0)), "JPEG"),
        [(LEFT, RED)],
    ),
    ("WebP lossy", lambda: encode(halves((20, 10), "red", "blue"), "WEBP"), [(RIGHT, BLUE)]),
    ("WebP alpha", webp_with_alpha, [(LEFT, WHITE), (RIGHT, BLUE)]),
    ("WebP animated", lambda: animated("WEBP"), [(LEFT, RED), (RIGHT, RED)]),
    ("APNG", lambda: animated("PNG"), [(LEFT, RED), (RIGHT, RED)]),
    ("MPO", lambda: animated("MPO"), [(LEFT, RED), (RIGHT, RED)]),
]


@pytest.mark.parametrize(("name", "make", "expected"), MODES, ids=[m[0] for m in MODES])
def test_every_mode_becomes_an_rgb_jpeg(
    name: str,
    make: Callable[[], bytes],
    expected: list[tuple[tuple[int, int], tuple[int, ...]]],
) -> None:
    files = process(make())
    assert (files.width, files.height) == (20, 10)
    for xy, colour in expected:
        assert_close(pixel(files.image, xy), colour, tolerance=20)


@pytest.mark.parametrize(
    ("fmt", "content_type"),
    [
        ("JPEG", "image/jpeg"),
        ("JPEG", "IMAGE/JPEG"),
        ("JPEG", "image/jpeg; charset=binary"),
        ("JPEG", "application/octet-stream"),
        ("JPEG", None),
        ("JPEG", ""),
        ("PNG", "image/png"),
        ("WEBP", "image/webp"),
        ("WEBP", None),
    ],
)
def test_declared_types_we_take(fmt: str, content_type: str | None) -> None:
    process(encode(noise((16, 16)), fmt), content_type)


# --- refused ----------------------------------------------------------------------------------


def test_empty() -> None:
    assert refused_as_invalid(b"", "image/jpeg") == "is empty"
    assert refused_as_invalid(b"", None) == "is empty"


def test_the_size_limit_is_exact() -> None:
    jpeg = encode(noise((16, 16)), "JPEG")
    process(jpeg + b"\x00" * (MAX_PHOTO_BYTES - len(jpeg)))  # exactly 10 MiB: taken
    reason = refused_as_invalid(jpeg + b"\x00" * (MAX_PHOTO_BYTES + 1 - len(jpeg)))
    assert "10,485,761 bytes" in reason
    assert "the limit is 10,485,760 bytes" in reason


def truncated(fmt: str, keep: float) -> bytes:
    data = encode(noise((200, 150)), fmt)
    return data[: int(len(data) * keep)]


@pytest.mark.parametrize(
    "data",
    [
        truncated("JPEG", 0.5),
        truncated("JPEG", 0.95),
        truncated("PNG", 0.5),
        truncated("WEBP", 0.5),
        encode(noise((200, 150)), "JPEG")[:40],  # the headers, cut
        b"\xff\xd8\xff",  # the magic alone
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 100,
        b"RIFF\x00\x00\x00\x00WEBPVP8 " + b"\x00" * 40,
    ],
    ids=["jpeg-half", "jpeg-95%", "png-half", "webp-half", "jpeg-head", "soi", "png", "webp"],
)
def test_damaged_or_truncated(data: bytes) -> None:
    reason = refused_as_invalid(data)
    assert "damaged or truncated" in reason
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False


SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>x</script></svg>'
HTML = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"


@pytest.mark.parametrize(
    ("data", "content_type", "says"),
    [
        (SVG, "image/svg+xml", "was sent as image/svg+xml"),
        (SVG, "image/png", "SVG"),  # the bytes decide: not an image we take at all
        (SVG, None, "SVG"),
        (b'<?xml version="1.0"?>\n' + SVG, "application/octet-stream", "SVG"),
        (HTML, "text/html", "was sent as text/html"),
        (HTML, "image/jpeg", "HTML"),
        (HTML, None, "HTML"),
        (encode(Image.new("P", (8, 8)), "GIF"), None, "GIF"),
        (encode(Image.new("P", (8, 8)), "GIF"), "image/gif", "was sent as image/gif"),
        (encode(Image.new("RGB", (8, 8)), "BMP"), "image/jpeg", "BMP"),
        (encode(Image.new("RGB", (8, 8)), "TIFF"), None, "TIFF"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", None, "HEIC"),
        (b"%PDF-1.7\n", None, "PDF"),
        (b"just some notes\nabout a station\n", "text/plain", "was sent as text/plain"),
        (b"just some notes\nabout a station\n", None, "it is text"),
        (random.Random(7).randbytes(4096), None, "not recognised"),
        (encode(noise((16, 16)), "JPEG"), "image/jpg", "was sent as image/jpg"),
    ],
    ids=[
        "svg-as-svg",
        "svg-as-png",
        "svg-sniffed",
        "svg-xml-octets",
        "html-as-html",
        "html-as-jpeg",
        "html-sniffed",
        "gif",
        "gif-as-gif",
        "bmp-as-jpeg",
        "tiff",
        "heic",
        "pdf",
        "text-as-text",
        "text",
        "random",
        "jpeg-as-image/jpg",
    ],
)
def test_unsupported_media_type(data: bytes, content_type: str | None, says: str) -> None:
    reason = refused_as_unsupported(data, content_type)
    assert says in reason
    assert "JPEG, PNG or WebP" in reason


def test_random_bytes_do_not_start_with_a_magic_we_take() -> None:
    data = random.Random(7).randbytes(4096)
    assert not data.startswith((b"\xff\xd8\xff", b"\x89PNG", b"RIFF"))


@pytest.mark.parametrize(
    ("fmt", "declared", "is_a"),
    [("JPEG", "image/png", "JPEG"), ("PNG", "image/webp", "PNG"), ("WEBP", "image/jpeg", "WebP")],
)
def test_declared_image_type_must_match_the_bytes(fmt: str, declared: str, is_a: str) -> None:
    reason = refused_as_invalid(encode(noise((16, 16)), fmt), declared)
    assert f"is a {is_a} image but was sent as {declared}" in reason


def test_html_jpeg_polyglot_is_taken_and_comes_out_inert() -> None:
    jpeg = encode(noise((64, 48)), "JPEG", comment=SCRIPT) + SCRIPT  # in COM and after EOI
    assert jpeg.count(SCRIPT) == 2
    assert COM in jpeg_markers(jpeg)
    files = process(jpeg, "image/jpeg")
    for blob in (files.image, files.thumbnail):
        assert b"<script" not in blob.lower()
        assert b"alert" not in blob


# --- decompression bombs ----------------------------------------------------------------------


def png_declaring(width: int, height: int) -> bytes:
    """A tiny PNG whose IHDR claims width×height (CRC fixed): only the header is believable."""
    png = encode(Image.new("L", (1, 1)), "PNG")
    assert png[12:16] == b"IHDR"
    ihdr = b"IHDR" + width.to_bytes(4, "big") + height.to_bytes(4, "big") + png[24:29]
    return png[:12] + ihdr + zlib.crc32(ihdr).to_bytes(4, "big") + png[33:]


def jpeg_declaring(width: int, height: int) -> bytes:
    """A small JPEG whose SOF0 claims width×height."""
    jpeg = bytearray(encode(noise((16, 16)), "JPEG"))
    (at,) = [at for marker, at in jpeg_segments(bytes(jpeg)) if marker == 0xC0]
    jpeg[at + 3 : at + 5] = height.to_bytes(2, "big")
    jpeg[at + 5 : at + 7] = width.to_bytes(2, "big")
    return bytes(jpeg)


def webp_declaring(width: int, height: int) -> bytes:
    """An animated WebP (so libwebp allows frames smaller than it) whose VP8X canvas is big."""
    webp = bytearray(animated("WEBP"))
    assert webp[12:16] == b"VP8X"
    webp[24:27] = (width - 1).to_bytes(3, "little")
    webp[27:30] = (height - 1).to_bytes(3, "little")
    return bytes(webp)


JUST_OVER = MAX_PIXELS // 4000 + 1  # 4000 × JUST_OVER > MAX_PIXELS >= 4000 × (JUST_OVER - 1)


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (png_declaring(4000, JUST_OVER), f"is 4000×{JUST_OVER} = "),  # our bound
        (png_declaring(10_000, 10_000), "has more than"),  # Pillow's warning, made an error
        (png_declaring(30_000, 30_000), "has more than"),  # Pillow's own error, at open
        (png_declaring(2**31 - 1, 2**31 - 1), "has more than"),
        (jpeg_declaring(4000, JUST_OVER), f"is 4000×{JUST_OVER} = "),
        (jpeg_declaring(65_000, 65_000), "has more than"),
        (webp_declaring(8000, 8000), "is 8000×8000 = 64,000,000 pixels"),  # before libwebp
        (webp_declaring(2**24, 2**24), "is 16777216×16777216"),
    ],
    ids=[
        "png-just-over",
        "png-100M",
        "png-900M",
        "png-max",
        "jpeg-just-over",
        "jpeg-4G",
        "webp-64M",
        "webp-max",
    ],
)
def test_decompression_bombs_are_refused_before_decoding(data: bytes, says: str) -> None:
    assert len(data) < 2000
    filters = list(warnings.filters)
    limit_before = Image.MAX_IMAGE_PIXELS
    stats = Image.core.get_stats()
    tracemalloc.start()
    started = time.perf_counter()
    try:
        reason = refused_as_invalid(data)
    finally:
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert says in reason
    assert f"{MAX_PIXELS:,} pixels" in reason
    assert "limit" in reason
    assert elapsed < 2
    assert peak < 64 * 2**20
    # tracemalloc does not see Pillow's pixel buffers (C malloc): count Pillow's blocks too.
    after = Image.core.get_stats()
    blocks = sum(after[k] - stats[k] for k in ("allocated_blocks", "reused_blocks"))
    assert blocks * Image.core.get_block_size() < 64 * 2**20
    # Nothing global was changed on the way.
    assert warnings.filters == filters
    assert limit_before == Image.MAX_IMAGE_PIXELS


def test_the_bomb_fixtures_declare_what_they_say() -> None:
    png = png_declaring(30_000, 30_000)
    assert int.from_bytes(png[16:20], "big") == 30_000
    assert zlib.crc32(png[12:29]) == int.from_bytes(png[29:33], "big")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        with Image.open(io.BytesIO(jpeg_declaring(4000, JUST_OVER))) as img:
            assert img.size == (4000, JUST_OVER)
        with Image.open(io.BytesIO(png_declaring(4000, JUST_OVER))) as img:
            assert img.size == (4000, JUST_OVER)


def test_a_photo_at_the_pixel_limit_is_taken() -> None:
    side = int(MAX_PIXELS**0.5)
    files = process(encode(Image.new("L", (side, side), 200), "PNG"))
    assert (files.width, files.height) == (MAX_SIDE_PX, MAX_SIDE_PX)


def test_the_errors_are_user_facing() -> None:
    exc = refused(b"")
    assert exc.problems == [Problem("file", "is empty")]
    assert str(exc) == "file: is empty"
