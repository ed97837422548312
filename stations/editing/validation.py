"""Turn raw records (CSV strings, JSON values) into validated station drafts.

Every problem is reported with its field name; nothing is silently dropped or coerced beyond
trimming surrounding whitespace.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final, TypeVar

from geo.crs import CoordinateSystem, to_wgs84
from geo.origin import swapped_hint
from stations.amenities import VOCABULARY, UnknownAmenity, check_codes
from stations.errors import InvalidStation, Problem
from stations.files.aliases import access_code, amenity_codes, entry_code, kind_code
from stations.hours import Hours, InvalidOpeningHours
from stations.hours_phrases import EXAMPLES_ZH, UnreadablePhrase, to_osm
from stations.model import EDITABLE_FIELDS, Access, Entry, Kind, StationDraft, StationId, Status

_E = TypeVar("_E", Kind, Status, Access, Entry)

MAX_LENGTH: Final[dict[str, int]] = {
    "closure_reason": 200,
    "id": 64,
    "name": 100,
    "address": 200,
    "phone": 40,
    "host": 100,
    "opening_hours": 500,
}
_ID_RE: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:\-]*")
_DISTRICT_RE: Final = re.compile(r"[1-9][0-9]{5}")
_PHONE_RE: Final = re.compile(r"[0-9+\-() ,/转]+")
_ID_RULE: Final = "use letters, digits and . _ : - only, starting with a letter or digit"
_DISTRICT_RULE: Final = "must be a 6-digit adcode such as 610103"
_PHONE_RULE: Final = "use digits, spaces and + - ( ) only"
#: The same rules and reasons in Chinese (Problem.reason_zh).
_ZH: Final = {
    _ID_RULE: "只能用字母、数字和 . _ : -，并以字母或数字开头",
    _DISTRICT_RULE: "应为6位行政区划代码，例如 610103",
    _PHONE_RULE: "只能用数字、空格和 + - ( )",
    "is required": "必须填写",
    "must be a string": "应为文字",
    "unknown field": "不是站点字段",
}
INSTANT_RULE: Final = (
    "must be an ISO 8601 date and time with a UTC offset in the years 2000–2099, "
    "e.g. 2026-12-24T18:00:00+08:00"
)
_NO_CLOSURE: Final = "give closed_until too: the instant the station reopens"
#: Fields a record may carry: the import columns plus an optional status.
KNOWN_FIELDS: Final = frozenset({"id", *EDITABLE_FIELDS, "status"})


def validate_draft(
    raw: Mapping[str, object],
    *,
    crs: CoordinateSystem = CoordinateSystem.WGS84,
    notes: list[Conversion] | None = None,
) -> StationDraft:
    """A draft from a raw record whose lon/lat are in ``crs``; raises InvalidStation listing
    every problem (unknown fields included). Empty strings count as missing. Chinese is read
    as well: kinds, amenities, access and entry by their labels (饮水、微波炉), opening hours
    as a common phrase (周一至周五 8:00-18:00); each phrase turned into OSM syntax is added to
    ``notes`` when given, so the writer sees what is saved."""
    problems: list[Problem] = [
        Problem(name, "unknown field", _ZH["unknown field"])
        for name in raw
        if name not in KNOWN_FIELDS
    ]
    v = _Fields(raw, problems, notes)
    station_id = v.matching("id", _ID_RE, _ID_RULE, required=False)
    name = v.text("name", required=True)
    kind = v.choice("kind", Kind, default=None)
    status = v.choice("status", Status, default=Status.ACTIVE)
    lon = v.number("lon", -180.0, 180.0)
    lat = v.number("lat", -90.0, 90.0)
    _swapped_hint(raw, problems)
    district = v.matching("district_code", _DISTRICT_RE, _DISTRICT_RULE, required=True)
    phone = v.matching("phone", _PHONE_RE, _PHONE_RULE, required=False)
    amenities = v.amenities()
    hours = v.hours()
    address = v.text("address", required=False)
    host = v.text("host", required=False)
    access = v.choice("access", Access, default=Access.PUBLIC)
    entry = v.choice("entry", Entry, default=None, required=False)
    closed_until, closure_reason = v.closure()
    if problems:
        raise InvalidStation(problems)
    assert name is not None and kind is not None and lon is not None and lat is not None
    assert district is not None and status is not None and amenities is not None
    wgs_lon, wgs_lat = to_wgs84(lon, lat, crs)
    return StationDraft(
        id=None if station_id is None else StationId(station_id),
        name=name,
        kind=kind,
        lon=round(float(wgs_lon), 9),  # 9 decimals ≈ 0.1 mm: stable round trips through text
        lat=round(float(wgs_lat), 9),
        address=address,
        district_code=district,
        amenities=amenities,
        opening_hours=hours,
        phone=phone,
        host=host,
        status=status,
        access=access or Access.PUBLIC,
        entry=entry,
        closed_until=closed_until,
        closure_reason=closure_reason,
    )


@dataclass(frozen=True, slots=True)
class Conversion:
    """A value read from how a person wrote it into the stored form."""

    field: str
    given: str
    saved: str


def _swapped_hint(raw: Mapping[str, object], problems: list[Problem]) -> None:
    """When the position is invalid as given but valid with lon and lat swapped, say so on
    the lat problem (geo.origin.swapped_hint decides, for the API's positions too)."""
    lon, lat = parse_number(raw.get("lon")), parse_number(raw.get("lat"))
    hint = None if lon is None or lat is None else swapped_hint(lon, lat)
    if hint is None:
        return
    for i, problem in enumerate(problems):
        if problem.field == "lat":
            problems[i] = Problem(
                "lat",
                f"{problem.reason}; {hint}",
                f"{problem.reason_zh or problem.reason}；"
                f"经纬度似乎填反了：纬度={lon!r}，经度={lat!r}？",
            )


class _Fields:
    """Reads one raw record, appending a Problem for each bad field."""

    def __init__(
        self,
        raw: Mapping[str, object],
        problems: list[Problem],
        notes: list[Conversion] | None = None,
    ) -> None:
        self._raw = raw
        self._problems = problems
        self._notes = notes

    def _get(self, field: str) -> object:
        value = self._raw.get(field)
        if isinstance(value, str):
            value = value.strip()
            return value or None
        return value

    def text(self, field: str, *, required: bool) -> str | None:
        value = self._get(field)
        if value is None:
            if required:
                self._problems.append(Problem(field, "is required", _ZH["is required"]))
            return None
        if not isinstance(value, str):
            self._problems.append(Problem(field, "must be a string", _ZH["must be a string"]))
            return None
        fault = text_fault(value, MAX_LENGTH.get(field, 100))
        if fault is not None:
            self._problems.append(Problem(field, *fault))
            return None
        return value

    def matching(
        self, field: str, pattern: re.Pattern[str], rule: str, *, required: bool
    ) -> str | None:
        """``text``, and the whole of it must match ``pattern`` (``rule`` says how)."""
        value = self.text(field, required=required)
        if value is not None and not pattern.fullmatch(value):
            self._problems.append(Problem(field, rule, _ZH.get(rule)))
        return value

    def closure(self) -> tuple[datetime | None, str | None]:
        """A temporary closure: until an ISO 8601 instant with its offset (kept in UTC), and
        why; a reason needs an instant, since a closure with no end would never lift."""
        reason = self.text("closure_reason", required=False)
        value = self._get("closed_until")
        if value is None:
            if reason is not None:
                self._problems.append(
                    Problem("closure_reason", _NO_CLOSURE, "请同时填写暂停开放至（重新开放的时间）")
                )
            return None, reason
        until = parse_instant(value)
        if until is None:
            self._problems.append(
                Problem(
                    "closed_until",
                    INSTANT_RULE,
                    "应为带时区的日期时间（2000–2099年），例如 2026-12-24T18:00:00+08:00",
                )
            )
        return until, reason

    def hours(self) -> str | None:
        """OSM opening_hours as written, or a Chinese phrase read into it (hours_phrases)."""
        value = self.text("opening_hours", required=False)
        if value is None:
            return None
        try:
            Hours.parse(value)
            return value
        except InvalidOpeningHours as exc:
            osm_problem = str(exc)
        if not _LATIN_ONLY.fullmatch(value):  # written in Chinese: read it as a phrase
            try:
                saved = to_osm(value)
            except UnreadablePhrase as unreadable:
                self._problems.append(Problem("opening_hours", unreadable.english, str(unreadable)))
                return None
            if self._notes is not None:
                self._notes.append(Conversion("opening_hours", value, saved))
            return saved
        self._problems.append(
            Problem(
                "opening_hours",
                osm_problem,
                f"无法识别开放时间：{osm_problem}；可以写成：{EXAMPLES_ZH}",
            )
        )
        return None

    def choice(
        self, field: str, enum: type[_E], *, default: _E | None, required: bool = True
    ) -> _E | None:
        value = self._get(field)
        if value is None:
            if default is None and required:
                self._problems.append(
                    Problem(
                        field,
                        f"is required; one of {_list(enum)}",
                        f"必须填写，可选：{_list(enum)}",
                    )
                )
            return default
        try:
            return enum(_LABELS[enum](str(value)))
        except ValueError:
            self._problems.append(
                Problem(
                    field,
                    f"{value!r} is not one of {_list(enum)}",
                    f"“{value}”不是可选值之一：{_list(enum)}",
                )
            )
            return None

    def number(self, field: str, low: float, high: float) -> float | None:
        value = self._get(field)
        if value is None:
            self._problems.append(Problem(field, "is required", _ZH["is required"]))
            return None
        number = parse_number(value)
        if number is None:
            self._problems.append(
                Problem(field, f"{value!r} is not a number", f"“{value}”不是数字")
            )
        elif not low <= number <= high:
            self._problems.append(
                Problem(
                    field,
                    f"{number!r} is outside [{low:g}, {high:g}]",
                    f"{number!r} 超出范围 [{low:g}, {high:g}]",
                )
            )
        else:
            return number
        return None

    def amenities(self) -> tuple[str, ...] | None:
        value = self._get("amenities")
        if value is None:
            return ()
        if isinstance(value, str):
            codes = amenity_codes(value)  # codes or Chinese labels, ; ； 、 , separated
        elif isinstance(value, list) and all(isinstance(c, str) for c in value):
            codes = [code for c in value for code in amenity_codes(c)]
        else:
            self._problems.append(
                Problem("amenities", "must be codes separated by ';'", "应为用“；”或“、”分隔的设施")
            )
            return None
        try:
            return check_codes(codes)
        except UnknownAmenity as exc:
            self._problems.append(
                Problem(
                    "amenities",
                    str(exc),
                    f"不认识的设施：{'、'.join(exc.unknown)}；可用：{_AMENITY_LABELS}",
                )
            )
            return None


def parse_instant(value: object) -> datetime | None:
    """An aware instant in UTC from ISO 8601 text with an offset (or an aware datetime)."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    else:
        return None
    if moment.tzinfo is None or not 2000 <= moment.year <= 2099:
        return None
    # Whole seconds: both stores keep them exactly (the GeoPackage's DATETIME has milliseconds).
    return moment.astimezone(UTC).replace(microsecond=0)


def parse_number(value: object) -> float | None:
    """A finite float from a JSON number or a decimal string; None for anything else
    (booleans, NaN, ±inf, empty, text)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        if "_" in value:  # float() reads "3_4" as 34: a typo must not become a position
            return None
        try:
            number = float(value)
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


def text_problem(value: str, max_length: int) -> str | None:
    """Why ``value`` is not acceptable as a text field, or None."""
    fault = text_fault(value, max_length)
    return None if fault is None else fault[0]


def text_fault(value: str, max_length: int) -> tuple[str, str] | None:
    """Why ``value`` is not acceptable as a text field, in English and in Chinese, or None."""
    if len(value) > max_length:
        return (
            f"is {len(value)} characters long; at most {max_length} are allowed",
            f"有 {len(value)} 个字，最多 {max_length} 个",
        )
    for char in value:
        category = unicodedata.category(char)
        if category == "Cc":
            return (
                f"contains the control character U+{ord(char):04X}",
                f"含有控制字符 U+{ord(char):04X}",
            )
        if category == "Cs":
            return (
                f"contains a lone surrogate U+{ord(char):04X}",
                f"含有无效字符 U+{ord(char):04X}",
            )
    return None


#: Each choice field's reader of Chinese labels (stations/files/aliases.py).
_LABELS: Final[
    dict[type[Kind] | type[Status] | type[Access] | type[Entry], Callable[[str], str]]
] = {
    Kind: kind_code,
    Status: lambda value: value,
    Access: access_code,
    Entry: entry_code,
}
_AMENITY_LABELS: Final = "、".join(a.zh for a in VOCABULARY)
#: Text in Latin letters, digits and punctuation only: meant as OSM syntax, not a phrase.
_LATIN_ONLY: Final = re.compile(r"[\x20-\x7e]*")


def _list(enum: type[Kind] | type[Status] | type[Access] | type[Entry]) -> str:
    return ", ".join(m.value for m in enum)
