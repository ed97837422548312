"""The zip of an ``.xlsx`` workbook, checked from its directory before anything is unpacked:
how many parts, how large each unpacks, how much larger than it is stored, how large in all."""

from __future__ import annotations

import io
import struct
import zipfile
from typing import Final

from stations.errors import ImportFileError
from stations.files.limits import (
    MAX_XLSX_DIRECTORY_BYTES,
    MAX_XLSX_PART_BYTES,
    MAX_XLSX_PARTS,
    MAX_XLSX_RATIO,
    MAX_XLSX_TOTAL_BYTES,
    XLSX_RATIO_FROM_BYTES,
)

#: What a message tells the person whose file is not a workbook an import can read.
SAVE_AGAIN: Final = "save it again from Excel or WPS as .xlsx, or export it as CSV (UTF-8)"
_MIB: Final = 1 << 20


def open_archive(data: bytes) -> zipfile.ZipFile:
    """The workbook's zip, its directory checked; the caller closes it."""
    _check_directory(data)
    archive = zipfile.ZipFile(io.BytesIO(data))
    try:
        _check_parts(archive.infolist())
    except ImportFileError:
        archive.close()
        raise
    return archive


def mib(size: int) -> str:
    """``size`` bytes in MiB, as a message shows them."""
    return f"{size / _MIB:,.0f} MiB" if size >= 10 * _MIB else f"{size / _MIB:.1f} MiB"


def _check_directory(data: bytes) -> None:
    """Refuse a zip directory too big to read: zipfile builds an object for every entry."""
    end = data.rfind(b"PK\x05\x06", max(0, len(data) - 22 - 0xFFFF))
    if end < 0 or len(data) < end + 22:
        return  # not a zip: zipfile says so
    entries, size = struct.unpack_from("<HI", data, end + 10)
    # A ZIP64 end record sits 56 bytes before its 20-byte locator, which zipfile then trusts.
    locator, record = end - 20, end - 76
    zip64 = data[locator : locator + 4] == b"PK\x06\x07"
    if record >= 0 and zip64 and data[record : record + 4] == b"PK\x06\x06":
        entries, size = struct.unpack_from("<QQ", data, record + 32)
    if entries > MAX_XLSX_PARTS or size > MAX_XLSX_DIRECTORY_BYTES:
        raise _too_many_parts(entries)


def _check_parts(parts: list[zipfile.ZipInfo]) -> None:
    """Sizes and compression ratios from the zip directory, before anything is unpacked
    (zipfile never unpacks more than the directory declares)."""
    if len(parts) > MAX_XLSX_PARTS:
        raise _too_many_parts(len(parts))
    for part in parts:
        if part.file_size > MAX_XLSX_PART_BYTES:
            raise ImportFileError(
                f"{part.filename} in the .xlsx file unpacks to {mib(part.file_size)}; an import "
                f"reads at most {mib(MAX_XLSX_PART_BYTES)} per part (the sheet "
                "of 250,000 stations is about 180 MiB): split the workbook, or export the "
                "sheet as CSV (UTF-8)"
            )
        if (
            part.file_size > XLSX_RATIO_FROM_BYTES
            and part.file_size > MAX_XLSX_RATIO * part.compress_size
        ):
            ratio = part.file_size / max(part.compress_size, 1)
            raise ImportFileError(
                f"{part.filename} in the .xlsx file unpacks {ratio:,.0f} times larger than it "
                f"is stored; a workbook's parts unpack at most {MAX_XLSX_RATIO} times larger "
                f"(a zip bomb unpacks ~1,000 times larger): {SAVE_AGAIN}"
            )
    total = sum(part.file_size for part in parts)
    if total > MAX_XLSX_TOTAL_BYTES:
        raise ImportFileError(
            f"the .xlsx file unpacks to {mib(total)}; an import reads at most "
            f"{mib(MAX_XLSX_TOTAL_BYTES)}: delete the sheets and pictures the stations do not "
            "need, or export the station sheet as CSV (UTF-8)"
        )


def _too_many_parts(count: int) -> ImportFileError:
    return ImportFileError(
        f"the .xlsx file has {count:,} parts; a workbook has a few dozen and an import reads "
        f"at most {MAX_XLSX_PARTS:,}: {SAVE_AGAIN}"
    )
