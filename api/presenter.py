"""Stations as GeoJSON in the caller's coordinate system, with navigation links."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Final, NamedTuple
from urllib.parse import quote

import numpy as np
import orjson
from numpy.typing import NDArray

from api.instants import utc_text
from geo.attribution import OSM_ATTRIBUTION
from geo.crs import CoordinateSystem, from_wgs84
from geo.crs_point import convert_point
from geo.position import LonLat
from stations.hours import HoursStatus
from stations.hours_text import describe_both
from stations.model import Station
from stations.reading.locator import Match
from stations.reading.ride_rank import TimedAnswer
from stations.reports import Report, summary

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
        "opening_hours_text": describe_both(station.opening_hours),
        "phone": station.phone,
        "host": station.host,
        "access": station.access.value,
        "entry": None if station.entry is None else station.entry.value,
        "closed_until": None if station.closed_until is None else utc_text(station.closed_until),
        "closure_reason": station.closure_reason,
        "verified_at": None if station.verified_at is None else utc_text(station.verified_at),
        "last_confirmed_at": (
            None if station.last_confirmed_at is None else utc_text(station.last_confirmed_at)
        ),
        "out_of_order": {code: utc_text(since) for code, since in station.out_of_order},
        "osm": None if station.osm is None else station.osm.element,
        "attribution": None if station.osm is None else OSM_ATTRIBUTION,
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
    the navigation links are assembled from pre-quoted pieces (``_url``)."""
    rider = _RiderLinks(origin)
    features = []
    for match in matches:
        station = match.station
        view = _view(station)
        props = station_properties(station)
        props["distance_m"] = round(match.distance_m, 3)
        props["bearing_deg"] = round(match.bearing_deg, 2)
        props.update(_hours(match.hours))
        props["rider_reports"] = _reports(station)
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


def nearest_json(
    matches: Sequence[Match], origin: LonLat, crs: CoordinateSystem, at: datetime
) -> bytes:
    """``orjson.dumps(nearest_collection(...))``, byte for byte, without building it: what does
    not depend on the request (each station's feature up to its properties, in each coordinate
    system) is encoded once per station version (``_StationView.head``); a request encodes only
    what depends on it (distance, bearing, open status, reports, links) and splices the pieces.
    tests/api/test_presenter_bytes.py holds it to the dict form over a table of queries."""
    rider = _RiderLinks(origin)
    features = []
    for match in matches:
        station = match.station
        view = _view(station)
        status = match.hours
        ask = orjson.dumps(
            {
                "distance_m": round(match.distance_m, 3),
                "bearing_deg": round(match.bearing_deg, 2),
                "open_status": status.state.value,
                "next_change": None
                if status.next_change is None
                else status.next_change.isoformat(),
                "rider_reports": _reports(station),
                "links": rider.route_links(view),
            }
        )
        # head ends inside the properties object; ask's "{" gives way to the comma.
        features.append(view.head(crs) + b"," + ask[1:] + b"}")
    shell = orjson.dumps(
        {
            "type": "FeatureCollection",
            "coordinate_system": crs.value,
            "query": {"origin": list(_point_in(origin.lon, origin.lat, crs)), "at": at.isoformat()},
            "numberReturned": len(features),
            "features": [],
        }
    )
    return shell[: -len(_EMPTY_TAIL)] + b"[" + b",".join(features) + b"]}"


_EMPTY_TAIL: Final = b"[]}"


def timed_collection(
    answer: TimedAnswer, origin: LonLat, crs: CoordinateSystem, at: datetime
) -> Json:
    """``nearest_collection`` of stations ranked by ride time: each feature also carries its
    ``duration_s``, ``route_distance_m`` (None when estimated), ``duration_source`` (engine |
    estimate) and ``arrival``, the instant its open status is given for; the query says it was
    ranked by time, at which speed, why the engine was not used if it was not, and credits
    OpenStreetMap (ODbL) when it was."""
    collection = nearest_collection([t.match for t in answer.matches], origin, crs, at)
    for feature, timed in zip(collection["features"], answer.matches, strict=True):
        props = feature["properties"]
        props["duration_s"] = round(timed.duration_s, 1)
        props["route_distance_m"] = (
            None if timed.route_distance_m is None else round(timed.route_distance_m, 1)
        )
        props["duration_source"] = timed.source
        props["arrival"] = (at + timedelta(seconds=timed.duration_s)).isoformat()
    collection["query"]["rank"] = "time"
    collection["query"]["open_status_at"] = "arrival"
    collection["query"]["ride_speed_kmh"] = answer.speed_kmh
    if any(timed.source == "engine" for timed in answer.matches):
        collection["query"]["attribution"] = OSM_ATTRIBUTION  # the routes are OSM's roads
    if answer.fallback is not None:
        collection["query"]["fallback"] = answer.fallback
    return collection


def nearest_jsons(
    matches: Sequence[Sequence[Match]],
    origin_lon: NDArray[np.float64],
    origin_lat: NDArray[np.float64],
    crs: CoordinateSystem,
    at: datetime,
) -> list[bytes]:
    """``nearest_json`` for each rider of a batch (origins in WGS-84), in input order: the very
    function the single query uses, so each document is the single answer."""
    return [
        nearest_json(found, LonLat(lon, lat), crs, at)
        for found, lon, lat in zip(matches, origin_lon.tolist(), origin_lat.tolist(), strict=True)
    ]


def station_feature(station: Station, crs: CoordinateSystem, hours: HoursStatus) -> Json:
    view = _view(station)
    props = station_properties(station)
    props.update(_hours(hours))
    props["rider_reports"] = _reports(station)
    props["links"] = _marker_links(station)
    feature = _feature(station, view.positions[crs], props)
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
    return _feature_of(station.id, coords, props)


def _feature_of(station_id: str, coords: tuple[float, float], props: Json) -> Json:
    return {
        "type": "Feature",
        "id": station_id,
        "geometry": {"type": "Point", "coordinates": [coords[0], coords[1]]},
        "properties": props,
    }


_NO_REPORTS: Final[Json] = {}


def _reports(station: Station) -> Json:
    """Open rider reports of the last 24 hours, by category."""
    if not station.reports:
        return _NO_REPORTS
    return summary(station.reports, datetime.now(UTC))


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


def _query(*params: tuple[str, str]) -> str:
    """What ``urlencode(params, quote_via=quote)`` writes, for values given already quoted: by
    ``_quoted``, or numbers with their separators quoted by hand ("," is %2C, ":" %3A, "|"
    %7C); the names are plain words, which quote leaves as they are. Every navigation link is
    built of these (tests/api/test_presenter.py checks the bytes against urlencode)."""
    return "&".join(map("=".join, params))


_GCJ: Final = CoordinateSystem.GCJ02
_BD: Final = CoordinateSystem.BD09
_HERE: Final = _quoted("我的位置")
# Amap's URI API takes GCJ-02 (coordinate=gaode), Baidu's BD-09 (coord_type=bd09ll).
_AMAP_OPTIONS: Final = (("coordinate", "gaode"), ("callnative", "1"))
_BAIDU_OPTIONS: Final = (("coord_type", "bd09ll"), ("output", "html"), ("src", "yizhan"))
_AMAP_RIDE: Final = _query(("mode", "ride"), *_AMAP_OPTIONS)
_BAIDU_RIDE: Final = _query(("mode", "riding"), *_BAIDU_OPTIONS)


class _NavPoint(NamedTuple):
    """A place in Amap's and Baidu's coordinate systems, and as their links write it."""

    gcj: tuple[float, float]
    bd: tuple[float, float]
    amap: str  # quoted GCJ-02 "lon,lat"
    baidu: str  # quoted BD-09 "lat,lon"

    @classmethod
    def of(cls, lon: float, lat: float) -> _NavPoint:
        """The place at WGS-84 (lon, lat)."""
        glon, glat = convert_point(lon, lat, CoordinateSystem.WGS84, _GCJ)
        blon, blat = convert_point(glon, glat, _GCJ, _BD)  # = convert_point(.., WGS84, BD09)
        amap, baidu = f"{glon:.6f}%2C{glat:.6f}", f"{blat:.6f}%2C{blon:.6f}"
        return cls((glon, glat), (blon, blat), amap, baidu)


class _RiderLinks:
    """Ride navigation from one rider to stations: each link is the rider's part, built once per
    request, then the station's (``_StationView``), then the fixed options."""

    def __init__(self, origin: LonLat) -> None:
        here = _NavPoint.of(origin.lon, origin.lat)
        self._amap = "https://uri.amap.com/navigation?" + _query(("from", f"{here.amap}%2C{_HERE}"))
        self._baidu = "https://api.map.baidu.com/direction?" + _query(
            ("origin", f"latlng%3A{here.baidu}%7Cname%3A{_HERE}")
        )

    def route_links(self, view: _StationView) -> Json:
        return {
            "amap": f"{self._amap}&{view.amap_to}&{_AMAP_RIDE}",
            "baidu": f"{self._baidu}&{view.baidu_destination}&{_BAIDU_RIDE}",
        }


def _marker_links(station: Station) -> Json:
    """One station on Amap's and Baidu's maps."""
    at, name = _NavPoint.of(station.lon, station.lat), _quoted(station.name)
    amap = _query(("position", at.amap), ("name", name), *_AMAP_OPTIONS)
    baidu = _query(
        ("location", at.baidu),
        ("title", name),
        ("content", _quoted(station.address or "")),
        *_BAIDU_OPTIONS,
    )
    return {
        "amap": f"https://uri.amap.com/marker?{amap}",
        "baidu": f"https://api.map.baidu.com/marker?{baidu}",
    }


class _StationView(NamedTuple):
    """What every answer shows of one station, whoever asks: computed once per station
    version (see ``_view``)."""

    station: Station  # the cache's key: the view holds nothing of it twice
    positions: dict[CoordinateSystem, tuple[float, float]]  # rounded, per coordinate system
    amap_to: str  # Amap's ``to`` parameter, as the link writes it
    baidu_destination: str  # Baidu's ``destination`` parameter, as the link writes it
    heads: dict[CoordinateSystem, bytes]  # filled by ``head``, once per coordinate system

    def head(self, crs: CoordinateSystem) -> bytes:
        """The station's feature encoded up to the last of its own properties: ``{"type":
        "Feature","id":…,"geometry":…,"properties":{…`` with neither closing brace."""
        head = self.heads.get(crs)
        if head is None:
            # The properties are encoded here and not kept as a dict: the bytes are what every
            # answer uses, and a dict per cached station would double the cache's memory.
            station = self.station
            props = station_properties(station)
            whole = orjson.dumps(_feature_of(station.id, self.positions[crs], props))
            head = self.heads[crs] = whole[:-2]
        return head


@functools.lru_cache(maxsize=16_384)
def _view(station: Station) -> _StationView:
    """Cached by the Station's value (all its fields), so an edited station gets a new view and
    two equal stations share one. 16,384 views are ~25 MB: the busy stations of a country."""
    at, name = _NavPoint.of(station.lon, station.lat), _quoted(station.name)
    return _StationView(
        station=station,
        positions={
            CoordinateSystem.WGS84: (_round(station.lon), _round(station.lat)),
            _GCJ: (_round(at.gcj[0]), _round(at.gcj[1])),
            _BD: (_round(at.bd[0]), _round(at.bd[1])),
        },
        amap_to=_query(("to", f"{at.amap}%2C{name}")),
        baidu_destination=_query(("destination", f"latlng%3A{at.baidu}%7Cname%3A{name}")),
        heads={},
    )


def report_json(report: Report) -> Json:
    """A rider report as moderators read it (never its client hash)."""
    return {
        "id": report.id,
        "station_id": report.station_id,
        "category": report.category.value,
        "amenity": report.amenity,
        "note": report.note,
        "created_at": utc_text(report.created_at),
        "status": report.status.value,
        "resolved_by": report.resolved_by,
        "resolved_at": None if report.resolved_at is None else utc_text(report.resolved_at),
        "resolution_reason": report.resolution_reason,
        "resolved_in_version": report.resolved_in_version,
    }
