"""OpenStreetMap elements as Yizhan service points: which tags map to which amenities, and how
an element's name, address and opening hours become a station's fields.

The table is data (``MAPPING``, ``EVERY_ROW``, ``SKIPS``): ``map_element`` follows it and
``mapping_table_markdown`` renders it for the README, so the two cannot disagree. Every value
``map_element`` gives passes ``stations.editing.validation`` (its length limits, no control
characters, opening hours Yizhan can evaluate); the station's district is the caller's.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, NamedTuple

from geo.osm import OsmElement, WantedTags
from stations.amenities import check_codes
from stations.editing.validation import MAX_LENGTH, text_fault
from stations.hours import Hours, InvalidOpeningHours
from stations.model import Kind


class Extra(NamedTuple):
    """One more amenity when the element also has ``tag``."""

    tag: str  # key=value
    code: str


class Row(NamedTuple):
    """Elements with ``tag`` (and, when ``only_with`` is given, one of those tags too) are
    service points with ``codes``, named ``name_zh`` when OSM gives no name."""

    tag: str  # key=value
    codes: tuple[str, ...]
    name_zh: str
    extras: tuple[Extra, ...] = ()
    only_with: tuple[str, ...] = ()


class SkipRule(NamedTuple):
    """A mapped element with ``tag`` is not a place a rider can use: left out, saying why."""

    tag: str
    reason: str
    reason_zh: str


#: In order: an element matching several rows is one point with the union of their amenities,
#: counted under (and, unnamed, named after) its first row.
MAPPING: Final[tuple[Row, ...]] = (
    Row("amenity=toilets", ("toilet",), "公共厕所", (Extra("changing_table=yes", "nursing_room"),)),
    Row("amenity=drinking_water", ("water",), "饮水点"),
    Row("amenity=device_charging_station", ("phone_charging",), "手机充电站"),
    # The OSM wiki lists the vehicles a station charges with access-style keys (bicycle=yes,
    # scooter=yes, motorcar=yes, …). A rider's e-bike is a bicycle, a scooter (moped) or a light
    # motorcycle there; a station naming none of them is for cars (or says nothing) and is not
    # read at all. Socket tags are not looked at.
    Row(
        "amenity=charging_station",
        ("ebike_charging",),
        "电动车充电站",
        only_with=("bicycle=yes", "scooter=yes", "motorcycle=yes"),
    ),
    Row(
        "amenity=bicycle_repair_station",
        ("repair_tools",),
        "自行车维修点",
        (Extra("service:bicycle:pump=yes", "tyre_pump"),),
    ),
    Row("emergency=defibrillator", ("aed",), "AED 除颤仪"),
    # No amenity code says "shelter": the kind and the name say what it is.
    Row("amenity=shelter", (), "避雨亭", (Extra("bench=yes", "seating"),)),
)
#: Extras that apply whichever rows an element matches.
EVERY_ROW: Final[tuple[Extra, ...]] = (Extra("wheelchair=yes", "accessible"),)
#: Checked after the rows. Lifecycle-prefixed tags (disused:amenity=toilets) match no row, so
#: such elements are never read; the plain disused=yes / abandoned=yes forms are skipped here.
SKIPS: Final[tuple[SkipRule, ...]] = (
    SkipRule("access=private", "not open to the public (access=private)", "不对公众开放"),
    SkipRule("access=no", "no access (access=no)", "禁止进入"),
    SkipRule("disused=yes", "out of use (disused=yes)", "已停用"),
    SkipRule("abandoned=yes", "abandoned (abandoned=yes)", "已废弃"),
)
#: The tag keys a mapped element has at least one of (the reader's pre-filter).
WANTED_KEYS: Final[tuple[str, ...]] = tuple(dict.fromkeys(r.tag.split("=")[0] for r in MAPPING))
#: Names in the order they are preferred: Yizhan's riders read simplified Chinese, which
#: name:zh-Hans always is and name:zh is in mainland data (in Hong Kong or Taiwan data it may be
#: traditional).
NAME_KEYS: Final = ("name:zh-Hans", "name:zh", "name")


@dataclass(frozen=True, slots=True)
class MappedPoint:
    """An element as a service point's fields: name, kind, lon, lat (WGS-84 degrees), address,
    amenities (codes in vocabulary order), opening_hours."""

    station_id: str  # osm-node-123, osm-way-456
    element: str  # node/123
    version: int
    tag: str  # the first row the element matched, e.g. amenity=toilets
    fields: dict[str, object]
    hours_dropped: bool  # OSM gave opening_hours Yizhan cannot read: left empty


@dataclass(frozen=True, slots=True)
class Skipped:
    element: str  # node/123
    reason: str
    reason_zh: str


def is_wanted(tags: Mapping[str, str]) -> bool:
    """Whether ``tags`` match a row of ``MAPPING`` (skip rules not applied yet)."""
    return any(_matches(row, tags) for row in MAPPING)


#: The reader's test (geo.osm.read_elements): elements that may map, with the keys they need.
WANTED: Final = WantedTags(WANTED_KEYS, is_wanted)


def map_element(element: OsmElement) -> MappedPoint | Skipped:
    """The service point ``element`` is, or why it is not one."""
    tags = element.tags
    rows = [row for row in MAPPING if _matches(row, tags)]
    if not rows:
        return Skipped(element.ref, "no tag Yizhan imports", "没有可导入的标签")
    for rule in SKIPS:
        if _has(tags, rule.tag):
            return Skipped(element.ref, rule.reason, f"{rule.reason_zh}（{rule.tag}）")
    hours, dropped = _opening_hours(tags.get("opening_hours"))
    fields: dict[str, object] = {
        "name": _name(tags, rows[0].name_zh),
        "kind": Kind.SERVICE_POINT,
        # OSM stores 1e-7° (about 1 cm); a way's centroid is rounded to it too, so a re-sync
        # compares positions free of floating-point noise.
        "lon": round(element.lon, 7),
        "lat": round(element.lat, 7),
        "address": _address(tags),
        "amenities": _amenities(rows, tags),
        "opening_hours": hours,
    }
    return MappedPoint(
        station_id=f"osm-{element.kind}-{element.id}",
        element=element.ref,
        version=element.version,
        tag=rows[0].tag,
        fields=fields,
        hours_dropped=dropped,
    )


def mapping_table_markdown() -> str:
    """The mapping as a Markdown table, and the elements left out, for the README."""
    lines = [
        _table_row("OSM tag", "only with", "amenities", "more amenities", "name when OSM has none"),
        _table_row(*["---"] * 5),
    ]
    for row in MAPPING:
        only_with = " or ".join(f"`{tag}`" for tag in row.only_with)
        codes = ", ".join(f"`{code}`" for code in row.codes) or "—"
        lines.append(_table_row(f"`{row.tag}`", only_with, codes, _extras(row.extras), row.name_zh))
    lines.append(_table_row("any of the above", "", "", _extras(EVERY_ROW), ""))
    skipped = ", ".join(f"`{rule.tag}`" for rule in SKIPS)
    lines += ["", f"Left out, with the reason in the report: elements with {skipped}."]
    return "\n".join(lines)


def _table_row(*cells: str) -> str:
    return "| " + " | ".join(cells) + " |"


def _extras(extras: tuple[Extra, ...]) -> str:
    return "; ".join(f"`{extra.tag}` → `{extra.code}`" for extra in extras)


def _has(tags: Mapping[str, str], tag: str) -> bool:
    key, _, value = tag.partition("=")
    return tags.get(key) == value


def _matches(row: Row, tags: Mapping[str, str]) -> bool:
    if not _has(tags, row.tag):
        return False
    return not row.only_with or any(_has(tags, tag) for tag in row.only_with)


def _amenities(rows: list[Row], tags: Mapping[str, str]) -> tuple[str, ...]:
    codes = [code for row in rows for code in row.codes]
    extras = [*(extra for row in rows for extra in row.extras), *EVERY_ROW]
    codes += [extra.code for extra in extras if _has(tags, extra.tag)]
    return check_codes(codes)  # vocabulary order, no repeats


def _name(tags: Mapping[str, str], fallback: str) -> str:
    for key in NAME_KEYS:
        name = _text(tags.get(key), MAX_LENGTH["name"])
        if name is not None:
            return name
    return fallback


def _address(tags: Mapping[str, str]) -> str | None:
    """addr:full, else addr:street followed by addr:housenumber when there is one."""
    limit = MAX_LENGTH["address"]
    full = _text(tags.get("addr:full"), limit)
    if full is not None:
        return full
    street = _text(tags.get("addr:street"), limit)
    number = _text(tags.get("addr:housenumber"), limit)
    if street is None:
        return None
    if number is None:
        return street
    # Chinese addresses run together (解放路12号); a Latin-script street ending in a letter or
    # digit keeps a space before its number, or the two would read as one word.
    space = " " if street[-1].isascii() and street[-1].isalnum() else ""
    return _text(f"{street}{space}{number}", limit)


def _opening_hours(raw: str | None) -> tuple[str | None, bool]:
    """The text as OSM has it when Yizhan can evaluate it (and store it), else (None, True)."""
    text = raw.strip() if raw is not None else ""
    if not text:
        return None, False
    if text_fault(text, MAX_LENGTH["opening_hours"]) is not None:
        return None, True
    try:
        Hours.parse(text)  # the parser validation uses: a text it takes is stored as given
    except InvalidOpeningHours:
        return None, True
    return text, False


_SPACES: Final = re.compile(r" {2,}")


def _text(raw: str | None, limit: int) -> str | None:
    """``raw`` as a station text field: control characters (a tab, a line break) become spaces,
    at most ``limit`` characters (a longer text cut, ending in …); None when nothing is left."""
    if raw is None:
        return None
    chars = (" " if unicodedata.category(c) in ("Cc", "Cs") else c for c in raw)
    text = _SPACES.sub(" ", "".join(chars)).strip()
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text or None
