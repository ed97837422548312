"""What people read in answers: district names (``GET /v1/districts``) and opening hours in
plain words (``opening_hours_text`` next to the OSM text)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from stations.hours_text import describe
from tests.api.problem import assert_problem


def test_districts_are_listed_with_their_names(demo_client: TestClient) -> None:
    response = demo_client.get("/v1/districts", params={"prefix": "6101"})
    assert response.status_code == 200
    assert "max-age" in response.headers["cache-control"]
    districts = {d["code"]: d for d in response.json()["districts"]}
    assert districts["610103"] == {
        "code": "610103", "name": "碑林区", "full_name": "陕西省西安市碑林区", "level": "county",
    }  # fmt: skip
    assert all(code.startswith("6101") for code in districts)
    everything = demo_client.get("/v1/districts").json()["districts"]
    assert len(everything) > 3000
    for bad in ("x", "0", "1234567", "61 01"):
        assert_problem(demo_client.get("/v1/districts", params={"prefix": bad}), 422, "prefix")


def test_answers_carry_the_hours_in_plain_words(demo_client: TestClient) -> None:
    response = demo_client.get(
        "/v1/stations/nearest", params={"lat": 34.26, "lon": 108.94, "k": 50}
    )
    features = response.json()["features"]
    described = [f["properties"] for f in features if f["properties"]["opening_hours"]]
    assert described
    for props in described:
        assert props["opening_hours_text"] == {
            "zh": describe(props["opening_hours"], "zh"),
            "en": describe(props["opening_hours"], "en"),
        }
    blank = [f["properties"] for f in features if not f["properties"]["opening_hours"]]
    assert all(p["opening_hours_text"] is None for p in blank)
    one = demo_client.get(f"/v1/stations/{described[0]['id']}").json()["properties"]
    assert one["opening_hours_text"] == described[0]["opening_hours_text"]
