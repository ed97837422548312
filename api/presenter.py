"""Stations as GeoJSON in the caller's coordinate system, with navigation links."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Final, NamedTuple
from urllib.parse import quote, urlencode

import numpy as np
from numpy.typing import NDArray

from api.instants import utc_text
from geo.crs import CoordinateSystem, convert_point, from_wgs84
from geo.position import LonLat
from stations.hours import HoursStatus
from stations.model import Station
from stations.reading.locator import Match

Json = dict[str, Any]
_COORD_DECIMALS = 7  # about 1 cm


def station_properties(station: Station) -> Json:
    return {
        "id": station.id,
        "name": station.name,
        "kind": station.kind.value,
        "address": station.address,
        "district_code": station.district_code,
        "amenities": list(station.amenities),
        "opening_hours": station.opening_hours,
        "phone": station.phone,
        "host": station.host,
        "status": station.status.value,
        "version": station.version,
        "updated_at": utc_text(station.updated_at),
    }


def nearest_collection(
    matches: Sequence[Match], origin: LonLat, crs: CoordinateSystem, at: datetime
) -> Json:
    """A FeatureCollection of matches, nearest first, positions in ``crs``.

    Runs once per request (and per rider of a batch), so every position is converted alone with
    ``convert_point`` (bit-identical to the array conversion, 20-40x cheaper for one point) and
    the navigation links are assembled from pre-quoted pieces."""
    rider = _RiderLinks(origin)
    features = []
    for match in matches:
        station = match.station
        view = _view(station)
        props = dict(view.properties)
        props["distance_m"] = round(match.distance_m, 3)
        props["bearing_deg"] = round(match.bearing_deg, 2)
        props.update(_hours(match.hours))
        props["links"] = rider.route_links(view)
        features.append(_feature(station, view.positions[crs], props))
    return {
        "type": "FeatureCollection",
        "coordinate_system": crs.value,
        "query": {
            "origin": list(_point_in(origin.lon, origin.lat, crs)),
            "at": at.isoformat(),
        },
        "numberReturned": len(features),
        "features": features,
    }


def nearest_collections(
    matches: Sequence[Sequence[Match]],
    origin_lon: NDArray[np.float64],
    origin_lat: NDArray[np.float64],
    crs: CoordinateSystem,
    at: datetime,
) -> list[Json]:
    """``nearest_collection`` for each rider of a batch (origins in WGS-84), in input order:
    the very function the single query uses, so each document is the single answer."""
    return [
        nearest_collection(found, LonLat(lon, lat), crs, at)
        for found, lon, lat in zip(matches, origin_lon.tolist(), origin_lat.tolist(), strict=True)
    ]


def station_feature(station: Station, crs: CoordinateSystem, hours: HoursStatus) -> Json:
    coords = _convert([station], crs)
    props = station_properties(station)
    props.update(_hours(hours))
    props["links"] = _NavCoords([station], None).marker_links(0, station)
    feature = _feature(station, coords[0], props)
    feature["coordinate_system"] = crs.value
    return feature


def listing_collection(
    stations: Sequence[Station],
    crs: CoordinateSystem,
    *,
    matched: int,
    links: list[Json],
) -> Json:
    coords = _convert(stations, crs)
    return {
        "type": "FeatureCollection",
        "coordinate_system": crs.value,
        "numberMatched": matched,
        "numberReturned": len(stations),
        "links": links,
        "features": [_feature(s, coords[i], station_properties(s)) for i, s in enumerate(stations)],
    }


def _feature(station: Station, coords: tuple[float, float], props: Json) -> Json:
    return {
        "type": "Feature",
        "id": station.id,
        "geometry": {"type": "Point", "coordinates": [coords[0], coords[1]]},
        "properties": props,
    }


def _hours(status: HoursStatus) -> Json:
    return {
        "open_status": status.state.value,
        "next_change": None if status.next_change is None else status.next_change.isoformat(),
    }


def _convert(stations: Sequence[Station], crs: CoordinateSystem) -> list[tuple[float, float]]:
    if not stations:
        return []
    lon = np.array([s.lon for s in stations])
    lat = np.array([s.lat for s in stations])
    x, y = from_wgs84(lon, lat, crs)
    return [(_round(a), _round(b)) for a, b in zip(np.atleast_1d(x), np.atleast_1d(y), strict=True)]


def _round(value: object) -> float:
    return round(float(value), _COORD_DECIMALS)  # type: ignore[arg-type]


def _point_in(lon: float, lat: float, crs: CoordinateSystem) -> tuple[float, float]:
    x, y = convert_point(lon, lat, CoordinateSystem.WGS84, crs)
    return round(x, _COORD_DECIMALS), round(y, _COORD_DECIMALS)


@functools.lru_cache(maxsize=65_536)
def _quoted(text: str) -> str:
    """``text`` as urlencode(..., quote_via=quote) writes a value (station names repeat)."""
    return quote(text, safe="")


_HERE: Final = _quoted("我的位置")


class _RiderLinks:
    """Ride navigation from one rider to stations: Amap takes GCJ-02 (``coordinate=gaode``),
    Baidu BD-09 (``coord_type=bd09ll``). The URLs are exactly what ``urlencode(...,
    quote_via=quote)`` makes of the parameters (tests/api/test_presenter.py checks), built from
    pieces: numbers need no quoting and ``quote`` works character by character."""

    def __init__(self, origin: LonLat) -> None:
        glon, glat = convert_point(origin.lon, origin.lat, CoordinateSystem.WGS84, _GCJ)
        blon, blat = convert_point(glon, glat, _GCJ, _BD)
        self._amap_from = f"https://uri.amap.com/navigation?from={glon:.6f}%2C{glat:.6f}%2C{_HERE}"
        self._baidu_origin = (
            f"https://api.map.baidu.com/direction?origin=latlng%3A{blat:.6f}%2C{blon:.6f}"
            f"%7Cname%3A{_HERE}"
        )

    def route_links(self, view: _StationView) -> Json:
        return {
            "amap": f"{self._amap_from}&to={view.amap_to}&mode=ride&coordinate=gaode&callnative=1",
            "baidu": f"{self._baidu_origin}&destination={view.baidu_destination}"
            "&mode=riding&coord_type=bd09ll&output=html&src=yizhan",
        }


class _StationView(NamedTuple):
    """What every answer shows of one station, whoever asks: computed once per station
    version (see ``_view``)."""

    properties: Json  # station_properties(); copied before a request adds to it
    positions: dict[CoordinateSystem, tuple[float, float]]  # rounded, per coordinate system
    amap_to: str  # the quoted value of Amap's ``to`` parameter
    baidu_destination: str  # the quoted value of Baidu's ``destination`` parameter


@functools.lru_cache(maxsize=16_384)
def _view(station: Station) -> _StationView:
    """Cached by the Station's value (all its fields), so an edited station gets a new view and
    two equal stations share one. 16,384 views are ~25 MB: the busy stations of a country."""
    glon, glat = convert_point(station.lon, station.lat, CoordinateSystem.WGS84, _GCJ)
    blon, blat = convert_point(glon, glat, _GCJ, _BD)  # = convert_point(.., WGS84, BD09)
    name = _quoted(station.name)
    return _StationView(
        properties=station_properties(station),
        positions={
            CoordinateSystem.WGS84: (
                round(station.lon, _COORD_DECIMALS),
                round(station.lat, _COORD_DECIMALS),
            ),
            _GCJ: (round(glon, _COORD_DECIMALS), round(glat, _COORD_DECIMALS)),
            _BD: (round(blon, _COORD_DECIMALS), round(blat, _COORD_DECIMALS)),
        },
        amap_to=f"{glon:.6f}%2C{glat:.6f}%2C{name}",
        baidu_destination=f"latlng%3A{blat:.6f}%2C{blon:.6f}%7Cname%3A{name}",
    )


_GCJ: Final = CoordinateSystem.GCJ02
_BD: Final = CoordinateSystem.BD09


class _NavCoords:
    """Stations (and the rider) in GCJ-02 for Amap and BD-09 for Baidu, whose URI APIs take
    those systems (``coordinate=gaode``, ``coord_type=bd09ll``)."""

    def __init__(self, stations: Sequence[Station], origin: LonLat | None) -> None:
        lon = np.array([s.lon for s in stations] + ([origin.lon] if origin else []))
        lat = np.array([s.lat for s in stations] + ([origin.lat] if origin else []))
        self.gcj = _pairs(*from_wgs84(lon, lat, CoordinateSystem.GCJ02))
        self.bd = _pairs(*from_wgs84(lon, lat, CoordinateSystem.BD09))

    def marker_links(self, i: int, station: Station) -> Json:
        glon, glat = self.gcj[i]
        blon, blat = self.bd[i]
        amap = "https://uri.amap.com/marker?" + urlencode(
            {
                "position": f"{glon:.6f},{glat:.6f}",
                "name": station.name,
                "coordinate": "gaode",
                "callnative": "1",
            },
            quote_via=quote,
        )
        baidu = "https://api.map.baidu.com/marker?" + urlencode(
            {
                "location": f"{blat:.6f},{blon:.6f}",
                "title": station.name,
                "content": station.address or "",
                "coord_type": "bd09ll",
                "output": "html",
                "src": "yizhan",
            },
            quote_via=quote,
        )
        return {"amap": amap, "baidu": baidu}


def _pairs(lon: np.ndarray, lat: np.ndarray) -> list[tuple[float, float]]:
    return list(zip(np.atleast_1d(lon).tolist(), np.atleast_1d(lat).tolist(), strict=True))
