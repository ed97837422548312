"""Opening hours in plain words: a table of the forms station lists use (every form in the
demo data among them), and the ones not covered are left to the original text."""

from __future__ import annotations

import csv

import pytest

from stations.hours import Hours
from stations.hours_text import describe, describe_both
from tests.conftest import DEMO_CSV


@pytest.mark.parametrize(
    ("text", "zh", "en"),
    [
        ("24/7", "24小时开放", "open 24 hours"),
        ("Mo-Fr 08:30-18:00; PH off", "周一至周五 08:30–18:00，法定节假日休息",
         "Mon–Fri 08:30–18:00; closed on public holidays"),
        ("Mo-Su 07:00-11:00,13:30-20:00", "每天 07:00–11:00，13:30–20:00",
         "daily 07:00–11:00, 13:30–20:00"),
        ("Mo-Fr 07:30-11:30,13:30-19:30; Sa,Su 09:00-17:00",
         "周一至周五 07:30–11:30，13:30–19:30；周六、周日 09:00–17:00",
         "Mon–Fri 07:30–11:30, 13:30–19:30; Sat, Sun 09:00–17:00"),
        ("Mo-Su 18:00-06:00", "每天 18:00–次日06:00", "daily 18:00–06:00 (next day)"),
        ("Mo-Su 08:00-20:00; PH 10:00-16:00", "每天 08:00–20:00，法定节假日 10:00–16:00",
         "daily 08:00–20:00; public holidays 10:00–16:00"),
        ("Mo-Sa 09:00-18:00", "周一至周六 09:00–18:00", "Mon–Sat 09:00–18:00"),
        ("Mo,We,Fr 09:00-12:00", "周一、周三、周五 09:00–12:00", "Mon, Wed, Fri 09:00–12:00"),
        ("Mo-Fr 09:00-17:00; Sa off", "周一至周五 09:00–17:00；周六休息",
         "Mon–Fri 09:00–17:00; closed on Sat"),
        ("24/7; PH off", "24小时开放，法定节假日休息", "open 24 hours; closed on public holidays"),
        ("off", "暂不开放", "closed"),
        ("08:00-20:00", "每天 08:00–20:00", "daily 08:00–20:00"),
    ],
)  # fmt: skip
def test_common_forms_read_as_plain_words(text: str, zh: str, en: str) -> None:
    Hours.parse(text)  # every example is valid OSM opening_hours
    assert (describe(text, "zh"), describe(text, "en")) == (zh, en)
    assert describe_both(text) == {"zh": zh, "en": en}


@pytest.mark.parametrize(
    "text",
    ["sunrise-sunset", "Mo-Fr 08:00-18:00; Jan off", "Mo-Fr 08:00-18:00, Sa 09:00-12:00",
     "Mo-Fr 08:00-18:00 \"by appointment\"", "week 1-10 Mo 09:00-10:00", "Mo[1] 09:00-12:00"],
)  # fmt: skip
def test_forms_not_covered_are_left_to_the_original(text: str) -> None:
    assert describe(text, "zh") is None and describe_both(text) is None


def test_every_form_in_the_demo_data_is_covered() -> None:
    with DEMO_CSV.open(encoding="utf-8") as f:
        texts = {row["opening_hours"] for row in csv.DictReader(f) if row["opening_hours"]}
    assert texts
    assert {t for t in texts if describe(t, "zh") is None} == set()
    assert describe(None, "zh") is None
