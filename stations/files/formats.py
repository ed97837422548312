"""The file formats an import reads: CSV, GeoJSON and Excel ``.xlsx``.

Each reader turns a file's bytes into raw rows (field name → value as found in the file),
numbered as a person would find them: the CSV line, the GeoJSON feature, the Excel row.
Nothing is validated here beyond the file's structure; ``stations.editing.validation`` judges
values.
A file that cannot be read at all, or passes a limit of ``stations.files.limits`` (stations,
columns, characters in a cell, JSON nesting), raises ImportFileError.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np
from openpyxl.utils.cell import get_column_letter

from stations.editing.validation import KNOWN_FIELDS
from stations.errors import ImportFileError
from stations.files import xlsx
from stations.files.limits import (
    MAX_CELL_CHARS,
    MAX_COLUMNS,
    MAX_CSV_RECORD_CHARS,
    MAX_IMPORT_ROWS,
    MAX_JSON_CONTAINERS,
    MAX_JSON_DEPTH,
    Cancelled,
    cell_too_long,
    too_many_rows,
)
from stations.model import EDITABLE_FIELDS

#: The import/export columns, in file order (README: Import file).
CSV_COLUMNS: Final = ("id", *EDITABLE_FIELDS)
#: File suffixes an import reads, lower case.
SUFFIXES: Final = (".csv", ".geojson", ".json", ".xlsx")
_REQUIRED_COLUMNS: Final = ("name", "kind", "lon", "lat", "district_code")
#: Pseudo-fields a reader sets when a row is broken before its fields can be read.
STRUCTURAL: Final = ("__row__", "__geometry__")
#: +1 for an opening bracket, -1 for a closing one, by byte value.
_NESTING_STEP: Final = np.array([(c in b"[{") - (c in b"]}") for c in range(256)], np.int8)
_QUOTE: Final = ord('"')
_SCAN_CHUNK: Final = 1 << 20


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
        return xlsx_rows(data, cancelled)
    raise ImportFileError(
        f"{filename}: unknown file type {suffix!r}; use .csv, .geojson (or .json) or .xlsx"
    )


def csv_rows(data: bytes) -> Iterator[RawRow]:
    """Rows of a UTF-8 CSV (a BOM is fine) with the import header; row numbers are the line
    numbers where each record starts (the header is line 1)."""
    text = _decode(data)
    # First, before the csv module makes a string of every cell: a comma in a header cell is
    # a column too many or a column no import has, refused either way.
    _check_header_width(text.count(",", 0, _end_of_first_line(text)) + 1)
    lines = _Lines(text)
    reader = csv.reader(lines, strict=True)
    header = _next_record(reader, lines, 1)
    if header is None:
        raise ImportFileError("the CSV file is empty; expected a header row")
    _check_header_width(len(header))
    _check_cells(header, 1)
    columns = [h.strip() for h in header]
    _check_header(columns)
    return _csv_records(reader, lines, columns)


def _end_of_first_line(text: str) -> int:
    ends = [i for i in (text.find("\n"), text.find("\r")) if i >= 0]
    return min(ends, default=len(text))


def _check_header_width(columns: int) -> None:
    if columns > MAX_COLUMNS:
        raise ImportFileError(
            f"the header has {columns:,} columns; an import reads at most {MAX_COLUMNS} "
            f"(the station columns are {','.join(CSV_COLUMNS)}): delete the others"
        )


class _RecordTooLong(Exception):
    pass


class _Lines:
    """The lines of a CSV text, for csv.reader: raises _RecordTooLong once the lines read since
    ``chars`` was set to 0 (one record's) pass MAX_CSV_RECORD_CHARS."""

    def __init__(self, text: str) -> None:
        self._text = io.StringIO(text, newline="")
        self.chars = 0

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        line = self._text.readline(MAX_CSV_RECORD_CHARS + 1 - self.chars)
        if not line:
            raise StopIteration
        self.chars += len(line)
        if self.chars > MAX_CSV_RECORD_CHARS:
            raise _RecordTooLong
        return line


def _next_record(reader: Iterator[list[str]], lines: _Lines, line: int) -> list[str] | None:
    """The record that starts at ``line``; None after the last."""
    lines.chars = 0
    try:
        return next(reader)
    except StopIteration:
        return None
    except csv.Error as exc:
        raise _csv_error(line, exc) from exc
    except _RecordTooLong:
        raise ImportFileError(
            f"line {line}: a record of more than {MAX_CSV_RECORD_CHARS:,} characters, longer "
            f"than {MAX_COLUMNS} cells of the largest size; a quote left open runs on to the "
            "end of the file: close it"
        ) from None


def _csv_records(
    reader: Iterator[list[str]], lines: _Lines, columns: list[str]
) -> Iterator[RawRow]:
    line = 1
    count = 0
    while (record := _next_record(reader, lines, line + 1)) is not None:
        start = line + 1
        line = reader.line_num  # type: ignore[attr-defined]
        if not record or all(not cell.strip() for cell in record):
            continue  # blank lines carry no station
        count += 1
        if count > MAX_IMPORT_ROWS:
            raise too_many_rows()
        _check_cells(record, start)
        if len(record) != len(columns):
            values: dict[str, object] = {
                "__row__": f"has {len(record)} cells; the header has {len(columns)}"
            }
        else:
            values = dict(zip(columns, record, strict=True))
        yield RawRow(start, values)


def _check_cells(record: list[str], line: int) -> None:
    if max(map(len, record), default=0) > MAX_CELL_CHARS:
        column = next(i for i, cell in enumerate(record, start=1) if len(cell) > MAX_CELL_CHARS)
        raise cell_too_long(f"line {line}, column {column}")


def _csv_error(line: int, exc: csv.Error) -> ImportFileError:
    # The csv module stops a field at its own (process-wide) limit, 131,072 characters.
    if "field larger than field limit" in str(exc):
        too_long = cell_too_long(f"line {line}")
        return ImportFileError(f"{too_long} (if no value is that long, close a quote left open)")
    return ImportFileError(f"line {line}: {exc}")


def xlsx_rows(data: bytes, cancelled: Cancelled | None = None) -> Iterator[RawRow]:
    """Rows of the first worksheet of an .xlsx workbook: the first non-blank row is the header
    (the CSV columns, in any order); row numbers are Excel's. Columns without a header are
    ignored while empty; a value in one makes its row a problem."""
    rows = xlsx.sheet_rows(data, cancelled)
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
    for count, (number, cells) in enumerate(rows, start=1):
        if count > MAX_IMPORT_ROWS:
            raise too_many_rows()
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
    repeated = sorted(c for c, n in Counter(columns).items() if n > 1)
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
    text = _decode(data)
    _check_nesting(data)
    try:
        document = json.loads(text, parse_constant=_reject_constant)
    except (json.JSONDecodeError, ValueError) as exc:
        raise ImportFileError(f"not valid JSON: {exc}") from exc
    except RecursionError:  # cannot happen after _check_nesting; a 500 if it ever did
        raise _too_deep(None) from None
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        raise ImportFileError("expected a GeoJSON FeatureCollection")
    features = document.get("features")
    if not isinstance(features, list):
        raise ImportFileError("the FeatureCollection has no 'features' list")
    if len(features) > MAX_IMPORT_ROWS:
        raise too_many_rows()
    return (RawRow(i, _feature_values(i, f)) for i, f in enumerate(features, start=1))


def _check_nesting(data: bytes) -> None:
    """Refuse JSON nested deeper than MAX_JSON_DEPTH, or with more than MAX_JSON_CONTAINERS
    arrays and objects, before it is parsed: Python's parser recurses once per level and
    builds every container. Linear, in C: with escaped backslashes and then escaped quotes
    removed, every quote left opens or closes a string, so a bracket after an even number of
    quotes is structure; the running sum of +1 (opens) and -1 (closes) is the depth."""
    text = data.replace(b"\\\\", b"").replace(b'\\"', b"")
    quotes = level = deepest = containers = 0
    for start in range(0, len(text), _SCAN_CHUNK):
        size = min(_SCAN_CHUNK, len(text) - start)
        chunk = np.frombuffer(text, np.uint8, count=size, offset=start)
        outside = (np.cumsum(chunk == _QUOTE, dtype=np.int64) + quotes) % 2 == 0
        steps = np.where(outside, _NESTING_STEP[chunk], 0)
        levels = np.cumsum(steps, dtype=np.int64) + level
        deepest = max(deepest, int(levels.max()))
        containers += int(np.count_nonzero(steps == 1))
        quotes += int(np.count_nonzero(chunk == _QUOTE))
        level = int(levels[-1])
    if deepest > MAX_JSON_DEPTH:
        raise _too_deep(deepest)
    if containers > MAX_JSON_CONTAINERS:
        raise ImportFileError(
            f"the file has more than {MAX_JSON_CONTAINERS:,} JSON arrays and objects, more than "
            f"{MAX_IMPORT_ROWS:,} features (the most one import takes) need: split the file and "
            "import the parts one after another"
        )


def _too_deep(depth: int | None) -> ImportFileError:
    levels = f"{depth:,} levels" if depth is not None else "too"
    return ImportFileError(
        f"JSON nested {levels} deep; a FeatureCollection needs 5 and an import reads at most "
        f"{MAX_JSON_DEPTH}: give each property a plain value (text, number or a list of texts)"
    )


def _feature_values(number: int, feature: object) -> dict[str, object]:
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        return {"__row__": "is not a GeoJSON Feature"}
    properties = feature.get("properties") or {}
    if not isinstance(properties, dict):
        return {"__row__": "properties must be an object"}
    _check_properties(number, properties)
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


def _check_properties(number: int, properties: dict[str, object]) -> None:
    """The GeoJSON counterpart of a row's width and cell sizes."""
    if len(properties) > MAX_COLUMNS:
        raise ImportFileError(
            f"feature {number}: {len(properties):,} properties; an import reads at most "
            f"{MAX_COLUMNS} (the station fields are {','.join(CSV_COLUMNS)}): delete the others"
        )
    for name, value in properties.items():
        texts = value if isinstance(value, list) else [value]
        if len(name) > MAX_CELL_CHARS or any(
            isinstance(t, str) and len(t) > MAX_CELL_CHARS for t in texts
        ):
            raise cell_too_long(f"feature {number}, property {name[:40]!r}")


def _reject_constant(name: str) -> object:
    raise ValueError(f"{name} is not a number in JSON")


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFileError(
            f"the file is not UTF-8 (byte {exc.start}); save it as UTF-8 and try again"
        ) from exc
