"""Pydantic models that document the responses (OpenAPI) and validate them in tests.

Routes build their JSON directly and return encoded bytes (orjson), so these models cost nothing
per request; the tests check real responses against them.
"""

from __future__ import annotations

from typing import Annotated, Any, Final, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, RootModel

from stations.amenities import CODES

PROBLEM_JSON: Final = "application/problem+json"
GEOJSON: Final = "application/geo+json"


class ProblemDetails(BaseModel):
    """RFC 9457 problem details; ``errors`` names each bad field."""

    model_config = ConfigDict(extra="allow")  # RFC 9457 §3.2 extension members

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    instance: str | None = None
    errors: list[dict[str, str]] | None = Field(
        None, description="One entry per problem: {field, reason}."
    )
    current_version: int | None = None


Entry = Literal["walk_in", "ask_staff", "phone_ahead", "qr_code", "face_scan", "id_card"]


class PointGeometry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: Literal["Point"]
    coordinates: list[float] = Field(min_length=2, max_length=2, description="[lon, lat]")


class NavigationLinks(BaseModel):
    amap: str = Field(description="Amap URI (GCJ-02 coordinates)")
    baidu: str = Field(description="Baidu URI (BD-09 coordinates)")


class StationProperties(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    name: str
    kind: Literal["love_station", "service_point"]
    address: str | None
    district_code: str
    amenities: list[str]
    opening_hours: str | None
    opening_hours_text: dict[str, str] | None = Field(
        description='The hours in plain words, {"zh": "周一至周五 08:30–18:00，法定节假日休息", '
        '"en": "Mon–Fri 08:30–18:00; closed on public holidays"}; null when there are none '
        "or they use a form the describer does not cover (show opening_hours then)"
    )
    phone: str | None
    host: str | None
    access: Literal["public", "outdoor_workers", "union_members"]
    entry: Entry | None = Field(description="How to get in; null: not recorded")
    closed_until: str | None = Field(
        description="Closed until this instant (UTC), whatever the hours say; null: no closure"
    )
    closure_reason: str | None
    verified_at: str | None = Field(
        description="When an editor last confirmed the station on site (UTC); null: never"
    )
    last_confirmed_at: str | None = Field(
        description="The latest on-site verification or accepted rider confirmation (UTC)"
    )
    out_of_order: dict[str, str] = Field(
        description="Listed amenities out of order, each since an instant (UTC); they do not "
        "satisfy an amenity filter"
    )
    osm: str | None = Field(
        description='The OpenStreetMap element it was imported from ("node/123", "way/456"); '
        "null: not from OpenStreetMap"
    )
    attribution: str | None = Field(
        description='"© OpenStreetMap contributors" on stations imported from OpenStreetMap '
        "(ODbL): show it wherever the station is shown"
    )
    status: Literal["active", "closed_temporarily", "retired"]
    version: int
    updated_at: str
    distance_m: float | None = Field(None, description="Geodesic metres, WGS-84 ellipsoid")
    bearing_deg: float | None = Field(None, description="Initial bearing, clockwise from north")
    open_status: Literal["open", "closed", "unknown", "reported_closed"] | None = Field(
        None,
        description="reported_closed: enough riders reported it closed within the last hours "
        "(until an editor resolves their reports or the window passes)",
    )
    rider_reports: dict[str, int] | None = Field(
        None, description="Open rider reports of the last 24 hours, by category"
    )
    next_change: str | None = None
    links: NavigationLinks | None = None
    duration_s: float | None = Field(None, description="Ride time by e-bike (rank=time)")
    route_distance_m: float | None = Field(
        None, description="Along the engine's route; null when the time is estimated"
    )
    duration_source: Literal["engine", "estimate"] | None = Field(
        None, description="estimate: distance × 1.3 ÷ speed (no engine, or it failed)"
    )
    arrival: str | None = Field(
        None, description="When the rider gets there: the instant open_status is given for"
    )


class StationFeature(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: Literal["Feature"]
    id: str
    geometry: PointGeometry
    properties: StationProperties
    coordinate_system: Literal["wgs84", "gcj02", "bd09"] | None = None


class StationCollection(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: Literal["FeatureCollection"]
    coordinate_system: Literal["wgs84", "gcj02", "bd09"]
    features: list[StationFeature]
    numberReturned: int  # noqa: N815 - OGC API Features member name
    numberMatched: int | None = None  # noqa: N815
    query: dict[str, Any] | None = None
    links: list[dict[str, str]] | None = None
    timeStamp: str | None = None  # noqa: N815


# -- request bodies the admin routes validate themselves (every bad field reported at once) --

AmenityCode = Annotated[str, Field(json_schema_extra={"enum": list(CODES)})]
_AMENITIES_DOC: Final = "Amenity codes (see /v1/amenities): a JSON array, or one string with ';'."
Amenities = list[AmenityCode] | str


class StationCreate(BaseModel):
    """A new station; lon/lat in the request's `crs`. Omitted optional fields stay empty."""

    model_config = ConfigDict(extra="forbid")

    id: str | None = Field(None, max_length=64, description="Chosen id; omitted: one is made.")
    name: str = Field(max_length=100)
    kind: Literal["love_station", "service_point"]
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    address: str | None = Field(None, max_length=200)
    district_code: str = Field(pattern=r"^[1-9][0-9]{5}$", description="6-digit adcode")
    amenities: Amenities = Field([], description=_AMENITIES_DOC)
    opening_hours: str | None = Field(
        None, max_length=500, description="OSM opening_hours syntax, e.g. Mo-Fr 08:00-18:00"
    )
    phone: str | None = Field(None, max_length=40)
    host: str | None = Field(None, max_length=100)
    access: Literal["public", "outdoor_workers", "union_members"] = Field(
        "public", description="Who may use it"
    )
    entry: Entry | None = Field(None, description="How to get in; omitted: not recorded")
    closed_until: AwareDatetime | None = Field(
        None, description="Closed until this ISO 8601 instant with its offset (years 2000–2099)"
    )
    closure_reason: str | None = Field(None, max_length=200, description="Needs closed_until")
    status: Literal["active", "closed_temporarily"] = "active"


class StationUpdate(BaseModel):
    """A JSON merge patch (RFC 7396): only the fields to change; null clears an optional one."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, max_length=100)
    kind: Literal["love_station", "service_point"] | None = None
    lon: float | None = Field(None, ge=-180, le=180)
    lat: float | None = Field(None, ge=-90, le=90)
    address: str | None = Field(None, max_length=200)
    district_code: str | None = Field(None, pattern=r"^[1-9][0-9]{5}$")
    amenities: Amenities | None = Field(None, description=_AMENITIES_DOC)
    opening_hours: str | None = Field(None, max_length=500)
    phone: str | None = Field(None, max_length=40)
    host: str | None = Field(None, max_length=100)
    access: Literal["public", "outdoor_workers", "union_members"] | None = None
    entry: Entry | None = None
    closed_until: AwareDatetime | None = None
    closure_reason: str | None = Field(None, max_length=200)
    status: Literal["active", "closed_temporarily"] | None = None


class AmenitiesObject(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amenities: list[AmenityCode]


class AmenitiesReplace(RootModel[list[AmenityCode] | AmenitiesObject]):
    """The whole amenity set: a JSON array of codes, or {"amenities": [...]}."""


class AmenityStateBody(BaseModel):
    """An amenity's state: out of order (since an instant, default now) or working again."""

    model_config = ConfigDict(extra="forbid")

    state: Literal["out_of_order", "working"]
    since: AwareDatetime | None = Field(None, description="Out of order since; default now")


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries documenting problem+json errors for these statuses."""
    schema = ProblemDetails.model_json_schema()
    return {
        status: {"description": "Problem details", "content": {PROBLEM_JSON: {"schema": schema}}}
        for status in statuses
    }
