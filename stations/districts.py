"""China's administrative divisions by adcode, so people read names, not codes: 610103 is
碑林区, in 西安市, in 陕西省. The table ships with Yizhan (stations/data/adcodes.csv, from cpca,
MIT: stations/data/ADCODES.md)."""

from __future__ import annotations

import csv
import functools
from dataclasses import dataclass
from importlib import resources
from typing import Final

#: Municipalities' and provinces' placeholder city rows: not names a person would read.
_PLACEHOLDERS: Final = frozenset({"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"})


@dataclass(frozen=True, slots=True)
class District:
    code: str  # six digits
    name: str  # its own name: 碑林区
    province: str | None  # the province's name, None for a province itself
    city: str | None  # the city's name, None for a province, a city, or a placeholder

    @property
    def full_name(self) -> str:
        """Province, city and its own name, without repeats: 陕西省西安市碑林区, 北京市东城区."""
        parts = [p for p in (self.province, self.city, self.name) if p]
        return "".join(dict.fromkeys(parts))

    @property
    def level(self) -> str:
        if self.code.endswith("0000"):
            return "province"
        return "city" if self.code.endswith("00") else "county"


@functools.cache
def all_districts() -> dict[str, District]:
    """Every division in the table, by six-digit code, in code order."""
    names: dict[str, str] = {}
    with resources.files("stations").joinpath("data/adcodes.csv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            names[row["adcode"][:6]] = row["name"].strip()
    out = {}
    for code in sorted(names):
        province = None if code.endswith("0000") else names.get(code[:2] + "0000")
        city = None
        if not code.endswith("00"):
            city = names.get(code[:4] + "00")
            if city in _PLACEHOLDERS:
                city = None
        out[code] = District(code, names[code], province, city)
    return out


def district(code: str) -> District | None:
    """The division with this six-digit adcode, or None when the table does not have it."""
    return all_districts().get(code)


def district_name(code: str) -> str:
    """A name to show for an adcode: the division's full name, or the code itself when the
    table does not know it (a new district) — never nothing."""
    found = district(code)
    return code if found is None else found.full_name


def matching(prefix: str) -> list[District]:
    """The divisions whose code starts with ``prefix`` (all of them for ""), in code order."""
    return [d for code, d in all_districts().items() if code.startswith(prefix)]
