from __future__ import annotations

from typing import Any

import pytest

from geo.crs import CoordinateSystem, from_wgs84
from stations.editing.validation import parse_number, validate_draft
from stations.errors import InvalidStation
from stations.model import Kind, Status

GOOD: dict[str, Any] = {
    "id": "x-1",
    "name": " 南大街爱心驿站 ",
    "kind": "love_station",
    "lon": "108.9423",
    "lat": "34.2610",
    "address": "南大街1号",
    "district_code": "610103",
    "amenities": "microwave; water;microwave",
    "opening_hours": "Mo-Fr 08:00-18:00; PH off",
    "phone": "029-01234567",
    "host": "",
}


def fields_of(exc: pytest.ExceptionInfo[InvalidStation]) -> set[str]:
    return {p.field for p in exc.value.problems}


def test_a_good_record_is_normalised() -> None:
    draft = validate_draft(GOOD)
    assert draft.name == "南大街爱心驿站"  # surrounding whitespace trimmed
    assert draft.kind is Kind.LOVE_STATION
    assert draft.amenities == ("water", "microwave")  # vocabulary order, no repeats
    assert draft.host is None  # empty means not recorded
    assert draft.status is Status.ACTIVE
    assert (draft.lon, draft.lat) == (108.9423, 34.261)


def test_every_problem_is_reported_with_its_field() -> None:
    bad = dict(
        GOOD,
        name="",
        kind="cafe",
        lat="91",
        lon="abc",
        district_code="61010",
        amenities="water;sauna",
        opening_hours="sometimes",
        phone="call me",
        extra="x",
    )
    with pytest.raises(InvalidStation) as exc:
        validate_draft(bad)
    assert fields_of(exc) == {
        "name",
        "kind",
        "lat",
        "lon",
        "district_code",
        "amenities",
        "opening_hours",
        "phone",
        "extra",
    }
    text = str(exc.value)
    assert "sauna" in text and "microwave" in text  # unknown code named, valid list given
    assert "unknown field" in text


@pytest.mark.parametrize(
    "value",
    [
        "nan",
        "NaN",
        "inf",
        "-inf",
        "Infinity",
        "1e400",
        "",
        " ",
        True,
        None,
        [1],
        "0x10",
        float("nan"),
    ],
)
def test_non_finite_or_non_numeric_coordinates_are_rejected(value: object) -> None:
    with pytest.raises(InvalidStation) as exc:
        validate_draft(dict(GOOD, lat=value))
    assert fields_of(exc) == {"lat"}


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("name", "x" * 101, "at most 100"),
        ("address", "y" * 201, "at most 200"),
        ("name", "bad\x00name", "control character U+0000"),
        ("name", "tab\tname", "control character U+0009"),
        ("address", "lone \ud800 surrogate", "lone surrogate"),
        ("id", "-starts-with-dash", "letters, digits"),
        ("id", "has space", "letters, digits"),
        ("district_code", "010103", "6-digit"),
        ("kind", "love station", "not one of"),
        ("status", "open", "not one of"),
    ],
)
def test_text_field_rules(field: str, value: str, reason: str) -> None:
    with pytest.raises(InvalidStation) as exc:
        validate_draft(dict(GOOD, **{field: value}))
    assert fields_of(exc) == {field}
    assert reason in str(exc.value)


def test_html_in_a_name_is_kept_verbatim() -> None:
    name = '<img src=x onerror="alert(1)">'
    assert validate_draft(dict(GOOD, name=name)).name == name


def test_opening_hours_problem_quotes_the_parser() -> None:
    with pytest.raises(InvalidStation) as exc:
        validate_draft(dict(GOOD, opening_hours="Mo-Fr 08:00-"))
    assert fields_of(exc) == {"opening_hours"}
    assert len(str(exc.value)) > len("opening_hours: ")


@pytest.mark.parametrize("crs", [CoordinateSystem.GCJ02, CoordinateSystem.BD09])
def test_positions_in_other_systems_are_stored_in_wgs84(crs: CoordinateSystem) -> None:
    lon, lat = from_wgs84(108.9423, 34.2610, crs)
    draft = validate_draft(dict(GOOD, lon=float(lon), lat=float(lat)), crs=crs)
    assert draft.lon == pytest.approx(108.9423, abs=1e-8)
    assert draft.lat == pytest.approx(34.2610, abs=1e-8)


def test_json_values_are_accepted_as_well_as_strings() -> None:
    draft = validate_draft(dict(GOOD, lon=108.9423, lat=34, amenities=["water", "toilet"]))
    assert draft.lat == 34.0 and draft.amenities == ("water", "toilet")


@pytest.mark.parametrize(
    ("value", "expected"),
    [("1.5", 1.5), (2, 2.0), (" -3 ", -3.0), ("nan", None), (False, None), ("1e999", None)],
)
def test_parse_number(value: object, expected: float | None) -> None:
    assert parse_number(value) == expected


@pytest.mark.parametrize(
    ("lon", "lat", "hint"),
    [(34.25, 108.94, True), (-33.9, 151.2, True), (108.94, 34.25, False), (120.0, 95.0, False),
     (34.25, 190.0, False)],
)  # fmt: skip
def test_a_position_valid_only_when_swapped_says_so(lon: float, lat: float, hint: bool) -> None:
    raw = {"name": "站", "kind": "love_station", "lon": lon, "lat": lat, "district_code": "610103"}
    if not hint and abs(lat) <= 90:
        validate_draft(raw)
        return
    with pytest.raises(InvalidStation) as exc:
        validate_draft(raw)
    (problem,) = [p for p in exc.value.problems if p.field == "lat"]
    assert ("look swapped" in problem.reason) is hint
    assert ("填反" in (problem.reason_zh or "")) is hint
