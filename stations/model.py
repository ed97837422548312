"""The station record and its enumerations."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import NewType

StationId = NewType("StationId", str)


class Kind(StrEnum):
    LOVE_STATION = "love_station"  # 爱心驿站 / 户外劳动者服务站 / 工会驿站
    SERVICE_POINT = "service_point"  # community hall, battery-swap cabinet, public toilet


class Status(StrEnum):
    ACTIVE = "active"
    CLOSED_TEMPORARILY = "closed_temporarily"  # listed, but never reported open
    RETIRED = "retired"  # kept for history, gone from courier results


class Access(StrEnum):
    """Who may use a station."""

    PUBLIC = "public"  # anyone
    OUTDOOR_WORKERS = "outdoor_workers"  # couriers, delivery riders, sanitation workers, …
    UNION_MEMBERS = "union_members"  # members of the hosting trade union only


class Entry(StrEnum):
    """How to get in."""

    WALK_IN = "walk_in"
    ASK_STAFF = "ask_staff"
    PHONE_AHEAD = "phone_ahead"
    QR_CODE = "qr_code"
    FACE_SCAN = "face_scan"
    ID_CARD = "id_card"


#: Who a courier's search covers unless it asks otherwise: the stations a courier may use.
COURIER_ACCESS = frozenset({Access.PUBLIC, Access.OUTDOOR_WORKERS})

#: Fields an import file or an editor supplies; the store owns status, version and updated_at.
EDITABLE_FIELDS = (
    "name",
    "kind",
    "lon",
    "lat",
    "address",
    "district_code",
    "amenities",
    "opening_hours",
    "phone",
    "host",
    "access",
    "entry",
    "closed_until",
    "closure_reason",
)


@dataclass(frozen=True, slots=True)
class StationDraft:
    """A validated station as supplied, position already in WGS-84 (lon, lat degrees)."""

    id: StationId | None  # None: the store assigns one
    name: str
    kind: Kind
    lon: float
    lat: float
    address: str | None
    district_code: str
    amenities: tuple[str, ...]  # vocabulary order, no repeats
    opening_hours: str | None  # OSM opening_hours syntax; None = not recorded
    phone: str | None
    host: str | None
    status: Status = Status.ACTIVE
    access: Access = Access.PUBLIC  # stations recorded before the field was: open to anyone
    entry: Entry | None = None  # None: not recorded
    closed_until: datetime | None = None  # aware, UTC: closed until then, whatever the hours
    closure_reason: str | None = None


@dataclass(frozen=True, slots=True)
class Station:
    """A stored station. Position in WGS-84 degrees, GeoJSON order (lon, lat)."""

    id: StationId
    name: str
    kind: Kind
    lon: float
    lat: float
    address: str | None
    district_code: str
    amenities: tuple[str, ...]
    opening_hours: str | None
    phone: str | None
    host: str | None
    status: Status
    version: int
    updated_at: datetime  # aware, UTC
    access: Access = Access.PUBLIC
    entry: Entry | None = None
    closed_until: datetime | None = None
    closure_reason: str | None = None

    def to_draft(self) -> StationDraft:
        """The station's supplied fields, as a draft to save again (e.g. elsewhere)."""
        return StationDraft(
            **{name: getattr(self, name) for name in ("id", *EDITABLE_FIELDS, "status")}
        )

    def same_content(self, draft: StationDraft) -> bool:
        """True when saving ``draft`` over this station would change nothing."""
        return all(getattr(self, f) == getattr(draft, f) for f in (*EDITABLE_FIELDS, "status"))
