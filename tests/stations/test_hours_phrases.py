"""Chinese hours phrases, as union station notices write them, turned into OSM opening_hours.

Each row is checked twice: the exact OSM text, and, independently of how that text was built,
what ``Hours`` (opening-hours-py with China's holiday calendar) makes of it at five instants,
written down from the phrase itself.
"""

from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stations.hours import SHANGHAI, Hours, Openness
from stations.hours_phrases import UnreadablePhrase, to_osm
from stations.hours_text import describe

#: The instants of the ``states`` column, in order ("o" open, "c" closed), Asia/Shanghai.
INSTANTS = (
    datetime(2026, 9, 16, 10, 0, tzinfo=SHANGHAI),  # a Wednesday morning
    datetime(2026, 9, 16, 13, 0, tzinfo=SHANGHAI),  # the same Wednesday, at lunch time
    datetime(2026, 9, 16, 23, 0, tzinfo=SHANGHAI),  # the same Wednesday, late at night
    datetime(2026, 9, 19, 10, 0, tzinfo=SHANGHAI),  # an ordinary Saturday (not a make-up day)
    datetime(2026, 10, 1, 10, 0, tzinfo=SHANGHAI),  # National Day, a Thursday
)
_STATE = {"o": Openness.OPEN, "c": Openness.CLOSED}

PHRASES = [
    # phrase, OSM, states at We 10:00, We 13:00, We 23:00, Sa 10:00, National Day 10:00
    ("24小时", "24/7", "ooooo"),
    ("24小时开放", "24/7", "ooooo"),
    ("全天", "24/7", "ooooo"),
    ("全天候开放", "24/7", "ooooo"),
    ("全年无休 24小时", "24/7", "ooooo"),
    ("开放时间：7×24小时", "24/7", "ooooo"),
    ("二十四小时开放，节假日除外", "24/7; PH off", "ooooc"),
    ("每天 7:00-22:00", "Mo-Su 07:00-22:00", "oocoo"),
    ("每日7:00—22:00", "Mo-Su 07:00-22:00", "oocoo"),
    ("全天 8:00-20:00", "Mo-Su 08:00-20:00", "oocoo"),
    ("周一至周日 8:00-18:00", "Mo-Su 08:00-18:00", "oocoo"),
    ("开放时间：每天 6:00-22:00，全年无休", "Mo-Su 06:00-22:00", "oocoo"),
    ("周一至周日 6:30-22:30（中午不休息）", "Mo-Su 06:30-22:30", "oocoo"),
    ("开放时间：周一至周五 8:00-18:00", "Mo-Fr 08:00-18:00", "oocco"),
    ("星期一到星期五 8:00-18:00", "Mo-Fr 08:00-18:00", "oocco"),
    ("礼拜一至礼拜五 上午8点至下午6点", "Mo-Fr 08:00-18:00", "oocco"),
    ("工作日 8:30-17:30", "Mo-Fr 08:30-17:30", "oocco"),
    ("服务时间：周一至五 8:30-17:30", "Mo-Fr 08:30-17:30", "oocco"),
    ("每周一至周五 07:00-19:00", "Mo-Fr 07:00-19:00", "oocco"),
    ("周一至周五8.30-17.30", "Mo-Fr 08:30-17:30", "oocco"),
    ("周末 9:00-17:00", "Sa,Su 09:00-17:00", "cccoc"),
    ("周六、周日 9:00-17:00", "Sa,Su 09:00-17:00", "cccoc"),
    ("双休日 9:00-17:00", "Sa,Su 09:00-17:00", "cccoc"),
    ("周六日 9:00-17:00", "Sa,Su 09:00-17:00", "cccoc"),
    ("周一、三、五 9:00-12:00", "Mo,We,Fr 09:00-12:00", "occcc"),
    ("每天 8:00-12:00，14:00-18:00", "Mo-Su 08:00-12:00,14:00-18:00", "occoo"),
    ("8:00-12:00，14:00-18:00", "Mo-Su 08:00-12:00,14:00-18:00", "occoo"),
    ("上午8:00-12:00 下午2:00-6:00", "Mo-Su 08:00-12:00,14:00-18:00", "occoo"),
    ("每天 上午9：00—11：30，下午2：30—9：00", "Mo-Su 09:00-11:30,14:30-21:00", "occoo"),
    ("周一至周五 上午8:30-11:30 下午13:30-17:30", "Mo-Fr 08:30-11:30,13:30-17:30", "occco"),
    ("周一至周五 8:00-18:00 午休12:00-14:00", "Mo-Fr 08:00-12:00,14:00-18:00", "occco"),
    ("每天 8:00～18:00（12:00-14:00午休）", "Mo-Su 08:00-12:00,14:00-18:00", "occoo"),
    ("周一至周五 8:00-18:00；周六 9:00-12:00", "Mo-Fr 08:00-18:00; Sa 09:00-12:00", "oocoo"),
    ("周一至周五8:00-18:00，周末9:00-17:00", "Mo-Fr 08:00-18:00; Sa,Su 09:00-17:00", "oocoo"),
    ("周二至周日 9:00-17:00（周一闭馆）", "Tu-Su 09:00-17:00; Mo off", "oocoo"),
    ("周一至周六 8:00-20:00，周日休息", "Mo-Sa 08:00-20:00; Su off", "oocoo"),
    ("周六 11:00-12:00，每天 8:00-20:00", "Mo-Su 08:00-20:00; Sa 11:00-12:00", "oocco"),
    ("周一至周五全天开放，周末休息", "Mo-Fr 00:00-24:00; Sa,Su off", "oooco"),
    ("周一至周五 8:00-18:00，节假日休息", "Mo-Fr 08:00-18:00; PH off", "ooccc"),
    ("周一至周五 8:00-18:00（节假日休息）", "Mo-Fr 08:00-18:00; PH off", "ooccc"),
    ("开放时间：周一至周五 8:30-17:30（法定节假日休息）", "Mo-Fr 08:30-17:30; PH off", "ooccc"),
    ("周一至周五 8:30-17:30（法定节假日除外）", "Mo-Fr 08:30-17:30; PH off", "ooccc"),
    ("每天 8:00-20:00，节假日不开放", "Mo-Su 08:00-20:00; PH off", "oococ"),
    ("每天9:00-17:00，节假日闭馆", "Mo-Su 09:00-17:00; PH off", "oococ"),
    ("每天 8:00-20:00，节假日 11:00-16:00", "Mo-Su 08:00-20:00; PH 11:00-16:00", "oococ"),
    ("周一至周五 8:00-18:00，周末及节假日休息", "Mo-Fr 08:00-18:00; Sa,Su off; PH off", "ooccc"),
    ("周一至周五 7:30-11:30，周末及节假日 13:00-17:00",
     "Mo-Fr 07:30-11:30; Sa,Su 13:00-17:00; PH 13:00-17:00", "occcc"),
    ("服务时间：周一至周五 9:00-17:00，周六 9:00-12:00，周日及节假日休息",
     "Mo-Fr 09:00-17:00; Sa 09:00-12:00; Su off; PH off", "oococ"),
    ("周一至周五 8:00-18:00，法定节假日正常开放", "Mo-Fr 08:00-18:00", "oocco"),
    ("18:00-次日6:00", "Mo-Su 18:00-06:00", "ccocc"),
    ("晚8点至早8点", "Mo-Su 20:00-08:00", "ccocc"),
    ("夜间 22:00-次日6:00 开放", "Mo-Su 22:00-06:00", "ccocc"),
    ("晚上10点至次日早上6点", "Mo-Su 22:00-06:00", "ccocc"),
    ("16:00至凌晨2:00", "Mo-Su 16:00-02:00", "ccocc"),
    ("８：００－１８：００", "Mo-Su 08:00-18:00", "oocoo"),
    ("每天 8点-18点", "Mo-Su 08:00-18:00", "oocoo"),
    ("每天8点半-17点半", "Mo-Su 08:30-17:30", "oocoo"),
    ("每天8-20点", "Mo-Su 08:00-20:00", "oocoo"),
    ("早8晚6", "Mo-Su 08:00-18:00", "oocoo"),
    ("早上7点到晚上9点", "Mo-Su 07:00-21:00", "oocoo"),
    ("下午1点至晚上11点半", "Mo-Su 13:00-23:30", "coocc"),
]  # fmt: skip


@pytest.mark.parametrize(("phrase", "osm", "states"), PHRASES)
def test_a_notice_phrase_becomes_osm_hours(phrase: str, osm: str, states: str) -> None:
    assert to_osm(phrase) == osm


@pytest.mark.parametrize(("phrase", "osm", "states"), PHRASES)
def test_the_hours_say_what_the_phrase_says(phrase: str, osm: str, states: str) -> None:
    hours = Hours.parse(to_osm(phrase))
    assert [hours.state(at) for at in INSTANTS] == [_STATE[s] for s in states]


@pytest.mark.parametrize(("phrase", "osm", "states"), PHRASES)
def test_the_result_is_stable_and_reads_back_in_words(phrase: str, osm: str, states: str) -> None:
    result = to_osm(phrase)
    assert to_osm(result) == result  # OSM text is returned as it is
    assert describe(result, "zh") is not None  # in the forms the station page words


def test_the_table_is_large_enough() -> None:
    assert len(PHRASES) >= 40
    assert len({phrase for phrase, _, _ in PHRASES}) == len(PHRASES)


@pytest.mark.parametrize(
    "text", ["Mo-Fr 08:00-18:00; PH off", "24/7", "08:00-06:00", 'Mo-Fr 08:00-18:00 "请提前来电"']
)
def test_text_already_in_osm_syntax_is_returned_unchanged(text: str) -> None:
    assert to_osm(text) == text


UNREADABLE = [
    ("", "没有填写"),
    ("   ", "没有填写"),
    ("看情况", "看情况"),
    ("预约", "预约"),
    ("需提前电话预约", "需提前电话预约"),
    ("早八晚六点左右", "左右"),
    ("周八 8:00-9:00", "周八"),
    ("夏季8:00-18:00 冬季9:00-17:00", "夏季"),
    ("8-18", "8-18"),
    ("2418", "2418"),  # valid OSM (a year), but nobody's hours
    ("25:00-26:00", "25:00"),
    ("8:70-9:00", "8:70"),
    ("早上13点-18点", "前后矛盾"),
    ("8点-6点", "次日"),  # 08:00-18:00, or all night?
    ("8:00-6:00", "次日"),
    ("上午9点-5点", "次日"),
    ("8:00-8:00", "相同"),
    ("8:00-次日20:00", "超过24小时"),
    ("8:00", "缺少另一端"),
    ("至18:00", "缺少开始时间"),
    ("周一至周五", "没有写时间"),
    ("全年无休", "没有写时间"),
    ("节假日休息", "平时"),  # says nothing about ordinary days
    ("节假日 10:00-16:00", "平时"),
    ("暂停开放", "平时"),
    ("8:00-12:00，10:00-14:00", "重叠"),
    ("22:00-6:00，8:00-12:00", "顺序"),
    ("8:00-18:00 休息", "既开放又休息"),
    ("9:00-18:00 午休19:00-20:00", "午休"),
    ("周一至周五 8:00-18:00，周末正常开放", "照常"),
    ("周一至周五 8:00-18:00 周一至周五 20:00-22:00", "两次"),
    ("周一至周五 8:00-18:00，周五至周日 9:00-21:00", "两次"),
]


@pytest.mark.parametrize(("phrase", "reason"), UNREADABLE)
def test_an_unreadable_phrase_is_refused_in_chinese(phrase: str, reason: str) -> None:
    with pytest.raises(UnreadablePhrase) as caught:
        to_osm(phrase)
    message = str(caught.value)
    assert message.startswith("无法识别开放时间“")
    assert reason in message
    assert "可以写成：周一至周五 8:00-18:00" in message
    assert caught.value.english.startswith("cannot read the opening hours")
    assert isinstance(caught.value, ValueError)


def test_the_english_message_gives_the_reason_and_examples() -> None:
    with pytest.raises(UnreadablePhrase) as caught:
        to_osm("8点-6点")
    assert caught.value.phrase == "8点-6点"
    assert "ends before it starts" in caught.value.english
    assert "每天 7:00-22:00 (daily)" in caught.value.english


def test_a_long_phrase_is_shortened_in_the_message() -> None:
    with pytest.raises(UnreadablePhrase) as caught:
        to_osm("看情况" * 100)
    assert len(str(caught.value)) < 200 and "…" in str(caught.value)


#: Pieces of phrases, numbers and punctuation, to be put together at random.
PIECES = (
    "周一", "至", "周五", "星期", "礼拜", "六", "日", "、", "，", "；", "（", "）", " ",
    "8", "12", "18", "24", "0", "十", "八", "两", ":00", ":30", ":", "点", "半",
    "-", "—", "～", "到", "及", "上午", "下午", "晚上", "早", "晚", "中午", "凌晨",
    "次日", "节假日", "休息", "除外", "午休", "全天", "24小时", "每天", "工作日",
    "周末", "照常开放", "全年无休", "开放时间：",
)  # fmt: skip


@settings(max_examples=500)
@given(st.lists(st.sampled_from(PIECES), max_size=10).map("".join))
def test_any_phrase_gives_valid_stable_hours_or_the_chinese_message(phrase: str) -> None:
    try:
        result = to_osm(phrase)
    except UnreadablePhrase as exc:
        assert exc.__cause__ is None  # refused on purpose, not by a gap in the conversion
        assert "可以写成" in str(exc)
        return
    Hours.parse(result)
    assert to_osm(result) == result
