"""The query parameters of ``/ogc`` (OGC API – Features Part 1, OGC 17-069r4), read by hand.

Every refusal is a 400 problem document (RFC 9457, through ``api.problems.ProblemError``, so a
reader who prefers Chinese gets a Chinese ``detail``) that also carries the members of OGC's
exception schema, ``code`` and ``description``. What the standard asks of the parameters:

* an unknown name is refused (/rec/core/query-param-unknown), so a typo such as ``amenity=``
  does not silently return every station;
* ``limit`` above the maximum is capped, not refused (/req/core/fc-limit-response-1 B);
* ``bbox`` has four numbers or six (heights, ignored: stations have none), CRS84; a west edge
  east of the east edge crosses the antimeridian (§7.15.3);
* ``datetime`` is accepted and checked, and matches every station: none has a temporal
  geometry (/req/core/fc-time-response C).
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Mapping
from datetime import date, datetime
from enum import StrEnum
from http import HTTPStatus
from typing import Final, TypeVar

from starlette.requests import Request

from api.problems import ProblemError, prefers_chinese
from stations.amenities import CODES
from stations.model import Access, Kind
from stations.reading.locator import ListQuery

DEFAULT_LIMIT: Final = 10
MAX_LIMIT: Final = 10_000
#: An offset past every station gives an empty page; beyond this its digits are not read.
MAX_OFFSET: Final = 10**12
FORMATS: Final = ("json",)  # ``f``: clients that add f=json are served; GeoJSON is JSON
ADCODE: Final = r"^[1-9][0-9]{5}$"

META_PARAMS: Final = frozenset({"f"})
ITEMS_PARAMS: Final = frozenset(
    {"f", "bbox", "limit", "offset", "datetime", "amenities", "kind", "access", "district_code"}
)

_NUMBER: Final = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d{1,3})?", re.ASCII)
_COUNT: Final = re.compile(r"\d+", re.ASCII)
_DISTRICT: Final = re.compile(ADCODE, re.ASCII)
_DATE: Final = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
#: RFC 3339 date-time; a "+" in a query string arrives as a space, so " 08:00" is "+08:00".
_DATE_TIME: Final = re.compile(
    r"(\d{4}-\d{2}-\d{2})[Tt](\d{2}:\d{2}):(\d{2})(\.\d+)?([Zz]|[+\- ]\d{2}:\d{2})", re.ASCII
)


W = TypeVar("W", bound=StrEnum)


class OgcCode(StrEnum):
    """OGC exception codes (OWS Common's vocabulary, as OGC API servers use it)."""

    INVALID_PARAMETER_VALUE = "InvalidParameterValue"
    OPTION_NOT_SUPPORTED = "OptionNotSupported"
    NOT_FOUND = "NotFound"


def ogc_problem(
    request: Request,
    status: HTTPStatus,
    code: OgcCode,
    detail: str,
    zh: str,
    *,
    field: str | None = None,
) -> ProblemError:
    """A problem document with OGC's ``code`` and ``description`` (the detail in the language
    the reader prefers, as ``api.problems`` chooses it for ``detail``)."""
    description = zh if prefers_chinese(request.headers.get("accept-language")) else detail
    if field is None:
        return ProblemError(status, detail, zh=zh, code=code.value, description=description)
    errors = [{"field": field, "reason": description}]
    return ProblemError(
        status, detail, zh=zh, code=code.value, description=description, errors=errors
    )


def _invalid(request: Request, field: str, detail: str, zh: str) -> ProblemError:
    return ogc_problem(
        request, HTTPStatus.BAD_REQUEST, OgcCode.INVALID_PARAMETER_VALUE,
        f"{field}: {detail}", f"{field}：{zh}", field=field,
    )  # fmt: skip


def check_names(request: Request, allowed: Collection[str]) -> None:
    """Refuse a query parameter this resource does not define, naming every such one."""
    unknown = sorted(set(request.query_params) - set(allowed))
    if not unknown:
        return
    names, valid = ", ".join(unknown), ", ".join(sorted(allowed))
    raise ogc_problem(
        request, HTTPStatus.BAD_REQUEST, OgcCode.OPTION_NOT_SUPPORTED,
        f"unknown query parameter(s) {names}; this resource takes: {valid}",
        f"未知的查询参数：{names}；此资源接受：{valid}",
        field=unknown[0],
    )  # fmt: skip


def check_format(request: Request) -> None:
    """``f``, where given, must ask for JSON: the only encoding served."""
    f = request.query_params.get("f")
    if f is not None and f not in FORMATS:
        raise _invalid(
            request, "f", f"{f!r} is not served; use f=json", f"不提供 {f!r}，请用 f=json"
        )


def items_query(request: Request) -> ListQuery:
    """The items request's parameters, checked; raises a 400 problem for the first bad one."""
    check_names(request, ITEMS_PARAMS)
    check_format(request)
    q = request.query_params
    if "datetime" in q:
        _check_datetime(request, q["datetime"])
    kind = _word(request, q, "kind", Kind)
    access = _word(request, q, "access", Access)
    where = ListQuery(
        bbox=None if "bbox" not in q else _bbox(request, q["bbox"]),
        amenities=_amenities(request, q.get("amenities", "")),
        kinds=frozenset() if kind is None else frozenset({kind}),
        access=frozenset() if access is None else frozenset({access}),
        district_code=_district(request, q.get("district_code")),
        limit=_limit(request, q.get("limit")),
        offset=_offset(request, q.get("offset")),
    )
    return where


def _limit(request: Request, text: str | None) -> int:
    if text is None:
        return DEFAULT_LIMIT
    if not _COUNT.fullmatch(text) or not text.strip("0"):
        raise _invalid(
            request, "limit", f"{text!r} is not a whole number from 1 (larger than "
            f"{MAX_LIMIT:,} is read as {MAX_LIMIT:,})",
            f"{text!r} 不是不小于 1 的整数（大于 {MAX_LIMIT} 的按 {MAX_LIMIT} 计）",
        )  # fmt: skip
    digits = text.lstrip("0")
    return MAX_LIMIT if len(digits) > len(str(MAX_LIMIT)) else min(int(digits), MAX_LIMIT)


def _offset(request: Request, text: str | None) -> int:
    if text is None:
        return 0
    if not _COUNT.fullmatch(text):
        raise _invalid(
            request, "offset", f"{text!r} is not a whole number from 0",
            f"{text!r} 不是不小于 0 的整数",
        )  # fmt: skip
    digits = text.lstrip("0") or "0"
    return MAX_OFFSET if len(digits) > len(str(MAX_OFFSET)) else min(int(digits), MAX_OFFSET)


def _bbox(request: Request, text: str) -> tuple[float, float, float, float]:
    parts = text.split(",")
    numbers = [float(p) for p in parts if _NUMBER.fullmatch(p.strip())]
    if (
        len(parts) not in (4, 6)
        or len(numbers) != len(parts)
        or not all(map(math.isfinite, numbers))
    ):
        raise _invalid(
            request, "bbox", f"{text!r} is not 4 (or 6) comma-separated numbers: "
            "min_lon,min_lat,max_lon,max_lat in degrees (CRS84)",
            f"{text!r} 不是用逗号分隔的 4 个（或 6 个）数："
            "最小经度,最小纬度,最大经度,最大纬度（CRS84，单位度）",
        )  # fmt: skip
    if len(numbers) == 6:  # [min_lon, min_lat, min_h, max_lon, max_lat, max_h]
        if not numbers[2] <= numbers[5]:
            raise _invalid(request, "bbox", "the lower height is above the upper one",
                           "最小高度大于最大高度")  # fmt: skip
        numbers = [numbers[0], numbers[1], numbers[3], numbers[4]]
    min_lon, min_lat, max_lon, max_lat = numbers
    if not all(-180 <= x <= 180 for x in numbers[::2]):
        raise _invalid(request, "bbox", "longitudes must be within [-180, 180]",
                       "经度必须在 [-180, 180] 之内")  # fmt: skip
    if not (-90 <= min_lat <= max_lat <= 90):
        raise _invalid(
            request, "bbox", "latitudes must be within [-90, 90], the minimum first",
            "纬度必须在 [-90, 90] 之内，且最小纬度在前",
        )  # fmt: skip
    return (min_lon, min_lat, max_lon, max_lat)


def _amenities(request: Request, text: str) -> tuple[str, ...]:
    codes = [part.strip() for part in text.split(",") if part.strip()]
    unknown = [c for c in codes if c not in CODES]
    if unknown:
        names, valid = ", ".join(dict.fromkeys(unknown)), ", ".join(CODES)
        raise _invalid(
            request, "amenities", f"unknown amenity code(s) {names}; valid codes: {valid}",
            f"未知的设施代码：{names}；可用代码：{valid}",
        )  # fmt: skip
    return tuple(dict.fromkeys(codes))


def _word(request: Request, q: Mapping[str, str], name: str, words: type[W]) -> W | None:
    text = q.get(name)
    if text is None:
        return None
    if text not in {w.value for w in words}:
        valid = ", ".join(w.value for w in words)
        raise _invalid(
            request, name, f"{text!r} is not one of: {valid}", f"{text!r} 不是以下之一：{valid}"
        )
    return words(text)


def _district(request: Request, text: str | None) -> str | None:
    if text is not None and not _DISTRICT.fullmatch(text):
        raise _invalid(
            request, "district_code", f"{text!r} is not a 6-digit adcode such as 610103",
            f"{text!r} 不是 6 位行政区划代码（例如 610103）",
        )  # fmt: skip
    return text


def _check_datetime(request: Request, text: str) -> None:
    """An instant or an interval with at least one end (OGC 17-069r4 /req/core/fc-time-response
    D): ``date-time``, ``date-time/date-time``, ``../date-time``, ``date-time/..``, an open end
    also written empty. Whole dates are accepted as instants too, as most servers do."""
    ends = text.split("/")
    instants = [end for end in ends if end not in ("", "..")]
    if len(ends) > 2 or not instants or not all(_is_instant(end) for end in instants):
        raise _invalid(
            request, "datetime", f"{text!r} is not an RFC 3339 instant (2026-03-11T10:00:00Z) or "
            "an interval of two, '..' for an open end",
            f"{text!r} 不是 RFC 3339 时刻（如 2026-03-11T10:00:00Z）"
            "或由两个时刻组成的区间（开放端写 ..）",
        )  # fmt: skip


def _is_instant(text: str) -> bool:
    try:
        if _DATE.fullmatch(text):
            date.fromisoformat(text)
            return True
        found = _DATE_TIME.fullmatch(text)
        if found is None:
            return False
        day, hour_minute, second, _, offset = found.groups()
        if offset.upper() == "Z":
            offset = "+00:00"
        elif offset[0] == " ":
            offset = "+" + offset[1:]
        if int(second) > 60:
            return False
        # RFC 3339 allows a leap second (:60); Python's datetime does not.
        datetime.fromisoformat(f"{day}T{hour_minute}:{min(int(second), 59):02d}{offset}")
    except ValueError:
        return False
    return True
