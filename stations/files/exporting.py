"""Export active stations as CSV (the import format, then the columns Yizhan records itself,
which an import leaves aside), Excel .xlsx (the same columns), GeoJSON or GeoPackage.

The CSV starts with a UTF-8 byte order mark: Excel on a Chinese Windows reads a CSV without one
in the system's code page (GBK) and shows every Chinese name garbled; every import reads it.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from geo.attribution import OSM_ATTRIBUTION
from stations.errors import ImportFileError
from stations.files.rows import EXPORT_COLUMNS
from stations.model import Station, Status
from stations.store.base import StationStore
from stations.store.geopackage.store import GeoPackageStore

if TYPE_CHECKING:
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet

FORMATS = (".csv", ".xlsx", ".geojson", ".gpkg")
#: The worksheet an .xlsx export holds (an import reads the first worksheet, whatever its name).
XLSX_SHEET = "stations"
UTF8_BOM = "\ufeff"


def export_file(store: StationStore, path: Path) -> int:
    """Write the active stations to ``path`` (format from its suffix), atomically: the file
    appears whole or not at all. Returns the number of stations written."""
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise ImportFileError(
            f"{path.name}: unknown export format; use one of {', '.join(FORMATS)}"
        )
    stations = active_stations(store)
    writers: dict[str, Callable[[Path], object]] = {
        ".gpkg": lambda tmp: _write_gpkg(stations, tmp),
        ".xlsx": lambda tmp: to_xlsx(stations, tmp),
        ".csv": lambda tmp: tmp.write_bytes(to_csv(stations)),
        ".geojson": lambda tmp: tmp.write_bytes(to_geojson(stations)),
    }
    write_atomically(path, writers[suffix])
    return len(stations)


def write_atomically(path: Path, write: Callable[[Path], object]) -> None:
    """``write(tmp)`` to a path that does not exist yet, beside ``path``, then rename it to
    ``path``: readers see the old file or the whole new one, never half of it; nothing is left
    behind if ``write`` fails."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=path.suffix)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        tmp.unlink()  # the writer creates it (a GeoPackage must not exist beforehand)
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def export_bytes(store: StationStore, suffix: str) -> bytes:
    """The active stations as the bytes of a ``.csv`` or ``.geojson`` file, built in memory
    (a GeoPackage is a database: write it with ``export_file``)."""
    if suffix not in (".csv", ".geojson"):
        raise ImportFileError(f"cannot export {suffix!r} to memory; use .csv or .geojson")
    stations = active_stations(store)
    return to_csv(stations) if suffix == ".csv" else to_geojson(stations)


def active_stations(store: StationStore) -> list[Station]:
    """The stations couriers see (status ``active``), ordered by id."""
    return [s for s in store.list_stations() if s.status is Status.ACTIVE]


def to_csv(stations: Sequence[Station]) -> bytes:
    """UTF-8 CSV, starting with a byte order mark, with the import columns and Yizhan's own,
    WGS-84 coordinates; amenities out of order as ``code@instant`` separated by ';'."""
    out = io.StringIO(newline="")
    out.write(UTF8_BOM)
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(EXPORT_COLUMNS)
    for s in stations:
        writer.writerow([_csv_value(v) for v in _record(s).values()])
    return out.getvalue().encode("utf-8")


def to_xlsx(stations: Sequence[Station], path: Path) -> None:
    """Write an Excel workbook to ``path``: one worksheet with a header row of the CSV columns
    and one row per station. Positions are numbers (WGS-84, every digit of the stored float),
    everything else text as in the CSV (amenities ``water;microwave``, instants ISO 8601), empty
    cells for missing values. Streamed row by row (openpyxl's write-only mode), so memory does
    not grow with the number of stations."""
    # openpyxl loads with the first workbook: a serving process that writes none never holds it.
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    book = Workbook(write_only=True)
    sheet = book.create_sheet(XLSX_SHEET)
    sheet.freeze_panes = "A2"
    sheet.append(list(EXPORT_COLUMNS))
    for s in stations:
        sheet.append([_xlsx_cell(sheet, v, WriteOnlyCell) for v in _record(s).values()])
    book.save(path)


def to_geojson(stations: Sequence[Station]) -> bytes:
    """A GeoJSON FeatureCollection (RFC 7946, WGS-84) whose properties are the import fields."""
    features = []
    for s in stations:
        props = _record(s)
        lon, lat = props.pop("lon"), props.pop("lat")
        props["amenities"] = list(s.amenities)
        props["out_of_order"] = {code: since.isoformat() for code, since in s.out_of_order}
        features.append(
            {
                "type": "Feature",
                "id": s.id,
                "geometry": {"type": "Point", "coordinates": [lon, lat]},
                "properties": props,
            }
        )
    return orjson.dumps({"type": "FeatureCollection", "features": features})


def _record(s: Station) -> dict[str, Any]:
    return {
        "id": s.id,
        "name": s.name,
        "kind": s.kind.value,
        "lon": s.lon,
        "lat": s.lat,
        "address": s.address,
        "district_code": s.district_code,
        "amenities": ";".join(s.amenities),
        "opening_hours": s.opening_hours,
        "phone": s.phone,
        "host": s.host,
        "access": s.access.value,
        "entry": None if s.entry is None else s.entry.value,
        "closed_until": None if s.closed_until is None else s.closed_until.isoformat(),
        "closure_reason": s.closure_reason,
        "verified_at": _instant(s.verified_at),
        "last_confirmed_at": _instant(s.last_confirmed_at),
        "out_of_order": ";".join(f"{code}@{since.isoformat()}" for code, since in s.out_of_order),
        "osm": None if s.osm is None else f"{s.osm.element} v{s.osm.version}",
        "attribution": None if s.osm is None else OSM_ATTRIBUTION,
    }


def _instant(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _csv_value(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)  # shortest text that reads back as the same float
    return str(value)


def _xlsx_cell(sheet: WriteOnlyWorksheet, value: object, cell: Callable[..., Any]) -> object:
    if isinstance(value, float):
        # openpyxl writes numbers with 16 significant digits, which loses the last digit of
        # some floats; repr is the shortest text that reads back as the same float.
        number = cell(sheet, repr(value))
        number.data_type = "n"
        return number
    if isinstance(value, str) and (value.startswith("=") or value.startswith("#")):
        # openpyxl would write "=…" as a formula (a name is data, never code) and "#N/A" as an
        # error value: both stay text.
        text = cell(sheet, value)
        text.data_type = "s"
        return text
    return value


def _write_gpkg(stations: Sequence[Station], path: Path) -> None:
    target = GeoPackageStore(path)
    try:
        target.save_all([s.to_draft() for s in stations], actor="export")
        # An export is the public data for GIS use, not a second history: drop the audit rows
        # the save wrote, then make the file self-contained.
        target.clear_history()
        target.make_portable()
    finally:
        target.close()
