"""Admin edits: JSON merge patches, amenity replacement, retirement and reverts, each checked
against the token's role and districts and against the version the editor last read."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Final

from geo.crs import CoordinateSystem, from_wgs84
from stations.editing.audit import Action, draft_from_record, record_of
from stations.editing.tokens import Token
from stations.editing.validation import validate_draft
from stations.errors import Forbidden, InvalidStation, Problem
from stations.model import EDITABLE_FIELDS, Station, StationDraft, StationId, Status
from stations.store.base import StationStore

PATCHABLE: Final = frozenset({*EDITABLE_FIELDS, "status"})
READ_ONLY: Final = frozenset({"id", "version", "updated_at"})


def create_station(
    store: StationStore, token: Token, body: Mapping[str, object], crs: CoordinateSystem
) -> Station:
    """Validate and add a new station (version 1) in one of the token's districts."""
    _check_fields(body, allowed=PATCHABLE | {"id"})
    if body.get("status") == Status.RETIRED.value:
        raise InvalidStation([Problem("status", "a new station cannot be retired")])
    draft = validate_draft(body, crs=crs)
    authorize(token, None, draft)
    return store.create(draft, actor=token.name)


def patch_station(
    store: StationStore,
    token: Token,
    station_id: StationId,
    patch: Mapping[str, object],
    *,
    expected_version: int,
    crs: CoordinateSystem,
) -> Station:
    """Apply an RFC 7396 merge patch of the editable fields (null clears an optional field)."""
    current = store.get(station_id)
    _check_fields(patch, allowed=PATCHABLE)
    if patch.get("status") == Status.RETIRED.value:
        raise InvalidStation([Problem("status", "retire a station with DELETE, not PATCH")])
    draft = merge_patch(current, patch, crs)
    authorize(token, current, draft)
    return store.update(station_id, draft, expected_version=expected_version, actor=token.name)


def replace_amenities(
    store: StationStore,
    token: Token,
    station_id: StationId,
    amenities: object,
    *,
    expected_version: int,
) -> Station:
    """Replace the whole amenity set (codes from the vocabulary)."""
    current = store.get(station_id)
    draft = merge_patch(current, {"amenities": amenities}, CoordinateSystem.WGS84)
    authorize(token, current, draft)
    return store.update(station_id, draft, expected_version=expected_version, actor=token.name)


def retire_station(
    store: StationStore, token: Token, station_id: StationId, *, expected_version: int
) -> Station:
    """Soft delete: status ``retired``, kept with its history, gone from courier results."""
    current = store.get(station_id)
    draft = replace(current.to_draft(), status=Status.RETIRED)
    authorize(token, current, draft)
    return store.update(
        station_id, draft, expected_version=expected_version, actor=token.name,
        action=Action.RETIRE,
    )  # fmt: skip


def revert_station(
    store: StationStore,
    token: Token,
    station_id: StationId,
    *,
    to_version: int,
    expected_version: int,
) -> Station:
    """Restore the fields of an earlier version, as a new version."""
    current = store.get(station_id)
    earlier = store.recorded_version(station_id, to_version)
    draft = draft_from_record(station_id, earlier.record)
    authorize(token, current, draft)
    return store.update(
        station_id, draft, expected_version=expected_version, actor=token.name,
        action=Action.REVERT,
    )  # fmt: skip


def authorize(token: Token, before: Station | None, after: StationDraft) -> None:
    """Raise Forbidden unless the token may write the station where it is and where it goes."""
    for district in dict.fromkeys(
        [*([before.district_code] if before is not None else []), after.district_code]
    ):
        if not token.may_write(district):
            held = ", ".join(token.districts) or "none"
            raise Forbidden(
                f"token {token.name!r} ({token.role.value}) may not write stations in district "
                f"{district}; it holds: {held}"
            )


def merge_patch(
    current: Station, patch: Mapping[str, object], crs: CoordinateSystem
) -> StationDraft:
    """The draft that results from merging ``patch`` into ``current``. A position in the patch
    is read in ``crs``; a missing half of it is taken from the current position in ``crs``."""
    raw: dict[str, object] = record_of(current)
    raw["id"] = current.id
    position_crs = CoordinateSystem.WGS84
    if "lon" in patch or "lat" in patch:
        lon, lat = from_wgs84(current.lon, current.lat, crs)
        raw["lon"], raw["lat"] = float(lon), float(lat)
        position_crs = crs
    # Without a new position the stored WGS-84 one is kept exactly (no round trip through crs).
    raw.update(patch)
    return validate_draft(raw, crs=position_crs)


def _check_fields(body: Mapping[str, object], *, allowed: frozenset[str]) -> None:
    problems = [
        Problem(name, "is read-only" if name in READ_ONLY else "is not a station field")
        for name in body
        if name not in allowed
    ]
    if problems:
        raise InvalidStation(problems)
