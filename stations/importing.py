"""All-or-nothing import of station files (CSV and GeoJSON, DESIGN.md §3).

Every row is validated before anything is written; one rejected row means nothing is written,
and the report lists every rejection with its line (CSV) or feature number (GeoJSON), field and
reason. A dry run validates and counts against the store without writing.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from geo.crs import CoordinateSystem
from stations.errors import ImportFileError, InvalidStation
from stations.model import StationDraft
from stations.store.base import ImportCounts, StationStore
from stations.validation import KNOWN_FIELDS, validate_draft

CSV_COLUMNS: Final = (
    "id",
    "name",
    "kind",
    "lon",
    "lat",
    "address",
    "district_code",
    "amenities",
    "opening_hours",
    "phone",
    "host",
)
_REQUIRED_COLUMNS: Final = ("name", "kind", "lon", "lat", "district_code")
#: Pseudo-fields a reader sets when a row is broken before its fields can be read.
_STRUCTURAL: Final = ("__row__", "__geometry__")


@dataclass(frozen=True, slots=True)
class Rejection:
    """One problem with one row: ``row`` is the CSV line number or the GeoJSON feature number."""

    row: int
    field: str
    reason: str

    def __str__(self) -> str:
        return f"row {self.row}: {self.field}: {self.reason}"


@dataclass(slots=True)
class ImportReport:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    dry_run: bool = False
    written: bool = False

    def summary(self) -> str:
        verb = "would be" if self.dry_run or not self.written else "were"
        state = "written" if self.written else "nothing written"
        return (
            f"{self.rows} rows: {self.created} {verb} created, {self.updated} updated, "
            f"{self.unchanged} unchanged, {len(self.rejected)} problems ({state})"
        )


@dataclass(frozen=True, slots=True)
class _RawRow:
    number: int
    values: Mapping[str, object]


def import_file(
    store: StationStore,
    path: Path,
    *,
    crs: CoordinateSystem = CoordinateSystem.WGS84,
    dry_run: bool = False,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Validate ``path`` (.csv, .geojson or .json) and, unless rejected or a dry run, save it all
    in one transaction. Raises ImportFileError when the file cannot be read at all."""
    return import_rows(store, read_rows(path), crs=crs, dry_run=dry_run, progress=progress)


def import_rows(
    store: StationStore,
    rows: Iterator[_RawRow],
    *,
    crs: CoordinateSystem,
    dry_run: bool,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    report = ImportReport(dry_run=dry_run)
    drafts: list[StationDraft] = []
    first_row_of_id: dict[str, int] = {}
    for row in rows:
        report.rows += 1
        values = dict(row.values)
        structural = [
            Rejection(row.number, key.strip("_"), str(values.pop(key)))
            for key in _STRUCTURAL
            if key in values
        ]
        if "__row__" in row.values:
            report.rejected.extend(structural)
            continue
        try:
            draft = validate_draft(values, crs=crs)
        except InvalidStation as exc:
            report.rejected.extend(structural)
            report.rejected.extend(Rejection(row.number, p.field, p.reason) for p in exc.problems)
            continue
        if structural:
            report.rejected.extend(structural)
            continue
        if draft.id is not None:
            earlier = first_row_of_id.setdefault(draft.id, row.number)
            if earlier != row.number:
                report.rejected.append(
                    Rejection(row.number, "id", f"{draft.id!r} already appears in row {earlier}")
                )
                continue
        drafts.append(draft)
    if report.rejected:
        return report
    counts: ImportCounts = store.save_all(drafts, dry_run=dry_run, progress=progress)
    report.created, report.updated, report.unchanged = (
        counts.created,
        counts.updated,
        counts.unchanged,
    )
    report.written = not dry_run
    return report


def read_rows(path: Path) -> Iterator[_RawRow]:
    """Raw rows of a CSV or GeoJSON file, numbered as a person would find them."""
    suffix = path.suffix.lower()
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ImportFileError(f"cannot read {path}: {exc.strerror}") from exc
    if suffix == ".csv":
        return csv_rows(data)
    if suffix in (".geojson", ".json"):
        return geojson_rows(data)
    raise ImportFileError(f"{path.name}: unknown file type {suffix!r}; use .csv or .geojson")


def csv_rows(data: bytes) -> Iterator[_RawRow]:
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


def _csv_records(reader: Iterator[list[str]], columns: list[str]) -> Iterator[_RawRow]:
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
        yield _RawRow(start, values)


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


def geojson_rows(data: bytes) -> Iterator[_RawRow]:
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
    return (_RawRow(i, _feature_values(f)) for i, f in enumerate(features, start=1))


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
