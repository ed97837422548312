"""The station record and its enumerations."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
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


class Category(StrEnum):
    """What a rider reports about a station (stations/reports.py)."""

    CONFIRMED_OK = "confirmed_ok"  # seen open and as listed
    CLOSED_NOW = "closed_now"
    GONE = "gone"  # closed for good, removed
    HOURS_WRONG = "hours_wrong"
    AMENITY_MISSING = "amenity_missing"  # listed, but not there
    AMENITY_BROKEN = "amenity_broken"  # there, but out of order
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class ReportSignal:
    """An open report as a station's snapshot carries it: what, from whom (hashed), when."""

    category: Category
    amenity: str | None
    reporter: str
    at: datetime


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

#: What Yizhan records about a station beyond what an editor types: set only by confirming it
#: on site (``verify``), by accepting rider reports, by marking an amenity out of order and
#: (``osm``) by importing it from OpenStreetMap; never by a PATCH or a file import, which keep
#: them as they are.
FIELD_STATE = ("verified_at", "last_confirmed_at", "out_of_order", "osm")

#: Amenities out of order: (code, since when, aware UTC), in vocabulary order.
OutOfOrder = tuple[tuple[str, datetime], ...]

#: A field's value as JSON holds it (amenities as a list, enumerations as their values).
JsonValue = str | float | int | list[str] | None


@dataclass(frozen=True, slots=True)
class OsmSource:
    """Where a station imported from OpenStreetMap came from, as of its last sync: the element,
    its version, and the value OSM gave each field it supplied. A later sync tells an editor's
    change (the station's value is no longer OSM's last) from OSM's own, and never overwrites
    the first."""

    element: str  # "node/123" or "way/456"
    version: int  # the element's version in OpenStreetMap
    # (field, OSM's value as JSON has it, a list as a tuple: a station stays hashable)
    fields: tuple[tuple[str, str | float | int | tuple[str, ...] | None], ...]

    def __post_init__(self) -> None:
        frozen = tuple((k, tuple(v) if isinstance(v, list) else v) for k, v in self.fields)
        object.__setattr__(self, "fields", frozen)

    def value(self, name: str) -> JsonValue:
        """OSM's value of ``name`` at the last sync, as JSON has it (amenities as a list)."""
        value = dict(self.fields)[name]
        return list(value) if isinstance(value, tuple) else value

    def to_json(self) -> dict[str, object]:
        fields = {name: self.value(name) for name, _ in self.fields}
        return {"element": self.element, "version": self.version, "fields": fields}

    @staticmethod
    def from_json(value: object) -> OsmSource | None:
        if not isinstance(value, dict):
            return None
        fields = value["fields"]
        return OsmSource(
            str(value["element"]),
            int(value["version"]),
            tuple((name, fields[name]) for name in EDITABLE_FIELDS if name in fields),
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
    verified_at: datetime | None = None  # aware, UTC: an editor last confirmed it on site
    last_confirmed_at: datetime | None = None  # the latest verify or accepted confirmation
    out_of_order: OutOfOrder = ()
    osm: OsmSource | None = None  # imported from OpenStreetMap (ODbL): whence, as of when


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
    verified_at: datetime | None = None
    last_confirmed_at: datetime | None = None
    out_of_order: OutOfOrder = ()
    osm: OsmSource | None = None
    # Open rider reports of the last day, as the store read them for a snapshot (not a field
    # of the station: never compared, recorded or written).
    reports: tuple[ReportSignal, ...] = field(default=(), compare=False)

    @property
    def working_amenities(self) -> tuple[str, ...]:
        """The amenities not out of order: the ones an amenity filter counts."""
        if not self.out_of_order:
            return self.amenities
        broken = {code for code, _ in self.out_of_order}
        return tuple(code for code in self.amenities if code not in broken)

    def to_draft(self) -> StationDraft:
        """The station's recorded fields, as a draft to save again (e.g. elsewhere)."""
        return StationDraft(**{name: getattr(self, name) for name in ("id", *_RECORDED)})

    def same_content(self, draft: StationDraft) -> bool:
        """True when saving ``draft`` over this station would change nothing."""
        return all(getattr(self, f) == getattr(draft, f) for f in _RECORDED)

    def keep_state(self, draft: StationDraft) -> StationDraft:
        """``draft`` (an edit or an imported row) with this station's field state, which edits
        do not set: amenities it drops are no longer out of order; its OpenStreetMap source
        stays unless the draft brings a newer one (an OSM sync)."""
        listed = set(draft.amenities)
        return replace(
            draft,
            verified_at=self.verified_at,
            last_confirmed_at=self.last_confirmed_at,
            out_of_order=tuple((c, t) for c, t in self.out_of_order if c in listed),
            osm=draft.osm or self.osm,
        )


_RECORDED = (*EDITABLE_FIELDS, "status", *FIELD_STATE)
