"""The files of ``yizhan nearest --batch``: ``read_points`` reads a CSV of riders (every bad row
named by its line), ``write_matches`` writes one CSV row per rider and rank from the answer of
``stations.reading.batch.neighbours_of_many`` (never half written).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from geo.crs import CoordinateSystem
from geo.nearest import Neighbours
from stations.errors import YizhanError
from stations.reading.catalog import Catalog
from stations.reading.ride_rank import TimedAnswer

#: Bad rows named in one error message; the rest are counted.
_SHOWN_BAD_ROWS: Final = 10
_WRITE_ROWS: Final = 65_536  # output rows formatted per write: bounds memory, paces progress
_TIMED_COLUMNS: Final = ",duration_s,route_distance_m,duration_source\n"


class PointsFileError(YizhanError):
    """A rider points file that cannot be read or has bad rows (each named by its line)."""


@dataclass(frozen=True, slots=True)
class RiderPoints:
    """Rider positions read from a CSV file, in the file's coordinate system and row order."""

    lon: NDArray[np.float64]
    lat: NDArray[np.float64]
    line: NDArray[np.int64]  # the line of the file each row is on (the header is line 1)
    ids: list[str] | None  # the ``id`` column, when the file has one


def read_points(path: Path) -> RiderPoints:
    """Rows of a UTF-8 CSV file whose header names ``lat`` and ``lon`` (any order, other
    columns ignored) and optionally ``id``; blank lines are skipped. Raises PointsFileError
    naming the line of every bad row (not a number, out of range) when there are any."""
    try:
        header = [str(c) for c in pd.read_csv(path, nrows=0, encoding="utf-8-sig").columns]
        missing = [c for c in ("lat", "lon") if c not in header]
        if missing:
            raise PointsFileError(
                f"{path.name}: the header must name the columns lat and lon (missing: "
                f"{', '.join(missing)}; found: {', '.join(header) or 'nothing'})"
            )
        # Numbers are parsed by pandas' C reader; a column holding any text stays text. Every
        # column is read (no usecols), so a row with more fields than the header (an unquoted
        # comma shifting lat and lon along) is an error, not silently cut.
        frame = pd.read_csv(
            path,
            dtype={"id": str},
            keep_default_na=False,
            skip_blank_lines=False,  # keeps row i on line i + 2, to name bad lines right
            encoding="utf-8-sig",
        )
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise PointsFileError(f"cannot read {path.name}: {exc}") from None
    if not isinstance(frame.index, pd.RangeIndex):  # pandas took an extra first field as index
        raise PointsFileError(f"{path.name}: line 2 has more fields than the header names")
    line = np.arange(len(frame), dtype=np.int64) + 2
    blank = np.logical_and.reduce([_empty(frame[c]) for c in frame.columns])
    frame = frame.loc[~blank, ["lat", "lon", *(["id"] if "id" in header else [])]]
    line = line[~blank]
    lat = pd.to_numeric(frame["lat"], errors="coerce").to_numpy(dtype=np.float64)
    lon = pd.to_numeric(frame["lon"], errors="coerce").to_numpy(dtype=np.float64)
    _refuse_bad_rows(path, frame, line, lat, lon)
    ids = frame["id"].astype(str).tolist() if "id" in frame else None
    return RiderPoints(lon, lat, line, ids)


def _empty(column: pd.Series) -> NDArray[np.bool_]:
    """Empty fields: NaN in a column pandas read as numbers, "" in one it kept as text."""
    if pd.api.types.is_numeric_dtype(column):
        return column.isna().to_numpy()
    return (column == "").to_numpy(dtype=np.bool_)


def _refuse_bad_rows(
    path: Path,
    frame: pd.DataFrame,
    line: NDArray[np.int64],
    lat: NDArray[np.float64],
    lon: NDArray[np.float64],
) -> None:
    # NaN (text, empty) fails both comparisons, so it is bad too.
    bad = np.flatnonzero(~((np.abs(lat) <= 90.0) & (np.abs(lon) <= 180.0)))
    if bad.size == 0:
        return
    reasons = []
    for i in bad[:_SHOWN_BAD_ROWS].tolist():
        for name, value, limit in (("lat", lat[i], 90), ("lon", lon[i], 180)):
            text = str(frame[name].iloc[i]).strip()
            if np.isnan(value):
                why = "is empty" if text == "" else f"{text!r} is not a number"
                reasons.append(f"line {line[i]}: {name} {why}")
            elif not abs(value) <= limit:  # ±inf too
                reasons.append(f"line {line[i]}: {name} {text} is outside [-{limit}, {limit}]")
    more = bad.size - min(bad.size, _SHOWN_BAD_ROWS)
    tail = f"; and {more} more bad rows" if more else ""
    raise PointsFileError(f"{path.name}: " + "; ".join(reasons) + tail)


def write_matches(
    path: Path,
    points: RiderPoints,
    found: Neighbours,
    catalog: Catalog,
    crs: CoordinateSystem,
    *,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write one CSV row per (rider, rank): ``line[,id],rank,station_id,distance_m,bearing_deg,
    station_lon,station_lat`` (station position in ``crs``); a rider with no match gets one
    row with only ``line`` (and ``id``). Written to a temporary file renamed over ``path`` at
    the end, so ``path`` is never left half written. Returns the number of rows."""
    station_ids: Sequence[str] = catalog.visible.ids
    station_lon, station_lat = catalog.coordinates(crs)
    ids = None if points.ids is None else [_csv_field(v) for v in points.ids]

    def chunks() -> Iterator[tuple[str, int]]:
        yield _header(with_ids=ids is not None), 0
        step = max(1, _WRITE_ROWS // max(1, found.positions.shape[1]))
        for start in range(0, points.line.size, step):
            part = slice(start, min(points.line.size, start + step))
            lines = _format_rows(part, points, ids, found, station_ids, station_lon, station_lat)
            yield "".join(lines), len(lines)
            if progress is not None:
                progress(part.stop - part.start)

    return _write_atomically(path, chunks())


def write_timed_matches(
    path: Path,
    points: RiderPoints,
    answers: Sequence[TimedAnswer],
    catalog: Catalog,
    crs: CoordinateSystem,
) -> int:
    """``write_matches`` for answers ranked by ride time (one per rider, in order): the same
    columns followed by ``duration_s,route_distance_m,duration_source`` (``route_distance_m``
    empty where the duration is an estimate). Returns the number of rows."""
    station_lon, station_lat = catalog.coordinates(crs)
    ids = None if points.ids is None else [_csv_field(v) for v in points.ids]

    def chunks() -> Iterator[tuple[str, int]]:
        yield _header(with_ids=ids is not None).rstrip("\n") + _TIMED_COLUMNS, 0
        for i, answer in enumerate(answers):
            lead = f"{points.line[i]}," + ("" if ids is None else f"{ids[i]},")
            if not answer.matches:
                yield f"{lead},,,,,,,,\n", 1
            for rank, timed in enumerate(answer.matches, start=1):
                m = timed.match
                p = catalog.position_of(m.station.id)
                assert p is not None, "a match is one of this catalog's visible stations"
                route = "" if timed.route_distance_m is None else f"{timed.route_distance_m:.1f}"
                yield (
                    f"{lead}{rank},{m.station.id},{m.distance_m:.3f},{m.bearing_deg:.2f},"
                    f"{station_lon[p]:.7f},{station_lat[p]:.7f},{timed.duration_s:.1f},{route},"
                    f"{timed.source}\n",
                    1,
                )

    return _write_atomically(path, chunks())


def _write_atomically(path: Path, chunks: Iterable[tuple[str, int]]) -> int:
    """Write ``chunks`` to a temporary file renamed over ``path`` at the end, so ``path`` is
    never left half written; returns the rows the chunks say they hold."""
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    lines = 0
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            for chunk, rows in chunks:
                out.write(chunk)
                lines += rows
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return lines


def _header(*, with_ids: bool) -> str:
    ids = "id," if with_ids else ""
    return f"line,{ids}rank,station_id,distance_m,bearing_deg,station_lon,station_lat\n"


def _format_rows(
    part: slice,
    points: RiderPoints,
    ids: list[str] | None,
    found: Neighbours,
    station_ids: Sequence[str],
    station_lon: NDArray[np.float64],
    station_lat: NDArray[np.float64],
) -> list[str]:
    positions = found.positions[part]
    count = (positions >= 0).sum(axis=1)
    repeat = np.maximum(count, 1)  # a rider with no match still gets a row
    rider = np.repeat(np.arange(part.start, part.stop), repeat)
    rank = np.arange(rider.size) - np.repeat(np.cumsum(repeat) - repeat, repeat)
    local = rider - part.start
    pos = positions[local, rank]
    hit = pos >= 0
    safe = np.where(hit, pos, 0)
    lead = [f"{n}," for n in points.line[rider].tolist()]
    if ids is not None:
        lead = [f"{a}{ids[r]}," for a, r in zip(lead, rider.tolist(), strict=True)]
    fields = zip(
        lead,
        hit.tolist(),
        (rank + 1).tolist(),
        safe.tolist(),
        found.distances_m[rider, rank].tolist(),
        found.bearings_deg[rider, rank].tolist(),
        station_lon[safe].tolist(),
        station_lat[safe].tolist(),
        strict=True,
    )
    # The API's rounding: distance to the mm, bearing to 0.01°, positions to 1e-7° (~1 cm).
    return [
        f"{a}{r},{station_ids[p]},{d:.3f},{b:.2f},{x:.7f},{y:.7f}\n" if h else f"{a},,,,,\n"
        for a, h, r, p, d, b, x, y in fields
    ]


def _csv_field(value: str) -> str:
    """RFC 4180 quoting, only where needed."""
    if any(c in value for c in ',"\r\n'):
        return '"' + value.replace('"', '""') + '"'
    return value
