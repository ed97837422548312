"""Stations as GeoJSON in the caller's coordinate system, with navigation links."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlencode

import numpy as np
from numpy.typing import NDArray

from geo.crs import CoordinateSystem, from_wgs84
from geo.position import LonLat
from stations.hours import HoursStatus
from stations.locator import Match
from stations.model import Station

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
        "updated_at": station.updated_at.isoformat().replace("+00:00", "Z"),
    }


def nearest_collection(
    matches: Sequence[Match], origin: LonLat, crs: CoordinateSystem, at: datetime
) -> Json:
    """A FeatureCollection of matches, nearest first, positions in ``crs``."""
    stations = [m.station for m in matches]
    coords = _convert(stations, crs)
    nav = _NavCoords(stations, origin)
    features = []
    for i, match in enumerate(matches):
        props = station_properties(match.station)
        props["distance_m"] = round(match.distance_m, 3)
        props["bearing_deg"] = round(match.bearing_deg, 2)
        props.update(_hours(match.hours))
        props["links"] = nav.route_links(i, match.station.name)
        features.append(_feature(match.station, coords[i], props))
    origin_lon, origin_lat = from_wgs84(origin.lon, origin.lat, crs)
    return {
        "type": "FeatureCollection",
        "coordinate_system": crs.value,
        "query": {
            "origin": [_round(origin_lon), _round(origin_lat)],
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
    """``nearest_collection`` for each rider of a batch (origins in WGS-84), in order, document
    for document. The coordinate conversions run once for the whole batch instead of three
    times per rider (most of the cost): they are elementwise, so every number is the one the
    single query computes."""
    row: dict[str, int] = {}
    stations: list[Station] = []
    for found in matches:
        for match in found:
            if row.setdefault(match.station.id, len(stations)) == len(stations):
                stations.append(match.station)
    # Stations first, then the origins, as _NavCoords lays out one rider's array.
    lon = np.array([s.lon for s in stations] + origin_lon.tolist(), dtype=np.float64)
    lat = np.array([s.lat for s in stations] + origin_lat.tolist(), dtype=np.float64)
    shown = [(_round(x), _round(y)) for x, y in _pairs(*from_wgs84(lon, lat, crs))]
    gcj = _pairs(*from_wgs84(lon, lat, CoordinateSystem.GCJ02))
    bd = _pairs(*from_wgs84(lon, lat, CoordinateSystem.BD09))
    at_text = at.isoformat()
    collections = []
    for i, found in enumerate(matches):
        rows = [row[m.station.id] for m in found] + [len(stations) + i]
        nav = _NavCoords.from_pairs([gcj[r] for r in rows], [bd[r] for r in rows])
        features = []
        for j, match in enumerate(found):
            props = station_properties(match.station)
            props["distance_m"] = round(match.distance_m, 3)
            props["bearing_deg"] = round(match.bearing_deg, 2)
            props.update(_hours(match.hours))
            props["links"] = nav.route_links(j, match.station.name)
            features.append(_feature(match.station, shown[rows[j]], props))
        collections.append(
            {
                "type": "FeatureCollection",
                "coordinate_system": crs.value,
                "query": {"origin": list(shown[rows[-1]]), "at": at_text},
                "numberReturned": len(features),
                "features": features,
            }
        )
    return collections


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


class _NavCoords:
    """Stations (and the rider) in GCJ-02 for Amap and BD-09 for Baidu, whose URI APIs take
    those systems (``coordinate=gaode``, ``coord_type=bd09ll``)."""

    def __init__(self, stations: Sequence[Station], origin: LonLat | None) -> None:
        lon = np.array([s.lon for s in stations] + ([origin.lon] if origin else []))
        lat = np.array([s.lat for s in stations] + ([origin.lat] if origin else []))
        self.gcj = _pairs(*from_wgs84(lon, lat, CoordinateSystem.GCJ02))
        self.bd = _pairs(*from_wgs84(lon, lat, CoordinateSystem.BD09))

    @classmethod
    def from_pairs(
        cls, gcj: list[tuple[float, float]], bd: list[tuple[float, float]]
    ) -> _NavCoords:
        """From positions already converted (stations, then the rider last)."""
        nav = cls.__new__(cls)
        nav.gcj, nav.bd = gcj, bd
        return nav

    def route_links(self, i: int, name: str) -> Json:
        (glon, glat), (olon, olat) = self.gcj[i], self.gcj[-1]
        (blon, blat), (oblon, oblat) = self.bd[i], self.bd[-1]
        amap = "https://uri.amap.com/navigation?" + urlencode(
            {
                "from": f"{olon:.6f},{olat:.6f},我的位置",
                "to": f"{glon:.6f},{glat:.6f},{name}",
                "mode": "ride",
                "coordinate": "gaode",
                "callnative": "1",
            },
            quote_via=quote,
        )
        baidu = "https://api.map.baidu.com/direction?" + urlencode(
            {
                "origin": f"latlng:{oblat:.6f},{oblon:.6f}|name:我的位置",
                "destination": f"latlng:{blat:.6f},{blon:.6f}|name:{name}",
                "mode": "riding",
                "coord_type": "bd09ll",
                "output": "html",
                "src": "yizhan",
            },
            quote_via=quote,
        )
        return {"amap": amap, "baidu": baidu}

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
