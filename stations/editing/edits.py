"""Admin edits: JSON merge patches, amenity replacement, retirement and reverts, each checked
against the token's role and districts and against the version the editor last read."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Final

from geo.crs import CoordinateSystem, from_wgs84
from stations.amenities import BY_CODE, UnknownAmenity
from stations.districts import district_name
from stations.editing.audit import Action, draft_from_record, record_of
from stations.editing.tokens import Token
from stations.editing.validation import INSTANT_RULE, KNOWN_FIELDS, parse_instant, validate_draft
from stations.errors import Forbidden, InvalidInput, InvalidStation, LikelyDuplicate, Problem
from stations.files.duplicates import RADIUS_M, Place, likely_duplicates
from stations.model import EDITABLE_FIELDS, Station, StationDraft, StationId, Status
from stations.store.base import StationStore

PATCHABLE: Final = frozenset({*EDITABLE_FIELDS, "status"})
READ_ONLY: Final = frozenset({"id", "version", "updated_at"})
#: Where each field Yizhan records itself is set instead (model.FIELD_STATE).
SET_ELSEWHERE: Final = {
    "verified_at": "is set only by POST /v1/stations/{id}/verify",
    "last_confirmed_at": "is set by verifying the station or accepting a rider's confirmation",
    "out_of_order": "is set per amenity by PUT /v1/stations/{id}/amenities/{code}",
}


#: The stations within ``radius_m`` metres (geodesic) of a WGS-84 position (lon, lat): where a
#: new station's likely duplicates are looked for. ``Catalog.near`` answers from a snapshot;
#: it may also give stations farther away or retired ones, which are left out.
Nearby = Callable[[float, float, float], Iterable[Station]]


def create_station(
    store: StationStore,
    token: Token,
    body: Mapping[str, object],
    crs: CoordinateSystem,
    *,
    allow_duplicates: bool = False,
    nearby: Nearby | None = None,
) -> Station:
    """Validate and add a new station (version 1) in one of the token's districts. Unless
    ``allow_duplicates``, a station that would be a likely duplicate of one that is not retired
    (the import's rule, ``stations.files.duplicates``) raises LikelyDuplicate naming the nearest
    such station; ``nearby`` finds the candidates (default: every stored station)."""
    check_fields(body, allowed=PATCHABLE | {"id"})
    if body.get("status") == Status.RETIRED.value:
        raise InvalidStation([Problem("status", "a new station cannot be retired")])
    draft = validate_draft(body, crs=crs)
    authorize(token, None, draft)
    if not allow_duplicates:
        find = nearby or (lambda lon, lat, radius_m: store.list_stations())
        refuse_likely_duplicate(draft, find(draft.lon, draft.lat, RADIUS_M))
    return store.create(draft, actor=token.name)


def refuse_likely_duplicate(draft: StationDraft, stations: Iterable[Station]) -> None:
    """Raise LikelyDuplicate if the new ``draft`` is a likely duplicate of one of ``stations``
    that is not retired (a station with the draft's own id is left to the store, which refuses
    a taken id)."""
    places = [
        Place(s.id, s.name, s.kind.value, s.lon, s.lat, row=None, new=False)
        for s in stations
        if s.status is not Status.RETIRED and s.id != draft.id
    ]
    places.append(Place(draft.id, draft.name, draft.kind.value, draft.lon, draft.lat, 1, True))
    for found in likely_duplicates(places):
        assert found.near_id is not None  # only the draft is new: its match is stored
        raise LikelyDuplicate(found.near_id, found.near_name, found.distance_m)


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
    check_fields(patch, allowed=PATCHABLE)
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
    # The earlier version's fields and status; verification and amenity states stay as they are.
    draft = current.keep_state(draft_from_record(station_id, earlier.record))
    authorize(token, current, draft)
    return store.update(
        station_id, draft, expected_version=expected_version, actor=token.name,
        action=Action.REVERT,
    )  # fmt: skip


class AmenityState(StrEnum):
    OUT_OF_ORDER = "out_of_order"
    WORKING = "working"


def verify_station(
    store: StationStore, token: Token, station_id: StationId, *, expected_version: int
) -> Station:
    """Record that the editor confirmed the station on site now: ``verified_at`` (and
    ``last_confirmed_at``) as a new, audited version. The only way either is set by hand."""
    current = store.get(station_id)
    authorize(token, current, current.to_draft())
    if current.status is Status.RETIRED:
        raise InvalidStation([Problem("status", _RETIRED_STATE)])
    now = _now_s()
    draft = replace(current.to_draft(), verified_at=now, last_confirmed_at=now)
    return store.update(
        station_id, draft, expected_version=expected_version, actor=token.name,
        action=Action.VERIFY,
    )  # fmt: skip


def set_amenity_state(
    store: StationStore,
    token: Token,
    station_id: StationId,
    code: str,
    body: Mapping[str, object],
    *,
    expected_version: int,
) -> Station:
    """Mark one listed amenity out of order (since ``body["since"]``, default now) or working
    again. Out of order, it stays listed and no longer satisfies an amenity filter. Marking an
    amenity as it already is writes nothing."""
    current = store.get(station_id)
    check_fields(body, allowed=frozenset({"state", "since"}))
    state, since = _amenity_state(body)
    if code not in BY_CODE:
        raise InvalidInput([Problem("amenity", str(UnknownAmenity([code])))])
    if code not in current.amenities:
        listed = ", ".join(current.amenities) or "none"
        reason = f"the station lists {listed}, not {code!r}: add it to its amenities first"
        raise InvalidInput([Problem("amenity", reason)])
    if current.status is Status.RETIRED:
        raise InvalidStation([Problem("status", _RETIRED_STATE)])
    broken = dict(current.out_of_order)
    if state is AmenityState.WORKING:
        broken.pop(code, None)
    else:
        broken.setdefault(code, since)
    out_of_order = tuple((c, broken[c]) for c in current.amenities if c in broken)
    draft = replace(current.to_draft(), out_of_order=out_of_order)
    authorize(token, current, draft)
    return store.update(
        station_id, draft, expected_version=expected_version, actor=token.name,
        action=Action.AMENITY_STATE,
    )  # fmt: skip


def _amenity_state(body: Mapping[str, object]) -> tuple[AmenityState, datetime]:
    states = ", ".join(s.value for s in AmenityState)
    raw = body.get("state")
    problems = []
    try:
        state = AmenityState(str(raw)) if isinstance(raw, str) else None
    except ValueError:
        state = None
    if state is None:
        problems.append(Problem("state", f"must be one of {states}, not {raw!r}"))
    since = _now_s()
    if body.get("since") is not None:
        parsed = parse_instant(body["since"])
        if parsed is None or parsed > since + timedelta(minutes=5):
            problems.append(Problem("since", f"{INSTANT_RULE}, and not in the future"))
        else:
            since = parsed
    if problems:
        raise InvalidInput(problems)
    assert state is not None
    return state, since


def _now_s() -> datetime:
    """Now in UTC, to the second (as every instant an editor gives is kept)."""
    return datetime.now(UTC).replace(microsecond=0)


_RETIRED_STATE: Final = "the station is retired; revert it to an earlier version first"


def authorize(token: Token, before: Station | None, after: StationDraft) -> None:
    """Raise Forbidden unless the token may write the station where it is and where it goes."""
    for district in dict.fromkeys(
        [*([before.district_code] if before is not None else []), after.district_code]
    ):
        if not token.may_write(district):
            held = ", ".join(token.districts) or "none"
            refused = Forbidden(
                f"token {token.name!r} ({token.role.value}) may not write stations in district "
                f"{district}; it holds: {held}"
            )
            refused.zh = (
                f"令牌“{token.name}”不能修改{district_name(district)}（{district}）的站点；"
                f"它管理的区划：{'、'.join(map(district_name, token.districts)) or '无'}"
            )
            raise refused


def merge_patch(
    current: Station, patch: Mapping[str, object], crs: CoordinateSystem
) -> StationDraft:
    """The draft that results from merging ``patch`` into ``current``. A position in the patch
    is read in ``crs``; a missing half of it is taken from the current position in ``crs``."""
    raw: dict[str, object] = {k: v for k, v in record_of(current).items() if k in KNOWN_FIELDS}
    raw["id"] = current.id
    position_crs = CoordinateSystem.WGS84
    if "lon" in patch or "lat" in patch:
        lon, lat = from_wgs84(current.lon, current.lat, crs)
        raw["lon"], raw["lat"] = float(lon), float(lat)
        position_crs = crs
    # Without a new position the stored WGS-84 one is kept exactly (no round trip through crs).
    raw.update(patch)
    return current.keep_state(validate_draft(raw, crs=position_crs))


def check_fields(body: Mapping[str, object], *, allowed: frozenset[str]) -> None:
    problems = [
        Problem(
            name,
            "is read-only"
            if name in READ_ONLY
            else SET_ELSEWHERE.get(name, "is not a station field"),
        )
        for name in body
        if name not in allowed
    ]
    if problems:
        raise InvalidStation(problems)
