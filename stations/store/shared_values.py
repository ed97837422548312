"""Values that thousands of stations repeat, read from a store as one shared object each: a
snapshot of 190,000 stations then holds each district code, opening-hours text, host, amenity
set and import instant once instead of once per station (tens of MiB in a serving process).
Every value is immutable, so sharing is invisible to the code that reads them."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import datetime
from functools import lru_cache
from typing import TypeVar

T = TypeVar("T")


def shared_text(text: str | None) -> str | None:
    """``text`` as the one interned copy (for texts many stations share: codes, hours, hosts)."""
    return None if text is None else sys.intern(text)


_AMENITY_SETS: dict[str, tuple[str, ...]] = {}
#: Distinct amenity lists remembered (real data has a few hundred; random test data far more,
#: which then costs one split each, as without the table).
_MAX_AMENITY_SETS = 65_536


def amenity_codes(joined: str) -> tuple[str, ...]:
    """The codes of a ``;``-joined amenity list, one tuple per distinct list."""
    found = _AMENITY_SETS.get(joined)
    if found is None:
        found = tuple(map(sys.intern, filter(None, joined.split(";"))))
        if len(_AMENITY_SETS) < _MAX_AMENITY_SETS:
            _AMENITY_SETS[joined] = found
    return found


def shared_instants(parse: Callable[[T], datetime]) -> Callable[[T], datetime]:
    """``parse`` with each distinct stored value parsed once (the stations of one import share
    their instant); bounded, so unique values cost no more than parsing them."""
    return lru_cache(maxsize=4096)(parse)
