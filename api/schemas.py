"""Pydantic models that document the responses (OpenAPI) and validate them in tests.

Routes build their JSON directly and return encoded bytes (orjson), so these models cost nothing
per request; the tests check real responses against them.
"""

from __future__ import annotations

from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field

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
    phone: str | None
    host: str | None
    status: Literal["active", "closed_temporarily", "retired"]
    version: int
    updated_at: str
    distance_m: float | None = Field(None, description="Geodesic metres, WGS-84 ellipsoid")
    bearing_deg: float | None = Field(None, description="Initial bearing, clockwise from north")
    open_status: Literal["open", "closed", "unknown"] | None = None
    next_change: str | None = None
    links: NavigationLinks | None = None


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


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries documenting problem+json errors for these statuses."""
    schema = ProblemDetails.model_json_schema()
    return {
        status: {"description": "Problem details", "content": {PROBLEM_JSON: {"schema": schema}}}
        for status in statuses
    }
