"""``POST /v1/opening-hours/preview``: typed hours (OSM, or a Chinese phrase) shown as what would
be saved, in plain words, and as the next seven days' open times — the days checked against
``Hours.state`` itself at every quarter hour."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from fastapi.testclient import TestClient

from stations.hours import SHANGHAI, Hours, Openness
from stations.hours_input import read_hours, week_ahead
from tests.api.problem import assert_problem


def test_a_chinese_phrase_is_read_described_and_laid_out(client: TestClient) -> None:
    response = client.post(
        "/v1/opening-hours/preview", json={"text": "周一至周五 8:00-18:00，节假日休息"}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["opening_hours"] == "Mo-Fr 08:00-18:00; PH off" and body["converted"] is True
    assert body["text"]["zh"] == "周一至周五 08:00–18:00，法定节假日休息"
    assert len(body["days"]) == 7
    assert all(d["open"] in ([], [["08:00", "18:00"]]) for d in body["days"])
    osm = client.post("/v1/opening-hours/preview", json={"text": "Mo-Su 07:00-22:00"}).json()
    assert osm["converted"] is False and osm["days"][0]["open"] == [["07:00", "22:00"]]


@pytest.mark.parametrize(
    ("body", "field"),
    [({"text": "看情况"}, "text"), ({}, "text"), ({"text": 5}, "text"),
     ({"text": "24/7", "lang": "zh"}, "lang"), ({"text": "x" * 501}, "text")],
)  # fmt: skip
def test_unreadable_hours_are_422_naming_the_field(
    client: TestClient, body: dict[str, object], field: str
) -> None:
    problem = assert_problem(client.post("/v1/opening-hours/preview", json=body), 422, field)
    if body.get("text") == "看情况":
        assert "周一至周五 8:00-18:00" in problem["detail"]  # an example of what it reads


@pytest.mark.parametrize(
    "text",
    ["Mo-Fr 08:30-18:00; PH off", "Mo-Su 18:00-06:00", "24/7", "Mo-Sa 09:00-12:00,14:00-18:00"],
)
def test_the_week_ahead_agrees_with_the_hours_at_every_quarter_hour(text: str) -> None:
    now = datetime(2026, 9, 28, 9, 0, tzinfo=SHANGHAI)  # the week running into National Day
    hours = Hours.parse(read_hours(text).osm)
    for day in week_ahead(text, now):
        midnight = datetime.combine(datetime.fromisoformat(day.date).date(), time(0), SHANGHAI)
        for quarter in range(96):
            at = midnight + timedelta(minutes=15 * quarter)
            hhmm = f"{at.hour:02d}:{at.minute:02d}"
            listed = any(start <= hhmm < end for start, end in day.open)
            assert listed == (hours.state(at) is Openness.OPEN), (text, day.date, hhmm)
