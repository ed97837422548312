"""Rows of the GeoPackage store: the columns it reads, and the values it writes and reads back."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from enum import StrEnum
from functools import lru_cache
from sys import intern
from typing import Any, Final

import orjson

from stations.editing.audit import Action, AuditEntry, out_of_order_of
from stations.editing.audit import encode as audit_json
from stations.editing.tokens import Role, Token
from stations.model import (
    Access,
    Entry,
    Kind,
    OsmSource,
    OutOfOrder,
    Station,
    StationId,
    Status,
)
from stations.store.geopackage.format import (
    LAYER,
    decode_point,
    encode_point,
    gpkg_datetime,
    parse_datetime,
)
from stations.store.shared_values import amenity_codes, shared_instants
from stations.store.station_table import StationTable
from stations.store.writes import Write, audit_values

#: The columns of a station row, in the order ``station_values`` gives them.
_STATION_COLUMNS: Final = (
    "geom, name, kind, address, district_code, amenities, opening_hours, phone, host, status, "
    "access, entry, closed_until, closure_reason, verified_at, last_confirmed_at, out_of_order, "
    "osm, version, updated_at, id"
)
SELECT_STATIONS: Final = f"SELECT {_STATION_COLUMNS} FROM {LAYER}"
#: A written row is marked "changed in the version this write commits" (-1) until ``finish``
#: knows that version (GeoPackageWriter.finish).
INSERT_STATION: Final = (
    f"INSERT INTO {LAYER} ({_STATION_COLUMNS}, changed_in) VALUES ({','.join('?' * 21)}, -1)"
)
UPDATE_STATION: Final = (
    f"UPDATE {LAYER} SET geom=?, name=?, kind=?, address=?, district_code=?, amenities=?, "
    "opening_hours=?, phone=?, host=?, status=?, access=?, entry=?, closed_until=?, "
    "closure_reason=?, verified_at=?, last_confirmed_at=?, out_of_order=?, osm=?, version=?, "
    "updated_at=?, changed_in=-1 WHERE id=?"
)
AUDIT_COLUMNS: Final = "station_id, version, action, actor, at, changes, record, reports"
INSERT_AUDIT: Final = f"INSERT INTO yizhan_audit ({AUDIT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
TOKEN_COLUMNS: Final = "name, role, districts, created_at, revoked_at"


def station_values(write: Write) -> tuple[object, ...]:
    """The station row ``write`` leaves (the parameters of INSERT_STATION and UPDATE_STATION)."""
    d = write.draft
    return (encode_point(d.lon, d.lat), d.name, d.kind.value, d.address, d.district_code,
            ";".join(d.amenities), d.opening_hours, d.phone, d.host, d.status.value,
            d.access.value, _opt_value(d.entry), _opt_stamp(d.closed_until), d.closure_reason,
            _opt_stamp(d.verified_at), _opt_stamp(d.last_confirmed_at),
            out_of_order_json(d.out_of_order), osm_json(d.osm), write.version, _stamp(write.at),
            write.station_id)  # fmt: skip


def row_to_station(row: Sequence[Any]) -> Station:
    return Station(*station_fields(row))


def station_table(rows: Iterable[Sequence[Any]]) -> StationTable:
    """The stations of ``rows`` (``SELECT_STATIONS … ORDER BY id``), with no Station made."""
    return StationTable(list(map(station_fields, rows)))


def station_fields(row: Sequence[Any]) -> tuple[Any, ...]:
    """A station row's values as the Station fields hold them, in their order (the reports
    aside): a snapshot's row (stations/store/station_table.py), or a Station's."""
    (geom, name, kind, address, district, amenities, hours, phone, host, status, access, entry,
     closed_until, reason, verified_at, confirmed_at, out_of_order, osm, version, updated_at,
     sid) = row  # fmt: skip
    lon, lat = decode_point(geom)
    # No conversion a column's affinity makes needless (a TEXT column gives str or NULL, an
    # INTEGER one int): 190,000 of these make a snapshot, and each call costs (the store
    # contract tests compare every field). Empty texts read as absent, as the writers store them.
    return (sid, name, _KINDS[kind], lon, lat, address or None, intern(district),
            amenity_codes(amenities) if amenities else (), intern(hours) if hours else None,
            phone or None, intern(host) if host else None, _STATUSES[status], version,
            _parse_instant(updated_at), _ACCESSES[access],
            None if entry is None else Entry(entry),
            None if closed_until is None else parse_datetime(closed_until), reason or None,
            None if verified_at is None else parse_datetime(verified_at),
            None if confirmed_at is None else parse_datetime(confirmed_at),
            () if out_of_order is None else out_of_order_of(orjson.loads(out_of_order)),
            None if osm is None else OsmSource.from_json(orjson.loads(osm)))  # fmt: skip


_parse_instant = shared_instants(parse_datetime)
# Dict lookups: an Enum call costs several times more, 190,000 times per snapshot.
_KINDS: Final = {k.value: k for k in Kind}
_STATUSES: Final = {s.value: s for s in Status}
_ACCESSES: Final = {a.value: a for a in Access}


def audit_row(write: Write) -> tuple[object, ...]:
    """The audit row of ``write`` (the parameters of INSERT_AUDIT)."""
    return audit_values(write, _stamp(write.at))


def baseline_row(station: Station) -> tuple[object, ...]:
    """The audit row that records ``station`` as it was before history was kept."""
    at = gpkg_datetime(station.updated_at)
    return (station.id, station.version, Action.BASELINE.value, "migration", at,
            *audit_json({}, station), None)  # fmt: skip


def row_to_audit(row: tuple[object, ...]) -> AuditEntry:
    station_id, version, action, actor, at, changes, record, reports = row
    return AuditEntry(
        station_id=StationId(str(station_id)),
        version=int(version),  # type: ignore[call-overload]
        action=Action(str(action)),
        actor=str(actor),
        at=parse_datetime(at),
        changes=orjson.loads(str(changes)),
        record=orjson.loads(str(record)),
        reports=() if reports is None else tuple(orjson.loads(str(reports))),
    )


def row_to_token(row: tuple[object, ...]) -> Token:
    name, role, districts, created_at, revoked_at = row
    return Token(
        name=str(name),
        role=Role(str(role)),
        districts=tuple(d for d in str(districts).split(",") if d),
        created_at=parse_datetime(created_at),
        revoked_at=None if revoked_at is None else parse_datetime(revoked_at),
    )


@lru_cache(maxsize=4)
def _stamp(at: datetime) -> str:
    """``gpkg_datetime(at)``, made once for the thousands of rows of an import."""
    return gpkg_datetime(at)


def out_of_order_json(out_of_order: OutOfOrder) -> str | None:
    """Out-of-order amenities as the GeoPackage keeps them: JSON {code: DATETIME}, or NULL."""
    if not out_of_order:
        return None
    return orjson.dumps({code: gpkg_datetime(since) for code, since in out_of_order}).decode()


def _opt_stamp(moment: datetime | None) -> str | None:
    return None if moment is None else gpkg_datetime(moment)


def _opt_value(value: StrEnum | None) -> str | None:
    return None if value is None else value.value


def osm_json(osm: OsmSource | None) -> str | None:
    """A station's OpenStreetMap source as JSON text, or NULL."""
    return None if osm is None else orjson.dumps(osm.to_json()).decode()
