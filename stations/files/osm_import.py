"""Import and re-sync service points from an OpenStreetMap extract, never losing an editor's work.

Each mapped element (``stations.osm_points``) becomes a station ``osm-node-123`` /
``osm-way-456`` that remembers its source: the element, its version and the value OSM gave each
field it supplies. A re-sync over a newer extract decides, per field and inside the write
transaction (``StationStore.save_all``'s ``merge``), against the station as stored there:

* the station still holds OSM's last value → it takes the new one;
* it holds something else → an editor changed it: kept, and listed in the report;
* an OSM-sourced station whose element left the extract (or no longer maps, e.g. it became
  ``access=private``) inside the area the extract covers → retired, listed;
* a station not from OSM → never touched, even under an ``osm-…`` id.

All or nothing, as every import: one transaction, or nothing written (and a dry run reports the
same decisions without writing).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Final

from geo.osm import OsmFileError, read_elements
from stations.editing.audit import record_of
from stations.editing.validation import validate_draft
from stations.errors import ImportFileError, InvalidStation
from stations.model import JsonValue, OsmSource, Station, StationDraft, StationId, Status
from stations.osm_points import WANTED, MappedPoint, Skipped, map_element
from stations.store.base import StationStore

#: The fields OpenStreetMap supplies; every other field is the editors' alone.
OSM_FIELDS: Final = ("name", "kind", "lon", "lat", "address", "amenities", "opening_hours")
#: Who the audit history names for the writes of an OSM import.
ACTOR: Final = "osm-import"

BBox = tuple[float, float, float, float]


@dataclass(frozen=True, slots=True)
class Kept:
    """A field an editor changed that OSM changed too: the editor's value stays."""

    station_id: StationId
    field: str
    ours: JsonValue  # the station's value, an editor's
    osm: JsonValue  # what the extract says now


@dataclass(frozen=True, slots=True)
class Retired:
    station_id: StationId
    name: str
    why: str  # "left OpenStreetMap" or why the element no longer maps


@dataclass(slots=True)
class OsmImportReport:
    """What an OSM import did or (dry run) would do."""

    extract: str
    scanned: int = 0  # nodes and ways read from the file
    mapped: Counter[str] = field(default_factory=Counter)  # mapped points per tag
    skipped: list[Skipped] = field(default_factory=list)  # elements that do not map (why)
    invalid: list[tuple[str, str]] = field(default_factory=list)  # (element, the problem)
    no_location: int = 0  # ways without a single node position in the extract
    hours_dropped: list[str] = field(default_factory=list)  # elements: hours Yizhan cannot read
    created: list[StationId] = field(default_factory=list)
    updated: list[StationId] = field(default_factory=list)
    unchanged: int = 0
    retired: list[Retired] = field(default_factory=list)
    kept: list[Kept] = field(default_factory=list)
    not_osm: list[StationId] = field(default_factory=list)  # an osm-… id an editor created
    dry_run: bool = False
    written: bool = False
    read_s: float = 0.0
    seconds: float = 0.0

    def summary(self) -> str:
        verb = "would be" if self.dry_run else "were"
        per_tag = ", ".join(f"{tag} {n}" for tag, n in sorted(self.mapped.items()))
        lines = [
            f"{self.extract}: {self.scanned} elements read in {self.read_s:.1f} s; "
            f"{sum(self.mapped.values())} service points ({per_tag or 'none'})",
            f"{len(self.created)} {verb} created, {len(self.updated)} updated, "
            f"{len(self.retired)} retired, {self.unchanged} unchanged; "
            f"{len(self.kept)} editor changes kept",
        ]
        if self.skipped:
            reasons = Counter(s.reason for s in self.skipped)
            lines.append("skipped: " + "; ".join(f"{n} {r}" for r, n in reasons.most_common()))
        if self.invalid:
            lines.append(f"{len(self.invalid)} elements left out, their data cannot be a station")
        if self.no_location:
            lines.append(f"{self.no_location} ways left out: none of their nodes is in the extract")
        if self.hours_dropped:
            lines.append(
                f"{len(self.hours_dropped)} opening_hours Yizhan cannot read were left empty"
            )
        if self.not_osm:
            lines.append(f"{len(self.not_osm)} stations with osm-… ids not from OSM left alone")
        return "\n".join(lines)


def import_osm(
    store: StationStore,
    extract: Path,
    *,
    district_code: str,
    bbox: BBox | None = None,
    dry_run: bool = False,
) -> OsmImportReport:
    """Import or re-sync the service points of ``extract`` (inside ``bbox`` if given) into
    ``store``, new ones recorded under ``district_code``. Raises ImportFileError for a file that
    is not an OSM extract and InvalidStation for a bad district code, before anything is
    written."""
    started = time.perf_counter()
    report = OsmImportReport(extract=extract.name, dry_run=dry_run)
    validate_draft(_raw_fields("check", district_code, _PROBE))  # a bad district stops here
    try:
        read = read_elements(extract, WANTED, bbox=bbox)
    except OsmFileError as exc:
        raise ImportFileError(str(exc)) from None
    report.scanned, report.no_location = read.scanned, read.skipped_no_location
    report.read_s = time.perf_counter() - started
    incoming: dict[StationId, StationDraft] = {}
    why_not: dict[StationId, str] = {}
    for element in read.elements:
        point = map_element(element)
        if isinstance(point, Skipped):
            report.skipped.append(point)
            why_not[_station_id(point.element)] = point.reason
            continue
        draft = _draft(point, district_code, report)
        if draft is None:
            why_not[StationId(point.station_id)] = "its OpenStreetMap data cannot make a station"
        else:
            incoming[StationId(point.station_id)] = draft
    area = bbox or read.bounds
    stored = {s.id: s for s in store.list_stations() if s.osm is not None}
    leaving = {
        sid: why_not.get(sid, "left OpenStreetMap")
        for sid, s in stored.items()
        if sid not in incoming and s.status is not Status.RETIRED and _inside(s, area)
    }
    merge = _Merger(incoming, leaving, report)
    drafts = [*incoming.values(), *(stored[sid].to_draft() for sid in sorted(leaving))]
    store.save_all(drafts, dry_run=dry_run, actor=ACTOR, merge=merge)
    report.written = not dry_run
    report.seconds = time.perf_counter() - started
    return report


# A position inside every range: validates the district code alone.
_PROBE: Final[Mapping[str, object]] = {"name": "probe", "kind": "service_point", "lon": 0.0,
                                       "lat": 0.0}  # fmt: skip


def _raw_fields(
    station_id: str, district_code: str, fields: Mapping[str, object]
) -> dict[str, object]:
    return {"id": station_id, "district_code": district_code, **fields}


def _draft(point: MappedPoint, district_code: str, report: OsmImportReport) -> StationDraft | None:
    """The point as a validated draft carrying its source, or None (listed) when its data
    cannot make a station."""
    fields = {k: (list(v) if isinstance(v, tuple) else v) for k, v in point.fields.items()}
    try:
        draft = validate_draft(_raw_fields(point.station_id, district_code, fields))
    except InvalidStation as exc:
        report.invalid.append((point.element, "; ".join(str(p) for p in exc.problems)))
        return None
    report.mapped[point.tag] += 1
    if point.hours_dropped:
        report.hours_dropped.append(point.element)
    values = record_of(draft)
    source = OsmSource(point.element, point.version, tuple((f, values[f]) for f in OSM_FIELDS))
    return replace(draft, osm=source)


class _Merger:
    """``save_all``'s merge: the decisions of the module docstring, made against the station as
    stored inside the write transaction, and recorded in the report as they are made."""

    def __init__(
        self,
        incoming: dict[StationId, StationDraft],
        leaving: dict[StationId, str],
        report: OsmImportReport,
    ) -> None:
        self.incoming, self.leaving, self.report = incoming, leaving, report

    def __call__(self, current: Station | None, draft: StationDraft) -> StationDraft | None:
        sid = draft.id
        assert sid is not None  # every draft of an OSM import names its station
        if sid in self.leaving:
            return self._retire(current)
        if current is None:
            self.report.created.append(sid)
            return draft
        if current.osm is None:
            self.report.not_osm.append(sid)
            return None
        merged = self._sync(current, draft)
        if current.same_content(merged):
            self.report.unchanged += 1
        else:
            self.report.updated.append(sid)
        return merged

    def _retire(self, current: Station | None) -> StationDraft | None:
        if current is None or current.osm is None or current.status is Status.RETIRED:
            return None  # retired or changed hands since the plan was made: leave it
        self.report.retired.append(Retired(current.id, current.name, self.leaving[current.id]))
        return replace(current.to_draft(), status=Status.RETIRED)

    def _sync(self, current: Station, draft: StationDraft) -> StationDraft:
        """``current`` with every OSM field an editor left as OSM gave it at the last sync
        updated to the extract's value; the new source recorded either way."""
        assert current.osm is not None and draft.osm is not None
        ours, osm_then = record_of(current), current.osm
        before = {name for name, _ in osm_then.fields}
        taken: dict[str, object] = {}
        for name in OSM_FIELDS:
            new = getattr(draft, name)
            if name in before and ours[name] != osm_then.value(name):  # an editor's value
                osm_now = draft.osm.value(name)
                if osm_now != ours[name]:
                    self.report.kept.append(Kept(current.id, name, ours[name], osm_now))
                continue
            taken[name] = new
        return replace(current.to_draft(), osm=draft.osm, **taken)  # type: ignore[arg-type]


def _station_id(element: str) -> StationId:
    kind, number = element.split("/")
    return StationId(f"osm-{kind}-{number}")


def _inside(station: Station, area: BBox | None) -> bool:
    """Whether a station lies where the extract speaks for (no area known: everywhere)."""
    if area is None:
        return True
    min_lon, min_lat, max_lon, max_lat = area
    return min_lon <= station.lon <= max_lon and min_lat <= station.lat <= max_lat
