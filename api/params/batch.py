"""``POST /v1/stations/nearest:batch``: many riders' positions and the filters they share, as a
JSON body with JSON's types (a quoted number is a mistake to report, never to coerce)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Final, Literal

import numpy as np
import orjson
from numpy.typing import NDArray
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from api.params.common import (
    ACCESS_DOC,
    MAX_K,
    MAX_RADIUS_M,
    MAX_VERIFIED_DAYS,
    VERIFIED_DOC,
    Crs,
    OpenAt,
    access_set_of,
    check_access,
    check_kinds,
    instant_text,
    nearby_query_of,
    plausible_instant,
    refuse_two_instants,
)
from api.params.errors import BODY_FIELDS, field_problem
from geo.crs import CoordinateSystem
from geo.origin import origins_in_wgs84
from stations.amenities import CODES, UnknownAmenity, check_codes
from stations.errors import InvalidInput, Problem
from stations.model import Access, Kind
from stations.reading.locator import NearbyQuery

#: Riders per batch request: a dispatch round for a city.
MAX_BATCH_POINTS: Final = 10_000
#: Features a batch may ask for (riders × k): each is ~1.4 KB of JSON, so the largest answer is
#: ~150 MB, streamed; 10,000 riders at k=10, or 1,000 riders at the single query's k=100.
MAX_BATCH_FEATURES: Final = 100_000

StrictLatitude = Annotated[
    float,
    Field(strict=True, ge=-90, le=90, allow_inf_nan=False, description="Latitude, in `crs`."),
]
StrictLongitude = Annotated[
    float,
    Field(strict=True, ge=-180, le=180, allow_inf_nan=False, description="Longitude, in `crs`."),
]
_OPEN_AT: Final = (
    "Keep only stations open at this ISO 8601 instant with a UTC offset, "
    "e.g. 2026-11-27T12:30:00+08:00. Not together with open_now."
)


class BatchPoint(BaseModel):
    """One rider's position, in the batch's ``crs``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    lat: StrictLatitude
    lon: StrictLongitude


class NearestBatchBody(BaseModel):
    """The riders and the filters shared by all of them; each answer is what
    ``GET /v1/stations/nearest`` gives for that rider with the same filters."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    points: Annotated[
        list[BatchPoint],
        Field(
            min_length=1,
            max_length=MAX_BATCH_POINTS,
            description="1–10,000 positions; results come back in this order.",
        ),
    ]
    crs: Crs = CoordinateSystem.WGS84
    k: Annotated[
        int, Field(strict=True, ge=1, le=MAX_K, description="Stations per rider, 1–100.")
    ] = 5
    radius_m: Annotated[
        float | None,
        Field(
            strict=True,
            gt=0,
            le=MAX_RADIUS_M,
            allow_inf_nan=False,
            description="Only stations within this geodesic distance (metres, ≤ 50 000).",
        ),
    ] = None
    amenities: Annotated[
        list[str],
        Field(
            description='Amenity codes as a JSON array, e.g. ["water", "microwave"]; all must '
            "be present (see /v1/amenities).",
            json_schema_extra={"items": {"type": "string", "enum": list(CODES)}},
        ),
    ] = []
    kinds: Annotated[
        list[str],
        Field(
            description='Kinds as a JSON array, e.g. ["love_station"].',
            json_schema_extra={"items": {"type": "string", "enum": [k.value for k in Kind]}},
        ),
    ] = []
    access: Annotated[
        list[str],
        Field(
            description='As a JSON array, e.g. ["public"]; ' + ACCESS_DOC,
            json_schema_extra={"items": {"type": "string", "enum": [a.value for a in Access]}},
        ),
    ] = []
    verified_within_days: Annotated[
        int | None, Field(strict=True, ge=1, le=MAX_VERIFIED_DAYS, description=VERIFIED_DOC)
    ] = None
    open_now: Annotated[
        bool, Field(strict=True, description="Keep only stations open now (server clock).")
    ] = False
    open_at: Annotated[OpenAt, Field(description=_OPEN_AT)] = None
    rank: Annotated[
        Literal["distance", "time"] | None,
        Field(description="As GET /v1/stations/nearest's rank, for every rider"),
    ] = None

    @field_validator("k", "verified_within_days", mode="before")
    @classmethod
    def _integral_number(cls, value: Any) -> Any:
        # JSON has one number type: 5.0 is the integer 5 (JSON Schema says so too).
        if isinstance(value, float) and value.is_integer():
            return int(value)
        return value

    @field_validator("amenities", "kinds", "access", mode="before")
    @classmethod
    def _a_json_array(cls, value: Any) -> Any:
        if isinstance(value, str):  # the GET form, "water,microwave", is one string here
            example = orjson.dumps([v.strip() for v in value.split(",")]).decode()
            raise ValueError(f"must be a JSON array of strings, e.g. {example}")
        return value

    @field_validator("amenities", mode="after")
    @classmethod
    def _known_amenity_codes(cls, value: list[str]) -> list[str]:
        try:
            return list(check_codes(value))
        except UnknownAmenity as exc:
            raise ValueError(str(exc)) from None

    @field_validator("kinds", mode="after")
    @classmethod
    def _known_kind_values(cls, value: list[str]) -> list[str]:
        check_kinds(value)
        return value

    @field_validator("access", mode="after")
    @classmethod
    def _known_access_groups(cls, value: list[str]) -> list[str]:
        check_access(value)
        return value

    @field_validator("open_at", mode="before")
    @classmethod
    def _iso_text(cls, value: Any) -> Any:
        # null is "no instant", as the schema says; no "+"-as-space repair: a JSON string is
        # not URL-decoded.
        return None if value is None else instant_text(value)

    @field_validator("open_at", mode="after")
    @classmethod
    def _plausible(cls, value: datetime | None) -> datetime | None:
        return plausible_instant(value)

    @classmethod
    def parse(cls, raw: bytes) -> NearestBatchBody:
        """The body from JSON text; raises InvalidInput naming every bad field, a point's
        field as ``points[i].lat``."""
        try:
            # orjson refuses NaN and Infinity, which are not JSON (RFC 8259 §6).
            data = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise InvalidInput([Problem("body", f"is not valid JSON: {exc}")]) from None
        if not isinstance(data, dict):
            reason = 'must be a JSON object: {"points": [{"lat": …, "lon": …}, …], …filters}'
            raise InvalidInput([Problem("body", reason)])
        points = data.get("points")
        # Refuse an oversized batch before validating (and reporting on) each of its points.
        if isinstance(points, list) and len(points) > MAX_BATCH_POINTS:
            reason = (
                f"at most {MAX_BATCH_POINTS} points per request, not {len(points)}; "
                "send the rest in another request"
            )
            raise InvalidInput([Problem("points", reason)])
        try:
            body = cls.model_validate(data)
        except ValidationError as exc:
            raise InvalidInput([field_problem(e, BODY_FIELDS) for e in exc.errors()]) from None
        body.check_work()
        return body

    @model_validator(mode="after")
    def _one_instant(self) -> NearestBatchBody:
        refuse_two_instants(self.open_now, self.open_at, "open_now: true")
        return self

    def check_work(self) -> None:
        """Refuse a batch asking for more than ``MAX_BATCH_FEATURES`` features (points × k)."""
        features = len(self.points) * self.k
        if features > MAX_BATCH_FEATURES:
            most_k = max(1, MAX_BATCH_FEATURES // len(self.points))
            reason = (
                f"{len(self.points)} points × k={self.k} asks for {features} stations; at most "
                f"{MAX_BATCH_FEATURES} per request: lower k to {most_k} or split the points"
            )
            raise InvalidInput([Problem("k", reason), Problem("points", reason)])

    def origins(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """The riders' positions in WGS-84 (lon, lat), exactly as ``NearestParams.origin``
        gives each."""
        return origins_in_wgs84(
            [p.lon for p in self.points], [p.lat for p in self.points], self.crs
        )

    def amenity_codes(self) -> tuple[str, ...]:
        return tuple(self.amenities)

    def kind_set(self) -> frozenset[Kind]:
        return frozenset(Kind(k) for k in self.kinds)

    def access_set(self) -> frozenset[Access]:
        return access_set_of(self.access)

    def to_query(self, now: datetime) -> NearbyQuery:
        return nearby_query_of(self, now)
