"""Likely duplicates: a new station close to another one with a similar name.

An import flags a row that would *create* a station when another station of the data as it
would stand after the import — a stored station that is not retired, or another row of the same
file — lies within ``RADIUS_M`` (geodesic, WGS-84 ellipsoid, inclusive) and has a similar name
(see ``similar_names``; a different kind needs the same name). Of two new rows that match each
other only the later one is flagged: the earlier one is the original. Each flagged row names
its nearest match (ties by the order the places were given in).

Cost: a hash grid over unit surface normals finds the candidate pairs (no O(n²) scan), numpy
drops pairs farther apart than the chord bound or with different numbers in their names, and
only the few survivors get an exact geodesic and a name comparison.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Final

import numpy as np
from numpy.typing import NDArray

from geo.geodesic import MIN_CURVATURE_RADIUS_M, distances_m
from geo.sphere import unit_vectors

RADIUS_M: Final = 30.0
#: Names usually start with district and street ("碑林区东关南街…"), which lifts the ratio of
#: two different places on one street to ~0.7: 0.8 still catches a one-character typo.
MIN_RATIO: Final = 0.8
#: Words that say what a station is, not which one; longest first, as they overlap.
GENERIC_WORDS: Final = (
    "户外劳动者服务站",
    "劳动者港湾",
    "服务站",
    "服务点",
    "驿站",
    "爱心",
    "工会",
    "示例",
)
_DIGITS: Final = re.compile(r"[0-9]+")
#: Anything but letters and digits (Unicode-aware): spaces, punctuation, symbols, "_".
_NOT_WORD: Final = re.compile(r"[\W_]+")
_CHUNK: Final = 20_000  # query points per batch: bounds the candidate-pair arrays' memory


@dataclass(frozen=True, slots=True)
class Place:
    """One station as it would stand after the import. ``row`` is its file row, or None for a
    stored station the file does not touch; ``new`` marks a row that would create a station."""

    id: str | None
    name: str
    kind: str
    lon: float  # WGS-84 degrees
    lat: float
    row: int | None
    new: bool


@dataclass(frozen=True, slots=True)
class Duplicate:
    """A new row and the nearest similar station to it."""

    row: int
    id: str | None
    name: str
    near_id: str | None  # None: the match is another new row without an id
    near_row: int | None  # the match's file row; None for a stored station
    near_name: str
    distance_m: float


def normalise_name(name: str) -> str:
    """``name`` without what every station's name shares: NFKC-folded, case-folded, the
    ``GENERIC_WORDS`` removed, then every space, punctuation mark and symbol removed."""
    text = unicodedata.normalize("NFKC", name).casefold()
    for word in GENERIC_WORDS:
        text = text.replace(word, "")
    return _NOT_WORD.sub("", text)


def similar_names(a: str, b: str, *, same_kind: bool = True) -> bool:
    """Whether two *normalised* names may name one station: never when their runs of digits
    differ ("3号" and "13号" are two stations); always when they are equal; for two stations of
    the same kind also when one contains the other (an empty name, i.e. only generic words, is
    contained in every name) or difflib's ratio is at least ``MIN_RATIO``. Stations of
    different kinds (a battery-swap cabinet beside a union station) need equal names."""
    if _DIGITS.findall(a) != _DIGITS.findall(b):
        return False
    if a == b:
        return True
    if not same_kind:
        return False
    if a in b or b in a:
        return True
    return SequenceMatcher(None, a, b, autojunk=False).ratio() >= MIN_RATIO


def likely_duplicates(places: Sequence[Place], *, radius_m: float = RADIUS_M) -> list[Duplicate]:
    """Every new place that lies within ``radius_m`` metres (geodesic, inclusive) of another
    place with a similar name, with its nearest such match; ordered by row. A new place is
    not flagged for a later new place (the later one is). Empty input: empty list."""
    new = np.array([p.new for p in places], dtype=bool)
    if not new.any():
        return []
    lon = np.array([p.lon for p in places], dtype=np.float64)
    lat = np.array([p.lat for p in places], dtype=np.float64)
    rows = np.array([-1 if p.row is None else p.row for p in places], dtype=np.int64)
    names = [normalise_name(p.name) for p in places]
    numbers = _number_keys(names)
    best: dict[int, tuple[float, int]] = {}
    for i, j in _pairs_within(lon, lat, np.flatnonzero(new), radius_m):
        # A new row is only measured against new rows before it.
        keep = (i != j) & ~(new[j] & (rows[j] > rows[i])) & (numbers[i] == numbers[j])
        i, j = i[keep], j[keep]
        distance = distances_m(lon[i], lat[i], lon[j], lat[j])
        close = distance <= radius_m
        pairs = zip(i[close].tolist(), j[close].tolist(), distance[close].tolist(), strict=True)
        for a, b, d in pairs:
            same_kind = places[a].kind == places[b].kind
            if (d, b) < best.get(a, (math.inf, -1)) and similar_names(
                names[a], names[b], same_kind=same_kind
            ):
                best[a] = (d, b)
    return sorted(
        (_duplicate(places[a], places[b], d) for a, (d, b) in best.items()),
        key=lambda dup: dup.row,
    )


def _duplicate(place: Place, near: Place, distance_m: float) -> Duplicate:
    assert place.row is not None
    return Duplicate(
        row=place.row,
        id=place.id,
        name=place.name,
        near_id=near.id,
        near_row=near.row,
        near_name=near.name,
        distance_m=round(distance_m, 2),
    )


def _number_keys(names: list[str]) -> NDArray[np.int64]:
    """One integer per distinct sequence of digit runs, so numpy can compare them."""
    keys: dict[tuple[str, ...], int] = {}
    return np.array(
        [keys.setdefault(tuple(_DIGITS.findall(n)), len(keys)) for n in names], dtype=np.int64
    )


def _pairs_within(
    lon: NDArray[np.float64], lat: NDArray[np.float64], query: NDArray[np.int64], radius_m: float
) -> Iterator[tuple[NDArray[np.int64], NDArray[np.int64]]]:
    """Batches of (query position, other position) for every pair whose unit normals are close
    enough that the geodesic may be within ``radius_m``: a geodesic of length s turns the normal
    by at most s / MIN_CURVATURE_RADIUS_M radians, and a chord is shorter than its angle, so no
    pair within the radius is missed. Includes each query point paired with itself."""
    xyz = unit_vectors(lon, lat)
    chord = radius_m / MIN_CURVATURE_RADIUS_M * (1.0 + 1e-9)
    cells = np.floor(xyz / chord).astype(np.int64)
    span = int(cells.max() - cells.min()) + 3  # room for the ±1 neighbours
    if span**3 >= 2**62:
        raise ValueError(f"radius_m={radius_m} is too small for the grid")
    base = cells - cells.min() + 1
    keys = (base[:, 0] * span + base[:, 1]) * span + base[:, 2]
    order = np.argsort(keys, kind="stable")
    cell_keys, cell_starts, cell_sizes = np.unique(
        keys[order], return_index=True, return_counts=True
    )
    steps = (-1, 0, 1)
    offsets = [(dx * span + dy) * span + dz for dx in steps for dy in steps for dz in steps]
    query = query[np.argsort(keys[query], kind="stable")]  # sorted lookups are cache-friendly
    for start in range(0, query.size, _CHUNK):
        q = query[start : start + _CHUNK]
        for offset in offsets:
            wanted = keys[q] + offset
            cell = np.minimum(np.searchsorted(cell_keys, wanted), cell_keys.size - 1)
            counts = np.where(cell_keys[cell] == wanted, cell_sizes[cell], 0)
            total = int(counts.sum())
            if total == 0:
                continue
            i = np.repeat(q, counts)
            # Position within each run: a global arange minus where each run starts.
            run_starts = np.repeat(np.cumsum(counts) - counts, counts)
            j = order[np.repeat(cell_starts[cell], counts) + np.arange(total) - run_starts]
            near = np.einsum("ij,ij->i", xyz[i] - xyz[j], xyz[i] - xyz[j]) <= chord * chord
            yield i[near], j[near]
