"""Hostile input to the admin routes: oversized bodies, JSON that is not JSON (NaN, Infinity),
wrong shapes, overlong and invisible text, bad opening hours, and markup that must stay text.
Every answer is a problem document, and never a 500."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import opening_hours
import pytest

from stations.editing.validation import MAX_LENGTH
from tests.api.admin_fixtures import (
    AdminEnv,
    admin_env,
    create,
    fetch,
    history,
    if_match,
    nearest_ids,
    station_body,
)
from tests.api.problem import assert_problem

MIB = 1 << 20
HOSTILE_NAMES = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "\"'><svg onload=alert(1)>",
    "{{7*7}} ${7*7} </script><!--",
    '驿站\\" onmouseover=\\"alert(1)',
]


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AdminEnv]:
    with admin_env(tmp_path_factory.mktemp("hostile")) as env:
        yield env


def post_raw(env: AdminEnv, content: Any, **headers: str) -> httpx.Response:
    return env.client.post(
        "/v1/stations",
        content=content,
        headers=env.auth("admin") | {"Content-Type": "application/json", **headers},
    )


def patch_raw(env: AdminEnv, station_id: str, content: bytes) -> httpx.Response:
    return env.client.patch(
        f"/v1/stations/{station_id}",
        content=content,
        headers=env.auth("admin") | if_match(1) | {"Content-Type": "application/merge-patch+json"},
    )


def strict_json(response: httpx.Response) -> Any:
    """The body parsed by a JSON parser that refuses NaN and Infinity (RFC 8259)."""

    def refuse(name: str) -> Any:
        raise AssertionError(f"{name} in a response body: not JSON")

    return json.loads(response.text, parse_constant=refuse)


def padded(body: dict[str, Any], size: int) -> bytes:
    """``body`` as JSON, padded with trailing spaces (still valid JSON) to exactly ``size``."""
    raw = json.dumps(body, ensure_ascii=False).encode()
    assert len(raw) <= size
    return raw + b" " * (size - len(raw))


# -- size ----------------------------------------------------------------------------------


def test_a_body_of_exactly_1_mib_is_read(env: AdminEnv) -> None:
    response = post_raw(env, padded(station_body(), MIB))
    assert response.status_code == 201, response.text


def test_a_body_over_1_mib_is_413(env: AdminEnv) -> None:
    before = env.data_version()
    response = post_raw(env, padded(station_body(), MIB + 1))
    assert "1 MiB" in assert_problem(response, 413)["detail"]
    assert env.data_version() == before


def test_a_streamed_body_over_1_mib_without_content_length_is_413(env: AdminEnv) -> None:
    payload = padded(station_body(), 3 * MIB)

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(payload), 64 * 1024):
            yield payload[start : start + 64 * 1024]

    before = env.data_version()
    request = env.client.build_request(
        "POST",
        "/v1/stations",
        content=chunks(),
        headers=env.auth("admin") | {"Content-Type": "application/json"},
    )
    assert "content-length" not in request.headers
    assert request.headers["transfer-encoding"] == "chunked"
    assert_problem(env.client.send(request), 413)
    assert env.data_version() == before


@pytest.mark.parametrize("method", ["PATCH", "PUT"])
def test_edits_over_1_mib_are_413(env: AdminEnv, method: str) -> None:
    station_id = create(env)["id"]
    suffix = "/amenities" if method == "PUT" else ""
    response = env.client.request(
        method,
        f"/v1/stations/{station_id}{suffix}",
        content=padded({"name": "x"}, 2 * MIB),
        headers=env.auth("admin") | if_match(1),
    )
    assert_problem(response, 413)
    assert fetch(env, station_id)[1] == 1


# -- not JSON, or not an object ------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        b'{"lat": NaN}',
        b'{"lat": Infinity}',
        b'{"lat": -Infinity}',
        b'{"lon": 108.9, "lat": 34.2, "extra": [1, NaN]}',
        b'{"lat": 1e400}',
        b'{"lat": -1e400}',
    ],
)
def test_nan_and_infinity_are_422_with_a_valid_json_error(env: AdminEnv, raw: bytes) -> None:
    station_id = create(env)["id"]
    for response in (post_raw(env, raw), patch_raw(env, station_id, raw)):
        assert_problem(response, 422)
        strict_json(response)
    assert fetch(env, station_id)[1] == 1


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"{",
        b"{'name': 'x'}",
        b'{"name": "x",}',
        b"[]",
        b'[{"name": "x"}]',
        b"42",
        b'"station"',
        b"null",
        b"true",
        b"\xff\xfe{}",
        b"[" * 100_000 + b"]" * 100_000,
        b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
    ],
    ids=lambda raw: raw[:16].decode("latin-1") or "empty",
)
def test_invalid_json_or_not_an_object_is_422(env: AdminEnv, raw: bytes) -> None:
    before = env.data_version()
    body = assert_problem(post_raw(env, raw), 422, "body")
    assert len(body["detail"]) < 1000
    assert env.data_version() == before


@pytest.mark.parametrize("value", [True, False, None, "北纬34度", [34.2], {"deg": 34.2}, "0x22"])
def test_a_coordinate_must_be_a_number(env: AdminEnv, value: object) -> None:
    body = station_body()
    body["lat"] = value
    response = env.client.post("/v1/stations", json=body, headers=env.auth("admin"))
    assert_problem(response, 422, "lat")


@pytest.mark.parametrize("value", [90.000001, -91, 1e300, 10**30])
def test_a_coordinate_out_of_range_is_422(env: AdminEnv, value: float) -> None:
    station_id = create(env)["id"]
    response = env.client.patch(
        f"/v1/stations/{station_id}", json={"lat": value}, headers=env.auth("admin") | if_match(1)
    )
    assert_problem(response, 422, "lat")


# -- text ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "length"),
    [("name", MAX_LENGTH["name"] + 1), ("address", MAX_LENGTH["address"] + 1)],
)
def test_overlong_text_is_422(env: AdminEnv, field: str, length: int) -> None:
    assert (field, length) in {("name", 101), ("address", 201)}
    station_id = create(env)["id"]
    exact = env.client.patch(
        f"/v1/stations/{station_id}",
        json={field: "驿" * (length - 1)},
        headers=env.auth("admin") | if_match(1),
    )
    assert exact.status_code == 200, exact.text
    response = env.client.patch(
        f"/v1/stations/{station_id}",
        json={field: "驿" * length},
        headers=env.auth("admin") | if_match(2),
    )
    assert str(length) in assert_problem(response, 422, field)["detail"]
    assert fetch(env, station_id)[1] == 2


def test_ten_thousand_emoji_are_422_not_500(env: AdminEnv) -> None:
    response = env.client.post(
        "/v1/stations", json=station_body(name="🚴" * 10_000), headers=env.auth("admin")
    )
    body = assert_problem(response, 422, "name")
    assert len(body["detail"]) < 1000  # the value is not echoed back


@pytest.mark.parametrize("field", ["name", "address", "host"])
@pytest.mark.parametrize("escape", ["\\u0000", "\\u0007", "\\u001b", "\\u007f", "\\u0085"])
def test_control_characters_are_422_naming_the_field(
    env: AdminEnv, field: str, escape: str
) -> None:
    station_id = create(env)["id"]
    raw = f'{{"{field}": "驿站{escape}名"}}'.encode()
    assert_problem(patch_raw(env, station_id, raw), 422, field)
    assert fetch(env, station_id)[1] == 1


@pytest.mark.parametrize("escape", ["\\ud800", "\\udfff", "x\\udc00y", "\\ud83d"])
def test_lone_surrogates_are_422(env: AdminEnv, escape: str) -> None:
    station_id = create(env)["id"]
    response = patch_raw(env, station_id, f'{{"name": "驿站{escape}"}}'.encode())
    assert_problem(response, 422)
    strict_json(response)
    assert fetch(env, station_id)[1] == 1


def test_a_lone_surrogate_is_422_naming_the_field(env: AdminEnv) -> None:
    station_id = create(env)["id"]
    assert_problem(patch_raw(env, station_id, b'{"name": "\\ud800"}'), 422, "name")


def test_a_valid_surrogate_pair_is_one_character(env: AdminEnv) -> None:
    station_id = create(env)["id"]
    response = patch_raw(env, station_id, b'{"name": "\\ud83d\\udeb4 \\u9a7f\\u7ad9"}')
    assert response.status_code == 200, response.text
    assert fetch(env, station_id)[0]["properties"]["name"] == "🚴 驿站"


@pytest.mark.parametrize(
    "hours", ["Mo-Fr 25:00-26:99", "sometimes", "Mo-Fr 08:00-18:00;;; PH", "24/7 open forever"]
)
def test_hours_the_parser_rejects_are_422_quoting_its_message(env: AdminEnv, hours: str) -> None:
    with pytest.raises(opening_hours.ParserError) as rejected:
        opening_hours.OpeningHours(hours)
    station_id = create(env)["id"]
    response = env.client.patch(
        f"/v1/stations/{station_id}",
        json={"opening_hours": hours},
        headers=env.auth("admin") | if_match(1),
    )
    body = assert_problem(response, 422, "opening_hours")
    assert str(rejected.value) in body["detail"]
    assert fetch(env, station_id)[1] == 1


# -- markup stays text ---------------------------------------------------------------------


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_markup_in_a_name_is_stored_and_returned_verbatim(env: AdminEnv, name: str) -> None:
    response = env.client.post(
        "/v1/stations", json=station_body(name=name, address=name), headers=env.auth("admin")
    )
    assert response.status_code == 201, response.text
    assert response.headers["content-type"].startswith("application/geo+json")
    feature = strict_json(response)
    station_id = feature["id"]
    lon, lat = feature["geometry"]["coordinates"]
    assert feature["properties"]["name"] == name

    got = env.client.get(f"/v1/stations/{station_id}")
    assert strict_json(got)["properties"]["name"] == name
    assert strict_json(got)["properties"]["address"] == name
    near = env.client.get("/v1/stations/nearest", params={"lon": lon, "lat": lat, "k": 100})
    (hit,) = [f for f in strict_json(near)["features"] if f["id"] == station_id]
    assert hit["properties"]["name"] == name
    assert history(env, station_id)[0]["changes"]["name"]["after"] == name
    assert station_id in nearest_ids(env, lon, lat)
