"""k-nearest points on the WGS-84 ellipsoid, for one query point or for many at once.

``NearestIndex`` is the index of ``geo.nearest_scalar`` (one point: ``nearest``) with the
vectorised batch form of ``geo.nearest_batch`` (many points: ``nearest_many``, row for row the
answer ``nearest`` gives). The batch module works on the scalar index's class, so the two
modules need no description of each other.
"""

from __future__ import annotations

from geo import nearest_batch
from geo.nearest_batch import Neighbours
from geo.nearest_scalar import Hit, ScalarIndex

__all__ = ["Hit", "NearestIndex", "Neighbours"]


class NearestIndex(ScalarIndex):
    """The index of ``ScalarIndex`` (built, immutable and shared as it says) answering one point
    (``nearest``) or many (``nearest_many``)."""

    #: ``nearest`` for many points at once (1-d arrays of WGS-84 degrees), vectorised, with the
    #: same answer row for row: (n, k) arrays of positions (-1 where missing), geodesic metres
    #: and bearings (NaN where missing). See ``geo.nearest_batch.nearest_many``.
    nearest_many = nearest_batch.nearest_many
