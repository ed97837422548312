"""``GET /v1/stations/nearest``: one rider's position and the filters."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Annotated, Any, Final, Literal

from pydantic import (
    Field,
    ModelWrapValidatorHandler,
    ValidationError,
    field_validator,
    model_validator,
)

from api.params.common import (
    MAX_K,
    MAX_RADIUS_M,
    MAX_VERIFIED_DAYS,
    SPACED_OFFSET,
    VERIFIED_DOC,
    AccessList,
    AmenityList,
    Crs,
    KindList,
    Latitude,
    Longitude,
    OpenAt,
    QueryModel,
    instant_text,
    nearby_query_of,
    plausible_instant,
    refuse_two_instants,
)
from api.params.errors import PARAMETERS, field_problem
from geo.crs import CoordinateSystem
from geo.origin import origin_in_wgs84, swapped_hint
from geo.position import LonLat
from stations.errors import InvalidInput
from stations.reading.locator import NearbyQuery

#: A number as a query string spells one (the model refuses anything else on its own).
_DECIMAL: Final = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)", re.ASCII)
_OPEN_AT: Final = (
    "Keep only stations open at this ISO 8601 instant; it must carry a UTC offset, "
    "e.g. 2026-11-27T12:30:00+08:00. Not together with open_now."
)


class NearestParams(QueryModel):
    lat: Latitude
    lon: Longitude
    crs: Crs = CoordinateSystem.WGS84
    k: Annotated[int, Field(ge=1, le=MAX_K, description="How many stations, 1–100.")] = 5
    radius_m: Annotated[
        float | None,
        Field(
            gt=0,
            le=MAX_RADIUS_M,
            allow_inf_nan=False,
            description="Only stations within this geodesic distance (metres, ≤ 50 000).",
        ),
    ] = None
    amenities: AmenityList = None
    kinds: KindList = None
    access: AccessList = None
    verified_within_days: Annotated[
        int | None, Field(ge=1, le=MAX_VERIFIED_DAYS, description=VERIFIED_DOC)
    ] = None
    open_now: Annotated[bool, Field(description="Keep only stations open now (server clock).")] = (
        False
    )
    open_at: Annotated[OpenAt, Field(description=_OPEN_AT)] = None
    rank: Annotated[
        Literal["distance", "time"] | None,
        Field(
            description="time: by e-bike ride time from the routing engine, open judged at "
            "arrival; distance: by geodesic distance. Default time when the server has a routing "
            "engine (YIZHAN_ROUTING), else distance."
        ),
    ] = None

    @field_validator("open_at", mode="before")
    @classmethod
    def _iso_text(cls, value: Any) -> Any:
        return SPACED_OFFSET.sub(r"\1+\2", instant_text(value))

    @field_validator("open_at", mode="after")
    @classmethod
    def _plausible(cls, value: datetime | None) -> datetime | None:
        return plausible_instant(value)

    @model_validator(mode="wrap")
    @classmethod
    def _swapped_position(
        cls, data: Any, handler: ModelWrapValidatorHandler[NearestParams]
    ) -> NearestParams:
        # lat=108.9&lon=34.2 is refused for its latitude; say what was meant (issue 13).
        try:
            return handler(data)
        except ValidationError as exc:
            raw = data if isinstance(data, Mapping) else {}
            lon, lat = _decimal(raw.get("lon")), _decimal(raw.get("lat"))
            hint = None if lon is None or lat is None else swapped_hint(lon, lat)
            if hint is None:
                raise
            zh = f"纬度和经度可能填反了：应为 lat={lon!r}, lon={lat!r}？"
            problems = [field_problem(e, PARAMETERS) for e in exc.errors()]
            raise InvalidInput(
                [
                    replace(p, reason=f"{p.reason}: {hint}", reason_zh=f"{p.reason}：{zh}")
                    if p.field == "lat"
                    else p
                    for p in problems
                ]
            ) from None

    @model_validator(mode="after")
    def _one_instant(self) -> NearestParams:
        refuse_two_instants(self.open_now, self.open_at, "open_now=true")
        return self

    def origin(self) -> LonLat:
        return origin_in_wgs84(self.lon, self.lat, self.crs)

    def to_query(self, now: datetime) -> NearbyQuery:
        return nearby_query_of(self, now)


def _decimal(value: object) -> float | None:
    if isinstance(value, str) and _DECIMAL.fullmatch(value):
        number = float(value)
        return number if math.isfinite(number) else None
    return None
