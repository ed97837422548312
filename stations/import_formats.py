"""The file formats an import reads (DESIGN.md §3): CSV, GeoJSON and Excel ``.xlsx``.

Each reader turns a file's bytes into raw rows (field name → value as found in the file),
numbered as a person would find them: the CSV line, the GeoJSON feature, the Excel row.
Nothing is validated here beyond the file's structure; ``stations.validation`` judges values.
A file that cannot be read at all raises ImportFileError.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from openpyxl.utils.cell import get_column_letter

from stations import xlsx
from stations.errors import ImportFileError
from stations.model import EDITABLE_FIELDS
from stations.validation import KNOWN_FIELDS

#: The import/export columns, in file order (DESIGN.md §3).
CSV_COLUMNS: Final = ("id", *EDITABLE_FIELDS)
#: File suffixes an import reads, lower case.
SUFFIXES: Final = (".csv", ".geojson", ".json", ".xlsx")
_REQUIRED_COLUMNS: Final = ("name", "kind", "lon", "lat", "district_code")
#: Pseudo-fields a reader sets when a row is broken before its fields can be read.
STRUCTURAL: Final = ("__row__", "__geometry__")


@dataclass(frozen=True, slots=True)
class RawRow:
    number: int
    values: Mapping[str, object]


def read_rows(path: Path) -> Iterator[RawRow]:
    """Raw rows of a CSV, GeoJSON or .xlsx file, numbered as a person would find them."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ImportFileError(f"cannot read {path}: {exc.strerror}") from exc
    return parse_rows(data, path.name)


def parse_rows(data: bytes, filename: str) -> Iterator[RawRow]:
    """Raw rows of ``data``, whose format is named by the suffix of ``filename``."""
    suffix = Path(filename).suffix.lower()
    if suffix == ".csv":
        return csv_rows(data)
    if suffix in (".geojson", ".json"):
        return geojson_rows(data)
    if suffix == ".xlsx":
        return xlsx_rows(data)
    raise ImportFileError(
        f"{filename}: unknown file type {suffix!r}; use .csv, .geojson (or .json) or .xlsx"
    )


def csv_rows(data: bytes) -> Iterator[RawRow]:
    """Rows of a UTF-8 CSV (a BOM is fine) with the import header; row numbers are the line
    numbers where each record starts (the header is line 1)."""
    text = _decode(data)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader)
    except StopIteration:
        raise ImportFileError("the CSV file is empty; expected a header row") from None
    except csv.Error as exc:
        raise ImportFileError(f"line 1: {exc}") from exc
    columns = [h.strip() for h in header]
    _check_header(columns)
    return _csv_records(reader, columns)


def _csv_records(reader: Iterator[list[str]], columns: list[str]) -> Iterator[RawRow]:
    line = 1
    while True:
        start = line + 1
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise ImportFileError(f"line {start}: {exc}") from exc
        line = reader.line_num  # type: ignore[attr-defined]
        if not record or all(not cell.strip() for cell in record):
            continue  # blank lines carry no station
        if len(record) != len(columns):
            values: dict[str, object] = {
                "__row__": f"has {len(record)} cells; the header has {len(columns)}"
            }
        else:
            values = dict(zip(columns, record, strict=True))
        yield RawRow(start, values)


def xlsx_rows(data: bytes) -> Iterator[RawRow]:
    """Rows of the first worksheet of an .xlsx workbook: the first non-blank row is the header
    (the CSV columns, in any order); row numbers are Excel's. Columns without a header are
    ignored while empty; a value in one makes its row a problem."""
    rows = xlsx.sheet_rows(data)
    try:
        header_row, header = next(rows)
    except StopIteration:
        raise ImportFileError("the first worksheet is empty; expected a header row") from None
    columns = [h.strip() for h in header]
    try:
        _check_header([c for c in columns if c])
    except ImportFileError as exc:
        raise ImportFileError(f"row {header_row}: {exc}") from None
    return _xlsx_records(rows, columns)


def _xlsx_records(rows: Iterator[tuple[int, list[str]]], columns: list[str]) -> Iterator[RawRow]:
    for number, cells in rows:
        yield RawRow(number, _xlsx_values(cells, columns))


def _xlsx_values(cells: list[str], columns: list[str]) -> dict[str, object]:
    values: dict[str, object] = dict.fromkeys((c for c in columns if c), "")
    for i, cell in enumerate(cells):
        name = columns[i] if i < len(columns) else ""
        if name:
            values[name] = cell
        elif cell.strip():
            where = get_column_letter(i + 1)
            return {"__row__": f"has a value in column {where}, which has no header"}
    return values


def _check_header(columns: list[str]) -> None:
    unknown = [c for c in columns if c not in KNOWN_FIELDS]
    missing = [c for c in _REQUIRED_COLUMNS if c not in columns]
    repeated = sorted({c for c in columns if columns.count(c) > 1})
    problems = []
    if unknown:
        problems.append(f"unknown column(s) {', '.join(map(repr, unknown))}")
    if missing:
        problems.append(f"missing column(s) {', '.join(missing)}")
    if repeated:
        problems.append(f"repeated column(s) {', '.join(repeated)}")
    if problems:
        raise ImportFileError(
            f"header: {'; '.join(problems)}. Expected the columns {','.join(CSV_COLUMNS)}"
        )


def geojson_rows(data: bytes) -> Iterator[RawRow]:
    """Rows of a GeoJSON FeatureCollection of Points; row numbers count features from 1."""
    try:
        document = json.loads(_decode(data), parse_constant=_reject_constant)
    except (json.JSONDecodeError, ValueError) as exc:
        raise ImportFileError(f"not valid JSON: {exc}") from exc
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        raise ImportFileError("expected a GeoJSON FeatureCollection")
    features = document.get("features")
    if not isinstance(features, list):
        raise ImportFileError("the FeatureCollection has no 'features' list")
    return (RawRow(i, _feature_values(f)) for i, f in enumerate(features, start=1))


def _feature_values(feature: object) -> dict[str, object]:
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        return {"__row__": "is not a GeoJSON Feature"}
    properties = feature.get("properties") or {}
    if not isinstance(properties, dict):
        return {"__row__": "properties must be an object"}
    values: dict[str, object] = dict(properties)
    if "id" not in values and isinstance(feature.get("id"), str | int):
        values["id"] = str(feature["id"])
    geometry = feature.get("geometry")
    coords = geometry.get("coordinates") if isinstance(geometry, dict) else None
    if not isinstance(geometry, dict) or geometry.get("type") != "Point":
        values["__geometry__"] = "must be a GeoJSON Point"
    elif not isinstance(coords, list) or len(coords) not in (2, 3):
        values["__geometry__"] = "a Point needs [lon, lat] coordinates"
    else:
        values["lon"], values["lat"] = coords[0], coords[1]
    return values


def _reject_constant(name: str) -> object:
    raise ValueError(f"{name} is not a number in JSON")


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFileError(
            f"the file is not UTF-8 (byte {exc.start}); save it as UTF-8 and try again"
        ) from exc
