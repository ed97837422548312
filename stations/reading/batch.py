"""Nearest stations for many riders at once: the batch form of ``locator.find_nearby``.

Every row is exactly what ``find_nearby`` answers for that rider: the same search space
(``Catalog.search_space``: a restricted index for a selective filter, else a mask over the full
one), the same order (geodesic distance, ties by id). The rows come from the vectorised
``NearestIndex.nearest_many``. With an opening-hours filter (``query.open_at``, one instant for
every rider) the stations open then are one more mask (``OpenTable.open_mask``: each distinct
schedule looked up once), so a million riders asking "open now" take no longer than any other
filter.

Two answers: ``find_nearby_many`` gives each rider's ``Match`` list (what the HTTP batch
answers), ``neighbours_of_many`` their ``Neighbours`` arrays of catalog positions (what
``yizhan nearest --batch`` writes, see ``stations.reading.rider_points``).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike

from geo.nearest import Neighbours
from stations.reading.catalog import Catalog
from stations.reading.locator import Match, NearbyQuery
from stations.reading.open_table import open_table


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
    space = catalog.search_space(query.amenities, query.kinds, query.access, query.verified_since)
    mask, fraction = space.mask, space.mask_fraction
    if query.open_at is not None:
        is_open = open_table(catalog).open_mask(query.open_at)
        answers = space.index.answer_positions  # a restricted index: its points' positions
        is_open = is_open if answers is None else is_open[answers]
        mask, fraction = (is_open if mask is None else mask & is_open), None
    return space.index.nearest_many(
        lon_deg,
        lat_deg,
        query.k,
        mask=mask,
        mask_fraction=fraction,
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
