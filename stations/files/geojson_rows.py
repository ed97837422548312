"""Raw rows of a GeoJSON FeatureCollection of Points, under the limits on JSON nesting and
containers (checked before the JSON is parsed), properties and characters in a value."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Final

import numpy as np

from stations.errors import ImportFileError
from stations.files.aliases import canonical_header
from stations.files.limits import (
    MAX_CELL_CHARS,
    MAX_COLUMNS,
    MAX_IMPORT_ROWS,
    MAX_JSON_CONTAINERS,
    MAX_JSON_DEPTH,
    cell_too_long,
    too_many_rows,
)
from stations.files.rows import CSV_COLUMNS, RawRow, decode

#: +1 for an opening bracket, -1 for a closing one, by byte value.
_NESTING_STEP: Final = np.array([(c in b"[{") - (c in b"]}") for c in range(256)], np.int8)
_QUOTE: Final = ord('"')
_SCAN_CHUNK: Final = 1 << 20


def geojson_rows(data: bytes) -> Iterator[RawRow]:
    """Rows of a GeoJSON FeatureCollection of Points; row numbers count features from 1."""
    text = decode(data)
    _check_nesting(data)
    try:
        document = json.loads(text, parse_constant=_reject_constant)
    except (json.JSONDecodeError, ValueError) as exc:
        raise ImportFileError(f"not valid JSON: {exc}") from exc
    except RecursionError:  # cannot happen after _check_nesting; a 500 if it ever did
        raise _too_deep(None) from None
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        raise ImportFileError("expected a GeoJSON FeatureCollection")
    features = document.get("features")
    if not isinstance(features, list):
        raise ImportFileError("the FeatureCollection has no 'features' list")
    if len(features) > MAX_IMPORT_ROWS:
        raise too_many_rows()
    return (RawRow(i, _feature_values(i, f)) for i, f in enumerate(features, start=1))


def _check_nesting(data: bytes) -> None:
    """Refuse JSON nested deeper than MAX_JSON_DEPTH, or with more than MAX_JSON_CONTAINERS
    arrays and objects, before it is parsed: Python's parser recurses once per level and
    builds every container. Linear, in C: with escaped backslashes and then escaped quotes
    removed, every quote left opens or closes a string, so a bracket after an even number of
    quotes is structure; the running sum of +1 (opens) and -1 (closes) is the depth."""
    text = data.replace(b"\\\\", b"").replace(b'\\"', b"")
    quotes = level = deepest = containers = 0
    for start in range(0, len(text), _SCAN_CHUNK):
        size = min(_SCAN_CHUNK, len(text) - start)
        chunk = np.frombuffer(text, np.uint8, count=size, offset=start)
        outside = (np.cumsum(chunk == _QUOTE, dtype=np.int64) + quotes) % 2 == 0
        steps = np.where(outside, _NESTING_STEP[chunk], 0)
        levels = np.cumsum(steps, dtype=np.int64) + level
        deepest = max(deepest, int(levels.max()))
        containers += int(np.count_nonzero(steps == 1))
        quotes += int(np.count_nonzero(chunk == _QUOTE))
        level = int(levels[-1])
    if deepest > MAX_JSON_DEPTH:
        raise _too_deep(deepest)
    if containers > MAX_JSON_CONTAINERS:
        raise ImportFileError(
            f"the file has more than {MAX_JSON_CONTAINERS:,} JSON arrays and objects, more than "
            f"{MAX_IMPORT_ROWS:,} features (the most one import takes) need: split the file and "
            "import the parts one after another"
        )


def _too_deep(depth: int | None) -> ImportFileError:
    levels = f"{depth:,} levels" if depth is not None else "too"
    return ImportFileError(
        f"JSON nested {levels} deep; a FeatureCollection needs 5 and an import reads at most "
        f"{MAX_JSON_DEPTH}: give each property a plain value (text, number or a list of texts)"
    )


def _feature_values(number: int, feature: object) -> dict[str, object]:
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        return {"__row__": "is not a GeoJSON Feature"}
    properties = feature.get("properties") or {}
    if not isinstance(properties, dict):
        return {"__row__": "properties must be an object"}
    _check_properties(number, properties)
    values: dict[str, object] = {canonical_header(k): v for k, v in properties.items()}
    if "id" not in values and isinstance(feature.get("id"), str | int):
        values["id"] = str(feature["id"])
    geometry = feature.get("geometry")
    coords = geometry.get("coordinates") if isinstance(geometry, dict) else None
    if not isinstance(geometry, dict) or geometry.get("type") != "Point":
        values["__geometry__"] = "must be a GeoJSON Point"
    elif not isinstance(coords, list) or len(coords) not in (2, 3):
        values["__geometry__"] = "a Point needs [lon, lat] coordinates"
    else:
        values["lon"], values["lat"] = coords[0], coords[1]
    return values


def _check_properties(number: int, properties: dict[str, object]) -> None:
    """The GeoJSON counterpart of a row's width and cell sizes."""
    if len(properties) > MAX_COLUMNS:
        raise ImportFileError(
            f"feature {number}: {len(properties):,} properties; an import reads at most "
            f"{MAX_COLUMNS} (the station fields are {','.join(CSV_COLUMNS)}): delete the others"
        )
    for name, value in properties.items():
        texts = value if isinstance(value, list) else [value]
        if len(name) > MAX_CELL_CHARS or any(
            isinstance(t, str) and len(t) > MAX_CELL_CHARS for t in texts
        ):
            raise cell_too_long(f"feature {number}, property {name[:40]!r}")


def _reject_constant(name: str) -> object:
    raise ValueError(f"{name} is not a number in JSON")
