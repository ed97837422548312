"""Query parameters and request bodies of the courier routes, validated by pydantic; every
problem is a 422.

common: limits, field types, the base query model, ``CrsParams``, the instant rules;
nearest, listing, batch: one route's input each; errors: pydantic's errors as problem fields.
"""

from __future__ import annotations

from api.params.batch import MAX_BATCH_FEATURES, MAX_BATCH_POINTS, BatchPoint, NearestBatchBody
from api.params.common import FIRST_YEAR, LAST_YEAR, MAX_K, MAX_LIMIT, MAX_RADIUS_M, CrsParams
from api.params.listing import ListParams
from api.params.nearest import NearestParams

__all__ = [
    "FIRST_YEAR",
    "LAST_YEAR",
    "MAX_BATCH_FEATURES",
    "MAX_BATCH_POINTS",
    "MAX_K",
    "MAX_LIMIT",
    "MAX_RADIUS_M",
    "BatchPoint",
    "CrsParams",
    "ListParams",
    "NearestBatchBody",
    "NearestParams",
]
