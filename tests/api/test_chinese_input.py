"""Chinese-first data entry through the API: an import with Chinese headers, labels and hours
phrases (converted, and shown back in the report), and problem documents in Chinese for a
reader whose Accept-Language prefers it (field names unchanged)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from api.problems import prefers_chinese
from tests.api.admin_fixtures import BEILIN, AdminEnv, admin_env, cli, create, fetch
from tests.api.problem import assert_problem

HEADER = "名称,类型,经度,纬度,地址,区划代码,设施,开放时间,电话,主办单位"


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AdminEnv]:
    with admin_env(tmp_path_factory.mktemp("chinese")) as env:
        yield env


def _import(env: AdminEnv, text: str, **form: str) -> dict[str, object]:
    response = env.client.post(
        "/v1/imports",
        files={"file": ("名单.csv", text.encode("utf-8-sig"), "text/csv")},
        data=form,
        headers=env.auth("admin") | {"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"},
    )
    body: dict[str, object] = response.json()
    body["status_code"] = response.status_code
    return body


def test_an_excel_style_list_in_chinese_is_imported(env: AdminEnv) -> None:
    rows = [
        HEADER,
        f"南门爱心驿站,爱心驿站,108.9401,34.2503,南大街1号,{BEILIN},饮水、微波炉；手机充电,"
        "周一至周五 8:00-18:00，节假日休息,029-88880000,碑林区总工会",
        f"书院门服务点,服务点,108.9411,34.2513,书院门2号,{BEILIN},卫生间,24小时,,",
    ]
    report = _import(env, "\n".join(rows) + "\n")
    assert report["status_code"] == 200, report
    assert report["created"] == 2
    assert report["conversions"] == [
        {"row": 2, "field": "opening_hours", "given": "周一至周五 8:00-18:00，节假日休息",
         "saved": "Mo-Fr 08:00-18:00; PH off"},
        {"row": 3, "field": "opening_hours", "given": "24小时", "saved": "24/7"},
    ]  # fmt: skip
    listed = env.client.get("/v1/stations", params={"limit": 500}).json()["features"]
    south = next(f["properties"] for f in listed if f["properties"]["name"] == "南门爱心驿站")
    assert south["kind"] == "love_station"
    assert south["amenities"] == ["water", "microwave", "phone_charging"]
    assert south["opening_hours"] == "Mo-Fr 08:00-18:00; PH off"


def test_an_unreadable_phrase_is_rejected_in_chinese_with_an_example(env: AdminEnv) -> None:
    rows = [HEADER, f"某驿站,爱心驿站,108.94,34.25,路1号,{BEILIN},饮水,看情况开,,"]
    report = _import(env, "\n".join(rows) + "\n")
    assert report["status_code"] == 422
    (rejection,) = report["report"]["rejected"] if "report" in report else report["rejected"]  # type: ignore[index]
    assert rejection["field"] == "opening_hours"
    assert (
        "可以写成" in rejection["reason_zh"] and "周一至周五 8:00-18:00" in rejection["reason_zh"]
    )


def test_problem_documents_speak_chinese_to_a_chinese_reader(env: AdminEnv) -> None:
    station_id = create(env)["id"]
    _, version = fetch(env, station_id)
    zh = {"Accept-Language": "zh-CN,zh;q=0.9"}
    response = env.client.patch(
        f"/v1/stations/{station_id}",
        json={"lat": 134.2, "amenities": ["咖啡机"]},
        headers=env.auth("admin") | {"If-Match": f'"{version}"'} | zh,
    )
    problem = assert_problem(response, 422, "lat")
    assert "超出范围" in problem["detail"] and "不认识的设施" in problem["detail"]
    assert {e["field"] for e in problem["errors"]} == {"lat", "amenities"}
    stale = env.client.patch(
        f"/v1/stations/{station_id}", json={"name": "新名字"},
        headers=env.auth("admin") | {"If-Match": '"0"'} | zh,
    )  # fmt: skip
    assert "请重新读取" in assert_problem(stale, 412)["detail"]
    english = env.client.get("/v1/stations/nope", headers={"Accept-Language": "en,zh;q=0.5"})
    assert assert_problem(english, 404)["detail"] == "no station with id 'nope'"
    chinese = env.client.get("/v1/stations/nope", headers=zh)
    assert assert_problem(chinese, 404)["detail"] == "没有编号为“nope”的站点"


@pytest.mark.parametrize(
    ("header", "chinese"),
    [("zh-CN,zh;q=0.9,en;q=0.8", True), ("zh", True), ("en-US,en;q=0.9,zh;q=0.8", False),
     ("en;q=0.5, zh-TW;q=0.8", True), ("*", False), ("", False), (None, False),
     ("zh;q=0, en", False), ("fr, zh;q=x", False)],
)  # fmt: skip
def test_the_reader_language(header: str | None, chinese: bool) -> None:
    assert prefers_chinese(header) is chinese


def test_the_command_line_shows_what_it_read_from_chinese(tmp_path: Path) -> None:
    source = tmp_path / "名单.csv"
    source.write_text(
        f"{HEADER}\n南门驿站,爱心驿站,108.9401,34.2503,南大街1号,{BEILIN},饮水、微波炉,"
        "每天 7:00-22:00,,\n",
        encoding="utf-8-sig",
    )
    result = cli("import", source, "--db", tmp_path / "s.gpkg")
    assert "名单.csv: row 2: opening_hours: “每天 7:00-22:00” → Mo-Su 07:00-22:00" in result.stdout
    assert "1 were created" in result.stdout
