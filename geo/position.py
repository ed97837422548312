"""A single WGS-84 position with one axis order."""

from __future__ import annotations

from dataclasses import dataclass


class InvalidCoordinate(ValueError):
    """A longitude/latitude pair that is not a position on Earth (out of range, NaN, ±inf)."""


@dataclass(frozen=True, slots=True)
class LonLat:
    """A WGS-84 position in GeoJSON order (longitude first), degrees."""

    lon: float
    lat: float

    def __post_init__(self) -> None:
        # NaN fails both comparisons, so this rejects NaN too.
        if not (-180.0 <= self.lon <= 180.0 and -90.0 <= self.lat <= 90.0):
            raise InvalidCoordinate(f"not a WGS-84 position: lon={self.lon!r}, lat={self.lat!r}")
