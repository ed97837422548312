"""Reading an OpenStreetMap extract (``.osm.pbf``, ``.osm``, …) into tagged positions (the credit
its licence asks for is ``geo.attribution``).

Reading knows nothing of stations: the caller says which tags it wants and gets nodes and ways
back, each at one WGS-84 position, with its tags as they are in the file.
"""

from __future__ import annotations

import functools
import itertools
import math
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

import osmium
import osmium.filter
from osmium.osm import Node, Way
from osmium.osm.types import OSMEntity
from shapely.geometry import LineString, Polygon

#: A box in WGS-84 degrees: (min lon, min lat, max lon, max lat), GeoJSON's bbox order.
Box = tuple[float, float, float, float]

#: The node-location index: libosmium's "flex_mem" keeps a sorted table of 16 bytes per node
#: of the file (measured: 388 kB for the 24,260 nodes of the Helsinki sample), so about 50 MB
#: for a 3-million-node city and gigabytes for a whole country. It turns into a dense array of
#: 8 bytes per id up to the highest id only when that is smaller, i.e. for near-planet files.
LOCATION_INDEX: Final = "flex_mem"


class OsmFileError(ValueError):
    """The extract cannot be read: missing, a folder, not readable, of a format libosmium does
    not know from its name, not OpenStreetMap data, or damaged (cut short). ``str(exc)`` names
    the file and says what is wrong; it is safe to show."""


@dataclass(frozen=True, slots=True)
class OsmElement:
    """A node, or a way placed at its centroid; WGS-84 degrees, longitude first.

    ``version`` is 0 when the file carries no metadata. ``complete`` is False for a way some of
    whose nodes are missing from the file (an extract's boundary cut it): its position is then
    computed from the nodes present. ``tags`` are the element's tags exactly as in the file.
    """

    kind: Literal["node", "way"]
    id: int
    version: int
    lon: float
    lat: float
    tags: Mapping[str, str]
    complete: bool = True

    @property
    def ref(self) -> str:
        """``node/123`` or ``way/456``: the element's path on openstreetmap.org."""
        return f"{self.kind}/{self.id}"


@dataclass(frozen=True, slots=True)
class OsmRead:
    """What one pass over an extract found."""

    #: The wanted elements inside the box: nodes by id, then ways by id.
    elements: list[OsmElement]
    #: Nodes + ways read from the file (relations are not read).
    scanned: int
    #: The box the file's header declares, or None when it declares none (.osm files often).
    bounds: Box | None
    #: Wanted elements with no position in the file, left out: ways none of whose nodes is in
    #: it (an extract's boundary cut them off), nodes without a valid location.
    skipped_no_location: int


@dataclass(frozen=True, slots=True)
class WantedTags:
    """A test of an element's tags that names the keys it needs: every element ``test``
    accepts has at least one of ``keys``. Reading with it, libosmium drops the elements with
    none of them before Python sees them, so a test for a few keys costs little per element."""

    keys: tuple[str, ...]
    test: Callable[[Mapping[str, str]], bool]

    def __post_init__(self) -> None:
        if not self.keys:
            raise ValueError("WantedTags needs at least one key")

    def __call__(self, tags: Mapping[str, str]) -> bool:
        return self.test(tags)


def read_elements(
    path: Path,
    wanted: Callable[[Mapping[str, str]], bool],
    *,
    bbox: Box | None = None,
) -> OsmRead:
    """The nodes and ways of the extract at ``path`` whose tags ``wanted`` accepts.

    ``wanted`` is asked about every tagged node and way, or, when it is a ``WantedTags``, only
    about those with one of its keys (untagged nodes, most of an extract, never reach Python).
    ``bbox`` (min lon, min lat, max lon, max lat, edges included) keeps the elements whose
    position lies inside it.

    A node is at its location. A way is at its centroid: a closed way (first node = last node,
    at least 4 node references) at the centroid of the polygon its nodes enclose, another way
    at the length-weighted centroid of its line. A way cut by the extract's boundary uses the
    nodes present, its ring closed again if it was closed — as GDAL's OSM driver does for areas;
    with no node present it is counted in ``skipped_no_location``. Relations (multipolygons)
    are not read. An empty file gives no elements.

    Raises OsmFileError when the file cannot be read as OpenStreetMap data, ValueError for a
    bbox that is not a box.
    """
    if bbox is not None:
        _check_box(bbox)
    _check_path(path)
    processor = osmium.FileProcessor(path, osmium.osm.NODE | osmium.osm.WAY)
    bounds = _header_bounds(processor, path)
    # Nodes and ways the filter drops are counted, not handled: next(count, obj) advances a C
    # iterator, the cheapest call libosmium can make into Python. Still, the call costs about
    # 1 µs per node and way (libosmium wraps each in a Python object first), most of the read
    # on a large extract: 2.3 s instead of 0.1 s for 2 million nodes. pyosmium has no counter
    # in C++ to use instead.
    dropped = itertools.count()
    count_dropped = functools.partial(next, dropped)
    processor.with_locations(LOCATION_INDEX)
    if isinstance(wanted, WantedTags):
        processor.with_filter(osmium.filter.KeyFilter(*wanted.keys))
    else:
        processor.with_filter(osmium.filter.EmptyTagFilter())
    processor.handler_for_filtered(_Counter(count_dropped))
    found = _Found(wanted, bbox)
    for obj in _guarded(processor, path):
        found.add(obj)
    return OsmRead(
        elements=sorted(found.elements, key=lambda e: (e.kind != "node", e.id)),
        scanned=found.seen + next(dropped),
        bounds=bounds,
        skipped_no_location=found.no_location,
    )


class _Counter:
    """A handler that counts the nodes and ways the filters dropped."""

    def __init__(self, count: Callable[[object], object]) -> None:
        self.node = count
        self.way = count


class _Found:
    """The wanted elements of one read, and what was seen and left out on the way."""

    def __init__(self, wanted: Callable[[Mapping[str, str]], bool], bbox: Box | None) -> None:
        self._wanted = wanted
        self._bbox = bbox
        self.elements: list[OsmElement] = []
        self.seen = 0
        self.no_location = 0

    def add(self, obj: OSMEntity) -> None:
        self.seen += 1
        tags = {tag.k: tag.v for tag in obj.tags}
        if not self._wanted(tags):
            return
        element = _element(obj, tags)
        if element is None:
            self.no_location += 1
        elif self._bbox is None or _inside(element, self._bbox):
            self.elements.append(element)


def _element(obj: OSMEntity, tags: dict[str, str]) -> OsmElement | None:
    """The element at its position, or None when the file has no location for it."""
    if isinstance(obj, Node):
        if not obj.location.valid():
            return None
        return OsmElement("node", obj.id, obj.version, obj.location.lon, obj.location.lat, tags)
    assert isinstance(obj, Way)  # the reader reads nodes and ways only
    refs = list(obj.nodes)
    # Locations are read as coordinates now: the node list is a view into libosmium's buffer,
    # gone once the iterator moves on.
    coords = [(n.location.lon, n.location.lat) for n in refs if n.location.valid()]
    if not coords:
        return None
    closed = len(refs) >= 4 and refs[0].ref == refs[-1].ref
    lon, lat = way_centroid(coords, closed=closed)
    return OsmElement("way", obj.id, obj.version, lon, lat, tags, len(coords) == len(refs))


def way_centroid(coords: Sequence[tuple[float, float]], *, closed: bool) -> tuple[float, float]:
    """The centroid of a way's node positions (lon, lat degrees, in way order, at least one).

    ``closed``: the centroid of the polygon they enclose (the ring closed again when its last
    position is not its first). An open way, or a ring enclosing no area (fewer than 3 distinct
    positions, all on a line): the length-weighted centroid of the line; a line of no length:
    its first position.

    Planar arithmetic on degrees. A polygon's centroid does not move when one axis is scaled,
    so degrees do as well as metres but for the change of a degree of longitude across the
    polygon: millimetres for a square kilometre, well under the 1e-7° (about a centimetre)
    OpenStreetMap stores positions with. A line's centroid weighs its segments by length, which
    a scaled axis changes, so longitudes are scaled by cos(mean latitude) first: a 1 km line
    east then 1 km north would be off by about 50 m at 35° N without it.
    """
    if closed and len(set(coords)) >= 3:
        ring = list(coords) if coords[0] == coords[-1] else [*coords, coords[0]]
        polygon = Polygon(ring)
        if polygon.area > 0:
            return (polygon.centroid.x, polygon.centroid.y)
    if len(coords) >= 2:
        scale = math.cos(math.radians(sum(lat for _, lat in coords) / len(coords)))
        line = LineString([(lon * scale, lat) for lon, lat in coords])
        if line.length > 0:
            return (line.centroid.x / scale, line.centroid.y)
    return coords[0]


def _inside(element: OsmElement, bbox: Box) -> bool:
    min_lon, min_lat, max_lon, max_lat = bbox
    return min_lon <= element.lon <= max_lon and min_lat <= element.lat <= max_lat


def _check_box(bbox: Box) -> None:
    """Raises ValueError unless ``bbox`` is (min lon, min lat, max lon, max lat) in range."""
    min_lon, min_lat, max_lon, max_lat = bbox
    # NaN fails every comparison, so this rejects NaN too. A box across ±180° is refused:
    # China is far from the antimeridian, and min lon > max lon is more often a swapped pair.
    if not (-180.0 <= min_lon <= max_lon <= 180.0 and -90.0 <= min_lat <= max_lat <= 90.0):
        raise ValueError(
            f"bbox must be min lon, min lat, max lon, max lat in degrees with min ≤ max, "
            f"got {min_lon!r},{min_lat!r},{max_lon!r},{max_lat!r}"
        )


def _check_path(path: Path) -> None:
    """What can be said about the file before libosmium opens it, said plainly."""
    if not path.exists():
        raise OsmFileError(f"{path}: no such file")
    if path.is_dir():
        raise OsmFileError(f"{path} is a folder, not an OpenStreetMap extract")
    if not os.access(path, os.R_OK):
        raise OsmFileError(f"{path} cannot be read (permission denied)")


def _header_bounds(processor: osmium.FileProcessor, path: Path) -> Box | None:
    try:
        box = processor.header.box()
    except RuntimeError as exc:
        raise _file_error(path, exc) from exc
    if not box.valid():
        return None
    low, high = box.bottom_left, box.top_right
    return (low.lon, low.lat, high.lon, high.lat)


def _guarded(objects: Iterable[OSMEntity], path: Path) -> Iterator[OSMEntity]:
    """``objects`` with libosmium's RuntimeError turned into OsmFileError. Only the reading is
    guarded: an error raised while the caller handles an object passes through unchanged."""
    iterator = iter(objects)
    while True:
        try:
            obj = next(iterator)
        except StopIteration:
            return
        except RuntimeError as exc:
            raise _file_error(path, exc) from exc
        yield obj


def _file_error(path: Path, exc: RuntimeError) -> OsmFileError:
    detail = str(exc)
    if "Could not detect file format" in detail:
        return OsmFileError(
            f"{path}: cannot tell the format from the file name; OpenStreetMap extracts are "
            f"named .osm.pbf (or .osm, .osm.bz2, .osm.gz, .o5m, .opl)"
        )
    return OsmFileError(
        f"{path} is not an OpenStreetMap extract or is damaged (cut short?): {detail}"
    )
