"""Rows of the PostGIS store: the SQL it sends, and the values it sends and reads back."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from datetime import UTC
from typing import Any, Final

import orjson

from stations.editing.audit import Action, AuditEntry, out_of_order_of
from stations.editing.tokens import Role, Token
from stations.model import (
    Access,
    Entry,
    Kind,
    OsmSource,
    OutOfOrder,
    Station,
    StationDraft,
    StationId,
    Status,
)
from stations.store.shared_values import amenity_codes, shared_text
from stations.store.station_table import StationTable
from stations.store.writes import Write

SELECT_STATIONS: Final = (
    "SELECT id, name, kind, ST_X(geom), ST_Y(geom), address, district_code,"
    " array_to_string(amenities, ';'), opening_hours, phone, host, status, version, updated_at,"
    " access, entry, closed_until, closure_reason, verified_at, last_confirmed_at, out_of_order,"
    " osm FROM stations"
)  # amenity codes are [a-z_]+: one joined text reads faster than a text[]
_POINT: Final = "ST_SetSRID(ST_MakePoint(%s, %s), 4326)"
_FIELDS: Final = (
    f"geom = {_POINT}, name = %s, kind = %s, address = %s, district_code = %s,"
    " amenities = %s::text[], opening_hours = %s, phone = %s, host = %s, status = %s,"
    " access = %s, entry = %s, closed_until = %s, closure_reason = %s, verified_at = %s,"
    " last_confirmed_at = %s, out_of_order = %s::jsonb, osm = %s::jsonb"
)
INSERT_STATION: Final = (
    "INSERT INTO stations (geom, name, kind, address, district_code, amenities, opening_hours,"
    " phone, host, status, access, entry, closed_until, closure_reason, verified_at,"
    " last_confirmed_at, out_of_order, osm, version, updated_at, changed_in, id)"
    f" VALUES ({_POINT}, %s, %s, %s, %s, %s::text[], %s, %s, %s, %s, %s, %s, %s, %s, %s, %s,"
    " %s::jsonb, %s::jsonb, %s, %s, %s, %s)"
)
UPDATE_STATION: Final = (
    f"UPDATE stations SET {_FIELDS}, version = %s, updated_at = %s, changed_in = %s WHERE id = %s"
)
INSERT_AUDIT: Final = (
    "INSERT INTO yizhan_audit (station_id, version, action, actor, at, changes, record, reports)"
    " VALUES (%s, %s, %s, %s, %s, %s::jsonb, %s::jsonb, %s::jsonb)"
)
AUDIT_COLUMNS: Final = "station_id, version, action, actor, at, changes, record, reports"
TOKEN_COLUMNS: Final = "name, role, districts, created_at, revoked_at"
_KINDS: Final = {k.value: k for k in Kind}
_STATUSES: Final = {s.value: s for s in Status}
_ACCESSES: Final = {a.value: a for a in Access}


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
        d.access.value,
        None if d.entry is None else d.entry.value,
        d.closed_until,
        d.closure_reason,
        d.verified_at,
        d.last_confirmed_at,
        _out_of_order_json(d.out_of_order),
        None if d.osm is None else orjson.dumps(d.osm.to_json()).decode(),
    )


def station_values(write: Write, data_version: int) -> tuple[object, ...]:
    """The station row ``write`` leaves in the write that commits ``data_version`` (the
    parameters of INSERT_STATION and UPDATE_STATION)."""
    return (*draft_values(write.draft), write.version, write.at, data_version, write.station_id)


def stored_as(write: Write) -> Station:
    """The station ``write`` leaves, as reading it back gives it."""
    d, amenities = write.draft, ";".join(write.draft.amenities)
    return row_to_station(
        (write.station_id, d.name, d.kind, d.lon, d.lat, d.address, d.district_code, amenities,
         d.opening_hours, d.phone, d.host, d.status, write.version, write.at, d.access, d.entry,
         d.closed_until, d.closure_reason, d.verified_at, d.last_confirmed_at,
         _out_of_order_value(d.out_of_order), None if d.osm is None else d.osm.to_json())
    )  # fmt: skip


def row_to_station(row: Sequence[Any]) -> Station:
    return Station(*station_fields(row))


def station_table(rows: Iterable[Sequence[Any]]) -> StationTable:
    """The stations of ``rows`` (``SELECT_STATIONS … ORDER BY id``), with no Station made."""
    return StationTable(list(map(station_fields, rows)))


def station_fields(row: Sequence[Any]) -> tuple[Any, ...]:
    """A station row's values as the Station fields hold them, in their order (the reports
    aside)."""
    (sid, name, kind, lon, lat, address, district, amenities, hours, phone, host, status, version,
     updated_at, access, entry, closed_until, reason, verified_at, confirmed_at, out_of_order,
     osm) = row  # fmt: skip
    return (
        StationId(sid),
        name,
        _KINDS[kind],
        float(lon),
        float(lat),
        _opt(address),
        sys.intern(district),
        amenity_codes(amenities or ""),
        shared_text(_opt(hours)),
        _opt(phone),
        shared_text(_opt(host)),
        _STATUSES[status],
        int(version),
        updated_at.astimezone(UTC),
        _ACCESSES[access],
        None if entry is None else Entry(entry),
        None if closed_until is None else closed_until.astimezone(UTC),
        _opt(reason),
        None if verified_at is None else verified_at.astimezone(UTC),
        None if confirmed_at is None else confirmed_at.astimezone(UTC),
        out_of_order_of(out_of_order),
        OsmSource.from_json(osm),
    )


def row_to_audit(row: Sequence[Any]) -> AuditEntry:
    station_id, version, action, actor, at, changes, record, reports = row
    return AuditEntry(
        station_id=StationId(station_id),
        version=int(version),
        action=Action(action),
        actor=actor,
        at=at.astimezone(UTC),
        changes=changes,
        record=record,
        reports=() if reports is None else tuple(reports),
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


def _out_of_order_value(out_of_order: OutOfOrder) -> dict[str, str] | None:
    """Out-of-order amenities as jsonb holds them ({code: ISO instant}), or NULL."""
    return {code: since.isoformat() for code, since in out_of_order} or None


def _out_of_order_json(out_of_order: OutOfOrder) -> str | None:
    value = _out_of_order_value(out_of_order)
    return None if value is None else orjson.dumps(value).decode()


def _opt(value: str | None) -> str | None:
    # As the GeoPackage store: an empty text reads as "not recorded".
    return None if value is None or value == "" else value
