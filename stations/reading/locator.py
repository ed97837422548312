"""Use cases over a catalog snapshot: nearest stations for a rider, and filtered listings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

import numpy as np

from geo.crs import CoordinateSystem
from geo.position import LonLat
from stations.amenities import mask_of
from stations.hours import HoursStatus
from stations.model import COURIER_ACCESS, Access, Kind, Station
from stations.reading.catalog import Catalog
from stations.reading.open_table import open_table


@dataclass(frozen=True, slots=True)
class NearbyQuery:
    """What a rider asks. ``open_at`` keeps only stations open at that instant; ``at`` is the
    instant every match's opening status is given for (both timezone-aware)."""

    at: datetime
    k: int = 5
    radius_m: float | None = None
    amenities: tuple[str, ...] = ()
    kinds: frozenset[Kind] = frozenset()
    open_at: datetime | None = None
    access: frozenset[Access] = COURIER_ACCESS  # who the rider is: stations open to them
    verified_since: datetime | None = None  # only stations verified on site since then


def nearby_query(
    *,
    now: datetime,
    k: int,
    radius_m: float | None = None,
    amenities: tuple[str, ...] = (),
    kinds: frozenset[Kind] = frozenset(),
    open_now: bool = False,
    open_at: datetime | None = None,
    access: frozenset[Access] = COURIER_ACCESS,
    verified_within_days: int | None = None,
) -> NearbyQuery:
    """The query a rider's request asks (over HTTP or the command line, one rider or many):
    statuses are given for ``open_at`` (or ``now``); either open_now or open_at keeps only the
    stations open then; ``verified_within_days`` keeps only the stations an editor verified on
    site within that many days (of 24 hours) before ``now``."""
    at = open_at or now
    return NearbyQuery(
        at=at,
        k=k,
        radius_m=radius_m,
        amenities=amenities,
        kinds=kinds,
        open_at=at if (open_now or open_at is not None) else None,
        access=access,
        verified_since=(
            None if verified_within_days is None else now - timedelta(days=verified_within_days)
        ),
    )


class Match(NamedTuple):  # built k times per request: cheaper than a frozen dataclass
    station: Station
    distance_m: float  # geodesic, WGS-84 ellipsoid
    bearing_deg: float  # initial bearing from the rider, clockwise from north
    hours: HoursStatus


def find_nearby(catalog: Catalog, origin: LonLat, query: NearbyQuery) -> list[Match]:
    """Stations near ``origin`` that offer every wanted amenity and are open at
    ``query.open_at``; nearest first by geodesic distance, ties by id. Empty catalog: []."""
    space = catalog.search_space(query.amenities, query.kinds, query.access, query.verified_since)
    open_at = query.open_at
    admit = None
    admit_share = None
    if open_at is not None:
        table = open_table(catalog)
        admit_share = table.open_share(open_at)

        def admit(positions: list[int]) -> list[bool]:
            assert open_at is not None
            return table.open_at(positions, open_at)

    hits = space.index.nearest(
        origin.lon,
        origin.lat,
        query.k,
        mask=space.mask,
        mask_fraction=space.mask_fraction,
        max_distance_m=query.radius_m,
        admit=admit,
        admit_share=admit_share,
    )
    hours, at = catalog.hours, query.at
    stations = catalog.visible.at([hit.position for hit in hits])
    return [
        Match(station, hit.distance_m, hit.bearing_deg, hours[hit.position].status(at))
        for station, hit in zip(stations, hits, strict=True)
    ]


@dataclass(frozen=True, slots=True)
class ListQuery:
    """A listing filter; ``bbox`` is (min_lon, min_lat, max_lon, max_lat) in degrees, edges
    included, and may cross the antimeridian (min_lon > max_lon), in ``crs``. ``amenities``
    must all be working; empty ``kinds``/``access`` filter nothing. ``district`` is an adcode
    prefix (``GET /v1/stations``), ``district_code`` a whole adcode (OGC API's property
    equality)."""

    bbox: tuple[float, float, float, float] | None = None
    crs: CoordinateSystem = CoordinateSystem.WGS84  # the system ``bbox`` is given in
    amenities: tuple[str, ...] = ()
    kinds: frozenset[Kind] = frozenset()
    access: frozenset[Access] = frozenset()
    district: str | None = None
    district_code: str | None = None
    limit: int = 100
    offset: int = 0


@dataclass(frozen=True, slots=True)
class Page:
    stations: list[tuple[int, Station]]  # (catalog position, station), ordered by id
    matched: int


def list_stations(catalog: Catalog, query: ListQuery) -> Page:
    """Visible stations passing every filter, ordered by id, one page of them."""
    keep = np.ones(len(catalog), dtype=bool)
    if query.amenities or query.kinds or query.access:
        keep &= catalog.selection(mask_of(query.amenities), query.kinds, query.access).mask
    if query.bbox is not None:
        min_lon, min_lat, max_lon, max_lat = query.bbox
        lon, lat = catalog.coordinates(query.crs)
        keep &= (lat >= min_lat) & (lat <= max_lat)
        if min_lon <= max_lon:
            keep &= (lon >= min_lon) & (lon <= max_lon)
        else:  # crosses the antimeridian (RFC 7946 §5.2)
            keep &= (lon >= min_lon) | (lon <= max_lon)
    if query.district:
        prefix = query.district
        districts = catalog.visible.column("district_code")
        keep &= np.array([code.startswith(prefix) for code in districts], bool)
    if query.district_code is not None:
        code = query.district_code
        keep &= np.array([c == code for c in catalog.visible.column("district_code")], bool)
    positions = np.flatnonzero(keep)
    chosen = positions[query.offset : query.offset + query.limit].tolist()
    return Page([(p, catalog.visible[p]) for p in chosen], matched=int(positions.size))
