"""A map page's data: one compact JSON object, embedded once, read by the page's script.

Stations are rows (arrays) in the order of ``FIELDS``, not objects, and not one Python-built
marker each: 5,000 stations cost about 2 MB, most of it the Chinese text itself.

Positions are converted here, in Python, and only here: the drawn position into the datum of
the page's tiles (WGS-84 on OpenStreetMap, GCJ-02 on Amap), the navigation targets into GCJ-02
(Amap's ``coordinate=gaode``) and BD-09 (Baidu's ``coord_type=bd09ll``). ``leaflet_latlng`` is
the one place where (lon, lat) becomes Leaflet's [lat, lon].
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final

import numpy as np
from numpy.typing import ArrayLike, NDArray

from api.maps.hours import hours_words, page_hours
from api.maps.texts import (
    ACCESS_LABELS,
    AMENITY_ICONS,
    COMPASS,
    ENTRY_LABELS,
    KEY_AMENITIES,
    KIND_LABELS,
    TEXT,
    TILE_SOURCES,
    Lang,
    Tiles,
    local_time_text,
)
from geo.crs import CoordinateSystem, from_wgs84
from geo.geodesic import WGS84
from stations.amenities import VOCABULARY, mask_of
from stations.districts import district_name
from stations.hours import SHANGHAI
from stations.model import COURIER_ACCESS, Access, Entry, Kind, Station, StationId

Json = dict[str, Any]

#: Columns of a station row. ``amenities`` is the bitmask of the listed amenities (bit i =
#: VOCABULARY[i]), shown in the popup; ``working`` that of ``Station.working_amenities``, the one
#: the amenity filter tests (a listed amenity missing from it is shown as out of order).
#: ``latlng`` is the drawn position in Leaflet order; ``gcj02``/``bd09`` are [lon, lat];
#: ``wgs84`` is the stored position [lon, lat] unrounded, the one the nearest search measures
#: from (as the API does); ``schedule`` indexes ``schedules.table`` (``api.maps.hours``).
#: ``access`` indexes ``ACCESSES``, ``entry`` ``ENTRIES`` (null: not recorded); ``verified`` is
#: the day (Asia/Shanghai, ISO) an editor last confirmed the station on site, or null;
#: ``closure`` is null or [reopening in ms since the epoch, reopening as page text, reason or
#: null] for a temporary closure still running when the page was built; ``osm`` is 1 for a
#: station imported from OpenStreetMap (its popup credits it, as the ODbL asks), else null.
#: Trailing null columns are left out of a row.
FIELDS: Final = (
    "id",
    "name",
    "kind",
    "latlng",
    "address",
    "amenities",
    "working",
    "hours",
    "phone",
    "host",
    "gcj02",
    "bd09",
    "wgs84",
    "schedule",
    "access",
    "entry",
    "verified",
    "closure",
    "osm",
)
KINDS: Final = (Kind.LOVE_STATION, Kind.SERVICE_POINT)  # a row's ``kind`` indexes this
ACCESSES: Final = tuple(Access)  # a row's ``access`` indexes this
ENTRIES: Final = tuple(Entry)  # a row's ``entry`` indexes this
COORD_DECIMALS: Final = 6  # about 0.1 m, finer than any station position we hold
#: Coverage offsets are integers in this unit: 1e-8 degree is about 1 mm.
COVERAGE_UNIT_DEG: Final = 1e-8
NEAREST_K: Final = 5  # stations the "nearest to me" list shows, the API's default k
DATA_VERSION: Final = 4  # bump when FIELDS or the object's shape changes
JPEG_DATA_URI: Final = "data:image/jpeg;base64,"
_JPEG_START: Final = b"\xff\xd8\xff"


@dataclass(frozen=True, slots=True)
class Thumbnail:
    """A station photo's thumbnail as a page inlines it: the JPEG and its size in pixels."""

    jpeg: bytes
    width: int
    height: int

    def __post_init__(self) -> None:
        if not self.jpeg.startswith(_JPEG_START):
            raise ValueError("a map thumbnail must be a JPEG")
        if self.width < 1 or self.height < 1:
            raise ValueError("a map thumbnail needs its width and height")

    def data_uri(self) -> str:
        """``data:image/jpeg;base64,…``: what the page's ``<img src>`` gets."""
        return JPEG_DATA_URI + base64.b64encode(self.jpeg).decode("ascii")

    @property
    def inlined_bytes(self) -> int:
        """What the thumbnail adds to a page: the length of its data URI (ASCII)."""
        return len(JPEG_DATA_URI) + 4 * -(-len(self.jpeg) // 3)


@dataclass(frozen=True, slots=True)
class PhotoSummary:
    """The thumbnails a page inlines: how many, and the bytes their data URIs add."""

    count: int
    size_bytes: int

    @property
    def kb(self) -> int:
        """The size as the page states it: whole KB (1,024 bytes), at least 1 for any."""
        return max(1, (self.size_bytes + 512) // 1024) if self.size_bytes else 0


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
    now: datetime,
    photos: Mapping[StationId, Thumbnail] | None = None,
    district_code: str | None = None,
) -> Json:
    """The JSON object a page embeds (see the module docstring); stations as given, in order.

    ``now`` is the page's build time: a closure that has ended by then is left out (the page's
    script also hides one that ends while the page is kept), and the open intervals start then
    (``api.maps.hours``). ``photos`` (None: no photos on the page) maps station ids to the
    thumbnail each popup inlines; those of other stations are ignored. ``district_code`` marks
    a page of one district's stations (its name is shown, and the nearest list says it is
    limited to them).
    """
    hours = page_hours(stations, now=now, lang=lang)
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
        "access": [
            {"code": access.value, "label": ACCESS_LABELS[lang][access]} for access in ACCESSES
        ],
        "entries": [{"code": entry.value, "label": ENTRY_LABELS[lang][entry]} for entry in ENTRIES],
        "filter": list(KEY_AMENITIES),
        "bounds": bounds_latlng(*drawn_position(stations, tiles)) if stations else None,
        "fields": list(FIELDS),
        "stations": station_rows(stations, tiles, lang=lang, now=now, schedules=hours.index),
        "coverage": coverage(stations, coverage_m) if coverage_m else None,
        "photos": None if photos is None else photo_data(stations, photos),
        "schedules": hours.data,
        "hoursWords": hours_words(stations, lang),
        # The API's defaults for a rider: k stations open to couriers (stations.model).
        "nearest": {
            "k": NEAREST_K,
            "access": [i for i, a in enumerate(ACCESSES) if a in COURIER_ACCESS],
        },
        "compass": list(COMPASS[lang]),
        "district": None if district_code is None else district_name(district_code),
    }


def station_rows(
    stations: Sequence[Station],
    tiles: Tiles,
    *,
    lang: Lang,
    now: datetime,
    schedules: Sequence[int],
) -> list[list[Any]]:
    """One row per station, columns in ``FIELDS`` order (closures ended by ``now`` left out);
    ``schedules`` gives each station's index into the page's ``schedules.table``."""
    if not stations:
        return []
    lon = np.array([s.lon for s in stations], dtype=np.float64)
    lat = np.array([s.lat for s in stations], dtype=np.float64)
    drawn = leaflet_latlng(*from_wgs84(lon, lat, TILE_SOURCES[tiles].crs))
    gcj = _lonlat_pairs(*from_wgs84(lon, lat, CoordinateSystem.GCJ02))
    bd = _lonlat_pairs(*from_wgs84(lon, lat, CoordinateSystem.BD09))
    kind_index = {kind: i for i, kind in enumerate(KINDS)}
    access_index = {access: i for i, access in enumerate(ACCESSES)}
    entry_index = {entry: i for i, entry in enumerate(ENTRIES)}
    return [
        _without_trailing_nulls(
            s.id,
            s.name,
            kind_index[s.kind],
            drawn[i],
            s.address,
            mask_of(s.amenities),
            mask_of(s.working_amenities),
            s.opening_hours,
            s.phone,
            s.host,
            gcj[i],
            bd[i],
            [s.lon, s.lat],
            schedules[i],
            access_index[s.access],
            None if s.entry is None else entry_index[s.entry],
            verified_day(s),
            closure(s, lang=lang, now=now),
            None if s.osm is None else 1,
        )
        for i, s in enumerate(stations)
    ]


def _without_trailing_nulls(*columns: Any) -> list[Any]:
    """A row without its trailing None columns (the page reads a missing one as null): most
    stations have no entry recorded, no verification and no closure, 15 bytes each."""
    row = list(columns)
    while row and row[-1] is None:
        row.pop()
    return row


def verified_day(station: Station) -> str | None:
    """The day (Asia/Shanghai, ISO) an editor last confirmed the station on site, or None."""
    if station.verified_at is None:
        return None
    return station.verified_at.astimezone(SHANGHAI).date().isoformat()


def closure(station: Station, *, lang: Lang, now: datetime) -> list[Any] | None:
    """[reopening in ms since the epoch, reopening as page text, reason or None] for a
    temporary closure that has not ended by ``now``; None otherwise."""
    until = station.closed_until
    if until is None or until <= now:
        return None
    return [
        round(until.timestamp() * 1000),
        local_time_text(until, lang=lang, now=now),
        station.closure_reason or None,
    ]


def photo_summary(
    stations: Sequence[Station], photos: Mapping[StationId, Thumbnail]
) -> PhotoSummary:
    """How many thumbnails a page of ``stations`` inlines, and the bytes they add."""
    inlined = [photos[s.id] for s in stations if s.id in photos]
    return PhotoSummary(count=len(inlined), size_bytes=sum(t.inlined_bytes for t in inlined))


def photo_data(stations: Sequence[Station], photos: Mapping[StationId, Thumbnail]) -> Json:
    """The page's photos: per station id [data URI, width, height], with their count, the
    bytes the data URIs add and that size in KB (what the page states)."""
    summary = photo_summary(stations, photos)
    by_id = {
        s.id: [photos[s.id].data_uri(), photos[s.id].width, photos[s.id].height]
        for s in stations
        if s.id in photos
    }
    return {"count": summary.count, "bytes": summary.size_bytes, "kb": summary.kb, "byId": by_id}


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
