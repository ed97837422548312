"""What of a query string an access record may show (``api.middleware.access_log``).

- Query parameters the API defines (``QUERY_RULES``) are written with their value in its known
  form only: positions rounded to 0.001° (about 110 m north-south, 90-100 m east-west in
  China), numbers in their accepted range, words from the API's vocabularies; anything else is
  ``"?"``.
- Any other parameter is written by name alone (value ``"***"``), and only when the name is a
  short plain word; other names are counted in ``query_dropped``, as are names past the first
  ``MAX_LOGGED_PARAMS``.
- Nothing that looks like a Yizhan secret (``yz_…``) is written, as a name or as a value.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from typing import Final
from urllib.parse import unquote_plus

from api.maps.texts import LANGS, Tiles
from api.params.common import MAX_K, MAX_RADIUS_M, MAX_VERIFIED_DAYS
from geo.crs import CoordinateSystem
from stations.amenities import CODES
from stations.editing.tokens import SECRET_PREFIX
from stations.model import Access, Kind

POSITION_DECIMALS: Final = 3  # 0.001° ≈ 110 m of latitude: rider privacy
#: Query parameters written per record: a request may carry thousands of names, a record not.
MAX_LOGGED_PARAMS: Final = 20
UNUSABLE: Final = "?"  # a defined parameter whose value is not in its known form
WITHHELD: Final = "***"  # a parameter the API does not define: its value is never written
_MAX_VALUE_CHARS: Final = 64  # a word list is short by contract; a long one is cut
_MAX_NUMBER_CHARS: Final = 32  # longer is no number a client means (and costs float() time)
#: Names shown for parameters the API does not define: plain words, short. A digit, a dot or
#: a comma may be a position ("34.26=108.94"), a long name may be a token.
_SAFE_NAME_MAX: Final = 32
_SAFE_NAME: Final = re.compile(rf"[A-Za-z_]{{1,{_SAFE_NAME_MAX}}}")
#: A decimal number as a client writes one, in ASCII digits; not Python's float() syntax,
#: which also takes "3_4.26", "nan", "infinity", surrounding white space and other scripts'
#: digits ("٣٤.٢٦").
_PLAIN_NUMBER: Final = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d{1,3})?", re.ASCII)
_COUNT: Final = re.compile(r"\d{1,10}", re.ASCII)
_DISTRICT: Final = re.compile(r"[1-9][0-9]{1,5}", re.ASCII)  # an adcode: a district, not a place
#: A station id as ids are made (a letter somewhere: a bare number could be a phone number).
_STATION_ID: Final = re.compile(
    r"(?=[^A-Za-z]*[A-Za-z])[A-Za-z0-9][A-Za-z0-9._:\-]{0,63}", re.ASCII
)
#: An ISO 8601 instant, "+" decoded to a space as the query string delivers it. The shape
#: leaves room for nothing but a date and a time: no position, no token fits.
_INSTANT: Final = re.compile(
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+\- ]\d{2}:?\d{2})?",
    re.ASCII,
)
#: OGC API's ``datetime``: an instant or a date, or an interval of them with ".." for an open
#: end. Only dates and times fit, as for ``open_at``.
_WHEN: Final = rf"(?:\.\.|{_INSTANT.pattern}|\d{{4}}-\d{{2}}-\d{{2}})"
_OGC_DATETIME: Final = re.compile(rf"{_WHEN}(?:/{_WHEN})?", re.ASCII)
#: The words pydantic takes for a bool, in any case.
_BOOLEAN_WORDS: Final = ("0", "1", "false", "true", "f", "t", "no", "yes", "n", "y", "off", "on")

Rule = Callable[[str], str]


def _plain_number(text: str) -> float | None:
    if len(text) > _MAX_NUMBER_CHARS or not _PLAIN_NUMBER.fullmatch(text):
        return None
    value = float(text)
    return value if math.isfinite(value) else None


def _numbers(text: str) -> list[float] | None:
    """Comma-separated plain finite numbers, or None if any part is not one."""
    numbers = []
    for part in text.split(","):
        value = _plain_number(part)
        if value is None:
            return None
        numbers.append(value)
    return numbers


def _rounded(numbers: Iterable[float]) -> str:
    return ",".join(f"{value:.{POSITION_DECIMALS}f}" for value in numbers)


def rounded_position(text: str) -> str:
    """A coordinate (or comma-separated coordinates, e.g. a bbox) rounded for the log."""
    numbers = _numbers(text)
    return UNUSABLE if numbers is None else _rounded(numbers)


def _position(*limits: float) -> Rule:
    """Exactly ``len(limits)`` comma-separated numbers, each within ±its limit, rounded.
    ``lat=34,261234`` is two numbers, not a latitude: it is written as neither."""

    def rule(text: str) -> str:
        if text.count(",") != len(limits) - 1:
            return UNUSABLE
        numbers = _numbers(text)
        if numbers is None or any(abs(v) > m for v, m in zip(numbers, limits, strict=True)):
            return UNUSABLE
        return _rounded(numbers)

    return rule


def _count(low: int, high: int) -> Rule:
    def rule(text: str) -> str:
        return str(int(text)) if _COUNT.fullmatch(text) and low <= int(text) <= high else UNUSABLE

    return rule


def _radius(text: str) -> str:
    # A distance, not a place: written in whole metres, within the accepted range.
    value = _plain_number(text)
    return f"{value:.0f}" if value is not None and 0 < value <= MAX_RADIUS_M else UNUSABLE


def _one_of(words: Iterable[str], *, folded: bool = False) -> Rule:
    known = frozenset(words)

    def rule(text: str) -> str:
        return text if (text.lower() if folded else text) in known else UNUSABLE

    return rule


def _words(vocabulary: Iterable[str]) -> Rule:
    """A comma-separated list of known words (spaces and empty items allowed, as the API
    allows them), cut to a bounded length."""
    known = frozenset(vocabulary)

    def rule(text: str) -> str:
        words = (part.strip() for part in text.split(","))
        if not all(word in known for word in words if word):
            return UNUSABLE
        return text[:_MAX_VALUE_CHARS]

    return rule


def _matching(pattern: re.Pattern[str]) -> Rule:
    def rule(text: str) -> str:
        return text if pattern.fullmatch(text) else UNUSABLE

    return rule


#: Every query parameter a route defines (api/params/, the revert's to_version, the map's
#: tiles and lang), with the form its value is written in; tests check that this is all of
#: them, so a new parameter cannot be logged verbatim by being forgotten here.
QUERY_RULES: Final[dict[str, Rule]] = {
    "lat": _position(90),
    "lon": _position(180),
    "bbox": _position(180, 90, 180, 90),
    "crs": _one_of(CoordinateSystem),
    "k": _count(1, MAX_K),
    "radius_m": _radius,
    "amenities": _words(CODES),
    "kinds": _words(Kind),
    "access": _words(Access),
    "verified_within_days": _count(1, MAX_VERIFIED_DAYS),
    "open_now": _one_of(_BOOLEAN_WORDS, folded=True),
    "allow_duplicates": _one_of(_BOOLEAN_WORDS, folded=True),
    # An instant says when, not where or who; its strict shape can hold nothing else.
    "open_at": _matching(_INSTANT),
    "district": _matching(_DISTRICT),
    # A count: /v1/stations takes up to MAX_LIMIT, /ogc up to 10,000 and caps larger ones.
    "limit": _count(1, 10**10),
    # Paging and versions are counts, not places: bounded here by their digits alone, ten at
    # most (an 11-digit mobile number does not pass).
    "offset": _count(0, 10**10),
    "to_version": _count(1, 10**10),
    "prefix": _matching(_DISTRICT),
    "rank": _one_of(("distance", "time")),
    "status": _one_of(("open", "accepted", "dismissed", "all")),
    # A station id is an editor's chosen text, not a place or a person: logged as words are.
    "station": _matching(_STATION_ID),
    "tiles": _one_of(Tiles),
    "lang": _one_of(LANGS),
    # OGC API – Features under /ogc (api/ogc_openapi.py): its own names for the same filters.
    "kind": _one_of(Kind),
    "district_code": _matching(_DISTRICT),
    "datetime": _matching(_OGC_DATETIME),
    "f": _one_of(("json",)),
}


def _looks_secret(text: str) -> bool:
    return SECRET_PREFIX in text.lower()


def _shown_value(name: str, raw: str) -> str:
    value = QUERY_RULES[name](unquote_plus(raw))
    # Belt and braces: no rule passes a token, but none may ever start to.
    return WITHHELD if _looks_secret(value) else value


def _shown_name(raw: str) -> str | None:
    """The parameter's name as Starlette decodes it, or None when it may not be written."""
    if len(raw) > 3 * _SAFE_NAME_MAX:  # no safe name is longer, even percent-encoded
        return None
    name = unquote_plus(raw)
    if name in QUERY_RULES:
        return name
    if _SAFE_NAME.fullmatch(name) and not _looks_secret(name):
        return name
    return None


def query_pieces(query_string: bytes) -> list[bytes]:
    """The parameters of a raw query string, as Starlette's QueryParams splits it."""
    return [piece for piece in query_string.split(b"&") if piece]


def loggable_query(query_string: bytes) -> dict[str, str]:
    """Query parameters as they may be logged: at most ``MAX_LOGGED_PARAMS`` names, each
    shown only if safe; a defined parameter's value in its known form, any other's withheld.

    One pass, each parameter decoded at most once: linear in the query string's length.
    """
    shown: dict[str, str] = {}
    # latin-1 then percent-decoding: the same names Starlette's QueryParams gives the routes.
    for piece in query_pieces(query_string):
        if len(shown) >= MAX_LOGGED_PARAMS:
            break
        raw_name, _, raw_value = piece.decode("latin-1").partition("=")
        name = _shown_name(raw_name)
        if name is not None:
            shown[name] = _shown_value(name, raw_value) if name in QUERY_RULES else WITHHELD
    return shown
