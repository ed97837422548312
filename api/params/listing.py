"""``GET /v1/stations``: a page of stations in a bounding box and/or district."""

from __future__ import annotations

import math
from typing import Annotated, Final

from pydantic import Field, field_validator

from api.params.common import MAX_LIMIT, AmenityList, Crs, KindList, QueryModel
from geo.crs import CoordinateSystem
from stations.reading.locator import ListQuery

_LON: Final = r"-?(?:180(?:\.0+)?|(?:1[0-7][0-9]|[0-9]{1,2})(?:\.[0-9]+)?)"
_LAT: Final = r"-?(?:90(?:\.0+)?|[0-8]?[0-9](?:\.[0-9]+)?)"
#: Four decimal numbers in range; the order of the latitudes is checked by the validator.
_BBOX_PATTERN: Final = rf"^{_LON},{_LAT},{_LON},{_LAT}$"


class ListParams(QueryModel):
    bbox: Annotated[
        str | None,
        Field(
            description="min_lon,min_lat,max_lon,max_lat in `crs`; min_lon > max_lon crosses "
            "the antimeridian; min_lat ≤ max_lat.",
            json_schema_extra={"pattern": _BBOX_PATTERN},
        ),
    ] = None
    crs: Crs = CoordinateSystem.WGS84
    amenities: AmenityList = None
    kinds: KindList = None
    district: Annotated[
        str | None,
        Field(
            pattern=r"^[1-9][0-9]{1,5}$",
            description="Adcode or its prefix: 610103 (碑林区), 6101 (all of Xi'an).",
        ),
    ] = None
    limit: Annotated[int, Field(ge=1, le=MAX_LIMIT, description="Page size, 1–1000.")] = 100
    offset: Annotated[int, Field(ge=0, le=10_000_000, description="Stations to skip.")] = 0

    @field_validator("bbox", mode="after")
    @classmethod
    def _valid_bbox(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = value.split(",")
        try:
            numbers = [float(p) for p in parts]
        except ValueError:
            numbers = []
        if len(parts) != 4 or len(numbers) != 4 or not all(map(math.isfinite, numbers)):
            raise ValueError("bbox must be four numbers: min_lon,min_lat,max_lon,max_lat")
        min_lon, min_lat, max_lon, max_lat = numbers
        if not (-180 <= min_lon <= 180 and -180 <= max_lon <= 180):
            raise ValueError("bbox longitudes must be within [-180, 180]")
        if not (-90 <= min_lat <= max_lat <= 90):
            raise ValueError("bbox latitudes must be within [-90, 90] with min_lat ≤ max_lat")
        return value

    def to_query(self) -> ListQuery:
        return ListQuery(
            bbox=None if self.bbox is None else _bbox_tuple(self.bbox),
            crs=self.crs,
            amenities=self.amenity_codes(),
            kinds=self.kind_set(),
            district=self.district,
            limit=self.limit,
            offset=self.offset,
        )


def _bbox_tuple(value: str) -> tuple[float, float, float, float]:
    a, b, c, d = (float(p) for p in value.split(","))
    return (a, b, c, d)
