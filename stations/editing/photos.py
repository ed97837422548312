"""Station photos: check an upload and re-encode it as clean JPEGs (a photo and a thumbnail).

A pure, CPU-bound, synchronous function: no storage and no HTTP. The API runs it in a thread.

Every upload is decoded and re-encoded, never passed through, so what we store holds only pixels:
no EXIF (GPS position, camera serial), no ICC profile, no XMP, no IPTC, no comment and nothing
appended after the image (an HTML/JPEG polyglot loses its script). EXIF is read first for the two
things we keep: the orientation (applied to the pixels) and the time the photo was taken.

Decompression bombs are refused from the header's width and height, before any pixel is decoded.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import re
import struct
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import TYPE_CHECKING, Final
from zoneinfo import ZoneInfo

from stations.errors import InvalidInput, Problem, UnsupportedMediaType

if TYPE_CHECKING:
    from PIL import Image

MAX_PHOTO_BYTES: Final = 10 * 1024 * 1024
MAX_SIDE_PX: Final = 2048  # longest side of the stored photo
THUMB_SIDE_PX: Final = 320  # longest side of the thumbnail
# Decoded pixels we are willing to hold. A genuine photo that fits in 10 MB is at most about
# 40 MP (camera JPEGs at usable quality take >= ~0.25 byte a pixel), and 40 MP is 120 MB as RGB,
# 160 MB as RGBA, held a few times over while converting: a bounded cost per concurrent upload.
# It is stricter than Pillow's own guard (warning at ~89 MP, error at ~179 MP), which stays on as
# a second line. A 10 MB PNG or WebP can declare 1 Gpx, so the bound is on pixels, not bytes.
MAX_PIXELS: Final = 40_000_000

JPEG_QUALITY: Final = 85
THUMB_QUALITY: Final = 80

TAKEN_AT_ZONE: Final = ZoneInfo("Asia/Shanghai")  # a naive EXIF time is a time on the phone's clock
EARLIEST_TAKEN_AT: Final = datetime(1990, 1, 1, tzinfo=UTC)
TAKEN_AT_FUTURE_SLACK: Final = timedelta(days=1)

_EXIF_IFD: Final = 0x8769
_DATETIME_ORIGINAL: Final = 36867
_OFFSET_TIME_ORIGINAL: Final = 36881

_MIME_BY_FORMAT: Final = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
_NAME_BY_FORMAT: Final = {"JPEG": "JPEG", "PNG": "PNG", "WEBP": "WebP"}
_FORMAT_BY_MIME: Final = {mime: fmt for fmt, mime in _MIME_BY_FORMAT.items()}
_SNIFF_MIMES: Final = frozenset({"", "application/octet-stream"})  # "we don't know": sniff
_ACCEPTED: Final = "a JPEG, PNG or WebP photo (image/jpeg, image/png or image/webp)"
_RESIZE_HINT: Final = f"Resize it (e.g. to {MAX_SIDE_PX} px on its longest side) and upload again"

# What Pillow raises for a file it cannot decode (UnidentifiedImageError is an OSError).
_DECODE_ERRORS: Final = (OSError, SyntaxError, ValueError, struct.error, EOFError)
_EXIF_ERRORS: Final = (*_DECODE_ERRORS, KeyError, IndexError, TypeError)

_WHITE: Final = (255, 255, 255)
_ALPHA_MODES: Final = frozenset({"RGBA", "LA", "PA", "RGBa", "La"})
_SIXTEEN_BIT_GRAY: Final = frozenset({"I", "I;16", "I;16L", "I;16B", "I;16N"})

_EXIF_DATETIME: Final = re.compile(  # "2024:05:01 14:30:00"; some writers use dashes or a T
    r"\s*(\d{4})[:-](\d{2})[:-](\d{2})[ T](\d{2}):(\d{2}):(\d{2})\s*"
)
_EXIF_OFFSET: Final = re.compile(r"\s*([+-])(\d{2}):(\d{2})\s*")


@dataclass(frozen=True, slots=True)
class PhotoFiles:
    """An accepted photo, re-encoded: the stored image and its thumbnail, both metadata-free."""

    image: bytes  # re-encoded JPEG, longest side <= MAX_SIDE_PX (never upscaled)
    width: int
    height: int
    thumbnail: bytes  # re-encoded JPEG, longest side <= THUMB_SIDE_PX
    thumb_width: int
    thumb_height: int
    taken_at: datetime | None  # aware, UTC; from EXIF DateTimeOriginal when plausible
    sha256: str  # hex sha256 of `image` (used as ETag)
    content_type: str = "image/jpeg"


def process_photo(data: bytes, content_type: str | None) -> PhotoFiles:
    """Check an uploaded photo and return it re-encoded, upright and stripped of metadata.

    ``content_type`` is the declared type; ``None`` or ``application/octet-stream`` means "look
    at the bytes". Raises ``UnsupportedMediaType`` for a type we do not take (declared or
    sniffed) and ``InvalidInput`` for anything else wrong with the file; both name ``file``.
    """
    # Pillow loads with the first photo: a serving process that gets none never holds it.
    from PIL import Image, ImageOps

    mime = _media_type(content_type)
    declared = _declared_format(mime)
    if not data:
        raise _invalid("is empty")
    if len(data) > MAX_PHOTO_BYTES:
        raise _invalid(
            f"is {len(data):,} bytes; the limit is {MAX_PHOTO_BYTES:,} bytes (10 MB). "
            "Resize or recompress the photo and upload it again"
        )
    sniffed = _sniff(data)
    if declared is not None and declared != sniffed:
        raise _invalid(
            f"is a {_NAME_BY_FORMAT[sniffed]} image but was sent as {mime}; send it as "
            f"{_MIME_BY_FORMAT[sniffed]} (or application/octet-stream)"
        )
    kind = _NAME_BY_FORMAT[sniffed]
    if sniffed == "WEBP" and (canvas := _webp_canvas(data)) is not None:
        _check_pixels(*canvas)  # libwebp allocates the canvas as soon as Image.open runs

    with warnings.catch_warnings():
        # Pillow's own bomb guard warns before it raises; make the warning refuse too. (The
        # filter list is process-wide: a thread running alongside may lose or see this filter
        # for a moment. Harmless: _check_pixels is stricter than Pillow's warning threshold.)
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data), formats=list(_MIME_BY_FORMAT)) as src:
                _check_pixels(*src.size)  # from the header: no pixel decoded yet
                # Pillow returns an MPO (a JPEG with extra frames) for some camera JPEGs.
                if ("JPEG" if src.format == "MPO" else src.format) != sniffed:
                    raise _damaged(kind)  # Pillow disagrees with the magic bytes
                if sniffed == "JPEG":
                    # libjpeg decodes at 1/2, 1/4 or 1/8 scale while staying >= MAX_SIDE_PX on
                    # both sides: less memory and time for big photos, nothing lost in the output.
                    src.draft(None, (MAX_SIDE_PX, MAX_SIDE_PX))
                src.load()  # the first frame of an animation; truncation raises here
                taken_at, oriented = _read_exif(src)
                if oriented:
                    ImageOps.exif_transpose(src, in_place=True)
                photo = _to_rgb(src)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise _invalid(
                f"has more than {MAX_PIXELS:,} pixels, the limit. {_RESIZE_HINT}"
            ) from exc
        except _DECODE_ERRORS as exc:
            raise _damaged(kind) from exc

    photo.thumbnail((MAX_SIDE_PX, MAX_SIDE_PX), Image.Resampling.LANCZOS)
    thumb = photo.copy()
    thumb.thumbnail((THUMB_SIDE_PX, THUMB_SIDE_PX), Image.Resampling.LANCZOS)
    image = _encode_jpeg(photo, JPEG_QUALITY)
    return PhotoFiles(
        image=image,
        width=photo.width,
        height=photo.height,
        thumbnail=_encode_jpeg(thumb, THUMB_QUALITY),
        thumb_width=thumb.width,
        thumb_height=thumb.height,
        taken_at=taken_at,
        sha256=hashlib.sha256(image).hexdigest(),
    )


def _invalid(reason: str) -> InvalidInput:
    return InvalidInput([Problem("file", reason)])


def _unsupported(reason: str) -> UnsupportedMediaType:
    return UnsupportedMediaType([Problem("file", reason)])


def _damaged(kind: str) -> InvalidInput:
    return _invalid(
        f"is damaged or truncated: it cannot be decoded as a {kind} image. "
        "Upload the original file again"
    )


def _media_type(content_type: str | None) -> str:
    """The declared media type without parameters, lower case, cut short for messages."""
    return (content_type or "").partition(";")[0].strip().lower()[:100]


def _declared_format(mime: str) -> str | None:
    """The Pillow format a declared media type names; None to sniff; 415 for anything else."""
    if mime in _SNIFF_MIMES:
        return None
    if mime in _FORMAT_BY_MIME:
        return _FORMAT_BY_MIME[mime]
    raise _unsupported(f"was sent as {mime}; upload {_ACCEPTED}")


def _sniff(data: bytes) -> str:
    """The format the magic bytes say (JPEG, PNG or WEBP); 415 for anything else."""
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    raise _unsupported(f"is not a JPEG, PNG or WebP image ({_describe(data)}); upload {_ACCEPTED}")


def _describe(data: bytes) -> str:
    """What an unsupported file looks like, for the message; a guess, never a decision."""
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "it is a GIF"
    if data[4:8] == b"ftyp":
        brand = data[8:12]
        if brand in (b"avif", b"avis"):
            return "it is an AVIF image"
        if brand in (b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"):
            return "it is a HEIC/HEIF image; set the camera to save JPEG, or export it as JPEG"
        return "it is a video or another ISO media file"
    if data.startswith(b"BM"):
        return "it is a BMP"
    if data.startswith((b"II*\x00", b"MM\x00*")):
        return "it is a TIFF"
    if data.startswith(b"%PDF-"):
        return "it is a PDF"
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if b"<svg" in head:
        return "it is an SVG drawing"
    if head.startswith((b"<!doctype html", b"<html", b"<head", b"<body", b"<script")):
        return "it is an HTML page"
    try:  # incremental: a character cut at byte 1024 is not an error
        text = codecs.getincrementaldecoder("utf-8")().decode(data[:1024], final=False)
    except UnicodeDecodeError:
        return "its format is not recognised"
    if text.strip() and all(char.isprintable() or char in "\t\r\n" for char in text):
        return "it is text"
    return "its format is not recognised"


def _check_pixels(width: int, height: int) -> None:
    if width * height > MAX_PIXELS:
        raise _invalid(
            f"is {width}×{height} = {width * height:,} pixels; the limit is {MAX_PIXELS:,} "
            f"pixels. {_RESIZE_HINT}"
        )


def _webp_canvas(data: bytes) -> tuple[int, int] | None:
    """The size a WebP header declares (lossy, lossless or extended); None if it is unreadable."""
    chunk = data[12:16]
    if chunk == b"VP8X" and len(data) >= 30:
        return _uint(data[24:27]) + 1, _uint(data[27:30]) + 1
    if chunk == b"VP8L" and len(data) >= 25 and data[20] == 0x2F:
        bits = _uint(data[21:25])
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8 " and len(data) >= 30 and data[23:26] == b"\x9d\x01\x2a":
        return _uint(data[26:28]) & 0x3FFF, _uint(data[28:30]) & 0x3FFF
    return None


def _uint(little_endian: bytes) -> int:
    return int.from_bytes(little_endian, "little")


def _read_exif(img: Image.Image) -> tuple[datetime | None, bool]:
    """(when the photo was taken, whether an EXIF orientation needs applying)."""
    try:
        exif = img.getexif()
        orientation = exif.get(0x0112, 1)
        exif_ifd = exif.get_ifd(_EXIF_IFD)
    except _EXIF_ERRORS:
        return None, False  # unreadable metadata: keep the pixels as stored
    taken_at = _taken_at(exif_ifd.get(_DATETIME_ORIGINAL), exif_ifd.get(_OFFSET_TIME_ORIGINAL))
    return taken_at, orientation in (2, 3, 4, 5, 6, 7, 8)


def _taken_at(raw_time: object, raw_offset: object) -> datetime | None:
    """EXIF DateTimeOriginal (with OffsetTimeOriginal if usable) as UTC; None if implausible."""
    match = _EXIF_DATETIME.fullmatch(_exif_text(raw_time))
    if match is None:
        return None
    try:
        year, month, day, hour, minute, second = (int(part) for part in match.groups())
        naive = datetime(year, month, day, hour, minute, second)
    except ValueError:
        return None
    zone = _exif_offset(_exif_text(raw_offset)) or TAKEN_AT_ZONE
    taken = naive.replace(tzinfo=zone).astimezone(UTC)
    if taken < EARLIEST_TAKEN_AT or taken > datetime.now(UTC) + TAKEN_AT_FUTURE_SLACK:
        return None
    return taken


def _exif_text(value: object) -> str:
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    return value.strip("\x00") if isinstance(value, str) else ""


def _exif_offset(text: str) -> tzinfo | None:
    """An EXIF OffsetTime ("+08:00"); None when absent or not a real UTC offset."""
    match = _EXIF_OFFSET.fullmatch(text)
    if match is None:
        return None
    sign, hours, minutes = match.group(1), int(match.group(2)), int(match.group(3))
    if hours > 14 or minutes > 59:
        return None
    offset = timedelta(hours=hours, minutes=minutes)
    return timezone(-offset if sign == "-" else offset)


def _to_rgb(img: Image.Image) -> Image.Image:
    """A new RGB image with no ``info``: transparency composited on white, 16-bit gray scaled."""
    from PIL import Image

    if img.mode in _SIXTEEN_BIT_GRAY:
        # Pillow's convert clips 0..65535 to 0..255 (almost everything white); scale instead.
        # (A tRNS colour in a 16-bit gray PNG is ignored: such files are not photos.)
        rgb = img.convert("I").point(lambda v: v / 256, "L").convert("RGB")
    elif img.mode in _ALPHA_MODES or "transparency" in img.info:
        rgba = img.convert("RGBA")
        rgb = Image.new("RGB", rgba.size, _WHITE)
        rgb.paste(rgba, mask=rgba.getchannel("A"))
    else:
        rgb = img.convert("RGB")  # L, 1, P, CMYK, YCbCr, RGB (a copy)
    rgb.info = {}  # Pillow's JPEG writer would carry a "comment" over from info
    return rgb


def _encode_jpeg(img: Image.Image, quality: int) -> bytes:
    """Baseline JPEG with only the JFIF APP0 header: nothing that carries metadata is passed."""
    out = io.BytesIO()
    img.save(out, format="JPEG", quality=quality, optimize=True)
    return out.getvalue()
