"""What a write changed: per-field before/after, and full records to revert to."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import orjson

from stations.amenities import CODES
from stations.model import (
    EDITABLE_FIELDS,
    FIELD_STATE,
    Access,
    Entry,
    Kind,
    OutOfOrder,
    Station,
    StationDraft,
    StationId,
    Status,
)

#: Fields compared and recorded for every version.
RECORDED_FIELDS = (*EDITABLE_FIELDS, "status", *FIELD_STATE)


class Action(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    RETIRE = "retire"
    REVERT = "revert"
    IMPORT = "import"
    BASELINE = "baseline"  # a station that existed before history was kept
    VERIFY = "verify"  # an editor confirmed the station on site
    AMENITY_STATE = "amenity_state"  # an amenity marked out of order, or working again
    ACCEPT_REPORTS = "accept_reports"  # riders' reports accepted by an editor


@dataclass(frozen=True, slots=True)
class AuditEntry:
    station_id: StationId
    version: int  # the version this write produced
    action: Action
    actor: str  # token name, or "cli" for the command line
    at: datetime  # aware, UTC
    changes: dict[str, dict[str, Any]]  # field -> {"before": …, "after": …}
    record: dict[str, Any]  # every recorded field after the write
    reports: tuple[int, ...] = ()  # the rider reports this write accepted


def record_of(station: Station | StationDraft) -> dict[str, Any]:
    """The recorded fields as JSON values (amenities as a list)."""
    out: dict[str, Any] = {}
    for name in RECORDED_FIELDS:
        value = getattr(station, name)
        if name == "out_of_order":
            value = {code: since.isoformat() for code, since in value}
        elif name == "osm":
            value = None if value is None else value.to_json()
        elif isinstance(value, tuple):
            value = list(value)
        elif isinstance(value, Kind | Status | Access | Entry):
            value = value.value
        elif isinstance(value, datetime):
            value = value.isoformat()
        out[name] = value
    return out


def changes_between(
    before: Station | StationDraft | None, after: Station | StationDraft
) -> dict[str, dict[str, Any]]:
    """Fields whose value differs, with both values; when ``before`` is None, every field that
    has a value (a created station)."""
    old = record_of(before) if before is not None else dict.fromkeys(RECORDED_FIELDS)
    new = record_of(after)
    return {
        name: {"before": old[name], "after": new[name]}
        for name in RECORDED_FIELDS
        if old[name] != new[name]
    }


def encode(changes: dict[str, dict[str, Any]], after: Station | StationDraft) -> tuple[str, str]:
    """The JSON texts every store keeps for an audit row: the changes and the full record."""
    return orjson.dumps(changes).decode(), orjson.dumps(record_of(after)).decode()


def draft_from_record(station_id: StationId, record: dict[str, Any]) -> StationDraft:
    """The draft that restores a recorded version."""
    return StationDraft(
        id=station_id,
        name=record["name"],
        kind=Kind(record["kind"]),
        lon=float(record["lon"]),
        lat=float(record["lat"]),
        address=record["address"],
        district_code=record["district_code"],
        amenities=tuple(record["amenities"]),
        opening_hours=record["opening_hours"],
        phone=record["phone"],
        host=record["host"],
        status=Status(record["status"]),
        # Versions recorded before these fields existed restore their defaults.
        access=Access(record.get("access") or Access.PUBLIC),
        entry=None if record.get("entry") is None else Entry(record["entry"]),
        closed_until=_instant(record.get("closed_until")),
        closure_reason=record.get("closure_reason"),
        verified_at=_instant(record.get("verified_at")),
        last_confirmed_at=_instant(record.get("last_confirmed_at")),
        out_of_order=out_of_order_of(record.get("out_of_order")),
        # A revert is an editor's change: the station keeps its current OpenStreetMap source
        # (Station.keep_state), so the next sync sees the restored values as the editor's.
        osm=None,
    )


def out_of_order_of(value: dict[str, str] | None) -> OutOfOrder:
    """Out-of-order amenities from their JSON form ({code: ISO instant}), in vocabulary order."""
    if not value:
        return ()
    return tuple((code, _since(value[code])) for code in CODES if code in value)


def _since(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def _instant(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text).astimezone(UTC)
