"""GDAL's OSM driver as the tests' second reader of an OpenStreetMap extract (through pyogrio):
independent of pyosmium/libosmium, with its own PBF parser, node store and way assembly."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path


def osmconf(keys: Sequence[str], *, report_all_nodes: bool = False) -> str:
    """GDAL's default osmconf.ini, with ``keys`` read as fields of every layer and the OSM ids
    kept (``report_all_nodes``: every node in the points layer, tagged or not)."""
    attributes = ",".join(keys)
    return f"""[general]
closed_ways_are_polygons=aeroway,amenity,boundary,building,craft,geological,historic,landuse,\
leisure,military,natural,office,place,shop,sport,tourism,highway=platform,public_transport=platform
{"report_all_nodes=yes" if report_all_nodes else ""}

[points]
osm_id=yes
attributes={attributes}

[lines]
osm_id=yes
attributes={attributes}

[multipolygons]
osm_id=yes
attributes={attributes}

[multilinestrings]
osm_id=yes

[other_relations]
osm_id=yes
"""


def write_osmconf(folder: Path, keys: Sequence[str], *, report_all_nodes: bool = False) -> Path:
    conf = folder / "osmconf.ini"
    conf.write_text(osmconf(keys, report_all_nodes=report_all_nodes), encoding="utf-8")
    return conf
