"""Nearest stations for many riders at once: the batch form of ``locator.find_nearby``.

Every row is exactly what ``find_nearby`` answers for that rider: the same search space
(``Catalog.search_space``: a restricted index for a selective filter, else a mask over the full
one), the same order (geodesic distance, ties by id). Without an opening-hours filter the rows
come from the vectorised ``NearestIndex.nearest_many``; with one (``query.open_at``) each row
goes through ``find_nearby`` itself, because whether a candidate is open is decided candidate
by candidate.

Two answers: ``find_nearby_many`` gives each rider's ``Match`` list (what the HTTP batch
answers), ``neighbours_of_many`` their ``Neighbours`` arrays of catalog positions (what
``yizhan nearest --batch`` writes, see ``stations.reading.rider_points``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

import numpy as np
from numpy.typing import ArrayLike

from geo.nearest import Neighbours
from geo.position import LonLat
from stations.reading.catalog import Catalog
from stations.reading.locator import Match, NearbyQuery, find_nearby

#: Riders per progress report on the one-by-one (opening hours) path.
_REPORT_EVERY: Final = 4096


def neighbours_of_many(
    catalog: Catalog,
    lon_deg: ArrayLike,
    lat_deg: ArrayLike,
    query: NearbyQuery,
    *,
    progress: Callable[[int], None] | None = None,
) -> Neighbours:
    """The stations ``find_nearby`` gives each rider at (lon, lat) (WGS-84 degrees, 1-d arrays
    of equal length), as (n, k) arrays of catalog positions (into ``catalog.visible``; -1 where
    fewer than k match), geodesic metres and bearings (NaN where missing); nearest first, ties
    by id. ``query.at`` is not used (no opening status is computed). ``progress`` is called
    with the number of riders finished, now and then. Raises ValueError for a position that is
    not WGS-84 (out of range, NaN, ±inf)."""
    if query.open_at is not None:
        return _one_by_one(catalog, lon_deg, lat_deg, query, progress)
    space = catalog.search_space(query.amenities, query.kinds, query.access, query.verified_since)
    return space.index.nearest_many(
        lon_deg,
        lat_deg,
        query.k,
        mask=space.mask,
        mask_fraction=space.mask_fraction,
        max_distance_m=query.radius_m,
        progress=progress,
    )


def find_nearby_many(
    catalog: Catalog, lon_deg: ArrayLike, lat_deg: ArrayLike, query: NearbyQuery
) -> list[list[Match]]:
    """``find_nearby`` for each rider at (lon, lat) (WGS-84 degrees), in input order, with
    every match's opening status at ``query.at``. Empty input: []."""
    lon = np.asarray(lon_deg, dtype=np.float64)
    lat = np.asarray(lat_deg, dtype=np.float64)
    if query.open_at is not None:
        return [
            find_nearby(catalog, LonLat(x, y), query)
            for x, y in zip(lon.tolist(), lat.tolist(), strict=True)
        ]
    found = neighbours_of_many(catalog, lon, lat, query)
    visible, hours, at = catalog.visible, catalog.hours, query.at
    # Python ints and floats, as find_nearby's matches carry (same values, same types).
    rows = zip(
        found.positions.tolist(),
        found.distances_m.tolist(),
        found.bearings_deg.tolist(),
        strict=True,
    )
    return [
        [
            Match(visible[p], d, b, hours[p].status(at))
            for p, d, b in zip(positions, distances, bearings, strict=True)
            if p >= 0
        ]
        for positions, distances, bearings in rows
    ]


def _one_by_one(
    catalog: Catalog,
    lon_deg: ArrayLike,
    lat_deg: ArrayLike,
    query: NearbyQuery,
    progress: Callable[[int], None] | None,
) -> Neighbours:
    lon = np.asarray(lon_deg, dtype=np.float64)
    lat = np.asarray(lat_deg, dtype=np.float64)
    if lon.shape != lat.shape or lon.ndim != 1:
        raise ValueError("lon and lat must be 1-d arrays of equal length")
    n = lon.size
    out = Neighbours.missing(n, query.k)._replace(fallbacks=n)  # every row by the scalar path
    for i, (x, y) in enumerate(zip(lon.tolist(), lat.tolist(), strict=True)):
        try:
            origin = LonLat(x, y)
        except ValueError as exc:
            raise ValueError(f"point {i} is not a WGS-84 position: {exc}") from None
        found = find_nearby(catalog, origin, query)
        out.put(i, ((catalog.position[m.station.id], m.distance_m, m.bearing_deg) for m in found))
        if progress is not None and (i + 1) % _REPORT_EVERY == 0:
            progress(_REPORT_EVERY)
    if progress is not None and n % _REPORT_EVERY:
        progress(n % _REPORT_EVERY)
    return out
