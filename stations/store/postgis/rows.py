"""Rows of the PostGIS store: the SQL it sends, and the values it sends and reads back."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Final

from stations.editing.audit import Action, AuditEntry
from stations.editing.audit import encode as audit_json
from stations.editing.tokens import Role, Token
from stations.model import Kind, Station, StationDraft, StationId, Status

SELECT_STATIONS: Final = (
    "SELECT id, name, kind, ST_X(geom), ST_Y(geom), address, district_code,"
    " array_to_string(amenities, ';'), opening_hours, phone, host, status, version, updated_at"
    " FROM stations"
)  # amenity codes are [a-z_]+: one joined text reads faster than a text[]
_POINT: Final = "ST_SetSRID(ST_MakePoint(%s, %s), 4326)"
_FIELDS: Final = (
    f"geom = {_POINT}, name = %s, kind = %s, address = %s, district_code = %s,"
    " amenities = %s::text[], opening_hours = %s, phone = %s, host = %s, status = %s"
)
INSERT_STATION: Final = (
    "INSERT INTO stations (geom, name, kind, address, district_code, amenities, opening_hours,"
    f" phone, host, status, version, updated_at, changed_in, id) VALUES ({_POINT}, %s, %s, %s,"
    " %s, %s::text[], %s, %s, %s, %s, %s, %s, %s, %s)"
)
UPDATE_STATION: Final = (
    f"UPDATE stations SET {_FIELDS}, version = %s, updated_at = %s, changed_in = %s WHERE id = %s"
)
INSERT_AUDIT: Final = (
    "INSERT INTO yizhan_audit (station_id, version, action, actor, at, changes, record)"
    " VALUES (%s, %s, %s, %s, %s, %s::jsonb, %s::jsonb)"
)
AUDIT_COLUMNS: Final = "station_id, version, action, actor, at, changes, record"
TOKEN_COLUMNS: Final = "name, role, districts, created_at, revoked_at"
_KINDS: Final = {k.value: k for k in Kind}
_STATUSES: Final = {s.value: s for s in Status}


def draft_values(d: StationDraft) -> tuple[object, ...]:
    return (
        d.lon,
        d.lat,
        d.name,
        d.kind.value,
        d.address,
        d.district_code,
        list(d.amenities),
        d.opening_hours,
        d.phone,
        d.host,
        d.status.value,
    )


def audit_values(
    station_id: StationId,
    version: int,
    action: Action,
    actor: str,
    now: datetime,
    changes: dict[str, dict[str, Any]],
    after: StationDraft,
) -> tuple[object, ...]:
    return (
        station_id,
        version,
        action.value,
        actor,
        now,
        *audit_json(changes, after),
    )


def stored_as(station_id: StationId, draft: StationDraft, version: int, now: datetime) -> Station:
    """The station as a later draft of the same import will find it (as if read back)."""
    d, amenities = draft, ";".join(draft.amenities)
    return row_to_station(
        (station_id, d.name, d.kind, d.lon, d.lat, d.address, d.district_code, amenities,
         d.opening_hours, d.phone, d.host, d.status, version, now)
    )  # fmt: skip


def row_to_station(row: Sequence[Any]) -> Station:
    (sid, name, kind, lon, lat, address, district, amenities, hours, phone, host, status, version,
     updated_at) = row  # fmt: skip
    return Station(
        id=StationId(sid),
        name=name,
        kind=_KINDS[kind],
        lon=float(lon),
        lat=float(lat),
        address=_opt(address),
        district_code=district,
        amenities=tuple(amenities.split(";")) if amenities else (),
        opening_hours=_opt(hours),
        phone=_opt(phone),
        host=_opt(host),
        status=_STATUSES[status],
        version=int(version),
        updated_at=updated_at.astimezone(UTC),
    )


def row_to_audit(row: Sequence[Any]) -> AuditEntry:
    station_id, version, action, actor, at, changes, record = row
    return AuditEntry(
        station_id=StationId(station_id),
        version=int(version),
        action=Action(action),
        actor=actor,
        at=at.astimezone(UTC),
        changes=changes,
        record=record,
    )


def row_to_token(row: Sequence[Any]) -> Token:
    name, role, districts, created_at, revoked_at = row
    return Token(
        name=name,
        role=Role(role),
        districts=tuple(districts),
        created_at=created_at.astimezone(UTC),
        revoked_at=None if revoked_at is None else revoked_at.astimezone(UTC),
    )


def _opt(value: str | None) -> str | None:
    # As the GeoPackage store: an empty text reads as "not recorded".
    return None if value is None or value == "" else value


def new_id() -> StationId:
    return StationId(f"st-{uuid.uuid4().hex[:12]}")


def millis(moment: datetime) -> datetime:
    """``moment`` in UTC, cut to the millisecond (the GeoPackage DATETIME precision)."""
    utc = moment.astimezone(UTC)
    return utc.replace(microsecond=utc.microsecond // 1000 * 1000)


def now_ms() -> datetime:
    return millis(datetime.now(UTC))
