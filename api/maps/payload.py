"""A map page's data: one compact JSON object, embedded once, read by the page's script.

Stations are rows (arrays) in the order of ``FIELDS``, not objects, and not one Python-built
marker each: 5,000 stations cost about 2 MB, most of it the Chinese text itself.

Positions are converted here, in Python, and only here: the drawn position into the datum of
the page's tiles (WGS-84 on OpenStreetMap, GCJ-02 on Amap), the navigation targets into GCJ-02
(Amap's ``coordinate=gaode``) and BD-09 (Baidu's ``coord_type=bd09ll``). ``leaflet_latlng`` is
the one place where (lon, lat) becomes Leaflet's [lat, lon].
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any, Final

import numpy as np
from numpy.typing import ArrayLike, NDArray

from api.maps.texts import (
    AMENITY_ICONS,
    KEY_AMENITIES,
    KIND_LABELS,
    TEXT,
    TILE_SOURCES,
    Lang,
    Tiles,
)
from geo.crs import CoordinateSystem, from_wgs84
from geo.geodesic import WGS84
from stations.amenities import VOCABULARY, mask_of
from stations.model import Kind, Station

Json = dict[str, Any]

#: Columns of a station row. ``amenities`` is the vocabulary bitmask (bit i = VOCABULARY[i]);
#: ``latlng`` is the drawn position in Leaflet order; ``gcj02``/``bd09`` are [lon, lat].
FIELDS: Final = (
    "id",
    "name",
    "kind",
    "latlng",
    "address",
    "amenities",
    "hours",
    "phone",
    "host",
    "gcj02",
    "bd09",
)
KINDS: Final = (Kind.LOVE_STATION, Kind.SERVICE_POINT)  # a row's ``kind`` indexes this
COORD_DECIMALS: Final = 6  # about 0.1 m, finer than any station position we hold
#: Coverage offsets are integers in this unit: 1e-8 degree is about 1 mm.
COVERAGE_UNIT_DEG: Final = 1e-8
DATA_VERSION: Final = 1  # bump when FIELDS or the object's shape changes


def leaflet_latlng(lon: ArrayLike, lat: ArrayLike) -> list[list[float]]:
    """[[lat, lon], ...] rounded to ``COORD_DECIMALS``: Leaflet's axis order, made only here.

    ``lon``, ``lat`` in degrees, any shape numpy broadcasts (flattened); empty gives []."""
    lon_a = np.round(np.atleast_1d(np.asarray(lon, dtype=np.float64)), COORD_DECIMALS).ravel()
    lat_a = np.round(np.atleast_1d(np.asarray(lat, dtype=np.float64)), COORD_DECIMALS).ravel()
    return np.column_stack((lat_a, lon_a)).tolist()  # type: ignore[no-any-return]


def drawn_position(
    stations: Sequence[Station], tiles: Tiles
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """(lon, lat) arrays of the stations in the datum of ``tiles``, degrees."""
    lon = np.array([s.lon for s in stations], dtype=np.float64)
    lat = np.array([s.lat for s in stations], dtype=np.float64)
    return from_wgs84(lon, lat, TILE_SOURCES[tiles].crs)


def bounds_latlng(lon: NDArray[np.float64], lat: NDArray[np.float64]) -> list[list[float]]:
    """Leaflet bounds [[south, west], [north, east]] of non-empty position arrays."""
    return leaflet_latlng([lon.min(), lon.max()], [lat.min(), lat.max()])


def page_data(
    stations: Sequence[Station],
    *,
    tiles: Tiles,
    lang: Lang,
    coverage_m: Sequence[int],
    title: str,
    data_date: date | None,
) -> Json:
    """The JSON object a page embeds (see the module docstring); stations as given, in order."""
    return {
        "v": DATA_VERSION,
        "lang": lang,
        "title": title,
        "dataDate": None if data_date is None else data_date.isoformat(),
        "tiles": tiles.value,
        "maxZoom": TILE_SOURCES[tiles].max_zoom,
        "gcj02": TILE_SOURCES[tiles].crs is CoordinateSystem.GCJ02,
        "text": TEXT[lang],
        "kinds": [
            {
                "code": kind.value,
                "label": KIND_LABELS[lang][kind],
                "count": sum(1 for s in stations if s.kind is kind),
            }
            for kind in KINDS
        ],
        "amenities": [
            {"code": a.code, "zh": a.zh, "en": a.en, "icon": AMENITY_ICONS[a.code]}
            for a in VOCABULARY
        ],
        "filter": list(KEY_AMENITIES),
        "bounds": bounds_latlng(*drawn_position(stations, tiles)) if stations else None,
        "fields": list(FIELDS),
        "stations": station_rows(stations, tiles),
        "coverage": coverage(stations, coverage_m) if coverage_m else None,
    }


def station_rows(stations: Sequence[Station], tiles: Tiles) -> list[list[Any]]:
    """One row per station, columns in ``FIELDS`` order."""
    if not stations:
        return []
    lon = np.array([s.lon for s in stations], dtype=np.float64)
    lat = np.array([s.lat for s in stations], dtype=np.float64)
    drawn = leaflet_latlng(*from_wgs84(lon, lat, TILE_SOURCES[tiles].crs))
    gcj = _lonlat_pairs(*from_wgs84(lon, lat, CoordinateSystem.GCJ02))
    bd = _lonlat_pairs(*from_wgs84(lon, lat, CoordinateSystem.BD09))
    kind_index = {kind: i for i, kind in enumerate(KINDS)}
    return [
        [
            s.id,
            s.name,
            kind_index[s.kind],
            drawn[i],
            s.address,
            mask_of(s.amenities),
            s.opening_hours,
            s.phone,
            s.host,
            gcj[i],
            bd[i],
        ]
        for i, s in enumerate(stations)
    ]


def coverage(stations: Sequence[Station], radii_m: Sequence[int]) -> Json:
    """Per station and radius, the geodesic circle's half-height and half-width in degrees.

    For each radius r the offsets are where the WGS-84 geodesics of length r due north and due
    east from the station end (pyproj's Geod, GeographicLib): [Δlat_north, Δlon_east, ...] in
    ``COVERAGE_UNIT_DEG``. The page draws an ellipse with those semi-axes in Web Mercator around
    the drawn position. Leaflet's own ``L.circle`` assumes a sphere of radius 6,371 km and is
    off by about 0.25 % (2.5 m at 1,000 m around Xi'an, north-south too short, east-west too
    long); this ellipse matches the geodesic circle to about 5 cm at 1,000 m (the asymmetry of
    a circle on the ellipsoid), below a pixel at any zoom. On Amap pages the centre is the
    GCJ-02 position: the GCJ-02 shift varies by well under 1e-4 across a kilometre, so the
    offsets hold there too.
    """
    radii = [int(r) for r in radii_m]
    n = len(stations)
    offsets = np.zeros((n, 2 * len(radii)), dtype=np.int64)
    if n:
        lon = np.array([s.lon for s in stations], dtype=np.float64)
        lat = np.array([s.lat for s in stations], dtype=np.float64)
        for j, radius in enumerate(radii):
            dist = np.full(n, float(radius))
            _lon_n, lat_n, _az = WGS84.fwd(lon, lat, np.zeros(n), dist)
            lon_e, _lat_e, _az = WGS84.fwd(lon, lat, np.full(n, 90.0), dist)
            offsets[:, 2 * j] = np.rint((np.asarray(lat_n) - lat) / COVERAGE_UNIT_DEG)
            offsets[:, 2 * j + 1] = np.rint((np.asarray(lon_e) - lon) / COVERAGE_UNIT_DEG)
    return {"radii": radii, "unitDeg": COVERAGE_UNIT_DEG, "offsets": offsets.tolist()}


def _lonlat_pairs(lon: NDArray[np.float64], lat: NDArray[np.float64]) -> list[list[float]]:
    lon_r = np.round(np.atleast_1d(lon), COORD_DECIMALS)
    lat_r = np.round(np.atleast_1d(lat), COORD_DECIMALS)
    return np.column_stack((lon_r, lat_r)).tolist()  # type: ignore[no-any-return]
