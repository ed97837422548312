"""Export active stations as CSV (the import format, then the columns Yizhan records itself,
which an import leaves aside), GeoJSON or GeoPackage."""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

from stations.errors import ImportFileError
from stations.files.rows import EXPORT_COLUMNS
from stations.model import Station, Status
from stations.store.base import StationStore
from stations.store.geopackage.store import GeoPackageStore

FORMATS = (".csv", ".geojson", ".gpkg")


def export_file(store: StationStore, path: Path) -> int:
    """Write the active stations to ``path`` (format from its suffix), atomically: the file
    appears whole or not at all. Returns the number of stations written."""
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise ImportFileError(
            f"{path.name}: unknown export format; use one of {', '.join(FORMATS)}"
        )
    stations = active_stations(store)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=suffix)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        if suffix == ".gpkg":
            tmp.unlink()
            _write_gpkg(stations, tmp)
        else:
            tmp.write_bytes(to_csv(stations) if suffix == ".csv" else to_geojson(stations))
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return len(stations)


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
    """UTF-8 CSV with the import columns and Yizhan's own, WGS-84 coordinates; amenities out of
    order as ``code@instant`` separated by ';'."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(EXPORT_COLUMNS)
    for s in stations:
        writer.writerow([_csv_value(v) for v in _record(s).values()])
    return out.getvalue().encode("utf-8")


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
    }


def _instant(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _csv_value(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)  # shortest text that reads back as the same float
    return str(value)


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
