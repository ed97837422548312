"""District names from the shipped adcode table, read back against the CSV itself."""

from __future__ import annotations

import csv
from importlib import resources

from stations.districts import all_districts, district, district_name, matching


def test_every_row_of_the_table_is_a_district() -> None:
    path = resources.files("stations").joinpath("data/adcodes.csv")
    with path.open(encoding="utf-8") as f:
        rows = {r["adcode"][:6]: r["name"] for r in csv.DictReader(f)}
    assert len(rows) == len(all_districts()) > 3000
    assert all(all_districts()[code].name == name for code, name in rows.items())


def test_names_read_as_people_write_them() -> None:
    beilin = district("610103")
    assert beilin is not None
    assert (beilin.name, beilin.full_name, beilin.level) == (
        "碑林区",
        "陕西省西安市碑林区",
        "county",
    )
    assert district_name("610100") == "陕西省西安市"
    assert district_name("610000") == "陕西省"
    assert district_name("110101") == "北京市东城区"  # no 市辖区 placeholder
    assert district_name("999999") == "999999"  # unknown: the code, never nothing


def test_matching_a_prefix() -> None:
    xian = matching("6101")
    assert xian[0].code == "610100" and all(d.code.startswith("6101") for d in xian)
    assert "碑林区" in {d.name for d in xian}
