"""The file formats an import reads: CSV, GeoJSON and Excel ``.xlsx``, by the file name's
suffix.

Each format's reader (``csv_rows``, ``geojson_rows``, ``xlsx_rows``) turns a file's bytes into
raw rows (``rows.RawRow``: field name → value as found in the file), numbered as a person would
find them: the CSV line, the GeoJSON feature, the Excel row. A file that cannot be read at all,
or passes a limit of ``stations.files.limits`` (stations, columns, characters in a cell, JSON
nesting), raises ImportFileError.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Final

from stations.errors import ImportFileError
from stations.files.csv_rows import csv_rows
from stations.files.geojson_rows import geojson_rows
from stations.files.limits import Cancelled
from stations.files.rows import RawRow

#: File suffixes an import reads, lower case.
SUFFIXES: Final = (".csv", ".geojson", ".json", ".xlsx")


def read_rows(path: Path) -> Iterator[RawRow]:
    """Raw rows of a CSV, GeoJSON or .xlsx file, numbered as a person would find them."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ImportFileError(f"cannot read {path}: {exc.strerror}") from exc
    return parse_rows(data, path.name)


def parse_rows(data: bytes, filename: str, cancelled: Cancelled | None = None) -> Iterator[RawRow]:
    """Raw rows of ``data``, whose format is named by the suffix of ``filename``. Reading an
    .xlsx workbook stops with ImportCancelled once ``cancelled()`` is true; the other formats
    are parsed whole before their first row (within a second for the largest)."""
    suffix = Path(filename).suffix.lower()
    if suffix == ".csv":
        return csv_rows(data)
    if suffix in (".geojson", ".json"):
        return geojson_rows(data)
    if suffix == ".xlsx":
        # The workbook reader (and openpyxl's helpers it uses) loads with the first workbook:
        # a serving process that is never sent one never holds them.
        from stations.files.xlsx_rows import xlsx_rows

        return xlsx_rows(data, cancelled)
    raise ImportFileError(
        f"{filename}: unknown file type {suffix!r}; use .csv, .geojson (or .json) or .xlsx"
    )
