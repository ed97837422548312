"""What the parameter models share: limits, field types, the base query model, the instant
rules and the search a nearest query (single or batch) turns into."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Final, Protocol

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from geo.crs import CoordinateSystem
from stations.amenities import CODES, UnknownAmenity, check_codes
from stations.errors import InvalidInput, Problem
from stations.model import COURIER_ACCESS, Access, Kind
from stations.reading.locator import NearbyQuery, nearby_query

MAX_K: Final = 100
MAX_RADIUS_M: Final = 50_000.0
MAX_LIMIT: Final = 1000
# A "+" in a query string decodes to a space, so "+08:00" arrives as " 08:00".
SPACED_OFFSET: Final = re.compile(r"([T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?) (\d{2}:?\d{2})$")
_ISO_INSTANT: Final = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
#: Years outside this range cannot be a rider's arrival (and overflow date arithmetic). The
#: year as written, in the instant's own offset: the rule a pattern in the schema can state.
FIRST_YEAR: Final = 2000
LAST_YEAR: Final = 2099
INSTANT_PATTERN: Final = r"^20[0-9]{2}-"

Latitude = Annotated[
    float,
    Field(ge=-90, le=90, allow_inf_nan=False, description="Latitude in degrees, in `crs`."),
]
Longitude = Annotated[
    float,
    Field(ge=-180, le=180, allow_inf_nan=False, description="Longitude in degrees, in `crs`."),
]
#: An instant a rider will arrive at; its ``description`` is the model's to give.
OpenAt = Annotated[AwareDatetime | None, Field(json_schema_extra={"pattern": INSTANT_PATTERN})]
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


ACCESS_DOC: Final = (
    "Who the rider is, so only stations open to them are found: public, outdoor_workers, "
    "union_members. Default public,outdoor_workers (a courier)."
)
AccessList = Annotated[
    str | None,
    Field(
        description="Comma-separated; " + ACCESS_DOC,
        json_schema_extra={"pattern": _listed_words(tuple(a.value for a in Access))},
    ),
]


MAX_VERIFIED_DAYS: Final = 3650
VERIFIED_DOC: Final = (
    "Keep only stations an editor verified on site within this many days (of 24 hours), "
    "1–3650; stations never verified are left out."
)


class QueryModel(BaseModel):
    """A route's query parameters: unknown names refused, numbers as plain decimals, amenity
    and kind lists checked word by word."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    @field_validator(
        "lat",
        "lon",
        "k",
        "radius_m",
        "limit",
        "offset",
        "verified_within_days",
        mode="before",
        check_fields=False,
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
            return ",".join(check_codes(split_list(value)))
        except UnknownAmenity as exc:
            raise ValueError(str(exc)) from None

    @field_validator("kinds", "access", mode="after", check_fields=False)
    @classmethod
    def _known_words(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None:
            (check_kinds if info.field_name == "kinds" else check_access)(split_list(value))
        return value

    def access_set(self) -> frozenset[Access]:
        return access_set_of(split_list(getattr(self, "access", None) or ""))

    def amenity_codes(self) -> tuple[str, ...]:
        value = getattr(self, "amenities", None)
        return () if value is None else tuple(split_list(value))

    def kind_set(self) -> frozenset[Kind]:
        value = getattr(self, "kinds", None)
        return frozenset() if value is None else frozenset(Kind(k) for k in split_list(value))


class CrsParams(QueryModel):
    """Only the coordinate system positions are read and shown in (one station, an edit)."""

    crs: Crs = CoordinateSystem.WGS84


class NearbySearch(Protocol):
    """The filters of a nearest-stations search, whichever request (query or batch body)
    spelled them."""

    @property
    def k(self) -> int: ...
    @property
    def radius_m(self) -> float | None: ...
    @property
    def open_now(self) -> bool: ...
    @property
    def open_at(self) -> datetime | None: ...
    def amenity_codes(self) -> tuple[str, ...]: ...
    def kind_set(self) -> frozenset[Kind]: ...
    def access_set(self) -> frozenset[Access]: ...
    @property
    def verified_within_days(self) -> int | None: ...


def nearby_query_of(search: NearbySearch, now: datetime) -> NearbyQuery:
    """The locator's query for ``search``, asked at ``now``."""
    return nearby_query(
        now=now,
        k=search.k,
        radius_m=search.radius_m,
        amenities=search.amenity_codes(),
        kinds=search.kind_set(),
        open_now=search.open_now,
        open_at=search.open_at,
        access=search.access_set(),
        verified_within_days=search.verified_within_days,
    )


def refuse_two_instants(open_now: bool, open_at: datetime | None, spelled: str) -> None:
    """open_now and open_at both choose the instant: refuse the pair, naming both. Raised as
    InvalidInput, which pydantic lets through (it wraps only ValueError), so both are named."""
    if open_now and open_at is not None:
        reason = f"give either {spelled} or open_at, not both"
        raise InvalidInput([Problem("open_now", reason), Problem("open_at", reason)])


def check_access(groups: list[str]) -> None:
    bad = [g for g in groups if g not in Access.__members__.values()]
    if bad:
        valid = ", ".join(a.value for a in Access)
        raise ValueError(f"unknown access group(s): {', '.join(bad)}; valid: {valid}")


def access_set_of(groups: list[str]) -> frozenset[Access]:
    """The groups a search covers; none given: the stations a courier may use."""
    return frozenset(Access(g) for g in groups) or COURIER_ACCESS


def check_kinds(kinds: list[str]) -> None:
    bad = [k for k in kinds if k not in Kind.__members__.values()]
    if bad:
        raise ValueError(
            f"unknown kind(s): {', '.join(bad)}; valid kinds: {', '.join(k.value for k in Kind)}"
        )


def instant_text(value: Any) -> str:
    if not isinstance(value, str) or not _ISO_INSTANT.match(value.strip()):
        raise ValueError(
            "must be an ISO 8601 date and time with a UTC offset, e.g. 2026-11-27T12:30:00+08:00"
        )
    return value.strip()


def plausible_instant(value: datetime | None) -> datetime | None:
    if value is not None and not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValueError(f"must be in the years {FIRST_YEAR}–{LAST_YEAR}")
    return value


def split_list(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]
