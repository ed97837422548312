"""Query parameters of the courier routes, validated by pydantic; every problem is a 422."""

from __future__ import annotations

import math
import re
from datetime import datetime
from typing import Annotated, Any, Final

import numpy as np
import orjson
from numpy.typing import NDArray
from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails

from geo.crs import CoordinateSystem
from geo.origin import origin_in_wgs84, origins_in_wgs84
from geo.position import LonLat
from stations.amenities import CODES, UnknownAmenity, check_codes
from stations.errors import InvalidInput, Problem
from stations.model import Kind
from stations.reading.locator import ListQuery, NearbyQuery, nearby_query

MAX_K: Final = 100
MAX_RADIUS_M: Final = 50_000.0
MAX_LIMIT: Final = 1000
# A "+" in a query string decodes to a space, so "+08:00" arrives as " 08:00".
_SPACED_OFFSET: Final = re.compile(r"([T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?) (\d{2}:?\d{2})$")
_ISO_INSTANT: Final = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
#: Years outside this range cannot be a rider's arrival (and overflow date arithmetic). The
#: year as written, in the instant's own offset: the rule a pattern in the schema can state.
FIRST_YEAR: Final = 2000
LAST_YEAR: Final = 2099
_INSTANT_PATTERN: Final = r"^20[0-9]{2}-"

Latitude = Annotated[
    float,
    Field(ge=-90, le=90, allow_inf_nan=False, description="Latitude in degrees, in `crs`."),
]
Longitude = Annotated[
    float,
    Field(ge=-180, le=180, allow_inf_nan=False, description="Longitude in degrees, in `crs`."),
]
Crs = Annotated[
    CoordinateSystem,
    Field(
        description="Coordinate system of positions in and out: wgs84 (GPS), gcj02 (Amap, "
        "Tencent), bd09 (Baidu)."
    ),
]


def _listed_words(words: tuple[str, ...]) -> str:
    """A regular expression for a comma-separated list of ``words`` (blanks around an item and
    empty items are ignored, as the parser does). Documented, not enforced: the validators name
    the unknown word and list the valid ones, which a pattern error cannot."""
    word = "(?:" + "|".join(words) + ")"
    return rf"^\s*(?:{word}\s*)?(?:,\s*(?:{word}\s*)?)*$"


AmenityList = Annotated[
    str | None,
    Field(
        description="Comma-separated amenity codes; every one must be present (see /v1/amenities).",
        json_schema_extra={"pattern": _listed_words(CODES)},
    ),
]
KindList = Annotated[
    str | None,
    Field(
        description="Comma-separated kinds: love_station, service_point.",
        json_schema_extra={"pattern": _listed_words(tuple(k.value for k in Kind))},
    ),
]


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    @field_validator(
        "lat", "lon", "k", "radius_m", "limit", "offset", mode="before", check_fields=False
    )
    @classmethod
    def _plain_number(cls, value: Any) -> Any:
        # Python reads "3_4.26" as 34.26; a typo must not become another position.
        if isinstance(value, str) and "_" in value:
            raise ValueError(f"{value!r} is not a plain decimal number")
        return value

    @field_validator("amenities", mode="after", check_fields=False)
    @classmethod
    def _known_amenities(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return ",".join(check_codes(_split(value)))
        except UnknownAmenity as exc:
            raise ValueError(str(exc)) from None

    @field_validator("kinds", mode="after", check_fields=False)
    @classmethod
    def _known_kinds(cls, value: str | None) -> str | None:
        if value is None:
            return None
        _check_kinds(_split(value))
        return value

    def amenity_codes(self) -> tuple[str, ...]:
        value = getattr(self, "amenities", None)
        return () if value is None else tuple(_split(value))

    def kind_set(self) -> frozenset[Kind]:
        value = getattr(self, "kinds", None)
        return frozenset() if value is None else frozenset(Kind(k) for k in _split(value))


class NearestParams(_Params):
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
    open_now: Annotated[bool, Field(description="Keep only stations open now (server clock).")] = (
        False
    )
    open_at: Annotated[
        AwareDatetime | None,
        Field(
            description="Keep only stations open at this ISO 8601 instant; it must carry a "
            "UTC offset, e.g. 2026-11-27T12:30:00+08:00. Not together with open_now.",
            json_schema_extra={"pattern": _INSTANT_PATTERN},
        ),
    ] = None

    @field_validator("open_at", mode="before")
    @classmethod
    def _iso_text(cls, value: Any) -> Any:
        return _SPACED_OFFSET.sub(r"\1+\2", _instant_text(value))

    @field_validator("open_at", mode="after")
    @classmethod
    def _plausible(cls, value: datetime | None) -> datetime | None:
        return _plausible_instant(value)

    @model_validator(mode="after")
    def _one_instant(self) -> NearestParams:
        _refuse_two_instants(self.open_now, self.open_at, "open_now=true")
        return self

    def origin(self) -> LonLat:
        return origin_in_wgs84(self.lon, self.lat, self.crs)

    def to_query(self, now: datetime) -> NearbyQuery:
        return nearby_query(
            now=now,
            k=self.k,
            radius_m=self.radius_m,
            amenities=self.amenity_codes(),
            kinds=self.kind_set(),
            open_now=self.open_now,
            open_at=self.open_at,
        )


def _refuse_two_instants(open_now: bool, open_at: datetime | None, spelled: str) -> None:
    """open_now and open_at both choose the instant: refuse the pair, naming both. Raised as
    InvalidInput, which pydantic lets through (it wraps only ValueError), so both are named."""
    if open_now and open_at is not None:
        reason = f"give either {spelled} or open_at, not both"
        raise InvalidInput([Problem("open_now", reason), Problem("open_at", reason)])


def _check_kinds(kinds: list[str]) -> None:
    bad = [k for k in kinds if k not in Kind.__members__.values()]
    if bad:
        raise ValueError(
            f"unknown kind(s): {', '.join(bad)}; valid kinds: {', '.join(k.value for k in Kind)}"
        )


def _instant_text(value: Any) -> str:
    if not isinstance(value, str) or not _ISO_INSTANT.match(value.strip()):
        raise ValueError(
            "must be an ISO 8601 date and time with a UTC offset, e.g. 2026-11-27T12:30:00+08:00"
        )
    return value.strip()


def _plausible_instant(value: datetime | None) -> datetime | None:
    if value is not None and not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValueError(f"must be in the years {FIRST_YEAR}–{LAST_YEAR}")
    return value


_LON: Final = r"-?(?:180(?:\.0+)?|(?:1[0-7][0-9]|[0-9]{1,2})(?:\.[0-9]+)?)"
_LAT: Final = r"-?(?:90(?:\.0+)?|[0-8]?[0-9](?:\.[0-9]+)?)"
#: Four decimal numbers in range; the order of the latitudes is checked by the validator.
_BBOX_PATTERN: Final = rf"^{_LON},{_LAT},{_LON},{_LAT}$"


class StationParams(_Params):
    crs: Crs = CoordinateSystem.WGS84


class ListParams(_Params):
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


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


# -- POST /v1/stations/nearest:batch ------------------------------------------------------------

#: Riders per batch request: a dispatch round for a city.
MAX_BATCH_POINTS: Final = 10_000
#: Features a batch may ask for (riders × k): each is ~1.4 KB of JSON, so the largest answer is
#: ~150 MB, streamed; 10,000 riders at k=10, or 1,000 riders at the single query's k=100.
MAX_BATCH_FEATURES: Final = 100_000
_SHOWN_INPUT_CHARS: Final = 60

# A JSON body has types: a quoted number or true is a mistake to report, never to coerce.
StrictLatitude = Annotated[
    float,
    Field(strict=True, ge=-90, le=90, allow_inf_nan=False, description="Latitude, in `crs`."),
]
StrictLongitude = Annotated[
    float,
    Field(strict=True, ge=-180, le=180, allow_inf_nan=False, description="Longitude, in `crs`."),
]


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
    open_now: Annotated[
        bool, Field(strict=True, description="Keep only stations open now (server clock).")
    ] = False
    open_at: Annotated[
        AwareDatetime | None,
        Field(
            description="Keep only stations open at this ISO 8601 instant with a UTC offset, "
            "e.g. 2026-11-27T12:30:00+08:00. Not together with open_now.",
            json_schema_extra={"pattern": _INSTANT_PATTERN},
        ),
    ] = None

    @field_validator("k", mode="before")
    @classmethod
    def _integral_number(cls, value: Any) -> Any:
        # JSON has one number type: 5.0 is the integer 5 (JSON Schema says so too).
        if isinstance(value, float) and value.is_integer():
            return int(value)
        return value

    @field_validator("amenities", "kinds", mode="before")
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
        _check_kinds(value)
        return value

    @field_validator("open_at", mode="before")
    @classmethod
    def _iso_text(cls, value: Any) -> Any:
        # null is "no instant", as the schema says; no "+"-as-space repair: a JSON string is
        # not URL-decoded.
        return None if value is None else _instant_text(value)

    @field_validator("open_at", mode="after")
    @classmethod
    def _plausible(cls, value: datetime | None) -> datetime | None:
        return _plausible_instant(value)

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
            raise InvalidInput([_problem(e) for e in exc.errors()]) from None
        body.check_work()
        return body

    @model_validator(mode="after")
    def _one_instant(self) -> NearestBatchBody:
        _refuse_two_instants(self.open_now, self.open_at, "open_now: true")
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

    def to_query(self, now: datetime) -> NearbyQuery:
        kinds = frozenset(Kind(k) for k in self.kinds)
        return nearby_query(
            now=now,
            k=self.k,
            radius_m=self.radius_m,
            amenities=tuple(self.amenities),
            kinds=kinds,
            open_now=self.open_now,
            open_at=self.open_at,
        )


def _problem(error: ErrorDetails) -> Problem:
    """A pydantic error as a Problem; the field in JSONPath-like form, ``points[3].lat``."""
    field = "".join(
        f"[{part}]" if isinstance(part, int) else f".{part}" for part in error["loc"]
    ).lstrip(".")
    reason = error["msg"].removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        reason = "is not a field of this request body"
    elif error["type"] == "model_type":  # pydantic would name the model class
        reason = f"must be a JSON object (got {_shown(error['input'])})"
    elif error["type"] != "missing":
        reason = f"{reason} (got {_shown(error['input'])})"
    return Problem(field or "body", reason)


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= _SHOWN_INPUT_CHARS else text[: _SHOWN_INPUT_CHARS - 3] + "..."
